package crawl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/certs"
	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
	"github.com/phiproxy/phiproxy/classify/persona"
	"github.com/phiproxy/phiproxy/crawl"
)

// testSite is a small clinic site: pages, a booking form, a tracker.
type testSite struct {
	mu        sync.Mutex
	requested []string // paths, in order
	collected []map[string]any
	forbidden []string
	cookies   map[string]string // path -> Cookie header
}

func (s *testSite) record(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requested = append(s.requested, r.URL.Path)
	if s.cookies == nil {
		s.cookies = map[string]string{}
	}
	s.cookies[r.URL.Path] = r.Header.Get("Cookie")
}

func (s *testSite) paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requested)
}

const page = `<!doctype html><html><head><title>%s</title>%s</head><body>%s</body></html>`

func (s *testSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.record(r)
	html := func(title, head, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, page, title, head, body)
	}
	switch r.URL.Path {
	case "/":
		html("Home", "", `
			<a href="/conditions/depression">Depression</a>
			<a href="/book">Book a visit</a>
			<a href="/a#section">A with fragment</a>
			<a href="/a">A</a>
			<a href="/logout">Log out</a>
			<a href="/account?action=delete">Close account</a>
			<a href="/brochure.pdf">Brochure</a>
			<a href="https://elsewhere.test/">Partner</a>
			<a href="mailto:front-desk@site.test">Mail us</a>
			<a href="javascript:void(0)">Nothing</a>`)
	case "/a":
		html("A", "", `<a href="/a/b">B</a><a href="/">Home</a>`)
	case "/a/b":
		html("B", "", `<a href="/a/b/c">C</a>`)
	case "/a/b/c":
		html("C", "", `deep`)
	case "/conditions/depression":
		html("Depression treatment", `<script src="/pixel.js"></script>`, `<p>We treat depression.</p>`)
	case "/pixel.js":
		w.Header().Set("Content-Type", "application/javascript")
		io.WriteString(w, `window.addEventListener('load', () => { new Image().src = 'https://pixel.thirdparty.test/tr?ev=PageView&dl=' + encodeURIComponent(location.href); });`)
	case "/book":
		html("Book an appointment", "", `
			<form id="f" onsubmit="return false">
			  <label for="fn">First name</label><input id="fn" name="first_name">
			  <label>Last name <input name="lname"></label>
			  <input type="email" name="contact" placeholder="you@example.com">
			  <label for="dob">Date of birth</label><input type="date" id="dob" name="dob">
			  <input name="phone_number" autocomplete="tel">
			  <select name="state"><option value="">--</option><option value="CA">California</option><option value="IL">Illinois</option></select>
			  <input name="zip" autocomplete="postal-code">
			  <textarea name="reason"></textarea>
			  <input type="password" name="pw">
			  <input type="hidden" name="csrf" value="t0k3n">
			  <label><input type="checkbox" name="terms" required> I agree</label>
			  <button type="button" id="book" onclick="send()">Book appointment</button>
			  <button type="button" onclick="forbid('pay')">Pay now</button>
			  <button type="button" onclick="forbid('cancel')">Cancel</button>
			  <input type="submit" value="Delete my data" onclick="forbid('delete')">
			</form>
			<script>
			function send() {
			  const f = document.getElementById('f');
			  const data = {};
			  for (const el of f.elements) { if (el.name) data[el.name] = el.type === 'checkbox' ? el.checked : el.value; }
			  fetch('/collect', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(data)});
			}
			function forbid(what) { fetch('/forbidden?what=' + what, {method: 'POST'}); }
			</script>`)
	case "/collect":
		var m map[string]any
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&m); err == nil {
			s.mu.Lock()
			s.collected = append(s.collected, m)
			s.mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	case "/forbidden":
		s.mu.Lock()
		s.forbidden = append(s.forbidden, r.URL.Query().Get("what"))
		s.mu.Unlock()
	default:
		http.NotFound(w, r)
	}
}

// rig is a site, a tracker host and a proxy that tags flows with the
// crawler's current page and phase, as the phiproxy command does.
type rig struct {
	site    *testSite
	tracker *chromiumtest.Site
	proxy   *chromiumtest.Proxy
	current atomic.Pointer[[2]string]

	mu     sync.Mutex
	tagged []*phiproxy.Flow
}

func newRig(t *testing.T) *rig {
	t.Helper()
	chromiumtest.RequireBrowser(t)
	rg := &rig{site: &testSite{}}
	site := chromiumtest.NewSite(t, rg.site, "site.test")
	rg.tracker = chromiumtest.NewSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/gif")
		w.Write([]byte("GIF89a"))
	}), "pixel.thirdparty.test")
	roots := site.Roots.Clone()
	roots.AddCert(rg.tracker.Certificate())
	rg.proxy = chromiumtest.StartProxy(t, chromiumtest.ProxyOptions{
		Resolve: map[string]string{"site.test": site.Addr(), "pixel.thirdparty.test": rg.tracker.Addr()},
		Roots:   roots,
		OnFlow: func(f *phiproxy.Flow) {
			if cur := rg.current.Load(); cur != nil {
				f.Page, f.Phase = cur[0], cur[1]
			}
			rg.mu.Lock()
			rg.tagged = append(rg.tagged, f)
			rg.mu.Unlock()
		},
	})
	return rg
}

