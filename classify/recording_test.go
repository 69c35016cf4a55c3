package classify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify/persona"
	"github.com/phiproxy/phiproxy/internal/encoded"
)

// formSnapshot is an rrweb full snapshot of a booking form with labelled
// fields and a portal heading, as rrweb serialises it.
func formSnapshot(masked bool) map[string]any {
	text := func(id int, s string) map[string]any {
		if masked {
			s = strings.Repeat("*", len(s))
		}
		return map[string]any{"type": 3, "id": id, "textContent": s}
	}
	el := func(id int, tag string, attrs map[string]any, kids ...map[string]any) map[string]any {
		if kids == nil {
			kids = []map[string]any{}
		}
		return map[string]any{"type": 2, "id": id, "tagName": tag, "attributes": attrs, "childNodes": kids}
	}
	field := func(lid, tid, iid int, id, name, label string) []map[string]any {
		return []map[string]any{
			el(lid, "label", map[string]any{"for": id}, text(tid, label)),
			el(iid, "input", map[string]any{"id": id, "name": name, "type": "text"}),
		}
	}
	var form []map[string]any
	form = append(form, field(20, 21, 22, "mrn", "mrn", "Medical record number")...)
	form = append(form, field(23, 24, 25, "dob", "birth", "Date of birth")...)
	form = append(form, field(26, 27, 28, "zip", "zip", "ZIP code")...)
	form = append(form, field(29, 30, 31, "member", "member_id", "Member ID")...)
	return map[string]any{"type": 2, "timestamp": 1, "data": map[string]any{"node": map[string]any{
		"type": 0, "id": 1, "childNodes": []map[string]any{
			el(2, "html", map[string]any{},
				el(3, "head", map[string]any{}, el(4, "title", map[string]any{}, text(5, "Patient portal"))),
				el(6, "body", map[string]any{},
					el(7, "h1", map[string]any{}, text(8, "Your plan for Type 2 diabetes")),
					el(9, "form", map[string]any{"id": "book"}, form...),
				),
			),
		}}}}
}

func metaEvent(href string) map[string]any {
	return map[string]any{"type": 4, "timestamp": 0, "data": map[string]any{"href": href, "width": 800, "height": 600}}
}

// typing returns the input events that type value into node id, one per
// keystroke, as rrweb records them.
func typing(id int, value string, masked bool) []map[string]any {
	var out []map[string]any
	for i := 1; i <= len(value); i++ {
		v := value[:i]
		if masked {
			v = strings.Repeat("*", i)
		}
		out = append(out, map[string]any{"type": 3, "timestamp": 2 + i, "data": map[string]any{"source": 5, "id": id, "text": v, "isChecked": false}})
	}
	return out
}

func sentrySegment(t testing.TB, replayID string, segment int, events []map[string]any) *phiproxy.Flow {
	t.Helper()
	js, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	fmt.Fprintf(&body, `{"event_id":%q,"sent_at":"2026-01-01T00:00:00Z"}`+"\n", replayID)
	fmt.Fprintf(&body, `{"type":"replay_event"}`+"\n"+`{"replay_id":%q,"segment_id":%d,"urls":[]}`+"\n", replayID, segment)
	payload := append([]byte(fmt.Sprintf(`{"segment_id":%d}`+"\n", segment)), encoded.Zlib(js)...)
	fmt.Fprintf(&body, `{"type":"replay_recording","length":%d}`+"\n", len(payload))
	body.Write(payload)
	h := http.Header{}
	h.Set("Content-Type", "application/x-sentry-envelope")
	h.Set("Referer", "https://portal.cedarclinic.com/book")
	return &phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://o1.ingest.sentry.io/api/2/envelope/", Header: h, Body: body.Bytes(), BodySize: int64(body.Len())}}
}

func posthogBatch(t testing.TB, sessionID string, events []map[string]any) *phiproxy.Flow {
	t.Helper()
	var batch []map[string]any
	for _, e := range events {
		batch = append(batch, map[string]any{"event": "$snapshot", "properties": map[string]any{
			"$snapshot_data": e, "$session_id": sessionID, "$window_id": "w1", "token": "phc_test"}})
	}
	js, _ := json.Marshal(batch)
	gz := encoded.Gzip(js)
	h := http.Header{}
	h.Set("Content-Type", "text/plain")
	h.Set("Referer", "https://portal.cedarclinic.com/book")
	// Routed through the site's own domain: recognised by shape.
	return &phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://portal.cedarclinic.com/ingest/s/?compression=gzip-js", Header: h, Body: gz, BodySize: int64(len(gz))}}
}

func findingAt(ins phiproxy.Inspection, kind phiproxy.Kind, path string) *phiproxy.Finding {
	for i, f := range ins.Findings {
		if f.Kind == kind && f.Path == path {
			return &ins.Findings[i]
		}
	}
	return nil
}

