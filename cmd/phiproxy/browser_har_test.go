package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy/internal/testenv"
)

// The browser HAR tests record a clinic page in a real browser, have the
// browser (or a DevTools protocol client) write the HAR, and scan that
// file: the HAR phiproxy reads is what browsers really write, not an
// imitation.

// beaconQuery and beaconBody are what the clinic page sends to the tracker:
// PHI in a pixel's query string and in a POST body.
const (
	beaconQuery = "ev=PageView&em=jane.doe%40example.com&dl=http%3A%2F%2Fclinic.test%2Fconditions%2Fdepression"
	beaconBody  = `{"event":"Order Completed","properties":{"medication":"sertraline","email":"john.roe@example.org"}}`
)

// clinicPage is the page on clinic.test. It loads a pixel from tracker.test
// and posts a JSON beacon there, both before the load event, so a HAR
// written when the page has loaded holds them. With ?loop=N it reloads
// itself N times, a second apart: Firefox's HAR export starts with its
// developer tools, which may open after the first load.
const clinicPage = `<!doctype html>
<title>Depression treatment</title>
<h1>Depression treatment</h1>
<img src="http://tracker.test:{{port}}/tr?` + beaconQuery + `" alt="">
<script>
var q = new URLSearchParams(location.search);
var n = Number(q.get("n") || 0), loop = Number(q.get("loop") || 0);
if (n < loop) setTimeout(function () { location.href = "/?loop=" + loop + "&n=" + (n + 1); }, 1000);
var x = new XMLHttpRequest();
x.open("POST", "http://tracker.test:{{port}}/v1/t", false);
x.setRequestHeader("Content-Type", "text/plain");
x.send({{body}});
</script>
`

// browserSite is clinic.test and tracker.test on two loopback ports; the
// tracker records what it received.
type browserSite struct {
	clinic, tracker *httptest.Server
	mu              sync.Mutex
	got             []recorded
}

func newBrowserSite(t *testing.T) *browserSite {
	t.Helper()
	s := &browserSite{}
	s.tracker = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.got = append(s.got, recorded{r.Method, r.RequestURI, r.Header.Clone(), body})
		s.mu.Unlock()
		// The beacon is a cross-origin XHR: without this the browser
		// would hide the response from the page and fail the request.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(s.tracker.Close)
	_, trackerPort, _ := net.SplitHostPort(s.tracker.Listener.Addr().String())
	s.clinic = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		body, _ := json.Marshal(beaconBody) // a JavaScript string literal
		io.WriteString(w, strings.NewReplacer("{{port}}", trackerPort, "{{body}}", string(body)).Replace(clinicPage))
	}))
	t.Cleanup(s.clinic.Close)
	return s
}

// clinicURL is the page's address under its made-up name.
func (s *browserSite) clinicURL() string {
	_, port, _ := net.SplitHostPort(s.clinic.Listener.Addr().String())
	return "http://clinic.test:" + port + "/"
}

// harEntry is the part of a HAR entry the tests look at.
type harEntry struct {
	Request struct {
		Method   string
		URL      string
		PostData *struct{ Text string }
	}
	Response struct{ Status int }
}

type harFile struct {
	Log struct {
		Creator struct{ Name, Version string }
		Entries []harEntry
	}
}

// readHAR parses a HAR file; false while it is missing or incomplete.
func readHAR(path string) (harFile, bool) {
	var h harFile
	data, err := os.ReadFile(path)
	return h, err == nil && json.Unmarshal(data, &h) == nil
}

// hasBeacons reports whether a HAR holds both of the page's requests to
// the tracker, the POST with its body, both answered.
func (h harFile) hasBeacons() bool {
	pixel, post := false, false
	for _, e := range h.Log.Entries {
		u := e.Request.URL
		switch {
		case e.Request.Method == "GET" && strings.Contains(u, "tracker.test") && strings.HasSuffix(u, "/tr?"+beaconQuery):
			pixel = e.Response.Status == 200
		case e.Request.Method == "POST" && strings.Contains(u, "tracker.test") && strings.HasSuffix(u, "/v1/t"):
			post = e.Response.Status == 200 && e.Request.PostData != nil && e.Request.PostData.Text == beaconBody
		}
	}
	return pixel && post
}

