package decode

import (
	"strings"
	"testing"
	"unicode/utf16"
)

// lzCompress is LZString's compressor (6 bits per output character), the
// reference the decompressor is checked against.
func lzCompress(input string, alphabet string, pad bool) string {
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

func TestLZStringRoundTrip(t *testing.T) {
	inputs := []string{
		"a",
		"hello hello hello hello",
		`{"event":"$pageview","properties":{"$current_url":"https://clinic.example/conditions/depression","medication":"sertraline"}}`,
		"ünïcödé ✓ 𝄞 emoji 😀 and text",
		strings.Repeat("abcabcabd", 500),
	}
	for _, in := range inputs {
		for _, v := range []struct {
			name     string
			alphabet string
			pad      bool
		}{{"base64", lzBase64, true}, {"uri", lzURISafe, false}} {
			enc := lzCompress(in, v.alphabet[:64], v.pad)
			got, err := lzDecompress(enc, v.alphabet, 1<<20)
			if err != nil {
				t.Fatalf("%s %.20q: %v", v.name, in, err)
			}
			if string(got) != in {
				t.Fatalf("%s: got %.60q, want %.60q", v.name, got, in)
			}
		}
	}
}

func TestLZStringRejects(t *testing.T) {
	enc := lzCompress(strings.Repeat("sertraline ", 100), lzBase64[:64], true)
	tests := []struct {
		name  string
		in    string
		limit int
	}{
		{"truncated", enc[:len(enc)/2], 1 << 20},
		{"bad character", enc[:10] + "!" + enc[11:], 1 << 20},
		{"over limit", enc, 100},
		{"empty", "", 1 << 20},
		{"random", "Zm9vYmFyYmF6cXV4cXV1eA", 1 << 20},
	}
	for _, tt := range tests {
		if got, err := lzDecompress(tt.in, lzBase64, tt.limit); err == nil && plausibleText(got) {
			t.Errorf("%s: got %.40q and no error, want an error", tt.name, got)
		}
	}
}