func (rg *rig) config() crawl.Config {
	return crawl.Config{
		ProxyAddr:   rg.proxy.Addr,
		CAPEM:       rg.proxy.CAPEM,
		Quiet:       300 * time.Millisecond,
		PageTimeout: 15 * time.Second,
		Phase:       func(page, phase string) { rg.current.Store(&[2]string{page, phase}) },
	}
}

// flows returns the tagged flows whose URL starts with prefix.
func (rg *rig) flows(prefix string) []*phiproxy.Flow {
	rg.mu.Lock()
	defer rg.mu.Unlock()
	var out []*phiproxy.Flow
	for _, f := range rg.tagged {
		if strings.HasPrefix(f.Request.URL, prefix) {
			out = append(out, f)
		}
	}
	return out
}

var testPersona = &persona.Persona{
	FirstName: "Jordan", LastName: "Whitfield", Email: "jordan.whitfield@example.com",
	Phone: "312-847-2291", DOB: "1984-03-09", State: "IL", ZIP: "60614",
	FreeText: []string{"feeling low for weeks"},
}

func TestCrawlVisitsFillsAndTags(t *testing.T) {
	rg := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cfg := rg.config()
	cfg.Depth = 2
	cfg.Persona = testPersona
	cfg.Cookies = []string{"consent=granted", "cmp=v2"}
	var progress []crawl.Progress
	cfg.Progress = func(p crawl.Progress) { progress = append(progress, p) }

	sum, err := crawl.Run(ctx, cfg, []string{"https://site.test/"})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	var visited []string
	byURL := map[string]crawl.PageResult{}
	for _, p := range sum.Pages {
		visited = append(visited, p.URL)
		byURL[p.URL] = p
		if p.Error != "" {
			t.Errorf("page %s: error %q", p.URL, p.Error)
		}
	}
	want := []string{
		"https://site.test/",
		"https://site.test/conditions/depression",
		"https://site.test/book",
		"https://site.test/a",
		"https://site.test/a/b",
	}
	if !slices.Equal(visited, want) {
		t.Fatalf("pages visited (breadth first, depth 2):\n got %q\nwant %q", visited, want)
	}
	if got, want := len(progress), len(sum.Pages); got != want {
		t.Errorf("progress calls: got %d, want %d", got, want)
	}
	for i, p := range progress {
		if p.Done != i || p.URL != want[i] {
			t.Errorf("progress[%d]: got %+v, want Done %d URL %s", i, p, i, want[i])
		}
	}
	if got := byURL["https://site.test/"]; got.Status != 200 || got.Title != "Home" || got.Links != 3 {
		t.Errorf("home page result: got status %d title %q links %d, want 200 \"Home\" 3", got.Status, got.Title, got.Links)
	}

	for _, p := range rg.site.paths() {
		switch p {
		case "/logout", "/account", "/brochure.pdf", "/a/b/c":
			t.Errorf("crawler requested %s, which it must skip", p)
		}
	}
	rg.site.mu.Lock()
	cookie := rg.site.cookies["/"]
	forbidden := slices.Clone(rg.site.forbidden)
	collected := slices.Clone(rg.site.collected)
	rg.site.mu.Unlock()
	if !strings.Contains(cookie, "consent=granted") || !strings.Contains(cookie, "cmp=v2") {
		t.Errorf("consent cookies on the first request: got Cookie %q, want consent=granted and cmp=v2", cookie)
	}
	if len(forbidden) > 0 {
		t.Errorf("crawler clicked forbidden buttons: %q", forbidden)
	}

	// The booking form got the persona, typed the way a person would.
	if len(collected) != 1 {
		t.Fatalf("booking submissions: got %d, want 1 (%v)", len(collected), collected)
	}
	wantForm := map[string]any{
		"first_name": "Jordan", "lname": "Whitfield", "contact": "jordan.whitfield@example.com",
		"dob": "1984-03-09", "phone_number": "312-847-2291", "state": "IL", "zip": "60614",
		"reason": "feeling low for weeks", "pw": "", "csrf": "t0k3n", "terms": true,
	}
	for k, v := range wantForm {
		if got := collected[0][k]; got != v {
			t.Errorf("form field %s: got %v, want %v", k, got, v)
		}
	}
	book := byURL["https://site.test/book"]
	if got, want := book.Clicked, []string{"Book appointment"}; !slices.Equal(got, want) {
		t.Errorf("/book clicked: got %q, want %q", got, want)
	}
	if book.FieldsFilled != 9 {
		t.Errorf("/book fields filled: got %d, want 9", book.FieldsFilled)
	}

	// Page and phase tags: the pixel fired while the condition page
	// loaded; the booking beacon after the interaction began.
	pixels := rg.flows("https://pixel.thirdparty.test/tr?")
	var condPixel *phiproxy.Flow
	for _, f := range pixels {
		if strings.Contains(f.Request.URL, "conditions%2Fdepression") {
			condPixel = f
		}
	}
	if condPixel == nil {
		t.Fatalf("no pixel flow for the condition page; pixel flows: %d", len(pixels))
	}
	if condPixel.Page != "https://site.test/conditions/depression" || condPixel.Phase != crawl.PhaseLoad {
		t.Errorf("condition pixel tag: got page %q phase %q, want the condition page, %q", condPixel.Page, condPixel.Phase, crawl.PhaseLoad)
	}
	beacons := rg.flows("https://site.test/collect")
	if len(beacons) != 1 {
		t.Fatalf("collect flows: got %d, want 1", len(beacons))
	}
	if beacons[0].Page != "https://site.test/book" || beacons[0].Phase != crawl.PhaseInteraction {
		t.Errorf("booking beacon tag: got page %q phase %q, want /book, %q", beacons[0].Page, beacons[0].Phase, crawl.PhaseInteraction)
	}
	for _, f := range rg.flows("https://site.test/") {
		if f.Phase == crawl.PhaseInteraction && f.Page != "https://site.test/book" {
			t.Errorf("interaction-phase flow on a page without a form: %s (page %s)", f.Request.URL, f.Page)
		}
	}
}

