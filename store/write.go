package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/phiproxy/phiproxy"
)

// ErrReadOnly is returned by writes to a store opened with OpenReadOnly.
var ErrReadOnly = errors.New("database opened read-only")

// Run describes one invocation of phiproxy that writes to the database.
type Run struct {
	ID            int64
	Command       string // run, scan, crawl
	Listen        string
	CAFingerprint string
	Version       string
}

// Record is a flow and what inspection concluded about it, ready to save.
type Record struct {
	Flow       *phiproxy.Flow
	Inspection phiproxy.Inspection
}

// BeginRun records the start of a run and returns its ID.
func (s *Store) BeginRun(ctx context.Context, r Run) (int64, error) {
	if s.ro {
		return 0, ErrReadOnly
	}
	res, err := s.write.ExecContext(ctx,
		`INSERT INTO runs (command, started, listen, ca_fingerprint, version) VALUES (?, ?, ?, ?, ?)`,
		r.Command, formatTime(s.now()), r.Listen, r.CAFingerprint, r.Version)
	if err != nil {
		return 0, fmt.Errorf("begin run: %w", err)
	}
	return res.LastInsertId()
}

// EndRun stamps the run's end time.
func (s *Store) EndRun(ctx context.Context, runID int64) error {
	if s.ro {
		return ErrReadOnly
	}
	if _, err := s.write.ExecContext(ctx, `UPDATE runs SET ended = ? WHERE id = ?`, formatTime(s.now()), runID); err != nil {
		return fmt.Errorf("end run: %w", err)
	}
	return nil
}

// SaveBatch stores records and adds delta to the run's counters in one
// transaction, so counts and rows never disagree. It sets Flow.ID on each
// record and FlowID on its findings. Callers serialise SaveBatch calls.
func (s *Store) SaveBatch(ctx context.Context, runID int64, recs []Record, delta phiproxy.Stats) error {
	if s.ro {
		return ErrReadOnly
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save batch: %w", err)
	}
	defer tx.Rollback()

	ins, err := prepareInserts(ctx, tx)
	if err != nil {
		return err
	}
	defer ins.close()
	ids := make([]int64, len(recs))
	for i, rec := range recs {
		id, err := ins.flow(ctx, runID, rec)
		if err != nil {
			return err
		}
		ids[i] = id
	}
	if runID != 0 && delta != (phiproxy.Stats{}) {
		if _, err := tx.ExecContext(ctx,
			`UPDATE runs SET seen = seen + ?, inspected = inspected + ?, flagged = flagged + ?, dropped = dropped + ? WHERE id = ?`,
			delta.Seen, delta.Inspected, delta.Flagged, delta.Dropped, runID); err != nil {
			return fmt.Errorf("save run stats: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save batch: commit: %w", err)
	}
	for i, rec := range recs {
		rec.Flow.ID = ids[i]
		for j := range rec.Inspection.Findings {
			rec.Inspection.Findings[j].FlowID = ids[i]
		}
	}
	s.notify()
	return nil
}

const (
	insertFlowSQL = `INSERT INTO flows (
		run_id, start, source, client_addr, connect_target, server_addr, page, phase,
		method, url, host, host_header, proto, req_headers, req_body, req_body_size, req_truncated,
		status, resp_proto, resp_headers, resp_body, resp_body_size,
		send_us, wait_us, receive_us, error,
		domain, party, vendor, vendor_category, baa,
		severity, kinds, finding_count, field_count, notes
	) VALUES (?,?,?,?,?,?,?,?, ?,?,?,?,?,?,?,?,?, ?,?,?,?,?, ?,?,?,?, ?,?,?,?,?, ?,?,?,?,?)`
	insertMessageSQL = `INSERT INTO ws_messages (flow_id, seq, time, from_client, binary, data, truncated) VALUES (?,?,?,?,?,?,?)`
	insertFindingSQL = `INSERT INTO findings (
		flow_id, kind, term, value, path, field, match_start, match_end, category, source, score, severity
	) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`
)

// inserts holds the statements of one batch, prepared once per
// transaction instead of once per row.
type inserts struct {
	flows, messages, findings *sql.Stmt
}

func prepareInserts(ctx context.Context, tx *sql.Tx) (*inserts, error) {
	var in inserts
	var err error
	if in.flows, err = tx.PrepareContext(ctx, insertFlowSQL); err != nil {
		return nil, fmt.Errorf("prepare flow insert: %w", err)
	}
	if in.messages, err = tx.PrepareContext(ctx, insertMessageSQL); err != nil {
		in.close()
		return nil, fmt.Errorf("prepare websocket insert: %w", err)
	}
	if in.findings, err = tx.PrepareContext(ctx, insertFindingSQL); err != nil {
		in.close()
		return nil, fmt.Errorf("prepare finding insert: %w", err)
	}
	return &in, nil
}

func (in *inserts) close() {
	for _, st := range []*sql.Stmt{in.flows, in.messages, in.findings} {
		if st != nil {
			st.Close()
		}
	}
}

func (st *inserts) flow(ctx context.Context, runID int64, rec Record) (int64, error) {
	f, in := rec.Flow, rec.Inspection
	resp := f.Response
	if resp == nil {
		resp = &phiproxy.Response{BodySize: -1}
	}
	var run any
	if runID != 0 {
		run = runID
	}
	host := in.Destination.Host
	if host == "" {
		host = f.Request.URLHost()
	}
	res, err := st.flows.ExecContext(ctx,
		run, formatTime(f.Start), nonEmpty(f.Source, "proxy"), f.ClientAddr, f.ConnectTarget, f.ServerAddr, f.Page, f.Phase,
		f.Request.Method, f.Request.URL, host, f.Request.Host, f.Request.Proto, headerJSON(f.Request.Header), f.Request.Body, f.Request.BodySize, f.Request.Truncated,
		resp.Status, resp.Proto, headerJSON(resp.Header), resp.Body, resp.BodySize,
		f.Timings.Send.Microseconds(), f.Timings.Wait.Microseconds(), f.Timings.Receive.Microseconds(), f.Error,
		in.Destination.Domain, nonEmpty(string(in.Destination.Party), string(phiproxy.UnknownParty)), in.Destination.Vendor, in.Destination.Category, in.Destination.BAA,
		int(in.Severity), joinKinds(in.Findings), len(in.Findings), in.Fields, strings.Join(in.Notes, "\n"),
	)
	if err != nil {
		return 0, fmt.Errorf("insert flow %s: %w", f.Request.URL, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("insert flow: %w", err)
	}
	for seq, m := range f.WebSocket {
		if _, err := st.messages.ExecContext(ctx,
			id, seq, formatTime(m.Time), m.FromClient, m.Binary, nonNil(m.Data), m.Truncated); err != nil {
			return 0, fmt.Errorf("insert websocket message: %w", err)
		}
	}
	for _, fd := range in.Findings {
		if _, err := st.findings.ExecContext(ctx,
			id, string(fd.Kind), fd.Term, fd.Value, fd.Path, fd.Field, fd.Start, fd.End, fd.Category, string(fd.Source), fd.Score, int(fd.Severity)); err != nil {
			return 0, fmt.Errorf("insert finding: %w", err)
		}
	}
	return id, nil
}

func headerJSON(h http.Header) string {
	if len(h) == 0 {
		return "{}"
	}
	b, err := json.Marshal(h)
	if err != nil {
		return "{}"
	}
	return string(b)
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
