package evidence

import (
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify/decode"
	"github.com/phiproxy/phiproxy/store"
)

// minRedactLen is the shortest value replaced inside other text. A finding
// whose value is one or two characters long would otherwise rewrite every
// occurrence of those characters in URLs and bodies; such values are still
// replaced where they stand as a finding's own value.
const minRedactLen = 3

// redactionCoverage is written to the manifest of a redacted bundle so a
// reader knows exactly what was replaced.
const redactionCoverage = "Every file is redacted: HAR (URLs, header names and values, cookies, query strings, request and response bodies, WebSocket messages, findings), findings.json, findings.csv, report.html and the pcap payloads. " +
	"Each carrier (query or form value, path segment, fragment, header, cookie, JSON string, body, multipart part, WebSocket message) is decoded through every layer phiproxy reads (percent, base64, JSON, gzip, zlib, LZString, JWT, URLs inside values...). " +
	"A carrier is sensitive when a decoded leaf holds a matched value (a finding's value, and the normalised term of identifiers) in any ASCII case, or an MD5, SHA-1, SHA-256 or SHA-512 hash (hex, or base64 of SHA-256) of an identifier, " +
	"or when it is a non-empty value under a key that names a person identifier (email, phone, ssn, dob, birth date, zip/postal, address, city, first/last/full name, mrn, member id, card number...), whether a detector reported it or not. " +
	"A sensitive URL, form, JSON document, text with lines or multipart body is rewritten member by member, keeping the others; a plain text has its matches replaced by [kind:first 12 hex digits of HMAC-SHA256(salt, value)]; " +
	"any other carrier (base64, gzip, LZString, hashes...) is replaced whole by [kind:...] or [redacted:HMAC of the carrier]. Every rewrite is decoded again and replaced whole if anything sensitive is left. " +
	"A body sent with Content-Encoding is kept decoded once redacted (X-Phiproxy-Redacted says so). Inside URLs placeholders are percent-encoded. The client address is not exported (the pcap uses a documentation address). " +
	"Values shorter than 3 characters are replaced only where they stand alone as a finding's value. " +
	"The salt is random per bundle and is not written anywhere, so equal values correlate within one bundle only."

// placeholderPattern matches a placeholder, so that a redacted value under
// an identifier key is not redacted again.
var placeholderPattern = regexp.MustCompile(`\[[a-z_]+:[0-9a-f]{12}\]`)

// redactor replaces matched values by salted placeholders. The zero value
// (nil pointer) redacts nothing, so callers need no branches. It is used by
// one goroutine.
type redactor struct {
	salt []byte
	// placeholders maps a plain value to its placeholder.
	placeholders map[string]string
	kinds        map[string]phiproxy.Kind
	text         *strings.Replacer // for text: bodies, headers, findings
	inURL        *strings.Replacer // for URLs: placeholder percent-encoded
	// mask replaces every lower-cased form (value forms and hashes) by as
	// many NUL bytes, so matches are found in any ASCII case with their
	// offsets kept; lowered maps a lower-cased form to its placeholder.
	mask     *strings.Replacer
	lowered  map[string]string
	keyCache map[string]bool
	// valueCache remembers top-level redactions: pages, URLs and finding
	// fields repeat across flows and findings files.
	valueCache map[[2]string]string
	cacheBytes int
}

// newRedactor returns a redactor with a fresh random salt.
func newRedactor() (*redactor, error) {
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("redaction salt: %w", err)
	}
	return &redactor{salt: salt, placeholders: map[string]string{}, kinds: map[string]phiproxy.Kind{},
		lowered: map[string]string{}, keyCache: map[string]bool{}, valueCache: map[[2]string]string{}}, nil
}

// add registers the values of one finding. It must be called for every
// finding before the first replace.
func (r *redactor) add(kind phiproxy.Kind, value, term string) {
	r.addValue(kind, value)
	if !kind.IsHealth() {
		r.addValue(kind, term)
	}
}

