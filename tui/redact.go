package tui

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/phiproxy/phiproxy"
)

// redactedLabel is what a hidden value of this kind shows as on screen.
func redactedLabel(k phiproxy.Kind) string {
	if k == "" {
		return "[redacted]"
	}
	return "[redacted " + string(k) + "]"
}

// maskSet hides known matched values wherever they appear in text shown
// on screen, in the plain and the percent-encoded forms a URL carries.
// The zero maskSet hides nothing.
type maskSet struct {
	needles []maskNeedle
	// all hides any text whole (the values to hide could not be read).
	all bool
}

type maskNeedle struct {
	text  string
	label string
}

// minMaskLen keeps one- and two-letter matches from blanking unrelated text.
const minMaskLen = 3

// newMaskSet collects the values of findings (and their canonical terms)
// to hide. Longer values are replaced first so that a value containing a
// shorter one is hidden whole.
func newMaskSet(findings []phiproxy.Finding) maskSet {
	seen := map[string]bool{}
	var m maskSet
	add := func(s string, k phiproxy.Kind) {
		if len(s) < minMaskLen || seen[s] {
			return
		}
		seen[s] = true
		m.needles = append(m.needles, maskNeedle{s, redactedLabel(k)})
	}
	for _, f := range findings {
		for _, v := range []string{f.Value, f.Term} {
			add(v, f.Kind)
			add(url.QueryEscape(v), f.Kind)
			add(url.PathEscape(v), f.Kind)
			add(strings.ToLower(v), f.Kind)
		}
	}
	sort.SliceStable(m.needles, func(i, j int) bool { return len(m.needles[i].text) > len(m.needles[j].text) })
	return m
}

// apply replaces every known value in s, ignoring ASCII case.
func (m maskSet) apply(s string) string {
	if m.all && s != "" {
		return "[redacted]"
	}
	for _, n := range m.needles {
		s = replaceFold(s, n.text, n.label)
	}
	return s
}

// replaceFold replaces every occurrence of old in s, comparing ASCII
// letters without case (emails and names change case between fields).
func replaceFold(s, old, repl string) string {
	if old == "" || len(old) > len(s) {
		return s
	}
	lowS, lowOld := asciiLower(s), asciiLower(old)
	if !strings.Contains(lowS, lowOld) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(lowS, lowOld)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl)
		s, lowS = s[i+len(old):], lowS[i+len(old):]
	}
}

// asciiLower lower-cases ASCII letters only, so byte offsets are kept.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// redactURL hides every query and fragment value of a URL and any known
// value in its path, keeping the shape (scheme, host, path, parameter
// names) that says where data went.
func redactURL(raw string, m maskSet) string {
	base, query, hasQuery := strings.Cut(raw, "?")
	frag := ""
	if hasQuery {
		query, frag, _ = strings.Cut(query, "#")
	} else {
		var hasFrag bool
		base, frag, hasFrag = strings.Cut(base, "#")
		if !hasFrag {
			frag = ""
		}
	}
	var b strings.Builder
	b.WriteString(m.apply(base))
	if hasQuery {
		b.WriteByte('?')
		b.WriteString(redactPairs(query))
	}
	if frag != "" {
		b.WriteString("#[redacted]")
	}
	return b.String()
}

// redactPairs keeps the names of a=b&c=d and hides the values.
func redactPairs(q string) string {
	if q == "" {
		return ""
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		name, _, hasValue := strings.Cut(p, "=")
		if hasValue {
			parts[i] = name + "=[redacted]"
		}
	}
	return strings.Join(parts, "&")
}

// safeHeaders carry no personal data and stay readable when redacting.
var safeHeaders = map[string]bool{
	"Accept": true, "Accept-Encoding": true, "Accept-Language": true, "Connection": true,
	"Content-Encoding": true, "Content-Length": true, "Content-Type": true, "Host": true,
	"Origin": true, "Sec-Fetch-Dest": true, "Sec-Fetch-Mode": true, "Sec-Fetch-Site": true,
	"User-Agent": true, "Cache-Control": true, "Pragma": true, "Upgrade": true,
}

// redactHeader hides a header value unless it is known to be harmless;
// Referer and Origin-like URLs keep their shape.
func redactHeader(name, value string, m maskSet) string {
	switch {
	case safeHeaders[name]:
		return m.apply(value)
	case name == "Referer":
		return redactURL(value, m)
	}
	return "[redacted]"
}

// singleLine makes untrusted text safe to show on one line: control
// characters and invalid UTF-8 become "·", newlines "↵".
func singleLine(s string) string {
	return printable(s, false)
}

// printable makes untrusted text safe to show: control characters and
// invalid UTF-8 become "·"; newlines are kept when multiLine is set (tabs
// become spaces) and shown as "↵" otherwise.
func printable(s string, multiLine bool) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || unicode.In(r, unicode.Cf) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune('·')
		case r == '\n' && multiLine:
			b.WriteByte('\n')
		case r == '\n':
			b.WriteRune('↵')
		case r == '\t':
			b.WriteString("  ")
		case r == '\r':
			// Dropped: CRLF bodies read as plain lines.
		case r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || unicode.In(r, unicode.Cf):
			b.WriteRune('·')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// redactedRequest is a copy of r fit to show while redacting: URL values,
// header values and the body hidden, names kept.
func redactedRequest(r *phiproxy.Request, m maskSet) *phiproxy.Request {
	c := *r
	c.URL = redactURL(r.URL, m)
	c.Header = http.Header{}
	for name, vals := range r.Header {
		for _, v := range vals {
			c.Header.Add(name, redactHeader(http.CanonicalHeaderKey(name), v, m))
		}
	}
	if len(r.Body) > 0 {
		c.Body = []byte(fmt.Sprintf("[redacted body, %d bytes]", len(r.Body)))
		c.Truncated = false
	}
	return &c
}
