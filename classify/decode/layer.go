package decode

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// text decodes one string value found at s. It tries, in order, the
// structural readings (JSON, JWT, a URL or a form in the string) and then
// the encoding layers (percent, HTML entities, hex, base64, LZString); the
// first that fits wins and its output is decoded again. A string nothing
// fits is emitted as a leaf.
func (d *decoder) text(s scope, v string) {
	d.textSniffed(s, v, plain(v, s.query))
}

// textSniffed is text for a value whose plain verdict is known already,
// from a scan that had to read it anyway.
func (d *decoder) textSniffed(s scope, v string, isPlain bool) {
	if d.full {
		return
	}
	if s.nest >= d.lim.MaxNesting {
		s.trunc = true
		d.note(s, fmt.Sprintf("nesting limit %d reached, not decoded further", d.lim.MaxNesting))
		d.emit(s, v)
		return
	}
	if isPlain || d.inert.has(v, s.query) {
		d.emit(s, v)
		return
	}
	if d.structured(s, v) {
		return
	}
	out, step, ok := d.unwrap(s, v)
	if !ok {
		if d.count >= inertAfter {
			d.inert.remember(v, s.query)
		}
		d.emit(s, v)
		return
	}
	if s.depth >= d.lim.MaxDepth {
		s.trunc = true
		d.note(s, fmt.Sprintf("%s: depth limit %d reached, not decoded", step, d.lim.MaxDepth))
		d.emit(s, v)
		return
	}
	if !d.spend(len(out)) {
		s.trunc = true
		d.note(s, fmt.Sprintf("%s: decoded-byte budget %d exhausted, not decoded", step, d.lim.MaxBytes))
		d.emit(s, v)
		return
	}
	if s.fresh {
		d.emit(s, v)
	}
	d.payload(s.via(step), out, "", true)
}

// inertCache remembers recent short strings that no structure or layer
// fitted, so a batch that repeats a value (the words of a page's path, an
// event ID) sniffs it once. Direct-mapped: a collision only costs a miss.
// Only strings whose verdict depends on nothing but their bytes and the
// query flag are kept: shorter than LZString's minimum of 16 (its output
// limit depends on the budget left) and without the "eyJ"/"H4sI" prefixes
// that may add a note.
type inertCache struct {
	slots *[64]inertEntry // allocated once a request has many fields, then kept by the pooled decoder
}

type inertEntry struct {
	v     string
	query bool
}

// inertAfter is the field count from which verdicts are remembered: small
// beacons do not repeat enough to pay for the cache.
const inertAfter = 64

func inertSlot(v string) int {
	return (len(v)*31 + int(v[0])*7 + int(v[len(v)/2])*5 + int(v[len(v)-1])) & 63
}

func (c *inertCache) has(v string, query bool) bool {
	if c.slots == nil || v == "" {
		return false
	}
	e := &c.slots[inertSlot(v)]
	return e.v == v && e.query == query
}

func (c *inertCache) remember(v string, query bool) {
	t := strings.TrimSpace(v)
	if v == "" || len(v) >= 16 || strings.HasPrefix(t, "eyJ") || strings.HasPrefix(t, "H4sI") {
		return
	}
	if c.slots == nil {
		c.slots = new([64]inertEntry)
	}
	c.slots[inertSlot(v)] = inertEntry{v, query}
}

// Byte classes for plain.
const (
	classSpecial  = 1 << iota // '%' or '&': escapes and entities
	classAlphabet             // base64, base64url, hex and LZString characters
	classHex                  // 0-9, a-f, A-F
	classDigit                // 0-9
	classEquals               // '=': a form, or base64 padding
	classPercent              // '%'
	classPlus                 // '+'
)

// byteClass gives each byte's classes; queryByteClass is the same for
// query values, where a space may stand for an unescaped '+' and so stays
// in base64's alphabet (though no longer in hex's).
var byteClass, queryByteClass = func() (t, q [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c == '%':
			t[c] = classSpecial | classPercent
		case c == '&':
			t[c] = classSpecial
		case c == '+':
			t[c] = classAlphabet | classPlus
		case '0' <= c && c <= '9':
			t[c] = classAlphabet | classHex | classDigit
		case 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F':
			t[c] = classAlphabet | classHex
		case c == '=':
			t[c] = classAlphabet | classEquals
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z',
			c == '/' || c == '-' || c == '_' || c == '$':
			t[c] = classAlphabet
		}
	}
	q = t
	q[' '] = classAlphabet
	return t, q
}()

