package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/phiproxy/phiproxy"
)

// h2Tunnel opens an intercepted tunnel to host offering ALPN protos and
// returns the HTTP/2 client connection over it, or the protocol the proxy
// chose when it was not h2.
func h2Tunnel(t *testing.T, r *rig, host string, protos ...string) (*http2.ClientConn, string) {
	t.Helper()
	c, _ := connectRaw(t, r, host)
	tc := tls.Client(c, &tls.Config{RootCAs: r.caPool, ServerName: strings.Split(host, ":")[0], NextProtos: protos})
	tc.SetDeadline(time.Now().Add(waitLimit))
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS through the tunnel: %v", err)
	}
	tc.SetDeadline(time.Time{})
	alpn := tc.ConnectionState().NegotiatedProtocol
	if alpn != "h2" {
		return nil, alpn
	}
	cc, err := (&http2.Transport{}).NewClientConn(tc)
	if err != nil {
		t.Fatalf("HTTP/2 over the tunnel: %v", err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc, alpn
}

// h2Do sends req on cc and returns the response with its body read.
func h2Do(t testing.TB, cc *http2.ClientConn, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := cc.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s over h2: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s over h2: reading body: %v", req.Method, req.URL, err)
	}
	return resp, string(b)
}

func newRequest(t testing.TB, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestH2TunnelCapturesLikeHTTP1 sends the same requests over an HTTP/2
// tunnel and an HTTP/1.1 one: the origin receives the same thing, the
// flows hold the same request, and each flow names the browser side's
// protocol and the origin's.
func TestH2TunnelCapturesLikeHTTP1(t *testing.T) {
	tlsOrigin := newOrigin(t, true, nil)
	h2o := newTLSOriginWith(t, func(s *httptest.Server) { s.EnableHTTP2 = true })
	roots := x509.NewCertPool()
	roots.AddCert(tlsOrigin.Certificate())
	roots.AddCert(h2o.Certificate())
	r2 := newRig(t, Config{
		Resolve:       map[string]string{"tracker.example.com:443": tlsOrigin.addr(), "h2.example.com:443": h2o.addr()},
		UpstreamRoots: roots,
	}, nil)

	cc, alpn := h2Tunnel(t, r2, "tracker.example.com:443", "h2", "http/1.1")
	if alpn != "h2" {
		t.Fatalf("ALPN: got %q, want h2", alpn)
	}
	h1, alpn := h2Tunnel(t, r2, "tracker.example.com:443", "http/1.1")
	if h1 != nil || alpn != "http/1.1" {
		t.Fatalf("ALPN offering http/1.1 only: got %q", alpn)
	}
	h1client := r2.client(t, nil)

	body := `{"event":"Paid: Weekly Therapy","email":"jane@example.com","meds":["sertraline"]}`
	for _, proto := range []string{"HTTP/2.0", "HTTP/1.1"} {
		url := "https://tracker.example.com/events?via=" + proto
		req := newRequest(t, "POST", url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Trace", "kept")
		var resp *http.Response
		var got string
		if proto == "HTTP/2.0" {
			resp, got = h2Do(t, cc, req)
		} else {
			var err error
			if resp, err = h1client.Do(req); err != nil {
				t.Fatal(err)
			}
			got = readAll(t, resp)
		}
		if resp.StatusCode != 200 || got != "ok /events" || resp.Proto != proto {
			t.Fatalf("%s: got %s %d %q, want %s 200 %q", proto, resp.Proto, resp.StatusCode, got, proto, "ok /events")
		}
		rec := tlsOrigin.find(t, "/events?via="+proto)
		if string(rec.Body) != body || rec.Header.Get("X-Trace") != "kept" || rec.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: origin got body %q headers %v", proto, rec.Body, rec.Header)
		}
		f := r2.flows.waitURL(t, url)
		if string(f.Request.Body) != body || f.Request.BodySize != int64(len(body)) || f.Request.Header.Get("X-Trace") != "kept" {
			t.Errorf("%s: flow body %q size %d header %v", proto, f.Request.Body, f.Request.BodySize, f.Request.Header)
		}
		if f.ClientProto != proto || f.Request.Proto != proto || f.UpstreamProto != "HTTP/1.1" {
			t.Errorf("%s: flow protocols: client %q request %q upstream %q, want %s, %s, HTTP/1.1", proto, f.ClientProto, f.Request.Proto, f.UpstreamProto, proto, proto)
		}
		if f.Response == nil || string(f.Response.Body) != "ok /events" || f.ConnectTarget != "tracker.example.com:443" {
			t.Errorf("%s: flow response %+v target %q", proto, f.Response, f.ConnectTarget)
		}
	}

	// An origin speaking HTTP/2 too.
	cc2, _ := h2Tunnel(t, r2, "h2.example.com:443", "h2")
	url := "https://h2.example.com/both?x=1"
	if resp, got := h2Do(t, cc2, newRequest(t, "GET", url, nil)); resp.StatusCode != 200 || got != "ok /both" {
		t.Fatalf("h2 origin: got %d %q", resp.StatusCode, got)
	}
	f := r2.flows.waitURL(t, url)
	if f.ClientProto != "HTTP/2.0" || f.UpstreamProto != "HTTP/2.0" {
		t.Errorf("h2 both sides: client %q upstream %q", f.ClientProto, f.UpstreamProto)
	}
	if rec := h2o.find(t, "/both?x=1"); rec.Proto != "HTTP/2.0" || rec.BodySize != 0 {
		t.Errorf("h2 origin got %s with %d body bytes", rec.Proto, rec.BodySize)
	}
}

// TestHTTP1OnlyOffersNoH2: with HTTP1Only the tunnel answers a browser
// offering h2 with http/1.1, as before HTTP/2 was served.
func TestHTTP1OnlyOffersNoH2(t *testing.T) {
	r, _, _ := twoOrigins(t, Config{HTTP1Only: true}, nil)
	if cc, alpn := h2Tunnel(t, r, "tracker.example.com:443", "h2", "http/1.1"); cc != nil || alpn != "http/1.1" {
		t.Fatalf("ALPN with HTTP1Only: got %q, want http/1.1", alpn)
	}
	tr := &http.Transport{Proxy: http.ProxyURL(r.proxyURL), TLSClientConfig: &tls.Config{RootCAs: r.caPool}, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	resp, err := (&http.Client{Transport: tr, Timeout: waitLimit}).Get("https://tracker.example.com/one")
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if resp.Proto != "HTTP/1.1" {
		t.Errorf("response protocol: got %s, want HTTP/1.1", resp.Proto)
	}
	if f := r.flows.waitURL(t, "https://tracker.example.com/one"); f.ClientProto != "HTTP/1.1" {
		t.Errorf("flow client protocol: got %q", f.ClientProto)
	}
}

// TestH2LargeUploadBitExact: a 20 MB upload on an HTTP/2 stream, under
// flow control, reaches the origin whole and bit-exact; the flow keeps
// MaxBody of it and counts it all.
func TestH2LargeUploadBitExact(t *testing.T) {
	const maxBody = 1 << 20
	r, tlsOrigin, payload := uploadRig(t, maxBody)
	cc, _ := h2Tunnel(t, r, "tracker.example.com:443", "h2")
	for _, known := range []bool{true, false} {
		url := fmt.Sprintf("https://tracker.example.com/upload?length=%t", known)
		// Without a known length the request has no Content-Length at
		// all: the body ends with the stream.
		var body io.Reader = bytes.NewReader(payload)
		if !known {
			body = io.MultiReader(body)
		}
		req := newRequest(t, "POST", url, body)
		if resp, got := h2Do(t, cc, req); resp.StatusCode != 200 {
			t.Fatalf("upload: got %d %q", resp.StatusCode, got)
		}
		got := tlsOrigin.find(t, strings.TrimPrefix(url, "https://tracker.example.com"))
		if got.BodySize != int64(len(payload)) || got.BodySHA256 != sha256.Sum256(payload) {
			t.Errorf("length known %t: origin got %d bytes sha %x, want %d bytes", known, got.BodySize, got.BodySHA256, len(payload))
		}
		f := r.flows.waitURL(t, url)
		if !f.Request.Truncated || f.Request.BodySize != int64(len(payload)) || !bytes.Equal(f.Request.Body, payload[:maxBody]) {
			t.Errorf("length known %t: flow truncated=%t size=%d len=%d", known, f.Request.Truncated, f.Request.BodySize, len(f.Request.Body))
		}
	}
}

// TestH2ManyConcurrentStreams: 100 requests on one HTTP/2 connection, all
// in flight at once (the origin answers none until it holds them all),
// all complete, each with its own flow.
func TestH2ManyConcurrentStreams(t *testing.T) {
	const n = 100
	var inFlight atomic.Int32
	all := make(chan struct{})
	var once sync.Once
	r, _, _ := twoOrigins(t, Config{}, func(w http.ResponseWriter, req *http.Request) {
		if inFlight.Add(1) == n {
			once.Do(func() { close(all) })
		}
		select {
		case <-all:
		case <-time.After(waitLimit):
			http.Error(w, "not all streams arrived", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok "+req.URL.RawQuery)
	})
	cc, _ := h2Tunnel(t, r, "tracker.example.com:443", "h2")
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"stream":%d,"email":"p%d@example.com"}`, i, i)
			req := newRequest(t, "POST", fmt.Sprintf("https://tracker.example.com/s?%d", i), strings.NewReader(body))
			resp, err := cc.RoundTrip(req)
			if err != nil {
				errs <- err
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(b) != fmt.Sprintf("ok %d", i) {
				errs <- fmt.Errorf("stream %d: got %q, %v", i, b, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	flows := r.flows.waitUntil(t, "100 flows", func(f []*phiproxy.Flow) bool { return len(f) >= n })
	addrs := map[string]bool{}
	for _, f := range flows {
		addrs[f.ClientAddr] = true
		var i int
		fmt.Sscanf(f.Request.URL, "https://tracker.example.com/s?%d", &i)
		if want := fmt.Sprintf(`{"stream":%d,"email":"p%d@example.com"}`, i, i); string(f.Request.Body) != want || f.ClientProto != "HTTP/2.0" {
			t.Errorf("flow %s: body %q proto %s", f.Request.URL, f.Request.Body, f.ClientProto)
		}
	}
	if len(flows) != n || len(addrs) != 1 {
		t.Errorf("got %d flows from %d client connections, want %d from 1", len(flows), len(addrs), n)
	}
}

// TestH2TrailersBothWays: a request's trailers reach the origin and a
// response's reach the browser, across an HTTP/2 browser side and an
// HTTP/1.1 origin (chunked).
func TestH2TrailersBothWays(t *testing.T) {
	got := make(chan http.Header, 1)
	r, _, _ := twoOrigins(t, Config{}, func(w http.ResponseWriter, req *http.Request) {
		got <- req.Trailer.Clone()
		w.Header().Set("Trailer", "X-Origin-Sum")
		_, _ = io.WriteString(w, "body")
		w.Header().Set("X-Origin-Sum", "abc123")
	})
	cc, _ := h2Tunnel(t, r, "tracker.example.com:443", "h2")
	for _, size := range []int{11, 200 << 10} {
		pr, pw := io.Pipe()
		req := newRequest(t, "POST", fmt.Sprintf("https://tracker.example.com/trailers?%d", size), pr)
		req.Trailer = http.Header{"X-Checksum": nil}
		req.ContentLength = int64(size)
		go func() {
			_, _ = pw.Write(bytes.Repeat([]byte("a"), size))
			req.Trailer.Set("X-Checksum", "sha256:feed")
			pw.Close()
		}()
		resp, body := h2Do(t, cc, req)
		if resp.StatusCode != 200 || body != "body" {
			t.Fatalf("trailers, %d bytes: got %d %q", size, resp.StatusCode, body)
		}
		if v := resp.Trailer.Get("X-Origin-Sum"); v != "abc123" {
			t.Errorf("response trailer, %d bytes: got %q (%v), want abc123", size, v, resp.Trailer)
		}
		select {
		case tr := <-got:
			if v := tr.Get("X-Checksum"); v != "sha256:feed" {
				t.Errorf("request trailer at the origin, %d bytes: got %q (%v)", size, v, tr)
			}
		case <-time.After(waitLimit):
			t.Fatal("origin never answered")
		}
	}
}

// TestH2StalledBodyIs408: a stream whose body stops arriving is answered
// 408 once BodyIdleTimeout passes, its flow says why, and the other
// streams of the connection carry on.
func TestH2StalledBodyIs408(t *testing.T) {
	cfg := Config{BodyIdleTimeout: 300 * time.Millisecond}
	r, _, _ := twoOrigins(t, cfg, nil)
	cc, _ := h2Tunnel(t, r, "tracker.example.com:443", "h2")
	pr, pw := io.Pipe()
	defer pw.Close()
	req := newRequest(t, "POST", "https://tracker.example.com/stall", pr)
	req.ContentLength = 1 << 20
	go func() { _, _ = pw.Write([]byte("first part of the body")) }()
	resp, _ := h2Do(t, cc, req)
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("stalled body: got %d, want 408", resp.StatusCode)
	}
	f := r.flows.waitURL(t, "https://tracker.example.com/stall")
	if !strings.Contains(f.Error, "nothing received for 300ms") || string(f.Request.Body) != "first part of the body" {
		t.Errorf("flow: error %q body %q", f.Error, f.Request.Body)
	}
	if resp, got := h2Do(t, cc, newRequest(t, "GET", "https://tracker.example.com/after", nil)); resp.StatusCode != 200 || got != "ok /after" {
		t.Errorf("next stream: got %d %q", resp.StatusCode, got)
	}
}

// TestH2IdleConnectionCloses: an HTTP/2 tunnel is not closed while a
// stream waits longer than IdleTimeout for its origin, and is closed once
// it has had no stream for IdleTimeout.
func TestH2IdleConnectionCloses(t *testing.T) {
	const idle = 300 * time.Millisecond
	r, _, _ := twoOrigins(t, Config{IdleTimeout: idle}, func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/slow" {
			time.Sleep(3 * idle)
		}
		_, _ = io.WriteString(w, "ok")
	})
	cc, _ := h2Tunnel(t, r, "tracker.example.com:443", "h2")
	if resp, got := h2Do(t, cc, newRequest(t, "GET", "https://tracker.example.com/slow", nil)); resp.StatusCode != 200 || got != "ok" {
		t.Fatalf("slow stream: got %d %q", resp.StatusCode, got)
	}
	deadline := time.Now().Add(waitLimit)
	for !cc.State().Closed {
		if time.Now().After(deadline) {
			t.Fatalf("idle HTTP/2 tunnel still open after %v", waitLimit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestH2ResetAndCloseCancelUpstream: a stream the browser resets, and
// every stream of a connection the browser closes, has its upstream
// request cancelled and its flow says the client went away; the other
// streams of a reset one's connection carry on.
func TestH2ResetAndCloseCancelUpstream(t *testing.T) {
	r, got, gone := stuckOrigins(t, Config{})
	cc, _ := h2Tunnel(t, r, "tracker.example.com:443", "h2")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := cc.RoundTrip(newRequest(t, "GET", "https://tracker.example.com/reset", nil).WithContext(ctx))
		errc <- err
	}()
	waitFor(t, got, "/reset", waitLimit)
	cancel() // RST_STREAM
	waitFor(t, gone, "/reset", closedWithin)
	<-errc
	if f := r.flows.waitURL(t, "https://tracker.example.com/reset"); !strings.Contains(f.Error, "client closed") {
		t.Errorf("reset stream's flow Error: got %q, want the browser closing", f.Error)
	}

	go func() {
		_, err := cc.RoundTrip(newRequest(t, "GET", "https://tracker.example.com/closed", nil))
		errc <- err
	}()
	waitFor(t, got, "/closed", waitLimit)
	cc.Close()
	waitFor(t, gone, "/closed", closedWithin)
	<-errc
	if f := r.flows.waitURL(t, "https://tracker.example.com/closed"); !strings.Contains(f.Error, "client closed") {
		t.Errorf("closed connection's flow Error: got %q, want the browser closing", f.Error)
	}
}

// TestH2ResponsesBitExact: responses reach an HTTP/2 browser whole,
// with a known length or streamed without one, the flow keeping
// MaxResponseBody of each and counting it all; a script streamed over
// HTTP/2 is hashed whole.
func TestH2ResponsesBitExact(t *testing.T) {
	big := make([]byte, 3<<20)
	for i := range big {
		big[i] = byte(i*7 + i>>9)
	}
	r, _, _ := twoOrigins(t, Config{MaxResponseBody: 1024}, func(w http.ResponseWriter, req *http.Request) {
		if strings.HasSuffix(req.URL.Path, ".js") {
			w.Header().Set("Content-Type", "application/javascript")
		}
		if req.URL.Query().Get("length") == "known" {
			w.Header().Set("Content-Length", fmt.Sprint(len(big)))
			_, _ = w.Write(big)
			return
		}
		for b := big; len(b) > 0; b = b[min(len(b), 100<<10):] {
			_, _ = w.Write(b[:min(len(b), 100<<10)])
			w.(http.Flusher).Flush()
		}
	})
	cc, _ := h2Tunnel(t, r, "tracker.example.com:443", "h2")
	for _, u := range []string{"https://tracker.example.com/big?length=known", "https://tracker.example.com/big?length=streamed", "https://tracker.example.com/app.js"} {
		resp, body := h2Do(t, cc, newRequest(t, "GET", u, nil))
		if resp.StatusCode != 200 || body != string(big) {
			t.Errorf("%s: got %d, %d bytes, want 200 and %d identical bytes", u, resp.StatusCode, len(body), len(big))
		}
		if known := strings.HasSuffix(u, "known"); known && resp.ContentLength != int64(len(big)) {
			t.Errorf("%s: Content-Length %d, want %d", u, resp.ContentLength, len(big))
		}
		f := r.flows.waitURL(t, u)
		if f.Response.BodySize != int64(len(big)) || !bytes.Equal(f.Response.Body, big[:1024]) {
			t.Errorf("%s: flow response size %d, prefix %d bytes", u, f.Response.BodySize, len(f.Response.Body))
		}
		if want := fmt.Sprintf("%x", sha256.Sum256(big)); strings.HasSuffix(u, ".js") && f.Response.SHA256 != want {
			t.Errorf("%s: script hash %q, want %q", u, f.Response.SHA256, want)
		}
	}
}

// TestShutdownWithH2Tunnels: Shutdown lets a stream in flight finish (its
// flow emitted), tells the browser with a GOAWAY that the connection
// takes no more, and closes idle HTTP/2 tunnels.
func TestShutdownWithH2Tunnels(t *testing.T) {
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	r, _, _ := twoOrigins(t, Config{}, func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/slow" {
			started <- struct{}{}
			<-release
		}
		_, _ = io.WriteString(w, "done")
	})
	busy, _ := h2Tunnel(t, r, "tracker.example.com:443", "h2")
	idle, _ := h2Tunnel(t, r, "tracker.example.com:443", "h2")
	if resp, _ := h2Do(t, idle, newRequest(t, "GET", "https://tracker.example.com/first", nil)); resp.StatusCode != 200 {
		t.Fatalf("first request: %d", resp.StatusCode)
	}
	type answer struct {
		body string
		err  error
	}
	slow := make(chan answer, 1)
	go func() {
		resp, err := busy.RoundTrip(newRequest(t, "GET", "https://tracker.example.com/slow", nil))
		if err != nil {
			slow <- answer{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- answer{string(b), err}
	}()
	<-started
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		shut <- r.srv.Shutdown(ctx)
	}()
	// Once Shutdown has begun (and waits for the slow stream), let the
	// stream finish.
	for deadline := time.Now().Add(waitLimit); !r.srv.closing.Load(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Shutdown never began")
		}
	}
	close(release)
	if a := <-slow; a.err != nil || a.body != "done" {
		t.Errorf("stream in flight during Shutdown: got %q, %v", a.body, a.err)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	r.flows.waitURL(t, "https://tracker.example.com/slow")
	deadline := time.Now().Add(waitLimit)
	for !idle.State().Closed || busy.CanTakeNewRequest() {
		if time.Now().After(deadline) {
			t.Fatalf("after Shutdown: idle tunnel closed %t, busy tunnel takes new requests %t", idle.State().Closed, busy.CanTakeNewRequest())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStalledH2ClientsAreClosedAndFreed: an HTTP/2 tunnel that never
// sends its preface, one that sends it and no request, and one whose
// request body stalls are each closed once their limit passes, and
// everything they held is given back.
func TestStalledH2ClientsAreClosedAndFreed(t *testing.T) {
	r, _, _ := twoOrigins(t, limitedConfig(), nil)
	baseG, baseFD := runtime.NumGoroutine(), openFDs(t)

	handshaken := func() *tls.Conn {
		c, _ := connectRaw(t, r, "tracker.example.com:443")
		tc := tls.Client(c, &tls.Config{RootCAs: r.caPool, ServerName: "tracker.example.com", NextProtos: []string{"h2"}})
		tc.SetDeadline(time.Now().Add(waitLimit))
		if err := tc.Handshake(); err != nil || tc.ConnectionState().NegotiatedProtocol != "h2" {
			t.Fatalf("h2 handshake: %v, %q", err, tc.ConnectionState().NegotiatedProtocol)
		}
		return tc
	}
	// closedSoon reads until the proxy closes c, which must happen
	// within its limit and closedWithin.
	closedSoon := func(what string, c net.Conn) {
		t.Helper()
		start := time.Now()
		c.SetReadDeadline(time.Now().Add(limit + closedWithin))
		_, err := io.Copy(io.Discard, c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("%s: still open %v later", what, time.Since(start))
		}
		c.Close()
	}

	noPreface := handshaken()
	prefaced := handshaken()
	if _, err := io.WriteString(prefaced, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := http2.NewFramer(prefaced, nil).WriteSettings(); err != nil {
		t.Fatal(err)
	}
	cc, _ := h2Tunnel(t, r, "tracker.example.com:443", "h2")
	pr, pw := io.Pipe()
	defer pw.Close()
	req := newRequest(t, "POST", "https://tracker.example.com/stalled", pr)
	req.ContentLength = 1 << 20
	go func() { _, _ = pw.Write([]byte("part")) }()
	if resp, _ := h2Do(t, cc, req); resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("stalled body: got %d, want 408", resp.StatusCode)
	}

	closedSoon("no preface", noPreface)
	closedSoon("preface and no request", prefaced)
	deadline := time.Now().Add(limit + closedWithin)
	for !cc.State().Closed {
		if time.Now().After(deadline) {
			t.Fatal("idle after a stalled body: still open")
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitResources(t, r, baseG, baseFD)
}
