package phiproxy

import "strings"

// Note prefixes of a flow that carries a session recording. The
// inspection's Notes keep, after the decode problems, one summary line
// per recording and one line per recorded form field, so that every
// view (terminal UI, report, HAR comment) can show the reconstructed
// form without a schema of its own:
//
//	recording: Sentry Replay 4f1c… on https://clinic.test/book: inputs unmasked, text unmasked; typing captured keystroke by keystroke (4 fields, 38 input events)
//	recorded field: input[name=mrn] "Medical record number" = PT-55208817
//	recorded field: input[name=dob] "Date of birth" = ******** (masked)
const (
	NoteRecording     = "recording: "
	NoteRecordedField = "recorded field: "
)

// Recording is what one flow showed of a session recording: the
// recorder, the page recorded, and the masking audit of the inputs and
// text the flow carried.
type Recording struct {
	// Vendor names the recorder ("Sentry Replay", "PostHog Session
	// Replay"); ID is its session or replay ID, when known.
	Vendor, ID string
	// Page is the recorded page's URL, when the recording says.
	Page string
	// Inputs and text the recorder masked and did not mask, and elements
	// it blocked (replaced by a placeholder).
	InputsMasked, InputsUnmasked int
	TextMasked, TextUnmasked     int
	Blocked                      int
	// Typing is set when a field's value was captured keystroke by
	// keystroke.
	Typing bool
}

// RecordedField is one line of a recording's reconstructed form.
type RecordedField struct {
	// Field names the form field ("input[name=mrn] \"Medical record
	// number\"").
	Field string
	// Value is what the recorder captured, as the note holds it.
	Value string
	// Masked is set when the recorder masked the value.
	Masked bool
}

// SplitRecordingNotes separates an inspection's notes into the recording
// summaries (without their prefix), the recorded form fields, and the
// other notes, each in order.
func SplitRecordingNotes(notes []string) (summaries []string, fields []RecordedField, other []string) {
	for _, n := range notes {
		switch {
		case strings.HasPrefix(n, NoteRecording):
			summaries = append(summaries, strings.TrimPrefix(n, NoteRecording))
		case strings.HasPrefix(n, NoteRecordedField):
			line := strings.TrimPrefix(n, NoteRecordedField)
			field, value, _ := strings.Cut(line, " = ")
			masked := strings.Contains(value, " (masked)")
			fields = append(fields, RecordedField{Field: field, Value: value, Masked: masked})
		default:
			other = append(other, n)
		}
	}
	return summaries, fields, other
}

// unmaskedClause is how a recording summary states what a recorder
// captured unmasked: "PostHog Session Replay records unmasked input on
// /book".
const unmaskedClause = " records unmasked "

// UnmaskedStatements returns the clauses of a recording summary that say
// a recorder captured something unmasked, for per-vendor audits.
func UnmaskedStatements(summary string) []string {
	var out []string
	for _, c := range strings.Split(summary, "; ") {
		if strings.Contains(c, unmaskedClause) {
			out = append(out, strings.TrimSpace(c))
		}
	}
	return out
}

// RedactRecordedValues returns notes with the value of every recorded
// form field replaced by "[redacted]" (masked values stay: they are
// masks), for exports that must not carry what was typed.
func RedactRecordedValues(notes []string) []string {
	out := make([]string, len(notes))
	for i, n := range notes {
		out[i] = n
		if !strings.HasPrefix(n, NoteRecordedField) {
			continue
		}
		field, value, ok := strings.Cut(n, " = ")
		if ok && !strings.Contains(value, " (masked)") {
			out[i] = field + " = [redacted]"
		}
	}
	return out
}