// plain reports, in one pass, that no structure or layer can apply to v,
// so most ordinary strings skip the sniffers entirely.
func plain(v string, query bool) bool {
	all, any := classesOf(v, query)
	return plainByClasses(v, all, any)
}

// classesOf returns the classes every byte of v has and those any byte
// has, without a branch per byte.
func classesOf(v string, query bool) (all, any uint8) {
	class := &byteClass
	if query {
		class = &queryByteClass
	}
	all = classAlphabet | classHex | classDigit
	for i := 0; i < len(v); i++ {
		c := class[v[i]]
		all &= c
		any |= c
	}
	return all, any
}

// plainByClasses is plain's verdict from v's classes.
func plainByClasses(v string, all, any uint8) bool {
	t := v
	for len(t) > 0 && (t[0] == ' ' || t[0] == '\t' || t[0] == '\r' || t[0] == '\n') {
		t = t[1:]
	}
	if t == "" {
		return true
	}
	if any&classSpecial != 0 {
		return false
	}
	if all&classHex != 0 {
		// Only hex digits, no space: neither a structure (none starts with
		// a hex digit but "e", and a JWT's "eyJ" is not hex) nor a layer
		// other than hex, which unwrap refuses for all digits and for a
		// digest's length unless the digest starts like compressed data.
		return len(v) < 8 || all&classDigit != 0 || isHashHexLen(len(v)) && !hexHeadIsMagic(v)
	}
	switch t[0] {
	case '{', '[', '/', 'h', 'H', 'e':
		return false
	}
	if any&classEquals != 0 && v[0] != '=' {
		return false // maybe a form
	}
	return all&classAlphabet == 0 || len(strings.TrimSpace(v)) < 8
}

// structured handles a string that is itself a structure: JSON, a JWT, a
// URL or a form. It reports whether it took the value.
func (d *decoder) structured(s scope, v string) bool {
	t := strings.TrimSpace(v)
	if len(t) < 2 {
		return false
	}
	switch {
	case looksJSON(t):
		if s.fresh {
			d.emit(s, v)
		}
		if err := d.json(s.inner(""), t, "$"); err != nil && err != errStopped {
			d.note(s, "json: "+err.Error())
		}
		return true
	case looksJWT(t):
		if s.depth >= d.lim.MaxDepth {
			s.trunc = true
			d.note(s, fmt.Sprintf("jwt: depth limit %d reached, not decoded", d.lim.MaxDepth))
			d.emit(s, v)
			return true
		}
		if s.fresh {
			d.emit(s, v)
		}
		d.jwt(s.via("jwt"), t)
		return true
	case looksURL(t):
		if s.fresh {
			d.emit(s, v)
		}
		d.url(s.inner("url"), t)
		return true
	case strings.IndexByte(t, '=') > 0 && strings.IndexByte(t, '&') > 0 && looksForm(t, 2):
		if s.fresh {
			d.emit(s, v)
		}
		ss := s.inner("")
		d.query(ss, t, "form:")
		return true
	}
	return false
}

// jwt decodes the header and claims of a JSON Web Token as JSON leaves
// under "$.header" and "$.claims"; the signature is not data.
func (d *decoder) jwt(s scope, t string) {
	parts := strings.SplitN(t, ".", 3)
	for i, root := range []string{"$.header", "$.claims"} {
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[i], "="))
		if err != nil {
			d.note(s, fmt.Sprintf("%s: base64url: %v", root[2:], err))
			continue
		}
		if !d.spend(len(raw)) {
			d.note(s, "decoded-byte budget exhausted")
			return
		}
		if err := d.json(s.inner(""), view(raw), root); err != nil && err != errStopped {
			d.note(s, root[2:]+": json: "+err.Error())
		}
	}
}

