package decode

import (
	neturl "net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/phiproxy/phiproxy/internal/swar"
)

// url decodes a URL found at s: host, userinfo, each path segment (also
// split into words), matrix parameters, query parameters and the fragment.
// It is lenient: whatever cannot be parsed is kept as text.
func (d *decoder) url(s scope, raw string) {
	rest, frag, hasFrag := strings.Cut(raw, "#")
	rest, query, hasQuery := strings.Cut(rest, "?")
	path := rest
	if i := strings.Index(rest, "://"); i >= 0 && i < 16 {
		auth := rest[i+3:]
		path = ""
		if j := strings.IndexByte(auth, '/'); j >= 0 {
			auth, path = auth[:j], auth[j:]
		}
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			d.text(s.at("url:userinfo", "userinfo"), d.steps.unescape(auth[:at], false))
			auth = auth[at+1:]
		}
		host := auth
		if strings.HasPrefix(host, "[") {
			if j := strings.IndexByte(host, ']'); j >= 0 {
				host = host[1:j]
			}
		} else if j := strings.LastIndexByte(host, ':'); j >= 0 {
			host = host[:j]
		}
		if host != "" {
			d.emit(s.at("url:host", ""), strings.ToLower(host))
		}
	}
	d.pathSegments(s, path)
	if hasQuery {
		d.query(s, query, "query:")
	}
	if hasFrag && frag != "" {
		if looksForm(frag, 1) {
			d.query(s.inner("fragment"), frag, "query:")
		} else {
			d.text(s.at("fragment", ""), d.steps.unescape(frag, false))
		}
	}
}

func (d *decoder) pathSegments(s scope, path string) {
	n := 0
	for seg := range strings.SplitSeq(path, "/") {
		if d.stopped() {
			return
		}
		if seg == "" {
			continue
		}
		n++
		step := indexStep("path", n)
		name, params, hasParams := strings.Cut(seg, ";")
		ss := s.at(step, "")
		name = d.steps.unescape(name, false)
		if name != "" {
			d.text(ss, name)
			if !hasWordBreak(name) {
				// nothing to split
			} else if w := d.steps.splitWords(name); w != name {
				d.emit(ss.inner("words"), w)
			}
		}
		if hasParams {
			for p := range strings.SplitSeq(params, ";") {
				k, v, _ := strings.Cut(p, "=")
				if k == "" && v == "" {
					continue
				}
				k = d.steps.unescape(k, false)
				d.text(ss.at(d.steps.join2("matrix:", k), k), d.steps.unescape(v, false))
			}
		}
	}
}

// query decodes a query string or form body: '&'-separated pairs, '+' as
// space, repeated keys kept in order, bracketed keys ("cd[buttonText]")
// kept whole. prefix is "query:" or "form:".
func (d *decoder) query(s scope, q, prefix string) {
	for q != "" {
		if d.stopped() {
			return
		}
		part := q
		if i := strings.IndexByte(q, '&'); i >= 0 {
			part, q = q[:i], q[i+1:]
		} else {
			q = ""
		}
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k = d.steps.unescape(k, true)
		ss := s.at(d.steps.join2(prefix, k), k)
		ss.query = true
		// One scan tells both whether the value needs unescaping and, when
		// it does not, whether it is plain.
		v = trimEOL(v)
		all, any := classesOf(v, true)
		if any&(classPercent|classPlus) == 0 {
			d.textSniffed(ss, v, plainByClasses(v, all, any))
			continue
		}
		d.text(ss, d.steps.unescape(v, true))
	}
}

// trimEOL drops the line ends a form body may close with; a loop, as
// strings.TrimRight builds its byte set on every call.
func trimEOL(v string) string {
	for len(v) > 0 && (v[len(v)-1] == '\n' || v[len(v)-1] == '\r') {
		v = v[:len(v)-1]
	}
	return v
}

// Unescape undoes percent-encoding leniently, as the decoder reads URLs,
// forms and query strings: valid %XX sequences are decoded, anything else
// is kept as written. plus turns '+' into a space.
func Unescape(s string, plus bool) string {
	i := firstEscape(s, plus)
	if i == len(s) {
		return s
	}
	// The buffer becomes the string without the copy string(b) makes:
	// nothing else refers to it.
	b := make([]byte, len(s))
	n := unescapeInto(b, s, i, plus)
	return unsafe.String(&b[0], n)
}

// unescape is Unescape, carving its result from the arena:
// a query string's pairs take one allocation, not one each.
func (a *TextArena) unescape(s string, plus bool) string {
	i := firstEscape(s, plus)
	if i == len(s) {
		return s
	}
	a.reserve(len(s))
	start := len(a.block)
	n := unescapeInto(a.block[start:start+len(s)], s, i, plus)
	a.block = a.block[:start+n]
	return a.carved(start)
}

// firstEscape returns the index of s's first '%' (or '+' with plus), or
// len(s).
func firstEscape(s string, plus bool) int {
	i := 0
	for ; i < len(s); i++ {
		if s[i] == '%' || (plus && s[i] == '+') {
			break
		}
	}
	return i
}

// unescapeInto writes s unescaped to dst and returns its length; s[:i] has
// nothing to undo. dst must be at least len(s) long (the output is never
// longer). Plain runs between escapes are copied whole.
func unescapeInto(dst []byte, s string, i int, plus bool) int {
	n := copy(dst, s[:i])
	for i < len(s) {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			dst[n] = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 3
		case c == '+' && plus:
			dst[n] = ' '
			i++
		default:
			dst[n] = c
			i++
		}
		n++
		if j := firstEscape(s[i:], plus); j > 0 {
			n += copy(dst[n:], s[i:i+j])
			i += j
		}
	}
	return n
}

