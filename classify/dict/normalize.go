package dict

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/phiproxy/phiproxy/internal/swar"
)

// softBreak marks a camelCase or PascalCase join in folded text
// ("DepressionTreatment" → "depression\x01treatment"). It is a word
// boundary, and inside a term it may stand for the term's space or for
// nothing, so that both "DepressionTreatment" → "depression treatment" and
// "PrEP" → "prep" match.
const softBreak = 0x01

// normText is text folded for matching: lower case; every run of
// separators (anything but letters and digits, and "%XX" escapes) one
// space; apostrophes dropped ("Crohn's" → "crohns"); camel joins marked
// with softBreak.
//
// Offsets back into the original are kept as checkpoints rather than one
// per byte: from checkpoint c on, folded byte k came from original byte
// c.in + (k - c.out). A checkpoint is added only where that stops holding
// (a collapsed separator run, a dropped apostrophe, an escape, a camel
// break, a rune whose lower case has another length), so folding ordinary
// text writes little besides the folded bytes.
type normText struct {
	b   []byte
	cps []checkpoint
	// at is the checkpoint of the last offset mapped back: matches come
	// in order, so the next one is searched for from there.
	at int
	// raw is the scan's buffer of matches, kept with the fold.
	raw []rawMatch
}

type checkpoint struct{ out, in int32 }

// origin returns the original offset of folded byte k. It searches
// forward from the checkpoint of the offset it last mapped, doubling its
// steps, so that mapping the matches of a long text in order costs about
// as much as one pass over its checkpoints rather than a binary search
// each (chat text has many matches and many checkpoints).
func (n *normText) origin(k int) int {
	cps := n.cps
	lo, hi := 0, len(cps)-1
	if at := n.at; at < len(cps) && int(cps[at].out) <= k {
		step := 1
		for at+step < len(cps) && int(cps[at+step].out) <= k {
			at += step
			step *= 2
		}
		lo, hi = at, min(at+step, len(cps))-1
	}
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if int(cps[mid].out) <= k {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	n.at = lo
	c := cps[lo]
	return int(c.in) + k - int(c.out)
}

// Byte classes of ASCII input.
const (
	clsSep = iota
	clsLower
	clsUpper
	clsDigit
	clsApostrophe
	clsPercent
	clsHigh
)

var asciiClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 'a' && c <= 'z':
			t[c] = clsLower
		case c >= 'A' && c <= 'Z':
			t[c] = clsUpper
		case c >= '0' && c <= '9':
			t[c] = clsDigit
		case c == '\'':
			t[c] = clsApostrophe
		case c == '%':
			t[c] = clsPercent
		case c >= utf8.RuneSelf:
			t[c] = clsHigh
		default:
			t[c] = clsSep
		}
	}
	return t
}()

// lowerOrDigit marks the bytes that fold to themselves and continue a
// word: the inner loop of normalize tests only this.
var lowerOrDigit = func() (t [256]bool) {
	for c := range t {
		t[c] = asciiClass[c] == clsLower || asciiClass[c] == clsDigit
	}
	return t
}()

