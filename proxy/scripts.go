package proxy

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"net/http"
	"strings"
)

// isScript reports whether a response is JavaScript: by its Content-Type,
// or, when it has none, by a .js or .mjs path. Only these responses are
// hashed, so the proxy's hot path stays as cheap for everything else.
func isScript(h http.Header, path string) bool {
	ct := h.Get("Content-Type")
	if ct == "" {
		p := strings.ToLower(path)
		return strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".mjs")
	}
	// No allocation on this path: it runs for every response.
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	for _, t := range scriptTypes {
		if strings.EqualFold(ct, t) {
			return true
		}
	}
	return false
}

// scriptTypes are the media types of JavaScript (RFC 9239 and the
// historical ones browsers still execute).
var scriptTypes = []string{"text/javascript", "application/javascript", "application/x-javascript",
	"text/ecmascript", "application/ecmascript", "text/x-javascript", "module/javascript"}

// scriptHash hashes a script's body as it streams to the browser: every
// byte passes through Write once, nothing is kept, so a script of any
// size costs the same memory. The responseTap it belongs to counts the
// bytes.
type scriptHash struct {
	h    hash.Hash
	want int64 // Content-Length, -1 when unknown
	eof  bool  // the body's reader returned io.EOF
}

func newScriptHash(contentLength int64) *scriptHash {
	return &scriptHash{h: sha256.New(), want: contentLength}
}

func (s *scriptHash) Write(p []byte) { s.h.Write(p) }

// sum is the hex digest of a body of which n bytes were read, or "" when
// it was not read to its end (the browser went away, the origin failed):
// a partial hash identifies nothing. A copier that stops at
// Content-Length never asks for io.EOF, so reaching it counts as the end.
func (s *scriptHash) sum(n int64) string {
	if !s.eof && (s.want < 0 || n != s.want) {
		return ""
	}
	return hex.EncodeToString(s.h.Sum(nil))
}
