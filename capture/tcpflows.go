package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/reassembly"

	"github.com/phiproxy/phiproxy"
)

// Limits of the TCP reassembly: out-of-order data waiting for a missing
// segment is bounded per connection and in total (a page holds ~1900 bytes),
// and connections idle for longer than idleTimeout (in capture time) are
// closed so that their parsers finish.
const (
	maxPagesPerConn   = 4096
	maxPagesTotal     = 65536
	idleTimeout       = 2 * time.Minute
	flushEvery        = 30 * time.Second
	maxPendingPerConn = 64 // requests waiting for their responses
	// maxHTTPConns bounds the HTTP connections parsed at once; each holds
	// two parser goroutines with a maxHeaderBytes buffer apiece.
	maxHTTPConns = 2048
	// maxPrefix is how much of a connection is held while deciding what
	// protocol it speaks: enough for a ClientHello record.
	maxPrefix = 5 + maxTLSRecord
)

// flowAssembler turns packets into flows: it decodes link, network and TCP
// layers, reassembles TCP connections, and runs one HTTP parser goroutine
// per direction of every HTTP connection. Packets are fed from a single
// goroutine; each feed waits until the parsers have consumed what they
// were given, so the parsers never run concurrently with the feeder and the
// flows come out in a deterministic order.
type flowAssembler struct {
	asm       *reassembly.Assembler
	sum       *Summary
	mu        sync.Mutex // guards ready and sum.Notes against the parser goroutines
	ready     []*phiproxy.Flow
	lastFlush time.Time
	lastSeen  time.Time

	nonTCP, fragments int
	unknownLinks      map[linkType]int
	httpConns         int // open connections with HTTP parsers
	refusedConns      int // HTTP connections not parsed because of maxHTTPConns
}

func newFlowAssembler(sum *Summary) *flowAssembler {
	a := &flowAssembler{sum: sum, unknownLinks: map[linkType]int{}}
	pool := reassembly.NewStreamPool(a)
	a.asm = reassembly.NewAssembler(pool)
	a.asm.MaxBufferedPagesPerConnection = maxPagesPerConn
	a.asm.MaxBufferedPagesTotal = maxPagesTotal
	return a
}

// packetContext carries a packet's capture info through the assembler.
type packetContext struct{ ci gopacket.CaptureInfo }

func (c *packetContext) GetCaptureInfo() gopacket.CaptureInfo { return c.ci }

