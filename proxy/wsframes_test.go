package proxy

import (
	"bytes"
	"compress/flate"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/gobwas/ws"
)

// frameBytes encodes one frame; mask nil means unmasked.
func frameBytes(t testing.TB, fin, rsv1 bool, op ws.OpCode, payload []byte, mask *[4]byte) []byte {
	t.Helper()
	h := ws.Header{Fin: fin, OpCode: op, Length: int64(len(payload))}
	if rsv1 {
		h.Rsv = 4 // RSV1 is the high bit of the three
	}
	p := bytes.Clone(payload)
	if mask != nil {
		h.Masked, h.Mask = true, *mask
		ws.Cipher(p, h.Mask, 0)
	}
	var b bytes.Buffer
	if err := ws.WriteHeader(&b, h); err != nil {
		t.Fatalf("write header: %v", err)
	}
	b.Write(p)
	return b.Bytes()
}

var testMask = &[4]byte{0x37, 0xfa, 0x21, 0x3d}

// deflater compresses messages the way permessage-deflate peers do: with
// takeover one stream shared by all messages, else a fresh one each.
type deflater struct {
	takeover bool
	buf      bytes.Buffer
	w        *flate.Writer
}

func (d *deflater) compress(t testing.TB, msg []byte) []byte {
	t.Helper()
	if d.w == nil || !d.takeover {
		d.buf.Reset()
		w, err := flate.NewWriter(&d.buf, flate.DefaultCompression)
		if err != nil {
			t.Fatal(err)
		}
		d.w = w
	}
	d.buf.Reset()
	if _, err := d.w.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := d.w.Flush(); err != nil {
		t.Fatal(err)
	}
	out := bytes.Clone(d.buf.Bytes())
	if !bytes.HasSuffix(out, []byte{0, 0, 0xff, 0xff}) {
		t.Fatalf("flush did not end in a sync marker: %x", out[max(0, len(out)-8):])
	}
	return out[:len(out)-4]
}

// parseAll feeds stream to a fresh parser in chunks of size chunk (0 =
// all at once) and returns what it delivered.
func parseAll(stream []byte, fromClient bool, limit int64, params deflateParams, chunk int) ([]message, error) {
	var got []message
	p := newFrameParser(fromClient, limit, params, func(m message) { got = append(got, m) })
	if chunk <= 0 {
		chunk = len(stream) + 1
	}
	for b := stream; len(b) > 0; {
		n := min(chunk, len(b))
		p.Feed(b[:n])
		b = b[n:]
	}
	return got, p.Err()
}

func text(s string) message   { return message{data: []byte(s)} }
func binary(b []byte) message { return message{binary: true, data: b} }