func TestRecordingAttributesTypedValuesAcrossSegments(t *testing.T) {
	for _, shape := range []string{"sentry", "posthog"} {
		t.Run(shape, func(t *testing.T) {
			in := newTestInspector(t, Options{})
			send := func(events ...map[string]any) phiproxy.Inspection {
				if shape == "sentry" {
					return in.Inspect(sentrySegment(t, "9c2f0e5a6b7d4e1f8a3b2c1d0e9f8a7b", 0, events))
				}
				return in.Inspect(posthogBatch(t, "0192-session", events))
			}
			first := send(metaEvent("https://portal.cedarclinic.com/book"), formSnapshot(false))
			if f := findingAt(first, phiproxy.KindCondition, "replay:body>h1"); f == nil || f.Term != "type 2 diabetes" {
				t.Fatalf("condition on the page: got %v; findings %+v", f, first.Findings)
			} else if f.Severity != phiproxy.Critical {
				t.Errorf("page condition severity: got %v, want critical", f.Severity)
			}
			var events []map[string]any
			events = append(events, typing(22, "PT-55208817", false)...)
			events = append(events, typing(25, "03/14/1962", false)...)
			second := send(events...)
			events = append(typing(28, "97403", false), typing(31, "XGH447120934", false)...)
			third := send(events...)

			for _, c := range []struct {
				ins  phiproxy.Inspection
				kind phiproxy.Kind
				path string
				term string
			}{
				{second, phiproxy.KindMRN, "replay:input[name=mrn]", "PT-55208817"},
				{second, phiproxy.KindDOB, "replay:input[name=birth]", "1962-03-14"},
				{third, phiproxy.KindZIP, "replay:input[name=zip]", "97403"},
				{third, phiproxy.KindMemberID, "replay:input[name=member_id]", "XGH447120934"},
			} {
				f := findingAt(c.ins, c.kind, c.path)
				if f == nil {
					t.Errorf("%s at %s: not found; findings %+v", c.kind, c.path, c.ins.Findings)
					continue
				}
				if f.Term != c.term || f.Severity != phiproxy.Critical {
					t.Errorf("%s: got term %q severity %v, want %q critical", c.kind, f.Term, f.Severity, c.term)
				}
			}
			// Each field once, with its final value: no keystroke prefix
			// is reported.
			for _, f := range second.Findings {
				if f.Kind == phiproxy.KindMRN && f.Term != "PT-55208817" {
					t.Errorf("partial value reported: %+v", f)
				}
			}
			if d := second.Destination; d.Category != "session_replay" || d.Party != phiproxy.ThirdParty {
				t.Errorf("destination: got %+v, want a third-party session recorder", d)
			}
			// The same audit as a value, for the inventory.
			if len(second.Recordings) != 1 {
				t.Fatalf("recordings: got %+v, want one", second.Recordings)
			} else if r := second.Recordings[0]; r.Page != "https://portal.cedarclinic.com/book" || r.InputsUnmasked != 2 || r.InputsMasked != 0 || !r.Typing || r.Vendor == "" {
				t.Errorf("recording: got %+v, want the /book page, 2 unmasked inputs, typing", r)
			}
			notes := strings.Join(second.Notes, "\n")
			for _, want := range []string{
				phiproxy.NoteRecording, "typing captured keystroke by keystroke", "records unmasked input on /book",
				phiproxy.NoteRecordedField + `input[name=mrn] "Medical record number" = PT-55208817 (11 keystrokes)`,
			} {
				if !strings.Contains(notes, want) {
					t.Errorf("notes lack %q:\n%s", want, notes)
				}
			}
		})
	}
}

func TestRecordingMaskedReportsMaskingAndNoValues(t *testing.T) {
	in := newTestInspector(t, Options{})
	id := "masked-replay-0001"
	in.Inspect(sentrySegment(t, id, 0, []map[string]any{metaEvent("https://portal.cedarclinic.com/book"), formSnapshot(true)}))
	ins := in.Inspect(sentrySegment(t, id, 1, append(typing(22, "PT-55208817", true), typing(28, "97403", true)...)))
	for _, f := range ins.Findings {
		if isRecordingPath(f.Path) && f.Kind != phiproxy.KindCondition {
			t.Errorf("masked recording gave a finding: %+v", f)
		}
	}
	if len(ins.Recordings) != 1 || ins.Recordings[0].InputsMasked != 2 || ins.Recordings[0].InputsUnmasked != 0 {
		t.Errorf("recordings: got %+v, want one with 2 masked inputs and none unmasked", ins.Recordings)
	}
	notes := strings.Join(ins.Notes, "\n")
	if !strings.Contains(notes, "inputs masked") || strings.Contains(notes, "PT-55") {
		t.Errorf("notes: want inputs masked and no value:\n%s", notes)
	}
}

