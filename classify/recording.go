package classify

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify/decode"
	"github.com/phiproxy/phiproxy/classify/ident"
	"github.com/phiproxy/phiproxy/classify/replay"
)

// Session recordings (package replay) add fields of their own to a flow:
// each recorded form field once, with its final value, under a path that
// names it ("replay:input[name=mrn]") and a key taken from what describes
// it best (autocomplete token, name, id, label, placeholder, type), so the
// key-context detectors read it as they read a form post; and the page
// text the recording carried, under its DOM path ("replay:body>main>h1").
// Masked values are not inspected: they are masks.

// now is the time recordings are aged against.
func (in *Inspector) now() time.Time {
	if in.clock != nil {
		return in.clock()
	}
	return time.Now()
}

// recordingPrefix starts the chain of every field read from a recording.
const recordingPrefix = "replay:"

// recordingFields turns what a flow adds to a recording into fields.
func recordingFields(obs *replay.Observation, lim decode.Limits) []phiproxy.Field {
	var out []phiproxy.Field
	for _, in := range obs.Inputs {
		if in.Value == "" || in.Masked {
			continue
		}
		out = append(out, phiproxy.Field{
			Chain: []string{recordingPrefix + in.Selector()},
			Key:   recordedInputKey(in),
			Value: in.Value,
		})
	}
	for _, t := range obs.Text {
		if t.Masked {
			continue
		}
		key := t.Attribute
		if t.Title {
			key = "title"
		}
		out = append(out, phiproxy.Field{Chain: []string{recordingPrefix + t.Path}, Key: key, Value: strings.TrimSpace(t.Value)})
	}
	if obs.Page != "" {
		// The recording's page, parsed like a URL in a parameter: a
		// condition page's path is a finding.
		out = append(out, decode.Value([]string{recordingPrefix + "page"}, "url", obs.Page, lim).Fields...)
	}
	return out
}

// recordedInputKey chooses the key a recorded field is inspected under:
// the first description that makes an identifier detector see the value
// ("Date of birth" for 03/14/1962, "member_id" for a member number), else
// the first description there is.
func recordedInputKey(in replay.Input) string {
	cands := in.KeyCandidates()
	if len(cands) == 0 {
		return ""
	}
	for _, c := range cands {
		if len(ident.Find(c, in.Value)) > 0 {
			return c
		}
	}
	return cands[0]
}

// isRecordingPath reports whether a finding's path is a recording field.
func isRecordingPath(p string) bool { return strings.HasPrefix(p, recordingPrefix) }

// observeRecording reads f as a session recording and, when it is one,
// returns the fields to inspect with it and the notes that describe it.
func (in *Inspector) observeRecording(f *phiproxy.Flow) (*replay.Observation, []phiproxy.Field) {
	if in.recordings == nil {
		return nil, nil
	}
	obs := in.recordings.Observe(f, in.now())
	if obs == nil {
		return nil, nil
	}
	return obs, recordingFields(obs, in.limits)
}

// placeRecording makes a flow that carries a recording a session
// recorder's: recognised by its shape on any host, it goes to a third
// party (the vendor) even when routed through the site's own domain.
//
// OpenReplay is the exception: it is self-hosted more often than not, so
// a recording sent to the site's own domain stays first party.
func (in *Inspector) placeRecording(d *phiproxy.Destination, obs *replay.Observation) {
	if obs.Vendor == replay.VendorRRWeb && d.Vendor != "" {
		// rrweb events in a known vendor's payload (Hotjar's, say): the
		// vendor is the recorder.
		obs.Vendor = strings.TrimSuffix(d.Vendor, firstPartyRoute)
	}
	if obs.Vendor == replay.VendorOpenReplay && d.Party == phiproxy.FirstParty && d.Vendor == "" {
		d.Vendor, d.Category = obs.Vendor+" (self-hosted)", "session_replay"
		return
	}
	if d.Vendor == "" {
		if d.Party != phiproxy.ThirdParty {
			d.Vendor = obs.Vendor + firstPartyRoute
		} else {
			d.Vendor = obs.Vendor
		}
	}
	if d.Party != phiproxy.FirstParty || strings.HasSuffix(d.Vendor, firstPartyRoute) {
		d.Party = phiproxy.ThirdParty
	}
	d.Category = "session_replay"
	d.BAA = in.coveredByBAA(*d) || in.coveredByBAA(phiproxy.Destination{Vendor: obs.Vendor, Host: d.Host})
}