func (r *redactor) addValue(kind phiproxy.Kind, v string) {
	if v == "" {
		return
	}
	if _, ok := r.placeholders[v]; ok {
		return
	}
	r.placeholders[v] = "[" + string(kind) + ":" + r.mac(v) + "]"
	r.kinds[v] = kind
}

// mac is the first 12 hex digits of HMAC-SHA256(salt, v).
func (r *redactor) mac(v string) string {
	m := hmac.New(sha256.New, r.salt)
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil))[:12]
}

// build freezes the set of values into replacers. Longer forms are tried
// first so that "jane@example.com" wins over a shorter value inside it.
func (r *redactor) build() {
	type pair struct{ old, placeholder string }
	var pairs []pair
	seen := map[string]bool{}
	addForm := func(form, ph string) {
		if !seen[form] {
			seen[form] = true
			pairs = append(pairs, pair{form, ph})
		}
	}
	// Values first: a registered hash keeps its own placeholder rather
	// than taking that of the value it is a hash of.
	for v, ph := range r.placeholders {
		if len(v) >= minRedactLen {
			for _, form := range valueForms(v) {
				addForm(form, ph)
			}
		}
	}
	for v, ph := range r.placeholders {
		if len(v) >= minRedactLen && !r.kinds[v].IsHealth() {
			for _, h := range hashForms(v) {
				addForm(h, ph)
			}
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if len(pairs[i].old) != len(pairs[j].old) {
			return len(pairs[i].old) > len(pairs[j].old)
		}
		return pairs[i].old < pairs[j].old
	})
	text := make([]string, 0, 2*len(pairs))
	inURL := make([]string, 0, 2*len(pairs))
	mask := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		text = append(text, p.old, p.placeholder)
		inURL = append(inURL, p.old, url.QueryEscape(p.placeholder))
		low := asciiLower(p.old)
		if _, dup := r.lowered[low]; !dup {
			r.lowered[low] = p.placeholder
			mask = append(mask, low, strings.Repeat("\x00", len(low)))
		}
	}
	r.text = strings.NewReplacer(text...)
	r.inURL = strings.NewReplacer(inURL...)
	r.mask = strings.NewReplacer(mask...)
}

// hashForms are the digests trackers send instead of an identifier: MD5,
// SHA-1, SHA-256 and SHA-512 in hex (both cases), and SHA-256 in base64
// (Google's em=tv.1~em.<43 chars>), of the value as written and of its
// usual normalisations (trimmed and lower-cased; digits only, the Meta
// form of a phone number or a date of birth; without spaces and dashes).
func hashForms(v string) []string {
	variants := []string{v, strings.ToLower(strings.TrimSpace(v))}
	digits := strings.Map(func(c rune) rune {
		if '0' <= c && c <= '9' {
			return c
		}
		return -1
	}, v)
	if len(digits) >= 7 {
		variants = append(variants, digits, "+"+digits)
	}
	variants = append(variants, strings.ToLower(strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(v)))
	var out []string
	seen := map[string]bool{}
	for _, x := range variants {
		if seen[x] || x == "" {
			continue
		}
		seen[x] = true
		m5, s1, s256, s512 := md5.Sum([]byte(x)), sha1.Sum([]byte(x)), sha256.Sum256([]byte(x)), sha512.Sum512([]byte(x))
		for _, h := range []string{hex.EncodeToString(m5[:]), hex.EncodeToString(s1[:]), hex.EncodeToString(s256[:]), hex.EncodeToString(s512[:])} {
			out = append(out, h, strings.ToUpper(h))
		}
		out = append(out, base64.RawStdEncoding.EncodeToString(s256[:]), base64.RawURLEncoding.EncodeToString(s256[:]))
	}
	return out
}

// asciiLower lower-cases ASCII letters only, so offsets stay the same.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// mentions reports whether s holds a registered form in any ASCII case.
func (r *redactor) mentions(s string) bool {
	if r == nil || r.mask == nil || len(s) < minRedactLen {
		return false
	}
	w := &matchWriter{low: asciiLower(s)}
	r.mask.WriteString(w, w.low)
	return w.found
}