func TestRecordingInputBeforeSnapshotResolves(t *testing.T) {
	// Workers may inspect segment 1 before segment 0.
	in := newTestInspector(t, Options{})
	id := "out-of-order-01"
	early := in.Inspect(sentrySegment(t, id, 1, typing(22, "PT-55208817", false)))
	if !strings.Contains(strings.Join(early.Notes, "\n"), "wait for their field's snapshot") {
		t.Errorf("early segment notes: %q", early.Notes)
	}
	late := in.Inspect(sentrySegment(t, id, 0, []map[string]any{formSnapshot(false)}))
	if f := findingAt(late, phiproxy.KindMRN, "replay:input[name=mrn]"); f == nil {
		t.Fatalf("input resolved when the snapshot arrived: not found; findings %+v", late.Findings)
	}
	if notes := strings.Join(late.Notes, "\n"); !strings.Contains(notes, `input[name=mrn] "Medical record number" = PT-55208817 (11 keystrokes) (typed before the field's snapshot arrived)`) {
		t.Errorf("late notes: %s", notes)
	}
}

func TestRecordingSeverityWithBAA(t *testing.T) {
	for _, c := range []struct {
		baa  []string
		want phiproxy.Severity
	}{
		{nil, phiproxy.Critical},
		{[]string{"Sentry"}, phiproxy.Low},                      // the host's vendor
		{[]string{"Sentry Replay"}, phiproxy.Low},               // the recorder's name
		{[]string{"ingest.sentry.io"}, phiproxy.Low},            // the domain
		{[]string{"PostHog Session Replay"}, phiproxy.Critical}, // someone else
	} {
		in := newTestInspector(t, Options{BAA: c.baa})
		id := "baa-replay"
		in.Inspect(sentrySegment(t, id, 0, []map[string]any{formSnapshot(false)}))
		ins := in.Inspect(sentrySegment(t, id, 1, typing(31, "XGH447120934", false)))
		f := findingAt(ins, phiproxy.KindMemberID, "replay:input[name=member_id]")
		if f == nil {
			t.Fatalf("BAA %q: member ID not found: %+v", c.baa, ins.Findings)
		}
		if f.Severity != c.want {
			t.Errorf("BAA %q: severity %v, want %v", c.baa, f.Severity, c.want)
		}
	}
}

// An address typed in two bursts (a pause, then the rest) within one
// PostHog batch is inspected as the final value, so the persona's address
// is found whole.
func TestRecordingPersonaAddressTypedInBursts(t *testing.T) {
	in := newTestInspector(t, Options{Persona: &persona.Persona{Address: "742 Evergreen Terrace"}})
	snap := formSnapshot(false)
	in.Inspect(posthogBatch(t, "bursts", []map[string]any{snap}))
	events := typing(22, "742 Ever", false)
	for _, e := range typing(22, "742 Evergreen Terrace", false)[len("742 Ever"):] {
		events = append(events, e)
	}
	ins := in.Inspect(posthogBatch(t, "bursts", events))
	found := false
	for _, f := range ins.Findings {
		found = found || f.Source == phiproxy.SourcePersona && f.Kind == phiproxy.KindAddress && f.Path == "replay:input[name=mrn]"
	}
	if !found {
		t.Errorf("persona address typed in two bursts: not found; findings %+v", ins.Findings)
	}
}

func TestRecordingOpenReplaySelfHostedStaysFirstParty(t *testing.T) {
	batch := []byte{81, 1, 0, 0, 0, 0} // batch metadata: version 1, no location
	for _, host := range []struct {
		url   string
		party phiproxy.Party
	}{
		{"https://replay.cedarclinic.com/ingest/v1/web/i", phiproxy.FirstParty},
		{"https://api.openreplay.example/ingest/v1/web/i", phiproxy.ThirdParty},
	} {
		in := newTestInspector(t, Options{Sites: []string{"cedarclinic.com"}})
		h := http.Header{}
		h.Set("Authorization", "Bearer tok")
		ins := in.Inspect(&phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: host.url, Header: h, Body: batch}})
		if ins.Destination.Party != host.party || ins.Destination.Category != "session_replay" {
			t.Errorf("%s: got %+v, want party %s", host.url, ins.Destination, host.party)
		}
	}
}

func TestRecordingGenericEventsNamedAfterTheKnownVendor(t *testing.T) {
	in := newTestInspector(t, Options{})
	body, _ := json.Marshal(map[string]any{"session_id": "hj-1", "events": []any{
		map[string]any{"t": "input", "d": metaEvent("https://portal.cedarclinic.com/book")},
		map[string]any{"t": "input", "d": map[string]any{"type": 3, "timestamp": 2, "data": map[string]any{"source": 5, "id": 7, "text": "PT-55208817"}}},
	}})
	ins := in.Inspect(&phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://content.hotjar.io/api/v2/client/sites/1/recordings/content", Body: body}})
	if !strings.Contains(strings.Join(ins.Notes, "\n"), phiproxy.NoteRecording+"Hotjar hj-1 on https://portal.cedarclinic.com/book") {
		t.Errorf("notes: %q", ins.Notes)
	}
}