// mergeRecordingDetections drops what the raw decode of a recording's
// body found when the recording's own fields found the same thing: the
// keystroke events and snapshot JSON say it with a path no one can read
// ("body > zlib > json:$[12].data.text"), the field says which input or
// heading it was.
func mergeRecordingDetections(ds []detection) []detection {
	seen := make(map[findingKey]bool)
	for _, d := range ds {
		if isRecordingPath(d.Path) {
			seen[findingKey{kind: d.Kind, term: d.Term}] = true
		}
	}
	if len(seen) == 0 {
		return ds
	}
	kept := ds[:0]
	for _, d := range ds {
		if !isRecordingPath(d.Path) && (strings.HasPrefix(d.Path, "body") || strings.HasPrefix(d.Path, "ws[")) &&
			seen[findingKey{kind: d.Kind, term: d.Term}] {
			continue
		}
		kept = append(kept, d)
	}
	return kept
}

// recordingNotes describes a recording for the views: a summary line and
// one line per recorded field (see phiproxy.NoteRecording).
func recordingNotes(obs *replay.Observation) []string {
	var b strings.Builder
	b.WriteString(phiproxy.NoteRecording)
	b.WriteString(obs.Vendor)
	if obs.ID != "" {
		b.WriteString(" " + obs.ID)
	}
	if obs.Page != "" {
		b.WriteString(" on " + obs.Page)
	}
	fmt.Fprintf(&b, ": %d events; %s", obs.Events, obs.Masking.Summary())
	if fields, events := obs.Typing(); fields > 0 {
		fmt.Fprintf(&b, "; typing captured keystroke by keystroke (%d fields, %d input events)", fields, events)
	}
	if obs.Masking.InputsUnmasked > 0 {
		fmt.Fprintf(&b, "; %s records unmasked input on %s", obs.Vendor, orUnknownPage(obs.Page))
	}
	if obs.Masking.TextUnmasked > 0 {
		fmt.Fprintf(&b, "; %s records unmasked page text on %s", obs.Vendor, orUnknownPage(obs.Page))
	}
	if obs.Pending > 0 {
		fmt.Fprintf(&b, "; %d input events wait for their field's snapshot", obs.Pending)
	}
	notes := []string{b.String()}
	for i, in := range obs.Inputs {
		if i == maxRecordedFieldNotes {
			notes = append(notes, fmt.Sprintf("%s%d more fields", phiproxy.NoteRecordedField, len(obs.Inputs)-i))
			break
		}
		line := phiproxy.NoteRecordedField + in.Selector()
		if in.Label != "" {
			line += " " + strconv.Quote(in.Label)
		}
		v := in.Value
		if len(v) > 200 {
			v = v[:200] + "…"
		}
		line += " = " + strings.Join(strings.Fields(v), " ")
		if in.Masked {
			line += " (masked)"
		}
		if in.Keystrokes > 1 {
			line += fmt.Sprintf(" (%d keystrokes)", in.Keystrokes)
		}
		if in.Resolved {
			line += " (typed before the field's snapshot arrived)"
		}
		notes = append(notes, line)
	}
	return append(notes, obs.Notes...)
}

const maxRecordedFieldNotes = 50

// orUnknownPage shortens a page URL to its path for the summary.
func orUnknownPage(page string) string {
	if page == "" {
		return "an unknown page"
	}
	if u, err := url.Parse(page); err == nil && u.Path != "" {
		return u.Path
	}
	return page
}
