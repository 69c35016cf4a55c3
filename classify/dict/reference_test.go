package dict

// The matcher as it was before its speed work (start filters, 8-byte
// folding, compact trie nodes), kept verbatim, builder included (names
// prefixed "ref"), as the reference that the differential tests hold the
// fast matcher to: same terms, offsets and order on every input. That the
// two builders still share much of their code is deliberate: the
// reference must not change with the matcher.

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/phiproxy/phiproxy"
)

// refMatcher finds dictionary terms in text. It is immutable and safe for
// concurrent use. The zero value matches nothing; get one from Build.
//
// Terms are kept in a trie over their folded bytes, compressed into flat
// arrays: the children of a node are contiguous and scanned, and nodes with
// many children also get a dense row indexed by byte class.
// Because a match must start on a word boundary, the trie is walked only
// from word starts, never from inside a word: this is an Aho-Corasick
// automaton restricted to word-anchored matches, which needs no failure
// links and yields leftmost-longest matches directly.
type refMatcher struct {
	root      [256]int32 // child of the root for each first byte; 0 = none
	edgeStart []int32    // children of node n: labels[edgeStart[n]:edgeStart[n+1]]
	labels    []byte
	next      []int32
	value     []int32 // term index at a node, -1 if none
	// Nodes with many children also get a dense row, indexed by the
	// byte's class (bytes that occur in some key, numbered from 1).
	byteCls  [256]uint8
	nCls     int
	denseRow []int32 // per node: row number, or -1
	dense    []int32 // rows of nCls children
	terms    []*Term
	codes    map[string]*Term // ICD-10-CM code (upper case, no dot) → condition
	// notHealth is the value of trie nodes that end a not-health phrase
	// (len(terms)): such a match consumes its text and reports nothing.
	notHealth int32
}

// refCandidate is a term a key may stand for, ranked when keys collide.
type refCandidate struct {
	term  int32
	alias bool
}

// refBetter reports whether a should win key k over b: the term's own name
// beats an alias; an unambiguous term beats an ambiguous one; a high
// sensitivity beats a standard one; otherwise the first added wins.
func refBetter(terms []*Term, a, b refCandidate) bool {
	ta, tb := terms[a.term], terms[b.term]
	if a.alias != b.alias {
		return !a.alias
	}
	if ta.Ambiguous != tb.Ambiguous {
		return !ta.Ambiguous
	}
	if ta.Sensitivity != tb.Sensitivity {
		return ta.Sensitivity == SensitivityHigh
	}
	return a.term < b.term
}

// refPluralIes returns "therapies" for "therapy" (consonant + y), else "".
func refPluralIes(key string) string {
	n := len(key)
	if n < 3 || key[n-1] != 'y' {
		return ""
	}
	switch key[n-2] {
	case 'a', 'e', 'i', 'o', 'u', ' ':
		return ""
	}
	if key[n-2] < 'a' || key[n-2] > 'z' {
		return ""
	}
	return key[:n-1] + "ies"
}

