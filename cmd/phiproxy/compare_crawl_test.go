package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
	"github.com/phiproxy/phiproxy/internal/testenv"
)

// The clinic's site, in two versions served from one origin: version 2
// ships new bytes of Intercom's widget, adds TikTok's pixel, and puts the
// visitor's email where Meta's pixel picks it up, so that its beacon,
// which already carried the phone number, carries the email too.
const (
	widgetV1 = "(function () { localStorage.setItem(\"intercom.session\", \"s1\"); })();\n"
	widgetV2 = "(function () { localStorage.setItem(\"intercom.session\", \"s1\"); /* 2.0: faster boot */ })();\n"
	// fbevents reads the visitor from the page, as advanced matching does.
	fbEvents = `(function () {
  var v = document.querySelector('meta[name="visitor"]');
  var q = "id=4471&ev=PageView&ph=" + encodeURIComponent(v.getAttribute("data-phone"));
  var em = v.getAttribute("data-email");
  if (em) { q += "&em=" + encodeURIComponent(em); }
  new Image().src = "https://www.facebook.com/tr/?" + q;
})();
`
	tiktokEvents = "window.ttq = window.ttq || []; window.ttq.push(['page']);\n"
)

// versionedClinic serves the site and its vendors' hosts; version says
// which version of the site is live.
func versionedClinic(version *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v2 := version.Load() == 2
		switch r.Host + r.URL.Path {
		case "js.intercomcdn.com/widget.js":
			w.Header().Set("Content-Type", "text/javascript")
			if v2 {
				io.WriteString(w, widgetV2)
			} else {
				io.WriteString(w, widgetV1)
			}
		case "connect.facebook.net/en_US/fbevents.js":
			w.Header().Set("Content-Type", "text/javascript")
			io.WriteString(w, fbEvents)
		case "analytics.tiktok.com/i18n/pixel/events.js":
			w.Header().Set("Content-Type", "text/javascript")
			io.WriteString(w, tiktokEvents)
		case "www.facebook.com/tr/":
			w.Header().Set("Content-Type", "image/gif")
			w.Write([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))
		case "clinic.test/", "clinic.test/about":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			visitor, tiktok := `<meta name="visitor" data-phone="+1 415 555 0134">`, ""
			if v2 {
				visitor = `<meta name="visitor" data-phone="+1 415 555 0134" data-email="jordan.whitfield@example.com">`
				tiktok = `<script src="https://analytics.tiktok.com/i18n/pixel/events.js"></script>`
			}
			fmt.Fprintf(w, `<!doctype html><html><head><title>Lakeview Clinic</title>%s
<script src="https://js.intercomcdn.com/widget.js"></script>
<script src="https://connect.facebook.net/en_US/fbevents.js"></script>%s</head>
<body><h1>Lakeview Clinic</h1><a href="/about">About us</a></body></html>`, visitor, tiktok)
		default:
			http.NotFound(w, r)
		}
	})
}

