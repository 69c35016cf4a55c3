package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify/decode"
)

// Redaction of encoded carriers.
//
// A value is rarely sent as written: a beacon's d=eyJlbWFpbCI6… is base64
// of JSON holding an email, a cookie holds percent-encoded JSON, a body is
// gzip. Replacing the literal value leaves such a carrier whole, and it
// decodes straight back. So every carrier (query value, form field, JSON
// string, header, cookie, path segment, body, WebSocket message) is run
// through the same decoder the inspector uses; when any leaf below it is
// sensitive, the carrier is rewritten: structures the redactor can write
// back (a URL, a form, JSON, lines, multipart) keep their other members
// and only the sensitive ones are redacted, recursively; any other
// carrier (base64, gzip, LZString, a hash...) is replaced whole by a
// placeholder. Every rewrite is checked by decoding it again, and falls
// back to the placeholder when anything sensitive is still there.

// maxRewriteDepth bounds structures rewritten inside structures; deeper
// carriers are replaced whole.
const maxRewriteDepth = 16

// redactLimits are the decoding limits of the redaction checks: deeper than
// the inspector's default so that a carrier the inspector could read is
// never judged clean for lack of depth.
var redactLimits = decode.Limits{MaxDepth: 8}

// flagged reports whether any decoded leaf is sensitive: it mentions a
// registered value (in any ASCII case, or one of its hashes), or it is a
// non-empty value stored under a key that names a person identifier.
func (r *redactor) flagged(fields []phiproxy.Field) bool {
	for i := range fields {
		f := &fields[i]
		if r.mentions(f.Value) || (r.identifierKey(f.Key) && personal(f.Value)) {
			return true
		}
	}
	return false
}

// flaggedValue decodes one string as the inspector decodes a located value.
func (r *redactor) flaggedValue(v, key string) bool {
	if v == "" {
		return false
	}
	return r.flagged(decode.Value(nil, key, v, redactLimits).Fields)
}

// flaggedPayload decodes bytes as a request body with header h (its
// Content-Type and Content-Encoding matter).
func (r *redactor) flaggedPayload(b []byte, h http.Header) bool {
	if len(b) == 0 {
		return false
	}
	f := &phiproxy.Flow{Request: phiproxy.Request{Method: http.MethodPost, Header: h, Body: b, BodySize: int64(len(b))}}
	return r.flagged(decode.Flow(f, redactLimits).Fields)
}

// personal reports whether a value under an identifier key is worth
// redacting: two characters or more (a lenient JSON reading of a
// placeholder yields its first letter), not a boolean or null, not already
// a placeholder.
func personal(v string) bool {
	t := strings.TrimSpace(v)
	switch strings.ToLower(t) {
	case "true", "false", "null", "undefined", "none", "nan":
		return false
	}
	if len(t) < 2 {
		return false
	}
	return strings.Trim(placeholderPattern.ReplaceAllString(t, ""), " \t\r\n\"',;") != ""
}

// value redacts a decoded string found under key and returns it, decoded
// as well: the caller encodes it back for its carrier. A string with
// nothing sensitive below it is returned unchanged.
func (r *redactor) value(v, key string, depth int) string {
	if r == nil || v == "" {
		return v
	}
	cacheKey := [2]string{key, v}
	cached := depth == 0 && len(v) <= maxCachedValue
	if cached {
		if out, ok := r.valueCache[cacheKey]; ok {
			return out
		}
	}
	out := r.redactValue(v, key, depth)
	if cached {
		r.remember(cacheKey, out)
	}
	return out
}

// Bounds of the redactor's value cache: what one value may take, and all
// of them together, so memory stays flat whatever the number of flows.
const (
	maxCachedValue = 4096
	maxCacheBytes  = 2 << 20
)

func (r *redactor) remember(k [2]string, out string) {
	n := len(k[0]) + len(k[1]) + len(out)
	if r.cacheBytes+n > maxCacheBytes {
		return
	}
	r.cacheBytes += n
	r.valueCache[k] = out
}

func (r *redactor) redactValue(v, key string, depth int) string {
	if !r.flaggedValue(v, key) {
		return v
	}
	if depth < maxRewriteDepth {
		if out, ok := r.rewrite(v, key, depth+1); ok && !r.flaggedValue(out, key) {
			return out
		}
	}
	return r.carrierPlaceholder(v)
}