// Build compiles the dictionary into a refMatcher. The refMatcher keeps the
// dictionary's Terms; later additions to d do not change it. Every term
// name and alias is matched; "-y" terms also match their "-ies" plural;
// symptoms also match their everyday variants ("cannot sleep" for "can't
// sleep", "I feel so hopeless" for "feeling hopeless"; see
// symptomVariants).
// Not-health phrases are matched like terms and swallow what they enclose.
func refBuild(d *Dictionary) (*refMatcher, error) {
	if len(d.terms) >= math.MaxInt32-1 {
		return nil, fmt.Errorf("build matcher: %d terms is too many", len(d.terms))
	}
	m := &refMatcher{terms: append([]*Term(nil), d.terms...), codes: make(map[string]*Term)}
	m.notHealth = int32(len(m.terms))
	keys := make(map[string]refCandidate, len(m.terms)*2)
	put := func(key string, c refCandidate) {
		if key == "" {
			return
		}
		if old, ok := keys[key]; ok && !refBetter(m.terms, c, old) {
			return
		}
		keys[key] = c
	}
	var symptomCodes []*Term
	for i, t := range m.terms {
		k := refNormalizeKey(t.Term)
		put(k, refCandidate{int32(i), false})
		put(refPluralIes(k), refCandidate{int32(i), true})
		for _, a := range t.Aliases {
			ak := refNormalizeKey(a)
			put(ak, refCandidate{int32(i), true})
			put(refPluralIes(ak), refCandidate{int32(i), true})
		}
		switch t.Kind {
		case phiproxy.KindSymptom:
			for _, name := range append([]string{t.Term}, t.Aliases...) {
				for _, v := range symptomVariants(refNormalizeKey(name)) {
					put(v, refCandidate{int32(i), true})
				}
			}
			symptomCodes = append(symptomCodes, t)
		case phiproxy.KindCondition:
			m.addCodes(t)
		}
	}
	// A code names a condition first; a symptom answers only the codes no
	// condition carries (R45.2 "unhappiness", not R07.9 "chest pain").
	for _, t := range symptomCodes {
		for _, c := range t.Codes {
			if !validICDCode(c) {
				continue
			}
			if _, ok := m.codes[codeKey(c)]; !ok {
				m.codes[codeKey(c)] = t
			}
		}
	}
	for _, k := range d.notHealth {
		if _, ok := keys[k]; !ok {
			keys[k] = refCandidate{term: m.notHealth}
		}
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	if err := m.buildTrie(sorted, keys); err != nil {
		return nil, fmt.Errorf("build matcher: %w", err)
	}
	return m, nil
}

// addCodes makes the condition t answer its ICD-10-CM codes, unless
// another condition is preferred for one (refPreferForCode).
func (m *refMatcher) addCodes(t *Term) {
	for _, c := range t.Codes {
		if !validICDCode(c) {
			continue
		}
		ck := codeKey(c)
		if old, ok := m.codes[ck]; !ok || refPreferForCode(t, old) {
			m.codes[ck] = t
		}
	}
}

// refPreferForCode reports whether t should answer a code lookup instead of
// old: the preferred name of a condition (its term is its canonical) beats
// a synonym; otherwise the first wins.
func refPreferForCode(t, old *Term) bool {
	tp := strings.EqualFold(t.Term, t.Canonical)
	op := strings.EqualFold(old.Term, old.Canonical)
	return tp && !op
}

// refSpan is a run of sorted keys sharing their first depth bytes, all below
// one trie node.
type refSpan struct {
	node, lo, hi, depth int
}

// buildTrie lays the trie out breadth first, so that the children of each
// node are contiguous and edgeStart is monotonic.
func (m *refMatcher) buildTrie(sorted []string, keys map[string]refCandidate) error {
	m.value = append(m.value, -1) // node 0: the root
	m.edgeStart = append(m.edgeStart, 0)
	queue := []refSpan{{0, 0, len(sorted), 0}}
	for qi := 0; qi < len(queue); qi++ {
		sp := queue[qi]
		if sp.node != qi {
			return fmt.Errorf("trie layout out of order at node %d", sp.node)
		}
		lo := sp.lo
		// Sorted order puts a key equal to the prefix first.
		if lo < sp.hi && len(sorted[lo]) == sp.depth {
			m.value[sp.node] = keys[sorted[lo]].term
			lo++
		}
		m.edgeStart[sp.node] = int32(len(m.labels))
		for lo < sp.hi {
			c := sorted[lo][sp.depth]
			hi := lo + 1
			for hi < sp.hi && sorted[hi][sp.depth] == c {
				hi++
			}
			child := len(m.value)
			if child >= math.MaxInt32 {
				return fmt.Errorf("more than %d trie nodes", math.MaxInt32)
			}
			m.value = append(m.value, -1)
			m.edgeStart = append(m.edgeStart, 0)
			m.labels = append(m.labels, c)
			m.next = append(m.next, int32(child))
			if sp.node == 0 {
				m.root[c] = int32(child)
			}
			queue = append(queue, refSpan{child, lo, hi, sp.depth + 1})
			lo = hi
		}
	}
	m.edgeStart = append(m.edgeStart, int32(len(m.labels)))
	m.buildDense()
	return nil
}

// Len is the number of terms the refMatcher knows.
func (m *refMatcher) Len() int { return len(m.terms) }

// refDenseMin is the child count from which a node gets a dense row: below
// it a short scan is as fast and takes no memory.
const refDenseMin = 5

// buildDense gives every node with at least refDenseMin children a dense row.
func (m *refMatcher) buildDense() {
	m.denseRow = make([]int32, len(m.value))
	var seen [256]bool
	distinct := 0
	for _, c := range m.labels {
		if !seen[c] {
			seen[c] = true
			distinct++
		}
	}
	if distinct > 254 {
		// Cannot happen with folded keys (letters, digits, space and
		// UTF-8 bytes); without classes every node scans its children.
		for n := range m.denseRow {
			m.denseRow[n] = -1
		}
		return
	}
	for c := range seen {
		if seen[c] {
			m.nCls++
			m.byteCls[c] = uint8(m.nCls)
		}
	}
	m.nCls++ // class 0: a byte no key has
	rows := 0
	for n := range m.denseRow {
		m.denseRow[n] = -1
		a, b := m.edgeStart[n], m.edgeStart[n+1]
		if b-a < refDenseMin {
			continue
		}
		m.denseRow[n] = int32(rows)
		row := make([]int32, m.nCls)
		for k := a; k < b; k++ {
			row[m.byteCls[m.labels[k]]] = m.next[k]
		}
		m.dense = append(m.dense, row...)
		rows++
	}
}

// child returns the child of node n along byte c, or 0.
func (m *refMatcher) child(n int32, c byte) int32 {
	if r := m.denseRow[n]; r >= 0 {
		return m.dense[int(r)*m.nCls+int(m.byteCls[c])]
	}
	for k, b := int(m.edgeStart[n]), int(m.edgeStart[n+1]); k < b; k++ {
		if m.labels[k] == c {
			return m.next[k]
		}
	}
	return 0
}

// refAtBoundary reports whether a word ends before b[j]: end of text, a
// space or a camel break.
func refAtBoundary(b []byte, j int) bool { return j == len(b) || b[j] <= ' ' }

// refBoundaryEnd returns where a term ending at j really ends: at j if a word
// boundary follows, after a plural "s" or "es" if one follows and then a
// boundary; ok is false when the term runs on into a longer word.
func refBoundaryEnd(b []byte, j int) (end int, ok bool) {
	if refAtBoundary(b, j) {
		return j, true
	}
	if b[j] == 's' && refAtBoundary(b, j+1) {
		return j + 1, true
	}
	if b[j] == 'e' && j+1 < len(b) && b[j+1] == 's' && refAtBoundary(b, j+2) {
		return j + 2, true
	}
	return 0, false
}

// refMaxBranches bounds the camel-break alternatives tried from one word
// start, so that hostile input ("aBaBaBaB...") stays linear.
const refMaxBranches = 64

// refWalker finds the longest term from one word start.
type refWalker struct {
	m        *refMatcher
	b        []byte
	term     int32
	end      int
	branches int
	// inner, when set, restricts the walk to terms that end before
	// limit and are not of kind outer (nor not-health phrases): the
	// terms enclosed by a match of kind outer ending at limit.
	inner bool
	limit int
	outer phiproxy.Kind
}

// accepts reports whether term v, ending at e, may be recorded.
func (w *refWalker) accepts(v int32, e int) bool {
	if !w.inner {
		return true
	}
	return e < w.limit && v != w.m.notHealth && w.m.terms[v].Kind != w.outer
}

// walk follows the trie from node n at text position j, recording every
// accepted term that ends on a boundary. At a camel break it tries both
// readings: the term's space, and no break at all.
func (w *refWalker) walk(n int32, j int) {
	m, b := w.m, w.b
	for n != 0 {
		if v := m.value[n]; v >= 0 {
			if e, ok := refBoundaryEnd(b, j); ok && e > w.end && w.accepts(v, e) {
				w.term, w.end = v, e
			}
		}
		if j >= len(b) || w.inner && j >= w.limit {
			return
		}
		c := b[j]
		if c == refSoftBreak {
			if sp := m.child(n, ' '); sp != 0 && w.branches < refMaxBranches {
				w.branches++
				w.walk(sp, j+1)
			}
			j++
			continue
		}
		n = m.child(n, c)
		j++
	}
}

// refRawMatch is a match in folded text, before mapping back.
type refRawMatch struct {
	term       int32
	start, end int // original offsets
	enclosed   bool
}

// scan appends the leftmost-longest word-anchored matches in nt.
// Not-health phrases consume their text without being appended. With
// nested set, each match is followed by the terms of other kinds it
// encloses (see FindNested).
func (m *refMatcher) scan(nt *refNormText, s string, out []refRawMatch, nested bool) []refRawMatch {
	return m.scanSpan(nt, s, out, refWalker{m: m, b: nt.b}, 0, len(nt.b), nested)
}

// scanSpan is scan over the folded refSpan [from, to) with refWalker w: the
// whole text, or (w.inner set) the refSpan of a match whose enclosed terms
// are wanted, marked enclosed.
func (m *refMatcher) scanSpan(nt *refNormText, s string, out []refRawMatch, w refWalker, from, to int, nested bool) []refRawMatch {
	b := nt.b
	for i := from; i < to; {
		c := b[i]
		if c <= ' ' {
			i++
			continue
		}
		if n := m.root[c]; n != 0 {
			w.term, w.end, w.branches = -1, 0, 0
			w.walk(n, i+1)
			if w.term >= 0 {
				if w.term != m.notHealth {
					out = append(out, refRawMatch{term: w.term, start: nt.origin(i), end: refRuneEnd(s, nt.origin(w.end-1)), enclosed: w.inner})
					if nested {
						inner := refWalker{m: m, b: b, inner: true, limit: w.end, outer: m.terms[w.term].Kind}
						out = m.scanSpan(nt, s, out, inner, i, w.end, false)
					}
				}
				i = w.end
				continue
			}
		}
		for i++; i < to && b[i] > ' '; i++ {
		}
	}
	return out
}

// refRuneEnd returns the offset just past the rune that byte i is part of.
func refRuneEnd(s string, i int) int {
	i++
	for i < len(s) && s[i]&0xC0 == 0x80 {
		i++
	}
	return i
}

var refNormPool = sync.Pool{New: func() any { return new(refNormText) }}

// refMaxPooled keeps one huge field from pinning its buffers in the pool.
const refMaxPooled = 1 << 20

// Find returns all non-overlapping dictionary terms in s, leftmost-longest
// ("breast cancer" rather than "cancer"), in order. Matching folds case
// (Unicode), treats any run of non-letters and non-digits — spaces, '-',
// '_', '+', '.', '/', "%20" — as one space, drops apostrophes, splits
// camelCase and PascalCase joins ("DepressionTreatment"), requires a word
// boundary on both sides ("ambient" does not match "Ambien") and accepts a
// plural "s"/"es" ("migraines"). Text spelled with inner capitals
// ("PrEP") also matches as one word. Find never fails; it returns nil when
// nothing matches.
//
// A not-health phrase (AddNotHealth) that encloses a term hides it:
// "Great Depression" and "cold brew" give nothing.
func (m *refMatcher) Find(s string) []Match {
	return m.find(s, false)
}

// FindNested returns what Find returns and, after each match, the terms
// of a different kind that it encloses, marked Enclosed: "Suboxone
// treatment" (procedure) also gives "Suboxone" (medication), "HIV test"
// also gives "HIV". Within a match, terms of its own kind are not
// reported ("breast cancer" does not also give "cancer"), nor are terms
// that end where it ends: the last word of a phrase names what the
// phrase is, so "gender-affirming hormone therapy" is not also "therapy"
// (psychotherapy). Enclosed terms are themselves leftmost-longest and
// non-overlapping; not-health phrases enclose nothing.
func (m *refMatcher) FindNested(s string) []Match {
	return m.find(s, true)
}

func (m *refMatcher) find(s string, nested bool) []Match {
	if len(m.value) == 0 || s == "" {
		return nil
	}
	nt := refNormPool.Get().(*refNormText)
	nt.normalize(s, true)
	var buf [8]refRawMatch
	raw := m.scan(nt, s, buf[:0], nested)
	if cap(nt.b) <= refMaxPooled && cap(nt.cps) <= refMaxPooled {
		refNormPool.Put(nt)
	}
	if len(raw) == 0 {
		return nil
	}
	out := make([]Match, len(raw))
	for i, r := range raw {
		out[i] = Match{Term: m.terms[r.term], Start: r.start, End: r.end, Text: s[r.start:r.end], Enclosed: r.enclosed}
	}
	return out
}

// refSoftBreak marks a camelCase or PascalCase join in folded text
// ("DepressionTreatment" → "depression\x01treatment"). It is a word
// boundary, and inside a term it may stand for the term's space or for
// nothing, so that both "DepressionTreatment" → "depression treatment" and
// "PrEP" → "prep" match.
const refSoftBreak = 0x01

// refNormText is text folded for matching: lower case; every run of
// separators (anything but letters and digits, and "%XX" escapes) one
// space; apostrophes dropped ("Crohn's" → "crohns"); camel joins marked
// with refSoftBreak.
//
// Offsets back into the original are kept as checkpoints rather than one
// per byte: from refCheckpoint c on, folded byte k came from original byte
// c.in + (k - c.out). A refCheckpoint is added only where that stops holding
// (a collapsed separator run, a dropped apostrophe, an escape, a camel
// break, a rune whose lower case has another length), so folding ordinary
// text writes little besides the folded bytes.
type refNormText struct {
	b   []byte
	cps []refCheckpoint
}

type refCheckpoint struct{ out, in int32 }

// origin returns the original offset of folded byte k.
func (n *refNormText) origin(k int) int {
	cps := n.cps
	lo, hi := 0, len(cps)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if int(cps[mid].out) <= k {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	c := cps[lo]
	return int(c.in) + k - int(c.out)
}

// Byte classes of ASCII input.
const (
	refClsSep = iota
	refClsLower
	refClsUpper
	refClsDigit
	refClsApostrophe
	refClsPercent
	refClsHigh
)

var refASCIIClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 'a' && c <= 'z':
			t[c] = refClsLower
		case c >= 'A' && c <= 'Z':
			t[c] = refClsUpper
		case c >= '0' && c <= '9':
			t[c] = refClsDigit
		case c == '\'':
			t[c] = refClsApostrophe
		case c == '%':
			t[c] = refClsPercent
		case c >= utf8.RuneSelf:
			t[c] = refClsHigh
		default:
			t[c] = refClsSep
		}
	}
	return t
}()

