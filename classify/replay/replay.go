// Package replay reads what session-replay tools upload: the DOM snapshots,
// mutations and input events of rrweb (Sentry Replay, PostHog, Highlight
// and others), Datadog Session Replay segments and OpenReplay's binary
// message batches. It rebuilds, per recording, enough of the page to say
// which form field a typed value went into and what text the page showed,
// and audits whether the recorder masked either.
//
// A recording arrives in many requests: the full snapshot that names node
// 57 "input name=mrn" comes in segment 1, the keystrokes that fill it in
// segment 7. A Recorder keeps the node map of each recording, keyed by the
// vendor's session or replay ID, in bounded memory (count, bytes and age),
// so later segments resolve against earlier ones. Input events for nodes
// it has not seen yet (a segment inspected before the snapshot, which
// concurrent workers allow) are kept, bounded, and resolved when the
// snapshot arrives; until then their values are reported under the node
// number alone.
//
// The package only reads: it never changes a flow, and it is fed by the
// classify inspector, never by the proxy.
package replay

import (
	"strconv"
	"strings"
)

// Vendor names of the recorders the package recognises.
const (
	VendorSentry     = "Sentry Replay"
	VendorPostHog    = "PostHog Session Replay"
	VendorDatadog    = "Datadog Session Replay"
	VendorOpenReplay = "OpenReplay"
	VendorHighlight  = "Highlight"
	VendorRRWeb      = "rrweb recorder" // rrweb events of an unrecognised vendor
)

// Observation is what one flow adds to a recording.
type Observation struct {
	// Vendor names the recorder (one of the Vendor constants).
	Vendor string
	// ID is the vendor's session or replay ID the recording is kept under.
	ID string
	// Page is the recording's page URL, from its meta events or the
	// vendor's metadata, when known.
	Page string
	// Events counts the recorder events (or OpenReplay messages) read
	// from this flow.
	Events int
	// Inputs are the form fields whose value this flow carried, each with
	// its final value after the keystrokes in the flow, in order of first
	// appearance.
	Inputs []Input
	// Text is the page content the flow carried: text nodes, the title,
	// and the value, alt, title and content attributes, each with its DOM
	// path.
	Text []Text
	// Masking is the audit of this flow's inputs and text.
	Masking Masking
	// Pending counts input events of this flow whose node the recording
	// has not seen yet (their snapshot may still arrive).
	Pending int
	// Notes are problems met while reading (a payload that did not
	// decompress, a limit reached), one line each.
	Notes []string
}

// Input is one form field of a recording and the value recorded for it.
type Input struct {
	// Node is the recorder's node ID.
	Node int64
	// Tag is the element ("input", "textarea", "select"); empty when the
	// node is not known yet.
	Tag string
	// Name, ElementID, Type, Autocomplete, Placeholder and Label describe
	// the field as a form post's key would: its name and id attributes,
	// its type and autocomplete tokens, its placeholder, and the text of
	// its label (label[for], an enclosing label, aria-label or
	// aria-labelledby).
	Name, ElementID, Type, Autocomplete, Placeholder, Label string
	// Value is the final value recorded in this flow.
	Value string
	// Masked is set when the recorder masked the value (***, a run of *,
	// a mask flag).
	Masked bool
	// Keystrokes counts the input events that built the value, over the
	// whole recording so far; more than one means the recorder captures
	// typing as it happens.
	Keystrokes int
	// Resolved is set when the field was known only after its input
	// events had arrived (an earlier flow carried them).
	Resolved bool
}

// Selector names the field the way a CSS selector would, for a finding's
// path: input[name=mrn], input[id=dob], textarea[aria-label=Notes],
// input[node=57] when nothing names it.
func (in Input) Selector() string {
	tag := in.Tag
	if tag == "" {
		tag = "input"
	}
	switch {
	case in.Name != "":
		return tag + "[name=" + in.Name + "]"
	case in.ElementID != "":
		return tag + "[id=" + in.ElementID + "]"
	case in.Label != "":
		return tag + "[label=" + in.Label + "]"
	case in.Placeholder != "":
		return tag + "[placeholder=" + in.Placeholder + "]"
	}
	return tag + "[node=" + strconv.FormatInt(in.Node, 10) + "]"
}

