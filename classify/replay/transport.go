package replay

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify/decode"
)

// payload is a flow read as a recording.
type payload struct {
	vendor, id, page string
	ops              []op
	events           int
	notes            []string
}

// readFlow recognises a recording in f, by endpoint or by shape, and reads
// it into operations. It returns nil when f carries no recording.
//
// Recognised:
//   - Sentry envelopes with a replay_recording item (a JSON header line,
//     then the zlib-compressed or plain JSON list of rrweb events); the
//     replay ID is the envelope's event_id or the replay_event's
//     replay_id.
//   - PostHog $snapshot events (JSON, gzip, or base64 in a data= form),
//     their rrweb events under properties.$snapshot_data or
//     $snapshot_items, keyed by properties.$session_id.
//   - Datadog Session Replay segments: a multipart "segment" part (zlib)
//     or a JSON body with records and session.id.
//   - Highlight's PushPayload (variables.events.events), keyed by
//     session_secure_id.
//   - Any other JSON list of rrweb events, under a key naming a session
//     or replay ID when there is one.
//   - OpenReplay batches (/v1/web/i, or a body that starts with a batch
//     metadata message), keyed by the session token.
func readFlow(f *phiproxy.Flow, maxPayload int64) *payload {
	req := &f.Request
	body := req.Body
	if len(body) == 0 {
		return nil
	}
	ct := strings.ToLower(headerValue(req, "Content-Type"))
	if hasSuffixFold(decode.URLPath(req.URL), "/v1/web/i") || looksOpenReplay(body) {
		if p := readOpenReplay(f, body); p != nil {
			return p
		}
	}
	var notes []string
	if enc := strings.ToLower(headerValue(req, "Content-Encoding")); enc != "" {
		if b, err := inflate(body, enc, maxPayload); err == nil {
			body = b
		} else {
			notes = appendNote(notes, "replay: body "+enc+": "+err.Error())
		}
	}
	if strings.HasPrefix(ct, "multipart/") {
		return readMultipart(body, ct, maxPayload)
	}
	if b, ok := sniffInflate(body, maxPayload); ok {
		body = b
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil
	}
	if trimmed[0] == '{' && bytes.IndexByte(trimmed, '\n') > 0 && bytes.Contains(trimmed, []byte("replay_recording")) {
		if p := readSentryEnvelope(trimmed, maxPayload); p != nil {
			p.notes = append(notes, p.notes...)
			return p
		}
	}
	if trimmed[0] != '{' && trimmed[0] != '[' {
		// PostHog's compression=base64 sends data=<base64 JSON>.
		// Only a form with a data field is parsed: every other form body
		// (most of them) would be copied and split for nothing.
		if !formHasData(trimmed) {
			return nil
		}
		if v, err := url.ParseQuery(string(trimmed)); err == nil && v.Get("data") != "" {
			if b, err := base64.StdEncoding.DecodeString(strings.TrimRight(v.Get("data"), "=") + pad(v.Get("data"))); err == nil {
				trimmed = bytes.TrimSpace(b)
			}
		}
	}
	if len(trimmed) == 0 || trimmed[0] != '{' && trimmed[0] != '[' {
		return nil
	}
	p := readJSONRecording(trimmed, req.URLHost())
	if p != nil {
		p.notes = append(notes, p.notes...)
	}
	return p
}

func pad(s string) string {
	s = strings.TrimRight(s, "=")
	if n := len(s) % 4; n != 0 {
		return strings.Repeat("=", 4-n)
	}
	return ""
}

func headerValue(r *phiproxy.Request, name string) string {
	if r.Header == nil {
		return ""
	}
	return r.Header.Get(name)
}

// hasSuffixFold reports whether s ends with suffix, ignoring ASCII case.
func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// formHasData reports whether a form body has a field named data.
func formHasData(b []byte) bool {
	return bytes.HasPrefix(b, []byte("data=")) || bytes.Contains(b, []byte("&data="))
}

// inflate undoes a content encoding, bounded by max bytes of output.
func inflate(b []byte, enc string, max int64) ([]byte, error) {
	var r io.Reader
	var err error
	switch enc {
	case "gzip", "x-gzip":
		r, err = gzip.NewReader(bytes.NewReader(b))
	case "deflate":
		if len(b) >= 2 && b[0]&0x0f == 8 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0 {
			r, err = zlib.NewReader(bytes.NewReader(b))
		} else {
			r = flate.NewReader(bytes.NewReader(b))
		}
	case "zlib":
		r, err = zlib.NewReader(bytes.NewReader(b))
	default:
		return nil, fmt.Errorf("encoding %q not read", enc)
	}
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(r, max+1))
	if int64(len(out)) > max {
		return out[:max], fmt.Errorf("decompressed size over %d bytes, truncated", max)
	}
	if err != nil && len(out) == 0 {
		return nil, err
	}
	return out, nil
}