// unwrap tries the encoding layers on v and returns the decoded bytes and
// the step name of the first layer whose output is plausible.
func (d *decoder) unwrap(s scope, v string) ([]byte, string, bool) {
	if hasEscapes(v) {
		// Unescaped straight into the bytes handed on, not into a string
		// copied again. A valid %XX shortens the text, so the output always
		// differs from v.
		out := make([]byte, len(v))
		out = out[:unescapeInto(out, v, firstEscape(v, s.query), s.query)]
		if utf8.Valid(out) || magicOf(out) != "" {
			return out, "percent", true
		}
	}
	if strings.IndexByte(v, '&') >= 0 && hasEntity(v) {
		if out := html.UnescapeString(v); out != v {
			return []byte(out), "html-entities", true
		}
	}
	t := strings.TrimSpace(v)
	if len(t) < 8 {
		return nil, "", false
	}
	sh := shapeOf(t)
	if sh.digitsOnly {
		return nil, "", false
	}
	// A string exactly as long as a digest stays as it is (detectors match
	// digests), unless it decodes to compressed data, which its first
	// bytes tell without decoding the rest.
	if digest := isHashHexLen(len(t)); sh.hex && len(t)%2 == 0 && (!digest || hexHeadIsMagic(t)) {
		// Decoded into the scratch buffer: most tries are rejected, and
		// only an accepted output needs a buffer of its own.
		out := d.scratchFor(hex.DecodedLen(len(t)))
		if n, err := hex.Decode(out, bytesOf(t)); err == nil && plausibleUnlessDigest(out[:n], digest) {
			return bytes.Clone(out[:n]), "hex", true
		}
	}
	if sh.spaceInB64 && s.query {
		// '+' sent unescaped in a query string arrives as a space.
		t = strings.ReplaceAll(t, " ", "+")
		sh = shapeOf(t)
	}
	if (sh.b64std || sh.b64url) && sh.hasLetter && !(sh.hex && isHashHexLen(len(t))) {
		enc := base64.RawStdEncoding
		step := "base64"
		if sh.b64url && !sh.b64std {
			enc = base64.RawURLEncoding
			step = "base64url"
		}
		// Decoded into the scratch buffer, for the same reason as hex.
		src := bytesOf(strings.TrimRight(t, "="))
		out := d.scratchFor(enc.DecodedLen(len(src)))
		if n, err := enc.Decode(out, src); err == nil && n >= 3 && plausibleUnlessDigest(out[:n], isHashB64Len(len(t))) {
			return bytes.Clone(out[:n]), step, true
		}
	}
	if strings.HasPrefix(t, "eyJ") || strings.HasPrefix(t, "H4sI") {
		// base64 of `{"` or of a gzip header: clearly meant as base64, so a
		// failure to read it is worth a note.
		if _, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(toBase64URL.Replace(t), "=")); err != nil {
			d.note(s, "base64: "+err.Error())
			return nil, "", false
		}
	}
	// LZString output uses its whole alphabet: an all-hex token is an ID
	// or a digest, not LZString.
	if len(t) >= 16 && !sh.hex && !strings.ContainsRune(t, ' ') && (sh.lzB64 || sh.lzURI) && sh.hasLetter {
		limit := min(int64(len(t))*int64(d.lim.MaxRatio), d.budget, int64(d.lim.MaxBytes))
		alphabet := lzBase64
		if !sh.lzB64 {
			alphabet = lzURISafe
		}
		if out, err := lzDecompress(t, alphabet, int(limit)); err == nil && plausibleLZ(out) {
			return out, "lzstring", true
		}
	}
	return nil, "", false
}

// toBase64URL rewrites standard base64 into the URL alphabet, so one
// decoder can tell whether either reading of a string fails.
var toBase64URL = strings.NewReplacer("+", "-", "/", "_")

// shape summarises which alphabets a token fits, in one pass.
type shape struct {
	digitsOnly, hex, b64std, b64url, lzURI, hasLetter, spaceInB64 bool
	// lzB64 is LZString's compressToBase64 alphabet, which pads with up
	// to three '='.
	lzB64 bool
}

// Bits of shapeTable: the alphabets a byte belongs to, and what it is.
const (
	inDigits = 1 << iota // stays all-digit (only digits keep it)
	inHex
	inB64Std
	inB64URL
	inLZURI
	isShapeByte // any byte a token may hold
	isLetter
	isSpace
	isPad // '='
)

