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
