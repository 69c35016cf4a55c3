package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
)

// limit is the time limit the tests configure for every stage: short, so
// that a stage that is not enforced shows as a connection still open
// many times later.
const limit = raceSlowdown * 200 * time.Millisecond

// closedWithin is how long after its limit a connection may still be open
// on a busy two-core machine.
const closedWithin = 10 * time.Second

func limitedConfig() Config {
	return Config{HandshakeTimeout: limit, HeaderTimeout: limit, BodyIdleTimeout: limit, IdleTimeout: limit}
}

// openFDs counts this process's open file descriptors.
func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

// waitResources polls until goroutines and file descriptors are back to
// at most the baseline plus slack, or fails after waitLimit.
func waitResources(t *testing.T, r *rig, baseG, baseFD int) {
	t.Helper()
	const slack = 4
	deadline := time.Now().Add(waitLimit)
	for {
		// Upstream connections the transport keeps for reuse are not the
		// clients' doing.
		r.srv.strict.CloseIdleConnections()
		g, fd := runtime.NumGoroutine(), openFDs(t)
		if g <= baseG+slack && fd <= baseFD+slack {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("resources not freed: %d goroutines (baseline %d), %d fds (baseline %d)\n%s", g, baseG, fd, baseFD, buf[:n])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stalled is a client connection left hanging on purpose.
type stalled struct {
	kind   string
	conn   net.Conn  // raw socket
	rd     io.Reader // what the proxy answers arrives on
	last   time.Time // the client's last write
	answer string    // first line of what the proxy answered, if anything
	err    error     // how the read ended
	after  time.Duration
}

// dialProxy opens a raw socket to the rig.
func dialProxy(t *testing.T, r *rig) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", r.proxyURL.Host, waitLimit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// connectRaw sends a CONNECT and reads its 200, leaving the tunnel unused.
func connectRaw(t *testing.T, r *rig, host string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c := dialProxy(t, r)
	c.SetDeadline(time.Now().Add(waitLimit))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", host, host)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	c.SetDeadline(time.Time{})
	return c, br
}

// tlsTunnel opens an intercepted tunnel and completes the TLS handshake.
func tlsTunnel(t *testing.T, r *rig) (net.Conn, *tls.Conn) {
	t.Helper()
	c, _ := connectRaw(t, r, "tracker.example.com:443")
	tc := tls.Client(c, &tls.Config{RootCAs: r.caPool, ServerName: "tracker.example.com"})
	tc.SetDeadline(time.Now().Add(waitLimit))
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS through the tunnel: %v", err)
	}
	tc.SetDeadline(time.Time{})
	return c, tc
}

// TestStalledClientsAreClosedAndFreed opens every kind of connection that
// stops half-way and checks that each is closed once its stage's limit
// passes, and that closing them gives back every goroutine and file
// descriptor they held.
func TestStalledClientsAreClosedAndFreed(t *testing.T) {
	r, _, _ := twoOrigins(t, limitedConfig(), nil)
	baseG, baseFD := runtime.NumGoroutine(), openFDs(t)

	const each = 15
	var conns []*stalled
	add := func(kind string, c net.Conn, rd io.Reader) {
		conns = append(conns, &stalled{kind: kind, conn: c, rd: rd, last: time.Now()})
	}
	for i := 0; i < each; i++ {
		c, br := connectRaw(t, r, "tracker.example.com:443")
		add("CONNECT without TLS handshake", c, br)

		c, tc := tlsTunnel(t, r)
		io.WriteString(tc, "GET /half HTTP/1.1\r\nHost: tracker.exa")
		add("tunnel with half a request", c, tc)

		c, tc = tlsTunnel(t, r)
		io.WriteString(tc, "POST /stall-tunnel HTTP/1.1\r\nHost: tracker.example.com\r\nContent-Length: 100\r\n\r\nonly ten b")
		add("tunnel with a stalled body", c, tc)

		c, tc = tlsTunnel(t, r)
		io.WriteString(tc, "GET /done HTTP/1.1\r\nHost: tracker.example.com\r\n\r\n")
		tbr := bufio.NewReader(tc)
		if resp, err := http.ReadResponse(tbr, nil); err != nil || readAll(t, resp) != "ok /done" {
			t.Fatalf("request before idling: %v", err)
		}
		add("idle tunnel", c, tbr)

		c = dialProxy(t, r)
		io.WriteString(c, "POST http://tracker.example.com/stall-plain HTTP/1.1\r\nHost: tracker.example.com\r\nContent-Length: 100\r\n\r\nonly ten b")
		add("plain request with a stalled body", c, c)

		c = dialProxy(t, r)
		io.WriteString(c, "GET http://tracker.example.com/half HTTP/1.1\r\nHost: tr")
		add("plain request with half its headers", c, c)

		c = dialProxy(t, r)
		io.WriteString(c, "GET http://tracker.example.com/done HTTP/1.1\r\nHost: tracker.example.com\r\n\r\n")
		pbr := bufio.NewReader(c)
		if resp, err := http.ReadResponse(pbr, nil); err != nil || readAll(t, resp) != "ok /done" {
			t.Fatalf("plain request before idling: %v", err)
		}
		add("idle keep-alive connection", c, pbr)
	}

	var wg sync.WaitGroup
	for _, s := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.conn.SetReadDeadline(time.Now().Add(closedWithin))
			b, err := io.ReadAll(s.rd)
			s.after = time.Since(s.last)
			s.answer, _, _ = strings.Cut(string(b), "\r\n")
			s.err = err
		}()
	}
	wg.Wait()
	failed := map[string]bool{}
	for _, s := range conns {
		var ne net.Error
		switch {
		case errors.As(s.err, &ne) && ne.Timeout():
			if !failed[s.kind] {
				t.Errorf("%s: still open %v after the client's last byte (limit %v)", s.kind, closedWithin, limit)
			}
			failed[s.kind] = true
		case s.after < limit*3/4:
			t.Errorf("%s: closed after %v, before the %v limit", s.kind, s.after, limit)
		}
		if strings.Contains(s.kind, "stalled body") && !strings.HasPrefix(s.answer, "HTTP/1.1 408") {
			t.Errorf("%s: answer %q, want a 408", s.kind, s.answer)
		}
	}
	for _, u := range []string{"https://tracker.example.com/stall-tunnel", "http://tracker.example.com/stall-plain"} {
		f := r.flows.waitURL(t, u)
		if !strings.Contains(f.Error, "request body") || f.Request.BodySize != 10 {
			t.Errorf("%s flow: error %q, body size %d; want the body timeout and the 10 bytes that came", u, f.Error, f.Request.BodySize)
		}
	}
	for _, s := range conns {
		s.conn.Close()
	}
	waitResources(t, r, baseG, baseFD)
}