func refIsHex(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F'
}

// refLowerAt reports whether s has a lower-case letter at byte i (the start
// of a word after an acronym: "HIVTest").
func refLowerAt(s string, i int) bool {
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
func (n *refNormText) normalize(s string, camel bool) {
	if need := len(s) + len(s)/8 + 16; cap(n.b) < need {
		n.b = make([]byte, 0, need)
	}
	b := n.b[:0]
	cps := append(n.cps[:0], refCheckpoint{0, 0})
	// next is the original offset that the next folded byte has if no
	// refCheckpoint is written.
	next := 0
	mark := func(in int) {
		if in != next {
			cps = append(cps, refCheckpoint{int32(len(b)), int32(in)})
		}
	}
	// sep: the output ends in a separator (or is empty). prev: class of
	// the previous letter or digit, or refClsSep.
	sep := true
	prev := uint8(refClsSep)
	// separate writes one space for the separator at in, unless the
	// output already ends in one.
	separate := func(in int) {
		if !sep {
			mark(in)
			b = append(b, ' ')
			next = in + 1
			sep = true
		}
		prev = refClsSep
	}
	// breakCamel writes a soft break before the capital at in (the next
	// character at after) when it starts a new word of camelCase
	// ("renalFailure", "HIVTest").
	breakCamel := func(in, after int) {
		if camel && !sep && (prev == refClsLower || prev == refClsUpper && refLowerAt(s, after)) {
			mark(in)
			b = append(b, refSoftBreak)
			cps = append(cps, refCheckpoint{int32(len(b)), int32(in)})
			next = in
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch refASCIIClass[c] {
		case refClsLower, refClsDigit:
			// Copy the whole run of lower-case letters and digits at once.
			j := i + 1
			for j < len(s) && (refASCIIClass[s[j]] == refClsLower || refASCIIClass[s[j]] == refClsDigit) {
				j++
			}
			mark(i)
			b = append(b, s[i:j]...)
			next = j
			sep = false
			prev = refASCIIClass[s[j-1]]
			i = j
		case refClsUpper:
			breakCamel(i, i+1)
			mark(i)
			b = append(b, c+('a'-'A'))
			next = i + 1
			sep = false
			prev = refClsUpper
			i++
		case refClsApostrophe:
			// Dropped, so that "Crohn's", "Crohns" and "Crohn’s" agree.
			i++
		case refClsPercent:
			at := i
			if i+2 < len(s) && refIsHex(s[i+1]) && refIsHex(s[i+2]) {
				i += 3
			} else {
				i++
			}
			separate(at)
		case refClsSep:
			if refSlugApostrophe(s, i) {
				// Dropped like the apostrophe it stands for.
				i++
				break
			}
			separate(i)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == '\u2019' || r == '\u2018' || r == '\u02bc':
				// Typographic apostrophes, dropped like '.
			case r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r)):
				up := unicode.IsUpper(r)
				if up {
					breakCamel(i, i+size)
				}
				mark(i)
				before := len(b)
				b = utf8.AppendRune(b, unicode.ToLower(r))
				if w := len(b) - before; w != size {
					// Every byte of a resized rune maps to its start.
					for k := before + 1; k < len(b); k++ {
						cps = append(cps, refCheckpoint{int32(k), int32(i)})
					}
					cps = append(cps, refCheckpoint{int32(len(b)), int32(i + size)})
				}
				next = i + size
				sep = false
				switch {
				case up:
					prev = refClsUpper
				case unicode.IsDigit(r):
					prev = refClsDigit
				default:
					prev = refClsLower
				}
			default:
				separate(i)
			}
			i += size
		}
	}
	n.b, n.cps = b, cps
}

// refSlugApostrophe reports whether the separator at i stands for a
// possessive apostrophe: URL slugs write "Crohn's disease" as
// "crohn-s-disease", and splitting a slug into words or losing the
// apostrophe leaves "crohn s disease". It takes a hyphen, underscore or
// space after a word of three letters or more ("U S" stays two words),
// followed by a lone "s".
func refSlugApostrophe(s string, i int) bool {
	if c := s[i]; c != '-' && c != '_' && c != ' ' || i+1 >= len(s) || s[i+1]|0x20 != 's' {
		return false
	}
	if i+2 < len(s) && refASCIIClass[s[i+2]] != refClsSep && refASCIIClass[s[i+2]] != refClsPercent {
		return false
	}
	letters := 0
	for j := i - 1; j >= 0 && (refASCIIClass[s[j]] == refClsLower || refASCIIClass[s[j]] == refClsUpper); j-- {
		letters++
	}
	return letters >= 3
}

// refNormalizeKey folds a dictionary term the way text is folded, without
// camel marks (a term's own capitals, "PrEP", are not word joins), and
// trims the surrounding space.
func refNormalizeKey(term string) string {
	var n refNormText
	n.normalize(term, false)
	return strings.TrimSpace(string(n.b))
}
