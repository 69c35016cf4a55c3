package tui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

func TestNewRequiresStore(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Fatal("New without a store: got nil error, want one")
	}
}

func TestListShowsRowsWithSeverityColoursAndHeaderCounts(t *testing.T) {
	st := openStore(t)
	save(t, st, standardFixtures()...)
	live := func() LiveStats {
		return LiveStats{Stats: phiproxy.Stats{Seen: 41, Inspected: 39, Flagged: 2, Dropped: 2}, QueueDepth: 3, QueueCap: 100}
	}
	hs := startApp(t, Options{Store: st, Listen: "127.0.0.1:8080", CAFingerprint: "ab:cd:ef:01", Live: live}, 80, 24)
	scr := hs.waitText("seen 41")
	for _, want := range []string{"127.0.0.1:8080", "ab:cd:ef:01", "inspected 39", "flagged 2", "not inspected 2", "queue 3/100", "FOLLOW", "showing 3",
		"www.facebook.com", "clinic.example", "/api/ping", "email", "medication"} {
		if !strings.Contains(scr, want) {
			t.Errorf("screen lacks %q:\n%s", want, scr)
		}
	}
	tests := []struct {
		text      string
		color     tcell.Color
		bold      bool
		anyColour bool
	}{
		{text: "critical", color: tcell.ColorRed, bold: true},
		{text: "medium", color: tcell.ColorOlive},
	}
	for _, tc := range tests {
		x, y, ok := hs.find(tc.text)
		if !ok {
			t.Fatalf("%q not on screen:\n%s", tc.text, scr)
		}
		fg, _, attr := hs.styleAt(x, y).Decompose()
		if fg != tc.color {
			t.Errorf("%s colour: got %v, want %v", tc.text, fg, tc.color)
		}
		if got := attr&tcell.AttrBold != 0; got != tc.bold {
			t.Errorf("%s bold: got %v, want %v", tc.text, got, tc.bold)
		}
	}
}

// TestHeaderShowsFailingDatabaseWrites: while the database refuses
// writes, the header says so, with the flows waiting and those lost.
func TestHeaderShowsFailingDatabaseWrites(t *testing.T) {
	st := openStore(t)
	save(t, st, standardFixtures()...)
	var mu sync.Mutex
	failing := true
	live := func() LiveStats {
		mu.Lock()
		defer mu.Unlock()
		ls := LiveStats{Stats: phiproxy.Stats{Seen: 20, Inspected: 20, Flagged: 15}, Lost: 3}
		if failing {
			ls.WriteErr, ls.Unsaved = "save batch: database is locked", 12
		}
		return ls
	}
	hs := startApp(t, Options{Store: st, Listen: "127.0.0.1:8080", Live: live}, 100, 24)
	scr := hs.waitText("DB WRITES FAILING")
	for _, want := range []string{"12 unsaved", "database is locked", "not saved 3"} {
		if !strings.Contains(scr, want) {
			t.Errorf("screen lacks %q:\n%s", want, scr)
		}
	}
	mu.Lock()
	failing = false
	mu.Unlock()
	scr = hs.waitFor("the failure to clear", func(s string) bool { return !strings.Contains(s, "DB WRITES FAILING") })
	if !strings.Contains(scr, "not saved 3") {
		t.Errorf("lost flows no longer shown once writes work again:\n%s", scr)
	}
}

func TestColumnsFollowWidth(t *testing.T) {
	st := openStore(t)
	save(t, st, standardFixtures()...)
	hs := startApp(t, Options{Store: st}, 80, 24)
	scr := hs.waitText("www.facebook.com")
	for _, hidden := range []string{"VENDOR", "PARTY", "Meta Pixel"} {
		if strings.Contains(scr, hidden) {
			t.Errorf("80 columns: %q shown, want it dropped:\n%s", hidden, scr)
		}
	}
	hs.resize(160, 48)
	scr = hs.waitText("VENDOR")
	for _, want := range []string{"PARTY", "Meta Pixel", "Google Analytics", "third", "first", "dt=Sertraline%20refill"} {
		if !strings.Contains(scr, want) {
			t.Errorf("160 columns: %q missing:\n%s", want, scr)
		}
	}
	hs.resize(80, 24)
	hs.waitGone("VENDOR")
}

