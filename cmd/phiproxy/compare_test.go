package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/testenv"
	"github.com/phiproxy/phiproxy/store"
)

// writeHAR writes a HAR of GET requests sent at one time from page.
func writeHAR(t *testing.T, path string, at time.Time, page string, urls ...string) {
	t.Helper()
	type nv struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	var entries []map[string]any
	for i, u := range urls {
		entries = append(entries, map[string]any{
			"startedDateTime": at.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano),
			"time":            10,
			"request": map[string]any{"method": "GET", "url": u, "httpVersion": "HTTP/1.1", "headers": []nv{{"Referer", page}},
				"queryString": []nv{}, "cookies": []nv{}, "headersSize": -1, "bodySize": 0},
			"response": map[string]any{"status": 204, "statusText": "", "httpVersion": "HTTP/1.1", "headers": []nv{}, "cookies": []nv{},
				"content": map[string]any{"size": 0, "mimeType": "image/gif"}, "redirectURL": "", "headersSize": -1, "bodySize": 0},
			"cache":   map[string]any{},
			"timings": map[string]any{"send": 1, "wait": 8, "receive": 1},
		})
	}
	b, err := json.Marshal(map[string]any{"log": map[string]any{"version": "1.2", "creator": map[string]any{"name": "test", "version": "1"}, "entries": entries}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// runsContract is README's table of `phiproxy runs --json` keys.
var runsContract = []string{"run_id", "label", "command", "site", "started", "ended", "seen", "flagged", "flows", "findings", "version"}

// TestScanBaselineExposureRuns scans recordings of three visits, the
// latest recorded first: a scan compares with a baseline and fails on
// the PHI it adds, exposure dates each kind from the earliest request of
// any run, and runs lists them with their labels.
func TestScanBaselineExposureRuns(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "scan.db")
	persona := filepath.Join(dir, "persona.json")
	if err := os.WriteFile(persona, []byte(`{"email": "jordan.whitfield@example.com", "phone": "+1 415 555 0134"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	const page = "https://clinic.test/"
	phone := "https://www.facebook.com/tr/?id=4471&ev=PageView&ph=4155550134"
	both := phone + "&em=jordan.whitfield%40example.com"
	march, january, february := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	writeHAR(t, filepath.Join(dir, "march.har"), march, page, phone)
	writeHAR(t, filepath.Join(dir, "january.har"), january, page, both, both)
	writeHAR(t, filepath.Join(dir, "february.har"), february, page, phone)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	phiproxy := func(args ...string) (int, string, string) {
		var o, e testenv.Buffer
		code := run(ctx, args, &o, &e)
		return code, o.String(), e.String()
	}
	scan := func(label, har string, extra ...string) (int, string) {
		args := append([]string{"scan", "--db", db, "--persona", persona, "--site", "clinic.test", "--fail-on", "critical", "--label", label}, extra...)
		code, _, stderr := phiproxy(append(args, filepath.Join(dir, har))...)
		return code, stderr
	}
	if code, stderr := scan("march", "march.har"); code != 0 {
		t.Fatalf("scan march: exit %d: %s", code, stderr)
	}
	base := filepath.Join(dir, "base.json")
	if code, _, stderr := phiproxy("baseline", "save", "--db", db, base); code != 0 {
		t.Fatalf("baseline save: exit %d: %s", code, stderr)
	}
	if fi, err := os.Stat(base); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("baseline file: %v, mode %v; want 0644, to be committed", err, fi.Mode())
	}
	code, stderr := scan("january", "january.har", "--baseline", base)
	if code != 1 || !strings.Contains(stderr, "! phi_added") || !strings.Contains(stderr, "now receives email at GET www.facebook.com/tr/") {
		t.Fatalf("scan january with --baseline: exit %d, want 1 and the email added:\n%s", code, stderr)
	}
	if code, stderr := scan("february", "february.har", "--baseline", base, "--fail-on-change", "cookie_added"); code != 0 || !strings.Contains(stderr, "no changes") {
		t.Errorf("scan february with --fail-on-change cookie_added: exit %d, want 0:\n%s", code, stderr)
	}

	code, stdout, _ := phiproxy("exposure", "--db", db, "--json")
	got := map[string]map[string]any{}
	for _, e := range parseJSONLines(t, stdout) {
		got[e["kind"].(string)] = e
	}
	if code != 0 || len(got) != 2 {
		t.Fatalf("exposure: exit %d, want phone and email:\n%s", code, stdout)
	}
	for kind, want := range map[string]struct {
		first, last time.Time
		runs, flows int
	}{"phone": {january, march, 3, 4}, "email": {january, january.Add(time.Second), 1, 2}} {
		e := got[kind]
		if e["first_seen"] != want.first.Format(time.RFC3339) || e["last_seen"] != want.last.Format(time.RFC3339) ||
			e["runs"] != float64(want.runs) || e["flows"] != float64(want.flows) || e["vendor"] != "Meta Pixel" || fmt.Sprint(e["pages"]) != "["+page+"]" {
			t.Errorf("exposure %s: got %v, want first %v last %v, %d runs, %d flows", kind, e, want.first, want.last, want.runs, want.flows)
		}
	}
	if code, stdout, _ := phiproxy("exposure", "--db", db); code != 0 || !strings.Contains(stdout, "2026-01-15 09:00") {
		t.Errorf("exposure table: exit %d:\n%s", code, stdout)
	}

	code, stdout, _ = phiproxy("runs", "--db", db, "--json")
	runs := parseJSONLines(t, stdout)
	if code != 0 || len(runs) != 3 {
		t.Fatalf("runs: exit %d:\n%s", code, stdout)
	}
	for i, label := range []string{"march", "january", "february"} {
		var keys []string
		for k := range runs[i] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		want := append([]string(nil), runsContract...)
		sort.Strings(want)
		if !reflect.DeepEqual(keys, want) {
			t.Errorf("runs keys:\ngot  %v\nwant %v", keys, want)
		}
		if runs[i]["label"] != label || runs[i]["command"] != "scan" || runs[i]["site"] != "clinic.test" || runs[i]["run_id"] != float64(i+1) || runs[i]["flows"] == float64(0) {
			t.Errorf("run %d: got %v", i+1, runs[i])
		}
	}
	if code, stdout, _ := phiproxy("runs", "--db", db); code != 0 || !strings.Contains(stdout, "january") {
		t.Errorf("runs table: exit %d:\n%s", code, stdout)
	}
}

// TestCompareCommandErrors: every misuse exits 2 with a message, and
// nothing is written.
func TestCompareCommandErrors(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "scan.db")
	writeHAR(t, filepath.Join(dir, "a.har"), time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), "https://clinic.test/", "https://www.facebook.com/tr/?id=1")
	ctx := context.Background()
	var o, e testenv.Buffer
	if code := run(ctx, []string{"scan", "--db", db, filepath.Join(dir, "a.har")}, &o, &e); code != 0 {
		t.Fatalf("scan: exit %d: %s", code, e.String())
	}
	broken := filepath.Join(dir, "broken.json")
	os.WriteFile(broken, []byte(`{"format": 9, "vendors": []}`), 0o644)
	for _, args := range [][]string{
		{"diff", "--db", db, "1"},
		{"diff", "--db", db, "1", "2", "3"},
		{"diff", "--db", db, "1", "99"},
		{"diff", "--db", db, "1", "-4"},
		{"diff", filepath.Join(dir, "missing.db"), db},
		{"diff", "--db", db, "--baseline", filepath.Join(dir, "missing.json")},
		{"diff", "--db", db, "--baseline", broken},
		{"diff", "--db", db, "--fail-on", "vendor_moved", "1", "1"},
		{"baseline"},
		{"baseline", "save", "--db", db},
		{"baseline", "save", "--db", db, "--run", "7", filepath.Join(dir, "out.json")},
		{"exposure", "--db", filepath.Join(dir, "missing.db")},
		{"runs", "--db", db, "extra"},
		{"export", "--db", db, "--out", filepath.Join(dir, "x.zip"), "--diff", "1"},
		{"scan", "--db", db, "--baseline", filepath.Join(dir, "missing.json"), filepath.Join(dir, "a.har")},
		{"scan", "--db", db, "--update-baseline", filepath.Join(dir, "a.har")},
		{"scan", "--db", db, "--baseline", broken, filepath.Join(dir, "a.har")},
	} {
		var o, e testenv.Buffer
		if code := run(ctx, args, &o, &e); code != 2 || e.String() == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, e.String())
		}
	}
	for _, f := range []string{"out.json", "x.zip", "missing.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s was written by a failing command", f)
		}
	}
	// The scans refused before reading left no run behind.
	var runs testenv.Buffer
	run(ctx, []string{"runs", "--db", db, "--json"}, &runs, &e)
	if n := strings.Count(runs.String(), "\n"); n != 1 {
		t.Errorf("runs after refused scans: got %d, want 1:\n%s", n, runs.String())
	}
}

// TestRunNoTUIWithBaseline: a headless proxy run, named with --label,
// prints what it saw that the baseline has not when it stops.
func TestRunNoTUIWithBaseline(t *testing.T) {
	o := newOrigin(t)
	base := filepath.Join(t.TempDir(), "empty.json")
	if err := os.WriteFile(base, []byte(`{"format": 1, "vendors": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startProxy(t, "--baseline", base, "--label", "live review", "--resolve", "tracker.test="+o.addr(), "--upstream-ca", o.certFile)
	c := r.client(t)
	if code, _ := do(t, c, "GET", "https://tracker.test/tr?ev=PageView&em=jane.doe%40example.com", "", ""); code != 200 {
		t.Fatalf("request through the proxy: %d", code)
	}
	r.stop(t)
	stderr := r.stderr.String()
	for _, want := range []string{"from baseline " + base, "vendor_added", "now receives email at GET tracker.test/tr"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	code, stdout, _ := cli(t, "runs", "--db", r.db, "--json")
	if runs := parseJSONLines(t, stdout); code != 0 || len(runs) != 1 || runs[0]["label"] != "live review" || runs[0]["command"] != "run" {
		t.Errorf("runs: exit %d:\n%s", code, stdout)
	}
}

// The README's Runs table documents every key of `phiproxy runs --json`.
func TestREADMEDocumentsRunsKeys(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "### Runs")
	if start < 0 {
		t.Fatal("README has no Runs section")
	}
	section := doc[start:]
	if end := strings.Index(section, "\n## "); end > 0 {
		section = section[:end]
	}
	for _, k := range runsContract {
		if !strings.Contains(section, "`"+k+"`") {
			t.Errorf("README Runs section does not document `%s`", k)
		}
	}
}

// TestExposureOverManyRuns: 40 runs, stored in an order unrelated to when
// their requests were sent, date each kind by the earliest and latest
// request of any run.
func TestExposureOverManyRuns(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "many.db")
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var first, last time.Time
	const runs = 40
	for i := 0; i < runs; i++ {
		// Weeks in a shuffled order: 5, 22, 39, 16, 33, ...; the earliest
		// is not the first run stored, nor the latest the last.
		at := base.Add(time.Duration((i*17+5)%runs) * 7 * 24 * time.Hour)
		if first.IsZero() || at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
		id, err := st.BeginRun(ctx, store.Run{Command: "scan"})
		if err != nil {
			t.Fatal(err)
		}
		f := &phiproxy.Flow{Start: at, Source: "har", Page: fmt.Sprintf("https://clinic.test/visit/%d?x=1", i%3),
			Request: phiproxy.Request{Method: "GET", URL: "https://www.facebook.com/tr/?id=1&em=x", BodySize: -1}}
		in := phiproxy.Inspection{Destination: phiproxy.Destination{Host: "www.facebook.com", Domain: "facebook.com", Party: phiproxy.ThirdParty, Vendor: "Meta Pixel"},
			Severity: phiproxy.Medium, Findings: []phiproxy.Finding{{Kind: phiproxy.KindEmail, Term: "x", Value: "x", Path: "query:em", Source: phiproxy.SourcePattern, Severity: phiproxy.Medium}}}
		if err := st.SaveBatch(ctx, id, []store.Record{{Flow: f, Inspection: in}}, phiproxy.Stats{Seen: 1, Flagged: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	var o, e testenv.Buffer
	if code := run(ctx, []string{"exposure", "--db", db, "--json"}, &o, &e); code != 0 {
		t.Fatalf("exposure: exit %d: %s", code, e.String())
	}
	got := parseJSONLines(t, o.String())
	if len(got) != 1 {
		t.Fatalf("exposure: got %d entries, want 1:\n%s", len(got), o.String())
	}
	x := got[0]
	if x["first_seen"] != first.Format(time.RFC3339) || x["last_seen"] != last.Format(time.RFC3339) || x["runs"] != float64(runs) || x["flows"] != float64(runs) ||
		fmt.Sprint(x["pages"]) != "[https://clinic.test/visit/0 https://clinic.test/visit/1 https://clinic.test/visit/2]" || x["max_severity"] != "medium" {
		t.Errorf("exposure: got %v, want first %v, last %v over %d runs", x, first, last, runs)
	}
}
