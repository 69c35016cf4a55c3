package evidence

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

// minRedactLen is the shortest value replaced inside other text. A finding
// whose value is one or two characters long would otherwise rewrite every
// occurrence of those characters in URLs and bodies; such values are still
// replaced where they stand as a finding's own value.
const minRedactLen = 3

// redactionCoverage is written to the manifest of a redacted bundle so a
// reader knows exactly what was replaced.
const redactionCoverage = "Every matched value (a finding's value, and the normalised term of identifiers) is replaced by [kind:first 12 hex digits of HMAC-SHA256(salt, value)] " +
	"in every file: HAR (URLs, header names and values, cookies, query strings, request and response bodies, WebSocket messages, findings), findings.json, findings.csv, report.html and the pcap payloads. " +
	"Forms replaced where they literally occur: the plain value, its percent-encoded forms (query form with '+' for space, path form with %20, and percent-encoded twice) and its standard and URL-safe base64 forms. " +
	"Inside URLs the placeholder itself is percent-encoded. The client address is not exported (the pcap uses a documentation address). Values shorter than 3 characters are replaced only where they stand alone as a finding's value. " +
	"Not covered: values inside compressed or otherwise re-encoded bodies (gzip, JSON unicode escapes, hashes of the value). " +
	"The salt is random per bundle and is not written anywhere, so equal values correlate within one bundle only."

// redactor replaces matched values by salted placeholders. The zero value
// (nil pointer) redacts nothing, so callers need no branches.
type redactor struct {
	salt []byte
	// placeholders maps a plain value to its placeholder.
	placeholders map[string]string
	kinds        map[string]phiproxy.Kind
	text         *strings.Replacer // for text: bodies, headers, findings
	inURL        *strings.Replacer // for URLs: placeholder percent-encoded
}

// newRedactor returns a redactor with a fresh random salt.
func newRedactor() (*redactor, error) {
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("redaction salt: %w", err)
	}
	return &redactor{salt: salt, placeholders: map[string]string{}, kinds: map[string]phiproxy.Kind{}}, nil
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
	mac := hmac.New(sha256.New, r.salt)
	mac.Write([]byte(v))
	r.placeholders[v] = "[" + string(kind) + ":" + hex.EncodeToString(mac.Sum(nil))[:12] + "]"
	r.kinds[v] = kind
}

// build freezes the set of values into replacers. Longer forms are tried
// first so that "jane@example.com" wins over a shorter value inside it.
func (r *redactor) build() {
	type pair struct{ old, placeholder string }
	var pairs []pair
	seen := map[string]bool{}
	for v, ph := range r.placeholders {
		if len(v) < minRedactLen {
			continue
		}
		for _, form := range valueForms(v) {
			if !seen[form] {
				seen[form] = true
				pairs = append(pairs, pair{form, ph})
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
	for _, p := range pairs {
		text = append(text, p.old, p.placeholder)
		inURL = append(inURL, p.old, url.QueryEscape(p.placeholder))
	}
	r.text = strings.NewReplacer(text...)
	r.inURL = strings.NewReplacer(inURL...)
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

// Text redacts free text.
func (r *redactor) Text(s string) string {
	if r == nil || s == "" {
		return s
	}
	if ph, ok := r.placeholders[s]; ok {
		return ph
	}
	return r.text.Replace(s)
}

// Bytes redacts a body.
func (r *redactor) Bytes(b []byte) []byte {
	if r == nil || len(b) == 0 {
		return b
	}
	s := r.Text(string(b))
	return []byte(s)
}

// URL redacts a URL, keeping it a valid URI.
func (r *redactor) URL(s string) string {
	if r == nil || s == "" {
		return s
	}
	return r.inURL.Replace(s)
}

// Placeholder returns what v is replaced by, or v when it is not a
// registered value.
func (r *redactor) Placeholder(v string) string {
	if r == nil {
		return v
	}
	if ph, ok := r.placeholders[v]; ok {
		return ph
	}
	return r.Text(v)
}

func (r *redactor) header(h http.Header) http.Header {
	if r == nil || h == nil {
		return h
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		rk := r.Text(k)
		for _, v := range vs {
			if strings.EqualFold(k, "Referer") || strings.EqualFold(k, "Origin") || strings.EqualFold(k, "Location") {
				v = r.URL(v)
			} else {
				v = r.Text(v)
			}
			out[rk] = append(out[rk], v)
		}
	}
	return out
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
	if ip := serverIP(f.ServerAddr); ip != "" && r.placeholders[ip] != "" {
		f.ServerAddr = ""
	}
	f.Page = r.URL(f.Page)
	f.Error = r.Text(f.Error)
	f.ConnectTarget = r.Text(f.ConnectTarget)
	f.Request.URL = r.URL(f.Request.URL)
	f.Request.Host = r.Text(f.Request.Host)
	f.Request.Header = r.header(f.Request.Header)
	f.Request.Body = r.Bytes(f.Request.Body)
	if d.Flow.Response != nil {
		resp := *d.Flow.Response
		resp.Header = r.header(resp.Header)
		resp.Body = r.Bytes(resp.Body)
		f.Response = &resp
	}
	if len(d.Flow.WebSocket) > 0 {
		f.WebSocket = make([]phiproxy.WSMessage, len(d.Flow.WebSocket))
		for i, m := range d.Flow.WebSocket {
			m.Data = r.Bytes(m.Data)
			f.WebSocket[i] = m
		}
	}
	in := &c.Inspection
	in.Destination.Host = r.Text(in.Destination.Host)
	in.Destination.Domain = r.Text(in.Destination.Domain)
	in.Notes = make([]string, len(d.Inspection.Notes))
	for i, n := range d.Inspection.Notes {
		in.Notes[i] = r.Text(n)
	}
	in.Findings = make([]phiproxy.Finding, len(d.Inspection.Findings))
	for i, fd := range d.Inspection.Findings {
		in.Findings[i] = r.finding(fd)
	}
	return &c
}

// finding redacts one finding. The match offsets are moved to the
// placeholder inside the redacted field so the report can still highlight
// it.
func (r *redactor) finding(fd phiproxy.Finding) phiproxy.Finding {
	if r == nil {
		return fd
	}
	ph := r.Placeholder(fd.Value)
	fd.Field = r.Text(fd.Field)
	fd.Value = ph
	fd.Term = r.Placeholder(fd.Term)
	fd.Path = r.Text(fd.Path)
	fd.Start, fd.End = 0, 0
	if i := strings.Index(fd.Field, ph); i >= 0 && fd.Field != ph {
		fd.Start, fd.End = i, i+len(ph)
	}
	return fd
}

// row redacts a findings.json / findings.csv row.
func (r *redactor) row(fr store.FindingRow) store.FindingRow {
	if r == nil {
		return fr
	}
	fd := r.finding(phiproxy.Finding{Kind: fr.Kind, Term: fr.Term, Value: fr.Value, Path: fr.Path, Field: fr.Field, Start: fr.MatchStart, End: fr.MatchEnd})
	fr.Term, fr.Value, fr.Path, fr.Field, fr.MatchStart, fr.MatchEnd = fd.Term, fd.Value, fd.Path, fd.Field, fd.Start, fd.End
	fr.URL = r.URL(fr.URL)
	fr.Page = r.URL(fr.Page)
	fr.Host = r.Text(fr.Host)
	return fr
}