func TestFrameParser(t *testing.T) {
	takeover := deflateParams{enabled: true}
	independent := deflateParams{enabled: true, clientNoContextTakeover: true, serverNoContextTakeover: true}
	chat := []string{
		"I have been taking sertraline 50mg for my depression",
		"I have been taking sertraline 100mg since my depression got worse",
		"sertraline sertraline sertraline depression depression",
	}
	big := strings.Repeat("0123456789", 100)

	type tc struct {
		name       string
		fromClient bool
		limit      int64
		params     deflateParams
		stream     []byte
		want       []message
		wantErr    string
	}
	var tests []tc

	tests = append(tests, tc{name: "masked text", fromClient: true, limit: 1 << 20,
		stream: frameBytes(t, true, false, ws.OpText, []byte("jane@example.com"), testMask),
		want:   []message{text("jane@example.com")}})

	tests = append(tests, tc{name: "fragmented binary with a ping between fragments", fromClient: true, limit: 1 << 20,
		stream: bytes.Join([][]byte{
			frameBytes(t, false, false, ws.OpBinary, []byte{1, 2}, testMask),
			frameBytes(t, true, false, ws.OpPing, []byte("ping"), testMask),
			frameBytes(t, false, false, ws.OpContinuation, []byte{3}, testMask),
			frameBytes(t, true, false, ws.OpContinuation, []byte{4, 5, 6}, testMask),
			frameBytes(t, true, false, ws.OpText, []byte("after"), testMask),
		}, nil),
		want: []message{binary([]byte{1, 2, 3, 4, 5, 6}), text("after")}})

	tests = append(tests, tc{name: "server frames are unmasked", fromClient: false, limit: 1 << 20,
		stream: bytes.Join([][]byte{
			frameBytes(t, true, false, ws.OpText, []byte("welcome"), nil),
			frameBytes(t, true, false, ws.OpText, make([]byte, 70000), nil), // 64-bit length
		}, nil),
		want: []message{text("welcome"), text(string(make([]byte, 70000)))}})

	tests = append(tests, tc{name: "message beyond the limit is truncated", fromClient: true, limit: 100,
		stream: bytes.Join([][]byte{
			frameBytes(t, false, false, ws.OpText, []byte(big[:600]), testMask),
			frameBytes(t, true, false, ws.OpContinuation, []byte(big[600:]), testMask),
			frameBytes(t, true, false, ws.OpText, []byte("small"), testMask),
		}, nil),
		want: []message{{data: []byte(big[:100]), truncated: true}, text("small")}})

	var withTakeover, withoutTakeover [][]byte
	dt, di := &deflater{takeover: true}, &deflater{}
	for _, m := range chat {
		withTakeover = append(withTakeover, frameBytes(t, true, true, ws.OpText, dt.compress(t, []byte(m)), testMask))
		withoutTakeover = append(withoutTakeover, frameBytes(t, true, true, ws.OpText, di.compress(t, []byte(m)), testMask))
	}
	wantChat := []message{text(chat[0]), text(chat[1]), text(chat[2])}
	tests = append(tests, tc{name: "deflate with context takeover", fromClient: true, limit: 1 << 20,
		params: takeover, stream: bytes.Join(withTakeover, nil), want: wantChat})
	tests = append(tests, tc{name: "deflate without context takeover", fromClient: true, limit: 1 << 20,
		params: independent, stream: bytes.Join(withoutTakeover, nil), want: wantChat})

	// A compressed message split over frames, with an uncompressed one after.
	split := (&deflater{}).compress(t, []byte(big))
	tests = append(tests, tc{name: "fragmented compressed message", fromClient: false, limit: 1 << 20, params: independent,
		stream: bytes.Join([][]byte{
			frameBytes(t, false, true, ws.OpText, split[:5], nil),
			frameBytes(t, true, false, ws.OpContinuation, split[5:], nil),
			frameBytes(t, true, false, ws.OpBinary, []byte{9}, nil),
		}, nil),
		want: []message{text(big), binary([]byte{9})}})

	// Output beyond the limit is cut, but the window still follows the
	// whole message, so the next one decodes.
	dt2 := &deflater{takeover: true}
	tests = append(tests, tc{name: "inflated message beyond the limit keeps the window", fromClient: true, limit: 50, params: takeover,
		stream: bytes.Join([][]byte{
			frameBytes(t, true, true, ws.OpText, dt2.compress(t, []byte(big)), testMask),
			frameBytes(t, true, true, ws.OpText, dt2.compress(t, []byte(big[:40])), testMask),
		}, nil),
		want: []message{{data: []byte(big[:50]), truncated: true}, text(big[:40])}})

	errorCases := []struct {
		name   string
		client bool
		params deflateParams
		stream []byte
		err    string
		want   []message
	}{
		{"unmasked client frame", true, deflateParams{}, frameBytes(t, true, false, ws.OpText, []byte("x"), nil), "masking", nil},
		{"masked server frame", false, deflateParams{}, frameBytes(t, true, false, ws.OpText, []byte("x"), testMask), "masking", nil},
		{"continuation outside a message", true, deflateParams{}, frameBytes(t, true, false, ws.OpContinuation, []byte("x"), testMask), "continuation", nil},
		{"reserved opcode", true, deflateParams{}, frameBytes(t, true, false, ws.OpCode(3), []byte("x"), testMask), "reserved opcode", nil},
		{"fragmented control frame", true, deflateParams{}, frameBytes(t, false, false, ws.OpPing, []byte("x"), testMask), "control frame", nil},
		{"compressed frame without deflate", true, deflateParams{}, frameBytes(t, true, true, ws.OpText, []byte("x"), testMask), "permessage-deflate", nil},
		{"data frame inside a message", true, deflateParams{}, append(
			frameBytes(t, false, false, ws.OpText, []byte("a"), testMask),
			frameBytes(t, true, false, ws.OpText, []byte("b"), testMask)...), "before the previous message", nil},
		{"corrupt deflate with takeover", true, takeover, frameBytes(t, true, true, ws.OpText, []byte{0xff, 0xff, 0xff}, testMask), "inflate",
			[]message{{truncated: true}}}, // delivered as far as it decoded: nothing
		{"compressed message beyond the limit with takeover", true, takeover, frameBytes(t, true, true, ws.OpText, make([]byte, 2<<20), testMask), "exceeds",
			[]message{{truncated: true}}},
	}
	for _, e := range errorCases {
		tests = append(tests, tc{name: e.name, fromClient: e.client, limit: 1 << 20, params: e.params, stream: e.stream, wantErr: e.err, want: e.want})
	}

	for _, tc := range tests {
		for _, chunk := range []int{0, 1, 3, 13} {
			t.Run(fmt.Sprintf("%s/chunk=%d", tc.name, chunk), func(t *testing.T) {
				got, err := parseAll(tc.stream, tc.fromClient, tc.limit, tc.params, chunk)
				if tc.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Fatalf("error: got %v, want one containing %q", err, tc.wantErr)
					}
				} else if err != nil {
					t.Fatalf("error: got %v, want none", err)
				}
				if len(got) != len(tc.want) {
					t.Fatalf("messages: got %d, want %d", len(got), len(tc.want))
				}
				for i := range got {
					if !reflect.DeepEqual(normal(got[i]), normal(tc.want[i])) {
						t.Errorf("message %d: got %+.60v, want %+.60v", i, got[i], tc.want[i])
					}
				}
			})
		}
	}

	// The takeover stream really depends on the window: read as independent
	// messages, the later ones fail.
	got, err := parseAll(bytes.Join(withTakeover, nil), true, 1<<20, independent, 0)
	if err == nil && reflect.DeepEqual(got, wantChat) {
		t.Errorf("takeover stream decoded without its window: the test does not exercise context takeover")
	}
}

