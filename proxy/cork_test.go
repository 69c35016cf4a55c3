package proxy

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// writeCounter counts the write calls made on the connections it accepts.
type writeCounter struct {
	net.Listener
	writes atomic.Int64
}

func (l *writeCounter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, writes: &l.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestSmallResponseOneWrite: inside a tunnel, a small response reaches the
// browser's socket in one write call (head and body together), a large one
// streams as it is written, and both arrive intact.
func TestSmallResponseOneWrite(t *testing.T) {
	small := bytes.Repeat([]byte("s"), 2000)
	large := bytes.Repeat([]byte("L"), 200<<10)
	o := newOrigin(t, true, func(w http.ResponseWriter, r *http.Request) {
		body := small
		if r.URL.Path == "/large" {
			body = large
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})
	var counter *writeCounter
	r := newRigOn(t, Config{UpstreamRoots: o.pool()}, nil, func(ln net.Listener) net.Listener {
		counter = &writeCounter{Listener: ln}
		return counter
	})
	c := r.client(t, nil)
	get := func(path string) []byte {
		t.Helper()
		resp, err := c.Get("https://" + o.addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	get("/warm") // CONNECT and TLS handshake
	for _, tc := range []struct {
		path       string
		want       []byte
		minW, maxW int64
	}{
		{"/small", small, 1, 1},
		{"/small-again", small, 1, 1},
		{"/large", large, 2, 1 << 20},
	} {
		before := counter.writes.Load()
		got := get(tc.path)
		writes := counter.writes.Load() - before
		if !bytes.Equal(got, tc.want) {
			t.Errorf("%s: got %d bytes, want %d", tc.path, len(got), len(tc.want))
		}
		if writes < tc.minW || writes > tc.maxW {
			t.Errorf("%s: %d write calls to the browser, want %d..%d", tc.path, writes, tc.minW, tc.maxW)
		}
		r.flows.waitURL(t, "https://"+o.addr()+tc.path)
	}
}

// TestShutdownWithBrowserNotReading: a browser that stops reading a large
// response leaves the proxy blocked in a write to it; Shutdown still
// returns once its context ends, closing that connection.
func TestShutdownWithBrowserNotReading(t *testing.T) {
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	o := newOrigin(t, true, func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 1024; i++ { // 64 MiB, far beyond socket buffers
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	r := newRig(t, Config{UpstreamRoots: o.pool()}, nil)
	resp, err := r.client(t, nil).Get("https://" + o.addr() + "/huge")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	time.Sleep(200 * time.Millisecond) // let the proxy fill the socket and block
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.srv.Shutdown(ctx) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second): // it gives up after 200 ms
		t.Fatal("Shutdown hung behind a browser that stopped reading")
	}
}
