package classify

import (
	"math/bits"
	"slices"
	"strings"

	"github.com/phiproxy/phiproxy"
)

// Tokens, hashes, IDs and encoded blobs that did not decode to text are
// letters and digits without words: random base64 holds "ADHD", "Ed" or
// "cold" by chance between its '+' and '/'. Such tokens are found here and
// left out of the word search; everything around them is searched as
// usual.

// minOpaque is the shortest stretch of letters and digits judged: below
// it random and real words cannot be told apart, and a short token seldom
// spells a term by chance anyway.
const minOpaque = 16

// opaqueSwitchRate is the share of adjacent letters and digits within a
// word at which a token reads as random: a lower-case letter followed by a
// capital, or a letter next to a digit. Random base64 switches at about
// 0.42, random hex at 0.47, camelCase words ("haveTroubleSleeping") at
// under 0.2 and slugs at 0.
const opaqueSwitchRate = 0.25

// wordySwitchRate is the rate below which a segment reads as words (a
// slug, a path segment), kept even inside a run that is otherwise opaque.
const wordySwitchRate = 0.1

// isTokenByte reports whether c may be part of a token: the base64,
// base64url, hex and UUID alphabets. The base64 pad '=' only ends a token
// (see opaqueSpans): inside text it separates a key from its value.
func isTokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '+' || c == '/' || c == '-' || c == '_'
}

// segment is the statistics of a '/'-separated part of a token run.
type segment struct {
	start, end int
	alnum      int       // letters and digits
	pairs      int       // adjacent letter/digit pairs not split by a separator
	switches   int       // of which switch class (see opaqueSwitchRate)
	hex        bool      // only hex digits and '-', with a digit and a letter
	plus       bool      // holds a '+': base64's alphabet, not a slug's separator
	seen       [2]uint64 // distinct letters and digits, by bit
}

func (s *segment) rate() float64 {
	if s.pairs == 0 {
		return 0
	}
	return float64(s.switches) / float64(s.pairs)
}

// distinctRatio is the share of distinct characters: random tokens
// rarely repeat one, words do ("DepressionTreatment": 12 of 19).
func (s *segment) distinctRatio() float64 {
	if s.alnum == 0 {
		return 0
	}
	n := bits.OnesCount64(s.seen[0]) + bits.OnesCount64(s.seen[1])
	return float64(n) / float64(s.alnum)
}

// opaque reports whether the segment alone reads as a random token.
func (s *segment) opaque() bool {
	if s.alnum < minOpaque {
		return false
	}
	r := s.rate()
	return s.hex || r >= opaqueSwitchRate || r >= 0.12 && s.distinctRatio() >= 0.7
}

// borderline reports whether the segment may be random: judged opaque
// when the text around it is mostly opaque tokens (a list of IDs, a blob).
func (s *segment) borderline() bool {
	return s.alnum >= 12 && s.rate() >= wordySwitchRate
}

// wordy reports whether the segment reads as words (a slug, a path
// segment), kept even inside a run that is otherwise opaque. Slugs join
// words with '-' or '_'; a '+' between letters inside an opaque run is
// standard base64, where a short all-lower-case stretch ("/ibs+qrt/")
// turns up by chance every few megabytes.
func (s *segment) wordy() bool {
	return !s.plus && s.alnum >= 5 && s.rate() < wordySwitchRate
}

// byte classes for switch counting
const (
	tcSep = iota
	tcLower
	tcUpper
	tcDigit
)

func tokenClass(c byte) int {
	switch {
	case c >= 'a' && c <= 'z':
		return tcLower
	case c >= 'A' && c <= 'Z':
		return tcUpper
	case c >= '0' && c <= '9':
		return tcDigit
	}
	return tcSep
}

// switched reports whether going from class a to class b is a switch:
// lower to upper (a camel join, or noise), or letter to digit and back.
// Upper to lower is how a capitalised word starts and does not count.
func switched(a, b int) bool {
	switch {
	case a == tcLower && b == tcUpper:
		return true
	case a == tcDigit:
		return b == tcLower || b == tcUpper
	case b == tcDigit:
		return a == tcLower || a == tcUpper
	}
	return false
}

