package decode

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// maxParts bounds multipart parts and envelope items per body.
const maxParts = 1000

// body undoes the declared Content-Encoding (and Datadog's
// dd-evp-encoding), then decodes the payload.
func (d *decoder) body(s scope, b []byte, h http.Header) {
	var encs []string
	for _, v := range h.Values("Content-Encoding") {
		encs = append(encs, strings.Split(v, ",")...)
	}
	for _, v := range h.Values("Dd-Evp-Encoding") {
		encs = append(encs, strings.Split(v, ",")...)
	}
	for i := len(encs) - 1; i >= 0 && i >= len(encs)-4; i-- {
		name := ""
		switch e := strings.ToLower(strings.TrimSpace(encs[i])); e {
		case "", "identity":
			continue
		case "gzip", "x-gzip":
			name = "gzip"
		case "deflate":
			name = "deflate"
			if magicOf(b) == "zlib" {
				name = "zlib"
			}
		case "br":
			name = "brotli"
		case "zstd":
			name = "zstd"
		default:
			d.note(s, fmt.Sprintf("unknown content-encoding %q, read as is", e))
			continue
		}
		if (name == "gzip" || name == "zstd") && magicOf(b) != name {
			d.note(s, fmt.Sprintf("content-encoding says %s but the body is not %s, read as is", name, name))
			continue
		}
		out, cut, ok := d.inflate(s, name, b)
		if !ok {
			break
		}
		b = out
		s = s.via(name)
		s.depth-- // declared encodings do not use up the layer budget
		s.trunc = s.trunc || cut
	}
	d.payload(s, b, h.Get("Content-Type"), true)
}

// bodyDecoder is one way to read a payload. fit says how well it suits the
// content type and bytes (0: not at all); the best fit decodes.
type bodyDecoder struct {
	name   string
	fit    func(ct string, b []byte) int
	decode func(d *decoder, s scope, b []byte, ct string) error
}

// bodyDecoders in no particular order: fit decides. Set in init because
// the decoders recurse into payload, which reads this list.
var bodyDecoders []bodyDecoder

func init() {
	bodyDecoders = []bodyDecoder{
		{"multipart", fitMultipart, (*decoder).multipart},
		{"envelope", fitEnvelope, (*decoder).envelope},
		{"ndjson", fitNDJSON, (*decoder).lines},
		{"lines", fitFormLines, (*decoder).lines},
		{"json", fitJSON, (*decoder).jsonBody},
		{"form", fitForm, func(d *decoder, s scope, b []byte, _ string) error {
			d.query(s, strings.TrimSpace(view(b)), "form:")
			return nil
		}},
		{"xml", fitXML, (*decoder).markup},
		{"graphql", fitGraphQL, func(d *decoder, s scope, b []byte, _ string) error {
			d.text(s.at("graphql", "query"), view(b))
			return nil
		}},
		{"text", fitText, func(d *decoder, s scope, b []byte, _ string) error {
			d.text(s, view(b))
			return nil
		}},
		{"binary", fitBinary, (*decoder).binary},
	}
}

// payload decodes bytes whose type is given by ct (possibly empty or
// wrong): compression found by magic bytes is undone first, then the best
// fitting decoder runs. If it fails without producing anything, the text
// or binary reading is used instead so nothing is lost.
func (d *decoder) payload(s scope, b []byte, ct string, sniffMagic bool) {
	for k := 0; sniffMagic && k < 3; k++ {
		name := magicOf(b)
		if name == "" {
			break
		}
		if s.depth >= d.lim.MaxDepth {
			s.trunc = true
			d.note(s, fmt.Sprintf("%s: depth limit %d reached, not decoded", name, d.lim.MaxDepth))
			break
		}
		out, cut, ok := d.inflate(s, name, b)
		if !ok {
			break
		}
		b = out
		s = s.via(name)
		s.trunc = s.trunc || cut
	}
	if len(b) == 0 || d.full {
		return
	}
	lct := strings.ToLower(ct)
	best, bestFit := -1, 0
	for i, bd := range bodyDecoders {
		if f := bd.fit(lct, b); f > bestFit {
			best, bestFit = i, f
		}
	}
	if best < 0 {
		return
	}
	before := d.count
	err := bodyDecoders[best].decode(d, s, b, ct)
	if err != nil && err != errStopped {
		d.note(s, bodyDecoders[best].name+": "+err.Error())
		if d.count == before {
			if utf8.Valid(b) {
				d.text(s, view(b))
			} else {
				_ = d.binary(s, b, ct)
			}
		}
	}
}

