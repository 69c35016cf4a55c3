package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
	"github.com/phiproxy/phiproxy/internal/testenv"
)

// findingKeys lists the findings of the flows to host whose URL contains
// marker as sorted "kind term path" lines, to compare two runs of the
// same traffic.
func findingKeys(t *testing.T, db, host, marker string) []string {
	t.Helper()
	code, out, errOut := cli(t, "findings", "--json", "--db", db)
	if code != 0 {
		t.Fatalf("findings: exit %d: %s", code, errOut)
	}
	var keys []string
	for _, row := range parseJSONLines(t, out) {
		if row["host"] == host && strings.Contains(fmt.Sprint(row["url"]), marker) {
			keys = append(keys, fmt.Sprintf("%v %v %v", row["kind"], row["term"], row["path"]))
		}
	}
	slices.Sort(keys)
	return keys
}

// TestCurlHTTP2ThroughProxy sends the same leak with curl over HTTP/2 and
// over HTTP/1.1: the browser side negotiates h2 only when offered and
// allowed (not with --http1-only), the flows record both sides'
// protocols, and the findings are the same whatever the protocol.
func TestCurlHTTP2ThroughProxy(t *testing.T) {
	testenv.Program(t, "curl")
	testenv.Program(t, "sqlite3")
	o := newOrigin(t)
	body := `{"event":"Purchase","email":"jane.doe@example.com","medication":"sertraline","dob":"1980-04-12"}`
	curl := func(r *running, proto, marker string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "curl", "-sS", "--fail", proto, "--proxy", "http://"+r.addr,
			"--cacert", filepath.Join(r.ca, "ca.pem"), "-H", "Content-Type: application/json", "--data", body,
			"-w", "\n%{http_version}", "https://tracker.test/collect?via="+marker).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %s: %v: %s", proto, err, out)
		}
		want := "ok\n2"
		if proto != "--http2" || marker == "h1only" {
			want = "ok\n1.1"
		}
		if string(out) != want {
			t.Errorf("curl %s (%s): got %q, want %q", proto, marker, out, want)
		}
	}
	r := startProxy(t, "--resolve", "tracker.test="+o.addr(), "--upstream-ca", o.certFile)
	curl(r, "--http2", "h2")
	curl(r, "--http1.1", "h1")
	r.stop(t)
	only := startProxy(t, "--resolve", "tracker.test="+o.addr(), "--upstream-ca", o.certFile, "--http1-only")
	curl(only, "--http2", "h1only")
	only.stop(t)

	for _, c := range []struct{ db, marker, want string }{
		{r.db, "h2", "HTTP/2.0|HTTP/1.1"},
		{r.db, "h1", "HTTP/1.1|HTTP/1.1"},
		{only.db, "h1only", "HTTP/1.1|HTTP/1.1"},
	} {
		if got := sqlite(t, c.db, "SELECT client_proto, upstream_proto FROM flows WHERE url LIKE '%via="+c.marker+"'"); got != c.want {
			t.Errorf("%s: protocols (browser|origin): got %q, want %q", c.marker, got, c.want)
		}
	}
	h2, h1 := findingKeys(t, r.db, "tracker.test", "via=h2"), findingKeys(t, r.db, "tracker.test", "via=h1")
	if len(h2) < 3 || !slices.Equal(h2, h1) {
		t.Errorf("findings differ between HTTP/2 and HTTP/1.1:\nh2: %q\nh1: %q", h2, h1)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, got := range o.got {
		if string(got.body) != body {
			t.Errorf("origin got %s with body %q", got.uri, got.body)
		}
	}
}

