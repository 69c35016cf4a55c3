package persona

import (
	"cmp"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/coregx/ahocorasick"
	"github.com/phiproxy/phiproxy"
)

// Hit is one persona value found in a string.
type Hit struct {
	Kind phiproxy.Kind
	// Key is the persona key ("email", "first_name", "free_text").
	Key string
	// Value is the persona value as given in the persona.
	Value string
	// Disguise says how the value was written: "plain" (as given),
	// "lower", "upper", "normalized" (a reformatting: phone digits, date
	// YYYYMMDD, city without spaces), "percent", "percent(percent)",
	// "base64", "base64url", "hex", or a digest "<hash>-hex" (lower-case
	// hex), "<hash>-HEX" (upper), "<hash>-base64", "<hash>-base64url", and
	// "<outer>(<inner>)-hex" for a digest of a digest's hex, with <hash>
	// one of md5, sha1, sha256, sha512.
	Disguise string
	// Start and End are byte offsets of the hit in the searched string;
	// 0 and len(s) when the whole string is the value.
	Start, End int
}

// ref is what a stored form stands for.
type ref struct {
	key      string
	kind     phiproxy.Kind
	value    string
	disguise string
	exact    string // the form as generated, to tell plain from lower/upper
}

// Index finds one persona's values. Build it with NewIndex; it is
// immutable and safe for concurrent use. A nil *Index finds nothing.
type Index struct {
	ac       *ahocorasick.Automaton // lower-cased plain forms, nil if none
	patterns [][]ref                // by automaton pattern ID
	whole    map[string][]ref       // lower-cased short values matched only as the whole string
	wholeMax int                    // the longest key of whole, in bytes
	hexForms map[string][]ref       // lower-case hex digests and encodings
	b64Forms map[string][]ref       // exact base64 / base64url tokens
	hexLens  []bool                 // lengths present in hexForms
	b64Lens  []bool                 // lengths present in b64Forms
}

// minSubstring is the shortest plain form searched inside longer text;
// shorter values ("NY", "Al") are matched only as a whole field.
const minSubstring = 3

// minEncoded is the shortest base64 or hex encoding of a plain value that
// is indexed; shorter ones collide with ordinary tokens.
const minEncoded = 8

// builder collects forms while NewIndex runs.
type builder struct {
	ix       *Index
	plain    map[string][]ref
	hexForms map[string][]ref
	b64Forms map[string][]ref
}

func addRef(m map[string][]ref, k string, r ref) {
	for _, o := range m[k] {
		if o.key == r.key && o.disguise == r.disguise {
			return
		}
	}
	m[k] = append(m[k], r)
}

