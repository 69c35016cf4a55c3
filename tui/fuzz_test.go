package tui

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "host:facebook.com kind:email sertraline", "sev:high", "vendor:meta_pixel x", "kind:", "a:b:c", "host:\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuery(s)
		if err != nil {
			return
		}
		back, err := ParseQuery(q.String())
		if err != nil {
			t.Fatalf("re-parsing %q: %v", q.String(), err)
		}
		if back.Host != q.Host || back.Kind != q.Kind || back.HasSeverity != q.HasSeverity || back.Severity != q.Severity || back.Text != q.Text {
			t.Fatalf("round trip: got %+v, want %+v", back, q)
		}
	})
}

// noControl fails when text shown on screen carries a control byte other
// than the newlines the pane breaks lines at.
func noControl(t *testing.T, what, s string) {
	t.Helper()
	for i, r := range s {
		if (r < ' ' && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			t.Fatalf("%s: control character %U at %d in %q", what, r, i, s)
		}
	}
	if !utf8.ValidString(s) {
		t.Fatalf("%s: invalid UTF-8 in %q", what, s)
	}
}

func FuzzRenderDetail(f *testing.F) {
	f.Add([]byte(`{"email":"jane@example.com"}`), "jane@example.com", `{"email":"jane@example.com"}`, 10, 26, "https://x.example/a?b=c")
	f.Add([]byte("\x1f\x8b\x08\x00\xff\xfe[red]x[-]"), "[red]", "[red]x\x1b[2J", 0, 5, "http://[::1]:80/?#")
	f.Add([]byte{}, "é", "caf\xc3", 3, 5, "")
	f.Fuzz(func(t *testing.T, body []byte, value, field string, start, end int, url string) {
		fd := phiproxy.Finding{Kind: phiproxy.KindEmail, Value: value, Term: value, Field: field, Start: start, End: end, Path: field}
		d := &store.FlowDetail{Flow: phiproxy.Flow{
			Request:   phiproxy.Request{Method: "POST", URL: url, Header: http.Header{"X-" + field: {value}}, Body: body},
			WebSocket: []phiproxy.WSMessage{{Data: body, Binary: true}},
		}, Inspection: phiproxy.Inspection{Findings: []phiproxy.Finding{fd}, Notes: []string{field}}}
		fields := []phiproxy.Field{{Chain: []string{field}, Value: value}}
		for _, redact := range []bool{false, true} {
			out := detailView{d: d, fields: fields, showFields: true, redact: redact}.render()
			noControl(t, "detail", out)
			if redact && len(value) >= minMaskLen && strings.Contains(value, "@") && strings.Contains(matchInField(fd, true, newMaskSet(d.Inspection.Findings)), value) {
				t.Fatalf("redacted field context shows %q", value)
			}
		}
		row := rowContext{redact: true, masks: newMaskSet(d.Inspection.Findings)}
		noControl(t, "path", shortPath(url, row))
	})
}

func FuzzCurlCommand(f *testing.F) {
	f.Add("POST", "https://x.example/a?b='c'", "v'al", []byte("body 'quoted' \\ $HOME `id`"))
	f.Add("GET", "http://127.0.0.1/", "\x00\n", []byte("\x00\x01\xff"))
	f.Fuzz(func(t *testing.T, method, url, hv string, body []byte) {
		r := &phiproxy.Request{Method: method, URL: url, Header: http.Header{"X-A": {hv}}, Body: body, BodySize: int64(len(body))}
		out := curlCommand(r)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		// Every argument is quoted: outside quotes only the command's own
		// words and line continuations appear.
		words := shellWords(t, out)
		if len(words) == 0 || words[0] != "curl" {
			t.Fatalf("command does not start with curl: %q", out)
		}
		if words[len(words)-1] != strings.ReplaceAll(url, "\x00", "") && isShellText(url) {
			t.Fatalf("last word: got %q, want the URL %q", words[len(words)-1], url)
		}
	})
}

// shellWords splits a command the way a POSIX shell (with bash's $'…')
// would, enough to check that quoting holds. Comment lines are skipped.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '#' && !inWord && (i == 0 || s[i-1] == '\n'):
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
			i++
		case c == '\\' && i+1 < len(s) && s[i+1] == '\'':
			inWord = true
			cur.WriteByte('\'')
			i++
		case c == ' ' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				t.Fatalf("unterminated quote in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '$' && i+1 < len(s) && s[i+1] == '\'':
			inWord = true
			i += 2
			for ; i < len(s) && s[i] != '\''; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
					if s[i] == 'x' && i+2 < len(s) {
						var v byte
						for _, h := range s[i+1 : i+3] {
							v = v*16 + byte(strings.IndexRune("0123456789abcdef", h))
						}
						cur.WriteByte(v)
						i += 2
						continue
					}
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				t.Fatalf("unterminated $' quote in %q", s)
			}
		default:
			if !strings.ContainsRune("curl-XHhtpd2ombinaysze", rune(c)) {
				t.Fatalf("unquoted byte %q at %d in %q", c, i, s)
			}
			inWord = true
			cur.WriteByte(c)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
