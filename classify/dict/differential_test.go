package dict

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/phiproxy/phiproxy/internal/swar"
)

// matcherPair is one dictionary built twice: by Build and by the
// reference matcher of reference_test.go.
type matcherPair struct {
	name string
	fast *Matcher
	ref  *refMatcher
}

func buildPair(t testing.TB, name string, d *Dictionary) matcherPair {
	t.Helper()
	fast, err := d.Build()
	if err != nil {
		t.Fatalf("%s: Build: %v", name, err)
	}
	ref, err := refBuild(d)
	if err != nil {
		t.Fatalf("%s: refBuild: %v", name, err)
	}
	return matcherPair{name, fast, ref}
}

// shippedDict is the embedded lists plus the test list, as BenchmarkFind
// uses them.
func shippedDict(t testing.TB) *Dictionary {
	t.Helper()
	d, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/terms.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := d.AddTSV(f, "terms.tsv"); err != nil {
		t.Fatal(err)
	}
	return d
}

// pairs are the dictionaries the differential tests run: the shipped
// lists, the test list alone and the small overlap list with idioms.
func pairs(t testing.TB) []matcherPair {
	t.Helper()
	emb, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	ov := New()
	if err := ov.AddTSV(strings.NewReader(overlapList), "overlap.tsv"); err != nil {
		t.Fatal(err)
	}
	if err := ov.AddNotHealthList(strings.NewReader(notHealthList), "not_health.txt"); err != nil {
		t.Fatal(err)
	}
	return []matcherPair{
		buildPair(t, "shipped+test", shippedDict(t)),
		buildPair(t, "embedded", emb),
		buildPair(t, "test", testDict(t)),
		buildPair(t, "overlap", ov),
	}
}

// sameMatches fails t unless Find and FindNested of the two matchers agree
// on s exactly: the same Term (pointer), offsets, text and enclosure, in
// the same order.
func sameMatches(t *testing.T, p matcherPair, s string) {
	t.Helper()
	sameFold(t, s)
	for _, nested := range []bool{false, true} {
		var got []Match
		var want []Match
		if nested {
			got, want = p.fast.FindNested(s), p.ref.FindNested(s)
		} else {
			got, want = p.fast.Find(s), p.ref.Find(s)
		}
		if diff := diffMatches(got, want); diff != "" {
			if len(s) > 300 {
				s = s[:300] + "…"
			}
			t.Fatalf("%s nested=%v on %q: %s", p.name, nested, s, diff)
		}
	}
}

// sameFold fails t unless normalize folds s as the reference does: the
// same bytes, each mapped back to the same original offset.
func sameFold(t *testing.T, s string) {
	t.Helper()
	for _, camel := range []bool{false, true} {
		var got normText
		var want refNormText
		got.normalize(s, camel)
		want.normalize(s, camel)
		if string(got.b) != string(want.b) {
			t.Fatalf("normalize(%q, %v): got %q, want %q", short(s), camel, got.b, want.b)
		}
		// origin searches on from the offset it last mapped: in order,
		// and backwards (as enclosed matches go).
		for _, down := range []bool{false, true} {
			for k := range got.b {
				if down {
					k = len(got.b) - 1 - k
				}
				if g, w := got.origin(k), want.origin(k); g != w {
					t.Fatalf("normalize(%q, %v): folded byte %d (%q) from %d, want %d", short(s), camel, k, got.b[k], g, w)
				}
			}
		}
	}
}