// opaqueSpans returns the byte spans of s that are opaque tokens, in
// order and not overlapping. A run of token bytes is split at '/' into
// segments; a segment of at least minOpaque letters and digits is opaque
// when it is hex (UUIDs and digests included) or switches class often.
// In a run with an opaque segment, the other segments are opaque too
// unless they read as words (a path around an ID: "/u/<uuid>/symptoms"
// keeps "symptoms").
//
// Spans are appended to dst, which callers may back with an array on
// their stack: most fields have none or one.
func opaqueSpans(s string, dst [][2]int) [][2]int {
	if len(s) < minOpaque {
		return dst
	}
	var buf [8]segment // most texts have few long runs
	segs := buf[:0]
	tokenBytes, opaqueBytes := 0, 0
	for i := 0; i < len(s); {
		if !isTokenByte(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isTokenByte(s[j]) {
			j++
		}
		for j < len(s) && s[j] == '=' && (j+1 == len(s) || !isTokenByte(s[j+1])) {
			j++ // padding
		}
		if j-i >= minOpaque {
			from := len(segs)
			segs = runSegments(s, i, j, segs)
			tokenBytes += j - i
			for k := from; k < len(segs); k++ {
				if segs[k].opaque() {
					opaqueBytes += segs[k].end - segs[k].start
				}
			}
		} else {
			tokenBytes += j - i
		}
		i = j
	}
	if opaqueBytes == 0 {
		return dst
	}
	// In text that is mostly tokens, a borderline one is a token too.
	dominated := opaqueBytes*2 >= tokenBytes
	spans := dst
	for k := 0; k < len(segs); {
		// One run's segments are contiguous ('/' between them).
		r := k + 1
		for r < len(segs) && segs[r].start == segs[r-1].end+1 {
			r++
		}
		spans = appendOpaque(spans, segs[k:r], dominated)
		k = r
	}
	return spans
}

// runSegments splits the token run s[from:to] at '/' and measures each part.
func runSegments(s string, from, to int, segs []segment) []segment {
	seg := segment{start: from, hex: true}
	hasDigit, hasLetter := false, false
	prev, prev2 := tcSep, tcSep
	finish := func(end int) {
		seg.end = end
		seg.hex = seg.hex && hasDigit && hasLetter
		segs = append(segs, seg)
	}
	for k := from; k < to; k++ {
		c := s[k]
		if c == '/' {
			finish(k)
			seg = segment{start: k + 1, hex: true}
			hasDigit, hasLetter, prev, prev2 = false, false, tcSep, tcSep
			continue
		}
		cl := tokenClass(c)
		if cl == tcSep {
			prev, prev2 = tcSep, tcSep
			if c != '-' && c != '=' {
				seg.hex = false
			}
			seg.plus = seg.plus || c == '+'
			continue
		}
		seg.alnum++
		switch cl {
		case tcDigit:
			hasDigit = true
		default:
			hasLetter = true
			if !isHex(c) {
				seg.hex = false
			}
		}
		if c < 128 {
			seg.seen[c>>6] |= 1 << (c & 63)
		}
		if prev != tcSep {
			seg.pairs++
			// After two capitals a lower-case letter is a switch too:
			// "UTIDe" in a token, where a word would be "HIVTest".
			if switched(prev, cl) || prev == tcUpper && cl == tcLower && prev2 == tcUpper {
				seg.switches++
			}
		}
		prev2, prev = prev, cl
	}
	finish(to)
	return segs
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// appendOpaque appends the opaque segments of one run, merging
// neighbours: those opaque on their own, those borderline when the text
// is dominated by tokens, and, in a run with any of these, every other
// segment that does not read as words.
func appendOpaque(spans [][2]int, segs []segment, dominated bool) [][2]int {
	isOpaque := func(sg *segment) bool { return sg.opaque() || dominated && sg.borderline() }
	found := false
	for i := range segs {
		if isOpaque(&segs[i]) {
			found = true
			break
		}
	}
	if !found {
		return spans
	}
	for i := range segs {
		sg := &segs[i]
		if !isOpaque(sg) && (sg.wordy() || sg.alnum == 0) {
			continue
		}
		if n := len(spans); n > 0 && spans[n-1][1] >= sg.start-1 {
			spans[n-1][1] = sg.end
			continue
		}
		spans = append(spans, [2]int{sg.start, sg.end})
	}
	return spans
}

// splitFromOpaque reports whether fields[i] holds the words the decoder
// split a URL path segment into (chain step "words") and they are noise:
// the segment, rejoined, is an opaque token ("Ms ED Vr Ng93u" from a
// base64 segment), or the whole value read as the URL is one. A base64
// token starts with '/' one time in 64 and is then read as a path, whose
// short segments ("wgMsDv", read "wg Ms Dv", a name) are too short to
// judge alone.
func splitFromOpaque(fields []phiproxy.Field, i int) bool {
	f := &fields[i]
	n := len(f.Chain)
	if n == 0 || f.Chain[n-1] != "words" {
		return false
	}
	if wholeOpaque(strings.ReplaceAll(f.Value, " ", ""), 0) {
		return true
	}
	if n < 4 || f.Chain[n-3] != "url" {
		return false
	}
	// Only a relative path can be a token: a URL with a scheme and host
	// is not one, and scanning it for tokens would be wasted.
	v, ok := valueAt(fields, i, f.Chain[:n-3])
	return ok && strings.HasPrefix(v, "/") && wholeOpaque(v, 1)
}

// wholeOpaque reports whether s is one opaque token from its byte at
// from (a path's leading '/' is not part of the token) to its end.
func wholeOpaque(s string, from int) bool {
	var buf [2][2]int
	spans := opaqueSpans(s, buf[:0])
	return len(spans) == 1 && spans[0][0] <= from && spans[0][1] == len(s)
}

// valueAt finds the value of the field before fields[i] whose chain is
// chain: the value a later field was decoded from, which the decoder
// emits before its parts. It looks back a bounded way: a value's parts
// follow it closely.
func valueAt(fields []phiproxy.Field, i int, chain []string) (string, bool) {
	for j := i - 1; j >= 0 && j >= i-maxPartsBack; j-- {
		if slices.Equal(fields[j].Chain, chain) {
			return fields[j].Value, true
		}
	}
	return "", false
}

// maxPartsBack bounds valueAt's look back: a path of 64 segments,
// each a text and its words.
const maxPartsBack = 128
