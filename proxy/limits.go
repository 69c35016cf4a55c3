package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Time limits on the browser's side of the proxy.
//
// Outside tunnels, http.Server enforces the header and keep-alive limits
// (ReadHeaderTimeout, IdleTimeout). Inside an intercepted tunnel goproxy
// reads with no deadline at all, so the tunnel's connection enforces them
// itself: each stage of the tunnel sets one read deadline on the socket
// (no timer or goroutine of its own), armed by the next read. Request
// bodies, in and out of tunnels, get a sliding read deadline from the
// requestTap that reads them.

// A stage says who manages a client connection's read deadline.
const (
	// stageServer: http.Server does (a connection not, or not yet,
	// tunnelled), or nobody (a WebSocket).
	stageServer int32 = iota
	// stagePending: a CONNECT is being answered; http.Server still owns
	// the connection (and may be reading it in the background).
	stagePending
	// stageBusy: a tunnel's request is being handled; its body's reader
	// sets deadlines, the connection none.
	stageBusy
	// Stages with one fixed deadline, from entering the stage:
	stageHandshake // CONNECT answered, TLS handshake not finished
	// stageShaken: the handshake is verified, but the browser's last
	// handshake flight (its Finished) is still to be read; the idle limit
	// runs. Bytes past that flight begin a request (see finishScan).
	stageShaken
	stageIdle   // between a tunnel's requests
	stageHeader // reading a request's headers, from its first byte
)

// readLimits is the tunnel-stage state of a trackedConn.
type readLimits struct {
	stage atomic.Int32
	until atomic.Int64 // the current fixed stage's deadline, Unix ns
	// header and idle are Config.HeaderTimeout and Config.IdleTimeout,
	// set once when the connection is accepted.
	header, idle time.Duration

	dmu   sync.Mutex // orders deadline changes between readers and http.Server
	armed int64      // deadline set on the socket for the stage; 0 when unknown

	finish finishScan // stageShaken only; goproxy's reading goroutine only

	stashed atomic.Bool // held has bytes
	hmu     sync.Mutex
	held    []byte // read by the client-close watch, not yet by goproxy
}

// enter moves the connection to a stage; a fixed stage's deadline is d
// from now. The next read arms it. Safe on a nil connection.
func (c *trackedConn) enter(stage int32, d time.Duration) {
	if c == nil {
		return
	}
	if stage >= stageHandshake {
		c.until.Store(time.Now().Add(d).UnixNano())
	}
	c.stage.Store(stage)
}

// unlimit leaves the connection with no read deadline at all, for an
// upgraded (WebSocket) tunnel.
func (c *trackedConn) unlimit() {
	if c == nil {
		return
	}
	c.stage.Store(stageServer)
	c.setReadDeadline(time.Time{})
}

// Read returns bytes the client-close watch held back first, and arms
// the deadline of a fixed tunnel stage.
func (c *trackedConn) Read(p []byte) (int, error) {
	if c.stashed.Load() {
		if n := c.takeHeld(p); n > 0 {
			return n, nil
		}
	}
	stage := c.stage.Load()
	if stage >= stageHandshake {
		c.arm()
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		switch stage {
		case stageShaken:
			if used, done := c.finish.feed(p[:n]); done {
				if c.h2.Load() {
					// The HTTP/2 server reads from now on; the idle
					// deadline armed for this stage stays until the
					// first stream opens (see h2Streams).
					c.stage.Store(stageServer)
				} else if used < n {
					// A request came in the same read as the Finished.
					c.enter(stageHeader, c.header)
				} else {
					c.stage.CompareAndSwap(stageShaken, stageIdle)
				}
			}
		case stageIdle:
			// The next request has begun: its headers have HeaderTimeout.
			c.enter(stageHeader, c.header)
		}
	}
	return n, err
}

// shaken enters stageShaken for a handshake of TLS version that
// negotiated the ALPN protocol alpn.
func (c *trackedConn) shaken(version uint16, alpn string) {
	if c == nil {
		return
	}
	c.finish = finishScan{tls13: version >= tls.VersionTLS13}
	c.h2.Store(alpn == "h2")
	c.enter(stageShaken, c.idle)
}

