package phiproxy

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