// rewrite redacts the sensitive parts of a structure, or the literal
// matches of plain text.
func (r *redactor) rewrite(v, key string, depth int) (string, bool) {
	t := strings.TrimSpace(v)
	switch {
	case (strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")) && json.Valid([]byte(t)):
		return r.json(t, key, depth)
	case looksAbsoluteURL(t):
		return r.url(t, depth), true
	case looksPairs(t):
		return r.pairs(t, depth), true
	case strings.Contains(t, "\n"):
		return r.lines(v, key, depth), true
	}
	return r.fold(r.text.Replace(v)), true
}

// lines redacts each line of a newline-delimited text on its own.
func (r *redactor) lines(v, key string, depth int) string {
	ls := strings.Split(v, "\n")
	for i, l := range ls {
		trimmed := strings.TrimRight(l, "\r")
		if nl := r.value(trimmed, key, depth); nl != trimmed {
			ls[i] = nl + l[len(trimmed):]
		}
	}
	return strings.Join(ls, "\n")
}

// looksAbsoluteURL reports a scheme followed by "://" near the start.
func looksAbsoluteURL(t string) bool {
	i := strings.Index(t, "://")
	if i <= 0 || i > 16 || strings.ContainsAny(t, " \t\r\n") {
		return false
	}
	for j := 0; j < i; j++ {
		c := t[j]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// looksPairs reports k=v pairs joined by '&' with token keys, at least
// two of them (a lone k=v is read as text), so that
// base64 padding ("eyJ...==") is not read as a pair.
func looksPairs(t string) bool {
	if t == "" || strings.ContainsAny(t, " \t\r\n") || !strings.Contains(t, "=") {
		return false
	}
	n := 0
	for part := range strings.SplitSeq(t, "&") {
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" || strings.HasPrefix(v, "=") {
			return false
		}
		for i := 0; i < len(k); i++ {
			c := k[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_-.[]%$~:", c) >= 0) {
				return false
			}
		}
		n++
	}
	return n >= 2
}

// pairs redacts a query string or form body pair by pair, keeping the
// pairs that hold nothing sensitive byte for byte.
func (r *redactor) pairs(q string, depth int) string {
	parts := strings.Split(q, "&")
	for i, part := range parts {
		if part == "" {
			continue
		}
		k, v, hasValue := strings.Cut(part, "=")
		uk, uv := decode.Unescape(k, true), decode.Unescape(strings.TrimRight(v, "\r\n"), true)
		changed := false
		if nk := r.value(uk, "", depth); nk != uk {
			k, changed = url.QueryEscape(nk), true
		}
		if nv := r.value(uv, uk, depth); nv != uv {
			v, changed = url.QueryEscape(nv), true
		}
		if changed {
			parts[i] = k
			if hasValue {
				parts[i] += "=" + v
			}
		}
	}
	return strings.Join(parts, "&")
}

// url redacts a URL part by part: userinfo, host, each path segment, each
// query parameter, and the fragment.
func (r *redactor) url(raw string, depth int) string {
	rest, frag, hasFrag := strings.Cut(raw, "#")
	rest, query, hasQuery := strings.Cut(rest, "?")
	prefix, path := "", rest
	if i := strings.Index(rest, "://"); i > 0 && i <= 16 {
		auth := rest[i+3:]
		path = ""
		if j := strings.IndexByte(auth, '/'); j >= 0 {
			auth, path = auth[:j], auth[j:]
		}
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			ui := decode.Unescape(auth[:at], false)
			if nu := r.value(ui, "userinfo", depth); nu != ui {
				auth = url.PathEscape(nu) + auth[at:]
			}
		}
		prefix = rest[:i+3] + r.inURL.Replace(auth)
	}
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if seg == "" {
			continue
		}
		u := decode.Unescape(seg, false)
		if nu := r.value(u, "", depth); nu != u {
			segs[i] = url.PathEscape(nu)
		}
	}
	out := prefix + strings.Join(segs, "/")
	if hasQuery {
		out += "?" + r.pairs(query, depth)
	}
	if hasFrag {
		if looksPairs(frag) {
			frag = r.pairs(frag, depth)
		} else if u := decode.Unescape(frag, false); u != "" {
			if nu := r.value(u, "", depth); nu != u {
				frag = url.PathEscape(nu)
			}
		}
		out += "#" + frag
	}
	return out
}