func short(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

func diffMatches(got, want []Match) string {
	if (got == nil) != (want == nil) {
		return fmt.Sprintf("nil-ness differs: got %v, want %v", got == nil, want == nil)
	}
	if len(got) != len(want) {
		return fmt.Sprintf("got %d matches [%s], want %d [%s]", len(got), renderNested(got), len(want), renderNested(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Term != w.Term || g.Start != w.Start || g.End != w.End || g.Text != w.Text || g.Enclosed != w.Enclosed {
			return fmt.Sprintf("match %d: got %q [%d:%d] %s/%s enclosed=%v, want %q [%d:%d] %s/%s enclosed=%v",
				i, g.Text, g.Start, g.End, g.Term.Canonical, g.Term.Category, g.Enclosed,
				w.Text, w.Start, w.End, w.Term.Canonical, w.Term.Category, w.Enclosed)
		}
	}
	return ""
}

// corpusFlows returns the raw flow files of the evaluation sets: request
// lines, headers and bodies as the proxy sees them.
func corpusFlows(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, set := range []string{"eval", "devset", "holdout"} {
		files, err := filepath.Glob(filepath.Join("..", "..", "testdata", set, "flows", "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
	}
	if len(out) == 0 {
		t.Fatal("no flow files under testdata/*/flows")
	}
	return out
}

// termSpellings returns every name and alias of d, the raw material of
// generated text.
func termSpellings(d *Dictionary) []string {
	var out []string
	for _, t := range d.terms {
		out = append(out, t.Term)
		out = append(out, t.Aliases...)
	}
	out = append(out, d.notHealth...)
	return out
}

// oddPieces are the inputs that take the matcher off its fast paths:
// diacritics, case that changes length when folded, typographic
// apostrophes, CJK, emoji, escapes, invalid UTF-8 and control bytes.
var oddPieces = []string{
	"MÉNIÈRE'S", "ménière’s", "Crohn‘s", "Crohnʼs", "İstanbul", "ǅemal", "ΣΊΣΥΦΟΣ", "straße", "STRASSE",
	"Ⱥ", "ȺLPHA", "ſ", "K", "Å", "ﬃ", "抑郁症", "糖尿病", "うつ病", "😀", "👩‍⚕️", "\u200b", "\u00a0",
	"%20", "%2", "%", "%zz", "%C3%A9", "\xff", "\xfe\xff", "\xc3", "\xe2\x80", "\x00", "\x01", "\t", "\r\n",
	"'", "’", "-s-", "_s_", " s ", "-S", "''", "0", "42", "F32.9", "x", "aB", "HIVTest", "PrEP", "PREP",
}

// mangle rewrites a term the ways text carries one: case, slugs, snake
// case, camel joins, escapes, plurals, possessives.
func mangle(r *rand.Rand, s string) string {
	switch r.IntN(12) {
	case 0:
		s = strings.ToUpper(s)
	case 1:
		s = strings.ToLower(s)
	case 2:
		s = strings.ReplaceAll(s, " ", "-")
	case 3:
		s = strings.ReplaceAll(s, " ", "_")
	case 4:
		s = strings.ReplaceAll(s, " ", "%20")
	case 5:
		words := strings.Fields(s)
		for i, w := range words {
			if w != "" {
				rr, n := utf8.DecodeRuneInString(w)
				words[i] = strings.ToUpper(string(rr)) + w[n:]
			}
		}
		s = strings.Join(words, "")
	case 6:
		s += "s"
	case 7:
		s += "es"
	case 8:
		s += "'s"
	case 9:
		if len(s) > 2 {
			cut := r.IntN(len(s))
			s = s[:cut]
		}
	case 10:
		s = "x" + s
	}
	return s
}

// generatedText returns n pieces of text mixing terms, ordinary words,
// separators and odd pieces.
func generatedText(r *rand.Rand, spellings []string, n int) string {
	var b strings.Builder
	for range n {
		switch r.IntN(8) {
		case 0, 1, 2:
			b.WriteString(mangle(r, spellings[r.IntN(len(spellings))]))
		case 3, 4:
			b.WriteString(ordinaryWords[r.IntN(len(ordinaryWords))])
		case 5:
			b.WriteString(oddPieces[r.IntN(len(oddPieces))])
		case 6:
			// Random runes from across the planes, some invalid.
			for k := r.IntN(6); k >= 0; k-- {
				switch r.IntN(4) {
				case 0:
					b.WriteRune(rune(r.IntN(0x80)))
				case 1:
					b.WriteRune(rune(0x80 + r.IntN(0x800)))
				case 2:
					b.WriteRune(rune(r.IntN(0x10000)))
				default:
					b.WriteByte(byte(r.IntN(256)))
				}
			}
		}
		b.WriteString([]string{" ", " ", "-", "_", "/", ".", ", ", "", "%20", "\n", "\"", "'"}[r.IntN(12)])
	}
	return b.String()
}

// TestFindSameAsReference holds Find and FindNested to the reference
// matcher over the evaluation, development and holdout flows (whole and
// line by line) and over generated text with terms in every spelling,
// random Unicode, CJK, emoji and invalid UTF-8.
func TestFindSameAsReference(t *testing.T) {
	ps := pairs(t)
	flows := corpusFlows(t)
	spellings := termSpellings(shippedDict(t))
	r := rand.New(rand.NewPCG(7, 11))
	var inputs []string
	for _, f := range flows {
		inputs = append(inputs, f)
		inputs = append(inputs, strings.Split(f, "\n")...)
	}
	for range 3000 {
		inputs = append(inputs, generatedText(r, spellings, 1+r.IntN(40)))
	}
	for _, s := range spellings {
		inputs = append(inputs, s, mangle(r, s))
	}
	inputs = append(inputs, oddPieces...)
	inputs = append(inputs, ordinaryText(64<<10))
	for _, p := range ps {
		for _, s := range inputs {
			sameMatches(t, p, s)
		}
	}
	t.Logf("%d inputs, %d matchers", len(inputs), len(ps))
}

// FuzzFindSameAsReference holds Find and FindNested to the reference
// matcher on any input.
func FuzzFindSameAsReference(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 5))
	d := shippedDict(f)
	spellings := termSpellings(d)
	for _, s := range oddPieces {
		f.Add(s)
	}
	for range 50 {
		f.Add(generatedText(r, spellings, 1+r.IntN(10)))
	}
	p := buildPair(f, "shipped+test", d)
	f.Fuzz(func(t *testing.T, s string) {
		sameMatches(t, p, s)
	})
}

// TestAppendPlain holds the 8-bytes-at-a-time fold of plain words to a
// byte loop, on every byte value at every lane after runs of every
// length, alone or after separators, with room in the buffer and
// without.
func TestAppendPlain(t *testing.T) {
	naive := func(s string, j int) (string, []checkpoint, int) {
		var b []byte
		var cps []checkpoint
		for {
			for j < len(s) && lowerOrDigit[s[j]] {
				b = append(b, s[j])
				j++
			}
			p := j
			for p < len(s) && asciiClass[s[p]] == clsSep {
				p++
			}
			if p == j || p == len(s) || !lowerOrDigit[s[p]] && asciiClass[s[p]] != clsUpper ||
				p == j+1 && strings.ToLower(s[p:p+1]) == "s" && slugApostrophe(s, j) {
				return string(b), cps, j
			}
			b = append(b, ' ')
			if p > j+1 {
				cps = append(cps, checkpoint{int32(len(b)), int32(p)})
			}
			b = append(b, strings.ToLower(s[p:p+1])...)
			j = p + 1
		}
	}
	// A run of letters can end in a slug's apostrophe ("crohn-s-"), one
	// with digits cannot.
	for _, words := range []string{"a0z9a0z9a0z9a0z9a0z9", "crohnscrohnabcdefghi"} {
		for run := 1; run < 20; run++ {
			for c := 0; c < 256; c++ {
				for tail := 0; tail < 10; tail++ {
					for _, before := range []string{"", "-", " ", "/", "\",-", "'", "%", "A", "\xc3"} {
						s := words[:run] + before + string([]byte{byte(c)}) + strings.Repeat("m", tail) + "-x s"
						want, wantCps, wantEnd := naive(s, 0)
						for _, room := range []int{0, 7, 64} {
							b := append(make([]byte, 0, 3+room), "xy "...)
							cps := []checkpoint{{0, 0}}
							got, gotCps, end := appendPlain(b, cps, s, 0)
							for k := range wantCps {
								wantCps[k].out += 3
							}
							if end != wantEnd || string(got) != "xy "+want || fmt.Sprint(gotCps[1:]) != fmt.Sprint(wantCps) {
								t.Fatalf("appendPlain(%q, 0) with room %d: got %q, %v, %d, want %q, %v, %d", s, room, got, gotCps[1:], end, "xy "+want, wantCps, wantEnd)
							}
							for k := range wantCps {
								wantCps[k].out -= 3
							}
						}
					}
				}
			}
		}
	}
}

// TestWordEnd holds the 8-bytes-at-a-time boundary scan to the byte loop
// on every byte value at every lane, and stops at to.
func TestWordEnd(t *testing.T) {
	naive := func(b []byte, i, to int) int {
		for i < to && b[i] > ' ' {
			i++
		}
		return i
	}
	for run := 0; run < 20; run++ {
		for c := 0; c < 256; c++ {
			for tail := 0; tail < 10; tail++ {
				b := []byte(strings.Repeat("a\xe9~!", 5)[:run] + string([]byte{byte(c)}) + strings.Repeat("m", tail))
				for _, to := range []int{len(b), len(b) / 2} {
					if got, want := wordEnd(b, 0, to), naive(b, 0, to); got != want {
						t.Fatalf("wordEnd(%q, 0, %d): got %d, want %d", b, to, got, want)
					}
				}
			}
		}
	}
}

// TestFoldRuneTable holds the folding table to the Unicode tables for
// every rune of the Basic Multilingual Plane and a sample above it.
func TestFoldRuneTable(t *testing.T) {
	for r := rune(0); r < 0x10000+2000; r++ {
		if got, want := foldRune(r), computeFold(r); got != want {
			t.Fatalf("foldRune(%U): got %+v, want %+v", r, got, want)
		}
	}
}

// TestMayStartCamel holds the one-load reading of a camel break to the
// byte loop of mayStart: on every key of the shipped lists (so that the
// filters pass as often as they fail) with a break in every place, one
// or two of them, followed by a space, a letter or the end of text.
func TestMayStartCamel(t *testing.T) {
	m, err := shippedDict(t).Build()
	if err != nil {
		t.Fatal(err)
	}
	tested := 0
	for _, term := range termSpellings(shippedDict(t)) {
		k := normalizeKey(term)
		for at := 1; at < len(k) && at < 9; at++ {
			for _, second := range []int{0, at + 1, at + 2} {
				if second > len(k) {
					continue
				}
				var withBreaks string
				if second == 0 {
					withBreaks = k[:at] + "\x01" + k[at:]
				} else {
					withBreaks = k[:at] + "\x01" + k[at:second] + "\x01" + k[second:]
				}
				for _, after := range []string{"", " ", "s", "es x", "x", "\x01y"} {
					b := append(make([]byte, 0, len(withBreaks)+len(after)+8), withBreaks+after...)
					// Spare capacity with bytes that must not be read as text.
					copy(b[len(b):cap(b)], "zzzzzzzz")
					x := binary.LittleEndian.Uint64(b[:8])
					if r := len(b); r < 8 {
						keep := uint64(1)<<(8*r) - 1
						x = x&keep | ' '*swar.Ones&^keep
					}
					sp := (x - 0x21*swar.Ones) &^ x & swar.Highs
					low := (x - ' '*swar.Ones) &^ x & swar.Highs
					if low == 0 || sp&-sp != low&-low {
						continue
					}
					tested++
					if got, want := m.mayStartCamel(b, 0, x, low), m.mayStart(b, 0); got != want {
						t.Fatalf("mayStartCamel(%q): got %v, want %v", b, got, want)
					}
				}
			}
		}
	}
	if tested < 1000 {
		t.Fatalf("only %d windows with a camel break tested", tested)
	}
}
