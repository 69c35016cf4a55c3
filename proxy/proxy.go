// Package proxy is phiproxy's forward HTTP(S) interception proxy. It
// terminates the browser's TLS with leaves from the local CA (package
// certs), forwards every request upstream unchanged, and turns each
// exchange into a *phiproxy.Flow handed to Config.OnFlow. It never
// classifies or stores anything itself, and inspection never alters or
// delays what is forwarded beyond copying a bounded prefix.
//
// It is the only package that knows about github.com/elazarl/goproxy.
package proxy

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elazarl/goproxy"
)

// wsFlushInterval is how often a live WebSocket connection hands its new
// messages to OnFlow, so chat text appears while the connection is open.
const wsFlushInterval = 5 * time.Second

// Server is a running proxy. Create it with New, then call Serve; it is
// safe for concurrent use.
//
// Every intercepted or plain-HTTP exchange yields exactly one Flow, emitted
// when goproxy has written the response and closed its body. When the
// exchange failed, Flow.Error says why and the browser got the proxy's own
// one-line answer: 400 or 408 for its own malformed or stalled request
// body, 502 for an origin that failed, 504 for one that did not answer
// within Config.UpstreamTimeout, 503 when Shutdown abandoned it.
// CONNECT tunnels to Config.IgnoreHosts yield no Flow. An upgraded
// WebSocket connection yields one Flow per flush interval (5 s) that saw
// new messages, each carrying the upgrade Request and only those new
// messages, and a last Flow when it closes (possibly with no messages).
type Server struct {
	s      *settings
	http   *http.Server
	conns  connRegistry
	strict *http.Transport // verifies upstream certificates
	loose  *http.Transport // for Config.InsecureHosts only

	// active counts exchanges whose flow is not yet emitted, including
	// open WebSocket connections; Shutdown waits for it to reach zero.
	active  atomic.Int64
	closing atomic.Bool
	sockets socketRegistry
	wsFlush time.Duration
	// aborted is cancelled when Shutdown gives up waiting; every upstream
	// request is tied to it so stuck exchanges end (and emit their flow).
	aborted context.Context
	abort   context.CancelCauseFunc
	tripper goproxy.RoundTripper // s.roundTrip, built once
	// upstreamAddrs formats flows' ServerAddr (see addrText).
	upstreamAddrs addrText
	// refusedBackground counts requests refused by PageTrafficOnly.
	refusedBackground atomic.Int64
}

// RefusedBackground is how many of the browser's own requests
// Config.PageTrafficOnly refused so far.
func (s *Server) RefusedBackground() int64 { return s.refusedBackground.Load() }

// New validates cfg and builds a Server. It does not listen.
func New(cfg Config) (*Server, error) {
	st, err := newSettings(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{s: st, wsFlush: wsFlushInterval}
	s.aborted, s.abort = context.WithCancelCause(context.Background())
	s.tripper = goproxy.RoundTripperFunc(s.roundTrip)
	s.strict, s.loose = newTransports(st)

	gp := goproxy.NewProxyHttpServer()
	gp.Verbose = false
	gp.Logger = goproxyLogger{st.Logger}
	gp.Tr = s.strict
	// Accept-Encoding must reach the origin as the browser sent it; the
	// transports never decompress, so bodies stay bit-exact.
	gp.KeepAcceptEncoding = true
	// Tunnels offer h2 (and http/1.1) by ALPN; goproxy adds it to a clone
	// of each tunnel's TLS config. See h2.go.
	gp.AllowHTTP2 = !cfg.HTTP1Only
	gp.ConnectDial = nil // goproxy's default reads HTTPS_PROXY
	gp.ConnectDialWithReq = s.tunnelDialer(gp)
	gp.NonproxyHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "phiproxy: this is a proxy; configure it as the browser's HTTP and HTTPS proxy", http.StatusBadRequest)
	})
	mitm := &goproxy.ConnectAction{Action: goproxy.ConnectMitm, TLSConfig: s.leafConfig}
	tunnel := &goproxy.ConnectAction{Action: goproxy.ConnectAccept}
	gp.OnRequest().HandleConnectFunc(func(host string, ctx *goproxy.ProxyCtx) (*goproxy.ConnectAction, string) {
		if st.ignored(host) {
			st.Logger.Debug("tunnelling ignored host untouched", "host", host)
			return tunnel, host
		}
		client := clientConn(ctx.Req.Context())
		// From the 200 on, goproxy reads the tunnel with no deadline of
		// its own: the connection enforces the limits (see connState).
		client.enter(stagePending, 0)
		ctx.UserData = &tunnelInfo{target: host, client: client}
		return mitm, host
	})
	gp.OnRequest().DoFunc(s.onRequest)

	s.http = &http.Server{
		Handler:           gp,
		ReadHeaderTimeout: st.HeaderTimeout,
		IdleTimeout:       st.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(st.Logger.Handler(), slog.LevelDebug),
		ConnContext:       withClientConn,
		ConnState:         connState(st.HandshakeTimeout),
	}
	return s, nil
}

