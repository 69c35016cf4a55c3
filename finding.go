package phiproxy

import (
	"fmt"
	"strings"
)

// Field is one decoded leaf of a request: a value, where it was found, and
// every transformation the decoder undid to reach it.
type Field struct {
	// Chain lists the steps from the request down to this leaf, outermost
	// first: locations ("query:data", "json:$.properties.medication",
	// "header:Referer", "path[2]") and transformations ("base64", "gzip",
	// "percent"). Path joins them with " > ".
	Chain []string
	// Key is the innermost key name the value was stored under ("email",
	// "cd[buttonText]", "medication"), or empty when it had none. Detectors
	// use it as context.
	Key string
	// Value is the decoded text.
	Value string
	// Truncated is set when a decode limit (depth, bytes, field count) cut
	// this value or stopped decoding below it.
	Truncated bool
}

// Path renders the decoding chain, e.g.
// "query:data > base64 > json:$.properties.medication".
func (f Field) Path() string { return strings.Join(f.Chain, " > ") }

// Kind is what a finding identifies. The values are a public contract: they
// appear in the JSON Lines output and the database.
type Kind string

// Finding kinds.
const (
	KindEmail      Kind = "email"
	KindPhone      Kind = "phone"
	KindSSN        Kind = "ssn"
	KindDOB        Kind = "dob"
	KindZIP        Kind = "zip"
	KindAddress    Kind = "address"
	KindName       Kind = "name"
	KindMRN        Kind = "mrn"
	KindMemberID   Kind = "member_id"
	KindNPI        Kind = "npi"
	KindDEA        Kind = "dea"
	KindCard       Kind = "card"
	KindIP         Kind = "ip"
	KindMedication Kind = "medication"
	KindCondition  Kind = "condition"
	KindProcedure  Kind = "procedure"
	KindSpecialty  Kind = "specialty"
	// KindSymptom is a symptom or complaint as a patient writes it
	// ("trouble sleeping", "feeling hopeless", "blood in stool").
	KindSymptom  Kind = "symptom"
	KindFreeText Kind = "free_text"
)

// IsHealth reports whether the kind is health information (as opposed to an
// identifier of a person).
func (k Kind) IsHealth() bool {
	switch k {
	case KindMedication, KindCondition, KindProcedure, KindSpecialty, KindSymptom:
		return true
	}
	return false
}

// Source says how a finding was made. A public contract like Kind.
type Source string

// Finding sources.
const (
	SourceDictionary Source = "dictionary" // a curated or user term list
	SourcePattern    Source = "pattern"    // an identifier detector (regexp + checksum + context)
	SourcePersona    Source = "persona"    // a test-persona value, plain or disguised
	SourceShape      Source = "shape"      // an event or page recognised by its shape (e.g. "Paid: Weekly Therapy")
)

// Finding is one piece of PHI found in one field of a flow.
type Finding struct {
	// FlowID is the stored flow's ID; zero until saved.
	FlowID int64
	Kind   Kind
	// Term is the canonical form of what was matched ("sertraline" for
	// "Zoloft"; the normalised email for an email).
	Term string
	// Value is the matched text exactly as it appeared in the field.
	Value string
	// Path is the field's decoding chain, extended with the disguise for
	// persona matches ("... > sha256-hex").
	Path string
	// Field is the whole decoded field value the match was found in, so
	// views can show the match in context; Start and End are byte offsets
	// of Value within it (both zero when the match is the whole value or
	// has no position, e.g. a hash).
	Field      string
	Start, End int
	// Category is the sensitivity category of a health term
	// ("mental_health", "substance_use", "reproductive", "hiv_sti",
	// "oncology", "genetic", "general"), empty for identifiers.
	Category string
	Source   Source
	// Negated is set for an intake answer that says no under a key naming
	// a health term ({"has_diabetes": false}, smoker=no): the receiver
	// learns which health question was answered, not that the person has
	// the condition. Such a finding ranks one severity level lower.
	Negated bool
	// Score is the detector's confidence in [0,1].
	Score    float64
	Severity Severity
	// ConsentViolation is set when the finding went to a third party
	// against the visitor's choice: in a crawl that refused consent or
	// sent Global Privacy Control, or that had not answered the banner and
	// not yet interacted with the page.
	ConsentViolation bool
}

// Severity ranks findings. The zero value is Info. Severities order
// naturally: Critical > High > Medium > Low > Info.
type Severity int

// Severities, lowest first.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity accepts the lower-case names ("high") in any case.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return Info, fmt.Errorf("unknown severity %q (want one of %s)", s, strings.Join(severityNames[:], ", "))
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Party says whose domain a request goes to.
type Party string

// Parties.
const (
	FirstParty   Party = "first"
	ThirdParty   Party = "third"
	UnknownParty Party = "unknown"
)

// Destination is where a flow's request is going and who receives it.
type Destination struct {
	Host string // request host, lower-case, no port
	// Domain is the registrable domain (eTLD+1) of Host, or Host itself for
	// IP addresses and single-label names.
	Domain string
	Party  Party
	// Vendor is the recognised receiver ("Meta Pixel", "Google Analytics"),
	// empty when unknown.
	Vendor string
	// Category of the vendor: "advertising", "analytics", "session_replay",
	// "chat", "tag_manager", "cdn", or empty.
	Category string
	// BAA is true when the user declared a Business Associate Agreement
	// covering this vendor or domain.
	BAA bool
}

// Inspection is what classification concludes about one flow.
type Inspection struct {
	Destination Destination
	Findings    []Finding
	// Fields is how many leaf fields were decoded.
	Fields int
	// Recordings describe the session recordings the flow carried (at
	// most one per flow today): who records, on which page, and what it
	// masked. Empty for flows that carry none.
	Recordings []Recording
	// Keys are the distinct keys of the payload's fields (query, form,
	// JSON, ...; not headers or cookies), sorted, at most MaxKeys: what an
	// endpoint is sent, without the values. Inspections of payloads with
	// the same keys may share the slice: it is read-only.
	Keys []string
	// Notes records decode problems that were skipped (truncated gzip,
	// invalid JSON, a limit reached), one line each.
	Notes []string
	// Severity is the highest severity among Findings (Info when none).
	Severity Severity
}

// Flagged reports whether the inspection found anything.
// MaxKeys bounds Inspection.Keys.
const MaxKeys = 64

func (in *Inspection) Flagged() bool { return len(in.Findings) > 0 }

// Inspector classifies flows. Implementations must be safe for concurrent
// use and must never panic on hostile input.
type Inspector interface {
	Inspect(f *Flow) Inspection
}

// InspectorFunc adapts a function to the Inspector interface.
type InspectorFunc func(f *Flow) Inspection

// Inspect calls fn(f).
func (fn InspectorFunc) Inspect(f *Flow) Inspection { return fn(f) }

// Stats counts what the proxy did during a run.
type Stats struct {
	Seen      int64 // flows captured
	Inspected int64 // flows that went through classification
	Flagged   int64 // flows with at least one finding
	Dropped   int64 // flows not inspected because the queue was full
}

// Add returns the field-wise sum.
func (s Stats) Add(o Stats) Stats {
	return Stats{s.Seen + o.Seen, s.Inspected + o.Inspected, s.Flagged + o.Flagged, s.Dropped + o.Dropped}
}