func TestDetailShowsFindingInItsFieldHighlighted(t *testing.T) {
	st := openStore(t)
	save(t, st, standardFixtures()...)
	fields := func(f *phiproxy.Flow) []phiproxy.Field {
		return []phiproxy.Field{{Chain: []string{"body", "json:$.email"}, Key: "email", Value: "jane@example.com"}}
	}
	hs := startApp(t, Options{Store: st, Fields: fields}, 160, 48)
	hs.waitText("www.facebook.com")
	// Follow selects the newest row; go up to the first flow.
	hs.key(tcell.KeyUp)
	hs.keys("k")
	hs.key(tcell.KeyEnter)
	scr := hs.waitText("Findings (1)")
	for _, want := range []string{"POST https://www.facebook.com/tr?id=123", "party third", "vendor Meta Pixel", "category advertising", "BAA no",
		"critical", "body > json:$.email", "Decoded fields (1)", "body > json:$.email = jane@example.com", "Cookie: sid=secret-cookie",
		`{"email":"jane@example.com"}`, "response 200 OK", "body: decoded json"} {
		if !strings.Contains(scr, want) {
			t.Errorf("detail lacks %q:\n%s", want, scr)
		}
	}
	// The match inside the field line is drawn reversed; the quote before
	// it is not.
	x, y, ok := hs.find(`field {"email":"jane@example.com"}`)
	if !ok {
		t.Fatalf("field line not on screen:\n%s", scr)
	}
	matchX := x + len(`field {"email":"`)
	_, _, attr := hs.styleAt(matchX, y).Decompose()
	if attr&tcell.AttrReverse == 0 {
		t.Errorf("match cell attrs %v: want reverse", attr)
	}
	_, _, attr = hs.styleAt(matchX-1, y).Decompose()
	if attr&tcell.AttrReverse != 0 {
		t.Errorf("cell before the match is highlighted too")
	}
	_, _, attr = hs.styleAt(matchX+len("jane@example.com"), y).Decompose()
	if attr&tcell.AttrReverse != 0 {
		t.Errorf("cell after the match is highlighted too")
	}

	// Tab moves the keys to the list; moving there updates the detail.
	hs.key(tcell.KeyTab)
	hs.keys("j")
	hs.waitText("Findings (1)")
	hs.waitText("GET https://www.google-analytics.com/g/collect")
	hs.key(tcell.KeyEscape)
	hs.waitGone("Findings (")
}

func TestFilterInput(t *testing.T) {
	st := openStore(t)
	save(t, st, standardFixtures()...)
	hs := startApp(t, Options{Store: st}, 120, 30)
	hs.waitText("clinic.example")
	tests := []struct {
		filter     string
		want, gone []string
	}{
		{"host:facebook.com", []string{"www.facebook.com", "showing 1"}, []string{"clinic.example", "google-analytics"}},
		{"kind:medication", []string{"google-analytics", "showing 1"}, []string{"www.facebook.com", "clinic.example"}},
		{"vendor:google_analytics refill", []string{"google-analytics", "showing 1"}, []string{"www.facebook.com"}},
		{"ping", []string{"clinic.example", "showing 1"}, []string{"www.facebook.com"}},
		{"sev:high", []string{"www.facebook.com", "floor ≥high"}, []string{"google-analytics", "clinic.example"}},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			hs := hs.with(t)
			hs.keys("/")
			hs.waitText("filter: ")
			// Clear what the input holds, then type the filter.
			hs.key(tcell.KeyCtrlU)
			hs.keys(tc.filter)
			hs.key(tcell.KeyEnter)
			hs.waitFor("filtered list", func(s string) bool {
				if !strings.Contains(s, "filter "+tc.filter) {
					return false
				}
				for _, w := range tc.want {
					if !strings.Contains(s, w) {
						return false
					}
				}
				for _, g := range tc.gone {
					if strings.Contains(s, g) {
						return false
					}
				}
				return true
			})
		})
	}
	// Esc in the input clears the filter and the floor it set stays.
	hs.keys("/")
	hs.key(tcell.KeyEscape)
	hs.waitText("filter none")
	// A bad token is reported and leaves the list alone.
	hs.keys("/")
	hs.keys(" kind:bogus")
	hs.key(tcell.KeyEnter)
	hs.waitText(`unknown kind "bogus"`)
}

func TestSeverityFloorCycles(t *testing.T) {
	st := openStore(t)
	save(t, st, standardFixtures()...)
	hs := startApp(t, Options{Store: st}, 120, 30)
	hs.waitText("showing 3")
	steps := []struct {
		floor string
		rows  int
	}{{"low", 2}, {"medium", 2}, {"high", 1}, {"critical", 1}, {"info", 3}}
	for _, s := range steps {
		hs.keys("s")
		hs.waitFor("floor "+s.floor, func(scr string) bool {
			return strings.Contains(scr, "floor ≥"+s.floor) && strings.Contains(scr, "showing "+strconv.Itoa(s.rows))
		})
	}
}