// stuckOrigins is a proxy in front of origins that take every request and
// answer none until the request is cancelled. got receives each request's
// path as it arrives, gone each path whose request was cancelled.
func stuckOrigins(t *testing.T, cfg Config) (r *rig, got, gone chan string) {
	t.Helper()
	got, gone = make(chan string, 64), make(chan string, 64)
	r, _, _ = twoOrigins(t, cfg, func(w http.ResponseWriter, req *http.Request) {
		got <- req.URL.Path
		select {
		case <-req.Context().Done():
			gone <- req.URL.Path
		case <-time.After(waitLimit):
		}
	})
	return r, got, gone
}

func waitFor(t *testing.T, ch chan string, want string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case p := <-ch:
			if p == want {
				return
			}
		case <-deadline:
			t.Fatalf("%s: not seen within %v", want, within)
		}
	}
}

func TestOriginThatNeverAnswersIs504(t *testing.T) {
	cfg := limitedConfig()
	cfg.UpstreamTimeout = 300 * time.Millisecond
	r, _, gone := stuckOrigins(t, cfg)
	client := r.client(t, nil)
	client.Timeout = closedWithin
	for _, u := range []string{"https://tracker.example.com/never", "http://tracker.example.com/never"} {
		t.Run(u, func(t *testing.T) {
			resp, err := client.Get(u)
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			body := readAll(t, resp)
			if resp.StatusCode != http.StatusGatewayTimeout {
				t.Fatalf("status: got %d (%q), want 504", resp.StatusCode, body)
			}
			f := r.flows.waitURL(t, u)
			if !strings.Contains(f.Error, "timeout awaiting response headers") {
				t.Errorf("flow Error: got %q, want the response-header timeout", f.Error)
			}
			if want := "phiproxy: upstream tracker.example.com: " + f.Error + "\n"; body != want {
				t.Errorf("504 body:\ngot  %q\nwant %q", body, want)
			}
			waitFor(t, gone, "/never", closedWithin)
		})
	}
}

