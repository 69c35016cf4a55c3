package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify/decode"
	"github.com/phiproxy/phiproxy/internal/encoded"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// snapshotRecords is a small page: a labelled input (node 5) and a
// heading, as rrweb and Datadog serialise them.
const snapshotRecords = `[
 {"type":4,"timestamp":1,"data":{"href":"https://clinic.test/book","width":1,"height":1}},
 {"type":2,"timestamp":2,"data":{"node":{"type":0,"id":1,"childNodes":[
  {"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[
   {"type":2,"id":3,"tagName":"body","attributes":{},"childNodes":[
    {"type":2,"id":4,"tagName":"label","attributes":{"for":"m"},"childNodes":[{"type":3,"id":6,"textContent":"Member ID"}]},
    {"type":2,"id":5,"tagName":"input","attributes":{"id":"m","type":"text","autocomplete":"off"},"childNodes":[]},
    {"type":2,"id":7,"tagName":"h2","attributes":{},"childNodes":[{"type":3,"id":8,"textContent":"Asthma care plan"}]},
    {"type":2,"id":9,"tagName":"div","attributes":{"class":"rr-block","rr_width":"10px"},"childNodes":[]}
   ]}]}]},"initialOffset":{"left":0,"top":0}}}
]`

func datadogFlow(t testing.TB, session string, records string) *phiproxy.Flow {
	t.Helper()
	seg := fmt.Sprintf(`{"application":{"id":"app"},"session":{"id":%q},"view":{"id":"v"},"start":1,"end":2,"records_count":1,"source":"browser","creation_reason":"init","records":%s}`, session, records)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="segment"; filename="s"`)
	h.Set("Content-Type", "application/octet-stream")
	pw, _ := mw.CreatePart(h)
	pw.Write(encoded.Zlib([]byte(seg)))
	ev, _ := mw.CreateFormField("event")
	fmt.Fprintf(ev, `{"session":{"id":%q}}`, session)
	mw.Close()
	hdr := http.Header{}
	hdr.Set("Content-Type", mw.FormDataContentType())
	return &phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://browser-intake-datadoghq.com/api/v2/replay?ddsource=browser", Header: hdr, Body: body.Bytes()}}
}

func TestDatadogSegmentsResolveAcrossFlows(t *testing.T) {
	r := NewRecorder(Limits{})
	first := r.Observe(datadogFlow(t, "dd-1", snapshotRecords), t0)
	if first == nil || first.Vendor != VendorDatadog || first.Page != "https://clinic.test/book" {
		t.Fatalf("first segment: got %+v", first)
	}
	if first.Masking.Blocked != 1 {
		t.Errorf("blocked: got %d, want 1", first.Masking.Blocked)
	}
	var heading bool
	for _, tx := range first.Text {
		heading = heading || tx.Path == "body>h2" && tx.Value == "Asthma care plan"
	}
	if !heading {
		t.Errorf("heading not reported with its path: %+v", first.Text)
	}
	second := r.Observe(datadogFlow(t, "dd-1", `[
	 {"type":3,"timestamp":3,"data":{"source":5,"id":5,"text":"X"}},
	 {"type":3,"timestamp":4,"data":{"source":5,"id":5,"text":"XGH4471"}}]`), t0.Add(time.Second))
	if second == nil || len(second.Inputs) != 1 {
		t.Fatalf("second segment inputs: got %+v", second)
	}
	in := second.Inputs[0]
	if in.Value != "XGH4471" || in.Label != "Member ID" || in.Keystrokes != 2 || in.Selector() != "input[id=m]" {
		t.Errorf("input: got %+v", in)
	}
	if got := in.KeyCandidates(); len(got) == 0 || got[0] != "m" || got[1] != "Member ID" {
		t.Errorf("key candidates: got %q (autocomplete=off must not count)", got)
	}
	masked := r.Observe(datadogFlow(t, "dd-1", `[{"type":3,"timestamp":5,"data":{"source":5,"id":5,"text":"***"}}]`), t0.Add(2*time.Second))
	if !masked.Inputs[0].Masked || masked.Masking.InputsMasked != 1 {
		t.Errorf("Datadog *** not read as masked: %+v", masked.Inputs)
	}
}

// orBatch builds an OpenReplay batch as the tracker frames it.
type orBatch struct{ b []byte }

func (o *orBatch) uint(v uint64) {
	for v >= 0x80 {
		o.b = append(o.b, byte(v)|0x80)
		v >>= 7
	}
	o.b = append(o.b, byte(v))
}
func (o *orBatch) str(s string) { o.uint(uint64(len(s))); o.b = append(o.b, s...) }
func (o *orBatch) msg(typ uint64, fields func(m *orBatch)) {
	o.uint(typ)
	m := &orBatch{}
	fields(m)
	n := len(m.b)
	o.b = append(o.b, byte(n), byte(n>>8), byte(n>>16))
	o.b = append(o.b, m.b...)
}

func newORBatch(location string) *orBatch {
	o := &orBatch{}
	o.uint(orBatchMetadata)
	o.uint(1)
	o.uint(0)
	o.uint(0)
	o.uint(2 * 1700000000000) // zigzag timestamp
	o.str(location)
	return o
}

func orFlow(b []byte, token string) *phiproxy.Flow {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	h.Set("Content-Type", "application/octet-stream")
	return &phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://openreplay.clinic.test/ingest/v1/web/i", Header: h, Body: b}}
}

func TestOpenReplayBatches(t *testing.T) {
	r := NewRecorder(Limits{})
	b := newORBatch("https://clinic.test/intake")
	b.msg(orCreateElementNode, func(m *orBatch) { m.uint(10); m.uint(0); m.uint(0); m.str("BODY"); m.b = append(m.b, 0) })
	b.msg(orCreateElementNode, func(m *orBatch) { m.uint(11); m.uint(10); m.uint(0); m.str("INPUT"); m.b = append(m.b, 0) })
	b.msg(orSetNodeAttribute, func(m *orBatch) { m.uint(11); m.str("name"); m.str("zip") })
	b.msg(orCreateTextNode, func(m *orBatch) { m.uint(12); m.uint(10); m.uint(1) })
	b.msg(orSetNodeData, func(m *orBatch) { m.uint(12); m.str("Depression screening") })
	b.msg(99, func(m *orBatch) { m.str("an unknown message is skipped by its size") })
	first := r.Observe(orFlow(b.b, "tok-1"), t0)
	if first == nil || first.Vendor != VendorOpenReplay || first.Page != "https://clinic.test/intake" {
		t.Fatalf("first batch: got %+v", first)
	}
	if len(first.Text) != 1 || first.Text[0].Value != "Depression screening" || first.Text[0].Path != "body" {
		t.Errorf("text: got %+v", first.Text)
	}
	b2 := newORBatch("https://clinic.test/intake")
	b2.msg(orSetInputValue, func(m *orBatch) { m.uint(11); m.str("97403"); m.uint(0); m.uint(0) })
	second := r.Observe(orFlow(b2.b, "tok-1"), t0)
	if len(second.Inputs) != 1 || second.Inputs[0].Name != "zip" || second.Inputs[0].Value != "97403" || second.Inputs[0].Masked {
		t.Fatalf("input from the second batch: got %+v", second.Inputs)
	}
	b3 := newORBatch("https://clinic.test/intake")
	b3.msg(orSetInputValue, func(m *orBatch) { m.uint(11); m.str("*****"); m.uint(0); m.uint(2 * 5) })
	if third := r.Observe(orFlow(b3.b, "tok-1"), t0); !third.Inputs[0].Masked {
		t.Errorf("masked OpenReplay input: got %+v", third.Inputs)
	}
	if other := r.Observe(orFlow(b2.b, "tok-2"), t0); other.Inputs[0].Name != "" {
		t.Errorf("another session resolved against tok-1's nodes: %+v", other.Inputs)
	}
}

// TestRecorderBoundedUnderFlood sends many recordings, each with a big
// snapshot, and checks that the kept state stays within its limits.
func TestRecorderBoundedUnderFlood(t *testing.T) {
	lim := Limits{MaxRecordings: 50, MaxBytes: 1 << 20, MaxNodes: 2000, MaxPending: 16, MaxAge: time.Minute}
	r := NewRecorder(lim)
	var kids []string
	for i := 0; i < 1500; i++ {
		kids = append(kids, fmt.Sprintf(`{"type":2,"id":%d,"tagName":"p","attributes":{"class":"c%d"},"childNodes":[{"type":3,"id":%d,"textContent":"paragraph %d"}]}`, 10+2*i, i, 11+2*i, i))
	}
	big := `[{"type":2,"timestamp":1,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"body","attributes":{},"childNodes":[` + joinComma(kids) + `]}]}}}]`
	var pending []string
	for i := 0; i < 40; i++ {
		pending = append(pending, fmt.Sprintf(`{"type":3,"timestamp":2,"data":{"source":5,"id":%d,"text":"value %d"}}`, 900000+i, i))
	}
	orphans := "[" + joinComma(pending) + "]"
	maxBytes := int64(0)
	for i := 0; i < 150; i++ {
		now := t0.Add(time.Duration(i) * time.Second)
		r.Observe(datadogFlow(t, fmt.Sprintf("flood-%d", i), big), now)
		r.Observe(datadogFlow(t, fmt.Sprintf("flood-%d", i), orphans), now)
		s := r.Stats()
		if s.Bytes > maxBytes {
			maxBytes = s.Bytes
		}
		if s.Recordings > lim.MaxRecordings {
			t.Fatalf("after %d recordings: %d kept, limit %d", i+1, s.Recordings, lim.MaxRecordings)
		}
		if s.Nodes > s.Recordings*lim.MaxNodes || s.Pending > s.Recordings*lim.MaxPending {
			t.Fatalf("per-recording limits broken: %+v", s)
		}
	}
	s := r.Stats()
	// One recording may exceed the byte budget on its own (it is never
	// evicted while being applied); all together stay within budget plus
	// one recording's worth.
	perRecording := int64(lim.MaxNodes)*(nodeOverhead+64) + int64(lim.MaxPending)*(nodeOverhead+16)
	if maxBytes > lim.MaxBytes+perRecording {
		t.Errorf("bytes peaked at %d, budget %d (+%d for the recording being applied)", maxBytes, lim.MaxBytes, perRecording)
	}
	if s.Evicted < 100 {
		t.Errorf("evicted %d recordings, want most of 150", s.Evicted)
	}
	// Age: a minute later, everything is gone.
	r.Observe(datadogFlow(t, "late", orphans), t0.Add(time.Hour))
	if s := r.Stats(); s.Recordings != 1 {
		t.Errorf("after MaxAge: %d recordings kept, want only the new one", s.Recordings)
	}
}

func joinComma(parts []string) string {
	var b bytes.Buffer
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p)
	}
	return b.String()
}

func TestNotARecording(t *testing.T) {
	r := NewRecorder(Limits{})
	for _, body := range []string{`{"event":"page_view","type":1,"data":{}}`, `[1,2,3]`, `v=2&tid=G-X`, ``} {
		f := &phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://x.test/collect", Body: []byte(body)}}
		if obs := r.Observe(f, t0); obs != nil {
			t.Errorf("%q read as a recording: %+v", body, obs)
		}
	}
}

func FuzzRRWebEvents(f *testing.F) {
	f.Add([]byte(snapshotRecords))
	f.Add([]byte(`[{"type":3,"timestamp":1,"data":{"source":0,"adds":[{"parentId":1,"node":{"type":2,"id":1,"tagName":"a","attributes":{},"childNodes":[]}}],"removes":[{"parentId":0,"id":1}],"texts":[{"id":1,"value":null}],"attributes":[{"id":1,"attributes":{"style":{"x":"y"},"value":null}}]}}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewRecorder(Limits{MaxNodes: 100, MaxPending: 4})
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		r.Observe(&phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://x.test/s/", Header: h, Body: b}}, t0)
		r.Observe(&phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://x.test/s/", Header: h, Body: b}}, t0)
	})
}

