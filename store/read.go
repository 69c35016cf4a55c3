package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/phiproxy/phiproxy"
)

// Filter selects flows, or findings by their flow. The zero Filter selects
// everything.
type Filter struct {
	// IDs restricts to these flow IDs when non-empty.
	IDs []int64
	// MinSeverity keeps findings at or above it (flows: whose highest
	// finding is at or above it). Info keeps everything.
	MinSeverity phiproxy.Severity
	// Flagged keeps only flows with at least one finding.
	Flagged bool
	// Host keeps flows whose host is Host or a subdomain of it.
	Host string
	// Vendor keeps flows whose vendor contains it, case-insensitively.
	Vendor string
	// Kind keeps flows (findings) with a finding of this kind.
	Kind phiproxy.Kind
	// Text keeps flows whose URL, vendor or kinds contain it,
	// case-insensitively.
	Text string
	// AfterID keeps flows with a larger ID (to follow new rows).
	AfterID int64
	// Limit caps the number of rows; 0 means no limit.
	Limit int
	// BySeverity orders findings most severe first across flows (EachFinding
	// only); otherwise they come in flow order.
	BySeverity bool
}

// where renders the flow conditions of f for a query over flows aliased fl.
func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	if len(f.IDs) > 0 {
		ph := strings.TrimSuffix(strings.Repeat("?,", len(f.IDs)), ",")
		conds = append(conds, "fl.id IN ("+ph+")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	if f.MinSeverity > phiproxy.Info || f.Flagged {
		conds = append(conds, "fl.finding_count > 0 AND fl.severity >= ?")
		args = append(args, int(f.MinSeverity))
	}
	if f.Host != "" {
		h := strings.ToLower(f.Host)
		conds = append(conds, "(fl.host = ? OR fl.host LIKE ? ESCAPE '\\')")
		args = append(args, h, "%."+escapeLike(h))
	}
	if f.Vendor != "" {
		conds = append(conds, "fl.vendor LIKE ? ESCAPE '\\'")
		args = append(args, "%"+escapeLike(f.Vendor)+"%")
	}
	if f.Kind != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM findings k WHERE k.flow_id = fl.id AND k.kind = ?)")
		args = append(args, string(f.Kind))
	}
	if f.Text != "" {
		t := "%" + escapeLike(f.Text) + "%"
		conds = append(conds, "(fl.url LIKE ? ESCAPE '\\' OR fl.vendor LIKE ? ESCAPE '\\' OR fl.kinds LIKE ? ESCAPE '\\')")
		args = append(args, t, t, t)
	}
	if f.AfterID > 0 {
		conds = append(conds, "fl.id > ?")
		args = append(args, f.AfterID)
	}
	if len(conds) == 0 {
		return "TRUE", nil
	}
	return strings.Join(conds, " AND "), args
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

func (f Filter) limit() string {
	if f.Limit > 0 {
		return fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	return ""
}

// FlowSummary is one row of the flows list: enough to draw it, small
// enough to hold 100,000 of them in memory.
type FlowSummary struct {
	ID       int64
	Start    time.Time
	Method   string
	Host     string
	URL      string
	Status   int
	Party    phiproxy.Party
	Vendor   string
	Severity phiproxy.Severity
	Kinds    string // comma-separated distinct kinds
	Findings int
	Error    string
}

const summaryCols = `fl.id, fl.start, fl.method, fl.host, fl.url, fl.status, fl.party, fl.vendor, fl.severity, fl.kinds, fl.finding_count, fl.error`

func scanSummary(rows *sql.Rows) (FlowSummary, error) {
	var s FlowSummary
	var start, party string
	var sev int
	err := rows.Scan(&s.ID, &start, &s.Method, &s.Host, &s.URL, &s.Status, &party, &s.Vendor, &sev, &s.Kinds, &s.Findings, &s.Error)
	s.Start, s.Party, s.Severity = parseTime(start), phiproxy.Party(party), phiproxy.Severity(sev)
	return s, err
}

// flowsQuery selects cols of the flows f keeps, in ID order.
func flowsQuery(cols string, f Filter) (string, []any) {
	where, args := f.where()
	return "SELECT " + cols + " FROM flows fl WHERE " + where + " ORDER BY fl.id" + f.limit(), args
}

// Flows lists flow summaries in ID order.
func (s *Store) Flows(ctx context.Context, f Filter) ([]FlowSummary, error) {
	q, args := flowsQuery(summaryCols, f)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list flows: %w", err)
	}
	defer rows.Close()
	var out []FlowSummary
	for rows.Next() {
		sum, err := scanSummary(rows)
		if err != nil {
			return nil, fmt.Errorf("list flows: %w", err)
		}
		out = append(out, sum)
	}
	return out, rows.Err()
}

