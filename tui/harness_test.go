package tui

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

// fixedNow is the clock of every test: flows are stamped the same day.
var fixedNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.Local)

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "phiproxy.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// fixture describes one flow to save.
type fixture struct {
	method, url, vendor string
	party               phiproxy.Party
	body                string
	findings            []phiproxy.Finding
}

func (fx fixture) record(i int) store.Record {
	host := (&phiproxy.Request{URL: fx.url}).URLHost()
	method := fx.method
	if method == "" {
		method = "GET"
	}
	f := &phiproxy.Flow{
		Start: fixedNow.Add(-time.Hour + time.Duration(i)*time.Second), Source: "proxy", ClientAddr: "127.0.0.1:50000",
		Request: phiproxy.Request{
			Method: method, URL: fx.url, Host: host, Proto: "HTTP/1.1",
			Header: http.Header{"Content-Type": {"application/json"}, "Cookie": {"sid=secret-cookie"}},
			Body:   []byte(fx.body), BodySize: int64(len(fx.body)),
		},
		Response: &phiproxy.Response{Status: 200, Proto: "HTTP/1.1", BodySize: 43},
	}
	party := fx.party
	if party == "" {
		party = phiproxy.ThirdParty
	}
	in := phiproxy.Inspection{
		Destination: phiproxy.Destination{Host: host, Domain: host, Party: party, Vendor: fx.vendor, Category: "advertising"},
		Findings:    fx.findings, Fields: 4, Notes: []string{"body: decoded json"},
	}
	for _, fd := range fx.findings {
		if fd.Severity > in.Severity {
			in.Severity = fd.Severity
		}
	}
	return store.Record{Flow: f, Inspection: in}
}

func finding(k phiproxy.Kind, value, field string, sev phiproxy.Severity) phiproxy.Finding {
	start := strings.Index(field, value)
	return phiproxy.Finding{
		Kind: k, Term: strings.ToLower(value), Value: value, Path: "body > json:$." + string(k),
		Field: field, Start: start, End: start + len(value), Source: phiproxy.SourcePattern, Score: 0.9, Severity: sev,
	}
}

// standardFixtures are three flows of different hosts, kinds and severities.
func standardFixtures() []fixture {
	return []fixture{
		{method: "POST", url: "https://www.facebook.com/tr?id=123&ev=Lead&cd%5Bemail%5D=jane%40example.com", vendor: "Meta Pixel",
			body:     `{"email":"jane@example.com"}`,
			findings: []phiproxy.Finding{finding(phiproxy.KindEmail, "jane@example.com", `{"email":"jane@example.com"}`, phiproxy.Critical)}},
		{url: "https://www.google-analytics.com/g/collect?v=2&en=page_view&dt=Sertraline%20refill", vendor: "Google Analytics",
			findings: []phiproxy.Finding{finding(phiproxy.KindMedication, "Sertraline", "Sertraline refill", phiproxy.Medium)}},
		{url: "https://clinic.example/api/ping", party: phiproxy.FirstParty},
	}
}

func save(t testing.TB, st *store.Store, fixtures ...fixture) {
	t.Helper()
	recs := make([]store.Record, len(fixtures))
	for i, fx := range fixtures {
		recs[i] = fx.record(i)
	}
	if err := st.SaveBatch(context.Background(), 0, recs, phiproxy.Stats{}); err != nil {
		t.Fatal(err)
	}
}

// harness runs an App on a simulation screen.
type harness struct {
	t      *testing.T
	a      *App
	screen tcell.SimulationScreen
	done   chan error
	cancel context.CancelFunc
}

func startApp(t *testing.T, opts Options, w, h int) *harness {
	t.Helper()
	screen := tcell.NewSimulationScreen("UTF-8")
	opts.Screen = screen
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixedNow }
	}
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hs := &harness{t: t, a: a, screen: screen, done: make(chan error, 1), cancel: cancel}
	go func() { hs.done <- a.Run(ctx) }()
	// Wait for the first draw, then size the screen.
	hs.waitFor("first draw", func(s string) bool { return strings.Contains(s, "phiproxy") })
	hs.resize(w, h)
	t.Cleanup(func() {
		cancel()
		select {
		case <-hs.done:
		case <-time.After(waitTimeout):
			t.Error("Run did not return within 5s of cancel")
		}
	})
	return hs
}