// handle decodes one captured frame and feeds its TCP segment, if any, to
// the assembler.
func (a *flowAssembler) handle(p packet) {
	data := p.Data
	var first gopacket.LayerType
	switch p.Link {
	case linkEthernet:
		first = layers.LayerTypeEthernet
	case linkLinuxSLL:
		first = layers.LayerTypeLinuxSLL
	case linkLinuxSLL2:
		// Written by tcpdump/tshark for "-i any" since libpcap 1.10.
		// protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) addrlen(1) addr(8)
		if len(data) < 20 {
			a.nonTCP++
			return
		}
		first = etherTypeLayer(binary.BigEndian.Uint16(data[0:2]))
		data = data[20:]
	case linkRaw, linkIPv4, linkIPv6, linkRawBSD12, linkRawBSD14:
		first = ipVersionLayer(data)
	case linkNull, linkLoop:
		first = layers.LayerTypeLoopback
	default:
		a.unknownLinks[p.Link]++
		return
	}
	if first == gopacket.LayerTypeZero {
		a.nonTCP++
		return
	}
	pkt := gopacket.NewPacket(data, first, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	netLayer := pkt.NetworkLayer()
	if netLayer == nil {
		a.nonTCP++
		return
	}
	if ip4, ok := netLayer.(*layers.IPv4); ok && (ip4.Flags&layers.IPv4MoreFragments != 0 || ip4.FragOffset != 0) {
		a.fragments++
		return
	}
	tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if !ok {
		a.nonTCP++
		return
	}
	if p.Timestamp.After(a.lastSeen) {
		a.lastSeen = p.Timestamp
	}
	ctx := &packetContext{ci: gopacket.CaptureInfo{Timestamp: p.Timestamp, CaptureLength: len(p.Data), Length: p.Length}}
	a.asm.AssembleWithContext(netLayer.NetworkFlow(), tcp, ctx)
	a.flushIdle(a.lastSeen)
}

// flushIdle closes connections that have been quiet for idleTimeout, so that
// a long capture does not keep every connection it ever saw.
func (a *flowAssembler) flushIdle(now time.Time) {
	if a.lastFlush.IsZero() {
		a.lastFlush = now
		return
	}
	if now.Sub(a.lastFlush) < flushEvery {
		return
	}
	a.lastFlush = now
	a.asm.FlushCloseOlderThan(now.Add(-idleTimeout))
}

// closeAll ends every open connection: the parsers see the end of their
// streams and hand over what they have.
func (a *flowAssembler) closeAll() {
	a.asm.FlushAll()
	if a.refusedConns > 0 {
		a.note("%d HTTP connections not parsed: more than %d were open at once", a.refusedConns, maxHTTPConns)
		a.refusedConns = 0
	}
	if a.fragments > 0 {
		a.note("%d IPv4 fragments ignored (fragmented packets are not reassembled)", a.fragments)
		a.fragments = 0
	}
	for link, n := range a.unknownLinks {
		a.note("%d packets with unsupported link type %d ignored", n, int(link))
		delete(a.unknownLinks, link)
	}
}

// drain hands the completed flows to emit, in order.
func (a *flowAssembler) drain(emit EmitFunc) error {
	a.mu.Lock()
	ready := a.ready
	a.ready = nil
	a.mu.Unlock()
	for _, f := range ready {
		a.sum.Flows++
		if err := emit(f); err != nil {
			// The rest are dropped: the caller asked to stop.
			return &emitError{err}
		}
	}
	return nil
}

func (a *flowAssembler) addReady(f *phiproxy.Flow) {
	a.mu.Lock()
	a.ready = append(a.ready, f)
	a.mu.Unlock()
}

func (a *flowAssembler) note(format string, args ...any) {
	a.mu.Lock()
	a.sum.note(format, args...)
	a.mu.Unlock()
}

// New is the reassembly.StreamFactory hook: one tcpStream per connection.
func (a *flowAssembler) New(netFlow, tcpFlow gopacket.Flow, tcp *layers.TCP, ac reassembly.AssemblerContext) reassembly.Stream {
	src := endpointAddr(netFlow.Src(), tcpFlow.Src())
	dst := endpointAddr(netFlow.Dst(), tcpFlow.Dst())
	return &tcpStream{
		a:     a,
		addrs: [2]string{src, dst},
		start: ac.GetCaptureInfo().Timestamp,
	}
}

func endpointAddr(ip, port gopacket.Endpoint) string {
	var p uint16
	if raw := port.Raw(); len(raw) == 2 {
		p = binary.BigEndian.Uint16(raw)
	}
	return net.JoinHostPort(net.IP(ip.Raw()).String(), strconv.Itoa(int(p)))
}

func etherTypeLayer(t uint16) gopacket.LayerType {
	switch layers.EthernetType(t) {
	case layers.EthernetTypeIPv4:
		return layers.LayerTypeIPv4
	case layers.EthernetTypeIPv6:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypeZero
}

func ipVersionLayer(b []byte) gopacket.LayerType {
	if len(b) == 0 {
		return gopacket.LayerTypeZero
	}
	switch b[0] >> 4 {
	case 4:
		return layers.LayerTypeIPv4
	case 6:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypeZero
}

type streamKind int

const (
	kindUndecided streamKind = iota
	kindHTTP
	kindTLS
	kindOther
)

// tcpStream is one TCP connection. Index 0 of the per-direction arrays is
// reassembly's "client to server" direction, i.e. the direction of the
// first packet seen, which is not necessarily the HTTP client: the role of
// each direction is decided from the first bytes it carries.
type tcpStream struct {
	a     *flowAssembler
	addrs [2]string // source of direction 0, source of direction 1
	start time.Time
	kind  streamKind

	prefix   [2][]byte
	prefixTS [2]time.Time
	ended    [2]bool

	reqDir  int // direction carrying requests, once kind is kindHTTP
	parsers [2]*halfParser

	mu      sync.Mutex // guards pending between the two parser goroutines
	pending []*pendingRequest
}

// pendingRequest is a parsed request waiting for its response.
type pendingRequest struct {
	req        *http.Request
	body       []byte
	size       int64
	truncated  bool
	start, end time.Time
	incomplete string // why the body could not be read to its end
}

func dirIndex(d reassembly.TCPFlowDirection) int {
	if d == reassembly.TCPDirClientToServer {
		return 0
	}
	return 1
}

// Accept takes every segment and starts connections whose handshake was
// not captured, so that recordings begun mid-connection are still read.
func (s *tcpStream) Accept(tcp *layers.TCP, ci gopacket.CaptureInfo, dir reassembly.TCPFlowDirection, nextSeq reassembly.Sequence, start *bool, ac reassembly.AssemblerContext) bool {
	*start = true
	return true
}

// ReassembledSG receives in-order data of one direction.
func (s *tcpStream) ReassembledSG(sg reassembly.ScatterGather, ac reassembly.AssemblerContext) {
	dir, _, end, skip := sg.Info()
	i := dirIndex(dir)
	length, _ := sg.Lengths()
	if skip > 0 {
		s.gap(i, skip)
	}
	if length > 0 {
		ts := sg.CaptureInfo(0).Timestamp
		s.data(i, sg.Fetch(length), ts)
	}
	if end {
		s.endDirection(i)
	}
}

// ReassemblyComplete is called once both directions have ended.
func (s *tcpStream) ReassemblyComplete(ac reassembly.AssemblerContext) bool {
	for i := range s.ended {
		s.endDirection(i)
	}
	s.mu.Lock()
	left := s.pending
	s.pending = nil
	s.mu.Unlock()
	for _, pr := range left {
		s.a.addReady(s.flow(pr, nil, nil, 0, time.Time{}, time.Time{}))
	}
	if s.kind == kindHTTP {
		s.a.httpConns--
	}
	return true
}

func (s *tcpStream) data(i int, b []byte, ts time.Time) {
	switch s.kind {
	case kindHTTP:
		if p := s.parsers[i]; p != nil {
			p.feed(b, ts)
		}
		return
	case kindTLS, kindOther:
		return
	}
	if len(s.prefix[i]) == 0 {
		s.prefixTS[i] = ts
	}
	room := maxPrefix - len(s.prefix[i])
	if len(b) > room {
		b = b[:room]
	}
	s.prefix[i] = append(s.prefix[i], b...)
	s.decide(i, false)
}

// decide settles what the connection speaks from the first bytes of
// direction i. With final set no more bytes will come for i.
func (s *tcpStream) decide(i int, final bool) {
	p := s.prefix[i]
	full := final || len(p) >= maxPrefix
	switch {
	case len(p) >= 1 && p[0] == 0x16:
		if len(p) < 6 && !full {
			return
		}
		if !looksLikeClientHello(p) {
			s.setOther(i)
			return
		}
		sni, complete := clientHelloSNI(p)
		if !complete && !full {
			return
		}
		s.kind = kindTLS
		s.a.sum.Encrypted = append(s.a.sum.Encrypted, Encrypted{
			Client: s.addrs[i], Server: s.addrs[1-i], SNI: sni, Start: s.start,
		})
		s.prefix = [2][]byte{}
	default:
		role, sure := httpRole(p)
		if !sure && !full {
			return
		}
		switch role {
		case roleRequest:
			s.startHTTP(i)
		case roleResponse:
			s.startHTTP(1 - i)
		default:
			s.setOther(i)
		}
	}
}

func (s *tcpStream) setOther(i int) {
	s.kind = kindOther
	s.a.sum.Skipped++
	s.prefix = [2][]byte{}
}

type httpRoleKind int

const (
	roleNone httpRoleKind = iota
	roleRequest
	roleResponse
)

// httpRole tells whether b starts an HTTP/1.x request ("GET /") or
// response ("HTTP/1."). sure is false while b is too short to tell.
func httpRole(b []byte) (role httpRoleKind, sure bool) {
	const resp = "HTTP/1."
	if len(b) < len(resp) && strings.HasPrefix(resp, string(b)) {
		return roleNone, false
	}
	if bytes.HasPrefix(b, []byte(resp)) {
		return roleResponse, true
	}
	// A method is an upper-case token followed by a space. "PRI" opens the
	// HTTP/2 connection preface, which this reader does not parse.
	for n, c := range b {
		if c == ' ' {
			if n >= 3 && string(b[:n]) != "PRI" {
				return roleRequest, true
			}
			return roleNone, true
		}
		if c < 'A' || c > 'Z' || n >= 20 {
			return roleNone, true
		}
	}
	return roleNone, false
}

func (s *tcpStream) startHTTP(reqDir int) {
	if s.a.httpConns >= maxHTTPConns {
		s.kind = kindOther
		s.a.refusedConns++
		s.prefix = [2][]byte{}
		return
	}
	s.a.httpConns++
	s.kind = kindHTTP
	s.reqDir = reqDir
	s.parsers[reqDir] = newHalfParser(s.readRequests)
	s.parsers[1-reqDir] = newHalfParser(s.readResponses)
	// Requests first, so that a response finds its request parsed.
	for _, i := range []int{reqDir, 1 - reqDir} {
		if len(s.prefix[i]) > 0 {
			s.parsers[i].feed(s.prefix[i], s.prefixTS[i])
		}
		if s.ended[i] {
			s.parsers[i].close()
		}
	}
	s.prefix = [2][]byte{}
}

func (s *tcpStream) gap(i, n int) {
	if s.kind == kindHTTP && s.parsers[i] != nil && !s.parsers[i].closed {
		s.a.note("%s: %d bytes missing from the capture; rest of the %s stream ignored", s.describe(), n, s.role(i))
		s.parsers[i].close()
		s.parsers[i] = nil
	}
}

func (s *tcpStream) endDirection(i int) {
	if s.ended[i] {
		return
	}
	s.ended[i] = true
	if s.kind == kindUndecided && len(s.prefix[i]) > 0 {
		s.decide(i, true)
	}
	if s.kind == kindHTTP && s.parsers[i] != nil {
		s.parsers[i].close()
	}
}

func (s *tcpStream) describe() string {
	if s.kind == kindHTTP {
		return s.addrs[s.reqDir] + " -> " + s.addrs[1-s.reqDir]
	}
	return s.addrs[0] + " -> " + s.addrs[1]
}

func (s *tcpStream) role(i int) string {
	if i == s.reqDir {
		return "request"
	}
	return "response"
}

// nextHead waits for the next message of one direction (role names it
// in notes) and for the whole of its head, dropping what came before it.
// ok is false when the direction has ended or its head was unreadable
// (noted).
func (s *tcpStream) nextHead(h *halfParser, br *bufio.Reader, role string) (start int64, ok bool) {
	if _, err := br.Peek(1); err != nil {
		return 0, false
	}
	start = h.consumed(br)
	h.forget(start)
	if err := waitForHead(br); err != nil {
		s.headError(role, start, err)
		return start, false
	}
	return start, true
}

// readRequests is the parser goroutine of the request direction.
func (s *tcpStream) readRequests(h *halfParser) {
	br := bufio.NewReaderSize(h, maxHeaderBytes)
	for {
		startOff, ok := s.nextHead(h, br, "request")
		if !ok {
			return
		}
		req, err := http.ReadRequest(br)
		if err != nil {
			s.a.note("%s: malformed HTTP request at stream offset %d: %v", s.describe(), startOff, err)
			return
		}
		body, size, truncated, bodyErr := readBody(req.Body, MaxRequestBody)
		endOff := h.consumed(br)
		pr := &pendingRequest{
			req: req, body: body, size: size, truncated: truncated,
			start: h.timeAt(startOff), end: h.timeAt(endOff - 1),
		}
		if bodyErr != nil {
			pr.incomplete = "request body incomplete in the capture: " + bodyErr.Error()
			pr.truncated = true
		}
		s.push(pr)
		if bodyErr != nil || req.Method == http.MethodConnect {
			// After CONNECT the connection is a tunnel, not HTTP.
			return
		}
	}
}

// readResponses is the parser goroutine of the response direction. When it
// has response bytes the request direction has been fed everything before
// them, so the matching request, if captured, is already pending.
func (s *tcpStream) readResponses(h *halfParser) {
	br := bufio.NewReaderSize(h, maxHeaderBytes)
	for {
		startOff, ok := s.nextHead(h, br, "response")
		if !ok {
			return
		}
		line, _ := br.Peek(12) // "HTTP/1.1 100"
		interim := len(line) == 12 && line[9] == '1' && string(line[9:12]) != "101"
		var pr *pendingRequest
		var req *http.Request
		if !interim {
			pr = s.pop()
			if pr != nil {
				req = pr.req
			}
		}
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			s.a.note("%s: malformed HTTP response at stream offset %d: %v", s.describe(), startOff, err)
			if pr != nil {
				s.a.addReady(s.flow(pr, nil, nil, 0, time.Time{}, time.Time{}))
			}
			return
		}
		body, size, _, bodyErr := readBody(resp.Body, MaxResponseBody)
		endOff := h.consumed(br)
		if interim {
			continue
		}
		if pr == nil {
			s.a.note("%s: response at stream offset %d has no captured request", s.describe(), startOff)
		} else {
			s.a.addReady(s.flow(pr, resp, body, size, h.timeAt(startOff), h.timeAt(endOff-1)))
		}
		if bodyErr != nil || resp.StatusCode == http.StatusSwitchingProtocols ||
			(req != nil && req.Method == http.MethodConnect && resp.StatusCode/100 == 2) {
			return
		}
	}
}

func (s *tcpStream) headError(what string, off int64, err error) {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		s.a.note("%s: capture ends inside an HTTP %s head at stream offset %d", s.describe(), what, off)
		return
	}
	s.a.note("%s: HTTP %s at stream offset %d: %v", s.describe(), what, off, err)
}

func (s *tcpStream) push(pr *pendingRequest) {
	s.mu.Lock()
	var overflow *pendingRequest
	if len(s.pending) >= maxPendingPerConn {
		overflow = s.pending[0]
		s.pending = s.pending[1:]
	}
	s.pending = append(s.pending, pr)
	s.mu.Unlock()
	if overflow != nil {
		s.a.addReady(s.flow(overflow, nil, nil, 0, time.Time{}, time.Time{}))
	}
}

func (s *tcpStream) pop() *pendingRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return nil
	}
	pr := s.pending[0]
	s.pending[0] = nil
	s.pending = s.pending[1:]
	return pr
}

