package capture

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/phiproxy/phiproxy"
)

// harEntry is the part of a HAR 1.2 entry that a Flow needs, plus the
// extensions browsers write (fields starting with "_").
type harEntry struct {
	StartedDateTime string     `json:"startedDateTime"`
	Request         harRequest `json:"request"`
	// Response is a pointer so that an entry without one (a blocked or
	// failed request in some exporters) is told apart from status 0.
	Response          *harResponse   `json:"response"`
	Timings           harTimings     `json:"timings"`
	ServerIPAddress   string         `json:"serverIPAddress"`
	Error             string         `json:"_error"`
	WebSocketMessages []harWSMessage `json:"_webSocketMessages"`
}

type harRequest struct {
	Method      string       `json:"method"`
	URL         string       `json:"url"`
	HTTPVersion string       `json:"httpVersion"`
	Headers     []harNameVal `json:"headers"`
	Cookies     []harNameVal `json:"cookies"`
	PostData    *harPostData `json:"postData"`
	BodySize    json.Number  `json:"bodySize"`
}

type harNameVal struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type harPostData struct {
	MimeType string     `json:"mimeType"`
	Text     *string    `json:"text"`
	Encoding string     `json:"encoding"` // "base64" in some exporters
	Params   []harParam `json:"params"`
}

type harParam struct {
	Name        string `json:"name"`
	Value       string `json:"value"`
	FileName    string `json:"fileName"`
	ContentType string `json:"contentType"`
}

type harResponse struct {
	Status      int          `json:"status"`
	HTTPVersion string       `json:"httpVersion"`
	Headers     []harNameVal `json:"headers"`
	Content     struct {
		Size     json.Number `json:"size"`
		Text     string      `json:"text"`
		Encoding string      `json:"encoding"`
	} `json:"content"`
	BodySize json.Number `json:"bodySize"`
	Error    string      `json:"_error"` // Chrome puts a failed request's reason here
}

// harTimings are milliseconds; -1 means "does not apply".
type harTimings struct {
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

// harWSMessage is one entry of Chrome's _webSocketMessages.
type harWSMessage struct {
	Type   string  `json:"type"` // "send" or "receive"
	Time   float64 `json:"time"` // seconds since the epoch
	Opcode int     `json:"opcode"`
	Data   string  `json:"data"` // text, or base64 for opcode 2
}

// ReadHAR reads a HAR 1.2 document (as written by Chrome DevTools, Firefox
// and mitmproxy) and calls emit for each entry, in file order, with Source
// "har". It decodes one entry at a time, so memory stays flat however many
// entries the file has. Entries without a method or URL are counted in
// Summary.Skipped. A malformed document returns an error naming the byte
// offset after the flows before it were emitted; an entry holding a value
// of the wrong type is skipped with a note.
func ReadHAR(ctx context.Context, r io.Reader, emit EmitFunc) (Summary, error) {
	sum, err := readHAR(ctx, r, emit)
	return sum, unwrapEmit(err)
}

func readHAR(ctx context.Context, r io.Reader, emit EmitFunc) (sum Summary, err error) {
	defer sum.finish()
	dec := json.NewDecoder(r)
	dec.UseNumber()
	fail := func(what string, err error) error {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("HAR: %s at offset %d: %w", what, dec.InputOffset(), err)
	}
	if err := expectDelim(dec, '{'); err != nil {
		return sum, fail("expected a JSON object", err)
	}
	sawLog := false
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return sum, fail("reading the top-level object", err)
		}
		if key != "log" {
			if err := skipValue(dec); err != nil {
				return sum, fail("skipping "+strconv.Quote(key), err)
			}
			continue
		}
		sawLog = true
		if err := expectDelim(dec, '{'); err != nil {
			return sum, fail(`"log" must be an object`, err)
		}
		for dec.More() {
			key, err := objectKey(dec)
			if err != nil {
				return sum, fail(`reading "log"`, err)
			}
			if key != "entries" {
				if err := skipValue(dec); err != nil {
					return sum, fail("skipping log."+key, err)
				}
				continue
			}
			if err := readHAREntries(ctx, dec, &sum, emit, fail); err != nil {
				return sum, err
			}
		}
		if err := expectDelim(dec, '}'); err != nil {
			return sum, fail(`closing "log"`, err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return sum, fail("closing the top-level object", err)
	}
	if !sawLog {
		return sum, fmt.Errorf("HAR: no \"log\" object: not a HAR file")
	}
	return sum, nil
}

func readHAREntries(ctx context.Context, dec *json.Decoder, sum *Summary, emit EmitFunc, fail func(string, error) error) error {
	if tok, err := dec.Token(); err != nil {
		return fail(`reading "entries"`, err)
	} else if tok == nil {
		return nil // "entries": null
	} else if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fail(`"entries" must be an array`, fmt.Errorf("found %v", tok))
	}
	for i := 0; dec.More(); i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var e harEntry
		if err := dec.Decode(&e); err != nil {
			// A value of the wrong type (an exporter's quirk) spoils one
			// entry; the decoder has read past it, so the rest can follow.
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				sum.Skipped++
				sum.note("HAR entry %d skipped: %v", i, err)
				continue
			}
			return fail(fmt.Sprintf("entry %d", i), err)
		}
		f, err := e.flow()
		if err != nil {
			sum.Skipped++
			sum.note("HAR entry %d skipped: %v", i, err)
			continue
		}
		sum.Flows++
		if err := emit(f); err != nil {
			return &emitError{err}
		}
	}
	if err := expectDelim(dec, ']'); err != nil {
		return fail(`closing "entries"`, err)
	}
	return nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("found %v, want %q", tok, string(want))
	}
	return nil
}

func objectKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("found %v, want an object key", tok)
	}
	return key, nil
}

// skipValue consumes one JSON value without keeping it. It walks tokens
// rather than decoding into json.RawMessage so that a huge "pages" array or
// an unknown extension does not have to fit in memory; nesting is bounded so
// that hostile input cannot grow the walk without limit.
func skipValue(dec *json.Decoder) error {
	const maxDepth = 10000
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
				if depth > maxDepth {
					return fmt.Errorf("nesting deeper than %d", maxDepth)
				}
			default:
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// flow converts one entry. It fails only when the entry has no request to
// speak of; everything else degrades to a missing field.
func (e *harEntry) flow() (*phiproxy.Flow, error) {
	rq := &e.Request
	if rq.Method == "" || rq.URL == "" {
		return nil, errors.New("no request method or URL")
	}
	f := &phiproxy.Flow{
		Source: "har",
		Error:  e.Error,
	}
	if e.Response != nil && e.Response.Error != "" {
		f.Error = joinReason(f.Error, e.Response.Error) // "net::ERR_BLOCKED_BY_CLIENT"
	}
	if t, err := time.Parse(time.RFC3339Nano, e.StartedDateTime); err == nil {
		f.Start = t
	}
	header := harHeader(rq.Headers)
	host := header.Get("Host")
	if a := header.Get(":authority"); a != "" && host == "" {
		host = a
	}
	header.Del(":authority")
	for k := range header {
		if strings.HasPrefix(k, ":") { // HTTP/2 pseudo-headers repeat the URL
			delete(header, k)
		}
	}
	if header.Get("Cookie") == "" && len(rq.Cookies) > 0 {
		parts := make([]string, 0, len(rq.Cookies))
		for _, c := range rq.Cookies {
			parts = append(parts, c.Name+"="+c.Value)
		}
		header.Set("Cookie", strings.Join(parts, "; "))
	}
	u, urlErr := url.Parse(rq.URL)
	if host == "" && urlErr == nil {
		host = u.Host
	}
	f.Request = phiproxy.Request{
		Method:   rq.Method,
		URL:      rq.URL,
		Host:     host,
		Proto:    normaliseProto(rq.HTTPVersion),
		Header:   header,
		BodySize: -1,
	}
	f.Page = header.Get("Referer")
	if rq.PostData != nil {
		body, err := rq.PostData.body()
		if err != nil {
			f.Error = joinReason(f.Error, "request body: "+err.Error())
		}
		f.Request.Body, f.Request.BodySize, f.Request.Truncated = capBody(body, MaxRequestBody)
	} else {
		f.Request.BodySize = 0
	}
	if n, err := rq.BodySize.Int64(); err == nil && n > f.Request.BodySize {
		f.Request.BodySize = n
		f.Request.Truncated = int64(len(f.Request.Body)) < n
	}
	if ip := strings.Trim(e.ServerIPAddress, "[]"); ip != "" && net.ParseIP(ip) != nil && urlErr == nil {
		f.ServerAddr = net.JoinHostPort(ip, urlPort(u))
	}
	if rs := e.Response; rs != nil && rs.Status > 0 {
		resp := &phiproxy.Response{
			Status:   rs.Status,
			Proto:    normaliseProto(rs.HTTPVersion),
			Header:   harHeader(rs.Headers),
			BodySize: -1,
		}
		body := []byte(rs.Content.Text)
		if strings.EqualFold(rs.Content.Encoding, "base64") {
			if dec, err := base64.StdEncoding.DecodeString(rs.Content.Text); err == nil {
				body = dec
			}
		}
		resp.Body, _, _ = capBody(body, MaxResponseBody)
		if n, err := rs.Content.Size.Int64(); err == nil && n >= 0 {
			resp.BodySize = n
		} else if n, err := rs.BodySize.Int64(); err == nil && n >= 0 {
			resp.BodySize = n
		}
		f.Response = resp
	}
	f.Timings = phiproxy.Timings{
		Send:    harDuration(e.Timings.Send),
		Wait:    harDuration(e.Timings.Wait),
		Receive: harDuration(e.Timings.Receive),
	}
	for _, m := range e.WebSocketMessages {
		f.WebSocket = append(f.WebSocket, m.message())
	}
	return f, nil
}

// body returns the request body the entry describes: the text (base64
// decoded when marked so), or, when an exporter kept only the parsed form
// parameters, a body rebuilt from them in the declared content type.
func (p *harPostData) body() ([]byte, error) {
	if p.Text != nil && (*p.Text != "" || len(p.Params) == 0) {
		if strings.EqualFold(p.Encoding, "base64") {
			b, err := base64.StdEncoding.DecodeString(*p.Text)
			if err != nil {
				return []byte(*p.Text), fmt.Errorf("postData marked base64 but is not: %w", err)
			}
			return b, nil
		}
		return []byte(*p.Text), nil
	}
	if len(p.Params) == 0 {
		return nil, nil
	}
	mediaType, params, _ := mime.ParseMediaType(p.MimeType)
	if mediaType == "multipart/form-data" && params["boundary"] != "" {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		if err := w.SetBoundary(params["boundary"]); err != nil {
			return nil, fmt.Errorf("rebuild multipart body: %w", err)
		}
		for _, prm := range p.Params {
			h := make(textproto.MIMEHeader)
			disp := fmt.Sprintf("form-data; name=%q", prm.Name)
			if prm.FileName != "" {
				disp += fmt.Sprintf("; filename=%q", prm.FileName)
			}
			h.Set("Content-Disposition", disp)
			if prm.ContentType != "" {
				h.Set("Content-Type", prm.ContentType)
			}
			part, err := w.CreatePart(h)
			if err != nil {
				return nil, fmt.Errorf("rebuild multipart body: %w", err)
			}
			io.WriteString(part, prm.Value)
		}
		w.Close()
		return buf.Bytes(), nil
	}
	// Form parameters are kept in file order, which url.Values would lose.
	var b strings.Builder
	for i, prm := range p.Params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(prm.Name))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(prm.Value))
	}
	return []byte(b.String()), nil
}

