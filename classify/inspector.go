// Package classify decides what a flow leaks and to whom: it decodes the
// request to leaf fields (package decode), finds health terms (dict),
// identifiers (ident) and test-persona values (persona) in them, applies
// the context rules that keep ambiguous words quiet, places the
// destination (first or third party, vendor, BAA) and rates severity.
//
// # Context rules
//
// Ambiguous dictionary terms ("Plan B", "cold", "MS") and ICD-10-CM codes
// count only with health context: a health key on the field or a parent
// ("medication", "rx", "dx", "diagnosis", "symptom", ...), a health page
// (a URL path of the flow with "conditions", "pharmacy", "patient",
// "appointment", "therapy", ...), or a non-ambiguous health term elsewhere
// in the flow. A key that says the value is something else ("version",
// "sku", "order", ...) vetoes them whatever the context.
//
// # What is searched
//
//   - Values: every decoded leaf, for dictionary terms (including the
//     terms of another kind a longer term encloses: "Suboxone treatment"
//     is a procedure and the medication Suboxone; "HIV test" also gives
//     HIV; ordinary phrases such as "Great Depression" or "cold brew" in
//     dict's not-health list give nothing), identifiers, persona values
//     and ICD-10-CM codes. Raw forms
//     that were decoded further are skipped; their leaves are searched.
//   - Keys: every key along a field's chain (query and form names, JSON
//     members, multipart names) and its Key, for unambiguous terms only
//     ("pid", "duration_ms" are not health). When the value is a yes-like
//     answer (yes, y, true, 1, checked, on, selected), the key is an
//     intake answer (previously_in_therapy=yes, {"has_diabetes": true}):
//     it is searched again, and ambiguous terms count too when the key or
//     a parent says health. Such findings have the key as their Field.
//     A no-like answer (no, n, false, 0, unchecked, none, off) gives the
//     same findings marked Negated ({"has_diabetes": false} still says
//     which question was answered), rated one severity level lower. Keys
//     that ask a health question without naming a dictionary term
//     (smoker, pregnant, tobacco_use, alcohol_per_week) are intake answers
//     too; a count under a key that asks how much ("alcohol_per_week": 3)
//     is a yes.
//   - Opaque tokens are not searched for words: random-looking base64,
//     hex, UUIDs and IDs (see opaqueSpans), nor the words a URL path
//     segment made of one is split into.
//   - Not searched for terms: host names, whether the request's, a
//     Referer's or Origin's, one of a URL inside a value or text, or a
//     bare host name under a host key ("dh"): "telehealth.clinic.example"
//     names a site, not the visitor's health. Path segments are searched:
//     condition pages are the signal.
//
// Identifiers under keys that name a machine or commerce reference
// (order, order_number, tracking, sku, invoice, transaction,
// confirmation, cart, ...) are not phones, SSNs or cards when the value
// reads as a reference number, unless the key also names a person's
// number ("order_phone").
//
// # Severity
//
// Each finding is rated in the context of its flow; the inspection's
// severity is the highest of its findings.
//
//	party    BAA  finding, in the context of its flow                         severity
//	first    any  anything                                                    info
//	third,   yes  anything                                                    low
//	unknown
//	third    no   person identifier or persona value + health information     critical
//	third    no   person identifier or health information in a session        critical
//	              recording (typed into a field or shown on the page)
//	third    no   health information from an authenticated page to an ad      critical
//	              platform (vendor category "advertising")
//	third    no   health information (terms, condition pages, event names)   high
//	third    no   persona value hashed, to an ad platform                     high
//	third    no   person identifier alone                                     medium
//	third    no   a name seen only by its shape in text, alone                low
//	third    no   provider identifier (NPI, DEA, a clinician's name)         low
//	any      any  an intake answer that says no (Negated): one level lower
//	unknown  no   the third-party rank one level lower (never below info)
//
// "Unknown" is a destination nothing placed: no --site, no Referer or
// Origin page, no navigation to it seen, and not a known vendor. It may
// well be the site's own API, so it is flagged but ranked below a
// confirmed third party. Provider identifiers name the clinician, not the
// patient, so they never make a flow critical. A tracker routed through
// the site's own domain counts as a third party: the data ends up with the
// vendor.
package classify

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify/decode"
	"github.com/phiproxy/phiproxy/classify/dict"
	"github.com/phiproxy/phiproxy/classify/persona"
	"github.com/phiproxy/phiproxy/classify/replay"
)

// Options configures an Inspector. The zero value inspects with the
// embedded dictionaries, infers first-party sites, knows no BAA and no
// persona, and uses decode's default limits.
type Options struct {
	// Sites are the first-party registrable domains (--site). Empty means
	// infer them from top-level navigations and Referer pages.
	Sites []string
	// BAA lists vendor names (case-insensitive) or domains (host suffixes)
	// covered by a Business Associate Agreement (--baa).
	BAA []string
	// Persona is the test persona whose values are searched for in every
	// disguise; nil means none.
	Persona *persona.Persona
	// DictFiles are extra term lists (--dict): a name ending ".rrf" is read
	// as RxNorm RXNCONSO.RRF, a name containing "icd10cm_order" as the CMS
	// ICD-10-CM order file, a name containing "not_health" as a list of
	// everyday phrases that cancel the health term inside them (one per
	// line, like the shipped not_health.txt), anything else as the
	// 8-column TSV format.
	DictFiles []string
	// Limits bound decoding; zero fields mean decode's defaults.
	Limits decode.Limits
	// Recordings bound the session-recording state kept across flows;
	// zero fields mean replay's defaults.
	Recordings replay.Limits
}

