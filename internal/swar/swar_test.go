package swar

import "testing"

// TestIn holds In to a byte-by-byte range test: every byte value in every
// lane, beside neighbours that would carry or borrow into it, for ranges
// at the edges of ASCII.
func TestIn(t *testing.T) {
	ranges := [][2]byte{{0, 0x1f}, {0x7f, 0x7f}, {'A', 'Z'}, {'0', '9'}, {'a', 'z'}, {0, 0}, {0, 0x7f}, {' ', ' '}}
	fills := []byte{0x00, 0x1f, 0x20, 'A', 0x7f, 0x80, 0xff}
	for _, r := range ranges {
		for _, fill := range fills {
			for lane := range 8 {
				for b := range 256 {
					var w [8]byte
					for i := range w {
						w[i] = fill
					}
					w[lane] = byte(b)
					s := string(w[:])
					got := In(Word(s, 0), r[0], r[1])
					var want uint64
					for i, c := range w {
						if c >= r[0] && c <= r[1] {
							want |= 0x80 << (8 * i)
						}
					}
					if got != want {
						t.Fatalf("In(%q, %#x, %#x) = %#016x, want %#016x", s, r[0], r[1], got, want)
					}
				}
			}
		}
	}
}
