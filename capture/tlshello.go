package capture

import (
	"encoding/binary"
	"strings"
)

// maxTLSRecord is the largest TLS record a ClientHello may arrive in
// (2^14 plaintext plus the allowance for compression).
const maxTLSRecord = 16384 + 2048

// looksLikeClientHello reports whether b (at least 6 bytes) starts a TLS
// handshake record holding a ClientHello.
func looksLikeClientHello(b []byte) bool {
	return len(b) >= 6 && b[0] == 0x16 && b[1] == 0x03 && b[5] == 0x01
}

// clientHelloSNI extracts the server_name from the first TLS record of a
// connection. complete reports whether the whole record was in b; when it
// is not, the caller may retry with more bytes. An SNI that is not found in
// the bytes present (no extension, or cut off) yields "".
func clientHelloSNI(b []byte) (sni string, complete bool) {
	if len(b) < 5 {
		return "", false
	}
	recLen := int(binary.BigEndian.Uint16(b[3:5]))
	if recLen > maxTLSRecord {
		return "", true // not a record a real client would send
	}
	complete = len(b) >= 5+recLen
	rec := b[5:]
	if len(rec) > recLen {
		rec = rec[:recLen]
	}
	c := cursor{b: rec}
	if typ, ok := c.u8(); !ok || typ != 1 {
		return "", complete
	}
	c.skip(3)  // handshake length; the record bounds us anyway
	c.skip(2)  // client_version
	c.skip(32) // random
	c.skipVec8()
	c.skipVec16() // cipher_suites
	c.skipVec8()  // compression_methods
	extLen, ok := c.u16()
	if !ok {
		return "", complete
	}
	ext := cursor{b: c.take(int(extLen))}
	for {
		typ, ok1 := ext.u16()
		n, ok2 := ext.u16()
		if !ok1 || !ok2 {
			return "", complete
		}
		data := ext.take(int(n))
		if typ != 0 { // server_name
			continue
		}
		list := cursor{b: data}
		listLen, _ := list.u16()
		names := cursor{b: list.take(int(listLen))}
		for {
			nameType, ok1 := names.u8()
			nameLen, ok2 := names.u16()
			if !ok1 || !ok2 {
				return "", complete
			}
			name := names.take(int(nameLen))
			if nameType == 0 && len(name) == int(nameLen) && validHostName(name) {
				return strings.ToLower(string(name)), complete
			}
		}
	}
}

// validHostName accepts what may appear in a DNS name; anything else in an
// SNI is hostile or garbage and is not worth reporting verbatim.
func validHostName(b []byte) bool {
	if len(b) == 0 || len(b) > 253 {
		return false
	}
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_':
		default:
			return false
		}
	}
	return true
}

// cursor reads big-endian fields from a byte slice; every read is bounds
// checked and a short read leaves the cursor empty.
type cursor struct{ b []byte }

func (c *cursor) take(n int) []byte {
	if n > len(c.b) {
		out := c.b
		c.b = nil
		return out
	}
	out := c.b[:n]
	c.b = c.b[n:]
	return out
}

func (c *cursor) skip(n int) { c.take(n) }

func (c *cursor) u8() (uint8, bool) {
	if len(c.b) < 1 {
		return 0, false
	}
	v := c.b[0]
	c.b = c.b[1:]
	return v, true
}

func (c *cursor) u16() (uint16, bool) {
	if len(c.b) < 2 {
		c.b = nil
		return 0, false
	}
	v := binary.BigEndian.Uint16(c.b)
	c.b = c.b[2:]
	return v, true
}

func (c *cursor) skipVec8() {
	if n, ok := c.u8(); ok {
		c.skip(int(n))
	}
}

func (c *cursor) skipVec16() {
	if n, ok := c.u16(); ok {
		c.skip(int(n))
	}
}