// TestBrowserGivingUpCancelsUpstream: a browser that closes its
// connection while the origin has not answered has the upstream request
// cancelled, over plain HTTP and inside a tunnel alike.
func TestBrowserGivingUpCancelsUpstream(t *testing.T) {
	r, got, gone := stuckOrigins(t, Config{})

	c := dialProxy(t, r)
	io.WriteString(c, "GET http://tracker.example.com/plain-gone HTTP/1.1\r\nHost: tracker.example.com\r\n\r\n")
	waitFor(t, got, "/plain-gone", waitLimit)
	c.Close()
	waitFor(t, gone, "/plain-gone", closedWithin)
	if f := r.flows.waitURL(t, "http://tracker.example.com/plain-gone"); !strings.Contains(f.Error, "client closed") {
		t.Errorf("plain flow Error: got %q, want the browser closing", f.Error)
	}

	_, tc := tlsTunnel(t, r)
	io.WriteString(tc, "GET /tunnel-gone HTTP/1.1\r\nHost: tracker.example.com\r\n\r\n")
	waitFor(t, got, "/tunnel-gone", waitLimit)
	start := time.Now()
	tc.Close()
	waitFor(t, gone, "/tunnel-gone", closedWithin)
	t.Logf("tunnel: upstream cancelled %v after the browser closed", time.Since(start))
	f := r.flows.waitURL(t, "https://tracker.example.com/tunnel-gone")
	if !strings.Contains(f.Error, "client closed") {
		t.Errorf("tunnel flow Error: got %q, want the browser closing", f.Error)
	}
}

// TestClientBodyErrorsAreClientErrors: a body the browser framed wrongly
// is answered 400 naming the request body, not 502 blaming the origin.
func TestClientBodyErrorsAreClientErrors(t *testing.T) {
	r, _, _ := twoOrigins(t, Config{}, nil)
	const bad = "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n"
	check := func(t *testing.T, rd *bufio.Reader, u string) {
		t.Helper()
		resp, err := http.ReadResponse(rd, nil)
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "request body") || strings.Contains(body, "upstream") {
			t.Errorf("answer: %d %q; want a 400 about the request body", resp.StatusCode, body)
		}
		if f := r.flows.waitURL(t, u); !strings.Contains(f.Error, "request body") {
			t.Errorf("flow Error: got %q, want the request body's fault", f.Error)
		}
	}
	t.Run("plain", func(t *testing.T) {
		c := dialProxy(t, r)
		c.SetDeadline(time.Now().Add(waitLimit))
		io.WriteString(c, "POST http://tracker.example.com/chunked HTTP/1.1\r\nHost: tracker.example.com\r\n"+bad)
		check(t, bufio.NewReader(c), "http://tracker.example.com/chunked")
	})
	t.Run("tunnel", func(t *testing.T) {
		_, tc := tlsTunnel(t, r)
		tc.SetDeadline(time.Now().Add(waitLimit))
		io.WriteString(tc, "POST /chunked HTTP/1.1\r\nHost: tracker.example.com\r\n"+bad)
		check(t, bufio.NewReader(tc), "https://tracker.example.com/chunked")
	})
}