// TestChromiumHTTP2AndWebSocketThroughProxy loads a page in headless
// Chromium through phiproxy, then through phiproxy --http1-only. The page
// fires a pixel and chats over a WebSocket. With HTTP/2 offered the
// browser speaks h2 for the page and pixel (asserted from the stored
// flows), opens its WebSocket over HTTP/1.1 (the proxy does not offer
// RFC 8441), and the findings match the HTTP/1.1-only run's.
func TestChromiumHTTP2AndWebSocketThroughProxy(t *testing.T) {
	chromiumtest.RequireBrowser(t)
	testenv.Program(t, "sqlite3")
	chatted := make(chan string, 4)
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	site := chromiumtest.NewSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Host == "clinic.test" && r.URL.Path == "/portal":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			// The last image waits for the chat message, so that the
			// load event (and --dump-dom) comes after it.
			fmt.Fprint(w, `<!doctype html><html><head><title>Portal</title>
<script>
var ws = new WebSocket("wss://chat.thirdparty.test/socket");
ws.onopen = function() { ws.send("I take sertraline, reach me at jane.doe@example.com"); };
</script></head><body><h1>Your portal</h1>
<img src="https://pixel.thirdparty.test/tr?ev=PageView&ud[em]=jane.doe%40example.com&cd[medication]=sertraline">
<img src="/after-chat"></body></html>`)
		case r.Host == "clinic.test" && r.URL.Path == "/after-chat":
			select {
			case <-chatted:
			case <-time.After(20 * time.Second):
			}
			w.Header().Set("Content-Type", "image/gif")
			w.Write([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))
		case r.Host == "pixel.thirdparty.test":
			w.Header().Set("Content-Type", "image/gif")
			w.Write([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))
		case r.Host == "chat.thirdparty.test":
			c, err := upgrader.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer c.Close()
			if _, msg, err := c.ReadMessage(); err == nil {
				chatted <- string(msg)
				_ = c.WriteMessage(websocket.TextMessage, []byte(`{"reply":"thanks"}`))
			}
			_, _, _ = c.ReadMessage() // until the browser leaves
		default:
			http.NotFound(w, r)
		}
	}), "clinic.test", "pixel.thirdparty.test", "chat.thirdparty.test")
	certFile := filepath.Join(t.TempDir(), "site.pem")
	if err := os.WriteFile(certFile, site.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	load := func(extra ...string) *running {
		t.Helper()
		args := []string{"--upstream-ca", certFile, "--store-all"}
		for _, h := range []string{"clinic.test", "pixel.thirdparty.test", "chat.thirdparty.test"} {
			args = append(args, "--resolve", h+"="+site.Addr())
		}
		r := startProxy(t, append(args, extra...)...)
		dom, err := dumpDOM(t, r, "https://clinic.test/portal")
		if err != nil || !strings.Contains(string(dom), "<h1>Your portal</h1>") {
			t.Fatalf("page did not load through the proxy (%v); DOM:\n%s", err, dom)
		}
		r.stop(t)
		return r
	}
	h2 := load()
	h1 := load("--http1-only")

	for _, c := range []struct {
		r          *running
		page, chat string
	}{{h2, "HTTP/2.0", "HTTP/1.1"}, {h1, "HTTP/1.1", "HTTP/1.1"}} {
		for _, q := range []struct{ where, want string }{
			{"url = 'https://clinic.test/portal'", c.page + "|HTTP/1.1"},
			{"host = 'pixel.thirdparty.test'", c.page + "|HTTP/1.1"},
			{"host = 'chat.thirdparty.test' AND status = 101", c.chat + "|HTTP/1.1"},
		} {
			if got := sqlite(t, c.r.db, "SELECT DISTINCT client_proto, upstream_proto FROM flows WHERE "+q.where); got != q.want {
				t.Errorf("%s: protocols of %s (browser|origin): got %q, want %q", c.r.db, q.where, got, q.want)
			}
		}
	}
	for _, host := range []string{"pixel.thirdparty.test", "chat.thirdparty.test"} {
		a, b := findingKeys(t, h2.db, host, ""), findingKeys(t, h1.db, host, "")
		if len(a) < 2 || !slices.Equal(a, b) {
			t.Errorf("%s: findings differ between HTTP/2 and HTTP/1.1 only:\nh2: %q\nh1: %q", host, a, b)
		}
	}
}