// Inspector classifies flows. It is safe for concurrent use. It remembers,
// in bounded memory, the first-party sites it saw navigated to and the
// origins that carried credentials, so flows are best inspected in the
// order they were captured.
type Inspector struct {
	matcher *dict.Matcher
	persona *persona.Index // nil without a persona
	vendors *vendorTable
	sites   []string // registrable domains, lower-case
	baa     []string // lower-case names and domains
	limits  decode.Limits

	learnedSites *boundedSet // registrable domains seen as top-level navigations
	authOrigins  *boundedSet // first-party origins whose requests carried credentials
	recordings   *replay.Recorder
	memos        leafMemos
	pages        *pageCache
	keySets      *keySets                                  // payloads' sorted key lists, by their keys in order
	personaTerms atomic.Pointer[map[personaTermKey]string] // see personaTerm
	clock        func() time.Time                          // nil means time.Now
}

var _ phiproxy.Inspector = (*Inspector)(nil)

// New builds an Inspector: it parses the embedded and extra dictionaries,
// builds the matching automaton and indexes the persona.
func New(opts Options) (*Inspector, error) {
	d, err := dict.Embedded()
	if err != nil {
		return nil, fmt.Errorf("load embedded dictionaries: %w", err)
	}
	for _, path := range opts.DictFiles {
		if err := addDictFile(d, path); err != nil {
			return nil, err
		}
	}
	m, err := d.Build()
	if err != nil {
		return nil, fmt.Errorf("build dictionary matcher: %w", err)
	}
	vendors, err := parseVendors(strings.NewReader(vendorsTSV), "data/vendors.tsv")
	if err != nil {
		return nil, fmt.Errorf("load vendors: %w", err)
	}
	in := &Inspector{
		matcher:      m,
		vendors:      vendors,
		limits:       opts.Limits,
		learnedSites: newBoundedSet(maxRemembered),
		authOrigins:  newBoundedSet(maxRemembered),
		recordings:   replay.NewRecorder(opts.Recordings),
		memos:        newLeafMemos(),
		pages:        newPageCache(),
		keySets:      newKeySets(),
	}
	if opts.Persona != nil {
		in.persona = persona.NewIndex(opts.Persona)
	}
	for _, s := range opts.Sites {
		s = strings.TrimSpace(s)
		if h := parseURLParts(s).host; h != "" {
			s = h // accept a URL as well as a domain
		}
		if dom := registrableDomain(s); dom != "" {
			in.sites = append(in.sites, dom)
		}
	}
	for _, b := range opts.BAA {
		if b = strings.Trim(strings.ToLower(strings.TrimSpace(b)), "."); b != "" {
			in.baa = append(in.baa, b)
		}
	}
	return in, nil
}

// addDictFile adds one user dictionary, choosing the parser by file name.
func addDictFile(d *dict.Dictionary, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("dictionary %s: %w", path, err)
	}
	defer f.Close()
	base := filepath.Base(path)
	switch {
	case strings.HasSuffix(strings.ToLower(base), ".rrf"):
		err = d.AddRxNormRRF(f)
	case strings.Contains(strings.ToLower(base), "icd10cm_order"):
		err = d.AddICD10Order(f)
	case strings.Contains(strings.ToLower(base), "not_health"):
		err = d.AddNotHealthList(f, base)
	default:
		err = d.AddTSV(f, base)
	}
	if err != nil {
		return fmt.Errorf("dictionary %s: %w", path, err)
	}
	return nil
}

// Fields decodes f to its leaf fields as Inspect sees them, for views that
// show the decoded field tree.
func (in *Inspector) Fields(f *phiproxy.Flow) (res decode.Result) {
	return in.fieldsInto(f, nil, nil)
}

// fieldsInto is Fields with the fields in buf's array when it has room
// and their chains carved from chains (decode.FlowInto).
func (in *Inspector) fieldsInto(f *phiproxy.Flow, buf []phiproxy.Field, chains *decode.Chains) (res decode.Result) {
	if f == nil {
		return decode.Result{}
	}
	defer func() {
		if r := recover(); r != nil {
			res.Notes = append(res.Notes, fmt.Sprintf("decode: internal error: %v", r))
		}
	}()
	res = decode.FlowInto(f, in.limits, buf, chains)
	if f.Browser != nil {
		browserFields(&res, f.Browser, in.limits)
	}
	return res
}

