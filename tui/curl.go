package tui

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/phiproxy/phiproxy"
)

// skipCurlHeaders are set by curl itself or belong to one connection.
var skipCurlHeaders = map[string]bool{
	"Content-Length": true, "Connection": true, "Proxy-Connection": true, "Proxy-Authorization": true,
	"Keep-Alive": true, "Transfer-Encoding": true, "Te": true, "Trailer": true, "Upgrade": true,
}

// curlCommand renders a captured request as a curl command for a POSIX
// shell (bash for bodies that are not text). Every argument is quoted, so
// hostile URLs, headers and bodies cannot break out of the command.
func curlCommand(r *phiproxy.Request) string {
	var args []string
	var notes []string
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	if method != http.MethodGet || len(r.Body) > 0 {
		args = append(args, "-X "+quoteArg(method))
	}
	if r.Proto == "HTTP/2.0" {
		args = append(args, "--http2")
	}
	names := make([]string, 0, len(r.Header))
	for name := range r.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	compressed := false
	urlHost := r.URLHost()
	for _, name := range names {
		canon := http.CanonicalHeaderKey(name)
		if skipCurlHeaders[canon] || strings.HasPrefix(canon, ":") {
			continue
		}
		for _, v := range r.Header[name] {
			if canon == "Host" && strings.EqualFold(hostOnly(v), urlHost) {
				continue
			}
			if canon == "Accept-Encoding" {
				compressed = true
			}
			args = append(args, "-H "+quoteArg(name+": "+v))
		}
	}
	if compressed {
		args = append(args, "--compressed")
	}
	if len(r.Body) > 0 {
		if r.Truncated {
			notes = append(notes, fmt.Sprintf("# body truncated: %d of %d bytes were captured", len(r.Body), r.BodySize))
		}
		if strings.IndexByte(string(r.Body), 0) >= 0 {
			notes = append(notes, "# body holds NUL bytes, which a shell argument cannot carry; they are left out")
		}
		args = append(args, "--data-binary "+quoteArg(string(r.Body)))
	}
	args = append(args, quoteArg(r.URL))

	var b strings.Builder
	for _, n := range notes {
		b.WriteString(n)
		b.WriteByte('\n')
	}
	b.WriteString("curl")
	for _, a := range args {
		b.WriteString(" \\\n  ")
		b.WriteString(a)
	}
	b.WriteByte('\n')
	return b.String()
}

func hostOnly(hostport string) string {
	if i := strings.LastIndex(hostport, ":"); i >= 0 && !strings.Contains(hostport[i:], "]") {
		return hostport[:i]
	}
	return hostport
}

// quoteArg quotes s for the shell: single quotes for printable text, bash
// ANSI-C quoting ($'…') when it holds control bytes or invalid UTF-8.
func quoteArg(s string) string {
	if isShellText(s) {
		return shellQuote(s)
	}
	return ansiCQuote(s)
}

func isShellText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if (r < ' ' && r != '\n' && r != '\t') || r == 0x7f {
			return false
		}
	}
	return true
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func ansiCQuote(s string) string {
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case s[i] == 0:
			// Dropped: see the note curlCommand writes.
		case r == utf8.RuneError && size <= 1, r < ' ', r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, s[i])
			size = 1
		case r == '\\' || r == '\'':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteString(s[i : i+size])
		}
		if size < 1 {
			size = 1
		}
		i += size
	}
	b.WriteByte('\'')
	return b.String()
}
