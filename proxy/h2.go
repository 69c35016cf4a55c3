package proxy

import (
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// HTTP/2 with the browser.
//
// An intercepted tunnel offers ALPN "h2" and "http/1.1" (unless
// Config.HTTP1Only); goproxy serves a tunnel that negotiated h2 with
// golang.org/x/net/http2 and runs each stream through the same request
// and response hooks as an HTTP/1.1 request, on a goroutine of its own.
// What the HTTP/1.1 tunnel limits assume, one exchange at a time on the
// socket, no longer holds, so such a connection manages its own limits:
//
//   - Idle: the socket's read deadline is IdleTimeout from the moment no
//     stream is open, and none while one is (the HTTP/2 server reads
//     frames all the time, so stages driven by reads do not apply).
//   - Request bodies arrive through the stream's flow-controlled pipe,
//     not the socket: each body has its own idle timer (streamBody).
//   - The browser leaving is seen by the HTTP/2 server, which cancels
//     every open stream's context, and so every upstream request; no
//     watch reads the socket.
//   - Responses are never corked: the HTTP/2 server batches its own
//     frames.

// h2Streams counts the open streams of a connection that negotiated h2.
type h2Streams struct {
	h2   atomic.Bool // set by the handshake's VerifyConnection
	smu  sync.Mutex  // orders open/close with the deadline they set
	open int
	// draining is set once a response told the HTTP/2 server to close
	// the connection (shutdown): it sends a GOAWAY, writes its streams'
	// last frames after their handlers return, and closes the socket
	// itself. Shutdown waits for that (connRegistry.waitDrained).
	draining atomic.Bool
}

// streamOpened notes a new stream: while any is open the connection has
// no read deadline; the idle limit runs once none is.
func (c *trackedConn) streamOpened() {
	c.smu.Lock()
	defer c.smu.Unlock()
	if !c.h2.Load() {
		// Cleartext HTTP/2 in a tunnel: no handshake said so.
		c.h2.Store(true)
		c.stage.Store(stageServer)
	}
	c.open++
	if c.open == 1 {
		_ = c.setReadDeadline(time.Time{})
	}
}

// streamClosed notes a stream's end; the last one starts the idle limit.
func (c *trackedConn) streamClosed() {
	c.smu.Lock()
	defer c.smu.Unlock()
	c.open--
	if c.open == 0 {
		_ = c.setReadDeadline(time.Now().Add(c.idle))
	}
}

// streamBody bounds how long an HTTP/2 request body may send nothing, as
// the connection's read deadline does for an HTTP/1.1 body: when the
// timer fires the body is closed under its waiting reader, whose read
// then fails with errBodyIdle (the browser gets a 408).
type streamBody struct {
	rc    io.ReadCloser
	idle  time.Duration
	timer *time.Timer
	fired atomic.Bool
}

func newStreamBody(rc io.ReadCloser, idle time.Duration) *streamBody {
	b := &streamBody{rc: rc, idle: idle}
	b.timer = time.AfterFunc(idle, func() {
		b.fired.Store(true)
		_ = rc.Close()
	})
	b.timer.Stop()
	return b
}

// Read runs the timer only while it waits: a body the transport is not
// reading (the origin is slow to take it) is not the browser's fault.
func (b *streamBody) Read(p []byte) (int, error) {
	b.timer.Reset(b.idle)
	n, err := b.rc.Read(p)
	b.timer.Stop()
	if b.fired.Load() {
		return n, errBodyIdle{b.idle}
	}
	return n, err
}

func (b *streamBody) Close() error {
	b.timer.Stop()
	return b.rc.Close()
}

// errBodyIdle is a request body that sent nothing for too long; it is a
// timeout in the net.Error sense, like a socket's read deadline.
type errBodyIdle struct{ idle time.Duration }

func (e errBodyIdle) Error() string {
	return "nothing received for " + e.idle.String()
}
func (errBodyIdle) Timeout() bool   { return true }
func (errBodyIdle) Temporary() bool { return true }
