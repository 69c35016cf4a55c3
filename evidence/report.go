package evidence

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

//go:embed report.html.tmpl
var reportFS embed.FS

var reportTemplate = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
	"kindName": kindName,
	"join":     func(xs []string) string { return strings.Join(xs, ", ") },
}).ParseFS(reportFS, "report.html.tmpl"))

// reportBodyCap is how much of a request body the report shows.
const reportBodyCap = 4096

// reportContext is how much of a field the report shows on each side of a
// match.
const reportContext = 160

// kindNames are the plain words a non-engineer reads for each kind.
var kindNames = map[phiproxy.Kind]string{
	phiproxy.KindEmail: "email address", phiproxy.KindPhone: "phone number", phiproxy.KindSSN: "Social Security number",
	phiproxy.KindDOB: "date of birth", phiproxy.KindZIP: "ZIP code", phiproxy.KindAddress: "street address",
	phiproxy.KindName: "name", phiproxy.KindMRN: "medical record number", phiproxy.KindMemberID: "health-plan member ID",
	phiproxy.KindNPI: "provider NPI number", phiproxy.KindDEA: "DEA number", phiproxy.KindCard: "payment card number",
	phiproxy.KindIP: "IP address", phiproxy.KindMedication: "medication", phiproxy.KindCondition: "condition or diagnosis",
	phiproxy.KindProcedure: "medical procedure", phiproxy.KindSpecialty: "provider specialty", phiproxy.KindSymptom: "symptom or complaint",
	phiproxy.KindFreeText: "free text",
}

// kindOrder puts identifiers before health information in tables.
var kindOrder = []phiproxy.Kind{
	phiproxy.KindName, phiproxy.KindEmail, phiproxy.KindPhone, phiproxy.KindAddress, phiproxy.KindZIP, phiproxy.KindDOB,
	phiproxy.KindSSN, phiproxy.KindMRN, phiproxy.KindMemberID, phiproxy.KindCard, phiproxy.KindIP, phiproxy.KindNPI, phiproxy.KindDEA,
	phiproxy.KindMedication, phiproxy.KindCondition, phiproxy.KindProcedure, phiproxy.KindSpecialty, phiproxy.KindSymptom,
	phiproxy.KindFreeText,
}

func kindName(k phiproxy.Kind) string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return strings.ReplaceAll(string(k), "_", " ")
}

var categoryPhrases = map[string]string{
	"advertising":    "a third-party advertising platform",
	"analytics":      "a third-party analytics service",
	"session_replay": "a session-recording service that can replay what the visitor saw and typed",
	"chat":           "a third-party chat service",
	"tag_manager":    "a tag manager that loads other trackers",
	"cdn":            "a content delivery network",
}

// receiverPhrase describes who received a request, in plain words.
func receiverPhrase(d phiproxy.Destination, host string) string {
	var s string
	switch {
	case d.Vendor != "" && categoryPhrases[d.Category] != "":
		s = d.Vendor + ", " + categoryPhrases[d.Category]
	case d.Vendor != "":
		s = d.Vendor + ", a recognised third-party service"
	case d.Party == phiproxy.FirstParty:
		s = host + ", the site's own servers"
	case d.Party == phiproxy.ThirdParty:
		s = host + ", a third party that phiproxy does not recognise"
	default:
		s = host
	}
	if d.BAA {
		s += " (covered by a Business Associate Agreement)"
	}
	return s
}

// summary is what the survey pass learns about the selection; its size
// depends on the number of distinct receivers, kinds and sites, not flows.
type summary struct {
	Flows, Findings, WSMessages int
	First, Last                 time.Time
	SeverityFlows               [phiproxy.Critical + 1]int
	SeverityFindings            [phiproxy.Critical + 1]int
	receivers                   map[string]*receiverSummary
	kinds                       map[phiproxy.Kind]bool
	sites                       map[string]int
	consent                     *ConsentTally
	// recorders counts, per statement ("X records unmasked input on
	// /book"), the requests whose session recording supports it.
	recorders map[string]int
	MaxID     int64
}

