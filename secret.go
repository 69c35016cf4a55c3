package phiproxy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
)

// RedactSecret replaces every occurrence of secret in the flow's captured
// copy (URL, headers, request and response bodies, WebSocket messages)
// with mask, in each spelling a browser sends a typed value in: as typed,
// form- and path-encoded, JSON-escaped, and base64 (HTTP Basic). What was
// forwarded is not affected: this is the copy that is inspected, stored
// and exported. An empty secret changes nothing.
func (f *Flow) RedactSecret(secret, mask string) {
	if secret == "" {
		return
	}
	forms := secretSpellings(secret)
	str := func(s string) string {
		for _, v := range forms {
			s = strings.ReplaceAll(s, v, mask)
		}
		return s
	}
	byt := func(b []byte) []byte {
		for _, v := range forms {
			if bytes.Contains(b, []byte(v)) {
				b = bytes.ReplaceAll(b, []byte(v), []byte(mask))
			}
		}
		return b
	}
	hdr := func(h map[string][]string) {
		for k, vs := range h {
			for i := range vs {
				vs[i] = str(vs[i])
			}
			h[k] = vs
		}
	}
	f.Request.URL = str(f.Request.URL)
	f.Page = str(f.Page)
	hdr(f.Request.Header)
	f.Request.Body = byt(f.Request.Body)
	if f.Response != nil {
		hdr(f.Response.Header)
		f.Response.Body = byt(f.Response.Body)
	}
	for i := range f.WebSocket {
		f.WebSocket[i].Data = byt(f.WebSocket[i].Data)
	}
}

// secretSpellings lists the ways secret may appear on the wire, longest
// first so that a longer spelling is replaced before a shorter one inside
// it.
func secretSpellings(secret string) []string {
	// JSON as browsers write it (JSON.stringify leaves <, > and & alone)
	// and as Go and others write it (\u0026).
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	enc.Encode(secret)
	htmlSafe, _ := json.Marshal(secret)
	seen := map[string]bool{}
	var out []string
	for _, v := range []string{
		secret,
		url.QueryEscape(secret),
		url.PathEscape(secret),
		strings.TrimSuffix(js.String(), "\n")[1 : js.Len()-2],
		string(htmlSafe[1 : len(htmlSafe)-1]),
		base64.StdEncoding.EncodeToString([]byte(secret)),
	} {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && len(out[j]) > len(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
