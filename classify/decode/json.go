package decode

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// errStopped ends a walk early because the field limit was reached; it is
// not a problem with the input and is not noted.
var errStopped = errors.New("field limit reached")

// maxSkippedText bounds the raw text kept for a JSON subtree nested past
// MaxNesting.
const maxSkippedText = 64 << 10

// json walks a JSON document and emits every string, number and boolean
// as a leaf at "json:<root>.a.b[0]". String leaves are decoded further.
//
// A leaf's Key is its member name, except in name/value pairs: analytics
// and form tools send {"name": "zip", "value": "97403"}, {"key":
// "diagnosis", "value": "asthma"} or GA4 {"key": "x", "value":
// {"string_value": "y"}}. In an object with a "name", "key", "field" or
// "id" string member (in that order of preference, at most
// maxPairLabel bytes) and a "value" member, the leaves of the value take
// that string as their Key — a scalar value, the elements of an array
// value, and the members of an object value that are themselves generic
// value holders ("value", "string_value", "intValue"...). The path stays
// as written ("json:$.params[0].value").
// Nesting beyond MaxNesting is skipped iteratively and kept as one
// truncated text leaf, so a deeply nested document costs neither stack nor
// quadratic time. On a syntax error the leaves read so far stay and the
// error says where it stopped.
func (d *decoder) json(s scope, src, root string) error {
	end, err := d.jsonValue(s, src, root)
	if err != nil {
		return err
	}
	if end < len(src) {
		return fmt.Errorf("invalid character %q after top-level value at offset %d", src[end], end)
	}
	return nil
}

// jsonValue walks the first JSON value of src and returns the offset after
// it and the whitespace that follows.
func (d *decoder) jsonValue(s scope, src, root string) (int, error) {
	w := jsonWalker{d: d, s: s, src: src}
	w.path = append(make([]byte, 0, 64), "json:"+root...)
	w.space()
	if w.pos >= len(src) {
		return w.pos, errors.New("unexpected end of JSON input at offset 0")
	}
	if err := w.value(0, s.key, false); err != nil {
		return w.pos, err
	}
	w.space()
	return w.pos, nil
}

type jsonWalker struct {
	d    *decoder
	s    scope
	src  string
	pos  int
	path []byte // "json:$.a.b[0]", grown and cut back as the walk goes
}

func (w *jsonWalker) space() {
	for w.pos < len(w.src) {
		switch w.src[w.pos] {
		case ' ', '\t', '\n', '\r':
			w.pos++
		default:
			return
		}
	}
}

func (w *jsonWalker) eof() error {
	return fmt.Errorf("unexpected end of JSON input at offset %d", w.pos)
}

func (w *jsonWalker) bad() error {
	return fmt.Errorf("invalid character %q at offset %d", w.src[w.pos], w.pos)
}

// leaf is the scope of the value at the current path; the path is carved
// from the arena since every leaf needs its own.
func (w *jsonWalker) leaf(key string) scope { return w.s.at(w.d.steps.fromBytes(w.path), key) }

// value walks one value; key is its member name, or, with labelled set,
// the label of a name/value pair whose value this is.
func (w *jsonWalker) value(nest int, key string, labelled bool) error {
	if w.d.full {
		return errStopped
	}
	if w.pos >= len(w.src) {
		return w.eof()
	}
	switch c := w.src[w.pos]; c {
	case '{', '[':
		if nest >= w.d.lim.MaxNesting {
			return w.skip(key)
		}
		if c == '{' {
			label := ""
			if labelled {
				label = key
			}
			return w.object(nest, label)
		}
		return w.array(nest, key)
	default:
		sc, err := w.scalar()
		if err != nil || sc.isNull {
			return err // null is no value: it needs no path or chain
		}
		w.emitScalar(w.leaf(key), sc)
		return nil
	}
}

// jsonScalar is a string, number or literal read from the document.
type jsonScalar struct {
	text     string
	isString bool
	isNull   bool
}