func TestRedactionHidesMatchedValuesEverywhere(t *testing.T) {
	st := openStore(t)
	save(t, st, standardFixtures()...)
	fields := func(f *phiproxy.Flow) []phiproxy.Field {
		return []phiproxy.Field{{Chain: []string{"body", "json:$.email"}, Value: "jane@example.com"}}
	}
	hs := startApp(t, Options{Store: st, Fields: fields}, 160, 48)
	hs.waitText("www.facebook.com")
	hs.key(tcell.KeyUp)
	hs.key(tcell.KeyUp)
	hs.key(tcell.KeyEnter)
	hs.waitText("jane@example.com")
	hs.keys("r")
	scr := hs.waitText("REDACTED")
	scr = hs.waitText("[redacted email]")
	secrets := []string{"jane@example.com", "jane%40example.com", "jane", "Sertraline", "secret-cookie", "sertraline"}
	for _, s := range secrets {
		if strings.Contains(scr, s) {
			t.Errorf("redacted screen shows %q:\n%s", s, scr)
		}
	}
	// The curl modal while redacting hides them too.
	hs.keys("y")
	scr = hs.waitText("curl")
	for _, s := range secrets {
		if strings.Contains(scr, s) {
			t.Errorf("redacted curl modal shows %q:\n%s", s, scr)
		}
	}
	hs.key(tcell.KeyEscape)
	hs.keys("r")
	hs.waitText("jane@example.com")
}

func TestFollowAndPauseWithLiveUpdates(t *testing.T) {
	st := openStore(t)
	save(t, st, standardFixtures()...)
	hs := startApp(t, Options{Store: st}, 120, 30)
	hs.waitText("showing 3")

	// A batch saved while running appears, selected because of follow.
	save(t, st, fixture{url: "https://analytics.tiktok.com/api/v2/pixel", vendor: "TikTok",
		findings: []phiproxy.Finding{finding(phiproxy.KindPhone, "5551234567", "tel 5551234567", phiproxy.High)}})
	hs.waitText("analytics.tiktok.com")
	hs.waitText("showing 4")
	x, y, _ := hs.find("analytics.tiktok.com")
	if _, _, attr := hs.styleAt(x, y).Decompose(); attr&tcell.AttrReverse == 0 {
		t.Errorf("newest row not selected while following (attrs %v)", attr)
	}

	hs.keys("f")
	hs.waitGone("FOLLOW")
	hs.keys("f")
	hs.waitText("FOLLOW")

	hs.keys("p")
	hs.waitText("PAUSED +0")
	save(t, st, fixture{url: "https://px.ads.linkedin.com/collect", vendor: "LinkedIn"})
	hs.waitText("PAUSED +1")
	if strings.Contains(hs.text(), "px.ads.linkedin.com") {
		t.Fatal("paused list shows a new row")
	}
	hs.keys("p")
	hs.waitText("px.ads.linkedin.com")
	hs.waitGone("PAUSED")
	hs.waitText("showing 5")
}

func TestHelpOverlayListsKeys(t *testing.T) {
	st := openStore(t)
	hs := startApp(t, Options{Store: st}, 100, 30)
	hs.keys("?")
	scr := hs.waitText("keys (Esc closes)")
	for _, kv := range keyHelp {
		// Long descriptions wrap; their start is enough.
		if !strings.Contains(scr, kv[1][:min(20, len(kv[1]))]) {
			t.Errorf("help lacks %q:\n%s", kv[1], scr)
		}
	}
	hs.key(tcell.KeyEscape)
	hs.waitGone("keys (Esc closes)")
}

func TestCurlCopiesSelectedRequest(t *testing.T) {
	st := openStore(t)
	save(t, st, standardFixtures()...)
	hs := startApp(t, Options{Store: st}, 160, 48)
	hs.waitText("clinic.example")
	hs.keys("kk")
	hs.keys("y")
	hs.waitText("--data-binary")
	var clip []byte
	hs.onUI(func() { clip = hs.screen.GetClipboardData() })
	got := string(clip)
	for _, want := range []string{"curl", "-X 'POST'", `'https://www.facebook.com/tr?id=123&ev=Lead&cd%5Bemail%5D=jane%40example.com'`, `--data-binary '{"email":"jane@example.com"}'`} {
		if !strings.Contains(got, want) {
			t.Errorf("clipboard lacks %q:\n%s", want, got)
		}
	}
	hs.key(tcell.KeyEscape)
	hs.waitGone("--data-binary")
}

