package evidence

import (
	"bytes"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/testenv"
)

// chromiumArgs are the flags that keep headless Chromium from talking to
// anything but the page under test.
func chromiumArgs(profile string, extra ...string) []string {
	return append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
		"--user-data-dir=" + profile}, extra...)
}

func artifactDir(t *testing.T) string {
	if d := os.Getenv("PHIPROXY_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestReportChromium loads report.html in headless Chromium from a local
// server that records every path asked for: the page must render every
// finding and ask for nothing else.
func TestReportChromium(t *testing.T) {
	t.Parallel()
	chromium := testenv.Program(t, "chromium")
	dir, m, _, recs := exportFixture(t, Options{Operator: "Dana QA", Note: "release 4.2 <check>"})
	report, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var other []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/"+ReportFile {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(report)
			return
		}
		mu.Lock()
		other = append(other, r.Method+" "+r.URL.String())
		mu.Unlock()
		http.NotFound(w, r)
	}))
	defer srv.Close()
	pageURL := srv.URL + "/" + ReportFile

	dom := runTool(t, 90*time.Second, chromium, chromiumArgs(t.TempDir(), "--dump-dom", pageURL)...)
	shot := filepath.Join(artifactDir(t), "report.png")
	runTool(t, 90*time.Second, chromium, chromiumArgs(t.TempDir(), "--screenshot="+shot, "--window-size=1280,2000", "--hide-scrollbars", pageURL)...)
	if fi, err := os.Stat(shot); err != nil || fi.Size() < 10_000 {
		t.Errorf("screenshot %s: %v (size %d), want a rendered page", shot, err, sizeOf(fi))
	} else {
		t.Logf("screenshot: %s", shot)
	}
	// file:// as a user would open it from the extracted bundle.
	fileDOM := runTool(t, 90*time.Second, chromium, chromiumArgs(t.TempDir(), "--dump-dom", "file://"+filepath.Join(dir, ReportFile))...)

	mu.Lock()
	if len(other) > 0 {
		t.Errorf("the report made requests: %v", other)
	}
	mu.Unlock()

	for name, d := range map[string][]byte{"http": dom, "file": fileDOM} {
		rows := regexp.MustCompile(`<tr class="finding">`).FindAll(d, -1)
		if got, want := len(rows), m.Counts.Findings; got != want {
			t.Errorf("%s: finding rows in the DOM: got %d, want %d", name, got, want)
		}
		text := html.UnescapeString(string(d))
		for _, r := range recs {
			for _, fd := range r.Inspection.Findings {
				if !strings.Contains(text, "<mark>"+fd.Value+"</mark>") {
					t.Errorf("%s: DOM lacks the highlighted value %q of flow %d", name, fd.Value, r.Flow.ID)
				}
			}
			if !strings.Contains(text, `id="flow-`+itoa(r.Flow.ID)+`"`) {
				t.Errorf("%s: DOM lacks flow %d", name, r.Flow.ID)
			}
		}
		for _, want := range []string{
			"Sent to <strong>Meta Pixel, a third-party advertising platform</strong>",
			"email address, medication and condition or diagnosis",
			"Dana QA", "release 4.2 &lt;check&gt;",
		} {
			if !strings.Contains(string(d), want) {
				t.Errorf("%s: DOM lacks %q", name, want)
			}
		}
	}
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return 0
	}
	return fi.Size()
}

func itoa(n int64) string { return jsonNumber(n) }

// TestReportEscapes feeds hostile text through every place the report
// shows stored data: none of it may become markup.
func TestReportEscapes(t *testing.T) {
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>"'`
	fd := phiproxy.Finding{Kind: phiproxy.KindEmail, Term: evil, Value: evil, Path: "query:" + evil, Field: "a" + evil + "b", Start: 1, End: 1 + len(evil), Severity: phiproxy.High}
	rf := reportFlow{ID: 1, Method: "GET", URL: "https://x.example/?" + evil, Host: evil, Receiver: evil, Severity: "high", Page: evil,
		Findings: []reportFinding{reportFindingFor(fd)}, Body: evil, Notes: []string{evil}}
	var b bytes.Buffer
	if err := reportTemplate.ExecuteTemplate(&b, "head", reportHead{Operator: evil, Note: evil, Receivers: []receiverRow{{Name: evil, Phrase: evil, KindList: evil}}, Sites: []siteRow{{Host: evil}}}); err != nil {
		t.Fatal(err)
	}
	rw := &reportWriter{w: &b}
	if err := rw.add(rf); err != nil {
		t.Fatal(err)
	}
	if err := rw.close(); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"<script", "<img"} {
		if strings.Contains(out, bad) {
			t.Errorf("report contains unescaped %q", bad)
		}
	}
	if got := strings.Count(out, "<mark>"); got != 1 {
		t.Errorf("marks: got %d, want 1", got)
	}
}