// Serve accepts proxy connections on ln until Shutdown; like
// http.Server.Serve it returns http.ErrServerClosed after Shutdown. The
// caller chooses the address (phiproxy listens on 127.0.0.1).
func (s *Server) Serve(ln net.Listener) error {
	return s.http.Serve(&trackingListener{Listener: ln, reg: &s.conns, s: s.s})
}

// abandonWait bounds how long Shutdown waits, once its grace period is
// over, for the exchanges it abandoned to answer their browsers and emit
// their flows. answerWithin bounds each write to a browser meanwhile, so
// that one that stopped reading does not hold Shutdown for all of it.
const (
	abandonWait  = 5 * time.Second
	answerWithin = time.Second
)

// errShuttingDown is why Shutdown abandons an exchange.
var errShuttingDown = errors.New("phiproxy is shutting down")

// Shutdown stops accepting connections, closes idle ones, and waits, bounded
// by ctx, for in-flight exchanges to finish so that their flows are emitted.
// Open WebSocket connections are closed (emitting their last Flow). When
// ctx ends first, the exchanges still in flight are abandoned: their
// upstream requests are cancelled, a browser still waiting for an answer
// gets a 503 saying the proxy is shutting down, and each flow is emitted
// with Error set; Shutdown waits (at most 5 s more) for that, and returns
// nil if every exchange ended. Any connection still open afterwards is
// closed.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	// http.Server.Shutdown stops the listener at once, then waits for
	// plain-HTTP handlers (hijacked CONNECT tunnels are ours). It gets
	// until the abandoned exchanges have answered, not only ctx, so that
	// their 503s leave the server's buffers before the connections close.
	httpCtx, httpStop := context.WithCancel(context.WithoutCancel(ctx))
	defer httpStop()
	httpDone := make(chan error, 1)
	go func() { httpDone <- s.http.Shutdown(httpCtx) }()
	s.sockets.closeAll()
	err := s.waitIdle(ctx)
	last := ctx
	if err != nil {
		s.abort(errShuttingDown)
		s.conns.setWriteDeadline(time.Now().Add(answerWithin))
		var cancel context.CancelFunc
		last, cancel = context.WithTimeout(context.Background(), abandonWait)
		defer cancel()
		if err = s.waitIdle(last); err == nil {
			s.s.Logger.Warn("shutdown abandoned exchanges still in flight after the grace period; each got a 503 and its flow an error")
		}
	}
	select {
	case httpErr := <-httpDone:
		if err == nil && httpErr != nil {
			err = fmt.Errorf("proxy: shutdown: %w", httpErr)
		}
	case <-last.Done():
		// Connections still busy now are closed below.
	}
	s.conns.waitDrained(last, drainWait)
	s.conns.closeAll()
	s.strict.CloseIdleConnections()
	s.loose.CloseIdleConnections()
	return err
}

// waitIdle polls the active-exchange count, like http.Server.Shutdown
// does, so that the hot path needs no lock or condition variable.
func (s *Server) waitIdle(ctx context.Context) error {
	wait := time.Millisecond
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for s.active.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("proxy: shutdown with %d exchanges in flight: %w", s.active.Load(), ctx.Err())
		case <-timer.C:
			wait = min(2*wait, 100*time.Millisecond)
			timer.Reset(wait)
		}
	}
	return nil
}

// tunnelInfo is the CONNECT context goproxy copies into the UserData of
// every request read inside the MITM'd tunnel. client is the browser's
// connection the tunnel runs on (nil if it could not be found), which
// roundTrip corks while a small response is written.
type tunnelInfo struct {
	target string
	client *trackedConn
}

