package proxy

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
)

// deflateParams says whether permessage-deflate was negotiated on a
// connection and, per direction, whether each message is compressed
// independently (no context takeover) or against a sliding window of
// everything sent before.
type deflateParams struct {
	enabled                 bool
	clientNoContextTakeover bool
	serverNoContextTakeover bool
}

// negotiatedDeflate reads permessage-deflate from the 101 response's
// Sec-WebSocket-Extensions. An unparsable header counts as not negotiated:
// the frames then still parse, and compressed ones stop the parser.
func negotiatedDeflate(values []string) deflateParams {
	for _, v := range values {
		opts, ok := httphead.ParseOptions([]byte(v), nil)
		if !ok {
			continue
		}
		for _, opt := range opts {
			if string(opt.Name) != wsflate.ExtensionName {
				continue
			}
			var p wsflate.Parameters
			if err := p.Parse(opt); err != nil {
				continue
			}
			return deflateParams{
				enabled:                 true,
				clientNoContextTakeover: p.ClientNoContextTakeover,
				serverNoContextTakeover: p.ServerNoContextTakeover,
			}
		}
	}
	return deflateParams{}
}

// Limits that keep a hostile or broken stream from costing unbounded
// memory or CPU.
const (
	// maxInflateRatio bounds how much decompressed output one message may
	// produce, as a multiple of the kept-message limit, before the parser
	// gives up on the stream (a context-takeover window cannot skip data).
	maxInflateRatio = 64
	// windowSize is the LZ77 window permessage-deflate may refer back into.
	windowSize = wsflate.MaxLZ77WindowSize
)

// message is one reassembled data message as the frame parser delivers it.
type message struct {
	binary    bool
	data      []byte
	truncated bool
}

// frameParser turns one direction of a WebSocket byte stream into
// messages. It is push-based, fed with whatever chunks the relay copies,
// so it never reads from (or blocks) the connection. A protocol error
// stops it for good; the relay goes on regardless.
type frameParser struct {
	masked   bool // client-to-server frames must be masked
	limit    int  // bytes kept per message
	compress bool // permessage-deflate negotiated
	takeover bool // compressed messages share a sliding window
	deliver  func(message)
	onError  func(error) // called once, when parsing stops

	err error

	// current frame header, accumulated across chunks
	head    [ws.MaxHeaderSize]byte
	headLen int
	inFrame bool
	frame   ws.Header
	left    int64 // payload bytes still to come in this frame
	offset  int   // payload bytes seen in this frame, for unmasking

	// current data message
	inMessage  bool
	binary     bool
	compressed bool
	raw        []byte // payload as sent (still compressed when compressed)
	rawCut     bool   // raw hit its limit

	window []byte // last windowSize bytes of decompressed output
}

func newFrameParser(fromClient bool, limit int64, deflate deflateParams, deliver func(message)) *frameParser {
	takeover := !deflate.serverNoContextTakeover
	if fromClient {
		takeover = !deflate.clientNoContextTakeover
	}
	return &frameParser{
		masked:   fromClient,
		limit:    int(min(limit, int64(maxInt))),
		compress: deflate.enabled,
		takeover: deflate.enabled && takeover,
		deliver:  deliver,
	}
}

const maxInt = int(^uint(0) >> 1)

// Err is the error that stopped parsing, or nil.
func (p *frameParser) Err() error { return p.err }

// Feed parses the next chunk of the stream. It never modifies b.
func (p *frameParser) Feed(b []byte) {
	if p.err != nil {
		return
	}
	defer func() {
		if p.err != nil && p.onError != nil {
			p.onError(p.err)
		}
	}()
	for len(b) > 0 && p.err == nil {
		if !p.inFrame {
			b = p.feedHeader(b)
			continue
		}
		n := int(min(int64(len(b)), p.left))
		p.feedPayload(b[:n])
		b = b[n:]
		p.left -= int64(n)
		if p.left == 0 {
			p.endFrame()
		}
	}
}

// headerSize is the full header length implied by its first two bytes.
func headerSize(b0, b1 byte) int {
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}

func (p *frameParser) feedHeader(b []byte) []byte {
	need := 2
	if p.headLen >= 2 {
		need = headerSize(p.head[0], p.head[1])
	}
	for p.headLen < need && len(b) > 0 {
		p.head[p.headLen] = b[0]
		p.headLen++
		b = b[1:]
		if p.headLen == 2 {
			need = headerSize(p.head[0], p.head[1])
		}
	}
	if p.headLen < need {
		return b
	}
	h, err := ws.ReadHeader(bytes.NewReader(p.head[:p.headLen]))
	p.headLen = 0
	if err != nil {
		p.err = fmt.Errorf("frame header: %w", err)
		return nil
	}
	if err := p.startFrame(h); err != nil {
		p.err = err
		return nil
	}
	if p.left == 0 {
		p.endFrame()
	}
	return b
}

