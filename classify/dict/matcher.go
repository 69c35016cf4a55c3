package dict

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strings"
	"sync"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/swar"
)

// Match is one dictionary term found in a string.
type Match struct {
	// Term is the dictionary entry matched (shared, read-only).
	Term *Term
	// Start and End are byte offsets of the match in the searched string;
	// Text is s[Start:End], as found ("Zoloft", "depression-treatment",
	// "migraines").
	Start, End int
	Text       string
	// Enclosed is set on a match that lies inside a longer match of
	// another kind (see FindNested); the enclosing match precedes it.
	Enclosed bool
}

// Matcher finds dictionary terms in text. It is immutable and safe for
// concurrent use. The zero value matches nothing; get one from Build.
//
// Terms are kept in a trie over their folded bytes, in one array of
// nodes laid out depth first: a node's first child follows it, so the
// long single-child tails of terms are walked through adjacent memory,
// and neither that child nor where a node's edges end (where the next
// node's begin) needs storing: a node is a 12-byte record, an edge a
// label byte and, apart, its target. The edges of a node are contiguous
// and scanned; nodes with many children also get a dense row indexed by
// byte class.
// Because a match must start on a word boundary, the trie is walked only
// from word starts, never from inside a word: this is an Aho-Corasick
// automaton restricted to word-anchored matches, which needs no failure
// links and yields leftmost-longest matches directly. Most word starts of
// ordinary text are ruled out before any walk by two bit sets of the
// keys' first bytes (see scanSpan).
type Matcher struct {
	root [256]int32 // child of the root for each first byte; 0 = none
	// nodes ends with a sentinel that only marks where the last node's
	// edges end.
	nodes []node
	// The edges of node n are [nodes[n].lo, nodes[n+1].lo) in labels and
	// next (the target of a node's first edge is n+1 and is not read).
	labels []byte
	next   []int32
	// Nodes with many children also get a dense row, indexed by the
	// byte's class (bytes that occur in some key, numbered from 1).
	byteCls [256]uint8
	nCls    int
	dense   []int32 // rows of nCls children
	// starts is a Bloom-style bit set of the windows (see startWindow)
	// that can begin a match: a word start whose window is not in it
	// is skipped without walking the trie.
	starts []uint64
	// prefixes is a bit set of the first 8 bytes of every key as
	// matched, spaces included (or all of it and the space after, if
	// shorter): the sharper test where 8 bytes of text hold no camel
	// break, for the windows that pass starts (see mayStartPlain).
	prefixes []uint64
	terms    []*Term
	codes    map[string]*Term // ICD-10-CM code (upper case, no dot) → condition
	// notHealth is the value of trie nodes that end a not-health phrase
	// (len(terms)): such a match consumes its text and reports nothing.
	notHealth int32
}

// node is one trie node.
type node struct {
	value int32 // term index ending here, -1 if none
	row   int32 // offset of the node's dense row in dense, -1 if none
	lo    int32 // its first edge
}

// edges returns the range of node n's edges in labels and next.
func (m *Matcher) edges(n int) (lo, hi int32) { return m.nodes[n].lo, m.nodes[n+1].lo }

// candidate is a term a key may stand for, ranked when keys collide.
type candidate struct {
	term  int32
	alias bool
}