// safeURL redacts a URL and checks the result; a URL still carrying
// something sensitive keeps only its scheme and host.
func (r *redactor) safeURL(raw string) string {
	if r == nil || raw == "" {
		return raw
	}
	cacheKey := [2]string{"\x00url", raw}
	if out, ok := r.valueCache[cacheKey]; ok {
		return out
	}
	out := r.redactURL(raw)
	if len(raw) <= maxCachedValue {
		r.remember(cacheKey, out)
	}
	return out
}

func (r *redactor) redactURL(raw string) string {
	if !r.flaggedValue(raw, "") {
		return r.URL(raw)
	}
	out := r.URL(r.url(raw, 0))
	if !r.flaggedValue(out, "") {
		return out
	}
	origin := ""
	if i := strings.Index(raw, "://"); i > 0 && i <= 16 {
		auth := raw[i+3:]
		if j := strings.IndexAny(auth, "/?#"); j >= 0 {
			auth = auth[:j]
		}
		if at := strings.LastIndexByte(auth, '@'); at >= 0 {
			auth = auth[at+1:]
		}
		origin = raw[:i+3] + r.inURL.Replace(auth)
	}
	return origin + "/" + url.PathEscape(r.carrierPlaceholder(raw))
}

// json redacts the sensitive strings and numbers of a JSON document,
// keeping its members in order.
func (r *redactor) json(t, key string, depth int) (string, bool) {
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	var b bytes.Buffer
	if err := r.jsonValue(dec, &b, key, depth, 0); err != nil {
		return "", false
	}
	return b.String(), true
}

var errJSONDepth = errors.New("json nested too deeply")

func (r *redactor) jsonValue(dec *json.Decoder, b *bytes.Buffer, key string, depth, nest int) error {
	if nest > 64 {
		return errJSONDepth
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		closing := byte('}')
		if t == '[' {
			closing = ']'
		}
		b.WriteByte(byte(t))
		for n := 0; dec.More(); n++ {
			if n > 0 {
				b.WriteByte(',')
			}
			childKey := key
			if t == '{' {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k, _ := kt.(string)
				writeJSONString(b, r.value(k, "", depth))
				b.WriteByte(':')
				childKey = k
			}
			if err := r.jsonValue(dec, b, childKey, depth, nest+1); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		b.WriteByte(closing)
	case string:
		writeJSONString(b, r.value(t, key, depth))
	case json.Number:
		if nv := r.value(t.String(), key, depth); nv != t.String() {
			writeJSONString(b, nv)
		} else {
			b.WriteString(t.String())
		}
	default: // bool, null
		v, _ := json.Marshal(t)
		b.Write(v)
	}
	return nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	b.Truncate(b.Len() - 1)
}

// body redacts a request or response body and returns it with the header
// that describes it. A body with a Content-Encoding is decoded first and
// kept decoded (the header then drops Content-Encoding and says so in
// X-Phiproxy-Redacted); a body that cannot be rewritten is replaced whole.
func (r *redactor) body(b []byte, h http.Header) ([]byte, http.Header) {
	if r == nil || len(b) == 0 || !r.flaggedPayload(b, bodyHeader(h)) {
		return b, h
	}
	h = h.Clone()
	if h == nil {
		h = http.Header{}
	}
	ct := h.Get("Content-Type")
	enc := strings.TrimSpace(strings.Join(h.Values("Content-Encoding"), ","))
	if strings.EqualFold(enc, "identity") {
		enc = ""
	}
	if enc == "" {
		// Datadog's browser intake names its compression here instead.
		enc = strings.TrimSpace(h.Get("Dd-Evp-Encoding"))
	}
	if enc != "" {
		h.Del("Content-Encoding")
		h.Del("Dd-Evp-Encoding")
		decoded, note := decodedBody(b, enc)
		if !strings.HasPrefix(note, "decoded from ") || strings.Contains(note, "truncation") {
			h.Set("X-Phiproxy-Redacted", "encoded body replaced")
			return []byte(r.carrierPlaceholder(string(b))), h
		}
		h.Set("X-Phiproxy-Redacted", "body decoded from "+enc+" before redaction")
		b = decoded
	}
	out := r.payload(b, ct, "", 0)
	if r.flaggedPayload(out, bodyHeader(h)) {
		out = []byte(r.carrierPlaceholder(string(b)))
	}
	return out, h
}

// bodyHeader keeps the headers that say how to read a body.
func bodyHeader(h http.Header) http.Header {
	out := http.Header{}
	for _, k := range []string{"Content-Type", "Content-Encoding", "Dd-Evp-Encoding"} {
		if vs := h.Values(k); len(vs) > 0 {
			out[k] = vs
		}
	}
	return out
}

// payload redacts bytes of content type ct found under key.
func (r *redactor) payload(b []byte, ct, key string, depth int) []byte {
	if mt, params, err := mime.ParseMediaType(ct); err == nil && strings.HasPrefix(mt, "multipart/") && params["boundary"] != "" {
		if out, ok := r.multipart(b, params["boundary"], depth); ok {
			return out
		}
		return []byte(r.carrierPlaceholder(string(b)))
	}
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return []byte(r.carrierPlaceholder(string(b)))
	}
	s := string(b)
	if strings.Contains(strings.TrimSpace(s), "\n") && !json.Valid(b) {
		return []byte(r.lines(s, key, depth))
	}
	return []byte(r.value(s, key, depth))
}