type receiverSummary struct {
	Name, Phrase string
	Flows        int
	Findings     int
	Severity     phiproxy.Severity
	Kinds        map[phiproxy.Kind]int
}

func newSummary() *summary {
	return &summary{receivers: map[string]*receiverSummary{}, kinds: map[phiproxy.Kind]bool{}, sites: map[string]int{}, consent: NewConsentTally(), recorders: map[string]int{}}
}

func (s *summary) add(d *store.FlowDetail) {
	f, in := &d.Flow, &d.Inspection
	s.Flows++
	s.MaxID = max(s.MaxID, f.ID)
	s.WSMessages += len(f.WebSocket)
	if s.First.IsZero() || f.Start.Before(s.First) {
		s.First = f.Start
	}
	end := f.Start.Add(f.Timings.Total())
	if end.After(s.Last) {
		s.Last = end
	}
	if in.Severity >= phiproxy.Info && in.Severity <= phiproxy.Critical && len(in.Findings) > 0 {
		s.SeverityFlows[in.Severity]++
	}
	host := nonEmpty(in.Destination.Host, f.Request.URLHost())
	if site := siteOf(f, in, host); site != "" {
		s.sites[site]++
	}
	s.consent.Add(f, in)
	recs, _, _ := phiproxy.SplitRecordingNotes(in.Notes)
	seen := map[string]bool{}
	for _, rec := range recs {
		for _, st := range phiproxy.UnmaskedStatements(rec) {
			if !seen[st] {
				seen[st] = true
				s.recorders[st]++
			}
		}
	}
	if len(in.Findings) == 0 {
		return
	}
	key := nonEmpty(in.Destination.Vendor, host)
	rs := s.receivers[key]
	if rs == nil {
		rs = &receiverSummary{Name: key, Phrase: receiverPhrase(in.Destination, host), Kinds: map[phiproxy.Kind]int{}}
		s.receivers[key] = rs
	}
	rs.Flows++
	for _, fd := range in.Findings {
		s.Findings++
		if fd.Severity >= phiproxy.Info && fd.Severity <= phiproxy.Critical {
			s.SeverityFindings[fd.Severity]++
		}
		rs.Findings++
		rs.Kinds[fd.Kind]++
		rs.Severity = max(rs.Severity, fd.Severity)
		s.kinds[fd.Kind] = true
	}
}

// siteOf is the site a flow was sent from: the host of the page that
// caused it, or the host itself for first-party requests.
func siteOf(f *phiproxy.Flow, in *phiproxy.Inspection, host string) string {
	if f.Page != "" {
		if u, err := url.Parse(f.Page); err == nil && u.Hostname() != "" {
			return strings.ToLower(u.Hostname())
		}
	}
	if in.Destination.Party == phiproxy.FirstParty {
		return host
	}
	return ""
}

// reportHead is the data of the summary part of the report.
type reportHead struct {
	Created, Operator, Note, Version, CAFingerprint string
	Redacted                                        bool
	First, Last                                     string
	Flows, Findings                                 int
	Selection                                       string
	Severities                                      []severityRow
	Kinds                                           []phiproxy.Kind
	Receivers                                       []receiverRow
	Sites                                           []siteRow
	// Consent is the consent matrix of consent crawls, empty otherwise.
	Consent ConsentMatrix
	// Recorders are the session recorders' masking statements, most
	// requests first.
	Recorders []siteRow
}

type severityRow struct {
	Name            string
	Flows, Findings int
}

type receiverRow struct {
	Name, Phrase, Severity string
	Flows, Findings        int
	KindList               string
	Counts                 []int
}

type siteRow struct {
	Host  string
	Flows int
}

