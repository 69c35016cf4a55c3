package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/phiproxy/phiproxy"
)

// NameRun records a run's label and the site it was about (schema
// version 6). Either may be empty. A database URL in either is stored
// without its password.
func (s *Store) NameRun(ctx context.Context, runID int64, label, site string) error {
	if s.ro {
		return ErrReadOnly
	}
	if _, err := s.write.ExecContext(ctx, `UPDATE runs SET label = ?, site = ? WHERE id = ?`, RedactText(label), RedactText(site), runID); err != nil {
		return fmt.Errorf("name run %d: %w", runID, err)
	}
	return nil
}

// RunSummary is a run as `phiproxy runs` lists it.
type RunSummary struct {
	RunInfo
	Label, Site string
	// Flows and Findings are what the run stored.
	Flows, Findings int64
	// FirstPage is a page the run's stored flows came from (the first in
	// sort order), "" when none named one: the site of a run that was not
	// told.
	FirstPage string
}

// RunSummaries lists every run, oldest first, with what it stored.
func (s *Store) RunSummaries(ctx context.Context) ([]RunSummary, error) {
	runs, err := s.read.QueryContext(ctx, `SELECT id, command, started, coalesce(ended, ''), listen, ca_fingerprint, version,
		seen, inspected, flagged, dropped, label, site FROM runs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer runs.Close()
	var out []RunSummary
	index := map[int64]int{}
	for runs.Next() {
		var r RunSummary
		var started, ended string
		if err := runs.Scan(&r.ID, &r.Command, &started, &ended, &r.Listen, &r.CAFingerprint, &r.Version,
			&r.Stats.Seen, &r.Stats.Inspected, &r.Stats.Flagged, &r.Stats.Dropped, &r.Label, &r.Site); err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		r.Started, r.Ended = parseTime(started), parseTime(ended)
		index[r.ID] = len(out)
		out = append(out, r)
	}
	if err := runs.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	counts, err := s.read.QueryContext(ctx, runFlowCountsSQL)
	if err != nil {
		return nil, fmt.Errorf("count flows of runs: %w", err)
	}
	defer counts.Close()
	for counts.Next() {
		var id, flows, findings int64
		var page sql.NullString
		if err := counts.Scan(&id, &flows, &findings, &page); err != nil {
			return nil, fmt.Errorf("count flows of runs: %w", err)
		}
		if i, ok := index[id]; ok {
			out[i].Flows, out[i].Findings, out[i].FirstPage = flows, findings, page.String
		}
	}
	return out, counts.Err()
}

// RunSummary returns one run, or an error naming it when there is none.
func (s *Store) RunSummary(ctx context.Context, runID int64) (RunSummary, error) {
	all, err := s.RunSummaries(ctx)
	if err != nil {
		return RunSummary{}, err
	}
	for _, r := range all {
		if r.ID == runID {
			return r, nil
		}
	}
	return RunSummary{}, fmt.Errorf("%s: no run %d", s.path, runID)
}

// ExposureRow is one PHI kind a stored flow sent to a party other than
// the site itself, with the flow's highest severity for that kind.
type ExposureRow struct {
	FlowID, RunID                               int64
	Start                                       time.Time
	Method, URL, Host, Page                     string
	Vendor, VendorCategory, Domain, Party, Kind string
	Severity                                    phiproxy.Severity
}

// runFlowCountsSQL counts each run's flows and findings and finds its
// first page.
const runFlowCountsSQL = `SELECT run_id, count(*), coalesce(sum(finding_count), 0), min(CASE WHEN page <> '' THEN page END)
		FROM flows WHERE run_id IS NOT NULL GROUP BY run_id`

// Exposure lists, for the flows f selects that went to a third or unknown
// party, one row per flow and PHI kind, in flow order.
func (s *Store) Exposure(ctx context.Context, f Filter) ([]ExposureRow, error) {
	where, args := f.where()
	rows, err := s.read.QueryContext(ctx, `SELECT fl.id, coalesce(fl.run_id, 0), fl.start, fl.method, fl.url, fl.host, fl.page,
			fl.vendor, fl.vendor_category, fl.domain, fl.party, k.kind, max(k.severity)
		FROM findings k JOIN flows fl ON fl.id = k.flow_id
		WHERE fl.party <> 'first' AND `+where+`
		GROUP BY fl.id, fl.run_id, fl.start, fl.method, fl.url, fl.host, fl.page, fl.vendor, fl.vendor_category, fl.domain, fl.party, k.kind
		ORDER BY fl.id, k.kind`, args...)
	if err != nil {
		return nil, fmt.Errorf("read exposure: %w", err)
	}
	defer rows.Close()
	var out []ExposureRow
	for rows.Next() {
		var r ExposureRow
		var start string
		var sev int
		if err := rows.Scan(&r.FlowID, &r.RunID, &start, &r.Method, &r.URL, &r.Host, &r.Page, &r.Vendor, &r.VendorCategory, &r.Domain, &r.Party, &r.Kind, &sev); err != nil {
			return nil, fmt.Errorf("read exposure: %w", err)
		}
		r.Start, r.Severity = parseTime(start), phiproxy.Severity(sev)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read exposure: %w", err)
	}
	return out, nil
}