// checkBrowserHARScan scans a browser's HAR with `phiproxy scan --json` and
// checks the PHI the page sent to the tracker is found, third party, on
// the requests the tracker really received.
func checkBrowserHARScan(t *testing.T, s *browserSite, har string) {
	t.Helper()
	s.mu.Lock()
	var gotPixel, gotPost bool
	for _, r := range s.got {
		gotPixel = gotPixel || r.method == "GET" && r.uri == "/tr?"+beaconQuery
		gotPost = gotPost || r.method == "POST" && r.uri == "/v1/t" && string(r.body) == beaconBody
	}
	s.mu.Unlock()
	if !gotPixel || !gotPost {
		t.Fatalf("the tracker did not receive the page's pixel and beacon (pixel %v, post %v)", gotPixel, gotPost)
	}

	db := filepath.Join(t.TempDir(), "scan.db")
	code, out, errOut := cli(t, "scan", "--json", "--site", "clinic.test", "--fail-on", "high", "--db", db, har)
	if code != 1 {
		t.Fatalf("scan: exit %d, want 1 (findings at or above high); stderr:\n%s", code, errOut)
	}
	rows := crawlRows(checkFindingLines(t, out, false))
	for _, want := range []struct{ method, urlSuffix, kind, term, pathPrefix string }{
		{"GET", "/tr?" + beaconQuery, "email", "jane.doe@example.com", "query:em"},
		{"GET", "/tr?" + beaconQuery, "condition", "depression", "query:dl"},
		{"POST", "/v1/t", "email", "john.roe@example.org", "body"},
		{"POST", "/v1/t", "medication", "sertraline", "body"},
	} {
		found := false
		for _, r := range rows.where("kind", want.kind, "term", want.term, "method", want.method, "host", "tracker.test") {
			if strings.HasSuffix(str(r["url"]), want.urlSuffix) && strings.HasPrefix(str(r["path"]), want.pathPrefix) {
				found = true
				if r["party"] != "third" || (r["severity"] != "critical" && r["severity"] != "high") {
					t.Errorf("%s %s: party %v severity %v, want third and high or critical", want.kind, want.term, r["party"], r["severity"])
				}
			}
		}
		if !found {
			t.Errorf("no %s finding %q in %s %s...%s (path %s...); findings:\n%s", want.kind, want.term, want.method, "tracker.test", want.urlSuffix, want.pathPrefix, out)
		}
	}
	for _, r := range rows.where("host", "clinic.test") {
		if r["party"] != "first" {
			t.Errorf("clinic.test finding with party %v, want first: %v", r["party"], r)
		}
	}
}

// TestScanFirefoxHAR records the clinic page in Debian's Firefox ESR,
// headless, with the developer tools open and their HAR auto-export on
// (devtools.netmonitor.har.enableAutoExportToFile): Firefox writes a HAR
// each time a page has loaded. The test waits for one that holds the
// tracker's requests, then scans it.
func TestScanFirefoxHAR(t *testing.T) {
	firefox := testenv.Program(t, "firefox-esr")
	s := newBrowserSite(t)
	dir := t.TempDir()
	profile, harDir := filepath.Join(dir, "profile"), filepath.Join(dir, "har")
	for _, d := range []string{profile, harDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	prefs := map[string]any{
		// The HAR export: on, into harDir, files named phi.har, phi-1.har...
		"devtools.netmonitor.har.enableAutoExportToFile": true,
		"devtools.netmonitor.har.defaultLogDir":          harDir,
		"devtools.netmonitor.har.defaultFileName":        "phi",
		"devtools.netmonitor.har.includeResponseBodies":  true,
		"devtools.toolbox.selectedTool":                  "netmonitor",
		// clinic.test and tracker.test resolve to 127.0.0.1.
		"network.dns.localDomains": "clinic.test,tracker.test",
		// Plain HTTP as served; no upgrade attempt first.
		"dom.security.https_first": false,
		// A quiet first run.
		"browser.shell.checkDefaultBrowser":                          false,
		"browser.startup.homepage_override.mstone":                   "ignore",
		"datareporting.policy.dataSubmissionEnabled":                 false,
		"toolkit.telemetry.reportingpolicy.firstRun":                 false,
		"app.update.disabledForTesting":                              true,
		"browser.newtabpage.activity-stream.feeds.system.topstories": false,
	}
	var userJS strings.Builder
	for k, v := range prefs {
		b, _ := json.Marshal(v)
		fmt.Fprintf(&userJS, "user_pref(%q, %s);\n", k, b)
	}
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(userJS.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	var output testenv.Buffer
	cmd := exec.Command(firefox, "--headless", "--no-remote", "--profile", profile, "--devtools", s.clinicURL()+"?loop=60")
	cmd.Env = append(os.Environ(), "HOME="+dir)
	cmd.Stdout, cmd.Stderr = &output, &output
	// Its own process group, so that the content processes go with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start firefox: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stop := func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		done <- nil
	}
	t.Cleanup(func() {
		select {
		case <-done:
			done <- nil
		default:
			stop()
		}
	})

	var har string
	exported := testenv.WaitFor(90*time.Second, func() bool {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("firefox exited early (%v):\n%s", err, output.String())
		default:
		}
		files, _ := filepath.Glob(filepath.Join(harDir, "*.har"))
		for _, f := range files {
			if h, ok := readHAR(f); ok && h.hasBeacons() {
				har = f
				return true
			}
		}
		return false
	})
	if !exported {
		files, _ := filepath.Glob(filepath.Join(harDir, "*"))
		t.Fatalf("no HAR with the tracker's requests from Firefox within 90 s; files %v; output:\n%s", files, output.String())
	}
	stop()
	h, _ := readHAR(har)
	if h.Log.Creator.Name != "Firefox" {
		t.Errorf("HAR creator: got %q, want Firefox", h.Log.Creator.Name)
	}
	t.Logf("%s: written by %s %s, %d entries", filepath.Base(har), h.Log.Creator.Name, h.Log.Creator.Version, len(h.Log.Entries))
	checkBrowserHARScan(t, s, har)
}