// scalar reads the string, number, true, false or null at w.pos.
func (w *jsonWalker) scalar() (jsonScalar, error) {
	switch w.src[w.pos] {
	case '"':
		str, err := w.str()
		return jsonScalar{text: str, isString: true}, err
	case 't', 'f', 'n':
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(w.src)-w.pos >= len(lit) && w.src[w.pos:w.pos+len(lit)] == lit {
				w.pos += len(lit)
				return jsonScalar{text: lit, isNull: lit == "null"}, nil
			}
		}
		return jsonScalar{}, w.bad()
	default:
		start := w.pos
		for w.pos < len(w.src) {
			c := w.src[w.pos]
			if '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
				w.pos++
				continue
			}
			break
		}
		if w.pos == start {
			return jsonScalar{}, w.bad()
		}
		return jsonScalar{text: w.src[start:w.pos]}, nil
	}
}

// emitScalar emits a scalar leaf: strings are decoded further, null is
// no value.
func (w *jsonWalker) emitScalar(s scope, sc jsonScalar) {
	switch {
	case sc.isString:
		w.d.text(s, sc.text)
	case !sc.isNull:
		w.d.emit(s, sc.text)
	}
}

// maxPairLabel bounds the label of a name/value pair: longer strings are
// text, not field names.
const maxPairLabel = 64

// pairLabelRank ranks the members that can name a pair's value; 0 means
// the member cannot.
func pairLabelRank(k string) int {
	switch k {
	case "name", "Name":
		return 4
	case "key", "Key":
		return 3
	case "field", "Field":
		return 2
	case "id", "Id", "ID":
		return 1
	}
	return 0
}

func isPairValue(k string) bool { return k == "value" || k == "Value" }

// genericValueKeys are member names that only hold a value (GA4
// Measurement Protocol, protobuf JSON): under a labelled pair their leaves
// take the label.
var genericValueKeys = map[string]bool{
	"value": true, "Value": true, "values": true,
	"string_value": true, "stringValue": true, "int_value": true, "intValue": true,
	"float_value": true, "floatValue": true, "double_value": true, "doubleValue": true,
	"bool_value": true, "boolValue": true, "number_value": true, "numberValue": true,
}

// usableLabel reports whether a string may serve as a pair's label.
func usableLabel(s string) bool {
	if s == "" || len(s) > maxPairLabel {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' {
			return false
		}
	}
	return true
}

// object walks an object. label, when set, is the label of the
// name/value pair this object is the value of.
func (w *jsonWalker) object(nest int, label string) error {
	w.pos++ // '{'
	w.space()
	if w.pos < len(w.src) && w.src[w.pos] == '}' {
		w.pos++
		return nil
	}
	// The pair's own label: the best-ranked name member seen so far.
	pair, pairRank := "", 0
	// A scalar "value" seen before any name member waits for the end of
	// the object, when the label is known.
	var (
		deferred     jsonScalar
		deferredPath string
		hasDeferred  bool
	)
	for {
		w.space()
		if w.pos >= len(w.src) {
			return w.eof()
		}
		if w.src[w.pos] != '"' {
			return w.bad()
		}
		k, err := w.str()
		if err != nil {
			return err
		}
		w.space()
		if w.pos >= len(w.src) {
			return w.eof()
		}
		if w.src[w.pos] != ':' {
			return w.bad()
		}
		w.pos++
		w.space()
		n := len(w.path)
		w.path = appendJSONKey(w.path, k)
		if r := pairLabelRank(k); r > pairRank && w.pos < len(w.src) && w.src[w.pos] == '"' {
			// Read the label ahead; the member is then walked as usual.
			at := w.pos
			if str, err := w.str(); err == nil && usableLabel(str) {
				pair, pairRank = str, r
			}
			w.pos = at
		}
		switch {
		case isPairValue(k) && pair == "" && !hasDeferred && w.pos < len(w.src) && !isContainerStart(w.src[w.pos]):
			deferred, err = w.scalar()
			deferredPath, hasDeferred = w.d.steps.fromBytes(w.path), true
		case isPairValue(k) && pair != "":
			err = w.value(nest+1, pair, true)
		case label != "" && genericValueKeys[k]:
			err = w.value(nest+1, label, true)
		default:
			err = w.value(nest+1, k, false)
		}
		w.path = w.path[:n]
		if err != nil {
			return err
		}
		done, err := w.afterMember('}')
		if err != nil {
			return err
		}
		if !done {
			continue
		}
		if hasDeferred {
			key := "value"
			if pair != "" {
				key = pair
			}
			w.emitScalar(w.s.at(deferredPath, key), deferred)
		}
		return nil
	}
}

