package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
	"github.com/phiproxy/phiproxy/internal/testenv"
)

// crawlSite is a clinic site: a condition page carrying a tracker pixel
// and a booking form whose button sends the form to the tracker.
func crawlSite() http.Handler {
	mux := http.NewServeMux()
	page := func(title, head, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, "<!doctype html><html><head><title>%s</title>%s</head><body>%s</body></html>", title, head, body)
		}
	}
	mux.HandleFunc("/{$}", page("Lakeview Clinic", "", `<a href="/conditions/depression">Depression care</a> <a href="/book">Book a visit</a>`))
	mux.HandleFunc("/conditions/depression", page("Depression treatment", `<script src="/js/pixel.js"></script>`, `<h1>Depression treatment</h1><a href="/">Home</a>`))
	mux.HandleFunc("/js/pixel.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/javascript")
		io.WriteString(w, `window.addEventListener('load', function () {
  new Image().src = 'https://pixel.thirdparty.test/tr?dl=' + encodeURIComponent(location.href) + '&ev=PageView';
});`)
	})
	mux.HandleFunc("/book", page("Book an appointment", "", `
<form id="book">
  <label for="fn">First name</label> <input id="fn" name="first_name" required>
  <label for="em">Email</label> <input id="em" type="email" name="email" required>
  <label for="dob">Date of birth</label> <input id="dob" type="date" name="dob">
  <button type="submit">Request appointment</button>
</form>
<script>
document.getElementById('book').addEventListener('submit', function (e) {
  e.preventDefault();
  var f = e.target;
  fetch('https://pixel.thirdparty.test/collect', {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({first_name: f.first_name.value, email: f.email.value, dob: f.dob.value})});
});
</script>`))
	return mux
}

// pixelHost stands in for a tracker; it answers CORS preflights as real
// collectors do and records the form posts it receives.
type pixelHost struct {
	mu    sync.Mutex
	posts []string
}

func (p *pixelHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "https://site.test")
	w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
	w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
	switch {
	case r.Method == http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path == "/collect":
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		p.mu.Lock()
		p.posts = append(p.posts, string(b))
		p.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Content-Type", "image/gif")
		w.Write([]byte("GIF89a"))
	}
}

func (p *pixelHost) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.posts)
}

type crawlRows []map[string]any

func parseRows(t *testing.T, s string) crawlRows {
	t.Helper()
	return parseJSONLines(t, s)
}

// where returns the rows whose keys have the given values.
func (rs crawlRows) where(kv ...string) crawlRows {
	var out crawlRows
next:
	for _, r := range rs {
		for i := 0; i+1 < len(kv); i += 2 {
			if !strings.EqualFold(fmt.Sprint(r[kv[i]]), kv[i+1]) {
				continue next
			}
		}
		out = append(out, r)
	}
	return out
}