// sniffInflate decompresses b when it starts with a gzip or zlib header.
func sniffInflate(b []byte, max int64) ([]byte, bool) {
	switch {
	case len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b:
		out, err := inflate(b, "gzip", max)
		return out, err == nil || len(out) > 0
	case isZlibHeader(b):
		out, err := inflate(b, "zlib", max)
		return out, err == nil || len(out) > 0
	}
	return nil, false
}

func isZlibHeader(b []byte) bool {
	return len(b) > 2 && b[0] == 0x78 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0
}

// readSentryEnvelope reads a Sentry envelope: a header line, then items,
// each a header line and a payload (length-prefixed when the item header
// says so, else up to the next newline). A replay_recording payload is a
// JSON line ({"segment_id":N}) and then the events, zlib-compressed or
// plain.
func readSentryEnvelope(b []byte, max int64) *payload {
	line, rest := cutLine(b)
	var head struct {
		EventID string `json:"event_id"`
	}
	if json.Unmarshal(line, &head) != nil {
		return nil
	}
	p := &payload{vendor: VendorSentry, id: head.EventID}
	r := &eventReader{}
	found := false
	for items := 0; len(rest) > 0 && items < 100; items++ {
		var ih []byte
		ih, rest = cutLine(rest)
		if len(bytes.TrimSpace(ih)) == 0 {
			continue
		}
		var item struct {
			Type   string `json:"type"`
			Length *int   `json:"length"`
		}
		if json.Unmarshal(ih, &item) != nil {
			break
		}
		var data []byte
		if item.Length != nil && *item.Length >= 0 && *item.Length <= len(rest) {
			data, rest = rest[:*item.Length], rest[*item.Length:]
			rest = bytes.TrimPrefix(rest, []byte("\n"))
		} else if item.Length != nil {
			data, rest = rest, nil
			p.notes = appendNote(p.notes, "replay: envelope item longer than the captured body, truncated")
		} else {
			data, rest = cutLine(rest)
		}
		switch item.Type {
		case "replay_event":
			var ev struct {
				ReplayID string   `json:"replay_id"`
				URLs     []string `json:"urls"`
			}
			if json.Unmarshal(data, &ev) == nil {
				if ev.ReplayID != "" {
					p.id = ev.ReplayID
				}
				if len(ev.URLs) > 0 && p.page == "" {
					p.page = ev.URLs[0]
				}
			}
		case "replay_recording":
			found = true
			_, events := cutLine(data) // {"segment_id":N}
			events = bytes.TrimSpace(events)
			if len(events) > 0 && events[0] != '[' {
				out, err := inflate(events, "zlib", max)
				if err != nil && len(out) == 0 {
					if out2, err2 := inflate(events, "deflate", max); err2 == nil {
						out = out2
					} else {
						p.notes = appendNote(p.notes, "replay: replay_recording: "+err.Error())
						continue
					}
				}
				events = out
			}
			list, err := eventList(events)
			if err != nil {
				p.notes = appendNote(p.notes, fmt.Sprintf("replay: replay_recording events: %v (%d events read)", err, len(list)))
			}
			r.eventList(list)
		}
	}
	if !found {
		return nil
	}
	p.ops, p.events = r.ops, r.events
	p.notes = append(p.notes, r.notes...)
	if r.page != "" {
		p.page = r.page
	}
	return p
}

// eventList reads a JSON list of events one by one, so a list cut short
// (a body over the capture limit, a stream that ended early) still gives
// the events before the cut.
func eventList(b []byte) ([]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil {
		return nil, err
	} else if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("not a list of events")
	}
	var out []json.RawMessage
	for dec.More() {
		var e json.RawMessage
		if err := dec.Decode(&e); err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

func cutLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// readMultipart reads a Datadog replay upload: a "segment" part holding
// the zlib-compressed segment JSON, and possibly an "event" part with
// its metadata.
func readMultipart(body []byte, ct string, max int64) *payload {
	_, params, err := mime.ParseMediaType(ct)
	if err != nil || params["boundary"] == "" {
		return nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var seg []byte
	var meta []byte
	for parts := 0; parts < 64; parts++ {
		part, err := mr.NextPart()
		if err != nil {
			break
		}
		data, _ := io.ReadAll(io.LimitReader(part, max))
		switch part.FormName() {
		case "segment":
			seg = data
		case "event":
			meta = data
		}
	}
	if seg == nil {
		return nil
	}
	if out, ok := sniffInflate(seg, max); ok {
		seg = out
	} else if out, err := inflate(seg, "deflate", max); err == nil {
		seg = out
	}
	p := readDatadogSegment(bytes.TrimSpace(seg))
	if p == nil {
		return nil
	}
	if p.id == "" && len(meta) > 0 {
		var m datadogContext
		if json.Unmarshal(meta, &m) == nil {
			p.id = m.Session.ID
		}
	}
	return p
}

type datadogContext struct {
	Session struct {
		ID string `json:"id"`
	} `json:"session"`
	View struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	} `json:"view"`
	Records []json.RawMessage `json:"records"`
}

// readDatadogSegment reads a Datadog segment: context and records.
func readDatadogSegment(b []byte) *payload {
	var s datadogContext
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &s) != nil || s.Records == nil {
		return nil
	}
	r := &eventReader{}
	r.eventList(s.Records)
	p := &payload{vendor: VendorDatadog, id: s.Session.ID, page: r.page, ops: r.ops, events: r.events, notes: r.notes}
	return p
}