func (hs *harness) resize(w, h int) {
	hs.screen.SetSize(w, h)
	hs.screen.PostEvent(tcell.NewEventResize(w, h))
	hs.waitFor(fmt.Sprintf("resize to %dx%d", w, h), func(string) bool {
		_, gw, gh := hs.cells()
		return gw == w && gh == h
	})
}

// onUI runs fn on the UI goroutine, so reading the screen cannot race a
// draw. It fails the test when the event loop does not answer in time.
func (hs *harness) onUI(fn func()) bool {
	done := make(chan struct{})
	go func() {
		defer func() { recover() }() // the loop may be gone in a failing test
		hs.a.app.QueueUpdate(fn)
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(waitTimeout):
		hs.t.Fatal("UI goroutine did not answer in time")
		return false
	}
}

// cells copies the screen.
func (hs *harness) cells() ([]tcell.SimCell, int, int) {
	var out []tcell.SimCell
	var w, h int
	hs.onUI(func() {
		cells, cw, ch := hs.screen.GetContents()
		out = make([]tcell.SimCell, len(cells))
		for i, c := range cells {
			out[i] = tcell.SimCell{Style: c.Style, Runes: append([]rune(nil), c.Runes...)}
		}
		w, h = cw, ch
	})
	return out, w, h
}

// text renders the screen as lines of text.
func (hs *harness) text() string {
	cells, w, h := hs.cells()
	var b strings.Builder
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := cells[y*w+x]
			if len(c.Runes) > 0 && c.Runes[0] != 0 {
				b.WriteRune(c.Runes[0])
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// find returns the position of s on screen, or ok false.
func (hs *harness) find(s string) (x, y int, ok bool) {
	for y, line := range strings.Split(hs.text(), "\n") {
		if i := strings.Index(line, s); i >= 0 {
			return len([]rune(line[:i])), y, true
		}
	}
	return 0, 0, false
}

// styleAt is the style of the cell at x, y.
func (hs *harness) styleAt(x, y int) tcell.Style {
	cells, w, _ := hs.cells()
	return cells[y*w+x].Style
}

// with returns the harness reporting to t (a subtest).
func (hs *harness) with(t *testing.T) *harness {
	c := *hs
	c.t = t
	return &c
}

// waitTimeout bounds every wait; generous because the race detector on a
// busy machine slows each draw.
const waitTimeout = 15 * time.Second

// waitFor polls the screen until cond holds or waitTimeout passes.
func (hs *harness) waitFor(what string, cond func(screen string) bool) string {
	hs.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	var s string
	for time.Now().Before(deadline) {
		s = hs.text()
		if cond(s) {
			return s
		}
		time.Sleep(10 * time.Millisecond)
	}
	hs.t.Fatalf("waiting for %s: timed out; screen:\n%s", what, s)
	return s
}

func (hs *harness) waitText(s string) string {
	hs.t.Helper()
	return hs.waitFor(fmt.Sprintf("%q on screen", s), func(scr string) bool { return strings.Contains(scr, s) })
}

func (hs *harness) waitGone(s string) string {
	hs.t.Helper()
	return hs.waitFor(fmt.Sprintf("%q gone from screen", s), func(scr string) bool { return !strings.Contains(scr, s) })
}

func (hs *harness) key(k tcell.Key) { hs.screen.InjectKey(k, 0, tcell.ModNone) }

func (hs *harness) keys(s string) {
	for _, r := range s {
		hs.screen.InjectKey(tcell.KeyRune, r, tcell.ModNone)
	}
}

// settle waits until the UI goroutine has handled every key sent so far.
func (hs *harness) settle() {
	// Events and updates go through different channels; a round trip
	// through the screen's event queue first makes the order certain.
	time.Sleep(20 * time.Millisecond)
	hs.onUI(func() {})
}
