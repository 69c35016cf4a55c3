package main

import "unicode/utf16"

// lzCompress implements LZString's compress loop over UTF-16 code units,
// emitting bitsPerChar-bit symbols mapped through alphabet. It exists so
// the corpus can carry PostHog's lz64 bodies byte for byte as browsers
// send them.
func lzCompress(s string, bitsPerChar int, alphabet string) string {
	units := utf16.Encode([]rune(s))
	key := func(u []uint16) string {
		b := make([]byte, 0, 2*len(u))
		for _, x := range u {
			b = append(b, byte(x>>8), byte(x))
		}
		return string(b)
	}
	var (
		dict      = map[string]int{}
		toCreate  = map[string]bool{}
		w         []uint16
		enlargeIn = 2
		dictSize  = 3
		numBits   = 2
		out       []byte
		dataVal   int
		dataPos   int
	)
	writeBits := func(value, n int) {
		for i := 0; i < n; i++ {
			dataVal = dataVal<<1 | value&1
			value >>= 1
			if dataPos == bitsPerChar-1 {
				dataPos = 0
				out = append(out, alphabet[dataVal])
				dataVal = 0
			} else {
				dataPos++
			}
		}
	}
	grow := func() {
		enlargeIn--
		if enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}
	}
	emitW := func() {
		kw := key(w)
		if toCreate[kw] {
			c := int(w[0])
			if c < 256 {
				writeBits(0, numBits)
				writeBits(c, 8)
			} else {
				writeBits(1, numBits)
				writeBits(c, 16)
			}
			grow()
			delete(toCreate, kw)
		} else {
			writeBits(dict[kw], numBits)
		}
		grow()
	}
	for _, c := range units {
		kc := key([]uint16{c})
		if _, ok := dict[kc]; !ok {
			dict[kc] = dictSize
			dictSize++
			toCreate[kc] = true
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
	writeBits(2, numBits)
	for {
		dataVal <<= 1
		if dataPos == bitsPerChar-1 {
			out = append(out, alphabet[dataVal])
			break
		}
		dataPos++
	}
	return string(out)
}

const lzBase64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="

// lzCompressToBase64 is LZString.compressToBase64.
func lzCompressToBase64(s string) string {
	r := lzCompress(s, 6, lzBase64Alphabet)
	switch len(r) % 4 {
	case 1:
		return r + "==="
	case 2:
		return r + "=="
	case 3:
		return r + "="
	}
	return r
}