func (s *summary) head(m *Manifest, r *redactor) reportHead {
	h := reportHead{
		Created: m.Created.UTC().Format(time.RFC1123), Operator: m.Operator, Note: m.Note, Version: m.Version,
		CAFingerprint: m.CAFingerprint, Redacted: m.Redacted, Flows: s.Flows, Findings: s.Findings,
		First: s.First.UTC().Format(time.RFC1123), Last: s.Last.UTC().Format(time.RFC1123),
		Selection: m.Selection.describe(),
	}
	for sev := phiproxy.Critical; sev >= phiproxy.Info; sev-- {
		if s.SeverityFlows[sev] > 0 || s.SeverityFindings[sev] > 0 {
			h.Severities = append(h.Severities, severityRow{Name: sev.String(), Flows: s.SeverityFlows[sev], Findings: s.SeverityFindings[sev]})
		}
	}
	for _, k := range kindOrder {
		if s.kinds[k] {
			h.Kinds = append(h.Kinds, k)
		}
	}
	var other []phiproxy.Kind
	for k := range s.kinds {
		if _, known := kindNames[k]; !known {
			other = append(other, k)
		}
	}
	sort.Slice(other, func(i, j int) bool { return other[i] < other[j] })
	h.Kinds = append(h.Kinds, other...)

	rs := make([]*receiverSummary, 0, len(s.receivers))
	for _, v := range s.receivers {
		rs = append(rs, v)
	}
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Severity != rs[j].Severity {
			return rs[i].Severity > rs[j].Severity
		}
		if rs[i].Findings != rs[j].Findings {
			return rs[i].Findings > rs[j].Findings
		}
		return rs[i].Name < rs[j].Name
	})
	for _, v := range rs {
		row := receiverRow{Name: r.Text(v.Name), Phrase: r.Text(v.Phrase), Severity: v.Severity.String(), Flows: v.Flows, Findings: v.Findings}
		var names []string
		for _, k := range h.Kinds {
			row.Counts = append(row.Counts, v.Kinds[k])
			if v.Kinds[k] > 0 {
				names = append(names, kindName(k))
			}
		}
		row.KindList = joinWords(names)
		h.Receivers = append(h.Receivers, row)
	}
	for host, n := range s.sites {
		h.Sites = append(h.Sites, siteRow{Host: r.Text(host), Flows: n})
	}
	h.Consent = s.consent.Matrix()
	for i := range h.Consent.Rows {
		h.Consent.Rows[i].Receiver = r.Text(h.Consent.Rows[i].Receiver)
	}
	sortByFlows(h.Sites)
	for st, n := range s.recorders {
		h.Recorders = append(h.Recorders, siteRow{Host: r.Text(st), Flows: n})
	}
	sortByFlows(h.Recorders)
	return h
}

// sortByFlows orders rows by request count, then name.
func sortByFlows(rows []siteRow) {
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Flows != rows[j].Flows {
			return rows[i].Flows > rows[j].Flows
		}
		return rows[i].Host < rows[j].Host
	})
}

// joinWords renders "a, b and c".
func joinWords(w []string) string {
	switch len(w) {
	case 0:
		return ""
	case 1:
		return w[0]
	}
	return strings.Join(w[:len(w)-1], ", ") + " and " + w[len(w)-1]
}

// reportFlow is the data of one flow's section.
type reportFlow struct {
	ID                       int64
	Time, Method, URL, Host  string
	Receiver, Severity, Page string
	Status                   string
	Findings                 []reportFinding
	Body, BodyNote           string
	Notes                    []string
	// Recording and RecordedFields describe a session recording the
	// request carried: its summary lines and reconstructed form.
	Recording      []string
	RecordedFields []phiproxy.RecordedField
}

type reportFinding struct {
	Severity, Kind, Term, Field, Chain string
	Category, Source, Score            string
	Before, Match, After               string
	// Negated marks an intake answer that said no.
	Negated bool
}