// appendPlain appends the fold of the plain words of s from i (which
// holds a lower-case letter or digit), as the general loop would write
// it: runs of lower-case letters and digits, parted by runs of
// separators that fold to one space (with a checkpoint after a run of
// more than one), each word after a separator allowed a capital first
// letter. It stops at anything else (a capital inside a word, an
// apostrophe, '%', a non-ASCII byte, the end of s), before the
// separators that precede it, and before a separator that stands for a
// slug's apostrophe; it returns where, always just after a letter or
// digit. One call per stretch of words, not per word: a call spills the
// folding loop's registers.
//
// Runs are tested and copied 8 bytes at a time while b has room (bytes
// past the run are written, then cut off).
func appendPlain(b []byte, cps []checkpoint, s string, i int) ([]byte, []checkpoint, int) {
	j := i
	for {
		for j+8 <= len(s) && len(b)+8 <= cap(b) {
			// One bounds check for the 8 bytes, so that the compiler
			// reads them in one load.
			w := s[j : j+8]
			x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
			n := len(b)
			binary.LittleEndian.PutUint64(b[n:n+8], x)
			if bad := notLowerRun(x); bad != 0 {
				k := bits.TrailingZeros64(bad) / 8
				b, j = b[:n+k], j+k
				goto sep
			}
			b = b[:n+8]
			j += 8
		}
		for j < len(s) && lowerOrDigit[s[j]] {
			b = append(b, s[j])
			j++
		}
	sep:
		if j >= len(s) || asciiClass[s[j]] != clsSep {
			return b, cps, j
		}
		p := j + 1
		for p < len(s) && asciiClass[s[p]] == clsSep {
			p++
		}
		if p == len(s) {
			return b, cps, j
		}
		c := s[p]
		if cls := asciiClass[c]; cls != clsLower && cls != clsDigit && cls != clsUpper {
			return b, cps, j
		}
		// Only a lone separator can be an apostrophe: after a run of
		// them no letters precede the last.
		if p == j+1 && c|0x20 == 's' && slugApostrophe(s, j) {
			return b, cps, j
		}
		// c|0x20 lowers a capital and keeps a lower-case letter or digit.
		b = append(b, ' ', c|0x20)
		if p > j+1 {
			cps = append(cps, checkpoint{int32(len(b) - 1), int32(p)})
		}
		j = p + 1
	}
}

// notLowerRun flags (0x80 in its lane) each byte of x that is not an
// ASCII lower-case letter or digit. With every byte below 0x80 no sum
// carries into the next lane; a byte at or above 0x80 is flagged itself
// and can only spoil the lanes after it, so the lowest flag is exact.
func notLowerRun(x uint64) uint64 {
	lower := (x + (0x80-'a')*swar.Ones) &^ (x + (0x7f-'z')*swar.Ones)
	digit := (x + (0x80-'0')*swar.Ones) &^ (x + (0x7f-'9')*swar.Ones)
	return (^(lower | digit) | x) & swar.Highs
}

func isHex(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
}

// runeFold is what folding needs of a rune: its class (clsUpper,
// clsDigit, clsLower for any other letter, clsSep for neither letter nor
// digit) and its lower case.
type runeFold struct {
	lower rune
	cls   uint8
}

// foldBMP holds, for every rune of the Basic Multilingual Plane, its
// class (bits 0-1: clsSep, clsLower, clsUpper, clsDigit) and whether its
// lower case differs (bit 2): Unicode table lookups would otherwise
// dominate folding non-English text. 64 KiB, built once.
var foldBMP = func() (t [0x10000]uint8) {
	for r := range t {
		f := computeFold(rune(r))
		t[r] = f.cls
		if f.lower != rune(r) {
			t[r] |= foldLowerDiffers
		}
	}
	return t
}()

const foldLowerDiffers = 4

func foldRune(r rune) runeFold {
	if uint32(r) < uint32(len(foldBMP)) {
		c := foldBMP[r]
		f := runeFold{lower: r, cls: c &^ foldLowerDiffers}
		if c&foldLowerDiffers != 0 {
			f.lower = unicode.ToLower(r)
		}
		return f
	}
	return computeFold(r)
}

func computeFold(r rune) runeFold {
	if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
		return runeFold{lower: r, cls: clsSep}
	}
	f := runeFold{lower: unicode.ToLower(r), cls: clsLower}
	switch {
	case unicode.IsUpper(r):
		f.cls = clsUpper
	case unicode.IsDigit(r):
		f.cls = clsDigit
	}
	return f
}

// lowerAt reports whether s has a lower-case letter at byte i (the start
// of a word after an acronym: "HIVTest").
func lowerAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	c := s[i]
	if c < utf8.RuneSelf {
		return c >= 'a' && c <= 'z'
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLower(r)
}

