package proxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/elazarl/goproxy"
	"github.com/phiproxy/phiproxy"
)

// newTransports builds the two upstream transports: strict verifies
// certificates against UpstreamRoots (or the system roots), loose serves
// InsecureHosts only. Neither reads the environment nor decompresses.
func newTransports(st *settings) (strict, loose *http.Transport) {
	d := newDialer(st)
	build := func(tc *tls.Config) *http.Transport {
		t := &http.Transport{
			DialContext:           d.DialContext,
			TLSClientConfig:       tc,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          2048,
			MaxIdleConnsPerHost:   256,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: st.UpstreamTimeout,
			ExpectContinueTimeout: time.Second,
			// Bodies are forwarded as the origin encoded them.
			DisableCompression: true,
		}
		if st.UpstreamProxy != nil {
			t.Proxy = http.ProxyURL(st.UpstreamProxy)
		}
		return t
	}
	strict = build(&tls.Config{RootCAs: st.UpstreamRoots, MinVersion: tls.VersionTLS12})
	loose = build(&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}) //nolint:gosec // only for Config.InsecureHosts
	return strict, loose
}

// smallBody is the largest request body roundTrip reads whole before
// forwarding it.
const smallBody = 64 << 10

// requestStart is what onRequest learns before goproxy forwards a request.
type requestStart struct {
	at            time.Time
	connectTarget string
	client        *trackedConn // inside a MITM'd HTTP/1.1 tunnel only
	streams       *trackedConn // inside a MITM'd HTTP/2 tunnel only (see h2.go)
}

// onRequest runs for every proxied request, plain or inside a MITM'd
// tunnel, before goproxy strips its proxy headers and forwards it.
func (s *Server) onRequest(req *http.Request, ctx *goproxy.ProxyCtx) (*http.Request, *http.Response) {
	start := requestStart{at: time.Now()}
	if t, ok := ctx.UserData.(*tunnelInfo); ok {
		start.connectTarget = t.target
		if req.ProtoMajor == 2 {
			start.streams = t.client
		} else {
			start.client = t.client
			// Headers are read: the body's reader takes over the deadlines.
			t.client.enter(stageBusy, 0)
		}
	}
	// The ctx is per request (goproxy copies the tunnel's UserData into a
	// fresh ctx for each request), so replacing UserData is safe.
	ctx.UserData = &start
	if s.s.PageTrafficOnly && isBrowserBackground(req) {
		s.refusedBackground.Add(1)
		s.s.Logger.Debug("refused the browser's own request", "method", req.Method, "url", req.URL.String())
		// No exchange follows: the tunnel waits for its next request.
		start.client.enter(stageIdle, s.s.IdleTimeout)
		return req, goproxy.NewResponse(req, "text/plain", http.StatusForbidden, "phiproxy: refused: the browser's own request, not caused by a page\n")
	}
	if s.s.RequestHeaders != nil {
		for name, values := range s.s.RequestHeaders() {
			req.Header[http.CanonicalHeaderKey(name)] = append([]string(nil), values...)
		}
	}
	removeHopByHop(req.Header, isUpgrade(req.Header))
	ctx.RoundTripper = s.tripper
	return req, nil
}

// hopByHop lists the RFC 9110 §7.6.1 connection-specific headers a proxy
// must not forward. goproxy already drops the Proxy-* ones.
var hopByHop = []string{"Keep-Alive", "Te", "Trailer", "Upgrade", "Proxy-Connection", "Connection"}

// removeHopByHop drops hop-by-hop headers, and those named by Connection.
// A WebSocket handshake keeps Connection and Upgrade: they are the
// handshake. It runs twice per exchange, so it reads the header map by
// its canonical keys (as parsed headers are stored) and splits no string.
func removeHopByHop(h http.Header, upgrade bool) {
	for _, v := range h["Connection"] {
		for rest := v; rest != ""; {
			var name string
			name, rest, _ = strings.Cut(rest, ",")
			name = strings.TrimSpace(name)
			if upgrade && strings.EqualFold(name, "Upgrade") {
				continue
			}
			if name != "" {
				h.Del(name)
			}
		}
	}
	trailers := headerHasToken(h, "Te", "trailers")
	for _, name := range hopByHop {
		if upgrade && (name == "Connection" || name == "Upgrade") {
			continue
		}
		delete(h, name)
	}
	if trailers {
		// "TE: trailers" tells the origin the client accepts trailers;
		// it is end-to-end in effect, as in net/http/httputil.
		h["Te"] = []string{"trailers"}
	}
}