// sessionKeys name the members that carry a recording's session or
// replay ID, in the order they are trusted.
var sessionKeys = []string{"$session_id", "session_secure_id", "replay_id", "replayId", "sessionId", "session_id", "sessionID", "$window_id"}

// readJSONRecording finds rrweb events in a JSON body: PostHog
// snapshots, Datadog segments, Highlight payloads, or a bare list.
func readJSONRecording(b []byte, host string) *payload {
	if b[0] == '{' && bytes.Contains(b, []byte(`"records"`)) {
		if p := readDatadogSegment(b); p != nil {
			return p
		}
	}
	if !hasEventMarkers(b) {
		return nil
	}
	var root any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if dec.Decode(&root) != nil {
		return nil
	}
	f := &eventFinder{}
	f.walk(root, "", 0)
	if len(f.events) == 0 {
		return nil
	}
	vendor := VendorRRWeb
	switch {
	case f.posthog || strings.Contains(host, "posthog"):
		vendor = VendorPostHog
	case f.highlight || strings.Contains(host, "highlight"):
		vendor = VendorHighlight
	}
	r := &eventReader{}
	r.eventList(f.events)
	if r.events == 0 {
		return nil
	}
	return &payload{vendor: vendor, id: f.id, page: r.page, ops: r.ops, events: r.events, notes: r.notes}
}

// eventMarkers are how a snapshot, mutation, input or meta event's type
// is written, compact or spaced: a body without one carries no event
// worth reading, and is not decoded further (most JSON bodies a proxy
// sees are not recordings).
var eventMarkers = [][]byte{[]byte(`"type":2`), []byte(`"type":3`), []byte(`"type":4`), []byte(`"type": 2`), []byte(`"type": 3`), []byte(`"type": 4`)}

func hasEventMarkers(b []byte) bool {
	if !bytes.Contains(b, []byte(`"timestamp"`)) || !bytes.Contains(b, []byte(`"data"`)) {
		return false
	}
	for _, m := range eventMarkers {
		if bytes.Contains(b, m) {
			return true
		}
	}
	return false
}

// eventFinder walks a JSON document for lists of rrweb events and the ID
// of the recording they belong to.
type eventFinder struct {
	events    []json.RawMessage
	id        string
	idRank    int
	posthog   bool
	highlight bool
	visited   int
}

const maxWalk = 200000

func (f *eventFinder) walk(v any, key string, depth int) {
	f.visited++
	if depth > 32 || f.visited > maxWalk {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		if ev, ok := x["event"].(string); ok && (ev == "$snapshot" || ev == "$snapshot_items") {
			f.posthog = true
		}
		if op, ok := x["operationName"].(string); ok && op == "PushPayload" {
			f.highlight = true
		}
		if isEventObject(x) {
			if raw, err := json.Marshal(x); err == nil {
				f.events = append(f.events, raw)
			}
			return
		}
		for k, c := range x {
			if s, ok := c.(string); ok && s != "" {
				for rank, sk := range sessionKeys {
					if k == sk && (f.id == "" || rank < f.idRank) {
						f.id, f.idRank = s, rank
					}
				}
				// PostHog may send a snapshot's events as a JSON string.
				if (k == "$snapshot_data" || k == "$snapshot_items") && len(s) > 1 && (s[0] == '[' || s[0] == '{') {
					var inner any
					if json.Unmarshal([]byte(s), &inner) == nil {
						f.walk(inner, k, depth+1)
					}
				}
				continue
			}
			f.walk(c, k, depth+1)
		}
	case []any:
		for _, c := range x {
			f.walk(c, key, depth+1)
		}
	}
}

// isEventObject reports whether a decoded object is an rrweb event.
func isEventObject(m map[string]any) bool {
	t, ok := m["type"].(json.Number)
	if !ok {
		return false
	}
	switch m["data"].(type) {
	case map[string]any:
	case string: // PostHog's compressed events
		if _, cv := m["cv"]; !cv {
			return false
		}
	default:
		return false
	}
	_, ts := m["timestamp"]
	n, err := t.Int64()
	return ts && err == nil && n >= 0 && n <= 6
}

// tokenID names a recording keyed by a bearer token without keeping the
// token: the first 8 bytes of its SHA-256, in hex.
func tokenID(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return "token-" + hex.EncodeToString(sum[:8])
}
