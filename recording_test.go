package phiproxy

import (
	"reflect"
	"testing"
)

func TestRecordingNotes(t *testing.T) {
	notes := []string{
		"body: zlib: unexpected EOF",
		NoteRecording + "Sentry Replay r1 on https://c.example/book: 9 events; inputs partly masked (1 unmasked), text unmasked; Sentry Replay records unmasked input on /book; Sentry Replay records unmasked page text on /book",
		NoteRecordedField + `input[name=mrn] "MRN" = PT-1234567 (7 keystrokes)`,
		NoteRecordedField + `input[name=ssn] = ********* (masked)`,
	}
	sums, fields, other := SplitRecordingNotes(notes)
	if len(sums) != 1 || !reflect.DeepEqual(other, notes[:1]) {
		t.Fatalf("split: got %q / %q", sums, other)
	}
	want := []RecordedField{{`input[name=mrn] "MRN"`, "PT-1234567 (7 keystrokes)", false}, {"input[name=ssn]", "********* (masked)", true}}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("fields: got %+v, want %+v", fields, want)
	}
	if got := UnmaskedStatements(sums[0]); !reflect.DeepEqual(got, []string{"Sentry Replay records unmasked input on /book", "Sentry Replay records unmasked page text on /book"}) {
		t.Errorf("statements: got %q", got)
	}
	red := RedactRecordedValues(notes)
	if red[2] != NoteRecordedField+`input[name=mrn] "MRN" = [redacted]` || red[3] != notes[3] || red[0] != notes[0] {
		t.Errorf("redacted: got %q", red)
	}
	if notes[2] == red[2] {
		t.Errorf("RedactRecordedValues changed its input")
	}
}