// Destination says where f goes: host, registrable domain, party, vendor
// and BAA coverage.
//
// Party is FirstParty for a domain in Options.Sites; without Sites, for
// the domain of a top-level navigation and for a request whose page
// (Referer, else Origin, else Flow.Page) is on its own registrable
// domain. It is ThirdParty for any other domain when Sites are given, a
// page is known or the host is a known vendor, and UnknownParty when
// nothing says. A tracker recognised by payload shape on the site's own
// domain (GA4 v=2&tid=G-, Segment and RudderStack events, PostHog
// captures, Datadog RUM) gets Vendor "<vendor> (first-party route)" and
// Party ThirdParty. Like Inspect, Destination updates what the inspector
// remembers about first-party sites and logged-in origins.
func (in *Inspector) Destination(f *phiproxy.Flow) phiproxy.Destination {
	if f == nil {
		return phiproxy.Destination{Party: phiproxy.UnknownParty}
	}
	d, _ := in.place(f, in.Fields(f).Fields)
	return d
}

// Inspect classifies one flow: its destination, every finding with its
// severity, the number of decoded fields and decode notes. It never
// panics; an internal error becomes a note.
func (in *Inspector) Inspect(f *phiproxy.Flow) (out phiproxy.Inspection) {
	if f == nil {
		return phiproxy.Inspection{Destination: phiproxy.Destination{Party: phiproxy.UnknownParty}}
	}
	defer func() {
		if r := recover(); r != nil {
			out.Notes = append(out.Notes, fmt.Sprintf("inspect: internal error: %v", r))
		}
	}()
	scratch := detectScratchPool.Get().(*detectScratch)
	defer scratch.release()
	res := in.fieldsInto(f, scratch.fields, &scratch.chains)
	scratch.fields = res.Fields
	page := in.pages.get(pageURL(f))
	dest, authenticated := in.placeFrom(f, res.Fields, page)
	sig := flowSignals{healthPath: healthPathText(requestPath(f)) || healthPathText(page.path)}
	fields := res.Fields
	obs, recorded := in.observeRecording(f)
	if obs != nil {
		in.placeRecording(&dest, obs)
		fields = append(fields[:len(fields):len(fields)], recorded...)
	}
	detections, limited := in.detect(fields, sig, scratch)
	if obs != nil {
		detections = mergeRecordingDetections(detections)
	}
	out = phiproxy.Inspection{
		Destination: dest,
		Findings: rate(detections, flowFacts{dest: dest, authenticated: authenticated,
			recorded: obs != nil, consentViolated: consentViolated(f, dest)}),
		Fields: len(fields),
		Keys:   in.keySets.payloadKeys(res.Fields),
		Notes:  res.Notes,
	}
	if obs != nil {
		out.Notes = append(out.Notes, recordingNotes(obs)...)
		typed, _ := obs.Typing()
		m := obs.Masking
		out.Recordings = append(out.Recordings, phiproxy.Recording{Vendor: obs.Vendor, ID: obs.ID, Page: obs.Page,
			InputsMasked: m.InputsMasked, InputsUnmasked: m.InputsUnmasked, TextMasked: m.TextMasked, TextUnmasked: m.TextUnmasked,
			Blocked: m.Blocked, Typing: typed > 0})
	}
	if limited {
		out.Notes = append(out.Notes, fmt.Sprintf("findings: limit of %d reached, the rest skipped", maxFindings))
	}
	for _, fd := range out.Findings {
		if fd.Severity > out.Severity {
			out.Severity = fd.Severity
		}
	}
	return out
}

// rate turns detections into findings, each with the severity its flow's
// context gives it.
// flowFacts is what the severity of every finding of a flow depends on
// besides the finding itself.
type flowFacts struct {
	dest          phiproxy.Destination
	authenticated bool
	// recorded is set when the flow carries a session recording.
	recorded bool
	// consentViolated: see consentViolated.
	consentViolated bool
}

func rate(ds []detection, ff flowFacts) []phiproxy.Finding {
	if len(ds) == 0 {
		return nil
	}
	var hasHealth, hasPerson bool
	for _, d := range ds {
		switch classOfFinding(d.Finding) {
		case classHealth:
			hasHealth = true
		case classPerson:
			hasPerson = true
		}
	}
	out := make([]phiproxy.Finding, len(ds))
	for i, d := range ds {
		out[i] = d.Finding
		out[i].ConsentViolation = ff.consentViolated
		out[i].Severity = severityOf(severityFacts{
			Class:            classOfFinding(d.Finding),
			Hashed:           d.hashed,
			FlowHasHealth:    hasHealth,
			FlowHasPerson:    hasPerson,
			Party:            ff.dest.Party,
			BAA:              ff.dest.BAA,
			Category:         ff.dest.Category,
			Authenticated:    ff.authenticated,
			Recorded:         ff.recorded,
			ConsentViolation: ff.consentViolated,
			Negated:          d.Negated,
			WeakName:         d.Kind == phiproxy.KindName && d.Source == phiproxy.SourcePattern && d.Score < weakNameScore,
		})
	}
	return out
}

// isHashDisguise reports whether a persona disguise is a digest
// ("sha256-hex", "md5-hex", "sha256(sha256)-hex").
func isHashDisguise(d string) bool {
	for _, h := range []string{"md5", "sha1", "sha256", "sha512", "sha-"} {
		if strings.Contains(d, h) {
			return true
		}
	}
	return false
}