// TestCrawlDiffAndBaseline crawls the site three times in Chromium: twice
// unchanged, then after version 2 went live.
func TestCrawlDiffAndBaseline(t *testing.T) {
	chromiumtest.RequireBrowser(t)
	var version atomic.Int32
	version.Store(1)
	hosts := []string{"clinic.test", "js.intercomcdn.com", "connect.facebook.net", "www.facebook.com", "analytics.tiktok.com"}
	site := chromiumtest.NewSite(t, versionedClinic(&version), hosts...)

	dir := t.TempDir()
	upstreamCA := filepath.Join(dir, "upstream.pem")
	personaFile := filepath.Join(dir, "persona.json")
	for name, data := range map[string]string{
		upstreamCA:  string(site.CertPEM),
		personaFile: `{"first_name": "Jordan", "last_name": "Whitfield", "email": "jordan.whitfield@example.com", "phone": "+1 415 555 0134"}`,
	} {
		if err := os.WriteFile(name, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(dir, "crawl.db")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	phiproxy := func(args ...string) (code int, stdout, stderr string) {
		t.Helper()
		var o, e testenv.Buffer
		code = run(ctx, args, &o, &e)
		if ctx.Err() != nil {
			t.Fatalf("phiproxy %v: %v", args, ctx.Err())
		}
		return code, o.String(), e.String()
	}
	crawl := func(label string, extra ...string) (int, string) {
		t.Helper()
		args := []string{"crawl", "--label", label, "--upstream-ca", upstreamCA, "--ca-dir", filepath.Join(dir, "ca"), "--db", db,
			"--persona", personaFile, "--no-interact", "--depth", "1", "--quiet", "500ms", "--page-timeout", "20s"}
		for _, h := range hosts {
			args = append(args, "--resolve", h+"="+site.Addr())
		}
		args = append(append(args, extra...), "https://clinic.test/")
		code, _, stderr := phiproxy(args...)
		return code, stderr
	}
	baseline := func(run, file string) []byte {
		t.Helper()
		if code, _, stderr := phiproxy("baseline", "save", "--db", db, "--run", run, file); code != 0 {
			t.Fatalf("baseline save --run %s: exit %d: %s", run, code, stderr)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	// Run 1, and its baseline.
	if code, stderr := crawl("week 1"); code != 0 {
		t.Fatalf("crawl 1: exit %d:\n%s", code, stderr)
	}
	base := filepath.Join(dir, "phi-baseline.json")
	b1 := baseline("1", base)
	for _, want := range []string{`"name": "Intercom"`, `"name": "Meta Pixel"`, `"path_template": "/tr/"`, `"phone"`} {
		if !bytes.Contains(b1, []byte(want)) {
			t.Fatalf("baseline of run 1 lacks %s:\n%s", want, b1)
		}
	}

	// Run 2, the unchanged site, compared with the baseline at the end.
	code, stderr := crawl("week 2", "--baseline", base)
	if code != 0 || !strings.Contains(stderr, "no changes") {
		t.Fatalf("crawl 2 of the unchanged site with --baseline: exit %d, want 0 and no changes:\n%s", code, stderr)
	}
	if b2 := baseline("2", filepath.Join(dir, "run2.json")); !bytes.Equal(b1, b2) {
		t.Errorf("baselines of two crawls of the unchanged site differ:\n%s\n---\n%s", b1, b2)
	}
	if code, stdout, stderr := phiproxy("diff", "--db", db, "--json", "1", "2"); code != 0 || stdout != "" {
		t.Errorf("diff of the unchanged runs: exit %d, output %q %s", code, stdout, stderr)
	}

	// Run 3, version 2: the crawl fails on the baseline's changes.
	version.Store(2)
	code, stderr = crawl("week 3", "--baseline", base)
	if code != 1 {
		t.Fatalf("crawl 3 with --baseline: exit %d, want 1 (changes listed in --fail-on-change):\n%s", code, stderr)
	}
	for _, want := range []string{"! phi_added", "! vendor_added", "! script_changed", "now receives email at GET www.facebook.com/tr/"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("crawl 3's comparison lacks %q:\n%s", want, stderr)
		}
	}

	code, stdout, stderr := phiproxy("diff", "--db", db, "--json", "1", "3")
	if code != 1 {
		t.Errorf("diff 1 3: exit %d, want 1: %s", code, stderr)
	}
	changes := parseJSONLines(t, stdout)
	var got []string
	for _, c := range changes {
		got = append(got, fmt.Sprintf("%s|%s|%s|%s", c["change"], c["vendor"], c["item"], c["kind"]))
	}
	sort.Strings(got)
	want := []string{
		"phi_added|Meta Pixel|GET www.facebook.com/tr/|email",
		"script_changed|Intercom|https://js.intercomcdn.com/widget.js|",
		"vendor_added|TikTok Pixel||",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("diff 1 3:\ngot  %q\nwant %q\n%s", got, want, stdout)
	}
	for _, c := range changes {
		if c["change"] == "script_changed" {
			if c["before"] != sha256Hex(widgetV1) || c["after"] != sha256Hex(widgetV2) || c["size_change"] != float64(len(widgetV2)-len(widgetV1)) || c["host"] != "js.intercomcdn.com" {
				t.Errorf("script_changed: got %v", c)
			}
		}
		if c["change"] == "phi_added" && (c["host"] != "www.facebook.com" || fmt.Sprint(c["pages"]) != "[https://clinic.test/ https://clinic.test/about]") {
			t.Errorf("phi_added: got %v", c)
		}
	}
	// The table for people, grouped by vendor, the most serious first.
	code, stdout, _ = phiproxy("diff", "--db", db, "1", "3")
	t.Logf("diff 1 3:\n%s", stdout)
	if code != 1 || !strings.Contains(stdout, "3 changes, 3 listed in --fail-on") ||
		strings.Index(stdout, "Meta Pixel") > strings.Index(stdout, "TikTok Pixel") || strings.Index(stdout, "TikTok Pixel") > strings.Index(stdout, "Intercom") {
		t.Errorf("diff table: exit %d:\n%s", code, stdout)
	}
	// Exit codes follow --fail-on.
	for _, c := range []struct {
		failOn string
		code   int
	}{{"cookie_added,storage_removed", 0}, {"script_changed", 1}, {"vendor_removed,phi_added", 1}, {"script_moved", 2}} {
		if code, _, stderr := phiproxy("diff", "--db", db, "--fail-on", c.failOn, "1", "3"); code != c.code {
			t.Errorf("diff --fail-on %s: exit %d, want %d: %s", c.failOn, code, c.code, stderr)
		}
	}
	// The baseline against the latest run, and a database against itself.
	if code, stdout, _ := phiproxy("diff", "--db", db, "--json", "--baseline", base); code != 1 || len(parseJSONLines(t, stdout)) != 3 {
		t.Errorf("diff --baseline against the latest run: exit %d:\n%s", code, stdout)
	}
	if code, stdout, _ := phiproxy("diff", "--json", db, db); code != 0 || stdout != "" {
		t.Errorf("diff of a database's latest run with itself: exit %d %q", code, stdout)
	}
	// A git diff of two baselines reads like the change list.
	b3 := baseline("3", filepath.Join(dir, "run3.json"))
	for _, want := range []string{sha256Hex(widgetV2), `"name": "TikTok Pixel"`, `"email"`} {
		if bytes.Contains(b1, []byte(want)) || !bytes.Contains(b3, []byte(want)) {
			t.Errorf("baseline 3 should newly hold %s", want)
		}
	}

	// Runs, and since when Meta received what.
	code, stdout, stderr = phiproxy("runs", "--db", db, "--json")
	runs := parseJSONLines(t, stdout)
	if code != 0 || len(runs) != 3 {
		t.Fatalf("runs: exit %d, %d runs: %s %s", code, len(runs), stdout, stderr)
	}
	for i, r := range runs {
		if r["label"] != fmt.Sprintf("week %d", i+1) || r["command"] != "crawl" || r["site"] != "clinic.test" || r["ended"] == nil {
			t.Errorf("run %d: got %v", i+1, r)
		}
	}
	started := func(i int) time.Time { ts, _ := time.Parse(time.RFC3339Nano, runs[i]["started"].(string)); return ts }
	ended := func(i int) time.Time { ts, _ := time.Parse(time.RFC3339Nano, runs[i]["ended"].(string)); return ts }
	code, stdout, _ = phiproxy("exposure", "--db", db, "--vendor", "meta", "--json")
	exposures := parseJSONLines(t, stdout)
	if code != 0 || len(exposures) != 2 {
		t.Fatalf("exposure --vendor meta: exit %d, want phone and email at /tr/:\n%s", code, stdout)
	}
	for _, e := range exposures {
		first, _ := time.Parse(time.RFC3339Nano, e["first_seen"].(string))
		last, _ := time.Parse(time.RFC3339Nano, e["last_seen"].(string))
		wantRuns, from := float64(3), 0
		if e["kind"] == "email" {
			wantRuns, from = 1, 2
		}
		if e["vendor"] != "Meta Pixel" || e["endpoint"] != "GET www.facebook.com/tr/" || e["runs"] != wantRuns || e["flows"] != 2*wantRuns {
			t.Errorf("exposure %v: got %v", e["kind"], e)
		}
		if first.Before(started(from)) || first.After(ended(from)) || last.Before(started(2)) || last.After(ended(2)) {
			t.Errorf("exposure %v: first %v last %v, want first within run %d (%v–%v), last within run 3", e["kind"], first, last, from+1, started(from), ended(from))
		}
	}

	// The comparison as evidence: on its own, and in a bundle.
	diffZip := filepath.Join(dir, "diff.zip")
	if code, _, stderr := phiproxy("diff", "--db", db, "--out", diffZip, "1", "3"); code != 1 {
		t.Errorf("diff --out: exit %d: %s", code, stderr)
	}
	bundle := filepath.Join(dir, "evidence.zip")
	if code, _, stderr := phiproxy("export", "--db", db, "--out", bundle, "--diff", "1,3"); code != 0 {
		t.Fatalf("export --diff: exit %d: %s", code, stderr)
	}
	for zipPath, files := range map[string][]string{diffZip: {"diff.json", "baseline-before.json", "baseline-after.json"}, bundle: {"diff.json", "exposure.json"}} {
		zr, err := zip.OpenReader(zipPath)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, f := range zr.File {
			names[f.Name] = true
		}
		zr.Close()
		for _, f := range files {
			if !names[f] {
				t.Errorf("%s lacks %s", filepath.Base(zipPath), f)
			}
		}
	}

	// --update-baseline accepts the changes: the file becomes run 4's, the
	// crawl passes, and the next comparison is empty.
	if code, stderr := crawl("week 4", "--baseline", base, "--update-baseline"); code != 0 || !strings.Contains(stderr, "updated") {
		t.Fatalf("crawl 4 with --update-baseline: exit %d:\n%s", code, stderr)
	}
	if b4, _ := os.ReadFile(base); !bytes.Equal(b4, b3) {
		t.Errorf("the updated baseline is not the same site's baseline as run 3's")
	}
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
