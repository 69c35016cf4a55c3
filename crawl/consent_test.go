package crawl_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
	"github.com/phiproxy/phiproxy/crawl"
	"github.com/phiproxy/phiproxy/internal/testenv"
)

// npmDir is where make deps installs autoconsent and the consent manager
// the tests serve.
const npmDir = "../tools/autoconsent/node_modules"

// consentSite is a clinic page run by a real consent manager
// (vanilla-cookieconsent 3): an analytics script that loads only after
// consent, a pixel that fires regardless, and an iframe that reports
// Global Privacy Control too.
type consentSite struct {
	mu       sync.Mutex
	requests []string // host+path?query of every request, in order
}

// ConsentSiteHandler serves the site on www.clinic-example.org, the good
// analytics on analytics.example-good.net and the pixel on
// px.example-bad.net (one server, three names).
func (s *consentSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Host+r.URL.RequestURI())
	s.mu.Unlock()
	js := func(body string) {
		w.Header().Set("Content-Type", "application/javascript")
		fmt.Fprint(w, body)
	}
	switch r.Host + r.URL.Path {
	case "www.clinic-example.org/":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, consentPage)
	case "www.clinic-example.org/frame":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><script>new Image().src = 'https://px.example-bad.net/tr?frame=1&gpc=' + navigator.globalPrivacyControl;</script>`)
	case "www.clinic-example.org/cc/cookieconsent.umd.js":
		serveFile(w, filepath.Join(npmDir, "vanilla-cookieconsent/dist/cookieconsent.umd.js"), "application/javascript")
	case "www.clinic-example.org/cc/cookieconsent.css":
		serveFile(w, filepath.Join(npmDir, "vanilla-cookieconsent/dist/cookieconsent.css"), "text/css")
	case "analytics.example-good.net/a.js":
		js(`new Image().src = 'https://analytics.example-good.net/collect?dl=' + encodeURIComponent(location.href);`)
	case "px.example-bad.net/px.js":
		js(`new Image().src = 'https://px.example-bad.net/tr?ev=PageView&em=' + encodeURIComponent('pat.rivera@example.org') + '&cd[condition]=type%202%20diabetes&gpc=' + navigator.globalPrivacyControl;`)
	default:
		w.Header().Set("Content-Type", "image/gif")
		w.Write([]byte("GIF89a"))
	}
}

func serveFile(w http.ResponseWriter, path, contentType string) {
	b, err := os.ReadFile(path)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Write(b)
}

const consentPage = `<!doctype html><html><head><title>Diabetes care</title>
<link rel="stylesheet" href="/cc/cookieconsent.css">
<script type="text/plain" data-category="analytics" src="https://analytics.example-good.net/a.js"></script>
<script src="https://px.example-bad.net/px.js"></script>
</head><body><h1>Type 2 diabetes care</h1><iframe src="/frame"></iframe>
<script src="/cc/cookieconsent.umd.js"></script>
<script>
CookieConsent.run({
  categories: {necessary: {enabled: true, readOnly: true}, analytics: {}},
  language: {default: 'en', translations: {en: {
    consentModal: {title: 'We use cookies', description: 'Analytics cookies help us improve the site.',
      acceptAllBtn: 'Accept all', acceptNecessaryBtn: 'Reject all', showPreferencesBtn: 'Manage preferences'},
    preferencesModal: {title: 'Cookie preferences', acceptAllBtn: 'Accept all', acceptNecessaryBtn: 'Reject all',
      savePreferencesBtn: 'Save', sections: [{title: 'Analytics', linkedCategory: 'analytics'}]}
  }}}
});
</script></body></html>`

func (s *consentSite) sawPrefix(prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.requests {
		if strings.HasPrefix(r, prefix) {
			out = append(out, r)
		}
	}
	return out
}

func TestConsentStates(t *testing.T) {
	chromiumtest.RequireBrowser(t)
	testenv.File(t, filepath.Join(npmDir, "vanilla-cookieconsent/dist/cookieconsent.umd.js"))
	testenv.File(t, filepath.Join(npmDir, "@duckduckgo/autoconsent/dist/autoconsent.playwright.js"))
	ac, err := crawl.LoadAutoconsent(filepath.Join(npmDir, "@duckduckgo/autoconsent"))
	if err != nil {
		t.Fatal(err)
	}
	for _, state := range crawl.ConsentStates {
		t.Run(state, func(t *testing.T) {
			site := &consentSite{}
			srv := chromiumtest.NewSite(t, site, "www.clinic-example.org", "analytics.example-good.net", "px.example-bad.net")
			proxy := chromiumtest.StartProxy(t, chromiumtest.ProxyOptions{
				Resolve: map[string]string{"www.clinic-example.org": srv.Addr(), "analytics.example-good.net": srv.Addr(), "px.example-bad.net": srv.Addr()},
				Roots:   srv.Roots, PageTrafficOnly: true, OnFlow: func(*phiproxy.Flow) {},
			})
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			sum, err := crawl.Run(ctx, crawl.Config{
				ProxyAddr: proxy.Addr, CAPEM: proxy.CAPEM, Quiet: 500 * time.Millisecond, PageTimeout: 20 * time.Second, Depth: -1,
				Consent: state, Autoconsent: ac,
			}, []string{"https://www.clinic-example.org/"})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			res := sum.Consent
			if res == nil {
				t.Fatal("no consent result")
			}
			t.Logf("%s: %+v", state, *res)
			if res.State != state || res.CMP != "cookieconsent3" || !res.PopupFound {
				t.Errorf("consent result: got state %q CMP %q popup %v, want %q, cookieconsent3, a popup", res.State, res.CMP, res.PopupFound, state)
			}
			good := site.sawPrefix("analytics.example-good.net/collect")
			bad := site.sawPrefix("px.example-bad.net/tr?ev=PageView")
			if len(bad) == 0 {
				t.Errorf("the pixel that ignores consent did not fire; requests: %q", site.sawPrefix(""))
			}
			switch state {
			case crawl.ConsentAccept:
				// autoconsent self-tests opt-outs; an opt-in it may leave untested.
				if res.Action != "opt-in" || !res.Succeeded || (res.SelfTest != nil && !*res.SelfTest) {
					t.Errorf("accept: got action %q succeeded %v self-test %v, want opt-in, true, not false", res.Action, res.Succeeded, res.SelfTest)
				}
				if len(good) == 0 {
					t.Error("accept: the analytics that waits for consent never loaded")
				}
			case crawl.ConsentReject:
				if res.Action != "opt-out" || !res.Succeeded || res.SelfTest == nil || !*res.SelfTest {
					t.Errorf("reject: got action %q succeeded %v self-test %v, want opt-out, true, true", res.Action, res.Succeeded, res.SelfTest)
				}
				fallthrough
			default:
				if len(good) != 0 {
					t.Errorf("%s: the analytics that waits for consent loaded: %q", state, good)
				}
			}
			if state == crawl.ConsentNone || state == crawl.ConsentGPC {
				if res.Action != "" {
					t.Errorf("%s: the banner was answered (%s)", state, res.Action)
				}
			}
			// navigator.globalPrivacyControl, in the page and its frame.
			wantGPC := "gpc=undefined"
			if state == crawl.ConsentGPC {
				wantGPC = "gpc=true"
			}
			frame := site.sawPrefix("px.example-bad.net/tr?frame=1")
			for _, r := range append(slices.Clone(bad), frame...) {
				if !strings.Contains(r, wantGPC) {
					t.Errorf("%s: pixel %s, want %s", state, r, wantGPC)
				}
			}
			if len(frame) == 0 {
				t.Errorf("%s: the iframe's pixel did not fire", state)
			}
		})
	}
}