func TestInContext(t *testing.T) {
	long := strings.Repeat("x", 400)
	tests := []struct {
		name                 string
		fd                   phiproxy.Finding
		before, match, after string
	}{
		{"offsets", phiproxy.Finding{Field: "take Zoloft daily", Value: "Zoloft", Start: 5, End: 11}, "take ", "Zoloft", " daily"},
		{"no offsets, found", phiproxy.Finding{Field: "take Zoloft daily", Value: "Zoloft"}, "take ", "Zoloft", " daily"},
		{"whole value", phiproxy.Finding{Field: "Zoloft", Value: "Zoloft"}, "", "Zoloft", ""},
		{"hash not in field", phiproxy.Finding{Field: "abc123", Value: "jane@x.example"}, "", "jane@x.example", ""},
		{"bad offsets", phiproxy.Finding{Field: "short", Value: "zzz", Start: 3, End: 99}, "", "zzz", ""},
		{"inside a rune", phiproxy.Finding{Field: "é-Zoloft", Value: "Zoloft", Start: 1, End: 4}, "é-", "Zoloft", ""},
		{"trimmed", phiproxy.Finding{Field: long + "Zoloft" + long, Value: "Zoloft", Start: 400, End: 406}, "…" + long[:reportContext], "Zoloft", long[:reportContext] + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, m, a := inContext(tc.fd)
			if b != tc.before || m != tc.match || a != tc.after {
				t.Errorf("got (%q, %q, %q), want (%q, %q, %q)", b, m, a, tc.before, tc.match, tc.after)
			}
		})
	}
}

func FuzzInContext(f *testing.F) {
	f.Add("take Zoloft daily", "Zoloft", 5, 11)
	f.Add("é-Zoloft", "Zoloft", 1, 4)
	f.Add("", "", -3, 1<<30)
	f.Fuzz(func(t *testing.T, field, value string, start, end int) {
		before, match, after := inContext(phiproxy.Finding{Field: field, Value: value, Start: start, End: end})
		if match == "" && (value != "" || field != "") {
			t.Fatalf("empty match for field %q value %q", field, value)
		}
		whole := strings.TrimSuffix(strings.TrimPrefix(before, "…"), "…") + match + strings.TrimSuffix(after, "…")
		if match != value && match != field && !strings.Contains(field, whole) {
			t.Fatalf("(%q, %q, %q) is not a piece of field %q", before, match, after, field)
		}
	})
}

// TestReportMarksNegated: an intake answer that said no is marked as such
// in report.html, and a symptom is named in plain words.
func TestReportMarksNegated(t *testing.T) {
	no := phiproxy.Finding{Kind: phiproxy.KindCondition, Term: "diabetes", Value: "diabetes", Path: "body > json:$.has_diabetes", Field: "has_diabetes", Start: 4, End: 12, Severity: phiproxy.Medium, Negated: true}
	yes := phiproxy.Finding{Kind: phiproxy.KindSymptom, Term: "trouble sleeping", Value: "trouble sleeping", Path: "body > form:blocks", Field: "I have trouble sleeping", Start: 7, End: 23, Severity: phiproxy.High}
	render := func(fd phiproxy.Finding) string {
		var b bytes.Buffer
		rw := &reportWriter{w: &b}
		if err := rw.add(reportFlow{ID: 1, Method: "POST", URL: "https://x.example/", Findings: []reportFinding{reportFindingFor(fd)}}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if out := render(no); !strings.Contains(out, "answered no") {
		t.Errorf("negated finding: no \"answered no\" marker in\n%s", out)
	}
	out := render(yes)
	if strings.Contains(out, "answered no") {
		t.Errorf("affirmed finding marked as answered no")
	}
	if !strings.Contains(out, "symptom or complaint") {
		t.Errorf("symptom kind not named in plain words in\n%s", out)
	}
}