// normal makes empty and nil data compare equal.
func normal(m message) message {
	if len(m.data) == 0 {
		m.data = nil
	}
	return m
}

func TestNegotiatedDeflate(t *testing.T) {
	tests := []struct {
		header []string
		want   deflateParams
	}{
		{nil, deflateParams{}},
		{[]string{"permessage-deflate"}, deflateParams{enabled: true}},
		{[]string{"permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
			deflateParams{enabled: true, clientNoContextTakeover: true, serverNoContextTakeover: true}},
		{[]string{"x-webkit-deflate-frame", "permessage-deflate; client_max_window_bits=10; client_no_context_takeover"},
			deflateParams{enabled: true, clientNoContextTakeover: true}},
		{[]string{"permessage-deflate; bogus_param"}, deflateParams{}},
		{[]string{";;;=="}, deflateParams{}},
	}
	for _, tc := range tests {
		if got := negotiatedDeflate(tc.header); got != tc.want {
			t.Errorf("negotiatedDeflate(%q): got %+v, want %+v", tc.header, got, tc.want)
		}
	}
}

// FuzzFrameParser feeds arbitrary bytes in arbitrary chunks: the parser
// must not panic, must respect its limit, and must not depend on how the
// stream was split.
func FuzzFrameParser(f *testing.F) {
	dt := &deflater{takeover: true}
	f.Add(frameBytes(f, true, false, ws.OpText, []byte("hello"), testMask), byte(1))
	f.Add(frameBytes(f, true, false, ws.OpBinary, make([]byte, 300), nil), byte(0))
	f.Add(frameBytes(f, true, true, ws.OpText, dt.compress(f, []byte("compressed hello hello")), testMask), byte(0b0111))
	f.Add(frameBytes(f, true, true, ws.OpText, dt.compress(f, []byte("more hello hello")), testMask), byte(0b1011))
	f.Add(append(frameBytes(f, false, false, ws.OpText, []byte("frag"), testMask),
		frameBytes(f, true, false, ws.OpContinuation, []byte("ment"), testMask)...), byte(0b11111001))
	f.Add([]byte{0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, byte(0)) // huge length
	f.Fuzz(func(t *testing.T, stream []byte, opts byte) {
		const limit = 256
		fromClient := opts&1 != 0
		params := deflateParams{enabled: opts&2 != 0, clientNoContextTakeover: opts&4 == 0, serverNoContextTakeover: opts&4 == 0}
		chunk := int(opts>>3) + 1
		whole, wholeErr := parseAll(stream, fromClient, limit, params, 0)
		split, splitErr := parseAll(stream, fromClient, limit, params, chunk)
		for _, m := range whole {
			if len(m.data) > limit {
				t.Fatalf("message of %d bytes exceeds the limit %d", len(m.data), limit)
			}
		}
		if !reflect.DeepEqual(whole, split) || (wholeErr == nil) != (splitErr == nil) {
			t.Fatalf("chunking changed the result: whole %d msgs (err %v), chunks of %d: %d msgs (err %v)",
				len(whole), wholeErr, chunk, len(split), splitErr)
		}
	})
}

// FuzzNegotiatedDeflate: any Sec-WebSocket-Extensions value from a server
// parses without panicking, and only a permessage-deflate offer enables it.
func FuzzNegotiatedDeflate(f *testing.F) {
	f.Add("permessage-deflate; client_no_context_takeover")
	f.Add("permessage-deflate; server_max_window_bits=10, x-webkit-deflate-frame")
	f.Add(`permessage-deflate; client_max_window_bits="15"`)
	f.Add(";;=,,")
	f.Fuzz(func(t *testing.T, header string) {
		got := negotiatedDeflate([]string{header})
		if got.enabled && !strings.Contains(header, "permessage-deflate") {
			t.Fatalf("deflate enabled by %q", header)
		}
	})
}
