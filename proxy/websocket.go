package proxy

import (
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/phiproxy/phiproxy"
)

// Caps on the messages a WebSocket connection holds between two flushes.
// Beyond them messages are still relayed but not recorded.
const (
	maxPendingClientMessages = 1024
	maxPendingServerMessages = 256
	maxPendingBytes          = 64 << 20
)

// socket is the upstream side of an upgraded connection as goproxy relays
// it: goproxy writes the client's bytes into it and reads the server's
// bytes from it. Both directions pass through unchanged; copies are parsed
// into messages and handed to OnFlow in batches.
type socket struct {
	upstream io.ReadWriteCloser
	ex       *exchange
	client   *frameParser // fed only by Write (goproxy's client-to-server goroutine)
	server   *frameParser // fed only by Read (goproxy's server-to-client goroutine)

	mu           sync.Mutex // guards the fields below
	pending      []phiproxy.WSMessage
	pendingBytes int
	fromClient   int // pending messages per direction
	fromServer   int
	dropped      int
	closed       bool

	stop      chan struct{}
	flushed   chan struct{} // closed when flushEvery has returned
	closeOnce sync.Once
	closeErr  error
}

// newSocket wraps the upstream connection of a 101 response and starts its
// flush ticker. The exchange stays active until the socket closes.
func (s *Server) newSocket(ex *exchange, resp *http.Response, upstream io.ReadWriteCloser) *socket {
	deflate := negotiatedDeflate(resp.Header.Values("Sec-WebSocket-Extensions"))
	sk := &socket{upstream: upstream, ex: ex, stop: make(chan struct{}), flushed: make(chan struct{})}
	sk.client = newFrameParser(true, s.s.MaxBody, deflate, func(m message) { sk.record(true, m) })
	sk.server = newFrameParser(false, s.s.MaxResponseBody, deflate, func(m message) { sk.record(false, m) })
	url := ex.flow.Request.URL
	sk.client.onError = func(err error) {
		s.s.Logger.Debug("websocket: stopped parsing client frames; relaying continues", "url", url, "err", err)
	}
	sk.server.onError = func(err error) {
		s.s.Logger.Debug("websocket: stopped parsing server frames; relaying continues", "url", url, "err", err)
	}
	s.sockets.add(sk)
	go sk.flushEvery(s.wsFlush)
	return sk
}

// Write parses client bytes, then relays them upstream. Parsed first, a
// message is recorded before the server can answer it, so the flow keeps
// the messages in the order they happened (a message whose relaying
// fails is recorded all the same: the connection ends there).
func (sk *socket) Write(p []byte) (int, error) {
	sk.client.Feed(p)
	return sk.upstream.Write(p)
}

// Read relays server bytes to goproxy, parsing what passes.
func (sk *socket) Read(p []byte) (int, error) {
	n, err := sk.upstream.Read(p)
	sk.server.Feed(p[:n])
	return n, err
}

// Close closes the upstream connection and emits the last flow. Safe to
// call more than once and from Shutdown.
func (sk *socket) Close() error {
	sk.closeOnce.Do(func() {
		sk.closeErr = sk.upstream.Close()
		close(sk.stop)
		<-sk.flushed // the flusher reads ex.flow, which finish is about to fill in
		sk.ex.s.sockets.remove(sk)
		sk.mu.Lock()
		sk.closed = true
		msgs, dropped := sk.takeLocked()
		sk.mu.Unlock()
		sk.logDropped(dropped)
		sk.ex.flow.WebSocket = msgs
		sk.ex.finish(0, nil, nil)
	})
	return sk.closeErr
}

func (sk *socket) record(fromClient bool, m message) {
	sk.mu.Lock()
	defer sk.mu.Unlock()
	if sk.closed {
		return
	}
	full := sk.pendingBytes+len(m.data) > maxPendingBytes
	if fromClient {
		full = full || sk.fromClient >= maxPendingClientMessages
	} else {
		full = full || sk.fromServer >= maxPendingServerMessages
	}
	if full {
		sk.dropped++
		return
	}
	if fromClient {
		sk.fromClient++
	} else {
		sk.fromServer++
	}
	sk.pendingBytes += len(m.data)
	sk.pending = append(sk.pending, phiproxy.WSMessage{
		Time:       time.Now(),
		FromClient: fromClient,
		Binary:     m.binary,
		Data:       m.data,
		Truncated:  m.truncated,
	})
}

// takeLocked hands over the pending messages and resets the batch.
func (sk *socket) takeLocked() ([]phiproxy.WSMessage, int) {
	msgs, dropped := sk.pending, sk.dropped
	sk.pending, sk.pendingBytes, sk.fromClient, sk.fromServer, sk.dropped = nil, 0, 0, 0, 0
	return msgs, dropped
}

// flushEvery emits a flow carrying the messages seen since the last one,
// every interval that saw any, until the socket closes.
func (sk *socket) flushEvery(interval time.Duration) {
	defer close(sk.flushed)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-sk.stop:
			return
		case <-t.C:
		}
		sk.mu.Lock()
		if sk.closed || len(sk.pending) == 0 {
			sk.mu.Unlock()
			continue
		}
		msgs, dropped := sk.takeLocked()
		sk.mu.Unlock()
		sk.logDropped(dropped)
		sk.ex.s.s.OnFlow(sk.ex.interim(msgs))
	}
}

func (sk *socket) logDropped(dropped int) {
	if dropped > 0 {
		sk.ex.s.s.Logger.Debug("websocket messages not recorded: capture limit reached", "url", sk.ex.flow.Request.URL, "dropped", dropped)
	}
}

// interim builds a flow for a batch of messages of a connection still
// open: the upgrade exchange's request and response with those messages.
func (ex *exchange) interim(msgs []phiproxy.WSMessage) *phiproxy.Flow {
	f := ex.flow // Request.Header is shared; nothing writes it any more
	resp := *ex.flow.Response
	f.Response = &resp
	f.WebSocket = msgs
	ex.mu.Lock()
	f.ServerAddr = ex.serverAddr
	f.Timings = timings(ex.rtStart, ex.sent, ex.firstByte, time.Now())
	ex.mu.Unlock()
	return &f
}

// socketRegistry holds the open WebSocket connections so Shutdown can
// close them (emitting their last flow) instead of waiting on them.
type socketRegistry struct {
	mu      sync.Mutex
	sockets map[*socket]struct{}
}

func (r *socketRegistry) add(sk *socket) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sockets == nil {
		r.sockets = map[*socket]struct{}{}
	}
	r.sockets[sk] = struct{}{}
}

func (r *socketRegistry) remove(sk *socket) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.sockets, sk)
}

func (r *socketRegistry) closeAll() {
	r.mu.Lock()
	all := make([]*socket, 0, len(r.sockets))
	for sk := range r.sockets {
		all = append(all, sk)
	}
	r.mu.Unlock()
	for _, sk := range all {
		_ = sk.Close()
	}
}