func TestExport(t *testing.T) {
	t.Run("unavailable", func(t *testing.T) {
		st := openStore(t)
		hs := startApp(t, Options{Store: st}, 100, 30)
		hs.keys("e")
		hs.waitText("Export is not available")
		hs.key(tcell.KeyEnter)
		hs.waitGone("Export is not available")
	})
	t.Run("selected and filtered", func(t *testing.T) {
		st := openStore(t)
		save(t, st, standardFixtures()...)
		dir := t.TempDir()
		var mu sync.Mutex
		var got []store.Filter
		export := func(ctx context.Context, f store.Filter) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, f)
			if len(got) == 2 {
				return "", errors.New("disk full")
			}
			p := filepath.Join(dir, "bundle.zip")
			return p, os.WriteFile(p, []byte("zip"), 0o600)
		}
		hs := startApp(t, Options{Store: st, Export: export}, 120, 30)
		hs.waitText("clinic.example")
		hs.keys("e")
		hs.waitText("Selected flow #3")
		hs.key(tcell.KeyEnter)
		hs.waitText("Exported to")
		hs.waitText("bundle.zip")
		hs.key(tcell.KeyEnter)
		hs.waitGone("Exported to")

		hs.keys("s") // floor low: the filtered set is the two flagged flows
		hs.waitText("showing 2")
		hs.keys("e")
		hs.waitText("Filtered set (2)")
		hs.key(tcell.KeyTab)
		hs.key(tcell.KeyEnter)
		hs.waitText("Export failed: disk full")

		mu.Lock()
		defer mu.Unlock()
		if len(got) != 2 {
			t.Fatalf("export calls: got %d, want 2", len(got))
		}
		if len(got[0].IDs) != 1 || got[0].IDs[0] != 3 {
			t.Errorf("selected export filter: got %+v, want IDs [3]", got[0])
		}
		if got[1].MinSeverity != phiproxy.Low || len(got[1].IDs) != 0 {
			t.Errorf("filtered export filter: got %+v, want MinSeverity low", got[1])
		}
	})
}

func TestQuitKeys(t *testing.T) {
	for _, tc := range []struct {
		name string
		send func(hs *harness)
	}{
		{"q", func(hs *harness) { hs.keys("q") }},
		{"ctrl-c", func(hs *harness) { hs.key(tcell.KeyCtrlC) }},
		{"context", func(hs *harness) { hs.cancel() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			save(t, st, standardFixtures()...)
			hs := startApp(t, Options{Store: st, ReadOnly: true}, 80, 24)
			hs.waitText("review")
			tc.send(hs)
			select {
			case err := <-hs.done:
				if err != nil {
					t.Fatalf("Run: got %v, want nil", err)
				}
				hs.done <- nil // for the cleanup
			case <-time.After(waitTimeout):
				t.Fatal("Run did not return within 5s")
			}
		})
	}
}

func TestRunTwiceFails(t *testing.T) {
	st := openStore(t)
	hs := startApp(t, Options{Store: st}, 80, 24)
	if err := hs.a.Run(context.Background()); err == nil {
		t.Fatal("second Run: got nil error, want one")
	}
}

func TestReviewHeaderShowsStoredStats(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	run, err := st.BeginRun(ctx, store.Run{Command: "run"})
	if err != nil {
		t.Fatal(err)
	}
	fx := standardFixtures()[0]
	if err := st.SaveBatch(ctx, run, []store.Record{fx.record(0)}, phiproxy.Stats{Seen: 7, Inspected: 6, Flagged: 1, Dropped: 1}); err != nil {
		t.Fatal(err)
	}
	hs := startApp(t, Options{Store: st, ReadOnly: true, DBPath: "/data/session.db"}, 100, 30)
	scr := hs.waitText("seen 7")
	for _, want := range []string{"review", "/data/session.db", "inspected 6", "flagged 1", "not inspected 1"} {
		if !strings.Contains(scr, want) {
			t.Errorf("header lacks %q:\n%s", want, scr)
		}
	}
	if strings.Contains(scr, "queue") {
		t.Errorf("review header shows a queue:\n%s", scr)
	}
}

func TestHelpFitsSmallScreen(t *testing.T) {
	st := openStore(t)
	hs := startApp(t, Options{Store: st}, 80, 24)
	hs.keys("?")
	scr := hs.waitText("keys (Esc closes)")
	for _, want := range []string{"Ctrl-C", "quit", "Severity colours"} {
		if !strings.Contains(scr, want) {
			t.Errorf("80x24 help lacks %q:\n%s", want, scr)
		}
	}
}