// CountFlows counts the flows f selects.
func (s *Store) CountFlows(ctx context.Context, f Filter) (int, error) {
	where, args := f.where()
	var n int
	if err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM flows fl WHERE "+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count flows: %w", err)
	}
	return n, nil
}

// FlowDetail is a stored flow with what inspection concluded about it.
type FlowDetail struct {
	Flow       phiproxy.Flow
	Inspection phiproxy.Inspection
	RunID      int64
}

const detailCols = `fl.id, fl.run_id, fl.start, fl.source, fl.client_addr, fl.connect_target, fl.server_addr, fl.page, fl.phase,
	fl.method, fl.url, fl.host, fl.host_header, fl.proto, fl.req_headers, fl.req_body, fl.req_body_size, fl.req_truncated,
	fl.status, fl.resp_proto, fl.resp_headers, fl.resp_body, fl.resp_body_size,
	fl.send_us, fl.wait_us, fl.receive_us, fl.error,
	fl.domain, fl.party, fl.vendor, fl.vendor_category, fl.baa,
	fl.severity, fl.field_count, fl.notes, fl.authenticated, fl.consent,
	fl.client_proto, fl.upstream_proto`

func scanDetail(rows *sql.Rows) (*FlowDetail, error) {
	d := &FlowDetail{}
	f, in := &d.Flow, &d.Inspection
	var runID sql.NullInt64
	var start, reqHdr, respHdr, party, notes string
	var sendUS, waitUS, recvUS int64
	var sev int
	resp := &phiproxy.Response{}
	err := rows.Scan(&f.ID, &runID, &start, &f.Source, &f.ClientAddr, &f.ConnectTarget, &f.ServerAddr, &f.Page, &f.Phase,
		&f.Request.Method, &f.Request.URL, &in.Destination.Host, &f.Request.Host, &f.Request.Proto, &reqHdr, &f.Request.Body, &f.Request.BodySize, &f.Request.Truncated,
		&resp.Status, &resp.Proto, &respHdr, &resp.Body, &resp.BodySize,
		&sendUS, &waitUS, &recvUS, &f.Error,
		&in.Destination.Domain, &party, &in.Destination.Vendor, &in.Destination.Category, &in.Destination.BAA,
		&sev, &in.Fields, &notes, &f.Authenticated, &f.Consent,
		&f.ClientProto, &f.UpstreamProto)
	if err != nil {
		return nil, fmt.Errorf("read flow: %w", err)
	}
	d.RunID = runID.Int64
	f.Start = parseTime(start)
	f.Request.Header = parseHeader(reqHdr)
	in.Destination.Party = phiproxy.Party(party)
	in.Severity = phiproxy.Severity(sev)
	if notes != "" {
		in.Notes = strings.Split(notes, "\n")
	}
	f.Timings = phiproxy.Timings{Send: time.Duration(sendUS) * time.Microsecond, Wait: time.Duration(waitUS) * time.Microsecond, Receive: time.Duration(recvUS) * time.Microsecond}
	if resp.Status != 0 {
		resp.Header = parseHeader(respHdr)
		f.Response = resp
	}
	return d, nil
}

func parseHeader(s string) http.Header {
	h := http.Header{}
	_ = json.Unmarshal([]byte(s), &h) // written by us; a bad value reads as empty
	return h
}

// Flow reads one flow with its findings and WebSocket messages.
func (s *Store) Flow(ctx context.Context, id int64) (*FlowDetail, error) {
	var got *FlowDetail
	err := s.EachFlow(ctx, Filter{IDs: []int64{id}}, func(d *FlowDetail) error { got = d; return nil })
	if err != nil {
		return nil, err
	}
	if got == nil {
		return nil, fmt.Errorf("flow %d: %w", id, sql.ErrNoRows)
	}
	return got, nil
}

