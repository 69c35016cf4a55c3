// Package swar tests eight bytes of a string at once, in a uint64 (SIMD
// within a register): for scans that run over whole URLs and values on
// the inspection's hot path.
package swar

import "encoding/binary"

// Ones has 1 in every byte; Highs the high bit of every byte.
const (
	Ones  = 0x0101010101010101
	Highs = 0x8080808080808080
)

// Word returns the eight bytes of s from i, the first in the low byte.
// s must hold them.
func Word(s string, i int) uint64 {
	return binary.LittleEndian.Uint64([]byte(s[i : i+8]))
}

// In sets the high bit (0x80) of each byte of x in [lo, hi], and no other
// bit, for 0 <= lo <= hi <= 0x7f. Each byte is tested on its low seven
// bits, where neither the sum nor the difference below can carry or
// borrow into its neighbour; a byte with its high bit set is never in
// range.
func In(x uint64, lo, hi byte) uint64 {
	low7 := x &^ Highs
	atLeastLo := low7 + (0x80-uint64(lo))*Ones // high bit: low7 >= lo
	atMostHi := (0x80+uint64(hi))*Ones - low7  // high bit: low7 <= hi
	return atLeastLo & atMostHi &^ x & Highs
}