// finishScan finds the end of the browser's last handshake flight in the
// TLS records it sends, so that a request in the same read as its
// Finished still gets the header limit. The flight ends with the first
// application-data record in TLS 1.3 (the encrypted Finished; only a
// ChangeCipherSpec may come before it), and with the first handshake
// record after a ChangeCipherSpec in TLS 1.2.
type finishScan struct {
	tls13  bool
	sawCCS bool
	hdr    [5]byte
	nhdr   int
	remain int  // bytes left in the current record
	last   bool // the current record ends the flight
}

// feed scans p; used is how many of its bytes belong to the handshake,
// done whether the flight ended within them.
func (f *finishScan) feed(p []byte) (used int, done bool) {
	for used < len(p) {
		if f.remain > 0 {
			k := min(f.remain, len(p)-used)
			f.remain -= k
			used += k
			if f.remain == 0 && f.last {
				return used, true
			}
			continue
		}
		f.hdr[f.nhdr] = p[used]
		f.nhdr++
		used++
		if f.nhdr < len(f.hdr) {
			continue
		}
		f.nhdr = 0
		typ := f.hdr[0]
		f.remain = int(f.hdr[3])<<8 | int(f.hdr[4])
		switch {
		case typ == 0x14: // change_cipher_spec
			f.sawCCS = true
		case f.tls13 && typ == 0x17, !f.tls13 && typ == 0x16 && f.sawCCS:
			f.last = true
		}
		if f.remain == 0 && f.last {
			return used, true
		}
	}
	return used, false
}

// arm sets the current fixed stage's deadline on the socket, once.
func (c *trackedConn) arm() {
	until := c.until.Load()
	c.dmu.Lock()
	if c.armed != until {
		c.armed = until
		_ = c.Conn.SetReadDeadline(time.Unix(0, until))
	}
	c.dmu.Unlock()
}

// setReadDeadline sets a deadline outside the stages (http.Server, a
// body's reader); the stage's own is armed again by the next read in it.
func (c *trackedConn) setReadDeadline(t time.Time) error {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	c.armed = 0
	return c.Conn.SetReadDeadline(t)
}

// SetReadDeadline and SetDeadline are http.Server's (it clears deadlines
// when it hands a CONNECT's connection over).
func (c *trackedConn) SetReadDeadline(t time.Time) error { return c.setReadDeadline(t) }

func (c *trackedConn) SetDeadline(t time.Time) error {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	c.armed = 0
	return c.Conn.SetDeadline(t)
}

// bodyDeadline slides a request body's idle deadline: at least idle from
// now, moved only when less than that is left, so a streaming body sets
// it about once per idle/4 rather than on every read. until is the
// deadline last set by this body's reader (zero at first).
func (c *trackedConn) bodyDeadline(until *time.Time, idle time.Duration) {
	now := time.Now()
	if until.Sub(now) >= idle {
		return
	}
	*until = now.Add(idle + idle/4)
	_ = c.setReadDeadline(*until)
}

// takeHeld copies out bytes the watch held back.
func (c *trackedConn) takeHeld(p []byte) int {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	n := copy(p, c.held)
	c.held = c.held[n:]
	if len(c.held) == 0 {
		c.held = nil
		c.stashed.Store(false)
	}
	return n
}

func (c *trackedConn) hold(p []byte) {
	c.hmu.Lock()
	c.held = append(c.held, p...)
	c.stashed.Store(true)
	c.hmu.Unlock()
}

// watchDelay is how long a tunnelled exchange waits for its origin before
// the proxy starts watching the browser's side for a close. Outside
// tunnels http.Server watches from the start; inside, a watch costs a
// goroutine, which the many quickly answered requests never need.
const watchDelay = 500 * time.Millisecond

// maxHeld bounds what the watch reads ahead (a browser pipelining
// requests, or a TLS close_notify); past it the watch stops.
const maxHeld = 64 << 10

// clientWatch notices a browser closing its tunnel while its request
// waits for the origin, and then cancels the upstream request, as
// http.Server does for plain requests. Nothing reads the tunnel while
// goproxy waits for the response, so the watch reads it, holding any
// bytes for goproxy's next read. A tunnel has one watch, its timer reused
// by each request in turn.
type clientWatch struct {
	mu    sync.Mutex
	timer *time.Timer
	ex    *exchange     // the exchange being watched; nil between them
	done  chan struct{} // closed when a started watch returns; nil if none started
}