// normalize folds s into n. Fields are size-capped upstream; offsets are
// int32.
func (n *normText) normalize(s string, camel bool) {
	if need := len(s) + len(s)/8 + 16; cap(n.b) < need {
		n.b = make([]byte, 0, need)
	}
	b := n.b[:0]
	cps := append(n.cps[:0], checkpoint{0, 0})
	// next is the original offset that the next folded byte has if no
	// checkpoint is written.
	next := 0
	mark := func(in int) {
		if in != next {
			cps = append(cps, checkpoint{int32(len(b)), int32(in)})
		}
	}
	// sep: the output ends in a separator (or is empty). prev: class of
	// the previous letter or digit, or clsSep.
	sep := true
	prev := uint8(clsSep)
	// separate writes one space for the separator at in, unless the
	// output already ends in one.
	separate := func(in int) {
		if !sep {
			mark(in)
			b = append(b, ' ')
			next = in + 1
			sep = true
		}
		prev = clsSep
	}
	// breakCamel writes a soft break before the capital at in (the next
	// character at after) when it starts a new word of camelCase
	// ("renalFailure", "HIVTest").
	breakCamel := func(in, after int) {
		if camel && !sep && (prev == clsLower || prev == clsUpper && lowerAt(s, after)) {
			mark(in)
			b = append(b, softBreak)
			cps = append(cps, checkpoint{int32(len(b)), int32(in)})
			next = in
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch asciiClass[c] {
		case clsLower, clsDigit:
			// Copy the whole run of lower-case letters and digits at once.
			mark(i)
			var j int
			b, cps, j = appendPlain(b, cps, s, i)
			next = j
			sep = false
			prev = asciiClass[s[j-1]]
			i = j
		case clsUpper:
			breakCamel(i, i+1)
			mark(i)
			b = append(b, c+('a'-'A'))
			next = i + 1
			sep = false
			prev = clsUpper
			i++
		case clsApostrophe:
			// Dropped, so that "Crohn's", "Crohns" and "Crohn’s" agree.
			i++
		case clsPercent:
			at := i
			if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				i += 3
			} else {
				i++
			}
			separate(at)
		case clsSep:
			// The cheap test first: most separators are not followed by "s".
			if i+1 < len(s) && s[i+1]|0x20 == 's' && slugApostrophe(s, i) {
				// Dropped like the apostrophe it stands for.
				i++
				break
			}
			separate(i)
			i++
			// The rest of the run adds nothing: the output ends in a
			// space, and a separator after a separator is no slug's
			// apostrophe. Skipped here rather than one byte per turn of
			// the switch (`","`, `":"`, "://").
			for i < len(s) && asciiClass[s[i]] == clsSep {
				i++
			}
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			f := foldRune(r)
			switch {
			case r == '\u2019' || r == '\u2018' || r == '\u02bc':
				// Typographic apostrophes, dropped like '.
			case r != utf8.RuneError && f.cls != clsSep:
				up := f.cls == clsUpper
				if up {
					breakCamel(i, i+size)
				}
				mark(i)
				before := len(b)
				b = utf8.AppendRune(b, f.lower)
				if w := len(b) - before; w != size {
					// Every byte of a resized rune maps to its start.
					for k := before + 1; k < len(b); k++ {
						cps = append(cps, checkpoint{int32(k), int32(i)})
					}
					cps = append(cps, checkpoint{int32(len(b)), int32(i + size)})
				}
				next = i + size
				sep = false
				prev = f.cls
			default:
				separate(i)
			}
			i += size
		}
	}
	n.b, n.cps, n.at = b, cps, 0
}

// slugApostrophe reports whether the separator at i stands for a
// possessive apostrophe: URL slugs write "Crohn's disease" as
// "crohn-s-disease", and splitting a slug into words or losing the
// apostrophe leaves "crohn s disease". It takes a hyphen, underscore or
// space after a word of three letters or more ("U S" stays two words),
// followed by a lone "s".
func slugApostrophe(s string, i int) bool {
	if c := s[i]; c != '-' && c != '_' && c != ' ' || i+1 >= len(s) || s[i+1]|0x20 != 's' {
		return false
	}
	if i+2 < len(s) && asciiClass[s[i+2]] != clsSep && asciiClass[s[i+2]] != clsPercent {
		return false
	}
	letters := 0
	for j := i - 1; j >= 0 && (asciiClass[s[j]] == clsLower || asciiClass[s[j]] == clsUpper); j-- {
		letters++
	}
	return letters >= 3
}

// normalizeKey folds a dictionary term the way text is folded, without
// camel marks (a term's own capitals, "PrEP", are not word joins), and
// trims the surrounding space.
func normalizeKey(term string) string {
	var n normText
	n.normalize(term, false)
	return strings.TrimSpace(string(n.b))
}