// maxPartBytes bounds one multipart part read for redaction.
const maxPartBytes = 64 << 20

// multipart rewrites a multipart body part by part with the same
// boundary, redacting each part's content and file name.
func (r *redactor) multipart(b []byte, boundary string, depth int) ([]byte, bool) {
	mr := multipart.NewReader(bytes.NewReader(b), boundary)
	var out bytes.Buffer
	mw := multipart.NewWriter(&out)
	if err := mw.SetBoundary(boundary); err != nil {
		return nil, false
	}
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false
		}
		content, err := io.ReadAll(io.LimitReader(p, maxPartBytes))
		if err != nil {
			return nil, false
		}
		name := p.FormName()
		hdr := textproto.MIMEHeader{}
		for k, vs := range p.Header {
			for _, v := range vs {
				if textproto.CanonicalMIMEHeaderKey(k) == "Content-Disposition" {
					v = r.disposition(v, depth)
				} else {
					v = r.value(v, k, depth)
				}
				hdr.Add(k, v)
			}
		}
		w, err := mw.CreatePart(hdr)
		if err != nil {
			return nil, false
		}
		w.Write(r.payload(content, p.Header.Get("Content-Type"), name, depth))
	}
	if err := mw.Close(); err != nil {
		return nil, false
	}
	return out.Bytes(), true
}

// disposition redacts the parameters of a Content-Disposition header.
func (r *redactor) disposition(v string, depth int) string {
	disp, params, err := mime.ParseMediaType(v)
	if err != nil {
		return r.value(v, "", depth)
	}
	changed := false
	for k, pv := range params {
		if nv := r.value(pv, "", depth); nv != pv {
			params[k], changed = nv, true
		}
	}
	if !changed {
		return v
	}
	if out := mime.FormatMediaType(disp, params); out != "" {
		return out
	}
	return r.carrierPlaceholder(v)
}

// cookies redacts a Cookie header value cookie by cookie.
func (r *redactor) cookies(v string) string {
	parts := strings.Split(v, ";")
	for i, part := range parts {
		lead := part[:len(part)-len(strings.TrimLeft(part, " "))]
		name, val, hasValue := strings.Cut(strings.TrimSpace(part), "=")
		changed := false
		if nn := r.value(name, "", 0); nn != name {
			name, changed = cookieSafe(nn), true
		}
		uv := strings.Trim(strings.TrimSpace(val), `"`)
		if nv := r.value(uv, name, 0); nv != uv {
			val, changed = cookieSafe(nv), true
		}
		if !changed {
			continue
		}
		parts[i] = lead + name
		if hasValue {
			parts[i] += "=" + val
		}
	}
	return strings.Join(parts, ";")
}

// setCookie redacts the name and value of a Set-Cookie header, keeping its
// attributes.
func (r *redactor) setCookie(v string) string {
	first, attrs, hasAttrs := strings.Cut(v, ";")
	first = r.cookies(first)
	if hasAttrs {
		return first + ";" + r.fold(r.text.Replace(attrs))
	}
	return first
}

// cookieSafe percent-encodes what a cookie value may not hold.
func cookieSafe(s string) string {
	if strings.ContainsAny(s, " \",;\\") {
		return url.QueryEscape(s)
	}
	return s
}
