package proxy

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// rawTunnel opens a CONNECT tunnel to host through the rig and speaks TLS
// over it, trusting only the rig's CA.
func rawTunnel(t *testing.T, r *rig, host string) (*tls.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.DialTimeout("tcp", r.proxyURL.Host, waitLimit)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(waitLimit))
	fmt.Fprintf(c, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", host, host)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("CONNECT: %v %v", resp, err)
	}
	tc := tls.Client(c, &tls.Config{RootCAs: r.caPool, ServerName: strings.Split(host, ":")[0]})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("TLS through the tunnel: %v", err)
	}
	return tc, bufio.NewReader(tc)
}

// TestPipelinedRequestsInOneWrite: two requests sent in one write on a
// tunnel (a small POST, whose body is read ahead, then a GET) get their
// responses in order, and both flows are recorded.
func TestPipelinedRequestsInOneWrite(t *testing.T) {
	r, o, _ := twoOrigins(t, Config{}, nil)
	tc, br := rawTunnel(t, r, "tracker.example.com:443")
	body := `{"email":"jane@example.com"}`
	_, err := io.WriteString(tc, "POST /first HTTP/1.1\r\nHost: tracker.example.com\r\nContent-Type: application/json\r\nContent-Length: "+
		fmt.Sprint(len(body))+"\r\n\r\n"+body+
		"GET /second?q=1 HTTP/1.1\r\nHost: tracker.example.com\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ok /first", "ok /second"} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("reading response for %q: %v", want, err)
		}
		if got := readAll(t, resp); got != want {
			t.Errorf("response: got %q, want %q", got, want)
		}
	}
	if got := o.find(t, "/first"); string(got.Body) != body {
		t.Errorf("origin body: got %q, want %q", got.Body, body)
	}
	r.flows.waitURL(t, "https://tracker.example.com/first")
	r.flows.waitURL(t, "https://tracker.example.com/second?q=1")
}

// TestShortRequestBody: a browser that announces a small body, sends part
// of it and stops sending gets its connection closed (or a 400: the
// fault is the browser's) once it gives up, the exchange is recorded
// with an error, and nothing hangs.
func TestShortRequestBody(t *testing.T) {
	r, _, _ := twoOrigins(t, Config{}, nil)
	tc, br := rawTunnel(t, r, "tracker.example.com:443")
	_, err := io.WriteString(tc, "POST /short HTTP/1.1\r\nHost: tracker.example.com\r\nContent-Length: 100\r\n\r\nonly ten b")
	if err != nil {
		t.Fatal(err)
	}
	if err := tc.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.ReadResponse(br, nil); err == nil {
		readAll(t, resp)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status: got %d, want 400 or a closed connection", resp.StatusCode)
		}
	}
	f := r.flows.waitURL(t, "https://tracker.example.com/short")
	if f.Error == "" || f.Request.BodySize != 10 {
		t.Errorf("flow: error %q, body size %d; want an error and the 10 bytes that came", f.Error, f.Request.BodySize)
	}
}

// TestExpectContinueBodyStreams: a POST with Expect: 100-continue is not
// read ahead; the origin's 100 Continue lets the body through intact.
func TestExpectContinueBodyStreams(t *testing.T) {
	r, o, _ := twoOrigins(t, Config{}, nil)
	c := r.client(t, nil)
	c.Transport.(*http.Transport).ExpectContinueTimeout = waitLimit
	body := "medication=sertraline&email=jane%40example.com"
	req, err := http.NewRequest("POST", "https://tracker.example.com/expect", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Expect", "100-continue")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, resp); got != "ok /expect" {
		t.Errorf("response: got %q", got)
	}
	if got := o.find(t, "/expect"); string(got.Body) != body {
		t.Errorf("origin body: got %q, want %q", got.Body, body)
	}
	if f := r.flows.waitURL(t, "https://tracker.example.com/expect"); string(f.Request.Body) != body {
		t.Errorf("flow body: got %q, want %q", f.Request.Body, body)
	}
}

// TestConnectionCloseStaysOnTheBrowserSide: a browser that closes its
// connection after each request ("Connection: close") has that done to
// its connection, while the upstream connection is reused.
func TestConnectionCloseStaysOnTheBrowserSide(t *testing.T) {
	var newConns atomic.Int64
	o := newTLSOriginWith(t, func(s *httptest.Server) {
		s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				newConns.Add(1)
			}
		}
	})
	r := newRig(t, Config{
		Resolve:       map[string]string{"tracker.example.com:443": o.addr()},
		UpstreamRoots: o.pool(),
	}, nil)
	for i := 0; i < 3; i++ {
		tc, br := rawTunnel(t, r, "tracker.example.com:443")
		if _, err := fmt.Fprintf(tc, "GET /close?n=%d HTTP/1.1\r\nHost: tracker.example.com\r\nConnection: close\r\n\r\n", i); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := readAll(t, resp), "ok /close"; got != want {
			t.Errorf("response: got %q, want %q", got, want)
		}
		if !resp.Close {
			t.Errorf("request %d: the proxy kept the browser's connection open after Connection: close", i)
		}
		r.flows.waitURL(t, fmt.Sprintf("https://tracker.example.com/close?n=%d", i))
	}
	if n := newConns.Load(); n != 1 {
		t.Errorf("upstream connections: got %d, want 1 reused for all three requests", n)
	}
}

// TestOriginConnectionCloseStaysOnTheOriginSide: an origin that closes its
// connection after each response ("Connection: close", "Keep-Alive")
// does not close the browser's tunnel, the browser does not get those
// hop-by-hop headers, and the flow records them as the origin sent them.
func TestOriginConnectionCloseStaysOnTheOriginSide(t *testing.T) {
	o := newOrigin(t, true, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Origin", "kept")
		_, _ = io.WriteString(w, "ok "+r.URL.Path)
	})
	var counter *writeCounter
	accepted := 0
	r := newRigOn(t, Config{
		Resolve:       map[string]string{"tracker.example.com:443": o.addr()},
		UpstreamRoots: o.pool(),
	}, nil, func(ln net.Listener) net.Listener {
		counter = &writeCounter{Listener: ln}
		return &acceptCounter{Listener: counter, n: &accepted}
	})
	c := r.client(t, nil)
	for i := 0; i < 3; i++ {
		u := fmt.Sprintf("https://tracker.example.com/origin-close?n=%d", i)
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, resp); got != "ok /origin-close" {
			t.Errorf("response: got %q", got)
		}
		if resp.Close || resp.Header.Get("Keep-Alive") != "" || resp.Header.Get("X-Origin") != "kept" {
			t.Errorf("browser got Close=%v Keep-Alive=%q X-Origin=%q; want the connection kept, no hop-by-hop headers, end-to-end ones intact",
				resp.Close, resp.Header.Get("Keep-Alive"), resp.Header.Get("X-Origin"))
		}
		// net/http turns the origin's "Connection: close" into the
		// response's Close flag before anyone sees the header.
		f := r.flows.waitURL(t, u)
		if f.Response == nil || f.Response.Header.Get("Keep-Alive") != "timeout=5" {
			t.Errorf("flow response headers: got %v, want the origin's Keep-Alive as sent", f.Response)
		}
	}
	if accepted != 1 {
		t.Errorf("browser connections to the proxy: got %d, want 1 tunnel for all three requests", accepted)
	}
}

// acceptCounter counts accepted connections; Accept is called from one
// goroutine (http.Server's), so a plain int suffices.
type acceptCounter struct {
	net.Listener
	n *int
}

func (l *acceptCounter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		*l.n++
	}
	return c, err
}