// TestHTTP2ServerLogsGoToTheLog: what the HTTP/2 server inside a tunnel
// logs (here, a client that never sends its preface) goes through the
// session's log, which the terminal UI keeps off the screen, rather than
// straight to stderr.
func TestHTTP2ServerLogsGoToTheLog(t *testing.T) {
	o := newOrigin(t)
	r := startProxy(t, "--resolve", "tracker.test="+o.addr(), "--upstream-ca", o.certFile, "--idle-timeout", "200ms")
	c, err := net.DialTimeout("tcp", r.addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "CONNECT tracker.test:443 HTTP/1.1\r\nHost: tracker.test:443\r\n\r\n")
	br := bufio.NewReader(c)
	if resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect}); err != nil || resp.StatusCode != 200 {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	caPEM, err := os.ReadFile(filepath.Join(r.ca, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	tc := tls.Client(c, &tls.Config{RootCAs: roots, ServerName: "tracker.test", NextProtos: []string{"h2"}})
	if err := tc.Handshake(); err != nil || tc.ConnectionState().NegotiatedProtocol != "h2" {
		t.Fatalf("h2 handshake: %v %q", err, tc.ConnectionState().NegotiatedProtocol)
	}
	// No preface: the proxy closes the connection after the idle limit.
	_, _ = io.Copy(io.Discard, tc)
	if !testenv.WaitFor(10*time.Second, func() bool { return strings.Contains(r.stderr.String(), "error reading preface") }) {
		t.Fatalf("the HTTP/2 server's complaint never reached the log; stderr:\n%s", r.stderr.String())
	}
	for _, line := range strings.Split(r.stderr.String(), "\n") {
		if strings.Contains(line, "error reading preface") && !strings.HasPrefix(line, "time=") {
			t.Errorf("logged around the session's log: %q", line)
		}
	}
}

// TestCurlHTTP2LargeUpload: a 20 MB upload from curl over HTTP/2 reaches
// the origin bit-exact; the stored flow counts all of it and keeps
// --max-body of it.
func TestCurlHTTP2LargeUpload(t *testing.T) {
	testenv.Program(t, "curl")
	testenv.Program(t, "sqlite3")
	o := newOrigin(t)
	payload := make([]byte, 20<<20)
	if _, err := rand.Read(payload); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "upload.bin")
	if err := os.WriteFile(file, payload, 0o600); err != nil {
		t.Fatal(err)
	}
	r := startProxy(t, "--resolve", "tracker.test="+o.addr(), "--upstream-ca", o.certFile, "--store-all", "--max-body", "1048576")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", "-sS", "--fail", "--http2", "--proxy", "http://"+r.addr,
		"--cacert", filepath.Join(r.ca, "ca.pem"), "-H", "Content-Type: application/octet-stream", "--data-binary", "@"+file,
		"-w", "\n%{http_version}", "https://tracker.test/upload").CombinedOutput()
	if err != nil || string(out) != "ok\n2" {
		t.Fatalf("curl: %v: %q", err, out)
	}
	r.stop(t)
	o.mu.Lock()
	var got []byte
	for _, rec := range o.got {
		if rec.uri == "/upload" {
			got = rec.body
		}
	}
	o.mu.Unlock()
	if sha256.Sum256(got) != sha256.Sum256(payload) {
		t.Errorf("origin got %d bytes, not the %d uploaded", len(got), len(payload))
	}
	want := fmt.Sprintf("%d|1048576|1|HTTP/2.0", len(payload))
	if got := sqlite(t, r.db, "SELECT req_body_size, length(req_body), req_truncated, client_proto FROM flows WHERE url = 'https://tracker.test/upload'"); got != want {
		t.Errorf("stored flow (size|kept|truncated|protocol): got %q, want %q", got, want)
	}
}