func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

func fitJSON(ct string, b []byte) int {
	c := firstByte(b)
	if strings.Contains(ct, "json") && !strings.Contains(ct, "ndjson") && !strings.Contains(ct, "jsonl") {
		return 90
	}
	if c == '{' || c == '[' {
		return 80
	}
	return 0
}

func fitNDJSON(ct string, b []byte) int {
	if strings.Contains(ct, "ndjson") || strings.Contains(ct, "jsonl") || strings.Contains(ct, "json-seq") {
		return 95
	}
	n := 0
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		line = bytes.TrimRight(line, "\r ")
		if len(line) >= 2 && line[0] == '{' && line[len(line)-1] == '}' {
			n++
			if n >= 2 {
				return 85
			}
		}
	}
	return 0
}

// fitFormLines recognises GA4-style batches: one form-encoded event per
// line.
func fitFormLines(ct string, b []byte) int {
	if !bytes.Contains(b, []byte("\n")) || firstByte(b) == '{' || firstByte(b) == '<' {
		return 0
	}
	n := 0
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			continue
		}
		if !looksForm(string(line), 1) {
			return 0
		}
		n++
	}
	if n >= 2 {
		return 75
	}
	return 0
}

func fitForm(ct string, b []byte) int {
	if strings.Contains(ct, "x-www-form-urlencoded") {
		return 90
	}
	t := bytes.TrimSpace(b)
	if len(t) == 0 || bytes.ContainsAny(t, " \t\r\n") || bytes.IndexByte(t, '=') < 0 {
		return 0
	}
	if looksForm(string(t), 1) {
		return 50
	}
	return 0
}

func fitXML(ct string, b []byte) int {
	if strings.Contains(ct, "xml") || strings.Contains(ct, "html") {
		return 90
	}
	if firstByte(b) == '<' {
		return 60
	}
	return 0
}

func fitGraphQL(ct string, _ []byte) int {
	if strings.Contains(ct, "graphql") && !strings.Contains(ct, "json") {
		return 95
	}
	return 0
}

func fitText(_ string, b []byte) int {
	if utf8.Valid(b) {
		return 10
	}
	return 0
}

func fitBinary(_ string, b []byte) int {
	if !utf8.Valid(b) {
		return 5
	}
	return 0
}

// view reads a payload as a string without copying it. Every payload is
// a Flow's body or message, which never changes once handed to the
// pipeline, or a buffer this decoder made and never writes again, so the
// strings (and the fields cut from them) stay as they were read.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// jsonBody reads a JSON body. A document followed by a line of something
// else (a Sentry replay item: a JSON header line, then zlib data) has the
// rest decoded as a payload of its own.
func (d *decoder) jsonBody(s scope, b []byte, _ string) error {
	// Reserving room for the fields up front spares big documents the
	// copy of all their fields from chunks into one slice.
	d.reserve(jsonFieldEstimate(b))
	// Leaves are substrings of b, so a big document costs no second copy
	// of itself.
	src := view(b)
	end, err := d.jsonValue(s, src, "$")
	if err != nil || end == len(src) {
		return err
	}
	if nl := strings.LastIndexByte(src[:end], '\n'); nl < 0 || strings.TrimLeft(src[nl:end], " \t\r\n") != "" {
		return fmt.Errorf("invalid character %q after top-level value at offset %d", src[end], end)
	}
	d.payload(s, b[end:], "", true)
	return nil
}

// jsonFieldEstimate guesses the leaves of a JSON document: about one per
// member (counted by its ':', a vectorised count), plus a quarter for
// values decoded further (URLs, JSON in strings). Colons inside strings
// inflate the count, so it is capped by the smallest member (`"":0,`)
// and by maxFieldReserve.
func jsonFieldEstimate(b []byte) int {
	members := bytes.Count(b, []byte{':'})
	return min(members+members/4, len(b)/4, maxFieldReserve)
}