// KeyCandidates returns what could serve as the field's key, most
// specific first: the autocomplete token, the name, the id, the label,
// the placeholder, then the type when it says more than "text".
func (in Input) KeyCandidates() []string {
	var out []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	switch ac := strings.ToLower(in.Autocomplete); ac {
	case "", "on", "off", "nope", "false", "true":
	default:
		add(in.Autocomplete)
	}
	add(in.Name)
	add(in.ElementID)
	add(in.Label)
	add(in.Placeholder)
	switch t := strings.ToLower(in.Type); t {
	case "", "text", "search", "hidden", "password", "submit", "button":
	default:
		add(in.Type)
	}
	return out
}

// Text is one piece of page content a recording carried.
type Text struct {
	// Path is the DOM path of the node ("body>main>h1", "head>title",
	// "body>img@alt" for an attribute).
	Path string
	// Attribute is the attribute name for attribute values, empty for
	// text nodes.
	Attribute string
	Value     string
	// Title is set for the document title.
	Title bool
	// Masked is set when the recorder masked the text.
	Masked bool
}

// Masking counts what a recorder masked and what it did not.
type Masking struct {
	InputsMasked, InputsUnmasked int
	TextMasked, TextUnmasked     int
	// Blocked counts elements the recorder replaced by a placeholder
	// (rrweb's rr-block, Datadog's hidden privacy level).
	Blocked int
}

// Add returns the field-wise sum.
func (m Masking) Add(o Masking) Masking {
	return Masking{m.InputsMasked + o.InputsMasked, m.InputsUnmasked + o.InputsUnmasked,
		m.TextMasked + o.TextMasked, m.TextUnmasked + o.TextUnmasked, m.Blocked + o.Blocked}
}

// Summary says in words what was masked: "inputs unmasked, text masked,
// 2 elements blocked".
func (m Masking) Summary() string {
	var parts []string
	parts = append(parts, "inputs "+state(m.InputsMasked, m.InputsUnmasked))
	parts = append(parts, "text "+state(m.TextMasked, m.TextUnmasked))
	if m.Blocked > 0 {
		parts = append(parts, strconv.Itoa(m.Blocked)+" elements blocked")
	}
	return strings.Join(parts, ", ")
}

func state(masked, unmasked int) string {
	switch {
	case masked == 0 && unmasked == 0:
		return "none recorded"
	case unmasked == 0:
		return "masked"
	case masked == 0:
		return "unmasked"
	}
	return "partly masked (" + strconv.Itoa(unmasked) + " unmasked)"
}

// Typing reports whether the observation shows keystroke-by-keystroke
// capture: a field whose value was built by more than one input event.
func (o *Observation) Typing() (fields, events int) {
	for _, in := range o.Inputs {
		if in.Keystrokes > 1 {
			fields++
			events += in.Keystrokes
		}
	}
	return fields, events
}

// IsMaskedValue reports whether a recorded value is a mask rather than
// what was typed or shown: "***", a run of '*' or '•' (rrweb keeps the
// length), optionally with spaces. An empty value is not masked.
func IsMaskedValue(v string) bool {
	stars := 0
	for _, r := range v {
		switch r {
		case '*', '•', '●', '∗':
			stars++
		case ' ', '\n', '\t', '\r':
		default:
			return false
		}
	}
	return stars > 0
}

// isXMasked reports whether text is Datadog's text mask: every letter and
// digit replaced by 'x', spacing kept.
func isXMasked(v string) bool {
	xs := 0
	for _, r := range v {
		switch r {
		case 'x':
			xs++
		case ' ', '\n', '\t', '\r':
		default:
			return false
		}
	}
	return xs >= 1
}