func FuzzSentryEnvelope(f *testing.F) {
	events := encoded.Zlib([]byte(snapshotRecords))
	env := append([]byte(`{"event_id":"abc"}`+"\n"+`{"type":"replay_recording","length":`+fmt.Sprint(len(events)+16)+`}`+"\n"+`{"segment_id":0}`+"\n"), events...)
	f.Add(env)
	f.Add([]byte(`{"event_id":"x"}` + "\n" + `{"type":"replay_recording"}` + "\n" + `{"segment_id":1}` + "\n[]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewRecorder(Limits{MaxNodes: 100, MaxPending: 4, MaxPayload: 1 << 20})
		r.Observe(&phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://o1.ingest.sentry.io/api/1/envelope/", Body: b}}, t0)
	})
}

func FuzzDatadogSegment(f *testing.F) {
	fl := datadogFlow(f, "s", snapshotRecords)
	f.Add(fl.Request.Body, fl.Request.Header.Get("Content-Type"))
	seg, _ := json.Marshal(map[string]any{"session": map[string]any{"id": "x"}, "records": json.RawMessage(snapshotRecords)})
	f.Add(seg, "application/json")
	f.Fuzz(func(t *testing.T, b []byte, ct string) {
		r := NewRecorder(Limits{MaxNodes: 100, MaxPending: 4, MaxPayload: 1 << 20})
		h := http.Header{}
		h.Set("Content-Type", ct)
		r.Observe(&phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://browser-intake-datadoghq.com/api/v2/replay", Header: h, Body: b}}, t0)
	})
}

func FuzzOpenReplayBatch(f *testing.F) {
	b := newORBatch("https://clinic.test/")
	b.msg(orCreateElementNode, func(m *orBatch) { m.uint(1); m.uint(0); m.uint(0); m.str("INPUT"); m.b = append(m.b, 0) })
	b.msg(orStringDict, func(m *orBatch) { m.uint(1); m.str("name") })
	b.msg(orSetNodeAttributeDict, func(m *orBatch) { m.uint(1); m.uint(1); m.uint(1) })
	b.msg(orSetInputValue, func(m *orBatch) { m.uint(1); m.str("v"); m.uint(0) })
	f.Add(b.b)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewRecorder(Limits{MaxNodes: 100, MaxPending: 4})
		r.Observe(orFlow(data, "t"), t0)
	})
}