// maxFieldReserve bounds the fields reserved ahead of decoding (4 MiB of
// them); a document yielding more continues in chunks.
const maxFieldReserve = 1 << 16

// lines decodes newline-delimited bodies: JSON lines ("ndjson[2]") and
// form-encoded lines ("line[2]"), numbered from 1 over non-empty lines.
func (d *decoder) lines(s scope, b []byte, _ string) error {
	n := 0
	for raw := range bytes.SplitSeq(b, []byte("\n")) {
		if d.full {
			return errStopped
		}
		line := strings.TrimSpace(view(raw))
		if line == "" {
			continue
		}
		n++
		idx := strconv.Itoa(n)
		switch {
		case line[0] == '{' || line[0] == '[':
			ls := s.at("ndjson["+idx+"]", "")
			if err := d.json(ls, line, "$"); err != nil && err != errStopped {
				d.note(ls, "json: "+err.Error())
			}
		case looksForm(line, 1):
			d.query(s.at("line["+idx+"]", ""), line, "form:")
		default:
			d.text(s.at("line["+idx+"]", ""), line)
		}
	}
	return nil
}

func fitMultipart(ct string, b []byte) int {
	if strings.HasPrefix(ct, "multipart/") {
		return 100
	}
	if boundaryOf(b) != "" {
		return 80
	}
	return 0
}

// boundaryOf finds the boundary of a multipart body sent without (or with
// a wrong) Content-Type: the first line is "--boundary".
func boundaryOf(b []byte) string {
	if !bytes.HasPrefix(b, []byte("--")) {
		return ""
	}
	line, _, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return ""
	}
	bnd := strings.TrimRight(string(line[2:]), "\r")
	if bnd == "" || len(bnd) > 70 || strings.ContainsAny(bnd, " \t") {
		return ""
	}
	if !bytes.Contains(b[:min(len(b), 1024)], []byte("Content-Disposition")) && !bytes.Contains(b[:min(len(b), 1024)], []byte("content-disposition")) {
		return ""
	}
	return bnd
}

// multipart decodes each part: its name is the location, its filename a
// field, its content a payload of its own.
func (d *decoder) multipart(s scope, b []byte, ct string) error {
	boundary := ""
	if _, params, err := mime.ParseMediaType(ct); err == nil {
		boundary = params["boundary"]
	}
	if boundary == "" {
		boundary = boundaryOf(b)
	}
	if boundary == "" {
		return errors.New("no boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(b), boundary)
	for i := 0; i < maxParts; i++ {
		if d.full {
			return errStopped
		}
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("part %d: %w", i+1, err)
		}
		name := p.FormName()
		ps := s.at("multipart:"+name, name)
		if fn := p.FileName(); fn != "" {
			d.text(ps.at("filename", "filename"), fn)
			ps = s.at("multipart:"+name, name)
		}
		content, err := io.ReadAll(io.LimitReader(p, d.budget+1))
		if int64(len(content)) > d.budget {
			content = content[:d.budget]
			ps.trunc = true
			d.note(ps, "decoded-byte budget exhausted, truncated")
		}
		d.budget -= int64(len(content))
		if len(content) > 0 {
			d.payload(ps, content, p.Header.Get("Content-Type"), true)
		}
		if err != nil {
			return fmt.Errorf("part %d: %w", i+1, err)
		}
	}
	d.note(s, fmt.Sprintf("multipart: more than %d parts, rest skipped", maxParts))
	return nil
}

func fitEnvelope(ct string, b []byte) int {
	if strings.Contains(ct, "sentry-envelope") {
		return 100
	}
	first, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok || firstByte(first) != '{' {
		return 0
	}
	if !(bytes.Contains(first, []byte(`"event_id"`)) || bytes.Contains(first, []byte(`"sent_at"`)) || bytes.Contains(first, []byte(`"dsn"`))) {
		return 0
	}
	if bytes.HasPrefix(bytes.TrimLeft(rest, " \r\n"), []byte(`{"type"`)) {
		return 90
	}
	return 0
}

// envelope decodes a Sentry envelope: a JSON header line, then items made
// of a JSON item header and a payload of "length" bytes (or one line).
func (d *decoder) envelope(s scope, b []byte, _ string) error {
	header, rest, _ := bytes.Cut(b, []byte("\n"))
	hs := s.at("envelope:header", "")
	if err := d.json(hs, string(bytes.TrimSpace(header)), "$"); err != nil && err != errStopped {
		d.note(hs, "json: "+err.Error())
	}
	for i := 1; len(rest) > 0 && i <= maxParts; i++ {
		if d.full {
			return errStopped
		}
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			i--
			continue
		}
		var item struct {
			Type        string `json:"type"`
			Length      *int   `json:"length"`
			ContentType string `json:"content_type"`
		}
		if err := json.Unmarshal(line, &item); err != nil {
			return fmt.Errorf("item %d header: %w", i, err)
		}
		var data []byte
		if item.Length != nil {
			n := *item.Length
			if n < 0 || n > len(rest) {
				d.note(s, fmt.Sprintf("envelope: item %d length %d beyond body, truncated", i, n))
				n = max(0, min(n, len(rest)))
			}
			data, rest = rest[:n], rest[n:]
			rest = bytes.TrimPrefix(bytes.TrimPrefix(rest, []byte("\r")), []byte("\n"))
		} else {
			data, rest, _ = bytes.Cut(rest, []byte("\n"))
		}
		typ := item.Type
		if typ == "" {
			typ = "item"
		}
		if len(data) > 0 {
			d.payload(s.at("envelope["+strconv.Itoa(i)+"]:"+typ, ""), data, item.ContentType, true)
		}
	}
	return nil
}