func (m harWSMessage) message() phiproxy.WSMessage {
	msg := phiproxy.WSMessage{
		FromClient: m.Type == "send",
		Binary:     m.Opcode == 2,
		Data:       []byte(m.Data),
	}
	if m.Time > 0 && m.Time < 1e11 { // seconds since the epoch, sanely bounded
		sec, frac := int64(m.Time), m.Time-float64(int64(m.Time))
		msg.Time = time.Unix(sec, int64(frac*1e9)).UTC()
	}
	if msg.Binary {
		// Chrome stores binary frames base64-encoded.
		if b, err := base64.StdEncoding.DecodeString(m.Data); err == nil {
			msg.Data = b
		}
	}
	if len(msg.Data) > MaxRequestBody {
		msg.Data = msg.Data[:MaxRequestBody]
		msg.Truncated = true
	}
	return msg
}

func harHeader(nv []harNameVal) http.Header {
	h := make(http.Header, len(nv))
	for _, kv := range nv {
		if kv.Name == "" {
			continue
		}
		h.Add(kv.Name, kv.Value)
	}
	return h
}

// harDuration converts HAR milliseconds; negative means unknown.
func harDuration(ms float64) time.Duration {
	if ms <= 0 || ms > 1e12 {
		return 0
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// normaliseProto maps the spellings exporters use ("http/2.0", "h2",
// "HTTP/1.1", "h3") to Go's ("HTTP/2.0").
func normaliseProto(v string) string {
	switch strings.ToLower(v) {
	case "":
		return ""
	case "h2", "http/2", "http/2.0":
		return "HTTP/2.0"
	case "h3", "http/3", "http/3.0":
		return "HTTP/3.0"
	}
	return strings.ToUpper(v)
}

func urlPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch u.Scheme {
	case "https", "wss":
		return "443"
	}
	return "80"
}

// capBody keeps at most limit bytes, reporting the full size and whether it
// cut.
func capBody(b []byte, limit int) ([]byte, int64, bool) {
	n := int64(len(b))
	if len(b) > limit {
		return b[:limit:limit], n, true
	}
	return b, n, false
}

func joinReason(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