// NewIndex precomputes every form of every value of p. A nil or empty
// persona gives an Index that finds nothing.
func NewIndex(p *Persona) *Index {
	ix := &Index{whole: map[string][]ref{}, hexForms: map[string][]ref{}, b64Forms: map[string][]ref{}}
	if p == nil {
		return ix
	}
	b := &builder{ix: ix, plain: map[string][]ref{}, hexForms: ix.hexForms, b64Forms: ix.b64Forms}
	for _, v := range values(p) {
		b.add(v)
	}
	if len(b.plain) > 0 {
		keys := make([]string, 0, len(b.plain))
		for k := range b.plain {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		ac, err := ahocorasick.NewBuilder().AddStrings(keys).Build()
		if err == nil {
			ix.ac = ac
			ix.patterns = make([][]ref, len(keys))
			for i, k := range keys {
				ix.patterns[i] = b.plain[k]
			}
		}
	}
	ix.hexLens = lengths(ix.hexForms)
	ix.b64Lens = lengths(ix.b64Forms)
	for k := range ix.whole {
		ix.wholeMax = max(ix.wholeMax, len(k))
	}
	return ix
}

func lengths(m map[string][]ref) []bool {
	maxLen := 0
	for k := range m {
		maxLen = max(maxLen, len(k))
	}
	ls := make([]bool, maxLen+1)
	for k := range m {
		ls[len(k)] = true
	}
	return ls
}

// Forms is how many distinct forms the index holds (for reports).
func (ix *Index) Forms() int {
	if ix == nil {
		return 0
	}
	n := len(ix.whole) + len(ix.hexForms) + len(ix.b64Forms)
	for _, p := range ix.patterns {
		n += len(p)
	}
	return n
}

// value is one persona value with its plain and hashing forms.
type value struct {
	key  string
	kind phiproxy.Kind
	raw  string
	// plain are forms searched as text, each with its disguise label;
	// the first is the raw value.
	plain []labelled
	// hashed are the normalised strings trackers hash (Meta and Google
	// rules), plus the raw and lower-cased value.
	hashed []string
	// wholeOnly values are never searched inside longer text.
	wholeOnly bool
}

type labelled struct{ text, disguise string }

// values lists p's non-empty values with their forms.
func values(p *Persona) []value {
	var vs []value
	add := func(key string, kind phiproxy.Kind, raw string, plain []labelled, hashed []string) {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			return
		}
		v := value{key: key, kind: kind, raw: raw}
		v.plain = append([]labelled{{raw, "plain"}}, plain...)
		v.hashed = append([]string{raw, strings.ToLower(raw)}, hashed...)
		vs = append(vs, v)
	}
	if s := strings.TrimSpace(p.FirstName); s != "" {
		add("first_name", phiproxy.KindName, s, namePlain(s), nameForms(s))
	}
	if s := strings.TrimSpace(p.LastName); s != "" {
		add("last_name", phiproxy.KindName, s, namePlain(s), nameForms(s))
	}
	if s := strings.TrimSpace(p.Email); s != "" {
		add("email", phiproxy.KindEmail, s, emailPlain(s), emailForms(s))
	}
	if s := strings.TrimSpace(p.Phone); s != "" {
		add("phone", phiproxy.KindPhone, s, phonePlain(s), phoneForms(s))
	}
	if s := strings.TrimSpace(p.DOB); s != "" {
		add("dob", phiproxy.KindDOB, s, dobPlain(s), dobForms(s))
	}
	if s := strings.TrimSpace(p.Address); s != "" {
		add("address", phiproxy.KindAddress, s, nil, []string{strings.Join(strings.Fields(strings.ToLower(s)), " ")})
	}
	if s := strings.TrimSpace(p.City); s != "" {
		c := strings.ToLower(strings.ReplaceAll(s, " ", ""))
		add("city", phiproxy.KindAddress, s, []labelled{{c, "normalized"}}, []string{c})
	}
	if s := strings.TrimSpace(p.State); s != "" {
		add("state", phiproxy.KindAddress, s, nil, []string{strings.ToLower(s)})
	}
	if s := strings.TrimSpace(p.ZIP); s != "" {
		var plain []labelled
		var hashed []string
		if z := digitsOnly(s); len(z) >= 5 {
			plain = append(plain, labelled{z[:5], "normalized"})
			hashed = append(hashed, z[:5])
		}
		add("zip", phiproxy.KindZIP, s, plain, hashed)
	}
	if s := strings.TrimSpace(p.MRN); s != "" {
		add("mrn", phiproxy.KindMRN, s, nil, []string{strings.ToUpper(s)})
	}
	if s := strings.TrimSpace(p.MemberID); s != "" {
		add("member_id", phiproxy.KindMemberID, s, nil, []string{strings.ToUpper(s)})
	}
	for _, s := range p.FreeText {
		add("free_text", phiproxy.KindFreeText, s, nil, nil)
	}
	for i := range vs {
		// A state code or a two-letter name is everywhere as a substring.
		vs[i].wholeOnly = vs[i].key == "state" || len(vs[i].raw) < minSubstring
	}
	return vs
}

// nameForms: lower case (Meta, Google) and lower case letters only
// ("o'neil" → "oneil", as Meta advises stripping punctuation).
func nameForms(s string) []string {
	l := strings.ToLower(s)
	var b strings.Builder
	for _, r := range l {
		if unicode.IsLetter(r) {
			b.WriteRune(r)
		}
	}
	return []string{l, b.String()}
}

