package tui

import (
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

func TestDetailShowsRecordedForm(t *testing.T) {
	d := &store.FlowDetail{Flow: phiproxy.Flow{ID: 3, Request: phiproxy.Request{Method: "POST", URL: "https://o1.ingest.sentry.io/api/1/envelope/"}},
		Inspection: phiproxy.Inspection{Notes: []string{
			"body: a decode note",
			phiproxy.NoteRecording + "Sentry Replay r1 on https://clinic.example/book: 40 events; inputs partly masked (1 unmasked), text unmasked; Sentry Replay records unmasked input on /book",
			phiproxy.NoteRecordedField + `input[name=mrn] "Medical record number" = PT-55208817 (11 keystrokes)`,
			phiproxy.NoteRecordedField + `input[name=ssn] "SSN" = ********* (masked)`,
		}}}
	plain := detailView{d: d}.render()
	for _, want := range []string{"Session recording", "records unmasked input on /book", "input[name=mrn] \"Medical record number\"[-] → PT-55208817", "Decode notes", "a decode note"} {
		if !strings.Contains(plain, want) {
			t.Errorf("detail lacks %q:\n%s", want, plain)
		}
	}
	if strings.Contains(plain, "  - recording:") {
		t.Errorf("recording lines repeated as decode notes:\n%s", plain)
	}
	red := detailView{d: d, redact: true}.render()
	if strings.Contains(red, "PT-55208817") || !strings.Contains(red, "********* (masked)") {
		t.Errorf("redacted detail: want the typed value hidden and the mask shown:\n%s", red)
	}
}