// shapeTable gives, for each byte, the alphabets that survive it, so
// shapeOf is one lookup and one AND per byte.
var shapeTable = func() (t [256]uint16) {
	all := uint16(inDigits | inHex | inB64Std | inB64URL | inLZURI)
	for c := 0; c < 256; c++ {
		var m uint16
		switch {
		case '0' <= c && c <= '9':
			m = all
		case 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F':
			m = all&^inDigits | isLetter
		case 'g' <= c && c <= 'z' || 'G' <= c && c <= 'Z':
			m = all&^(inDigits|inHex) | isLetter
		case c == '+':
			m = inB64Std | inLZURI
		case c == '/':
			m = inB64Std
		case c == '-':
			m = inB64URL | inLZURI
		case c == '_':
			m = inB64URL
		case c == '$':
			m = inLZURI
		case c == '=':
			m = inB64Std | inB64URL | isPad
		case c == ' ':
			m = inB64Std | isSpace
		default:
			continue
		}
		t[c] = m | isShapeByte
	}
	return t
}()

// shapeOf reads t once and reports the alphabets it fits.
func shapeOf(t string) shape {
	flags := uint16(inDigits | inHex | inB64Std | inB64URL | inLZURI)
	var seen uint16
	pad := 0
	for i := 0; i < len(t); i++ {
		m := shapeTable[t[i]]
		if m == 0 {
			return shape{hasLetter: seen&isLetter != 0}
		}
		seen |= m
		if m&isPad != 0 {
			pad++
		} else if pad > 0 {
			// Only more padding may follow padding.
			flags &^= inB64Std | inB64URL
		}
		flags &= m
	}
	sh := shape{
		digitsOnly: flags&inDigits != 0,
		hex:        flags&inHex != 0,
		b64std:     flags&inB64Std != 0,
		b64url:     flags&inB64URL != 0,
		lzURI:      flags&inLZURI != 0,
		hasLetter:  seen&isLetter != 0,
	}
	sh.lzB64 = sh.b64std && pad <= 3
	if pad > 2 {
		sh.b64std, sh.b64url = false, false
	}
	if seen&isSpace != 0 {
		sh.lzB64 = false
		sh.spaceInB64 = sh.b64std
		sh.b64std = false
	}
	return sh
}

// hexHeadIsMagic reports whether the hex string t (at least 8 hex digits)
// starts with a compression magic.
func hexHeadIsMagic(t string) bool {
	var head [4]byte
	for i := range head {
		head[i] = unhex(t[2*i])<<4 | unhex(t[2*i+1])
	}
	return magicOf(head[:]) != ""
}

// isHashHexLen reports the lengths of md5, sha1, sha256, sha384 and sha512
// in hex: such strings are digests, which detectors match as they are.
func isHashHexLen(n int) bool { return n == 32 || n == 40 || n == 64 || n == 96 || n == 128 }

// isHashB64Len reports the base64 lengths (padded or not) of 16, 20, 32,
// 48 and 64 byte digests.
func isHashB64Len(n int) bool {
	switch n {
	case 22, 24, 27, 28, 43, 44, 64, 86, 88:
		return true
	}
	return false
}

// plausible reports whether bytes produced by a layer are worth decoding
// further: a known compression magic, or mostly printable UTF-8 text.
func plausible(b []byte) bool {
	if magicOf(b) != "" {
		return true
	}
	return plausibleText(b)
}

func plausibleUnlessDigest(b []byte, digestLen bool) bool {
	if digestLen {
		return magicOf(b) != ""
	}
	return plausible(b)
}

// plausibleText accepts valid UTF-8 where at least 95% of the runes are
// printable (all of them for short outputs) and at least one is a letter.
func plausibleText(b []byte) bool {
	if len(b) == 0 || !utf8.Valid(b) {
		return false
	}
	total, bad, letters := 0, 0, 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			i++
			total++
			switch {
			case c >= 0x20 && c < 0x7f:
				if 'a' <= c|0x20 && c|0x20 <= 'z' {
					letters++
				}
			case c == '\n' || c == '\r' || c == '\t':
			default:
				bad++
			}
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		i += n
		total++
		if unicode.IsLetter(r) {
			letters++
		} else if !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			bad++
		}
	}
	if letters == 0 {
		return false
	}
	if total < 16 {
		return bad == 0
	}
	return bad*20 <= total
}

