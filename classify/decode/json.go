package decode

import (
	"errors"
	"fmt"
	"strconv"
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
	if err := w.value(0, s.key); err != nil {
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

func (w *jsonWalker) leaf(key string) scope { return w.s.at(string(w.path), key) }

func (w *jsonWalker) value(nest int, key string) error {
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
			return w.object(nest)
		}
		return w.array(nest, key)
	case '"':
		str, err := w.str()
		if err != nil {
			return err
		}
		w.d.text(w.leaf(key), str)
		return nil
	case 't', 'f', 'n':
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(w.src)-w.pos >= len(lit) && w.src[w.pos:w.pos+len(lit)] == lit {
				w.pos += len(lit)
				if lit != "null" {
					w.d.emit(w.leaf(key), lit)
				}
				return nil
			}
		}
		return w.bad()
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
			return w.bad()
		}
		w.d.emit(w.leaf(key), w.src[start:w.pos])
		return nil
	}
}

func (w *jsonWalker) object(nest int) error {
	w.pos++ // '{'
	w.space()
	if w.pos < len(w.src) && w.src[w.pos] == '}' {
		w.pos++
		return nil
	}
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
		err = w.value(nest+1, k)
		w.path = w.path[:n]
		if err != nil {
			return err
		}
		w.space()
		if w.pos >= len(w.src) {
			return w.eof()
		}
		switch w.src[w.pos] {
		case ',':
			w.pos++
		case '}':
			w.pos++
			return nil
		default:
			return w.bad()
		}
	}
}

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
		err := w.value(nest+1, key)
		w.path = w.path[:n]
		if err != nil {
			return err
		}
		w.space()
		if w.pos >= len(w.src) {
			return w.eof()
		}
		switch w.src[w.pos] {
		case ',':
			w.pos++
		case ']':
			w.pos++
			return nil
		default:
			return w.bad()
		}
	}
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
	i := start
	for i < len(w.src) {
		c := w.src[i]
		if c == '"' {
			w.pos = i + 1
			return w.src[start:i], nil
		}
		if c == '\\' {
			break
		}
		i++
	}
	if i >= len(w.src) {
		w.pos = len(w.src)
		return "", w.eof()
	}
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