// matchWriter receives what the mask replacer writes for low: pieces of
// low itself and, for a match, a run of NULs that differs from the text
// it replaces (no registered form is made of NULs). It stops the replacer
// at the first match, so a check costs no copy of the text.
type matchWriter struct {
	low   string
	pos   int
	found bool
}

var errMatched = errors.New("matched")

func (w *matchWriter) Write(p []byte) (int, error) { return w.WriteString(string(p)) }

func (w *matchWriter) WriteString(s string) (int, error) {
	if w.pos+len(s) > len(w.low) || w.low[w.pos:w.pos+len(s)] != s {
		w.found = true
		return 0, errMatched
	}
	w.pos += len(s)
	return len(s), nil
}

// fold replaces the registered forms s holds in any ASCII case; each run
// of matched bytes becomes one placeholder.
func (r *redactor) fold(s string) string {
	if r == nil || r.mask == nil || s == "" {
		return s
	}
	low := asciiLower(s)
	masked := r.mask.Replace(low)
	if masked == low {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if masked[i] != 0 || low[i] == 0 {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && masked[j] == 0 && low[j] != 0 {
			j++
		}
		ph, ok := r.lowered[low[i:j]]
		if !ok {
			ph = "[redacted:" + r.mac(low[i:j]) + "]"
		}
		b.WriteString(ph)
		i = j
	}
	return b.String()
}

// carrierPlaceholder is what replaces a whole carrier: the placeholder of
// the value when the carrier is exactly a registered value, otherwise one
// derived from the carrier itself.
func (r *redactor) carrierPlaceholder(v string) string {
	if ph, ok := r.placeholders[strings.TrimSpace(v)]; ok {
		return ph
	}
	if ph, ok := r.lowered[asciiLower(strings.TrimSpace(v))]; ok {
		return ph
	}
	return "[redacted:" + r.mac(v) + "]"
}

// valueForms lists the literal forms of v that are replaced.
func valueForms(v string) []string {
	forms := []string{v, url.QueryEscape(v), url.PathEscape(v), url.QueryEscape(url.QueryEscape(v)),
		strings.ReplaceAll(url.QueryEscape(v), "+", "%20")}
	// base64 of a short value is only meaningful when it is the whole
	// encoded token; an unpadded form covers both padded and unpadded use.
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if b := enc.EncodeToString([]byte(v)); len(b) >= 8 {
			forms = append(forms, b)
		}
	}
	return forms
}

// Text redacts free text: registered values in their literal forms.
func (r *redactor) Text(s string) string {
	if r == nil || s == "" {
		return s
	}
	if ph, ok := r.placeholders[s]; ok {
		return ph
	}
	return r.text.Replace(s)
}

// Bytes redacts a body literally.
func (r *redactor) Bytes(b []byte) []byte {
	if r == nil || len(b) == 0 {
		return b
	}
	s := r.Text(string(b))
	return []byte(s)
}

// URL redacts a URL literally, keeping it a valid URI.
func (r *redactor) URL(s string) string {
	if r == nil || s == "" {
		return s
	}
	return r.inURL.Replace(s)
}

// Placeholder returns what v is replaced by: its placeholder when it is a
// registered value, otherwise v with its sensitive parts redacted.
func (r *redactor) Placeholder(v string) string {
	if r == nil {
		return v
	}
	if ph, ok := r.placeholders[v]; ok {
		return ph
	}
	return r.free(v)
}

// free redacts a string of unknown shape (a note, a field, a name).
func (r *redactor) free(s string) string {
	if r == nil || s == "" {
		return s
	}
	return r.value(r.Text(s), "", 0)
}

// bodyHeaders are left to body, which rewrites them with the body.
var bodyHeaders = map[string]bool{"Content-Type": true, "Content-Encoding": true, "Dd-Evp-Encoding": true,
	"Content-Length": true, "Transfer-Encoding": true}

