package main

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strings"
)

func sha256Hex(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
func sha1Hex(s string) string   { h := sha1.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
func md5Hex(s string) string    { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

// sha256B64URL is Google's user-provided-data form: base64url of the raw
// digest without padding (43 characters).
func sha256B64URL(s string) string {
	h := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// compress runs b through a compressing writer and returns the output.
func compress(b []byte, newWriter func(io.Writer) io.WriteCloser) []byte {
	var out bytes.Buffer
	w := newWriter(&out)
	if _, err := w.Write(b); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return out.Bytes()
}

func gzipBytes(b []byte) []byte {
	return compress(b, func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) })
}

func zlibBytes(b []byte) []byte {
	return compress(b, func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) })
}

func deflateRaw(b []byte) []byte {
	return compress(b, func(w io.Writer) io.WriteCloser {
		fw, _ := flate.NewWriter(w, flate.DefaultCompression)
		return fw
	})
}

func b64(s string) string       { return base64.StdEncoding.EncodeToString([]byte(s)) }
func b64url(s string) string    { return base64.URLEncoding.EncodeToString([]byte(s)) }
func b64urlRaw(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// encURI is JavaScript's encodeURIComponent.
func encURI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return b.String()
}

// formEnc is application/x-www-form-urlencoded as browsers write it
// (URLSearchParams): space as '+', '*-._' kept.
func formEnc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("*-._", c) >= 0:
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return b.String()
}

// query is an ordered parameter list. Values go into the flow's plain text
// as they are before encoding.
type query struct {
	f    *flow
	keys []string
	vals []string
	enc  func(string) string
}

func newQuery(f *flow, enc func(string) string) *query { return &query{f: f, enc: enc} }

func (q *query) set(k, v string) *query {
	q.keys = append(q.keys, k)
	q.vals = append(q.vals, v)
	q.f.see(k + "=" + v)
	return q
}

// setRaw adds a value that is already encoded (double-encoding, binary
// encodings); plain is what it decodes to for the evidence check.
func (q *query) setRaw(k, raw, plain string) *query {
	q.keys = append(q.keys, k)
	q.vals = append(q.vals, "\x00"+raw)
	q.f.see(k + "=" + plain)
	return q
}

func (q *query) String() string {
	var b strings.Builder
	for i, k := range q.keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(q.enc(k))
		b.WriteByte('=')
		v := q.vals[i]
		if strings.HasPrefix(v, "\x00") {
			b.WriteString(v[1:])
		} else {
			b.WriteString(q.enc(v))
		}
	}
	return b.String()
}

// LZString, written from the published description of lz-string's
// compress(): an LZW variant emitting variable-width codes bit by bit, least
// significant bit first, packed into characters of bitsPerChar bits.
func lzCompress(input string, bitsPerChar int, alphabet string) string {
	units := utf16Units(input)
	dict := map[string]int{}
	toCreate := map[string]bool{}
	var out []byte
	val, pos := 0, 0
	write := func(value, n int) {
		for i := 0; i < n; i++ {
			val = val<<1 | value&1
			if pos == bitsPerChar-1 {
				pos = 0
				out = append(out, alphabet[val])
				val = 0
			} else {
				pos++
			}
			value >>= 1
		}
	}
	enlargeIn, dictSize, numBits := 2, 3, 2
	grow := func() {
		enlargeIn--
		if enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}
	}
	emit := func(w string) {
		if toCreate[w] {
			c := int(w[0])<<8 | int(w[1])
			if c < 256 {
				write(0, numBits)
				write(c, 8)
			} else {
				write(1, numBits)
				write(c, 16)
			}
			grow()
			delete(toCreate, w)
		} else {
			write(dict[w], numBits)
		}
		grow()
	}
	w := ""
	for _, u := range units {
		c := string([]byte{byte(u >> 8), byte(u)})
		if _, ok := dict[c]; !ok {
			dict[c] = dictSize
			dictSize++
			toCreate[c] = true
		}
		wc := w + c
		if _, ok := dict[wc]; ok {
			w = wc
			continue
		}
		emit(w)
		dict[wc] = dictSize
		dictSize++
		w = c
	}
	if w != "" {
		emit(w)
	}
	write(2, numBits)
	for {
		val <<= 1
		if pos == bitsPerChar-1 {
			out = append(out, alphabet[val])
			break
		}
		pos++
	}
	return string(out)
}

// utf16Units returns the UTF-16 code units of s, the units lz-string works on.
func utf16Units(s string) []uint16 {
	var out []uint16
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			out = append(out, uint16(0xD800+(r>>10)), uint16(0xDC00+(r&0x3FF)))
		} else {
			out = append(out, uint16(r))
		}
	}
	return out
}

const (
	lzAlphaB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
	lzAlphaURI = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$"
)

// lzBase64 is LZString.compressToBase64, padded to a multiple of four.
func lzBase64(s string) string {
	res := lzCompress(s, 6, lzAlphaB64)
	switch len(res) % 4 {
	case 1:
		return res + "==="
	case 2:
		return res + "=="
	case 3:
		return res + "="
	}
	return res
}

// lzURI is LZString.compressToEncodedURIComponent.
func lzURI(s string) string { return lzCompress(s, 6, lzAlphaURI) }
