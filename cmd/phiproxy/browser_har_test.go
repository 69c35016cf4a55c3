package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/phiproxy/phiproxy/chromium"
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

// TestScanChromiumHAR records the clinic page in headless Chromium over
// the DevTools protocol and writes the HAR from the Network domain's
// events the way DevTools' own export does (cdpHAR below), then scans it.
// The HAR must also pass the HAR 1.2 schema check in tools/harcheck, so
// that what is scanned is a HAR and not just this test's idea of one.
func TestScanChromiumHAR(t *testing.T) {
	testenv.File(t, chromium.DefaultPath)
	node := testenv.Program(t, "node")
	check, err := filepath.Abs("../../tools/harcheck/check.js")
	if err != nil {
		t.Fatal(err)
	}
	testenv.File(t, filepath.Join(filepath.Dir(check), "node_modules", "har-validator"))
	s := newBrowserSite(t)
	dir := t.TempDir()

	var output testenv.Buffer
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium.DefaultPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-features", "HttpsUpgrades"),
		chromedp.Flag("host-resolver-rules", "MAP clinic.test 127.0.0.1, MAP tracker.test 127.0.0.1"),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.CombinedOutput(&output),
	)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()

	rec := &cdpHAR{requests: map[network.RequestID]*cdpRequest{}}
	// The first call starts the browser, so it carries no timeout (the
	// browser would die with it); the watchdog bounds it instead.
	watchdog := time.AfterFunc(60*time.Second, cancelTab)
	err = chromedp.Listen(tab, rec.event)
	if err == nil {
		_, err = chromedp.Call(tab, network.Enable, network.EnableParams{})
	}
	if err == nil {
		err = chromedp.Do(tab, chromedp.Navigate(s.clinicURL()))
	}
	watchdog.Stop()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, output.String())
	}
	// The page's requests are done once the browser says they finished.
	if !testenv.WaitFor(20*time.Second, rec.beaconsFinished) {
		t.Fatalf("the tracker's requests did not finish in Chromium; requests: %v", rec.urls())
	}
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	data, err := rec.har(ctx)
	if err != nil {
		t.Fatal(err)
	}
	har := filepath.Join(dir, "chromium.har")
	if err := os.WriteFile(har, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cancelTab()

	if out, err := exec.Command(node, check, har).CombinedOutput(); err != nil {
		t.Fatalf("the HAR written from Chromium's events is not valid HAR 1.2: %v\n%s", err, out)
	}
	if h, ok := readHAR(har); !ok || !h.hasBeacons() {
		t.Fatalf("the HAR lacks the tracker's requests:\n%s", data)
	}
	checkBrowserHARScan(t, s, har)
}

// cdpHAR collects the Network events of one tab and writes them as a HAR,
// one entry per request, as Chrome DevTools' "Save all as HAR" does.
type cdpHAR struct {
	mu       sync.Mutex
	order    []network.RequestID
	requests map[network.RequestID]*cdpRequest
}

type cdpRequest struct {
	sent     *network.EventRequestWillBeSent
	response *network.Response
	finished *network.EventLoadingFinished
	failed   *network.EventLoadingFailed
}

// event is called from the tab's reading loop: it only records.
func (c *cdpHAR) event(ev any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if _, ok := c.requests[ev.RequestID]; !ok {
			c.order = append(c.order, ev.RequestID)
		}
		// A redirect reuses the ID; the last hop is the one recorded.
		c.requests[ev.RequestID] = &cdpRequest{sent: ev}
	case *network.EventResponseReceived:
		if r := c.requests[ev.RequestID]; r != nil {
			r.response = ev.Response
		}
	case *network.EventLoadingFinished:
		if r := c.requests[ev.RequestID]; r != nil {
			r.finished = ev
		}
	case *network.EventLoadingFailed:
		if r := c.requests[ev.RequestID]; r != nil {
			r.failed = ev
		}
	}
}

func (c *cdpHAR) urls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, id := range c.order {
		out = append(out, c.requests[id].sent.Request.URL)
	}
	return out
}

// beaconsFinished reports whether both requests to the tracker finished.
func (c *cdpHAR) beaconsFinished() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.requests {
		if strings.Contains(r.sent.Request.URL, "tracker.test") && r.finished != nil {
			n++
		}
	}
	return n == 2
}

