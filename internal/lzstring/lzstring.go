// Package lzstring is LZString's compressor, for tests and corpus
// generators that must produce PostHog "lz64" bodies byte for byte as the
// JavaScript library does. phiproxy itself only decompresses (in
// classify/decode).
package lzstring

import (
	"strings"
	"unicode/utf16"
)

// Alphabets of LZString's compressToBase64 and compressToEncodedURIComponent.
const (
	Base64       = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
	URIComponent = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$"
)

// CompressToBase64 is LZString.compressToBase64.
func CompressToBase64(s string) string { return Compress(s, Base64, true) }

// CompressToEncodedURIComponent is LZString.compressToEncodedURIComponent.
func CompressToEncodedURIComponent(s string) string { return Compress(s, URIComponent, false) }

// Compress is LZString's compressor with 6 bits per output character,
// mapped through alphabet (Base64 or URIComponent), padded with '=' to a
// multiple of four when pad is set.
func Compress(input string, alphabet string, pad bool) string {
	units := utf16.Encode([]rune(input))
	key := func(u []uint16) string {
		var b strings.Builder
		for _, x := range u {
			b.WriteByte(byte(x >> 8))
			b.WriteByte(byte(x))
		}
		return b.String()
	}
	dict := map[string]int{}
	toCreate := map[string]bool{}
	enlargeIn, dictSize, numBits := 2, 3, 2
	var out []byte
	val, position := 0, 0
	writeBit := func(bit int) {
		val = val<<1 | bit
		if position == 5 {
			position = 0
			out = append(out, alphabet[val])
			val = 0
		} else {
			position++
		}
	}
	writeBits := func(n, value int) {
		for i := 0; i < n; i++ {
			writeBit(value & 1)
			value >>= 1
		}
	}
	var w []uint16
	emitW := func() {
		k := key(w)
		if toCreate[k] {
			if w[0] < 256 {
				writeBits(numBits, 0)
				writeBits(8, int(w[0]))
			} else {
				writeBits(numBits, 1)
				writeBits(16, int(w[0]))
			}
			enlargeIn--
			if enlargeIn == 0 {
				enlargeIn = 1 << numBits
				numBits++
			}
			delete(toCreate, k)
		} else {
			writeBits(numBits, dict[k])
		}
		enlargeIn--
		if enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}
	}
	for _, c := range units {
		ck := key([]uint16{c})
		if _, ok := dict[ck]; !ok {
			dict[ck] = dictSize
			dictSize++
			toCreate[ck] = true
		}
		wc := append(append([]uint16{}, w...), c)
		if _, ok := dict[key(wc)]; ok {
			w = wc
			continue
		}
		emitW()
		dict[key(wc)] = dictSize
		dictSize++
		w = []uint16{c}
	}
	if len(w) > 0 {
		emitW()
	}
	writeBits(numBits, 2)
	for {
		val <<= 1
		if position == 5 {
			out = append(out, alphabet[val])
			break
		}
		position++
	}
	s := string(out)
	if pad {
		s += [...]string{"", "===", "==", "="}[len(s)%4]
	}
	return s
}