func isContainerStart(c byte) bool { return c == '{' || c == '[' }

func (w *jsonWalker) array(nest int, key string) error {
	w.pos++ // '['
	w.space()
	if w.pos < len(w.src) && w.src[w.pos] == ']' {
		w.pos++
		return nil
	}
	for i := 0; ; i++ {
		w.space()
		n := len(w.path)
		w.path = append(w.path, '[')
		w.path = strconv.AppendInt(w.path, int64(i), 10)
		w.path = append(w.path, ']')
		err := w.value(nest+1, key, false)
		w.path = w.path[:n]
		if err != nil {
			return err
		}
		if done, err := w.afterMember(']'); err != nil || done {
			return err
		}
	}
}

// afterMember steps over the ',' or the closing byte that follows an
// object member or array element; done reports the closing byte.
func (w *jsonWalker) afterMember(closing byte) (done bool, err error) {
	w.space()
	if w.pos >= len(w.src) {
		return false, w.eof()
	}
	switch w.src[w.pos] {
	case ',':
		w.pos++
		return false, nil
	case closing:
		w.pos++
		return true, nil
	}
	return false, w.bad()
}

// skip passes over a value nested too deep without recursion and keeps
// its raw text (bounded) as one truncated leaf.
func (w *jsonWalker) skip(key string) error {
	start := w.pos
	depth := 0
	for w.pos < len(w.src) {
		switch w.src[w.pos] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			if _, err := w.str(); err != nil {
				return err
			}
			continue
		}
		w.pos++
		if depth == 0 {
			break
		}
	}
	if depth != 0 {
		return w.eof()
	}
	s := w.leaf(key)
	s.trunc = true
	w.d.note(s, fmt.Sprintf("json: nesting over %d, kept as text", w.d.lim.MaxNesting))
	raw := w.src[start:w.pos]
	if len(raw) > maxSkippedText {
		raw = raw[:maxSkippedText]
	}
	w.d.emit(s, raw)
	return nil
}

// str reads a JSON string at w.pos (the opening quote). Strings without
// escapes are returned as substrings of the input, without copying.
func (w *jsonWalker) str() (string, error) {
	start := w.pos + 1
	rest := w.src[start:]
	// Two vectorised searches beat a byte loop on all but the shortest
	// strings; the slow path starts at the first backslash.
	q := strings.IndexByte(rest, '"')
	if q < 0 {
		q = len(rest)
	}
	e := strings.IndexByte(rest[:q], '\\')
	if e < 0 {
		if q == len(rest) {
			w.pos = len(w.src)
			return "", w.eof()
		}
		w.pos = start + q + 1
		return rest[:q], nil
	}
	i := start + e
	b := make([]byte, 0, i-start+16)
	b = append(b, w.src[start:i]...)
	for i < len(w.src) {
		c := w.src[i]
		switch {
		case c == '"':
			w.pos = i + 1
			return string(b), nil
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(w.src) {
			break
		}
		e := w.src[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(w.src, i)
			if !ok {
				w.pos = i
				return "", fmt.Errorf("invalid \\u escape at offset %d", i)
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(w.src, i+2); ok && i+1 < len(w.src) && w.src[i] == '\\' && w.src[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						i += 6
						b = utf8.AppendRune(b, dec)
						continue
					}
				}
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
		default:
			w.pos = i - 1
			return "", fmt.Errorf("invalid escape %q at offset %d", e, i-1)
		}
	}
	w.pos = len(w.src)
	return "", w.eof()
}

func hex4(s string, i int) (rune, bool) {
	if i < 0 || i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	return r, true
}

// appendJSONKey writes ".key" for identifier-like keys and `["key"]`
// otherwise, so paths stay unambiguous.
func appendJSONKey(p []byte, k string) []byte {
	plain := k != ""
	for i := 0; i < len(k) && plain; i++ {
		c := k[i]
		plain = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '$' || c == '-' || c == '@'
	}
	if plain {
		p = append(p, '.')
		return append(p, k...)
	}
	p = append(p, '[')
	p = strconv.AppendQuote(p, k)
	return append(p, ']')
}