func TestCrawlNoInteractAndMaxPages(t *testing.T) {
	rg := newRig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := rg.config()
	cfg.Persona = testPersona
	cfg.NoInteract = true
	cfg.MaxPages = 3
	var phases []string
	cfg.Phase = func(page, phase string) {
		phases = append(phases, phase)
		rg.current.Store(&[2]string{page, phase})
	}
	sum, err := crawl.Run(ctx, cfg, []string{"https://site.test/", "https://site.test/book"})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var visited []string
	for _, p := range sum.Pages {
		visited = append(visited, p.URL)
		if p.FieldsFilled != 0 || len(p.Clicked) != 0 {
			t.Errorf("%s: filled %d, clicked %q with NoInteract", p.URL, p.FieldsFilled, p.Clicked)
		}
	}
	// Seeds first, in order, then the home page's first link.
	want := []string{"https://site.test/", "https://site.test/book", "https://site.test/conditions/depression"}
	if !slices.Equal(visited, want) {
		t.Fatalf("pages: got %q, want %q", visited, want)
	}
	sort.Strings(phases)
	if got := slices.Compact(phases); !slices.Equal(got, []string{crawl.PhaseLoad}) {
		t.Errorf("phases reported: got %q, want only %q", got, crawl.PhaseLoad)
	}
	if n := len(rg.flows("https://site.test/collect")); n != 0 {
		t.Errorf("collect requests with NoInteract: got %d, want 0", n)
	}
}

func TestRunWithoutBrowser(t *testing.T) {
	chromiumtest.RequireBrowser(t) // for certutil
	ca, err := certs.Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sum, err := crawl.Run(ctx, crawl.Config{ProxyAddr: "127.0.0.1:9", CAPEM: ca.CertPEM(), ChromiumPath: "/nonexistent/chromium"}, []string{"https://site.test/"})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/chromium") {
		t.Fatalf("Run with a missing browser: got %v, want an error naming the binary", err)
	}
	if len(sum.Pages) != 0 {
		t.Errorf("pages: got %d, want 0", len(sum.Pages))
	}
}

func TestRunConfigErrors(t *testing.T) {
	tests := []struct {
		name  string
		cfg   crawl.Config
		seeds []string
		want  string
	}{
		{"no proxy", crawl.Config{CAPEM: []byte("x")}, []string{"https://a.test/"}, "ProxyAddr"},
		{"no CA", crawl.Config{ProxyAddr: "127.0.0.1:1"}, []string{"https://a.test/"}, "CAPEM"},
		{"no seeds", crawl.Config{ProxyAddr: "127.0.0.1:1", CAPEM: []byte("x")}, nil, "no seed"},
		{"bad seed", crawl.Config{ProxyAddr: "127.0.0.1:1", CAPEM: []byte("x")}, []string{"ftp://a.test/"}, "seed"},
		{"bad cookie", crawl.Config{ProxyAddr: "127.0.0.1:1", CAPEM: []byte("x"), Cookies: []string{"novalue"}}, []string{"https://a.test/"}, "NAME=VALUE"},
		{"quiet too long", crawl.Config{ProxyAddr: "127.0.0.1:1", CAPEM: []byte("x"), Quiet: time.Minute, PageTimeout: time.Second}, []string{"https://a.test/"}, "Quiet"},
		{"bad CA", crawl.Config{ProxyAddr: "127.0.0.1:1", CAPEM: []byte("x")}, []string{"https://a.test/"}, "PEM"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := crawl.Run(context.Background(), tc.cfg, tc.seeds)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run: got error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