// namePlain: the letters-only spelling when punctuation differs
// ("oneil" for "O'Neil"), as slugs and identifiers write it.
func namePlain(s string) []labelled {
	f := nameForms(s)
	if f[1] != f[0] && f[1] != "" {
		return []labelled{{f[1], "normalized"}}
	}
	return nil
}

// emailForms: trimmed lower case; for Gmail, also without dots in the
// local part (Google's normalisation).
func emailForms(s string) []string {
	l := strings.ToLower(s)
	forms := []string{l}
	if at := strings.LastIndexByte(l, '@'); at > 0 {
		domain := l[at+1:]
		if domain == "gmail.com" || domain == "googlemail.com" {
			forms = append(forms, strings.ReplaceAll(l[:at], ".", "")+"@"+domain)
		}
	}
	return forms
}

func emailPlain(s string) []labelled {
	var out []labelled
	for _, f := range emailForms(s)[1:] {
		out = append(out, labelled{f, "normalized"})
	}
	return out
}

func digitsOnly(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// nanp returns the ten-digit national number of a US/Canada phone, or "".
func nanp(s string) string {
	d := digitsOnly(s)
	if len(d) == 11 && d[0] == '1' {
		d = d[1:]
	}
	if len(d) != 10 {
		return ""
	}
	return d
}

// phoneForms: digits with country code (Meta), E.164 with "+" (Google),
// and the national number.
func phoneForms(s string) []string {
	t := strings.TrimSpace(s)
	if d := nanp(t); d != "" && (!strings.HasPrefix(t, "+") || strings.HasPrefix(t, "+1")) {
		return []string{"1" + d, "+1" + d, d}
	}
	d := digitsOnly(t)
	return []string{d, "+" + d}
}

// phonePlain: the ways people and forms write the number.
func phonePlain(s string) []labelled {
	var out []labelled
	for _, f := range phoneForms(s) {
		out = append(out, labelled{f, "normalized"})
	}
	if d := nanp(s); d != "" {
		a, e, n := d[:3], d[3:6], d[6:]
		for _, f := range []string{
			"(" + a + ") " + e + "-" + n, "(" + a + ")" + e + "-" + n, a + "-" + e + "-" + n, a + "." + e + "." + n, a + " " + e + " " + n,
			"+1 " + a + "-" + e + "-" + n, "+1 (" + a + ") " + e + "-" + n, "+1 " + a + " " + e + " " + n, "1-" + a + "-" + e + "-" + n,
			"+1-" + a + "-" + e + "-" + n, "+1." + a + "." + e + "." + n,
		} {
			out = append(out, labelled{f, "normalized"})
		}
	}
	return out
}

// dobForms: YYYYMMDD (Meta) plus the ISO form given.
func dobForms(s string) []string {
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		return []string{s[:4] + s[5:7] + s[8:]}
	}
	return nil
}

// dobPlain: the common written forms of the date.
func dobPlain(s string) []labelled {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return nil
	}
	y, m, d := s[:4], s[5:7], s[8:]
	ms, ds := strings.TrimPrefix(m, "0"), strings.TrimPrefix(d, "0")
	var out []labelled
	for _, f := range []string{y + m + d, m + "/" + d + "/" + y, ms + "/" + ds + "/" + y, m + "-" + d + "-" + y, y + "/" + m + "/" + d, d + "/" + m + "/" + y, d + "." + m + "." + y} {
		out = append(out, labelled{f, "normalized"})
	}
	return out
}

// digests are the hash functions whose outputs are indexed.
var digests = []struct {
	name string
	new  func() hash.Hash
}{
	{"md5", md5.New},
	{"sha1", sha1.New},
	{"sha256", sha256.New},
	{"sha512", sha512.New},
}

func sum(newHash func() hash.Hash, s string) []byte {
	h := newHash()
	h.Write([]byte(s))
	return h.Sum(nil)
}