// hasEscapes reports whether s holds at least one valid %XX sequence.
func hasEscapes(s string) bool {
	for i := strings.IndexByte(s, '%'); i >= 0 && i+2 < len(s); {
		if isHex(s[i+1]) && isHex(s[i+2]) {
			return true
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// looksForm reports whether s reads as k=v pairs joined by '&' with at
// least minPairs pairs and keys made of token characters, so a sentence
// containing '=' is not mistaken for a form.
func looksForm(s string, minPairs int) bool {
	if strings.ContainsAny(s, " \n\t") {
		return false
	}
	pairs := 0
	for part := range strings.SplitSeq(s, "&") {
		if part == "" {
			continue
		}
		k, _, ok := strings.Cut(part, "=")
		if !ok || k == "" || len(k) > 128 {
			return false
		}
		for i := 0; i < len(k); i++ {
			if !isKeyByte(k[i]) {
				return false
			}
		}
		pairs++
	}
	return pairs >= minPairs
}

func isKeyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '-' || c == '.' || c == '[' || c == ']' || c == '%' || c == '$' || c == '~' || c == ':'
}

// indexSteps caches "path[1]".."path[15]": every URL has a few.
var indexSteps = func() (t [16]string) {
	for i := range t {
		t[i] = "path[" + strconv.Itoa(i) + "]"
	}
	return t
}()

// indexStep names the n-th item of a list location ("path[2]").
func indexStep(name string, n int) string {
	if name == "path" && n < len(indexSteps) {
		return indexSteps[n]
	}
	return name + "[" + strconv.Itoa(n) + "]"
}

// hasWordBreak reports a separator or a capital letter after the first
// character: only then can splitWords change anything.
func hasWordBreak(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' || c == '_' || c == '+' || c == '.' || c == ' ' || c == '~' || c >= 0x80 || i > 0 && 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}

// splitWords turns a slug, snake_case or camelCase name into words joined
// by spaces ("depression-treatment" -> "depression treatment",
// "DepressionTreatment" -> "Depression Treatment"), so dictionary detectors
// match multi-word terms in URL paths. The result is carved from the
// arena.
func (a *TextArena) splitWords(s string) string {
	a.reserve(2 * len(s)) // at most a space before every character
	start := len(a.block)
	var prev rune
	pendingSpace := false
	for i, r := range s {
		if r == utf8.RuneError {
			a.block = a.block[:start]
			return s
		}
		if r == '-' || r == '_' || r == '+' || r == '.' || r == ' ' || r == '~' {
			if len(a.block) > start {
				pendingSpace = true
			}
			prev = r
			continue
		}
		if len(a.block) > start && !pendingSpace {
			// camelCase boundary: lower->Upper, or the last capital of an
			// acronym before a lower-case letter ("HIVTest" -> "HIV Test").
			if unicode.IsUpper(r) && unicode.IsLower(prev) {
				pendingSpace = true
			} else if unicode.IsUpper(r) && unicode.IsUpper(prev) {
				if next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):]); unicode.IsLower(next) {
					pendingSpace = true
				}
			}
		}
		if pendingSpace {
			a.block = append(a.block, ' ')
			pendingSpace = false
		}
		if r < utf8.RuneSelf {
			a.block = append(a.block, byte(r))
		} else {
			a.block = utf8.AppendRune(a.block, r)
		}
		prev = r
	}
	return a.carved(start)
}

// URLPath returns the path url.Parse would give for s, unescaped, or ""
// when url.Parse rejects s. Inspection asks it of every request URL, so
// the common shape ("https://host[:port]/path?query", plain bytes, no
// escapes in the path) is read without url.Parse and its allocations;
// anything else goes through url.Parse.
func URLPath(s string) string {
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(s, "http://"); !ok {
			return slowURLPath(s)
		}
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	host := rest[:end]
	if host == "" || !plainHost(host) {
		return slowURLPath(s)
	}
	path := rest[end:]
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; c <= ' ' || c == '%' || c >= 0x7f {
			return slowURLPath(s)
		}
	}
	// The query and fragment are not checked above: url.Parse rejects a
	// control byte anywhere.
	if hasControl(rest[end+len(path):]) {
		return slowURLPath(s)
	}
	return path
}

// hasControl reports whether s holds a byte below 0x20 or 0x7f, eight
// bytes at a time: a tracker's query string is most of a beacon's URL.
func hasControl(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		// swar.In(x, 0, 0x1f)|swar.In(x, 0x7f, 0x7f), fused: a byte
		// below 0x20 borrows in x-0x20..., a 0x7f byte is zero in
		// x^0x7f... and borrows in y-1...; either sets its high bit,
		// kept for the bytes without their own (&^x). About 1.5% of
		// InspectBeacon less than the two range tests.
		x := swar.Word(s, i)
		y := x ^ 0x7f*swar.Ones
		if ((x-0x20*swar.Ones)|(y-swar.Ones))&^x&swar.Highs != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return true
		}
	}
	return false
}

// plainHost reports a host[:port] url.Parse accepts as it is: letters,
// digits, dots and dashes, then at most a port of digits.
func plainHost(h string) bool {
	name, port, hasPort := strings.Cut(h, ":")
	if name == "" || hasPort && port == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	for i := 0; i < len(port); i++ {
		if port[i] < '0' || port[i] > '9' {
			return false
		}
	}
	return true
}

func slowURLPath(s string) string {
	u, err := neturl.Parse(s)
	if err != nil {
		return ""
	}
	return u.Path
}