// headerHasToken says whether the comma-separated values of the header
// with canonical name hold token, in any case.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h[name] {
		for rest := v; rest != ""; {
			var t string
			t, rest, _ = strings.Cut(rest, ",")
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func isUpgrade(h http.Header) bool {
	return headerHasToken(h, "Connection", "Upgrade") && headerHasToken(h, "Upgrade", "websocket")
}

// exchange is the capture state of one request/response. Its trace fields
// are written by the transport's goroutines, hence mu; everything else is
// written by the connection goroutine before or at finish.
type exchange struct {
	s      *Server
	flow   phiproxy.Flow
	body   *requestTap  // nil when the request had no body
	tunnel *trackedConn // the MITM'd HTTP/1.1 tunnel the request came through, or nil
	// streams is the MITM'd HTTP/2 connection the request is a stream
	// of, or nil.
	streams *trackedConn
	// upgraded is set for a WebSocket, whose connection has no limits.
	upgraded bool
	// clientGone is set when the browser closed its tunnel before the
	// origin answered.
	clientGone atomic.Bool

	mu         sync.Mutex
	sent       time.Time // request fully written upstream
	firstByte  time.Time
	serverAddr string

	rtStart time.Time
	wrote   atomic.Bool // the request was written upstream whole
	done    atomic.Bool
	// cancel cancels the upstream request; nil before RoundTrip. When
	// stopAbort is set, the request's context is the exchange's own:
	// finish unties it from Shutdown's abort and releases it. (Inside an
	// HTTP/1.1 tunnel it is the tunnel's, which the tunnel releases.)
	cancel    context.CancelFunc
	stopAbort func() bool
	tunnelCtx context.Context // the tunnel's upstream context, or nil

	// The trace and the response tap live in the exchange, not in
	// allocations of their own: every request needs the one, and most
	// the other.
	trace httptrace.ClientTrace
	resp  responseTap
}

// gotConn, wroteRequest and gotFirstResponseByte are the exchange's
// httptrace hooks, called from the transport's goroutines.
func (ex *exchange) gotConn(info httptrace.GotConnInfo) {
	if info.Conn == nil {
		return
	}
	addr := ex.s.upstreamAddrs.text(info.Conn.RemoteAddr())
	ex.mu.Lock()
	ex.serverAddr = addr
	ex.mu.Unlock()
}

func (ex *exchange) wroteRequest(httptrace.WroteRequestInfo) {
	ex.mu.Lock()
	ex.sent = time.Now()
	ex.mu.Unlock()
	ex.wrote.Store(true)
}

func (ex *exchange) gotFirstResponseByte() {
	ex.mu.Lock()
	ex.firstByte = time.Now()
	ex.mu.Unlock()
}

// addrText remembers the text of the last upstream address seen, so that
// requests to one origin, over however many pooled connections, format
// its address once rather than once each.
type addrText struct{ last atomic.Pointer[addrEntry] }

type addrEntry struct {
	ip   net.IP
	port int
	zone string
	text string
}

func (c *addrText) text(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if e := c.last.Load(); e != nil && e.port == ta.Port && e.zone == ta.Zone && e.ip.Equal(ta.IP) {
		return e.text
	}
	e := &addrEntry{ip: ta.IP, port: ta.Port, zone: ta.Zone, text: ta.String()}
	c.last.Store(e)
	return e.text
}

// roundTrip forwards req upstream and returns the response with its body
// wrapped for capture. An upstream failure becomes a 502 for the browser,
// never an error, so that goproxy answers the client on every path
// (inside a MITM'd tunnel it would otherwise just drop the connection).
func (s *Server) roundTrip(req *http.Request, ctx *goproxy.ProxyCtx) (*http.Response, error) {
	start, _ := ctx.UserData.(*requestStart)
	if start == nil {
		start = &requestStart{at: time.Now()}
	}
	ex := &exchange{s: s, tunnel: start.client, streams: start.streams}
	s.active.Add(1)
	if ex.streams != nil {
		ex.streams.streamOpened()
	}
	ex.flow = phiproxy.Flow{
		Start:         start.at,
		ClientAddr:    req.RemoteAddr,
		ConnectTarget: start.connectTarget,
		ClientProto:   req.Proto,
		Source:        "proxy",
		// A browser names the page behind a sub-resource request only here.
		Page: req.Header.Get("Referer"),
		Request: phiproxy.Request{
			Method: req.Method,
			URL:    req.URL.String(),
			Host:   req.Host,
			Proto:  req.Proto,
			Header: req.Header.Clone(),
		},
	}
	if req.Body != nil && req.Body != http.NoBody {
		// The browser's HTTP/1.x connection, tunnelled or not, bounds
		// how long the body may send nothing; an HTTP/2 stream's body
		// has a timer of its own.
		body, conn := req.Body, start.client
		if ex.streams != nil {
			body = newStreamBody(body, s.s.BodyIdleTimeout)
		} else if conn == nil {
			conn = clientConn(req.Context())
		}
		ex.body = newRequestTap(body, s.s.MaxBody, req.ContentLength)
		ex.body.conn, ex.body.idle = conn, s.s.BodyIdleTimeout
		req.Body = ex.body
		// Trailers are known only once the body was read to its end, so
		// a body that has them streams.
		if small := req.ContentLength > 0 && req.ContentLength <= smallBody && req.ContentLength <= s.s.MaxBody; small && req.Header.Get("Expect") == "" && len(req.Trailer) == 0 {
			// A small body the browser has already sent is read here, so
			// that the transport, seeing an in-memory body, writes head
			// and body upstream in one call instead of flushing the head
			// first. (With Expect: 100-continue the origin decides
			// whether the body is sent at all, so that one streams.)
			body, err := ex.body.readWhole(req.ContentLength)
			if err != nil {
				return ex.fail(req, fmt.Errorf("reading request body: %w", err)), nil
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
	}

	ex.trace = httptrace.ClientTrace{
		GotConn:              ex.gotConn,
		WroteRequest:         ex.wroteRequest,
		GotFirstResponseByte: ex.gotFirstResponseByte,
	}
	var reqCtx context.Context
	if start.client != nil {
		ex.tunnelCtx, ex.cancel = start.client.upstreamContext(s.aborted)
		reqCtx = httptrace.WithClientTrace(ex.tunnelCtx, &ex.trace)
	} else {
		// Outside tunnels http.Server cancels the request's context when
		// the browser leaves; an HTTP/2 stream's is cancelled on reset.
		reqCtx, ex.cancel = context.WithCancel(httptrace.WithClientTrace(req.Context(), &ex.trace))
		ex.stopAbort = context.AfterFunc(s.aborted, ex.cancel)
	}
	out := req.WithContext(reqCtx)
	// "Connection: close" is hop-by-hop (RFC 9110 §7.6.1): the browser
	// ending its connection to us says nothing about ours to the origin.
	// Left set, the transport would close a pooled upstream connection
	// after every such request and handshake anew for the next. goproxy
	// still closes the browser's side, from its own copy of the request.
	out.Close = false
	if len(req.Trailer) > 0 {
		// HTTP/1.1 carries trailers only after a chunked body; an
		// HTTP/2 browser's trailers would otherwise be dropped for a
		// length it announced.
		out.ContentLength = -1
	}
	tr := s.strict
	if s.s.insecure[strings.ToLower(req.URL.Hostname())] {
		tr = s.loose
	}
	ex.rtStart = time.Now()
	if start.client != nil {
		start.client.watch(ex)
	}
	resp, err := tr.RoundTrip(out)
	if start.client != nil {
		start.client.unwatch()
	}
	if err != nil {
		return ex.fail(req, err), nil
	}
	if ex.clientLeft(req) {
		// The browser left while the origin thought. Cancelled, the
		// transport can still return an answer that raced the
		// cancellation: a TLS origin answers the close_notify of the
		// connection being closed at once, and the transport takes
		// whichever of the two it selects first. Nobody is there to
		// receive that answer.
		resp.Body.Close()
		return ex.fail(req, context.Cause(reqCtx)), nil
	}
	ex.flow.UpstreamProto = resp.Proto
	ex.flow.Response = &phiproxy.Response{
		Status:   resp.StatusCode,
		Proto:    resp.Proto,
		Header:   resp.Header.Clone(),
		BodySize: 0,
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		// Hop-by-hop headers describe the origin's connection to us, not
		// ours to the browser (RFC 9110 §7.6.1): the flow keeps them as
		// sent, the browser does not get them, and an origin closing its
		// connection no longer ends the browser's tunnel. (The transport
		// made its own keep-alive decision before returning.)
		removeHopByHop(resp.Header, false)
		resp.Close = false
	}
	if s.closing.Load() {
		// Ends goproxy's MITM request loop after this response, so a
		// shutting-down proxy does not keep reading from tunnels. An
		// HTTP/2 tunnel learns it from the header (a GOAWAY follows).
		resp.Close = true
		if ex.streams != nil {
			resp.Header.Set("Connection", "close")
			ex.streams.draining.Store(true)
		}
	}
	switch {
	case resp.StatusCode == http.StatusSwitchingProtocols:
		if rwc, ok := resp.Body.(io.ReadWriteCloser); ok && isUpgrade(resp.Header) {
			ex.upgraded = true
			start.client.unlimit()
			resp.Body = s.newSocket(ex, resp, rwc)
			return resp, nil
		}
		ex.finish(0, nil, nil)
	case resp.Body == nil || resp.Body == http.NoBody:
		ex.finish(0, nil, nil)
	default:
		// Wrapping here, before goproxy records the original body, keeps
		// goproxy from treating the body as modified (which would drop
		// Content-Length and re-chunk the response).
		tap := &ex.resp
		*tap = responseTap{rc: resp.Body, ex: ex, limit: s.s.MaxResponseBody}
		if resp.ContentLength > 0 {
			// One allocation of the right size instead of a series of
			// growing ones for a body that arrives in several reads;
			// bounded, since the origin may send less than it announced.
			tap.buf = make([]byte, 0, min(resp.ContentLength, tap.limit, smallBody))
		}
		if isScript(resp.Header, req.URL.Path) {
			tap.script = newScriptHash(resp.ContentLength)
		}
		// Inside a tunnel goroutine, goproxy writes the head and then
		// the body, and closes the body before reading the next request:
		// cork the browser's connection so a small response leaves in one
		// write (see trackedConn).
		if c := start.client; c != nil && resp.ContentLength > 0 && resp.ContentLength <= corkLimit/2 {
			c.cork()
			tap.uncork = c
		}
		resp.Body = tap
	}
	return resp, nil
}

// fail records why an exchange failed and builds the browser's answer:
// 400 or 408 when the browser's own request body failed, 503 when
// Shutdown abandoned the exchange, 504 when the origin timed out, 502
// otherwise. The flow is emitted once the answer is written (see
// answerBody). A connection whose request body was not read whole, or
// that is shutting down, is closed after the answer.
func (ex *exchange) fail(req *http.Request, err error) *http.Response {
	status, closeConn := http.StatusBadGateway, false
	var reason, body string
	host := req.URL.Host
	var ne net.Error
	bodyErr := ex.body.readErr()
	switch {
	case bodyErr != nil:
		// An HTTP/1.1 connection is out of step with a body not read
		// whole; an HTTP/2 stream is reset alone.
		closeConn = ex.streams == nil
		status = http.StatusBadRequest
		reason = "reading the request body from the client: " + oneLine(bodyErr.Error())
		if errors.As(bodyErr, &ne) && ne.Timeout() {
			status = http.StatusRequestTimeout
			reason = fmt.Sprintf("reading the request body from the client: nothing received for %v", ex.s.s.BodyIdleTimeout)
		}
		body = "phiproxy: " + reason + "\n"
	case ex.clientLeft(req):
		reason = "the client closed the connection before " + host + " answered"
		body = "phiproxy: " + reason + "\n"
	case ex.s.aborted.Err() != nil:
		status, closeConn = http.StatusServiceUnavailable, true
		reason = fmt.Sprintf("abandoned: %v", context.Cause(ex.s.aborted))
		body = fmt.Sprintf("phiproxy: %v; the request to %s was abandoned\n", context.Cause(ex.s.aborted), host)
	default:
		if errors.As(err, &ne) && ne.Timeout() {
			status = http.StatusGatewayTimeout
		}
		reason = oneLine(err.Error())
		body = fmt.Sprintf("phiproxy: upstream %s: %s\n", host, reason)
	}
	ex.flow.Error = reason
	h := http.Header{}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	closeConn = closeConn || ex.s.closing.Load()
	if closeConn {
		// Outside tunnels, http.Server closes on this header.
		h.Set("Connection", "close")
	}
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		ContentLength: int64(len(body)),
		Body:          &answerBody{Reader: strings.NewReader(body), ex: ex},
		Close:         closeConn,
		Request:       req,
	}
}

// clientLeft says whether the browser left before the exchange was
// answered: the watch saw it close its tunnel, or the tunnel ended, or
// (outside tunnels, and for an HTTP/2 stream) the request's context was
// cancelled, as http.Server does when the browser leaves.
func (ex *exchange) clientLeft(req *http.Request) bool {
	return ex.clientGone.Load() || req.Context().Err() != nil || ex.tunnelGone()
}

// tunnelGone says whether the tunnel's upstream context ended for the
// browser's sake: the browser left the tunnel (seen by the watch, maybe
// during an earlier request) or it was closed, not a Shutdown abort.
func (ex *exchange) tunnelGone() bool {
	return ex.tunnelCtx != nil && ex.tunnelCtx.Err() != nil && ex.s.aborted.Err() == nil
}

// answerBody is the body of the proxy's own answer to a failed exchange.
// goproxy closes it once the answer is written, which emits the flow:
// Shutdown, waiting for every flow, so also waits for every answer.
type answerBody struct {
	*strings.Reader
	ex *exchange
}

func (b *answerBody) Close() error {
	b.ex.finish(0, nil, nil)
	return nil
}

// oneLine keeps an error reason to a single line.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", " ")
}

// finish fills in sizes and timings and emits the flow, once. bodyErr is a
// failure reading the upstream response body.
func (ex *exchange) finish(respSize int64, respPrefix []byte, bodyErr error) {
	if !ex.done.CompareAndSwap(false, true) {
		return
	}
	defer ex.s.active.Add(-1)
	if ex.stopAbort != nil {
		defer ex.cancel()
		defer ex.stopAbort()
	}
	end := time.Now()
	f := &ex.flow
	if ex.body != nil {
		f.Request.Body, f.Request.BodySize = ex.body.snapshot()
		f.Request.Truncated = f.Request.BodySize > int64(len(f.Request.Body))
	}
	if f.Response != nil {
		f.Response.BodySize = respSize
		f.Response.Body = respPrefix
	}
	if bodyErr != nil && f.Error == "" {
		if cause := context.Cause(ex.s.aborted); cause != nil {
			bodyErr = fmt.Errorf("cut short, %w", cause)
		}
		f.Error = oneLine("reading response body: " + bodyErr.Error())
	}
	if ex.tunnel != nil && !ex.upgraded {
		// The tunnel now waits for its next request.
		ex.tunnel.enter(stageIdle, ex.s.s.IdleTimeout)
	}
	if ex.streams != nil {
		ex.streams.streamClosed()
	}
	ex.mu.Lock()
	f.ServerAddr = ex.serverAddr
	f.Timings = timings(ex.rtStart, ex.sent, ex.firstByte, end)
	ex.mu.Unlock()
	ex.s.s.OnFlow(f)
}

// timings splits an exchange into HAR's send, wait and receive. A zero
// mark means the event never happened; a response may also arrive before
// the request was fully written, so every span is clamped at zero.
func timings(start, sent, firstByte, end time.Time) phiproxy.Timings {
	if firstByte.IsZero() {
		firstByte = end
	}
	if sent.IsZero() || sent.After(firstByte) {
		sent = firstByte
	}
	span := func(a, b time.Time) time.Duration { return max(0, b.Sub(a)) }
	return phiproxy.Timings{Send: span(start, sent), Wait: span(sent, firstByte), Receive: span(firstByte, end)}
}

// requestTap forwards a request body untouched while copying up to limit
// bytes of it and counting them all. The transport may read it from its
// own goroutine while finish snapshots it, hence mu.
//
// It also bounds how long the browser may send nothing: each read slides
// a deadline on the browser's connection (conn; none when nil) and a
// failed read is kept as the browser's fault (readErr).
type requestTap struct {
	rc    io.ReadCloser
	limit int64
	conn  *trackedConn
	idle  time.Duration
	until time.Time // the read deadline last set on conn
	mu    sync.Mutex
	buf   []byte
	n     int64
	err   error // a read from the browser failed (not io.EOF)
	// closed is set by Close: a read failing after it failed because the
	// transport gave up on the origin, not because of the browser.
	closed atomic.Bool
}

func newRequestTap(rc io.ReadCloser, limit, contentLength int64) *requestTap {
	t := &requestTap{rc: rc, limit: limit}
	if contentLength > 0 {
		t.buf = make([]byte, 0, min(contentLength, limit))
	}
	return t
}

func (t *requestTap) Read(p []byte) (int, error) {
	n, err := t.read(p)
	if n > 0 {
		t.mu.Lock()
		if room := t.limit - int64(len(t.buf)); room > 0 {
			t.buf = append(t.buf, p[:min(int64(n), room)]...)
		}
		t.n += int64(n)
		t.mu.Unlock()
	}
	return n, err
}

// read reads the browser's body under the idle deadline. At the body's
// end the deadline is lifted: outside tunnels, http.Server then reads the
// connection in the background to notice the browser leaving, and must
// not time out while the origin thinks. A deadline that fired stays, so
// that nothing else waits on that browser.
func (t *requestTap) read(p []byte) (int, error) {
	if t.conn != nil {
		t.conn.bodyDeadline(&t.until, t.idle)
	}
	n, err := t.rc.Read(p)
	switch {
	case err == io.EOF:
		if !t.until.IsZero() {
			_ = t.conn.setReadDeadline(time.Time{})
			t.until = time.Time{}
		}
	case err != nil && !t.closed.Load():
		t.mu.Lock()
		t.err = err
		t.mu.Unlock()
	}
	return n, err
}

// readErr is the browser's failure to send its body, if any. Safe on a
// nil tap.
func (t *requestTap) readErr() error {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

func (t *requestTap) Close() error {
	t.closed.Store(true)
	return t.rc.Close()
}

// readWhole reads a body of n bytes (at most the limit, none read yet)
// into the tap's own buffer and returns it, so that one copy serves both
// forwarding and the flow; neither writes to it.
func (t *requestTap) readWhole(n int64) ([]byte, error) {
	b := t.buf[:0]
	if int64(cap(b)) < n {
		b = make([]byte, 0, n)
	}
	k, err := io.ReadFull(readerFunc(t.read), b[:n])
	t.mu.Lock()
	t.buf, t.n = b[:k], int64(k)
	t.mu.Unlock()
	return b[:k], err
}

// readerFunc adapts a read method to io.Reader.
type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func (t *requestTap) snapshot() ([]byte, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf, t.n
}

// responseTap forwards a response body, keeping a prefix and counting
// bytes, and finishes the exchange on a read error or on Close. goproxy
// reads and closes it from one goroutine, and closes every body it
// forwards once the response is written (corked ones leave only then), so
// a flow is handed to inspection after the browser has its response.
type responseTap struct {
	rc     io.ReadCloser
	ex     *exchange
	limit  int64
	buf    []byte
	n      int64
	uncork *trackedConn // corked for this response; nil if not
	script *scriptHash  // JavaScript only; nil for every other body
}

func (t *responseTap) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	if n > 0 {
		if room := t.limit - int64(len(t.buf)); room > 0 {
			t.buf = append(t.buf, p[:min(int64(n), room)]...)
		}
		t.n += int64(n)
		if t.script != nil {
			t.script.Write(p[:n])
		}
	}
	if err == io.EOF && t.script != nil {
		t.script.eof = true
	}
	if err != nil && err != io.EOF {
		t.ex.finish(t.n, t.buf, err)
	}
	return n, err
}

func (t *responseTap) Close() error {
	if t.uncork != nil {
		t.uncork.uncork()
		t.uncork = nil
	}
	err := t.rc.Close()
	// The exchange, and so this tap, lives on with its flow until the
	// flow is inspected: it must not keep the upstream connection's
	// buffers reachable meanwhile.
	t.rc = http.NoBody
	if t.script != nil && !t.ex.done.Load() {
		t.ex.flow.Response.SHA256 = t.script.sum(t.n)
	}
	t.ex.finish(t.n, t.buf, nil)
	return err
}