// add indexes every form of v.
func (b *builder) add(v value) {
	base := ref{key: v.key, kind: v.kind, value: v.raw}
	with := func(disguise, exact string) ref {
		r := base
		r.disguise, r.exact = disguise, exact
		return r
	}
	// Plain text, its case variants and percent-encodings.
	for _, p := range v.plain {
		if p.text == "" {
			continue
		}
		if v.wholeOnly {
			addRef(b.ix.whole, strings.ToLower(p.text), with(p.disguise, p.text))
			continue
		}
		b.addPlain(p.text, with(p.disguise, p.text))
		lower := strings.ToLower(p.text)
		if lower != p.text {
			b.addPlain(lower, with("lower", lower))
		}
		for _, enc := range []string{url.QueryEscape(p.text), url.PathEscape(p.text), url.QueryEscape(lower), url.PathEscape(lower)} {
			if enc != p.text && enc != lower {
				b.addPlain(enc, with("percent", enc))
				if twice := url.QueryEscape(enc); twice != enc {
					b.addPlain(twice, with("percent(percent)", twice))
				}
			}
		}
		// Encodings of the text itself.
		for _, t := range []string{p.text, lower} {
			if h := hex.EncodeToString([]byte(t)); len(h) >= minEncoded {
				addRef(b.hexForms, h, with("hex", h))
			}
			b.addBase64([]byte(t), "base64", with)
		}
	}
	// Digests of every hashing form, one and two deep.
	seen := map[string]bool{}
	for _, f := range v.hashed {
		if f == "" || seen[f] {
			continue
		}
		seen[f] = true
		inner := map[string]string{}
		for _, d := range digests {
			raw := sum(d.new, f)
			hx := hex.EncodeToString(raw)
			inner[d.name] = hx
			addRef(b.hexForms, hx, with(d.name+"-hex", hx))
			b.addBase64(raw, d.name+"-", with)
		}
		// Hash of a hash: outer(hex(inner(f))), a bounded set of pairs.
		for _, in := range []string{"md5", "sha1", "sha256"} {
			for _, d := range digests {
				hx := hex.EncodeToString(sum(d.new, inner[in]))
				addRef(b.hexForms, hx, with(d.name+"("+in+")-hex", hx))
			}
		}
	}
}

// addBase64 indexes the four base64 spellings of data. label is "base64"
// for a plain value (giving "base64"/"base64url") or "<hash>-" for a
// digest (giving "<hash>-base64"/"<hash>-base64url").
func (b *builder) addBase64(data []byte, label string, with func(string, string) ref) {
	std, url := label+"base64", label+"base64url"
	if label == "base64" {
		std, url = "base64", "base64url"
	}
	forms := []struct{ text, disguise string }{
		{base64.StdEncoding.EncodeToString(data), std},
		{base64.RawStdEncoding.EncodeToString(data), std},
		{base64.URLEncoding.EncodeToString(data), url},
		{base64.RawURLEncoding.EncodeToString(data), url},
	}
	for _, f := range forms {
		if len(f.text) < minEncoded {
			continue
		}
		addRef(b.b64Forms, f.text, with(f.disguise, f.text))
	}
}

func (b *builder) addPlain(text string, r ref) {
	if len(text) < minSubstring {
		return
	}
	addRef(b.plain, strings.ToLower(text), r)
}

var foldPool = sync.Pool{New: func() any { return new([]byte) }}

// Byte classes, looked up once per byte.
const (
	clsAlnum = 1 << iota
	clsHex
	clsBase64
	clsURL // base64url alphabet: alnum, '-', '_'
	clsStd // standard base64 alphabet: alnum, '+', '/'
)

var byteClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		alnum := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
		if alnum {
			t[c] |= clsAlnum | clsBase64 | clsURL | clsStd
		}
		if b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F' {
			t[c] |= clsHex
		}
		switch b {
		case '=':
			t[c] |= clsBase64
		case '-', '_':
			t[c] |= clsBase64 | clsURL
		case '+', '/':
			t[c] |= clsBase64 | clsStd
		}
	}
	return t
}()