// watch starts watching for ex, after watchDelay.
func (c *trackedConn) watch(ex *exchange) {
	w := &c.clientWatch
	w.mu.Lock()
	w.ex = ex
	if w.timer == nil {
		w.timer = time.AfterFunc(watchDelay, c.watchNow)
	} else {
		w.timer.Reset(watchDelay)
	}
	w.mu.Unlock()
}

// watchNow reads the tunnel until the browser closes it (cancelling the
// exchange), sends something, or unwatch interrupts it.
func (c *trackedConn) watchNow() {
	w := &c.clientWatch
	w.mu.Lock()
	ex := w.ex
	if ex == nil {
		w.mu.Unlock()
		return
	}
	if !ex.wrote.Load() {
		// The body is still being read from the browser: look again later.
		w.timer.Reset(watchDelay)
		w.mu.Unlock()
		return
	}
	done := make(chan struct{})
	w.done = done
	w.mu.Unlock()
	defer close(done)

	_ = c.setReadDeadline(time.Time{})
	buf := make([]byte, 4<<10)
	for {
		n, err := c.Conn.Read(buf)
		if n > 0 {
			c.hold(buf[:n])
		}
		w.mu.Lock()
		stopped := w.ex != ex
		w.mu.Unlock()
		if stopped {
			return
		}
		if err != nil {
			ex.clientGone.Store(true)
			ex.cancel()
			return
		}
		c.hmu.Lock()
		full := len(c.held) >= maxHeld
		c.hmu.Unlock()
		if full {
			return
		}
	}
}

// unwatch ends the watch once the response has come (or the exchange
// failed), interrupting a read in progress and waiting for it.
func (c *trackedConn) unwatch() {
	w := &c.clientWatch
	w.mu.Lock()
	w.ex = nil
	w.timer.Stop()
	done := w.done
	w.done = nil
	w.mu.Unlock()
	if done == nil {
		return
	}
	_ = c.setReadDeadline(time.Unix(1, 0))
	<-done
	_ = c.setReadDeadline(time.Time{})
}

// maxRefusing bounds the connections being refused at once; beyond it a
// connection over MaxConns is closed without an answer.
const maxRefusing = 64

// refuseWithin bounds how long a refused connection is kept to read its
// request head and answer it.
const refuseWithin = 2 * time.Second

// refusals answers connections beyond Config.MaxConns: it reads the
// request head (a plain request or a CONNECT alike), answers 503 with the
// reason and closes, all within refuseWithin, so that a browser learns
// why instead of seeing a reset.
type refusals struct{ n atomic.Int32 }

func (r *refusals) refuse(c net.Conn, max int, headerTimeout time.Duration) {
	if r.n.Add(1) > maxRefusing {
		r.n.Add(-1)
		_ = c.Close()
		return
	}
	go func() {
		defer r.n.Add(-1)
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(min(refuseWithin, headerTimeout)))
		if _, err := http.ReadRequest(bufio.NewReaderSize(io.LimitReader(c, 16<<10), 4<<10)); err != nil {
			return
		}
		body := fmt.Sprintf("phiproxy: too many client connections open (limit %d); try again later\n", max)
		_, _ = fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	}()
}

// connState is http.Server's ConnState: once it has handed an
// intercepted CONNECT's connection over, the handshake limit starts.
func connState(handshake time.Duration) func(net.Conn, http.ConnState) {
	return func(c net.Conn, state http.ConnState) {
		if tc, ok := c.(*trackedConn); ok && state == http.StateHijacked && tc.stage.Load() == stagePending {
			tc.enter(stageHandshake, handshake)
		}
	}
}

// clientConnKey finds, in a request's context, the connection it came on.
type clientConnKey struct{}

// withClientConn is http.Server's ConnContext.
func withClientConn(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*trackedConn); ok {
		return context.WithValue(ctx, clientConnKey{}, tc)
	}
	return ctx
}

// clientConn is the connection a request read by http.Server came on, or
// nil.
func clientConn(ctx context.Context) *trackedConn {
	tc, _ := ctx.Value(clientConnKey{}).(*trackedConn)
	return tc
}