// latin1Gzip compresses JSON the way posthog-js does before it puts it
// in a string: gzip bytes, one character per byte.
func latin1Gzip(t testing.TB, v string) string {
	gz := encoded.Gzip([]byte(v))
	r := make([]rune, 0, len(gz))
	for _, c := range gz {
		r = append(r, rune(c))
	}
	return string(r)
}

func TestPostHogCompressedEvents(t *testing.T) {
	var events []json.RawMessage
	json.Unmarshal([]byte(snapshotRecords), &events)
	var full struct {
		Data json.RawMessage `json:"data"`
	}
	json.Unmarshal(events[1], &full)
	adds := `[{"parentId":3,"node":{"type":2,"id":40,"tagName":"p","attributes":{},"childNodes":[{"type":3,"id":41,"textContent":"Next visit: oncology follow-up"}]}}]`
	batch := []map[string]any{
		{"event": "$snapshot", "properties": map[string]any{"$session_id": "ph-1", "$snapshot_data": []any{
			json.RawMessage(events[0]),
			map[string]any{"type": 2, "timestamp": 2, "cv": "2024-10", "data": latin1Gzip(t, string(full.Data))},
			map[string]any{"type": 3, "timestamp": 3, "cv": "2024-10", "data": map[string]any{"source": 0, "adds": latin1Gzip(t, adds), "texts": latin1Gzip(t, "[]"), "removes": latin1Gzip(t, "[]"), "attributes": latin1Gzip(t, "[]")}},
			map[string]any{"type": 3, "timestamp": 4, "data": map[string]any{"source": 5, "id": 5, "text": "XGH4471"}},
		}}},
	}
	js, _ := json.Marshal(batch)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	obs := NewRecorder(Limits{}).Observe(&phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://us.i.posthog.com/s/", Header: h, Body: js}}, t0)
	if obs == nil || obs.Vendor != VendorPostHog || obs.ID != "ph-1" {
		t.Fatalf("got %+v", obs)
	}
	texts := map[string]string{}
	for _, tx := range obs.Text {
		texts[tx.Value] = tx.Path
	}
	if texts["Next visit: oncology follow-up"] != "body>p" || texts["Asthma care plan"] != "body>h2" {
		t.Errorf("text of compressed events: got %v (notes %q)", texts, obs.Notes)
	}
	if len(obs.Inputs) != 1 || obs.Inputs[0].Label != "Member ID" {
		t.Errorf("input against the compressed snapshot: got %+v", obs.Inputs)
	}
}

func TestSentrySegmentCutShortKeepsEarlierEvents(t *testing.T) {
	events := []byte(snapshotRecords)
	cut := events[:len(events)-40] // inside the snapshot: only the meta event survives whole
	payload := append([]byte(`{"segment_id":0}`+"\n"), encoded.Zlib(cut)...)
	body := append([]byte(`{"event_id":"cut-1"}`+"\n"+`{"type":"replay_recording","length":`+fmt.Sprint(len(payload))+`}`+"\n"), payload...)
	obs := NewRecorder(Limits{}).Observe(&phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://o1.ingest.sentry.io/api/1/envelope/", Body: body}}, t0)
	if obs == nil || obs.Page != "https://clinic.test/book" || obs.Events != 1 {
		t.Fatalf("got %+v", obs)
	}
	if len(obs.Notes) == 0 || !bytes.Contains([]byte(obs.Notes[0]), []byte("1 events read")) {
		t.Errorf("notes: got %q", obs.Notes)
	}
}

// TestRecorderConcurrentOutOfOrder observes the segments of many
// recordings from many goroutines, inputs often before their snapshot,
// and checks every input ends up attributed to its field.
func TestRecorderConcurrentOutOfOrder(t *testing.T) {
	r := NewRecorder(Limits{})
	const recordings = 40
	var wg sync.WaitGroup
	named := make(chan string, 2*recordings)
	for i := 0; i < recordings; i++ {
		id := fmt.Sprintf("conc-%d", i)
		segs := []string{snapshotRecords, `[{"type":3,"timestamp":3,"data":{"source":5,"id":5,"text":"XGH4471"}}]`}
		for j, seg := range segs {
			if i%2 == 1 {
				seg = segs[1-j] // odd recordings: the input first
			}
			wg.Add(1)
			go func(seg string) {
				defer wg.Done()
				obs := r.Observe(datadogFlow(t, id, seg), t0)
				for _, in := range obs.Inputs {
					if in.Label != "" {
						named <- id + "=" + in.Label
					}
				}
			}(seg)
		}
	}
	wg.Wait()
	close(named)
	got := map[string]bool{}
	for n := range named {
		got[n] = true
	}
	for i := 0; i < recordings; i++ {
		if want := fmt.Sprintf("conc-%d=Member ID", i); !got[want] {
			t.Errorf("%s: input never attributed to its field", want)
		}
	}
	if s := r.Stats(); s.Pending != 0 {
		t.Errorf("pending inputs left: %d", s.Pending)
	}
}

func TestCheckboxesAndRadios(t *testing.T) {
	r := NewRecorder(Limits{})
	snap := `[{"type":2,"timestamp":1,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"body","attributes":{},"childNodes":[
	 {"type":2,"id":3,"tagName":"input","attributes":{"type":"radio","name":"condition","value":"diabetes"},"childNodes":[]},
	 {"type":2,"id":4,"tagName":"input","attributes":{"type":"checkbox","name":"has_asthma"},"childNodes":[]},
	 {"type":2,"id":5,"tagName":"input","attributes":{"type":"text","name":"notes"},"childNodes":[]}]}]}}}]`
	r.Observe(datadogFlow(t, "boxes", snap), t0)
	obs := r.Observe(datadogFlow(t, "boxes", `[
	 {"type":3,"timestamp":2,"data":{"source":5,"id":3,"text":"diabetes","isChecked":true}},
	 {"type":3,"timestamp":3,"data":{"source":5,"id":4,"text":"on","isChecked":true}},
	 {"type":3,"timestamp":4,"data":{"source":5,"id":5,"text":"abc","isChecked":false}},
	 {"type":3,"timestamp":5,"data":{"source":5,"id":5,"text":"","isChecked":false}}]`), t0)
	got := map[string]string{}
	for _, in := range obs.Inputs {
		got[in.Name] = in.Value
	}
	if got["condition"] != "diabetes" || got["has_asthma"] != "true" || got["notes"] != "" {
		t.Errorf("values: got %q", got)
	}
}

func TestFieldPastNodeLimitStillInspected(t *testing.T) {
	r := NewRecorder(Limits{MaxNodes: 3})
	snap := `[{"type":2,"timestamp":1,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"body","attributes":{},"childNodes":[
	 {"type":2,"id":3,"tagName":"p","attributes":{},"childNodes":[]},
	 {"type":2,"id":4,"tagName":"input","attributes":{"type":"text","name":"mrn","value":"PT-55208817"},"childNodes":[]}]}]}}}]`
	obs := r.Observe(datadogFlow(t, "limit", snap), t0)
	if len(obs.Inputs) != 1 || obs.Inputs[0].Name != "mrn" || obs.Inputs[0].Value != "PT-55208817" {
		t.Errorf("inputs: got %+v", obs.Inputs)
	}
	if len(obs.Notes) == 0 || !strings.Contains(obs.Notes[0], "node limit 3") {
		t.Errorf("notes: got %q", obs.Notes)
	}
	if s := r.Stats(); s.Nodes != 3 {
		t.Errorf("nodes kept: got %d, want 3", s.Nodes)
	}
}

// TestOpenReplayPathFold: OpenReplay's ingest path is recognised in any
// case.
func TestOpenReplayPathFold(t *testing.T) {
	if !hasSuffixFold(decode.URLPath("https://x.example/V1/WEB/I"), "/v1/web/i") {
		t.Error("an upper-case /V1/WEB/I is not read as OpenReplay's path")
	}
}