// flow builds the Flow of a request and its response (resp may be nil).
func (s *tcpStream) flow(pr *pendingRequest, resp *http.Response, respBody []byte, respSize int64, respStart, respEnd time.Time) *phiproxy.Flow {
	req := pr.req
	host := req.Host
	if host == "" {
		host = s.addrs[1-s.reqDir]
	}
	u := "http://" + host + req.RequestURI
	switch {
	case req.Method == http.MethodConnect:
		u = "http://" + req.RequestURI // authority form: host:port
	case req.URL != nil && req.URL.IsAbs():
		u = req.URL.String() // proxy form: the client spoke to a proxy
	}
	f := &phiproxy.Flow{
		Start:      pr.start,
		ClientAddr: s.addrs[s.reqDir],
		ServerAddr: s.addrs[1-s.reqDir],
		Source:     "pcap",
		Request: phiproxy.Request{
			Method:    req.Method,
			URL:       u,
			Host:      req.Host,
			Proto:     req.Proto,
			Header:    req.Header,
			Body:      pr.body,
			BodySize:  pr.size,
			Truncated: pr.truncated,
		},
		Error: pr.incomplete,
	}
	if f.Request.Header == nil {
		f.Request.Header = http.Header{}
	}
	f.Page = f.Request.Header.Get("Referer")
	if !pr.end.IsZero() && !pr.start.IsZero() {
		f.Timings.Send = nonNegative(pr.end.Sub(pr.start))
	}
	if resp != nil {
		f.Response = &phiproxy.Response{
			Status:   resp.StatusCode,
			Proto:    resp.Proto,
			Header:   resp.Header,
			Body:     respBody,
			BodySize: respSize,
		}
		if !respStart.IsZero() && !pr.end.IsZero() {
			f.Timings.Wait = nonNegative(respStart.Sub(pr.end))
			f.Timings.Receive = nonNegative(respEnd.Sub(respStart))
		}
	}
	return f
}

