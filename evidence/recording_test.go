package evidence

import (
	"bytes"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

func TestReportShowsRecordedForm(t *testing.T) {
	d := &store.FlowDetail{Flow: phiproxy.Flow{ID: 7, Request: phiproxy.Request{Method: "POST", URL: "https://clinic.example/ingest/s/"}},
		Inspection: phiproxy.Inspection{Notes: []string{
			phiproxy.NoteRecording + "PostHog Session Replay s1 on https://clinic.example/book: 12 events; inputs unmasked, text unmasked",
			phiproxy.NoteRecordedField + `input[name=zip] "ZIP code" = 97403`,
			"body: a decode note",
		}}}
	rf := reportFlowFor(d)
	var b bytes.Buffer
	rw := &reportWriter{w: &b}
	if err := rw.add(rf); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"Session recording", "on https://clinic.example/book", `input[name=zip] &#34;ZIP code&#34;</td><td class="value mono">97403`, "Decoding notes: body: a decode note"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Decoding notes: recording") {
		t.Errorf("recording summary listed as a decoding note")
	}
}

func TestReportSummarisesRecordersAndRedactsRecordedValues(t *testing.T) {
	d := &store.FlowDetail{Flow: phiproxy.Flow{ID: 8, Request: phiproxy.Request{Method: "POST", URL: "https://o1.ingest.sentry.io/api/1/envelope/"}},
		Inspection: phiproxy.Inspection{Notes: []string{
			phiproxy.NoteRecording + "Sentry Replay r1 on https://clinic.example/book: 9 events; inputs unmasked, text masked; Sentry Replay records unmasked input on /book",
			phiproxy.NoteRecordedField + `input[name=notes] "Notes" = feeling low since March`,
		}}}
	s := newSummary()
	s.add(d)
	s.add(d)
	h := s.head(&Manifest{}, nil)
	if len(h.Recorders) != 1 || h.Recorders[0].Host != "Sentry Replay records unmasked input on /book" || h.Recorders[0].Flows != 2 {
		t.Errorf("recorders: got %+v", h.Recorders)
	}
	r, err := newRedactor()
	if err != nil {
		t.Fatal(err)
	}
	r.build()
	red := r.flow(d)
	for _, n := range red.Inspection.Notes {
		if strings.Contains(n, "feeling low") {
			t.Errorf("redacted flow keeps a recorded value: %q", n)
		}
	}
}