// header redacts header names and values. URLs (Referer, Origin, Location)
// and cookies are redacted part by part; other values as carriers under the
// header's name.
//
// A header map whose flow decoded to nothing sensitive (deep false) only
// has its literal matches replaced.
func (r *redactor) header(h http.Header, deep bool) http.Header {
	if r == nil || h == nil {
		return h
	}
	if !deep {
		out := make(http.Header, len(h))
		for k, vs := range h {
			rk := r.fold(r.Text(k))
			for _, v := range vs {
				out[rk] = append(out[rk], r.fold(r.Text(v)))
			}
		}
		return out
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		canon := http.CanonicalHeaderKey(k)
		rk := r.Text(k)
		if r.mentions(rk) {
			rk = r.carrierPlaceholder(k)
		}
		for _, v := range vs {
			switch {
			case canon == "Referer" || canon == "Origin" || canon == "Location" || canon == "Content-Location":
				v = r.safeURL(v)
			case canon == "Cookie":
				v = r.cookies(r.Text(v))
			case canon == "Set-Cookie":
				v = r.setCookie(r.Text(v))
			case canon == "Authorization":
				if scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " "); ok && !strings.ContainsAny(scheme, "=,") {
					v = scheme + " " + r.value(strings.TrimSpace(cred), canon, 0)
				} else {
					v = r.value(v, canon, 0)
				}
			case bodyHeaders[canon]:
				v = r.Text(v)
			default:
				v = r.value(r.Text(v), canon, 0)
			}
			out[rk] = append(out[rk], v)
		}
	}
	return out
}

// message redacts one WebSocket message; a binary message replaced by a
// placeholder becomes a text message.
func (r *redactor) message(m phiproxy.WSMessage) phiproxy.WSMessage {
	ct := "text/plain"
	if m.Binary {
		ct = ""
	}
	h := http.Header{}
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	if !r.flaggedPayload(m.Data, h) {
		m.Data = r.Bytes(m.Data)
		return m
	}
	out := r.payload(m.Data, ct, "", 0)
	if r.flaggedPayload(out, h) {
		out = []byte(r.carrierPlaceholder(string(m.Data)))
	}
	if m.Binary && !bytes.Equal(out, m.Data) {
		m.Binary = false
	}
	m.Data = out
	return m
}

// flow returns a redacted copy of d; d is not modified.
func (r *redactor) flow(d *store.FlowDetail) *store.FlowDetail {
	if r == nil {
		return d
	}
	c := *d
	f := &c.Flow
	// The browser's address is an identifier of the person: the pcap then
	// uses a documentation address instead.
	f.ClientAddr = ""
	if ip := serverIP(f.ServerAddr); ip != "" && (r.placeholders[ip] != "" || r.mentions(ip)) {
		f.ServerAddr = ""
	}
	f.Page = r.safeURL(f.Page)
	f.Error = r.free(f.Error)
	f.ConnectTarget = r.Text(f.ConnectTarget)
	f.Request.Host = r.Text(f.Request.Host)
	// Most requests and responses carry nothing sensitive: one decode of
	// each tells, and spares decoding each of its parts.
	if r.flagged(decode.Flow(&d.Flow, redactLimits).Fields) {
		f.Request.URL = r.safeURL(f.Request.URL)
		f.Request.Header = r.header(f.Request.Header, true)
		f.Request.Body, f.Request.Header = r.body(r.Bytes(f.Request.Body), f.Request.Header)
	} else {
		f.Request.URL = r.URL(f.Request.URL)
		f.Request.Header = r.header(f.Request.Header, false)
		f.Request.Body = r.Bytes(f.Request.Body)
	}
	if d.Flow.Response != nil {
		resp := *d.Flow.Response
		// The decoder reads requests: the response's headers and body
		// are read as those of one.
		asRequest := &phiproxy.Flow{Request: phiproxy.Request{Method: http.MethodPost, Header: resp.Header, Body: resp.Body, BodySize: int64(len(resp.Body))}}
		if r.flagged(decode.Flow(asRequest, redactLimits).Fields) {
			resp.Header = r.header(resp.Header, true)
			resp.Body, resp.Header = r.body(r.Bytes(resp.Body), resp.Header)
		} else {
			resp.Header = r.header(resp.Header, false)
			resp.Body = r.Bytes(resp.Body)
		}
		f.Response = &resp
	}
	if len(d.Flow.WebSocket) > 0 {
		f.WebSocket = make([]phiproxy.WSMessage, len(d.Flow.WebSocket))
		for i, m := range d.Flow.WebSocket {
			f.WebSocket[i] = r.message(m)
		}
	}
	in := &c.Inspection
	in.Destination.Host = r.Text(in.Destination.Host)
	in.Destination.Domain = r.Text(in.Destination.Domain)
	in.Notes = make([]string, len(d.Inspection.Notes))
	for i, n := range d.Inspection.Notes {
		in.Notes[i] = r.free(n)
	}
	in.Notes = phiproxy.RedactRecordedValues(in.Notes)
	in.Findings = make([]phiproxy.Finding, len(d.Inspection.Findings))
	for i, fd := range d.Inspection.Findings {
		in.Findings[i] = r.finding(fd)
	}
	return &c
}