func nonNegative(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

// waitForHead blocks until br holds a whole message head (through the empty
// line), failing when the head would exceed the buffer.
func waitForHead(br *bufio.Reader) error {
	searched := 0
	for {
		buf, _ := br.Peek(br.Buffered())
		from := searched - 3
		if from < 0 {
			from = 0
		}
		if bytes.Contains(buf[from:], []byte("\r\n\r\n")) || bytes.Contains(buf[from:], []byte("\n\n")) {
			return nil
		}
		searched = len(buf)
		if len(buf) >= br.Size() {
			return fmt.Errorf("message head longer than %d bytes", br.Size())
		}
		if _, err := br.Peek(len(buf) + 1); err != nil {
			return err
		}
	}
}

// readBody keeps up to limit bytes of an HTTP body and counts the rest.
func readBody(body io.ReadCloser, limit int64) (kept []byte, size int64, truncated bool, err error) {
	if body == nil || body == http.NoBody {
		return nil, 0, false, nil
	}
	defer body.Close()
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(body, limit))
	if err != nil {
		return buf.Bytes(), n, false, err
	}
	rest, err := io.Copy(io.Discard, body)
	return buf.Bytes(), n + rest, rest > 0, err
}

// halfParser hands the bytes of one direction of a connection to a parser
// goroutine, synchronously: feed returns once the parser has consumed the
// bytes and is waiting for more (or has stopped). It implements io.Reader
// for the parser and remembers which capture time each byte came with.
type halfParser struct {
	chunks chan timedBytes
	idle   chan struct{}
	gone   chan struct{}
	closed bool // feeder side

	// Parser side.
	cur        []byte
	pendingAck bool
	readOff    int64 // bytes returned by Read so far
	recvOff    int64 // bytes received from the feeder so far
	marks      []timeMark
}