func (p *frameParser) startFrame(h ws.Header) error {
	if h.Masked != p.masked {
		return fmt.Errorf("frame masking is %t, want %t", h.Masked, p.masked)
	}
	if h.Length < 0 {
		return fmt.Errorf("frame length %d", h.Length)
	}
	if h.Rsv2() || h.Rsv3() {
		return errors.New("frame uses reserved bits RSV2/RSV3")
	}
	switch {
	case h.OpCode.IsReserved():
		return fmt.Errorf("reserved opcode %d", h.OpCode)
	case h.OpCode.IsControl():
		if !h.Fin || h.Length > ws.MaxControlFramePayloadSize || h.Rsv1() {
			return fmt.Errorf("malformed control frame (opcode %d)", h.OpCode)
		}
	case h.OpCode == ws.OpContinuation:
		if !p.inMessage {
			return errors.New("continuation frame outside a message")
		}
		if h.Rsv1() {
			return wsflate.ErrUnexpectedCompressionBit
		}
	case h.OpCode == ws.OpText || h.OpCode == ws.OpBinary:
		if p.inMessage {
			return errors.New("new data frame before the previous message ended")
		}
		if h.Rsv1() && !p.compress {
			return errors.New("compressed frame without negotiated permessage-deflate")
		}
		p.inMessage = true
		p.binary = h.OpCode == ws.OpBinary
		p.compressed = h.Rsv1()
		p.raw = p.raw[:0]
		p.rawCut = false
	default:
		return fmt.Errorf("reserved opcode %d", h.OpCode)
	}
	p.frame = h
	p.inFrame = true
	p.left = h.Length
	p.offset = 0
	return nil
}

func (p *frameParser) feedPayload(b []byte) {
	if p.frame.OpCode.IsControl() {
		p.offset += len(b)
		return
	}
	keep := min(len(b), p.limit-len(p.raw))
	if keep < len(b) {
		p.rawCut = true
	}
	if keep > 0 {
		start := len(p.raw)
		p.raw = append(p.raw, b[:keep]...)
		if p.masked {
			ws.Cipher(p.raw[start:], p.frame.Mask, p.offset)
		}
	}
	p.offset += len(b)
}

func (p *frameParser) endFrame() {
	p.inFrame = false
	if p.frame.OpCode.IsControl() || !p.frame.Fin {
		return
	}
	p.inMessage = false
	m := message{binary: p.binary, truncated: p.rawCut}
	if p.compressed {
		data, cut, err := p.inflate(p.raw)
		m.data, m.truncated = data, cut || m.truncated
		if err != nil {
			m.truncated = true
			if p.takeover {
				// The window is now unknown, so later messages cannot be
				// decompressed.
				p.err = fmt.Errorf("inflate message: %w", err)
			}
		}
	} else {
		m.data = bytes.Clone(p.raw)
	}
	if cap(p.raw) > 64<<10 {
		p.raw = nil // do not pin a large buffer for the connection's life
	}
	p.deliver(m)
}

// inflate decompresses one message, keeping up to limit bytes of output
// and, with context takeover, the sliding window for the next message.
func (p *frameParser) inflate(raw []byte) (data []byte, cut bool, err error) {
	if p.rawCut {
		return nil, true, errors.New("compressed message exceeds the capture limit")
	}
	var dict []byte
	if p.takeover {
		dict = p.window
	}
	fr := wsflate.NewReader(bytes.NewReader(raw), func(r io.Reader) wsflate.Decompressor {
		return flate.NewReaderDict(r, dict)
	})
	sink := &inflateSink{limit: p.limit, keepWindow: p.takeover, window: p.window}
	budget := int64(p.limit) * maxInflateRatio
	n, err := io.Copy(sink, io.LimitReader(fr, budget+1))
	if err == nil && n > budget {
		err = fmt.Errorf("message inflates beyond %d bytes", budget)
	}
	if p.takeover {
		p.window = sink.window
	}
	return sink.out, sink.cut, err
}

// inflateSink keeps the first limit bytes of decompressed output and, when
// asked, the last windowSize bytes of everything seen so far.
type inflateSink struct {
	limit      int
	out        []byte
	cut        bool
	keepWindow bool
	window     []byte
}

func (s *inflateSink) Write(b []byte) (int, error) {
	keep := min(len(b), s.limit-len(s.out))
	if keep > 0 {
		s.out = append(s.out, b[:keep]...)
	}
	if keep < len(b) {
		s.cut = true
	}
	if s.keepWindow {
		if len(b) >= windowSize {
			s.window = append(s.window[:0], b[len(b)-windowSize:]...)
		} else {
			if drop := len(s.window) + len(b) - windowSize; drop > 0 {
				s.window = append(s.window[:0], s.window[drop:]...)
			}
			s.window = append(s.window, b...)
		}
	}
	return len(b), nil
}