// leafConfig gives goproxy the TLS config for an intercepted tunnel: a leaf
// for the SNI name, or the CONNECT host when the client sent no SNI.
func (s *Server) leafConfig(host string, ctx *goproxy.ProxyCtx) (*tls.Config, error) {
	fallback := hostOnly(host)
	var client *trackedConn
	if t, ok := ctx.UserData.(*tunnelInfo); ok {
		client = t.client
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Called near the end of every handshake, before the browser's
		// Finished is read: the tunnel then waits for its first request,
		// as an idle keep-alive connection does.
		VerifyConnection: func(cs tls.ConnectionState) error {
			client.shaken(cs.Version, cs.NegotiatedProtocol)
			return nil
		},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			name := hello.ServerName
			if name == "" {
				name = fallback
			}
			cert, err := s.s.CA.CertFor(name)
			if err != nil {
				return nil, fmt.Errorf("issue certificate for %s: %w", name, err)
			}
			return cert, nil
		},
	}, nil
}

// tunnelDialer dials CONNECT targets that are tunnelled untouched, through
// the upstream proxy when one is configured. goproxy's CONNECT-through-proxy
// dialer reaches the proxy with gp.Tr's dialer, which honours Resolve, and
// speaks TLS to an https:// proxy with gp.Tr's verifying TLS config.
func (s *Server) tunnelDialer(gp *goproxy.ProxyHttpServer) func(req *http.Request, network, addr string) (net.Conn, error) {
	d := newDialer(s.s)
	if u := s.s.UpstreamProxy; u != nil {
		var auth func(*http.Request)
		if u.User != nil {
			pass, _ := u.User.Password()
			cred := base64.StdEncoding.EncodeToString([]byte(u.User.Username() + ":" + pass))
			auth = func(r *http.Request) { r.Header.Set("Proxy-Authorization", "Basic "+cred) }
		}
		proxyURL := *u
		proxyURL.User = nil
		viaProxy := gp.NewConnectDialToProxyWithHandler(proxyURL.String(), auth)
		if viaProxy == nil { // only for schemes newSettings already refused
			return func(*http.Request, string, string) (net.Conn, error) {
				return nil, fmt.Errorf("upstream proxy %s: unsupported", proxyURL.Redacted())
			}
		}
		return func(_ *http.Request, network, addr string) (net.Conn, error) {
			return viaProxy(network, addr)
		}
	}
	return func(req *http.Request, network, addr string) (net.Conn, error) {
		return d.DialContext(req.Context(), network, addr)
	}
}

// goproxyLogger routes goproxy's Printf logging into slog: warnings at
// Debug level too, because goproxy warns about routine client disconnects.
type goproxyLogger struct{ l *slog.Logger }

func (g goproxyLogger) Printf(format string, v ...any) {
	// goproxy warns about every client that leaves: format only what
	// is logged.
	if !g.l.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	g.l.Debug(strings.TrimSpace(fmt.Sprintf(format, v...)), "component", "goproxy")
}

// connRegistry remembers accepted client connections so Shutdown can close
// the ones http.Server no longer tracks (hijacked CONNECT tunnels), and
// counts them for Config.MaxConns.
type connRegistry struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// add registers c unless max connections are already open.
func (r *connRegistry) add(c *trackedConn, max int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conns == nil {
		r.conns = map[net.Conn]struct{}{}
	}
	if len(r.conns) >= max {
		return false
	}
	r.conns[c] = struct{}{}
	return true
}

func (r *connRegistry) remove(c *trackedConn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.conns, c)
}

func (r *connRegistry) setWriteDeadline(t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.conns {
		_ = c.SetWriteDeadline(t)
	}
}

// drainWait bounds how long Shutdown waits for HTTP/2 tunnels it told to
// close: the HTTP/2 server closes one a second (its GOAWAY timeout) after
// its last stream.
const drainWait = 2 * time.Second

// waitDrained waits, at most d and while ctx lasts, until no HTTP/2 tunnel
// that was told to close is still open. The HTTP/2 server writes a
// stream's last frames after its handler has returned (and the exchange
// has ended): closing the socket under it would cut the response.
func (r *connRegistry) waitDrained(ctx context.Context, d time.Duration) {
	deadline := time.Now().Add(d)
	for r.draining() && ctx.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *connRegistry) draining() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.conns {
		if tc, ok := c.(*trackedConn); ok && tc.draining.Load() {
			return true
		}
	}
	return false
}

func (r *connRegistry) closeAll() {
	r.mu.Lock()
	conns := r.conns
	r.conns = nil
	r.mu.Unlock()
	for c := range conns {
		_ = c.Close()
	}
}

type trackingListener struct {
	net.Listener
	reg     *connRegistry
	s       *settings
	refusal refusals
}

// Accept returns the next connection within Config.MaxConns; those
// beyond it are answered and closed here (see refusals).
func (l *trackingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tc := &trackedConn{Conn: c, reg: l.reg}
		tc.header, tc.idle = l.s.HeaderTimeout, l.s.IdleTimeout
		if l.reg.add(tc, l.s.MaxConns) {
			return tc, nil
		}
		l.refusal.refuse(c, l.s.MaxConns, l.s.HeaderTimeout)
	}
}