// harNV is a HAR name/value pair (headers, query string).
type harNV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// har writes the HAR 1.2 document. Request bodies are fetched with
// Network.getRequestPostData, as DevTools does for its export.
func (c *cdpHAR) har(ctx context.Context) ([]byte, error) {
	version, err := chromedp.CallBrowser(ctx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		return nil, fmt.Errorf("Browser.getVersion: %w", err)
	}
	c.mu.Lock()
	var reqs []*cdpRequest
	for _, id := range c.order {
		reqs = append(reqs, c.requests[id])
	}
	c.mu.Unlock()

	type obj = map[string]any
	var entries []obj
	var first time.Time
	for _, r := range reqs {
		if r.response == nil {
			continue // failed before any response: nothing to record
		}
		req, resp := r.sent.Request, r.response
		start := time.UnixMicro(int64(r.sent.WallTime.Float64() * 1e6)).UTC()
		if first.IsZero() || start.Before(first) {
			first = start
		}
		headers := req.Headers
		if len(resp.RequestHeaders) > 0 {
			headers = resp.RequestHeaders // what went on the wire
		}
		request := obj{
			"method": req.Method, "url": req.URL + req.URLFragment, "httpVersion": harProtocol(resp.Protocol),
			"cookies": []obj{}, "headers": harHeaders(headers), "queryString": harQuery(req.URL),
			"headersSize": -1, "bodySize": 0,
		}
		if req.HasPostData {
			body, err := chromedp.Call(ctx, network.GetRequestPostData, network.GetRequestPostDataParams{RequestID: r.sent.RequestID})
			if err != nil {
				return nil, fmt.Errorf("Network.getRequestPostData %s: %w", req.URL, err)
			}
			request["postData"] = obj{"mimeType": headerValue(headers, "Content-Type"), "text": string(body.PostData)}
			request["bodySize"] = len(body.PostData)
		}
		bodySize := -1
		if r.finished != nil {
			bodySize = int(r.finished.EncodedBodyLength)
		}
		timings, total := harTimings(resp.Timing, r.finished)
		entries = append(entries, obj{
			"pageref": "page_1", "startedDateTime": start.Format(time.RFC3339Nano), "time": total,
			"request": request,
			"response": obj{
				"status": resp.Status, "statusText": resp.StatusText, "httpVersion": harProtocol(resp.Protocol),
				"cookies": []obj{}, "headers": harHeaders(resp.Headers),
				"content":     obj{"size": max(bodySize, 0), "mimeType": resp.MimeType},
				"redirectURL": "", "headersSize": -1, "bodySize": bodySize,
			},
			"cache": obj{}, "timings": timings,
			"serverIPAddress": resp.RemoteIPAddress, "connection": fmt.Sprint(resp.ConnectionID),
		})
	}
	return json.MarshalIndent(obj{"log": obj{
		"version": "1.2",
		"creator": obj{"name": "phiproxy test CDP recorder", "version": "1"},
		"browser": obj{"name": "Chromium", "version": version.Product},
		"pages": []obj{{
			"startedDateTime": first.Format(time.RFC3339Nano), "id": "page_1", "title": "clinic.test",
			"pageTimings": obj{"onContentLoad": -1, "onLoad": -1},
		}},
		"entries": entries,
	}}, "", "  ")
}

// harHeaders turns CDP headers (several values of a name joined by "\n")
// into HAR name/value pairs, sorted for a stable file.
func harHeaders(h network.Headers) []harNV {
	out := []harNV{}
	for name, v := range h {
		for _, value := range strings.Split(fmt.Sprint(v), "\n") {
			out = append(out, harNV{name, value})
		}
	}
	slices.SortFunc(out, func(a, b harNV) int { return strings.Compare(a.Name+"\x00"+a.Value, b.Name+"\x00"+b.Value) })
	return out
}

func headerValue(h network.Headers, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return fmt.Sprint(v)
		}
	}
	return ""
}

func harQuery(raw string) []harNV {
	out := []harNV{}
	u, err := url.Parse(raw)
	if err != nil {
		return out
	}
	for _, kv := range strings.Split(u.RawQuery, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		name, _ := url.QueryUnescape(k)
		value, _ := url.QueryUnescape(v)
		out = append(out, harNV{name, value})
	}
	return out
}

// harProtocol spells CDP's protocol ("http/1.1", "h2") as HAR does.
func harProtocol(p string) string {
	switch p {
	case "h2":
		return "HTTP/2.0"
	case "":
		return "HTTP/1.1"
	}
	return strings.ToUpper(p)
}

// harTimings derives HAR's phases from CDP's resource timing, in
// milliseconds, -1 where a phase did not happen; and the total time.
func harTimings(rt *network.ResourceTiming, done *network.EventLoadingFinished) (map[string]float64, float64) {
	tm := map[string]float64{"blocked": -1, "dns": -1, "connect": -1, "ssl": -1, "send": 0, "wait": 0, "receive": 0}
	if rt == nil {
		return tm, 0
	}
	span := func(a, b float64) float64 {
		if a < 0 || b < 0 {
			return -1
		}
		return b - a
	}
	tm["dns"] = span(rt.DNSStart, rt.DNSEnd)
	tm["connect"] = span(rt.ConnectStart, rt.ConnectEnd)
	tm["ssl"] = span(rt.SslStart, rt.SslEnd)
	tm["send"] = max(rt.SendEnd-rt.SendStart, 0)
	tm["wait"] = max(rt.ReceiveHeadersEnd-rt.SendEnd, 0)
	if done != nil {
		tm["receive"] = max((done.Timestamp.Float64()-rt.RequestTime)*1000-rt.ReceiveHeadersEnd, 0)
	}
	// HAR counts ssl inside connect, so the total leaves it out.
	total := 0.0
	for k, v := range tm {
		if v > 0 && k != "ssl" {
			total += v
		}
	}
	return tm, total
}