// markup emits the text nodes and attribute values of XML or HTML at
// "xml:/a/b" and "xml:/a/b/@attr". It reads leniently (HTML entities and
// unclosed elements) and stops at MaxNesting.
func (d *decoder) markup(s scope, b []byte, _ string) error {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var stack []string
	path := func() string { return "xml:/" + strings.Join(stack, "/") }
	for {
		if d.full {
			return errStopped
		}
		tok, err := dec.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= d.lim.MaxNesting {
				return fmt.Errorf("nesting over %d at %s", d.lim.MaxNesting, path())
			}
			stack = append(stack, t.Name.Local)
			for _, a := range t.Attr {
				if strings.TrimSpace(a.Value) == "" {
					continue
				}
				d.text(s.at(path()+"/@"+a.Name.Local, a.Name.Local), a.Value)
			}
			if isVoidElement(t.Name.Local) {
				stack = stack[:len(stack)-1]
			}
		case xml.EndElement:
			for i := len(stack) - 1; i >= 0; i-- {
				if stack[i] == t.Name.Local {
					stack = stack[:i]
					break
				}
			}
		case xml.CharData:
			if txt := strings.TrimSpace(string(t)); txt != "" {
				key := ""
				if len(stack) > 0 {
					key = stack[len(stack)-1]
				}
				d.text(s.at(path(), key), txt)
			}
		}
	}
}

func isVoidElement(name string) bool {
	switch strings.ToLower(name) {
	case "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr":
		return true
	}
	return false
}

// binary keeps the printable runs (6 characters or more) of bytes that are
// neither text nor a known format, like strings(1): protobuf and other
// binary beacons still carry their text values this way.
func (d *decoder) binary(s scope, b []byte, _ string) error {
	d.note(s, fmt.Sprintf("%d bytes of binary data, kept printable runs only", len(b)))
	ss := s.at("strings", "")
	start := -1
	flush := func(end int) {
		if start >= 0 && end-start >= 6 {
			d.text(ss, view(b[start:end]))
		}
		start = -1
	}
	for i := 0; i < len(b); {
		if d.full {
			return errStopped
		}
		r, n := utf8.DecodeRune(b[i:])
		printable := r != utf8.RuneError && (r >= 0x20 && r != 0x7f || r == '\t')
		if printable && start < 0 {
			start = i
		} else if !printable {
			flush(i)
		}
		i += n
	}
	flush(len(b))
	return nil
}
