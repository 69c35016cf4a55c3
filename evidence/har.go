package evidence

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

// harTimeLayout is RFC 3339 with milliseconds, as browsers write HAR.
const harTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// maxDecodedBody caps how much of a compressed response body is inflated
// into the HAR, so a small gzip bomb cannot grow the bundle.
const maxDecodedBody = 4 << 20

// The HAR 1.2 types below are written, never read: json tags follow the
// spec (http://www.softwareishard.com/blog/har-12-spec/) and Chrome's
// extensions (fields starting with "_").

type harCreator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type harNameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harCookie struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harPostParam struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

type harPostData struct {
	MimeType string         `json:"mimeType"`
	Text     string         `json:"text"`
	Params   []harPostParam `json:"params,omitempty"`
	// Encoding is "base64" when Text holds base64 of a binary body. It is
	// not in HAR 1.2 (which has no way to carry binary request bodies), so
	// it is a custom field.
	Encoding string `json:"_encoding,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

type harRequest struct {
	Method      string         `json:"method"`
	URL         string         `json:"url"`
	HTTPVersion string         `json:"httpVersion"`
	Cookies     []harCookie    `json:"cookies"`
	Headers     []harNameValue `json:"headers"`
	QueryString []harNameValue `json:"queryString"`
	PostData    *harPostData   `json:"postData,omitempty"`
	HeadersSize int            `json:"headersSize"`
	BodySize    int64          `json:"bodySize"`
	Comment     string         `json:"comment,omitempty"`
}

type harContent struct {
	Size     int64  `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text,omitempty"`
	Encoding string `json:"encoding,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

type harResponse struct {
	Status      int            `json:"status"`
	StatusText  string         `json:"statusText"`
	HTTPVersion string         `json:"httpVersion"`
	Cookies     []harCookie    `json:"cookies"`
	Headers     []harNameValue `json:"headers"`
	Content     harContent     `json:"content"`
	RedirectURL string         `json:"redirectURL"`
	HeadersSize int            `json:"headersSize"`
	BodySize    int64          `json:"bodySize"`
	// Error is Chrome's field for a request that got no response.
	Error string `json:"_error,omitempty"`
}

type harTimings struct {
	Blocked float64 `json:"blocked"`
	DNS     float64 `json:"dns"`
	Connect float64 `json:"connect"`
	SSL     float64 `json:"ssl"`
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

// harWebSocketMessage is Chrome DevTools' format: time in seconds since the
// epoch, opcode 1 for text and 2 for binary (data then base64).
type harWebSocketMessage struct {
	Type   string  `json:"type"`
	Time   float64 `json:"time"`
	Opcode int     `json:"opcode"`
	Data   string  `json:"data"`
}

// harPhiproxy is the custom per-entry record of what inspection found.
type harPhiproxy struct {
	FlowID         int64             `json:"flow_id"`
	Source         string            `json:"source"`
	Severity       phiproxy.Severity `json:"severity"`
	Party          phiproxy.Party    `json:"party"`
	Vendor         string            `json:"vendor"`
	VendorCategory string            `json:"vendor_category"`
	BAA            bool              `json:"baa"`
	Page           string            `json:"page,omitempty"`
	// The protocols of both sides of a proxied exchange (the entry's
	// httpVersion is the browser's).
	ClientProtocol   string             `json:"client_protocol,omitempty"`
	UpstreamProtocol string             `json:"upstream_protocol,omitempty"`
	Notes            []string           `json:"notes,omitempty"`
	Findings         []store.FindingRow `json:"findings"`
}

type harEntry struct {
	StartedDateTime   string                `json:"startedDateTime"`
	Time              float64               `json:"time"`
	Request           harRequest            `json:"request"`
	Response          harResponse           `json:"response"`
	Cache             struct{}              `json:"cache"`
	Timings           harTimings            `json:"timings"`
	ServerIPAddress   string                `json:"serverIPAddress,omitempty"`
	WebSocketMessages []harWebSocketMessage `json:"_webSocketMessages,omitempty"`
	ResourceType      string                `json:"_resourceType,omitempty"`
	Phiproxy          harPhiproxy           `json:"_phiproxy"`
}

// harWriter streams a HAR document: a prefix, one entry at a time, a
// suffix. Memory holds one entry, whatever the number of flows.
type harWriter struct {
	w   io.Writer
	enc *json.Encoder
	n   int
}

func newHARWriter(w io.Writer, version string) (*harWriter, error) {
	creator, err := json.Marshal(harCreator{Name: "phiproxy", Version: nonEmpty(version, "dev")})
	if err != nil {
		return nil, err
	}
	if _, err := fmt.Fprintf(w, "{\"log\":{\"version\":\"1.2\",\"creator\":%s,\"entries\":[\n", creator); err != nil {
		return nil, fmt.Errorf("write HAR: %w", err)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &harWriter{w: w, enc: enc}, nil
}

func (hw *harWriter) add(e *harEntry) error {
	if hw.n > 0 {
		if _, err := io.WriteString(hw.w, ","); err != nil {
			return fmt.Errorf("write HAR: %w", err)
		}
	}
	hw.n++
	if err := hw.enc.Encode(e); err != nil {
		return fmt.Errorf("write HAR entry: %w", err)
	}
	return nil
}

func (hw *harWriter) close() error {
	if _, err := io.WriteString(hw.w, "]}}\n"); err != nil {
		return fmt.Errorf("write HAR: %w", err)
	}
	return nil
}

// harEntryFor converts a flow into a HAR entry. red is the flow as redacted by r
// (the flow itself when r is nil). Every part comes from red, whose carriers were
// redacted through their encodings; the parts HAR shows decoded (query
// parameters, form parameters, cookies, the response body) are redacted
// once more as text after decoding.
func harEntryFor(red *store.FlowDetail, r *redactor) *harEntry {
	f, in := &red.Flow, &red.Inspection
	e := &harEntry{
		StartedDateTime: f.Start.UTC().Format(harTimeLayout),
		Time:            ms(f.Timings.Total()),
		Request:         harRequestFor(&f.Request, r),
		Response:        harResponseFor(f, r),
		Timings: harTimings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1,
			Send: ms(f.Timings.Send), Wait: ms(f.Timings.Wait), Receive: ms(f.Timings.Receive)},
		ServerIPAddress: serverIP(f.ServerAddr),
		Phiproxy: harPhiproxy{
			FlowID: f.ID, Source: f.Source, Severity: in.Severity, Party: in.Destination.Party,
			Vendor: in.Destination.Vendor, VendorCategory: in.Destination.Category, BAA: in.Destination.BAA,
			Page: f.Page, Notes: in.Notes, Findings: make([]store.FindingRow, 0, len(in.Findings)),
			ClientProtocol: f.ClientProto, UpstreamProtocol: f.UpstreamProto,
		},
	}
	if f.ClientProto != "" {
		// A HAR is the browser's view: both halves of the exchange
		// travelled in the protocol it spoke to the proxy, whatever the
		// origin spoke.
		e.Request.HTTPVersion = f.ClientProto
		if f.Response != nil {
			e.Response.HTTPVersion = f.ClientProto
		}
	}
	for _, fd := range in.Findings {
		e.Phiproxy.Findings = append(e.Phiproxy.Findings, store.Row(f, in.Destination, fd))
	}
	if len(f.WebSocket) > 0 {
		e.ResourceType = "websocket"
		for _, m := range f.WebSocket {
			wm := harWebSocketMessage{Type: "receive", Time: float64(m.Time.UnixNano()) / 1e9, Opcode: 1, Data: string(m.Data)}
			if m.FromClient {
				wm.Type = "send"
			}
			if m.Binary || !utf8.Valid(m.Data) {
				wm.Opcode, wm.Data = 2, base64.StdEncoding.EncodeToString(m.Data)
			}
			e.WebSocketMessages = append(e.WebSocketMessages, wm)
		}
	}
	return e
}

func ms(d time.Duration) float64 {
	if d < 0 {
		return 0
	}
	return float64(d.Microseconds()) / 1000
}

func serverIP(addr string) string {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.String()
	}
	return ""
}

func httpVersion(proto string) string {
	if proto == "" {
		return "HTTP/1.1"
	}
	return proto
}

func harRequestFor(r *phiproxy.Request, red *redactor) harRequest {
	hr := harRequest{
		Method: r.Method, URL: r.URL, HTTPVersion: httpVersion(r.Proto),
		Cookies: requestCookies(r.Header, red), Headers: harHeaders(r.Header, r.Host),
		QueryString: queryParams(r.URL, red), HeadersSize: -1, BodySize: r.BodySize,
	}
	if hr.BodySize < 0 {
		hr.BodySize = int64(len(r.Body))
	}
	if len(r.Body) > 0 {
		mt := r.Header.Get("Content-Type")
		pd := &harPostData{MimeType: nonEmpty(mt, "application/octet-stream")}
		if utf8.Valid(r.Body) {
			pd.Text = string(r.Body)
			if base, _, _ := mime.ParseMediaType(mt); base == "application/x-www-form-urlencoded" {
				pd.Params = formParams(string(r.Body), red)
			}
		} else {
			pd.Text, pd.Encoding = base64.StdEncoding.EncodeToString(r.Body), "base64"
			pd.Comment = "binary body, base64-encoded"
		}
		if r.Truncated {
			pd.Comment = strings.TrimPrefix(pd.Comment+"; ", "; ") + fmt.Sprintf("truncated: first %d of %d bytes", len(r.Body), r.BodySize)
		}
		hr.PostData = pd
	}
	return hr
}

// harResponseFor describes the response of f (redacted when red is set).
// The body is decoded and then redacted as text once more.
func harResponseFor(f *phiproxy.Flow, red *redactor) harResponse {
	resp := f.Response
	if resp == nil {
		// Chrome writes status 0 for a request that got no response.
		return harResponse{Cookies: []harCookie{}, Headers: []harNameValue{}, HTTPVersion: "",
			Content: harContent{Size: 0, MimeType: "x-unknown"}, HeadersSize: -1, BodySize: -1,
			Error: nonEmpty(f.Error, "no response")}
	}
	hr := harResponse{
		Status: resp.Status, StatusText: http.StatusText(resp.Status), HTTPVersion: httpVersion(resp.Proto),
		Cookies: responseCookies(resp.Header), Headers: harHeaders(resp.Header, ""),
		RedirectURL: resp.Header.Get("Location"), HeadersSize: -1, BodySize: resp.BodySize,
		Content: harContent{MimeType: nonEmpty(resp.Header.Get("Content-Type"), "x-unknown")},
	}
	if f.Error != "" {
		hr.Error = f.Error
	}
	body, note := decodedBody(resp.Body, resp.Header.Get("Content-Encoding"))
	body = red.Bytes(body)
	hr.Content.Size = int64(len(body))
	if resp.BodySize >= 0 && note == "" && resp.BodySize > int64(len(resp.Body)) {
		// Only a prefix was kept; size says how much was received.
		hr.Content.Size = resp.BodySize
	}
	if len(body) > 0 {
		if utf8.Valid(body) {
			hr.Content.Text = string(body)
		} else {
			hr.Content.Text, hr.Content.Encoding = base64.StdEncoding.EncodeToString(body), "base64"
		}
	}
	if int64(len(resp.Body)) < resp.BodySize {
		note = strings.TrimPrefix(note+"; ", "; ") + fmt.Sprintf("body truncated: first %d of %d bytes kept", len(resp.Body), resp.BodySize)
	}
	hr.Content.Comment = note
	return hr
}

// decodedBody undoes gzip or deflate Content-Encoding when it can, because
// HAR content.text is the decoded body. Other encodings (br, zstd) are kept
// as received, with a note.
func decodedBody(b []byte, encoding string) ([]byte, string) {
	enc := strings.ToLower(strings.TrimSpace(encoding))
	if len(b) == 0 || enc == "" || enc == "identity" {
		return b, ""
	}
	var rd io.Reader
	var err error
	switch enc {
	case "gzip", "x-gzip":
		rd, err = gzip.NewReader(bytes.NewReader(b))
	case "deflate":
		// Servers send zlib-wrapped or raw deflate under the same name.
		rd, err = zlib.NewReader(bytes.NewReader(b))
		if err != nil {
			rd, err = flate.NewReader(bytes.NewReader(b)), nil
		}
	default:
		return b, "body kept as received, Content-Encoding: " + encoding
	}
	if err != nil {
		return b, "body kept as received (" + encoding + " could not be decoded)"
	}
	out, err := io.ReadAll(io.LimitReader(rd, maxDecodedBody))
	if err != nil && len(out) == 0 {
		return b, "body kept as received (" + encoding + " could not be decoded)"
	}
	if err != nil {
		return out, "decoded from " + encoding + " up to a truncation"
	}
	return out, "decoded from " + encoding
}

// harHeaders lists headers sorted by name, Host first when the request
// carried one outside the header map (Go keeps it in Request.Host).
func harHeaders(h http.Header, host string) []harNameValue {
	out := []harNameValue{}
	if host != "" && h.Get("Host") == "" {
		out = append(out, harNameValue{Name: "Host", Value: host})
	}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, harNameValue{Name: k, Value: v})
		}
	}
	return out
}

func requestCookies(h http.Header, red *redactor) []harCookie {
	out := []harCookie{}
	if len(h["Cookie"]) == 0 {
		return out
	}
	for _, c := range (&http.Request{Header: h}).Cookies() {
		out = append(out, harCookie{Name: red.Text(c.Name), Value: red.Text(c.Value)})
	}
	return out
}

func responseCookies(h http.Header) []harCookie {
	out := []harCookie{}
	if len(h["Set-Cookie"]) == 0 {
		return out
	}
	for _, c := range (&http.Response{Header: h}).Cookies() {
		out = append(out, harCookie{Name: c.Name, Value: c.Value})
	}
	return out
}

// queryParams lists the query of rawURL in order, decoded; a parameter that
// does not decode is kept as written.
func queryParams(rawURL string, red *redactor) []harNameValue {
	out := []harNameValue{}
	q := rawURL
	if i := strings.IndexByte(q, '#'); i >= 0 {
		q = q[:i]
	}
	i := strings.IndexByte(q, '?')
	if i < 0 {
		return out
	}
	for _, p := range splitPairs(q[i+1:]) {
		out = append(out, harNameValue{Name: red.Text(p.Name), Value: red.Text(p.Value)})
	}
	return out
}

func formParams(body string, red *redactor) []harPostParam {
	out := []harPostParam{}
	for _, p := range splitPairs(body) {
		out = append(out, harPostParam{Name: red.Text(p.Name), Value: red.Text(p.Value)})
	}
	return out
}

// splitPairs parses a&b=c pairs in order, keeping empty values and
// undecodable escapes as they were written.
func splitPairs(s string) []harNameValue {
	var out []harNameValue
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		out = append(out, harNameValue{Name: unescapeQuery(k), Value: unescapeQuery(v)})
	}
	return out
}

func unescapeQuery(s string) string {
	u, err := url.QueryUnescape(s)
	if err != nil || !utf8.ValidString(u) {
		return s
	}
	return u
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