func TestDetailHidesFieldsSectionWithoutDecoder(t *testing.T) {
	st := openStore(t)
	save(t, st, standardFixtures()...)
	hs := startApp(t, Options{Store: st}, 120, 40)
	hs.waitText("clinic.example")
	hs.key(tcell.KeyEnter)
	scr := hs.waitText("Findings (0)")
	if strings.Contains(scr, "Decoded fields") {
		t.Errorf("decoded fields shown without Options.Fields:\n%s", scr)
	}
}

func TestSelectionStaysInViewWithoutFollow(t *testing.T) {
	st := openStore(t)
	save(t, st, standardFixtures()...)
	hs := startApp(t, Options{Store: st}, 100, 24)
	hs.waitText("clinic.example")
	hs.keys("kk") // first flow, follow off
	hs.waitGone("FOLLOW")
	many := make([]fixture, 60)
	for i := range many {
		many[i] = fixture{url: "https://cdn.example/asset/" + strconv.Itoa(i)}
	}
	save(t, st, many...)
	scr := hs.waitText("showing 63")
	x, y, ok := hs.find("www.facebook.com")
	if !ok {
		t.Fatalf("selected first flow scrolled out of view:\n%s", scr)
	}
	if _, _, attr := hs.styleAt(x, y).Decompose(); attr&tcell.AttrReverse == 0 {
		t.Errorf("first flow is not the selected row")
	}
}

func TestBurstOfBatchesCoalescesRedraws(t *testing.T) {
	st := openStore(t)
	hs := startApp(t, Options{Store: st}, 100, 30)
	var before int
	hs.onUI(func() { before = hs.a.applied })
	start := time.Now()
	for i := 0; i < 100; i++ {
		save(t, st, fixture{url: "https://cdn.example/burst/" + strconv.Itoa(i)})
	}
	hs.waitText("showing 100")
	elapsed := time.Since(start)
	var after int
	hs.onUI(func() { after = hs.a.applied })
	// One update per minRedraw at most, plus the ticker and slack for the
	// update in flight when the burst began and the one that ends it.
	limit := int(elapsed/minRedraw) + int(elapsed/statsEvery) + 3
	if got := after - before; got > limit || got < 1 {
		t.Errorf("updates for 100 batches in %v: got %d, want 1..%d", elapsed, got, limit)
	}
}

func TestDatabaseErrorIsShownAndNotFatal(t *testing.T) {
	st := openStore(t)
	save(t, st, standardFixtures()...)
	hs := startApp(t, Options{Store: st}, 120, 30)
	hs.waitText("clinic.example")
	st.Close()
	hs.waitText("read database:")
	// The list already shown stays, and keys still work.
	hs.keys("f")
	hs.waitGone("FOLLOW")
	if !strings.Contains(hs.text(), "clinic.example") {
		t.Errorf("rows vanished after a read error:\n%s", hs.text())
	}
}

func TestDetailMarksConsentViolations(t *testing.T) {
	st := openStore(t)
	rec := standardFixtures()[0].record(0)
	rec.Flow.Consent = "reject"
	rec.Inspection.Findings[0].ConsentViolation = true
	if err := st.SaveBatch(context.Background(), 0, []store.Record{rec}, phiproxy.Stats{}); err != nil {
		t.Fatal(err)
	}
	hs := startApp(t, Options{Store: st}, 160, 48)
	hs.waitText("www.facebook.com")
	hs.key(tcell.KeyEnter)
	scr := hs.waitText("Findings (1)")
	for _, want := range []string{"consent state reject", "CONSENT VIOLATION"} {
		if !strings.Contains(scr, want) {
			t.Errorf("detail lacks %q:\n%s", want, scr)
		}
	}
}

func TestDetailShowsBothSidesProtocols(t *testing.T) {
	st := openStore(t)
	rec := standardFixtures()[0].record(0)
	rec.Flow.ClientProto, rec.Flow.UpstreamProto = "HTTP/2.0", "HTTP/1.1"
	if err := st.SaveBatch(context.Background(), 0, []store.Record{rec}, phiproxy.Stats{}); err != nil {
		t.Fatal(err)
	}
	hs := startApp(t, Options{Store: st}, 160, 48)
	hs.waitText("www.facebook.com")
	hs.key(tcell.KeyEnter)
	if scr := hs.waitText("Findings ("); !strings.Contains(scr, "protocol browser HTTP/2.0, origin HTTP/1.1") {
		t.Errorf("detail lacks both protocols:\n%s", scr)
	}
}