// asciiLower maps A-Z to a-z and every other byte to itself.
var asciiLower = func() (t [256]byte) {
	for c := 0; c < 256; c++ {
		t[c] = byte(c)
		if c >= 'A' && c <= 'Z' {
			t[c] = byte(c) + 'a' - 'A'
		}
	}
	return t
}()

func isAlnum(c byte) bool { return byteClass[c]&clsAlnum != 0 }

// Find returns the persona values in s: plain forms anywhere on word
// boundaries (ASCII case-insensitive: "Jane" does not match inside
// "Janet"), and encoded or hashed forms as whole tokens (a run of hex or
// base64 characters, e.g. the 43 characters after "tv.1~em."). Hits are
// ordered by Start; a value found twice in the same place in two
// disguises is reported once per disguise.
func (ix *Index) Find(s string) []Hit {
	if ix == nil || s == "" {
		return nil
	}
	var hits []Hit
	// Lower-casing shrinks a string at most fourfold (a three-byte "K"
	// Kelvin sign becomes "k"), so a longer one cannot be a whole value:
	// it is not lower-cased at all.
	if t := strings.TrimSpace(s); len(ix.whole) > 0 && len(s) <= 64 && len(t) <= 4*ix.wholeMax {
		if rs, ok := ix.whole[strings.ToLower(t)]; ok {
			for _, r := range rs {
				hits = append(hits, Hit{Kind: r.kind, Key: r.key, Value: r.value, Disguise: caseDisguise(r, t), Start: 0, End: len(s)})
			}
		}
	}
	if ix.ac != nil {
		hits = ix.findPlain(s, hits)
	}
	if len(ix.hexForms) > 0 || len(ix.b64Forms) > 0 {
		hits = ix.findTokens(s, hits)
	}
	if len(hits) > 1 {
		slices.SortStableFunc(hits, func(a, b Hit) int { return cmp.Compare(a.Start, b.Start) })
	}
	return hits
}

// caseDisguise names how found text relates to the form it matched.
func caseDisguise(r ref, found string) string {
	switch {
	case found == r.exact:
		return r.disguise
	case r.disguise != "plain" && r.disguise != "lower":
		return r.disguise
	case found == strings.ToLower(r.exact):
		return "lower"
	case found == strings.ToUpper(r.exact):
		return "upper"
	}
	return "mixed-case"
}

// findPlain runs the automaton over an ASCII-lower-cased copy of s.
func (ix *Index) findPlain(s string, hits []Hit) []Hit {
	bp := foldPool.Get().(*[]byte)
	buf := (*bp)[:0]
	if cap(buf) < len(s) {
		buf = make([]byte, len(s))
	}
	buf = buf[:len(s)]
	for i := 0; i < len(s); i++ {
		buf[i] = asciiLower[s[i]]
	}
	type span struct{ start, end int }
	var seen map[span]bool
	for _, m := range ix.ac.FindAllOverlapping(buf) {
		if m.Start > 0 && isAlnum(s[m.Start]) && isAlnum(s[m.Start-1]) {
			continue
		}
		if m.End < len(s) && isAlnum(s[m.End-1]) && isAlnum(s[m.End]) {
			continue
		}
		found := s[m.Start:m.End]
		if seen == nil {
			seen = map[span]bool{}
		}
		sp := span{m.Start, m.End}
		if seen[sp] {
			continue
		}
		seen[sp] = true
		// Report each persona key once per span, preferring the form that
		// matches exactly as written.
		done := map[string]bool{}
		rs := ix.patterns[m.PatternID]
		for pass := 0; pass < 2; pass++ {
			for _, r := range rs {
				exact := found == r.exact
				if done[r.key] || pass == 0 && !exact {
					continue
				}
				done[r.key] = true
				hits = append(hits, Hit{Kind: r.kind, Key: r.key, Value: r.value, Disguise: caseDisguise(r, found), Start: m.Start, End: m.End})
			}
		}
	}
	if cap(buf) <= 1<<20 {
		*bp = buf
		foldPool.Put(bp)
	}
	return hits
}