// EachFlow streams the selected flows in ID order, with findings and
// WebSocket messages, one at a time: memory does not grow with the number
// of flows. Findings below f.MinSeverity are left out.
func (s *Store) EachFlow(ctx context.Context, f Filter, fn func(*FlowDetail) error) error {
	q, args := flowsQuery(detailCols, f)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read flows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDetail(rows)
		if err != nil {
			return err
		}
		if err := s.attach(ctx, d, f.MinSeverity); err != nil {
			return err
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return rows.Err()
}

// The findings at or above a severity and the WebSocket messages of one
// flow.
const (
	flowFindingsSQL = `SELECT ` + findingCols + ` FROM findings f WHERE f.flow_id = ? AND f.severity >= ? ORDER BY f.severity DESC, f.id`
	flowMessagesSQL = `SELECT time, from_client, "binary", data, truncated FROM ws_messages WHERE flow_id = ? ORDER BY seq`
)

func (s *Store) attach(ctx context.Context, d *FlowDetail, min phiproxy.Severity) error {
	frows, err := s.read.QueryContext(ctx, flowFindingsSQL, d.Flow.ID, int(min))
	if err != nil {
		return fmt.Errorf("read findings of flow %d: %w", d.Flow.ID, err)
	}
	defer frows.Close()
	for frows.Next() {
		fd, err := scanFinding(frows)
		if err != nil {
			return err
		}
		d.Inspection.Findings = append(d.Inspection.Findings, fd)
	}
	if err := frows.Err(); err != nil {
		return err
	}
	wrows, err := s.read.QueryContext(ctx, flowMessagesSQL, d.Flow.ID)
	if err != nil {
		return fmt.Errorf("read websocket messages of flow %d: %w", d.Flow.ID, err)
	}
	defer wrows.Close()
	for wrows.Next() {
		var m phiproxy.WSMessage
		var t string
		if err := wrows.Scan(&t, &m.FromClient, &m.Binary, &m.Data, &m.Truncated); err != nil {
			return fmt.Errorf("read websocket message: %w", err)
		}
		m.Time = parseTime(t)
		d.Flow.WebSocket = append(d.Flow.WebSocket, m)
	}
	return wrows.Err()
}

const findingCols = `f.flow_id, f.kind, f.term, f.value, f.path, f.field, f.match_start, f.match_end, f.category, f.source, f.score, f.severity, f.consent_violation, f.negated`

func scanFinding(rows *sql.Rows) (phiproxy.Finding, error) {
	var fd phiproxy.Finding
	var kind, source string
	var sev int
	err := rows.Scan(&fd.FlowID, &kind, &fd.Term, &fd.Value, &fd.Path, &fd.Field, &fd.Start, &fd.End, &fd.Category, &source, &fd.Score, &sev, &fd.ConsentViolation, &fd.Negated)
	if err != nil {
		return fd, fmt.Errorf("read finding: %w", err)
	}
	fd.Kind, fd.Source, fd.Severity = phiproxy.Kind(kind), phiproxy.Source(source), phiproxy.Severity(sev)
	return fd, nil
}

// FindingRow is one finding with the flow it came from: the JSON Lines
// record of `phiproxy findings --json` and of findings.json in evidence
// bundles. Field names and meanings are a public contract.
type FindingRow struct {
	FlowID         int64             `json:"flow_id"`
	Time           time.Time         `json:"time"`
	Method         string            `json:"method"`
	URL            string            `json:"url"`
	Host           string            `json:"host"`
	Party          phiproxy.Party    `json:"party"`
	Vendor         string            `json:"vendor"`
	VendorCategory string            `json:"vendor_category"`
	BAA            bool              `json:"baa"`
	Kind           phiproxy.Kind     `json:"kind"`
	Term           string            `json:"term"`
	Value          string            `json:"value"`
	Path           string            `json:"path"`
	Category       string            `json:"category"`
	Severity       phiproxy.Severity `json:"severity"`
	Source         phiproxy.Source   `json:"source"`
	Score          float64           `json:"score"`
	Page           string            `json:"page,omitempty"`
	Phase          string            `json:"phase,omitempty"`
	// Authenticated: a signed-in session sent the flow.
	Authenticated bool `json:"authenticated"`
	// Consent is the crawl's consent state ("none", "reject", "accept",
	// "gpc"), empty outside consent crawls; ConsentViolation marks a
	// finding sent to a third party against the visitor's choice.
	Consent          string `json:"consent"`
	ConsentViolation bool   `json:"consent_violation"`
	// Field and the match offsets locate Value in the decoded field.
	Field      string `json:"field"`
	MatchStart int    `json:"match_start"`
	MatchEnd   int    `json:"match_end"`
	// Negated marks an intake answer that says no (see
	// phiproxy.Finding.Negated).
	Negated bool `json:"negated"`
}

// Row joins a finding with the flow it belongs to.
func Row(f *phiproxy.Flow, d phiproxy.Destination, fd phiproxy.Finding) FindingRow {
	host := d.Host
	if host == "" {
		host = f.Request.URLHost()
	}
	return FindingRow{
		FlowID: f.ID, Time: f.Start.UTC(), Method: f.Request.Method, URL: f.Request.URL, Host: host,
		Party: d.Party, Vendor: d.Vendor, VendorCategory: d.Category, BAA: d.BAA,
		Kind: fd.Kind, Term: fd.Term, Value: fd.Value, Path: fd.Path, Category: fd.Category,
		Severity: fd.Severity, Negated: fd.Negated, Source: fd.Source, Score: fd.Score, Page: f.Page, Phase: f.Phase, Authenticated: f.Authenticated, Consent: f.Consent, ConsentViolation: fd.ConsentViolation,
		Field: fd.Field, MatchStart: fd.Start, MatchEnd: fd.End,
	}
}

// findingsQuery selects the findings f keeps with their flows' columns
// that FindingRow holds.
func findingsQuery(f Filter) (string, []any) {
	where, args := f.where()
	q := `SELECT ` + findingCols + `, fl.start, fl.method, fl.url, fl.host, fl.party, fl.vendor, fl.vendor_category, fl.baa, fl.page, fl.phase, fl.authenticated, fl.consent
		FROM findings f JOIN flows fl ON fl.id = f.flow_id
		WHERE ` + where + ` AND f.severity >= ?`
	args = append(args, int(f.MinSeverity))
	if f.Kind != "" {
		q += " AND f.kind = ?"
		args = append(args, string(f.Kind))
	}
	if f.BySeverity {
		q += " ORDER BY f.severity DESC, fl.id, f.id" + f.limit()
	} else {
		q += " ORDER BY fl.id, f.severity DESC, f.id" + f.limit()
	}
	return q, args
}

// EachFinding streams findings of the selected flows, most severe first
// within each flow, flows in ID order.
func (s *Store) EachFinding(ctx context.Context, f Filter, fn func(FindingRow) error) error {
	q, args := findingsQuery(f)
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("read findings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r FindingRow
		var kind, source, start, party string
		var sev int
		if err := rows.Scan(&r.FlowID, &kind, &r.Term, &r.Value, &r.Path, &r.Field, &r.MatchStart, &r.MatchEnd, &r.Category, &source, &r.Score, &sev, &r.ConsentViolation, &r.Negated,
			&start, &r.Method, &r.URL, &r.Host, &party, &r.Vendor, &r.VendorCategory, &r.BAA, &r.Page, &r.Phase, &r.Authenticated, &r.Consent); err != nil {
			return fmt.Errorf("read finding: %w", err)
		}
		r.Kind, r.Source, r.Severity, r.Party, r.Time = phiproxy.Kind(kind), phiproxy.Source(source), phiproxy.Severity(sev), phiproxy.Party(party), parseTime(start)
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Findings collects EachFinding into a slice.
func (s *Store) Findings(ctx context.Context, f Filter) ([]FindingRow, error) {
	var out []FindingRow
	err := s.EachFinding(ctx, f, func(r FindingRow) error { out = append(out, r); return nil })
	return out, err
}

// Stats sums the counters of every run in the database.
func (s *Store) Stats(ctx context.Context) (phiproxy.Stats, error) {
	var st phiproxy.Stats
	err := s.read.QueryRowContext(ctx, `SELECT coalesce(sum(seen),0), coalesce(sum(inspected),0), coalesce(sum(flagged),0), coalesce(sum(dropped),0) FROM runs`).
		Scan(&st.Seen, &st.Inspected, &st.Flagged, &st.Dropped)
	if err != nil {
		return st, fmt.Errorf("read stats: %w", err)
	}
	return st, nil
}

// RunInfo is a stored run with its counters.
type RunInfo struct {
	Run
	Started, Ended time.Time
	Stats          phiproxy.Stats
}

// Runs lists runs, oldest first.
func (s *Store) Runs(ctx context.Context) ([]RunInfo, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, command, started, coalesce(ended,''), listen, ca_fingerprint, version, seen, inspected, flagged, dropped FROM runs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []RunInfo
	for rows.Next() {
		var r RunInfo
		var started, ended string
		if err := rows.Scan(&r.ID, &r.Command, &started, &ended, &r.Listen, &r.CAFingerprint, &r.Version,
			&r.Stats.Seen, &r.Stats.Inspected, &r.Stats.Flagged, &r.Stats.Dropped); err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		r.Started, r.Ended = parseTime(started), parseTime(ended)
		out = append(out, r)
	}
	return out, rows.Err()
}