// reportFlowFor builds a flow's section from the redacted flow.
func reportFlowFor(d *store.FlowDetail) reportFlow {
	f, in := &d.Flow, &d.Inspection
	host := nonEmpty(in.Destination.Host, f.Request.URLHost())
	rf := reportFlow{
		ID: f.ID, Time: f.Start.UTC().Format("2006-01-02 15:04:05.000 MST"), Method: f.Request.Method, URL: f.Request.URL,
		Host: host, Receiver: receiverPhrase(in.Destination, host), Severity: in.Severity.String(), Page: f.Page,
	}
	rf.Recording, rf.RecordedFields, rf.Notes = phiproxy.SplitRecordingNotes(in.Notes)
	switch {
	case f.Response != nil:
		rf.Status = fmt.Sprintf("%d %s", f.Response.Status, http.StatusText(f.Response.Status))
	case f.Error != "":
		rf.Status = "no response: " + f.Error
	default:
		rf.Status = "no response recorded"
	}
	body := f.Request.Body
	switch {
	case len(body) == 0:
	case !utf8.Valid(body):
		rf.BodyNote = fmt.Sprintf("binary body of %d bytes, not shown (see evidence.har or flows.pcap)", len(body))
	default:
		if len(body) > reportBodyCap {
			cut := reportBodyCap
			for cut > 0 && !utf8.RuneStart(body[cut]) {
				cut--
			}
			rf.BodyNote = fmt.Sprintf("first %d of %d bytes shown", cut, len(body))
			body = body[:cut]
		}
		rf.Body = string(body)
	}
	if f.Request.Truncated {
		rf.BodyNote = strings.TrimPrefix(rf.BodyNote+"; ", "; ") + fmt.Sprintf("phiproxy kept %d of %d bytes", len(f.Request.Body), f.Request.BodySize)
	}
	for _, fd := range in.Findings {
		rf.Findings = append(rf.Findings, reportFindingFor(fd))
	}
	return rf
}

func reportFindingFor(fd phiproxy.Finding) reportFinding {
	chain := strings.Split(fd.Path, " > ")
	rf := reportFinding{
		Severity: fd.Severity.String(), Kind: kindName(fd.Kind), Term: fd.Term, Field: chain[len(chain)-1], Chain: fd.Path,
		Category: strings.ReplaceAll(fd.Category, "_", " "), Source: string(fd.Source), Score: fmt.Sprintf("%.2f", fd.Score),
		Negated: fd.Negated,
	}
	rf.Before, rf.Match, rf.After = inContext(fd)
	return rf
}

// inContext splits the finding's field around the match, trimmed to
// reportContext bytes each side on rune boundaries. A match without a
// position in the field (a hash, a whole-value match) is shown alone.
func inContext(fd phiproxy.Finding) (before, match, after string) {
	field, start, end := fd.Field, fd.Start, fd.End
	valid := start >= 0 && end > start && end <= len(field) && field[start:end] != "" &&
		(start == len(field) || utf8.RuneStart(field[start])) && (end == len(field) || utf8.RuneStart(field[end]))
	if !valid {
		if i := strings.Index(field, fd.Value); fd.Value != "" && i >= 0 {
			start, end, valid = i, i+len(fd.Value), true
		}
	}
	if !valid {
		return "", nonEmpty(fd.Value, field), ""
	}
	before, match, after = field[:start], field[start:end], field[end:]
	if len(before) > reportContext {
		cut := len(before) - reportContext
		for cut < len(before) && !utf8.RuneStart(before[cut]) {
			cut++
		}
		before = "…" + before[cut:]
	}
	if len(after) > reportContext {
		cut := reportContext
		for cut > 0 && !utf8.RuneStart(after[cut]) {
			cut--
		}
		after = after[:cut] + "…"
	}
	return before, match, after
}

// reportWriter writes the flow sections and the end of report.html; the
// head, which needs the totals, is written before them once the main pass
// is done (see writeBundle).
type reportWriter struct{ w io.Writer }

func (rw *reportWriter) add(f reportFlow) error {
	if err := reportTemplate.ExecuteTemplate(rw.w, "flow", f); err != nil {
		return fmt.Errorf("write report.html flow %d: %w", f.ID, err)
	}
	return nil
}

func (rw *reportWriter) close() error {
	if err := reportTemplate.ExecuteTemplate(rw.w, "foot", nil); err != nil {
		return fmt.Errorf("write report.html: %w", err)
	}
	return nil
}