// findTokens looks up runs of base64 characters, and the runs of hex
// characters inside them, whose length some indexed form has.
func (ix *Index) findTokens(s string, hits []Hit) []Hit {
	for i := 0; i < len(s); {
		if byteClass[s[i]]&clsBase64 == 0 {
			i++
			continue
		}
		j := i
		for j < len(s) && byteClass[s[j]]&clsBase64 != 0 {
			j++
		}
		if len(ix.b64Lens) > 0 {
			hits = ix.findBase64(s, i, j, hits)
		}
		hits = ix.findHex(s, i, j, hits)
		i = j
	}
	return hits
}

// findBase64 looks up the run s[from:to] and, since a run may join a
// token to its neighbours ("path/<token>", "x-<token>"), the sub-runs of
// each base64 alphabet in it with their trailing padding.
func (ix *Index) findBase64(s string, from, to int, hits []Hit) []Hit {
	look := func(i, j int) bool {
		n := j - i
		if n <= 0 || n >= len(ix.b64Lens) || !ix.b64Lens[n] {
			return false
		}
		rs := ix.b64Forms[s[i:j]]
		for _, r := range rs {
			hits = append(hits, Hit{Kind: r.kind, Key: r.key, Value: r.value, Disguise: r.disguise, Start: i, End: j})
		}
		return len(rs) > 0
	}
	start := from
	for start < to && s[start] == '=' {
		start++
	}
	if look(start, to) {
		return hits
	}
	// Only a run with separators in it has sub-runs worth a look.
	end := to
	for end > start && s[end-1] == '=' {
		end--
	}
	mixed := false
	for k := start; k < end; k++ {
		if byteClass[s[k]]&clsAlnum == 0 {
			mixed = true
			break
		}
	}
	if !mixed {
		return hits
	}
	for _, alphabet := range []uint8{clsURL, clsStd} {
		for i := start; i < to; {
			j := i
			for j < to && byteClass[s[j]]&alphabet != 0 {
				j++
			}
			e := j
			for e < to && e-j < 2 && s[e] == '=' {
				e++
			}
			if (i != start || e != to) && !look(i, e) && e != j {
				look(i, j)
			}
			i = max(e, j+1)
		}
	}
	return hits
}

// findHex looks up the maximal hex runs within s[from:to].
func (ix *Index) findHex(s string, from, to int, hits []Hit) []Hit {
	var lower [256]byte
	for i := from; i < to; {
		if byteClass[s[i]]&clsHex == 0 {
			i++
			continue
		}
		j := i
		upper := false
		for j < to && byteClass[s[j]]&clsHex != 0 {
			if s[j] >= 'A' && s[j] <= 'F' {
				upper = true
			}
			j++
		}
		// A hex run glued to other letters ("x" + digest) is part of a
		// longer word, except for a "0x" prefix.
		glued := i > 0 && isAlnum(s[i-1]) && !(i >= 2 && s[i-1] == 'x' && s[i-2] == '0') || j < len(s) && isAlnum(s[j])
		if n := j - i; !glued && n < len(ix.hexLens) && ix.hexLens[n] {
			key := s[i:j]
			if upper && n <= len(lower) {
				for k := 0; k < n; k++ {
					lower[k] = asciiLower[s[i+k]]
				}
				key = string(lower[:n])
			} else if upper {
				key = strings.ToLower(key)
			}
			for _, r := range ix.hexForms[key] {
				d := r.disguise
				if upper && strings.HasSuffix(d, "-hex") {
					d = strings.TrimSuffix(d, "-hex") + "-HEX"
				} else if upper && d == "hex" {
					d = "HEX"
				}
				hits = append(hits, Hit{Kind: r.kind, Key: r.key, Value: r.value, Disguise: d, Start: i, End: j})
			}
		}
		i = j
	}
	return hits
}