type timedBytes struct {
	b  []byte
	ts time.Time
}

// timeMark says that the bytes from offset on arrived at ts.
type timeMark struct {
	off int64
	ts  time.Time
}

func newHalfParser(run func(*halfParser)) *halfParser {
	h := &halfParser{
		chunks: make(chan timedBytes),
		idle:   make(chan struct{}),
		gone:   make(chan struct{}),
	}
	go func() {
		defer close(h.gone)
		run(h)
	}()
	return h
}

// feed gives b to the parser and waits until it has used it up. b may be
// reused by the caller afterwards.
func (h *halfParser) feed(b []byte, ts time.Time) {
	if h.closed || len(b) == 0 {
		return
	}
	select {
	case h.chunks <- timedBytes{b, ts}:
	case <-h.gone:
		return
	}
	select {
	case <-h.idle:
	case <-h.gone:
	}
}

// close ends the parser's input and waits for the parser to finish.
func (h *halfParser) close() {
	if h.closed {
		return
	}
	h.closed = true
	close(h.chunks)
	<-h.gone
}

// Read is called by the parser goroutine only.
func (h *halfParser) Read(p []byte) (int, error) {
	for len(h.cur) == 0 {
		if h.pendingAck {
			h.pendingAck = false
			h.idle <- struct{}{}
		}
		c, ok := <-h.chunks
		if !ok {
			return 0, io.EOF
		}
		h.cur = c.b
		h.marks = append(h.marks, timeMark{off: h.recvOff, ts: c.ts})
		h.recvOff += int64(len(c.b))
		h.pendingAck = true
	}
	n := copy(p, h.cur)
	h.cur = h.cur[n:]
	h.readOff += int64(n)
	return n, nil
}

// consumed is the stream offset of the next byte the parser will see
// through br.
func (h *halfParser) consumed(br *bufio.Reader) int64 {
	return h.readOff - int64(br.Buffered())
}

// timeAt returns the capture time of the byte at off.
func (h *halfParser) timeAt(off int64) time.Time {
	for i := len(h.marks) - 1; i >= 0; i-- {
		if h.marks[i].off <= off {
			return h.marks[i].ts
		}
	}
	if len(h.marks) > 0 {
		return h.marks[0].ts
	}
	return time.Time{}
}

// forget drops time marks that only cover bytes before off.
func (h *halfParser) forget(off int64) {
	keep := 0
	for keep+1 < len(h.marks) && h.marks[keep+1].off <= off {
		keep++
	}
	if keep > 0 {
		h.marks = append(h.marks[:0], h.marks[keep:]...)
	}
}