// better reports whether a should win key k over b: the term's own name
// beats an alias; an unambiguous term beats an ambiguous one; a high
// sensitivity beats a standard one; otherwise the first added wins.
func better(terms []*Term, a, b candidate) bool {
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

// pluralIes returns "therapies" for "therapy" (consonant + y), else "".
func pluralIes(key string) string {
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

// Build compiles the dictionary into a Matcher. The Matcher keeps the
// dictionary's Terms; later additions to d do not change it. Every term
// name and alias is matched; "-y" terms also match their "-ies" plural;
// symptoms also match their everyday variants ("cannot sleep" for "can't
// sleep", "I feel so hopeless" for "feeling hopeless"; see
// symptomVariants).
// Not-health phrases are matched like terms and swallow what they enclose.
func (d *Dictionary) Build() (*Matcher, error) {
	if len(d.terms) >= math.MaxInt32-1 {
		return nil, fmt.Errorf("build matcher: %d terms is too many", len(d.terms))
	}
	m := &Matcher{terms: append([]*Term(nil), d.terms...), codes: make(map[string]*Term)}
	m.notHealth = int32(len(m.terms))
	keys := make(map[string]candidate, len(m.terms)*2)
	put := func(key string, c candidate) {
		if key == "" {
			return
		}
		if old, ok := keys[key]; ok && !better(m.terms, c, old) {
			return
		}
		keys[key] = c
	}
	var symptomCodes []*Term
	for i, t := range m.terms {
		k := normalizeKey(t.Term)
		put(k, candidate{int32(i), false})
		put(pluralIes(k), candidate{int32(i), true})
		for _, a := range t.Aliases {
			ak := normalizeKey(a)
			put(ak, candidate{int32(i), true})
			put(pluralIes(ak), candidate{int32(i), true})
		}
		switch t.Kind {
		case phiproxy.KindSymptom:
			for _, name := range append([]string{t.Term}, t.Aliases...) {
				for _, v := range symptomVariants(normalizeKey(name)) {
					put(v, candidate{int32(i), true})
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
			keys[k] = candidate{term: m.notHealth}
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
// another condition is preferred for one (preferForCode).
func (m *Matcher) addCodes(t *Term) {
	for _, c := range t.Codes {
		if !validICDCode(c) {
			continue
		}
		ck := codeKey(c)
		if old, ok := m.codes[ck]; !ok || preferForCode(t, old) {
			m.codes[ck] = t
		}
	}
}

// preferForCode reports whether t should answer a code lookup instead of
// old: the preferred name of a condition (its term is its canonical) beats
// a synonym; otherwise the first wins.
func preferForCode(t, old *Term) bool {
	tp := strings.EqualFold(t.Term, t.Canonical)
	op := strings.EqualFold(old.Term, old.Canonical)
	return tp && !op
}

// buildTrie lays the trie out depth first (see Matcher).
func (m *Matcher) buildTrie(sorted []string, keys map[string]candidate) error {
	if _, err := m.addNode(sorted, keys, 0, len(sorted), 0); err != nil {
		return err
	}
	m.nodes = append(m.nodes, node{value: -1, row: -1, lo: int32(len(m.labels))})
	lo, hi := m.edges(0)
	for e := lo; e < hi; e++ {
		m.root[m.labels[e]] = m.next[e]
	}
	m.buildDense()
	m.buildStarts(sorted)
	return nil
}

// startBits is log2 of the size of the start filter in bits: 2^17 bits
// (16 KiB) stay in the first-level cache, and with the shipped lists
// (about 8,000 windows) one ordinary word in 16 passes by chance.
const startBits = 17

// startWindow packs key up to and including its first space, at most 8
// bytes (keys have no softBreak).
//
// A key matching at a word start reads the same bytes as the text up to
// the boundary after it (a space, a camel break read as a space, or the
// end of text) or its eighth byte, whichever comes first: so the window
// of the text (see scanSpan and mayStart) equals the window of the key
// as matched (the key, or the key plus a plural "s" or "es", then a
// space).
func startWindow(key string) (w uint64) {
	for k := 0; k < 8 && k < len(key); k++ {
		w |= uint64(key[k]) << (8 * k)
		if key[k] == ' ' {
			break
		}
	}
	return w
}

func startHash(w uint64) uint64 { return (w * 0x9E3779B97F4A7C15) >> (64 - startBits) }

// prefixBits is log2 of the size of the prefix filter in bits: 2^18 bits
// (32 KiB) for the shipped lists' 10,000 prefixes.
const prefixBits = 18

// prefixWindow packs the first 8 bytes of f, or all of it if shorter.
func prefixWindow(f string) (w uint64) {
	for k := 0; k < 8 && k < len(f); k++ {
		w |= uint64(f[k]) << (8 * k)
	}
	return w
}

func prefixHash(w uint64) uint64 { return (w * 0xD6E8FEB86659FD93) >> (64 - prefixBits) }

func (m *Matcher) inPrefixes(w uint64) bool {
	h := prefixHash(w)
	return m.prefixes[h/64]&(1<<(h%64)) != 0
}

// buildStarts fills the start filter from every key, with and without
// the plural endings the walk accepts.
func (m *Matcher) buildStarts(sorted []string) {
	m.starts = make([]uint64, 1<<startBits/64)
	m.prefixes = make([]uint64, 1<<prefixBits/64)
	for _, k := range sorted {
		for _, f := range [...]string{k + " ", k + "s ", k + "es "} {
			h := startHash(startWindow(f))
			m.starts[h/64] |= 1 << (h % 64)
			h = prefixHash(prefixWindow(f))
			m.prefixes[h/64] |= 1 << (h % 64)
		}
	}
}

func (m *Matcher) inStarts(w uint64) bool {
	h := startHash(w)
	return m.starts[h/64]&(1<<(h%64)) != 0
}

// mayStartPlain reports whether a match may begin where the 8 bytes of
// text x hold no camel break and passed the start filter; sp flags the
// spaces among them (see scanSpan). A key matching there has its first 8
// bytes in x, or is shorter and ends at one of the spaces; false is
// certain.
func (m *Matcher) mayStartPlain(x, sp uint64) bool {
	if m.inPrefixes(x) {
		return true
	}
	for ; sp != 0; sp &= sp - 1 {
		if k := bits.TrailingZeros64(sp) / 8; k < 7 && m.inPrefixes(x&(1<<(8*(k+1))-1)) {
			return true
		}
	}
	return false
}

// mayStartCamel is mayStart where x, the 8 bytes of text from b[i] (read
// as scanSpan reads them), has a camel break before its first space,
// flagged in low. With one break in x and none right after, both
// readings of the break are windows made from x: the text up to it and a
// space, and the text without it (up to 8 bytes, to the first space).
func (m *Matcher) mayStartCamel(b []byte, i int, x, low uint64) bool {
	next := byte(' ') // the end of text reads as a space
	if i+8 < len(b) {
		next = b[i+8]
	}
	if low&(low-1) != 0 || next < ' ' {
		return m.mayStart(b, i)
	}
	// The break's lane and the lanes below it, and the lanes below it.
	upTo := low ^ (low - 1)
	below := low>>7 - 1
	// As a space: the break (0x01) plus 0x1f.
	if m.inStarts(x&upTo + (0x1f*swar.Ones)&(upTo&^below)) {
		return true
	}
	// As nothing: the lanes above the break move down one, and the
	// byte after x fills the last.
	y := x&below | (x>>8|uint64(next)<<56)&^below
	sp := (y - 0x21*swar.Ones) &^ y & swar.Highs
	return m.inStarts(y & (sp ^ (sp - 1)))
}

// mayStart reports whether a match may begin at b[i]; false is certain.
// scanSpan calls it only where its one-load test does not answer: a
// camel break before the first space, or no room to load 8 bytes. The
// window is the folded text up to and including its first space, at
// most 8 bytes, the end of text read as a space. A camel break may be
// read as a space (the window ends there) or as nothing (it is
// skipped), as the walk reads it: each reading is tried.
func (m *Matcher) mayStart(b []byte, i int) bool {
	var w uint64
	for j, n := i, 0; n < 8; j++ {
		c := byte(' ')
		if j < len(b) {
			c = b[j]
		}
		if c == softBreak {
			if m.inStarts(w | ' '<<(8*n)) {
				return true
			}
			continue
		}
		if c < ' ' {
			return true // no other byte below ' ' is folded text
		}
		w |= uint64(c) << (8 * n)
		n++
		if c == ' ' {
			break
		}
	}
	return m.inStarts(w)
}

// addNode adds the node for the sorted keys [lo, hi), which share their
// first depth bytes, then its subtrees, and returns its number.
func (m *Matcher) addNode(sorted []string, keys map[string]candidate, lo, hi, depth int) (int32, error) {
	if len(m.nodes) >= math.MaxInt32-1 || len(m.labels) >= math.MaxInt32-256 {
		return 0, fmt.Errorf("more than %d trie nodes", math.MaxInt32)
	}
	id := int32(len(m.nodes))
	m.nodes = append(m.nodes, node{value: -1, row: -1})
	// Sorted order puts a key equal to the prefix first.
	if lo < hi && len(sorted[lo]) == depth {
		m.nodes[id].value = keys[sorted[lo]].term
		lo++
	}
	// Reserve the edges first, so that they are contiguous; their
	// targets are known once each subtree is laid out.
	first := int32(len(m.labels))
	for k := lo; k < hi; k = groupEnd(sorted, k, hi, depth) {
		m.labels = append(m.labels, sorted[k][depth])
		m.next = append(m.next, 0)
	}
	m.nodes[id].lo = first
	for x, k := first, lo; k < hi; x++ {
		e := groupEnd(sorted, k, hi, depth)
		child, err := m.addNode(sorted, keys, k, e, depth+1)
		if err != nil {
			return 0, err
		}
		m.next[x] = child
		k = e
	}
	return id, nil
}

// groupEnd returns the end of the run of sorted keys from k (below hi)
// that share byte depth.
func groupEnd(sorted []string, k, hi, depth int) int {
	c := sorted[k][depth]
	for k++; k < hi && sorted[k][depth] == c; k++ {
	}
	return k
}

// Len is the number of terms the Matcher knows.
func (m *Matcher) Len() int { return len(m.terms) }

// denseMin is the child count from which a node gets a dense row: below
// it a short scan is as fast and takes no memory.
const denseMin = 5

// buildDense gives every node with at least denseMin children a dense row.
func (m *Matcher) buildDense() {
	var seen [256]bool
	distinct := 0
	for _, l := range m.labels {
		if !seen[l] {
			seen[l] = true
			distinct++
		}
	}
	if distinct > 254 {
		// Cannot happen with folded keys (letters, digits, space and
		// UTF-8 bytes); without classes every node scans its children.
		return
	}
	for c := range seen {
		if seen[c] {
			m.nCls++
			m.byteCls[c] = uint8(m.nCls)
		}
	}
	m.nCls++ // class 0: a byte no key has
	for n := range len(m.nodes) - 1 {
		lo, hi := m.edges(n)
		if hi-lo < denseMin {
			continue
		}
		if len(m.dense)+m.nCls > math.MaxInt32 {
			return
		}
		m.nodes[n].row = int32(len(m.dense))
		row := make([]int32, m.nCls)
		for e := lo; e < hi; e++ {
			row[m.byteCls[m.labels[e]]] = m.next[e]
		}
		m.dense = append(m.dense, row...)
	}
}

// child returns the child of node n along byte c, or 0. The first
// child, the one of every node in a term's tail, is tested first and
// inline; the others are left to otherChild.
func (m *Matcher) child(n int32, c byte) int32 {
	nd := &m.nodes[n]
	if lo := nd.lo; nd.row < 0 && lo < m.nodes[n+1].lo && m.labels[lo] == c {
		return n + 1 // the first child follows its parent
	}
	return m.otherChild(n, c)
}

// otherChild is child past the first edge: through the dense row, or a
// scan of the other edges.
func (m *Matcher) otherChild(n int32, c byte) int32 {
	if row := m.nodes[n].row; row >= 0 {
		return m.dense[int(row)+int(m.byteCls[c])]
	}
	lo, hi := m.edges(int(n))
	for e := lo + 1; e < hi; e++ {
		if m.labels[e] == c {
			return m.next[e]
		}
	}
	return 0
}

// atBoundary reports whether a word ends before b[j]: end of text, a
// space or a camel break.
func atBoundary(b []byte, j int) bool { return j == len(b) || b[j] <= ' ' }

// boundaryEnd returns where a term ending at j really ends: at j if a word
// boundary follows, after a plural "s" or "es" if one follows and then a
// boundary; ok is false when the term runs on into a longer word.
func boundaryEnd(b []byte, j int) (end int, ok bool) {
	if atBoundary(b, j) {
		return j, true
	}
	if b[j] == 's' && atBoundary(b, j+1) {
		return j + 1, true
	}
	if b[j] == 'e' && j+1 < len(b) && b[j+1] == 's' && atBoundary(b, j+2) {
		return j + 2, true
	}
	return 0, false
}

// maxBranches bounds the camel-break alternatives tried from one word
// start, so that hostile input ("aBaBaBaB...") stays linear.
const maxBranches = 64

// walker finds the longest term from one word start.
type walker struct {
	m        *Matcher
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
func (w *walker) accepts(v int32, e int) bool {
	if !w.inner {
		return true
	}
	return e < w.limit && v != w.m.notHealth && w.m.terms[v].Kind != w.outer
}

// walk follows the trie from node n at text position j, recording every
// accepted term that ends on a boundary. At a camel break it tries both
// readings: the term's space, and no break at all.
func (w *walker) walk(n int32, j int) {
	m, b := w.m, w.b
	for n != 0 {
		if v := m.nodes[n].value; v >= 0 {
			if e, ok := boundaryEnd(b, j); ok && e > w.end && w.accepts(v, e) {
				w.term, w.end = v, e
			}
		}
		if j >= len(b) || w.inner && j >= w.limit {
			return
		}
		c := b[j]
		if c == softBreak {
			if sp := m.child(n, ' '); sp != 0 && w.branches < maxBranches {
				w.branches++
				w.walk(sp, j+1)
			}
			j++
			continue
		}
		// child, with its common case written out: a call per byte
		// would cost more than the test.
		if nd := &m.nodes[n]; nd.row < 0 && nd.lo < m.nodes[n+1].lo && m.labels[nd.lo] == c {
			n++
		} else {
			n = m.otherChild(n, c)
		}
		j++
	}
}

// rawMatch is a match in folded text, before mapping back.
type rawMatch struct {
	term       int32
	start, end int // original offsets
	enclosed   bool
}

// scan appends the leftmost-longest word-anchored matches in nt.
// Not-health phrases consume their text without being appended. With
// nested set, each match is followed by the terms of other kinds it
// encloses (see FindNested).
func (m *Matcher) scan(nt *normText, s string, out []rawMatch, nested bool) []rawMatch {
	return m.scanSpan(nt, s, out, walker{m: m, b: nt.b}, 0, len(nt.b), nested)
}

// scanSpan is scan over the folded span [from, to) with walker w: the
// whole text, or (w.inner set) the span of a match whose enclosed terms
// are wanted, marked enclosed.
func (m *Matcher) scanSpan(nt *normText, s string, out []rawMatch, w walker, from, to int, nested bool) []rawMatch {
	b := nt.b
	for i := from; i < to; {
		c := b[i]
		if c <= ' ' {
			i++
			continue
		}
		// The word's end is searched from next: past its first byte, or
		// past what the start filter read of it.
		next := i + 1
		if i+8 <= cap(b) {
			// The common case, in one load and without a call. Near the
			// end of the text the load reads past it, into b's spare
			// capacity (normalize leaves some): those bytes are read as
			// spaces, as the end of text is, so that short fields take
			// this path too.
			x := binary.LittleEndian.Uint64(b[i : i+8])
			if r := len(b) - i; r < 8 {
				keep := uint64(1)<<(8*r) - 1
				x = x&keep | ' '*swar.Ones&^keep
			}
			// sp flags the bytes at or below ' ', low those below (camel
			// breaks); the lowest flag of each is exact (a lane above a
			// flagged one may be flagged too).
			sp := (x - 0x21*swar.Ones) &^ x & swar.Highs
			low := (x - ' '*swar.Ones) &^ x & swar.Highs
			if low == 0 || sp&-sp != low&-low {
				// No camel break before the first space, if any: the
				// start filter's window ends at that space, and sp^(sp-1)
				// keeps the lanes up to it. It is also where the word
				// ends. Without a space the mask is all of x and the word
				// goes on past i+8: no branch on the word's length.
				next = i + bits.TrailingZeros64(sp)/8
				if !m.inStarts(x & (sp ^ (sp - 1))) {
					if sp != 0 {
						i = next + 1 // past the space
					} else {
						i = wordEnd(b, min(next, to), to)
					}
					continue
				}
				// The prefix filter holds only where no camel break
				// follows either.
				if low == 0 && !m.mayStartPlain(x, sp) {
					i = wordEnd(b, min(next, to), to)
					continue
				}
			} else if !m.mayStartCamel(b, i, x, low) {
				i = wordEnd(b, i+1, to)
				continue
			}
		} else if !m.mayStart(b, i) {
			i = wordEnd(b, i+1, to)
			continue
		}
		// Looked up only now: most words never need it, and a byte that
		// begins no key has no window in the filters but by chance
		// (then n is 0 and the walk finds nothing).
		n := m.root[c]
		w.term, w.end, w.branches = -1, 0, 0
		w.walk(n, i+1)
		if w.term >= 0 {
			if w.term != m.notHealth {
				out = append(out, rawMatch{term: w.term, start: nt.origin(i), end: runeEnd(s, nt.origin(w.end-1)), enclosed: w.inner})
				if nested {
					inner := walker{m: m, b: b, inner: true, limit: w.end, outer: m.terms[w.term].Kind}
					out = m.scanSpan(nt, s, out, inner, i, w.end, false)
				}
			}
			i = w.end
			continue
		}
		i = wordEnd(b, min(next, to), to)
	}
	return out
}

// wordEnd returns the first boundary byte (at or below ' ') of b from i,
// or to, testing 8 bytes at a time.
func wordEnd(b []byte, i, to int) int {
	for i+8 <= to {
		x := binary.LittleEndian.Uint64(b[i:])
		if low := (x - 0x21*swar.Ones) &^ x & swar.Highs; low != 0 {
			return i + bits.TrailingZeros64(low)/8
		}
		i += 8
	}
	for i < to && b[i] > ' ' {
		i++
	}
	return i
}

// runeEnd returns the offset just past the rune that byte i is part of.
func runeEnd(s string, i int) int {
	i++
	for i < len(s) && s[i]&0xC0 == 0x80 {
		i++
	}
	return i
}

var normPool = sync.Pool{New: func() any { return new(normText) }}

// maxPooled keeps one huge field from pinning its buffers in the pool:
// at most 1 Mi folded bytes, checkpoints or (at 32 bytes each) 1 MiB of
// matches.
const (
	maxPooled        = 1 << 20
	maxPooledMatches = maxPooled / 32
)

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
func (m *Matcher) Find(s string) []Match {
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
func (m *Matcher) FindNested(s string) []Match {
	return m.find(s, true)
}

func (m *Matcher) find(s string, nested bool) []Match {
	if len(m.nodes) == 0 || s == "" {
		return nil
	}
	nt := normPool.Get().(*normText)
	nt.normalize(s, true)
	raw := m.scan(nt, s, nt.raw[:0], nested)
	var out []Match
	if len(raw) > 0 {
		out = make([]Match, len(raw))
		for i, r := range raw {
			out[i] = Match{Term: m.terms[r.term], Start: r.start, End: r.end, Text: s[r.start:r.end], Enclosed: r.enclosed}
		}
	}
	nt.raw = raw
	if cap(nt.b) <= maxPooled && cap(nt.cps) <= maxPooled && cap(nt.raw) <= maxPooledMatches {
		normPool.Put(nt)
	}
	return out
}

// LookupCode returns the condition carrying ICD-10-CM code s, written with
// or without its dot, in any case ("F32.9", "f329"). Codes come from the
// codes column of condition terms and from AddICD10Order.
func (m *Matcher) LookupCode(s string) (*Term, bool) {
	if !validICDCode(strings.ToUpper(strings.TrimSpace(s))) {
		return nil, false
	}
	t, ok := m.codes[codeKey(s)]
	return t, ok
}

func isAlnum(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// FindCodes returns the known ICD-10-CM codes written in s as separate
// tokens ("dx=F32.9", "codes: E11.9, I10"), with Term the condition. A
// token must stand alone: letters, digits or a further ".digit" on either
// side reject it, so "F32.9.1" (a version) and "XF32" are not codes. Codes
// are found in any case. Whether a code counts (it may be a version or a
// product number) is for the caller to judge from context.
func (m *Matcher) FindCodes(s string) []Match {
	if len(m.codes) == 0 {
		return nil
	}
	var out []Match
	for i := 0; i+3 <= len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			continue
		}
		if i > 0 && (isAlnum(s[i-1]) || s[i-1] == '.') {
			continue
		}
		end, ok := codeTokenEnd(s, i)
		if !ok {
			continue
		}
		if t, found := m.LookupCode(s[i:end]); found {
			out = append(out, Match{Term: t, Start: i, End: end, Text: s[i:end]})
			i = end - 1
		}
	}
	return out
}

// codeTokenEnd returns the end of an ICD-10-CM shaped token at i.
func codeTokenEnd(s string, i int) (int, bool) {
	if i+3 > len(s) || !isDigit(s[i+1]) || !isAlnum(s[i+2]) {
		return 0, false
	}
	j := i + 3
	if j+1 < len(s) && s[j] == '.' && isAlnum(s[j+1]) {
		j++
	}
	k := j
	for k < len(s) && k-j < 4 && isAlnum(s[k]) {
		k++
	}
	if k < len(s) && (isAlnum(s[k]) || s[k] == '.' && k+1 < len(s) && isAlnum(s[k+1])) {
		return 0, false
	}
	if s[k-1] == '.' {
		return 0, false
	}
	return k, true
}