// corkLimit bounds what a corked connection holds back: a response bigger
// than this goes out as it is written.
const corkLimit = 64 << 10

// trackedConn leaves the registry when closed. It keeps net.Conn's
// half-close methods visible because goproxy uses them for tunnels.
//
// It can also be corked: goproxy writes an intercepted response's head and
// body as two TLS records, and so two write calls, each of which wakes
// the browser. While corked, writes are held (up to corkLimit) and go out
// in one call at uncork. roundTrip corks only for a response whose whole
// body is small and known in length, and the response body's Close
// uncorks, after goproxy has written the response and before it reads the
// next request, so a corked write never waits on anything but the
// response it belongs to.
type trackedConn struct {
	net.Conn
	reg  *connRegistry
	once sync.Once

	readLimits  // tunnel time limits (limits.go)
	clientWatch // notices the browser leaving a tunnel (limits.go)
	h2Streams   // an HTTP/2 tunnel's limits instead (h2.go)

	wmu     sync.Mutex
	corked  bool
	pending []byte

	// upstream is the context of the upstream requests of this tunnel's
	// HTTP/1.1 requests (see upstreamContext); umu guards it.
	umu          sync.Mutex
	upstream     context.Context
	stopUpstream context.CancelFunc
	closed       bool
}

// upstreamContext is the context for the upstream request of an HTTP/1.1
// request read from this tunnel, cancelled when the tunnel closes, when
// the browser is seen leaving (the watch in limits.go), or when Shutdown
// gives up (aborted). The tunnel's requests come one at a time and none
// can follow the browser leaving, so one context serves all of them: a
// context per request cost a cancellable context tied to goproxy's, and
// a registration with aborted whose lock every request on every tunnel
// took.
func (c *trackedConn) upstreamContext(aborted context.Context) (context.Context, context.CancelFunc) {
	c.umu.Lock()
	defer c.umu.Unlock()
	if c.upstream == nil {
		c.upstream, c.stopUpstream = context.WithCancel(aborted)
		if c.closed {
			c.stopUpstream()
		}
	}
	return c.upstream, c.stopUpstream
}

// Write sends p, or holds it while corked. The lock is never held across
// the network write, so Close (from Shutdown) is never stuck behind a
// browser that stopped reading.
func (c *trackedConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	if !c.corked {
		c.wmu.Unlock()
		return c.Conn.Write(p)
	}
	if len(c.pending)+len(p) <= corkLimit {
		c.pending = append(c.pending, p...)
		c.wmu.Unlock()
		return len(p), nil
	}
	held := c.takeLocked()
	c.wmu.Unlock()
	if err := c.send(held); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// cork holds writes until uncork.
func (c *trackedConn) cork() {
	c.wmu.Lock()
	c.corked = true
	c.wmu.Unlock()
}

// uncork writes what cork held back, in one call. A failed write closes
// the connection, so that the tunnel's next read ends it.
func (c *trackedConn) uncork() {
	c.wmu.Lock()
	held := c.takeLocked()
	c.wmu.Unlock()
	if err := c.send(held); err != nil {
		_ = c.Close()
	}
}

// takeLocked ends corking and hands over the held bytes.
func (c *trackedConn) takeLocked() []byte {
	held := c.pending
	c.pending = nil
	c.corked = false
	return held
}

// send writes held bytes and keeps their buffer for the next response,
// unless it grew large.
func (c *trackedConn) send(held []byte) error {
	if len(held) == 0 {
		return nil
	}
	_, err := c.Conn.Write(held)
	if cap(held) <= 16<<10 {
		c.wmu.Lock()
		if c.pending == nil {
			c.pending = held[:0]
		}
		c.wmu.Unlock()
	}
	return err
}

// Close closes the connection. Bytes still held by a cork are dropped:
// corks are lifted before goproxy's own Close, so only a forced close
// (Shutdown, a failed write) finds any.
func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.reg.remove(c)
		c.umu.Lock()
		c.closed = true
		if c.stopUpstream != nil {
			c.stopUpstream()
		}
		c.umu.Unlock()
	})
	return c.Conn.Close()
}

func (c *trackedConn) CloseWrite() error {
	if hc, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return hc.CloseWrite()
	}
	return c.Close()
}

func (c *trackedConn) CloseRead() error {
	if hc, ok := c.Conn.(interface{ CloseRead() error }); ok {
		return hc.CloseRead()
	}
	return nil
}