func TestCrawlCommand(t *testing.T) {
	chromiumtest.RequireBrowser(t)
	site := chromiumtest.NewSite(t, crawlSite(), "site.test")
	pixel := &pixelHost{}
	tracker := chromiumtest.NewSite(t, pixel, "pixel.thirdparty.test")

	dir := t.TempDir()
	upstreamCA := filepath.Join(dir, "upstream.pem")
	if err := os.WriteFile(upstreamCA, append(append([]byte{}, site.CertPEM...), tracker.CertPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	personaFile := filepath.Join(dir, "persona.json")
	if err := os.WriteFile(personaFile, []byte(`{"first_name": "Jordan", "last_name": "Whitfield", "email": "jordan.whitfield@example.com", "dob": "1984-03-09"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	caDir := filepath.Join(dir, "ca")
	// One bound for the three crawls (three browser launches, ~15 s each
	// on a quiet machine).
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	crawlRun := func(t *testing.T, extra ...string) (code int, stdout, stderr string, db string) {
		t.Helper()
		db = filepath.Join(t.TempDir(), "crawl.db")
		args := append([]string{"crawl",
			"--resolve", "site.test=" + site.Addr(),
			"--resolve", "pixel.thirdparty.test=" + tracker.Addr(),
			"--upstream-ca", upstreamCA,
			"--ca-dir", caDir,
			"--db", db,
			"--persona", personaFile,
			"--quiet", "300ms",
			"--page-timeout", "20s",
		}, extra...)
		args = append(args, "https://site.test/")
		var o, e testenv.Buffer
		code = run(ctx, args, &o, &e)
		if ctx.Err() != nil {
			t.Fatalf("crawl did not finish in time; stderr:\n%s", e.String())
		}
		return code, o.String(), e.String(), db
	}

	t.Run("page load and interaction findings, fail-on high", func(t *testing.T) {
		before := pixel.count()
		code, stdout, stderr, db := crawlRun(t, "--json", "--fail-on", "high")
		t.Logf("stderr:\n%s", stderr)
		rows := crawlRows(checkFindingLines(t, stdout, true))
		// The severity rules: health information alone to a third party
		// is high; identifiers alone to a third party are medium; nothing
		// here sends both in one request, so nothing is critical.
		if code != exitFindings {
			t.Errorf("exit code with --fail-on high: got %d, want %d", code, exitFindings)
		}
		// The site's own requests for the condition page are first party
		// (info); the pixel's copy of the URL is the leak.
		cond := rows.where("kind", "condition", "term", "depression")
		leaked := cond.where("host", "pixel.thirdparty.test")
		if len(leaked) == 0 {
			t.Fatalf("no depression finding sent to the tracker; rows:\n%s", stdout)
		}
		for _, r := range leaked {
			if got, want := r["severity"], "high"; got != want {
				t.Errorf("tracker depression finding severity: got %v, want %v", got, want)
			}
			if got, want := r["party"], "third"; got != want {
				t.Errorf("tracker depression finding party: got %v, want %v", got, want)
			}
		}
		for _, r := range cond {
			if got, want := r["phase"], "load"; got != want {
				t.Errorf("depression finding to %v: phase got %v, want %v", r["host"], got, want)
			}
			if got, want := r["page"], "https://site.test/conditions/depression"; got != want {
				t.Errorf("depression finding to %v: page got %v, want %v", r["host"], got, want)
			}
			if r["host"] == "site.test" && r["severity"] != "info" {
				t.Errorf("first-party depression finding severity: got %v, want info", r["severity"])
			}
		}
		for _, kind := range []string{"email", "name", "dob"} {
			found := rows.where("kind", kind, "source", "persona", "host", "pixel.thirdparty.test")
			if len(found) == 0 {
				t.Errorf("no persona %s finding sent to the tracker; rows:\n%s", kind, stdout)
				continue
			}
			for _, r := range found {
				if r["phase"] != "interaction" || r["page"] != "https://site.test/book" {
					t.Errorf("persona %s finding: got page %v phase %v, want https://site.test/book interaction", kind, r["page"], r["phase"])
				}
				if got, want := r["severity"], "medium"; got != want {
					t.Errorf("persona %s finding severity: got %v, want %v", kind, got, want)
				}
			}
		}
		if email := rows.where("kind", "email", "source", "persona"); len(email) > 0 && !strings.EqualFold(fmt.Sprint(email[0]["value"]), "jordan.whitfield@example.com") {
			t.Errorf("email finding value: got %v, want the persona email", email[0]["value"])
		}
		if crit := rows.where("severity", "critical"); len(crit) > 0 {
			t.Errorf("critical findings where the rules give none: %v", crit)
		}
		if got := pixel.count() - before; got != 1 {
			t.Errorf("form posts received by the tracker: got %d, want 1", got)
		}
		for _, want := range []string{"crawl: 1/50 pages, 0 queued, 0 findings: https://site.test/", "crawl: 3 pages visited (0 failed)", "3 fields filled", `clicked "Request appointment"`, "crawl: findings: 0 critical"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr: missing %q", want)
			}
		}

		// The database holds the same findings, tagged the same way.
		var fo, fe testenv.Buffer
		if code := run(context.Background(), []string{"findings", "--db", db, "--json"}, &fo, &fe); code != exitOK {
			t.Fatalf("findings: exit %d: %s", code, fe.String())
		}
		stored := crawlRows(checkFindingLines(t, fo.String(), true))
		if got, want := len(stored), len(rows); got != want {
			t.Errorf("stored findings: got %d, want %d (as streamed)", got, want)
		}
		if len(stored.where("kind", "condition", "host", "pixel.thirdparty.test", "phase", "load", "page", "https://site.test/conditions/depression")) == 0 {
			t.Errorf("database: no load-phase depression finding on the condition page")
		}
		if len(stored.where("kind", "email", "phase", "interaction", "page", "https://site.test/book")) == 0 {
			t.Errorf("database: no interaction-phase email finding on /book")
		}
	})

	t.Run("nothing critical, fail-on critical exits 0 with a table", func(t *testing.T) {
		code, stdout, stderr, _ := crawlRun(t, "--fail-on", "critical")
		t.Logf("stdout:\n%s", stdout)
		if code != exitOK {
			t.Errorf("exit code with --fail-on critical: got %d, want %d; stderr:\n%s", code, exitOK, stderr)
		}
		for _, want := range []string{"SEVERITY", "condition", "depression", "pixel.thirdparty.test", "interaction"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("findings table: missing %q in:\n%s", want, stdout)
			}
		}
	})

	t.Run("no-interact", func(t *testing.T) {
		before := pixel.count()
		code, stdout, stderr, _ := crawlRun(t, "--json", "--no-interact")
		rows := parseRows(t, stdout)
		if code != exitFindings {
			t.Errorf("exit code: got %d, want %d (the pixel still leaks the condition page)", code, exitFindings)
		}
		if len(rows.where("kind", "condition", "term", "depression", "host", "pixel.thirdparty.test", "phase", "load")) == 0 {
			t.Errorf("no load-phase depression finding; stderr:\n%s", stderr)
		}
		if inter := rows.where("phase", "interaction"); len(inter) > 0 {
			t.Errorf("interaction-phase findings with --no-interact: %v", inter)
		}
		if got := pixel.count() - before; got != 0 {
			t.Errorf("form posts with --no-interact: got %d, want 0", got)
		}
	})
}

func TestCrawlCommandUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no URL", []string{"crawl"}, "Usage: phiproxy crawl"},
		{"not http", []string{"crawl", "ftp://site.test/"}, "not an http(s) URL"},
		{"listen is not offered", []string{"crawl", "--listen", "0.0.0.0:8080", "https://site.test/"}, "flag provided but not defined: -listen"},
		{"bad depth", []string{"crawl", "--depth", "-1", "https://site.test/"}, "--depth"},
		{"missing persona", []string{"crawl", "--persona", "/nonexistent/persona.json", "https://site.test/"}, "persona"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o, e testenv.Buffer
			code := run(context.Background(), tc.args, &o, &e)
			if code != exitError {
				t.Errorf("exit code: got %d, want %d", code, exitError)
			}
			if !strings.Contains(e.String(), tc.want) {
				t.Errorf("stderr: got %q, want it to contain %q", e.String(), tc.want)
			}
		})
	}
}

func TestCrawlCommandMissingBrowser(t *testing.T) {
	chromiumtest.RequireBrowser(t) // for certutil
	dir := t.TempDir()
	var o, e testenv.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, []string{"crawl", "--ca-dir", filepath.Join(dir, "ca"), "--db", filepath.Join(dir, "c.db"), "--chromium", "/nonexistent/chromium", "https://site.test/"}, &o, &e)
	if code != exitError {
		t.Errorf("exit code: got %d, want %d", code, exitError)
	}
	if !strings.Contains(e.String(), "/nonexistent/chromium") {
		t.Errorf("stderr: got %q, want the missing binary named", e.String())
	}
	if !strings.Contains(e.String(), "crawl: 0 pages visited") {
		t.Errorf("stderr: got %q, want the (empty) summary", e.String())
	}
}
