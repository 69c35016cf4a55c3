package decode

import (
	"errors"
	"unicode/utf16"
	"unicode/utf8"
)

// LZString (pieroxy/lz-string) alphabets: compressToBase64 and
// compressToEncodedURIComponent. Both carry 6 bits per character.
const (
	lzBase64  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
	lzURISafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$"
)

var (
	errLZInput   = errors.New("lzstring: character outside alphabet")
	errLZCorrupt = errors.New("lzstring: invalid code")
	errLZShort   = errors.New("lzstring: input ends early")
	errLZLimit   = errors.New("lzstring: output limit reached")
)

// lzDecompress undoes LZString's compressToBase64 (alphabet lzBase64) or
// compressToEncodedURIComponent (lzURISafe) and returns UTF-8. It stops with
// an error instead of producing more than limit UTF-16 units, so a hostile
// input cannot grow memory past the budget.
//
// Every dictionary entry is a run of the output produced so far (an entry
// is the previous chunk plus the first unit of the next, and those are
// adjacent in the output), so entries are kept as offsets, not copies.
func lzDecompress(in, alphabet string, limit int) ([]byte, error) {
	rev := &lzBase64Values
	if alphabet == lzURISafe {
		rev = &lzURISafeValues
	}
	const resetValue = 32
	var (
		pos      = 0
		val      int
		position = resetValue
		errIn    error
	)
	next := func() int {
		if pos >= len(in) {
			pos++ // reading one unit past the end is how streams finish
			return 0
		}
		v := rev[in[pos]]
		pos++
		if v < 0 {
			errIn = errLZInput
			return 0
		}
		return int(v)
	}
	val = next()
	bits := func(n int) int {
		r := 0
		for p := 0; p < n; p++ {
			if val&position != 0 {
				r |= 1 << p
			}
			position >>= 1
			if position == 0 {
				position = resetValue
				val = next()
			}
		}
		return r
	}

	type span struct{ off, n int }
	dict := make([]span, 3, 64) // codes 0, 1, 2 are control codes
	// Most tries are of IDs and slugs that are not LZString at all and
	// fail within a few dozen units: those fit a buffer on the stack.
	var small [256]uint16
	out := small[:0]
	if n := min(len(in)*3, limit); n > len(small) {
		out = make([]uint16, 0, n)
	}
	enlargeIn, numBits := 4, 3

	var first int
	switch bits(2) {
	case 0:
		first = bits(8)
	case 1:
		first = bits(16)
	default:
		return nil, errLZCorrupt
	}
	if errIn != nil {
		return nil, errIn
	}
	if limit < 1 {
		return nil, errLZLimit
	}
	dict = append(dict, span{len(out), 1})
	out = append(out, uint16(first))
	w := span{0, 1}
	for {
		if pos > len(in) {
			return nil, errLZShort
		}
		c := bits(numBits)
		if errIn != nil {
			return nil, errIn
		}
		literal := false
		switch c {
		case 0, 1:
			width := 8
			if c == 1 {
				width = 16
			}
			ch := bits(width)
			if len(out)+1 > limit {
				return nil, errLZLimit
			}
			dict = append(dict, span{len(out), 1})
			out = append(out, uint16(ch))
			c = len(dict) - 1
			enlargeIn--
			literal = true
		case 2:
			return utf16ToUTF8(out), nil
		}
		if enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}
		start := len(out)
		switch {
		case literal:
			start--
		case c < len(dict):
			e := dict[c]
			if len(out)+e.n > limit {
				return nil, errLZLimit
			}
			for i := 0; i < e.n; i++ {
				out = append(out, out[e.off+i])
			}
		case c == len(dict): // w + w[0]
			if len(out)+w.n+1 > limit {
				return nil, errLZLimit
			}
			for i := 0; i < w.n; i++ {
				out = append(out, out[w.off+i])
			}
			out = append(out, out[w.off])
		default:
			return nil, errLZCorrupt
		}
		// w + entry[0] is the run starting at w, one unit longer: the entry
		// was written right after w.
		dict = append(dict, span{w.off, w.n + 1})
		enlargeIn--
		w = span{start, len(out) - start}
		if enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}
		if numBits > 24 {
			return nil, errLZCorrupt
		}
	}
}

// lzBase64Values and lzURISafeValues give each byte's 6-bit value in
// lzBase64 and lzURISafe, or -1.
var lzBase64Values, lzURISafeValues = lzValues(lzBase64), lzValues(lzURISafe)

func lzValues(alphabet string) (rev [256]int8) {
	for i := range rev {
		rev[i] = -1
	}
	for i := 0; i < len(alphabet); i++ {
		rev[alphabet[i]] = int8(i)
	}
	if alphabet == lzURISafe {
		rev[' '] = rev['+'] // the URI variant tolerates '+' turned into space
	}
	return rev
}

func utf16ToUTF8(u []uint16) []byte {
	b := make([]byte, 0, len(u))
	for _, r := range utf16.Decode(u) {
		b = utf8.AppendRune(b, r)
	}
	return b
}