// finding redacts one finding: its value, term, field and path. The match
// offsets are moved to the placeholder inside the redacted field so the
// report can still highlight it.
func (r *redactor) finding(fd phiproxy.Finding) phiproxy.Finding {
	if r == nil {
		return fd
	}
	ph := r.Placeholder(fd.Value)
	fd.Field = r.value(r.Text(fd.Field), keyOfPath(fd.Path), 0)
	fd.Value = ph
	fd.Term = r.Placeholder(fd.Term)
	fd.Path = r.path(fd.Path)
	fd.Start, fd.End = 0, 0
	if i := strings.Index(fd.Field, ph); i >= 0 && fd.Field != ph {
		fd.Start, fd.End = i, i+len(ph)
	}
	return fd
}

// path redacts a decoding chain step by step: a location's name may itself
// be a value ("cookie:jane@example.com", "query:eyJ...").
func (r *redactor) path(p string) string {
	if r == nil || p == "" {
		return p
	}
	steps := strings.Split(p, " > ")
	for i, step := range steps {
		if loc, name, ok := strings.Cut(step, ":"); ok && name != "" {
			if nn := r.free(name); nn != name {
				steps[i] = loc + ":" + nn
			}
		} else {
			steps[i] = r.free(step)
		}
	}
	return strings.Join(steps, " > ")
}

// keyOfPath is the key of a finding's field: the name of the last
// location of its chain ("json:$.user.email" -> "email").
func keyOfPath(p string) string {
	steps := strings.Split(p, " > ")
	for i := len(steps) - 1; i >= 0; i-- {
		loc, name, ok := strings.Cut(steps[i], ":")
		if !ok {
			continue
		}
		if loc == "json" {
			name = strings.TrimRight(name, "]0123456789[")
			if j := strings.LastIndexAny(name, ".["); j >= 0 {
				name = strings.Trim(name[j+1:], `"']`)
			}
		}
		return name
	}
	return ""
}

// row redacts a findings.json / findings.csv row.
func (r *redactor) row(fr store.FindingRow) store.FindingRow {
	if r == nil {
		return fr
	}
	fd := r.finding(phiproxy.Finding{Kind: fr.Kind, Term: fr.Term, Value: fr.Value, Path: fr.Path, Field: fr.Field, Start: fr.MatchStart, End: fr.MatchEnd})
	fr.Term, fr.Value, fr.Path, fr.Field, fr.MatchStart, fr.MatchEnd = fd.Term, fd.Value, fd.Path, fd.Field, fd.Start, fd.End
	fr.URL = r.safeURL(fr.URL)
	fr.Page = r.safeURL(fr.Page)
	fr.Host = r.Text(fr.Host)
	return fr
}