// TestMaxConnsRefusesBeyondTheCap: past MaxConns open connections, a
// plain request and a CONNECT are each answered 503 with the reason, and
// a slot freed by a closing connection is usable again.
func TestMaxConnsRefusesBeyondTheCap(t *testing.T) {
	const maxConns = 3
	r, _, _ := twoOrigins(t, Config{MaxConns: maxConns}, nil)
	var open []net.Conn
	for i := 0; i < maxConns; i++ {
		c := dialProxy(t, r)
		c.SetDeadline(time.Now().Add(waitLimit))
		io.WriteString(c, "GET http://tracker.example.com/held HTTP/1.1\r\nHost: tracker.example.com\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || readAll(t, resp) != "ok /held" {
			t.Fatalf("connection %d within the cap: %v", i, err)
		}
		open = append(open, c)
	}
	for _, req := range []string{
		"GET http://tracker.example.com/over HTTP/1.1\r\nHost: tracker.example.com\r\n\r\n",
		"CONNECT tracker.example.com:443 HTTP/1.1\r\nHost: tracker.example.com:443\r\n\r\n",
	} {
		c := dialProxy(t, r)
		c.SetDeadline(time.Now().Add(waitLimit))
		io.WriteString(c, req)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("%q: %v", req, err)
		}
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "client connections") || !strings.Contains(body, fmt.Sprint(maxConns)) {
			t.Errorf("%q: got %d %q, want a 503 naming the cap", req, resp.StatusCode, body)
		}
		c.Close()
	}
	open[0].Close()
	client := r.client(t, nil)
	deadline := time.Now().Add(waitLimit)
	for {
		resp, err := client.Get("http://tracker.example.com/again")
		if err == nil && resp.StatusCode == http.StatusOK {
			readAll(t, resp)
			break
		}
		if err == nil {
			readAll(t, resp)
		}
		if time.Now().After(deadline) {
			t.Fatalf("a freed slot was never reusable: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestShutdownAnswersStuckExchanges: exchanges still waiting on an origin
// when the grace period ends are answered 503 with the reason, their
// flows are emitted with the error before Shutdown returns, and Shutdown
// reports success.
func TestShutdownAnswersStuckExchanges(t *testing.T) {
	r, got, _ := stuckOrigins(t, Config{})
	urls := []string{"https://tracker.example.com/stuck", "http://tracker.example.com/stuck"}
	type answer struct {
		status int
		body   string
		err    error
	}
	answers := make(chan answer, len(urls))
	client := r.client(t, nil)
	for _, u := range urls {
		go func() {
			resp, err := client.Get(u)
			if err != nil {
				answers <- answer{err: err}
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			answers <- answer{resp.StatusCode, string(b), err}
		}()
		waitFor(t, got, "/stuck", waitLimit)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := r.srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v; want nil once every exchange was answered", err)
	}
	flows := map[string]*phiproxy.Flow{}
	for _, f := range r.flows.all() {
		flows[f.Request.URL] = f
	}
	for _, u := range urls {
		if f := flows[u]; f == nil || !strings.Contains(f.Error, "shutting down") {
			t.Errorf("%s: flow when Shutdown returned: %+v; want one whose Error says the proxy is shutting down", u, f)
		}
	}
	for range urls {
		select {
		case a := <-answers:
			if a.err != nil || a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, "shutting down") {
				t.Errorf("browser got %d %q %v; want a 503 saying the proxy is shutting down", a.status, a.body, a.err)
			}
		case <-time.After(waitLimit):
			t.Fatal("a browser got no answer")
		}
	}
}

// TestRefusedRequestTunnelStillIdlesOut: a tunnel whose request the proxy
// answers itself (a crawl refusing the browser's own traffic) is still
// closed when it then sits idle, and only then: not at the limit of the
// refused request's headers.
func TestRefusedRequestTunnelStillIdlesOut(t *testing.T) {
	cfg := limitedConfig()
	cfg.IdleTimeout = 5 * limit
	cfg.PageTrafficOnly = true
	r, _, _ := twoOrigins(t, cfg, nil)
	c, tc := tlsTunnel(t, r)
	// Idle for most of the limit first: the limit must start again after
	// the answer, not run on from the handshake.
	time.Sleep(cfg.IdleTimeout * 3 / 5)
	io.WriteString(tc, "GET /update HTTP/1.1\r\nHost: tracker.example.com\r\nSec-Fetch-Site: none\r\nSec-Fetch-Mode: no-cors\r\n\r\n")
	br := bufio.NewReader(tc)
	c.SetReadDeadline(time.Now().Add(closedWithin))
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("refused request: %v %v", resp, err)
	}
	readAll(t, resp)
	idle := time.Now()
	_, err = io.ReadAll(br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("tunnel still open %v after its refused request (idle limit %v)", closedWithin, cfg.IdleTimeout)
	}
	if d := time.Since(idle); d < cfg.IdleTimeout*3/4 {
		t.Errorf("closed after %v idle, before the %v idle limit", d, cfg.IdleTimeout)
	}
}

// heldFlight passes a TLS client's first write (its ClientHello) and
// holds the rest until flush, so that its Finished and its first request
// leave in one write, as browsers often send them.
type heldFlight struct {
	net.Conn
	passed bool
	held   []byte
}

func (c *heldFlight) Write(p []byte) (int, error) {
	if !c.passed {
		c.passed = true
		return c.Conn.Write(p)
	}
	c.held = append(c.held, p...)
	return len(p), nil
}

func (c *heldFlight) flush() error {
	_, err := c.Conn.Write(c.held)
	return err
}

// TestHalfRequestWithTheFinished: half a request that arrives together
// with the browser's TLS 1.3 Finished still has the header limit, not the
// (longer) idle one. (A TLS 1.2 client waits for the server's Finished,
// so only one with False Start could do the same.)
func TestHalfRequestWithTheFinished(t *testing.T) {
	cfg := limitedConfig()
	cfg.IdleTimeout = closedWithin * 2
	r, _, _ := twoOrigins(t, cfg, nil)
	raw, _ := connectRaw(t, r, "tracker.example.com:443")
	hf := &heldFlight{Conn: raw}
	tc := tls.Client(hf, &tls.Config{RootCAs: r.caPool, ServerName: "tracker.example.com", MinVersion: tls.VersionTLS13})
	raw.SetDeadline(time.Now().Add(waitLimit))
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	io.WriteString(tc, "GET /half HTTP/1.1\r\nHost: tracker.exa")
	sent := time.Now()
	if err := hf.flush(); err != nil {
		t.Fatal(err)
	}
	raw.SetDeadline(time.Now().Add(closedWithin))
	_, err := io.ReadAll(tc)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("half a request sent with the Finished: still open %v later (header limit %v)", closedWithin, limit)
	}
	if d := time.Since(sent); d > closedWithin/2 {
		t.Errorf("closed after %v, want about the %v header limit", d, limit)
	}
}

// FuzzFinishScan: scanning the browser's bytes never panics, never claims
// more than it was given, and finds the same end of the handshake however
// the bytes are split across reads.
func FuzzFinishScan(f *testing.F) {
	f.Add(true, []byte("\x14\x03\x03\x00\x01\x01\x17\x03\x03\x00\x02abGET / HTTP/1.1\r\n"), 3)
	f.Add(false, []byte("\x16\x03\x03\x00\x01x\x14\x03\x03\x00\x01\x01\x16\x03\x03\x00\x02ab\x17\x03\x03\x00\x01c"), 7)
	f.Add(true, []byte("\x17\x03\x03\xff\xff"), 0)
	f.Fuzz(func(t *testing.T, tls13 bool, data []byte, cut int) {
		whole := finishScan{tls13: tls13}
		used, done := whole.feed(data)
		if used > len(data) {
			t.Fatalf("used %d of %d bytes", used, len(data))
		}
		if len(data) == 0 {
			return
		}
		cut = (cut%len(data) + len(data)) % len(data)
		split := finishScan{tls13: tls13}
		u1, d1 := split.feed(data[:cut])
		if d1 {
			if !done || u1 != used {
				t.Fatalf("split at %d: done after %d bytes; whole: %v after %d", cut, u1, done, used)
			}
			return
		}
		u2, d2 := split.feed(data[cut:])
		if d2 != done || u1+u2 != used {
			t.Fatalf("split at %d: %v after %d bytes; whole: %v after %d", cut, d2, u1+u2, done, used)
		}
	})
}