// plausibleLZ is stricter than plausibleText: LZString accepts many
// random strings, so its output must be at least 8 characters of mostly
// ASCII text, as the JSON and text that SDKs compress are.
func plausibleLZ(b []byte) bool {
	if len(b) < 8 || !plausibleText(b) {
		return false
	}
	ascii := 0
	for _, c := range b {
		if c >= 0x20 && c < 0x7f || c == '\n' || c == '\t' || c == '\r' {
			ascii++
		}
	}
	return ascii*10 >= len(b)*9
}

// looksJSON accepts an object or array whose first inner character can
// start a JSON member, so "{ user { name } }" (GraphQL) and "[1/2]" are
// left as text.
func looksJSON(t string) bool {
	open, close := t[0], t[len(t)-1]
	if !(open == '{' && close == '}' || open == '[' && close == ']') {
		return false
	}
	inner := strings.TrimLeft(t[1:], " \t\r\n")
	if inner == "" {
		return false
	}
	c := inner[0]
	if open == '{' {
		return c == '"' || c == '}'
	}
	return c == '"' || c == '{' || c == '[' || c == ']' || c == '-' || '0' <= c && c <= '9' ||
		strings.HasPrefix(inner, "true") || strings.HasPrefix(inner, "false") || strings.HasPrefix(inner, "null")
}

// looksJWT accepts three base64url parts whose first decodes to a JSON
// object (every JWS header starts "eyJ", base64 of `{"`).
func looksJWT(t string) bool {
	if !strings.HasPrefix(t, "eyJ") || strings.Count(t, ".") != 2 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '=') {
			return false
		}
	}
	_, rest, _ := strings.Cut(t, ".")
	return strings.HasPrefix(rest, "eyJ")
}

// maxRelativeURL bounds what reads as an origin-relative path: servers
// refuse request lines past 8 KiB, and a longer text that happens to
// start with '/' is a blob (one in 64 random base64 strings does), whose
// segments would otherwise be searched as path words. Shorter blobs are
// told by their start (see looksURL).
const maxRelativeURL = 8 << 10

// looksURL accepts absolute http(s) URLs and origin-relative paths without
// spaces.
func looksURL(t string) bool {
	if len(t) < 2 || t[0] != '/' && t[0] != 'h' && t[0] != 'H' {
		return false // checked first: most strings are neither
	}
	for i := 0; i < len(t); i++ {
		// A byte loop: strings.ContainsAny builds its set on every call.
		if c := t[i]; c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			return false
		}
	}
	if len(t) > 8 && (strings.EqualFold(t[:7], "http://") || strings.EqualFold(t[:8], "https://")) {
		return true
	}
	if len(t) < 2 || len(t) > maxRelativeURL || t[0] != '/' || t[1] == '/' || t[1] == '*' {
		return false
	}
	// "/9j/" opens the base64 of every JPEG (FF D8 FF), the commonest
	// blob that starts with '/': an image, not a path whose segments
	// would be searched as words.
	return !(strings.HasPrefix(t, "/9j/") && shapeOf(t).b64std)
}

// hasEntity reports an HTML character reference: &name; &#123; &#x1F;
func hasEntity(s string) bool {
	for i := strings.IndexByte(s, '&'); i >= 0; {
		j := i + 1
		if j < len(s) && s[j] == '#' {
			j++
			if j < len(s) && (s[j] == 'x' || s[j] == 'X') {
				j++
			}
		}
		k := j
		for k < len(s) && k-j < 32 && (isHex(s[k]) || 'a' <= s[k]|0x20 && s[k]|0x20 <= 'z' || '0' <= s[k] && s[k] <= '9') {
			k++
		}
		if k > j && k < len(s) && s[k] == ';' {
			return true
		}
		n := strings.IndexByte(s[i+1:], '&')
		if n < 0 {
			return false
		}
		i += n + 1
	}
	return false
}
