package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/mattn/go-sqlite3"

	"github.com/phiproxy/phiproxy"
)

// ErrReadOnly is returned by writes to a store opened with OpenReadOnly.
var ErrReadOnly = errors.New("database opened read-only")

// Rejected reports whether a write failed because of what it wrote (a
// constraint, a value too big), so that writing the same records again
// cannot succeed, unlike a write to a locked, busy or full database.
func Rejected(err error) bool {
	if pgRejected(err) {
		return true
	}
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code {
	case sqlite3.ErrConstraint, sqlite3.ErrTooBig, sqlite3.ErrMismatch, sqlite3.ErrRange:
		return true
	}
	return false
}

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

// BeginRun records the start of a run and returns its ID. A database URL
// in its text is stored without its password.
func (s *Store) BeginRun(ctx context.Context, r Run) (int64, error) {
	if s.ro {
		return 0, ErrReadOnly
	}
	var id int64
	err := s.write.QueryRowContext(ctx, `INSERT INTO runs (command, started, listen, ca_fingerprint, version) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		RedactText(r.Command), formatTime(s.now()), RedactText(r.Listen), r.CAFingerprint, r.Version).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("begin run: %w", err)
	}
	return id, nil
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
//
// It talks to the driver directly rather than through database/sql. On
// PostgreSQL, flow IDs are drawn from the flows sequence up front, so that
// flows, findings and WebSocket messages each go in with one COPY. On SQLite,
// a flagged flow is about ninety bound values, and database/sql's
// per-statement conversion and locking cost more than the inserts
// themselves on the writer goroutine (BenchmarkSaveBatch).
func (s *Store) SaveBatch(ctx context.Context, runID int64, recs []Record, delta phiproxy.Stats) error {
	if s.ro {
		return ErrReadOnly
	}
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("save batch: %w", err)
	}
	ids := make([]int64, len(recs))
	err = conn.Raw(func(dc any) error {
		// pgx's connection is a driverConn too: ask for it first.
		switch c := dc.(type) {
		case *stdlib.Conn:
			return hidePassword(copyBatch(ctx, c.Conn(), runID, recs, delta, ids), s.password)
		case driverConn:
			ins, err := s.inserts(ctx, c)
			if err != nil {
				return err
			}
			return saveBatch(ctx, c, ins, runID, recs, delta, ids)
		}
		return fmt.Errorf("save batch: driver connection %T cannot prepare statements", dc)
	})
	conn.Close()
	if err != nil {
		return err
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

// driverConn is what SaveBatch needs of the SQLite driver's connection.
type driverConn interface {
	driver.ConnBeginTx
	driver.ConnPrepareContext
}

// inserts returns the writer connection's prepared statements, preparing
// them on its first batch: preparing four statements for every batch cost
// more than a microsecond per flow. Called only inside the write pool's
// single connection (conn.Raw), which serialises it; a new connection (the
// pool replaced a broken one) gets statements of its own.
func (s *Store) inserts(ctx context.Context, c driverConn) (*inserts, error) {
	if s.ins != nil && s.insConn == c {
		return s.ins, nil
	}
	if s.ins != nil {
		s.ins.close()
		s.ins, s.insConn = nil, nil
	}
	ins, err := prepareInserts(ctx, c)
	if err != nil {
		return nil, err
	}
	s.ins, s.insConn = ins, c
	return ins, nil
}

// closeInserts finalises the writer's statements before its connection
// closes.
func (s *Store) closeInserts() error {
	if s.ins == nil {
		return nil
	}
	conn, err := s.write.Conn(context.Background())
	if err != nil {
		return fmt.Errorf("close statements: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(any) error {
		s.ins.close()
		s.ins, s.insConn = nil, nil
		return nil
	})
}

func saveBatch(ctx context.Context, c driverConn, ins *inserts, runID int64, recs []Record, delta phiproxy.Stats, ids []int64) (err error) {
	// BEGIN IMMEDIATE: the DSN's _txlock applies to driver transactions too.
	tx, err := c.BeginTx(ctx, driver.TxOptions{})
	if err != nil {
		return fmt.Errorf("save batch: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			tx.Rollback()
		}
	}()
	for i, rec := range recs {
		if ids[i], err = ins.flow(ctx, runID, rec); err != nil {
			return err
		}
	}
	if runID != 0 && delta != (phiproxy.Stats{}) {
		ins.args.reset()
		ins.args.add(int64(delta.Seen), int64(delta.Inspected), int64(delta.Flagged), int64(delta.Dropped), runID)
		if _, err := ins.stats.ExecContext(ctx, ins.args); err != nil {
			return fmt.Errorf("save run stats: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save batch: commit: %w", err)
	}
	committed = true
	return nil
}

// The columns each batch writes, in the order of flowValues,
// messageValues and findingValues.
var (
	flowColumns = []string{
		"run_id", "start", "source", "client_addr", "connect_target", "server_addr", "page", "phase",
		"method", "url", "host", "host_header", "proto", "req_headers", "req_body", "req_body_size", "req_truncated",
		"status", "resp_proto", "resp_headers", "resp_body", "resp_body_size",
		"send_us", "wait_us", "receive_us", "error",
		"domain", "party", "vendor", "vendor_category", "baa",
		"severity", "kinds", "finding_count", "field_count", "notes", "authenticated", "consent",
		"client_proto", "upstream_proto",
	}
	messageColumns = []string{"flow_id", "seq", "time", "from_client", "binary", "data", "truncated"}
	findingColumns = []string{
		"flow_id", "kind", "term", "value", "path", "field", "match_start", "match_end", "category", "source", "score", "severity", "consent_violation", "negated",
	}
)

// insertSQL is an INSERT of one row into table's cols for SQLite. Every
// column that is never NULL takes coalesce(?, zero), so that an argument
// equal to its column's zero value need not be bound at all (see
// args.addRow): unbound parameters are NULL, and most of a flow's optional
// columns are empty, each bind a call into SQLite.
func insertSQL(table string, cols []string) string {
	quoted := make([]string, len(cols))
	params := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = `"` + c + `"`
		params[i] = "?"
		if z := columnZero(c); z != "" {
			params[i] = "coalesce(?, " + z + ")"
		}
	}
	return "INSERT INTO " + table + " (" + strings.Join(quoted, ", ") + ") VALUES (" + strings.Join(params, ", ") + ")"
}

// Columns written as integers or reals; other columns are text, apart
// from nullableColumns. TestColumnZeros holds these to the schema.
var (
	integerColumns = map[string]bool{
		"req_body_size": true, "req_truncated": true, "status": true, "resp_body_size": true,
		"send_us": true, "wait_us": true, "receive_us": true, "baa": true, "severity": true,
		"finding_count": true, "field_count": true, "authenticated": true,
		"flow_id": true, "seq": true, "from_client": true, "binary": true, "truncated": true,
		"match_start": true, "match_end": true, "consent_violation": true, "negated": true,
	}
	realColumns = map[string]bool{"score": true}
	// nullableColumns may hold NULL (no run, no body): they are always
	// bound as they are.
	nullableColumns = map[string]bool{"run_id": true, "req_body": true, "resp_body": true, "data": true}
)

// columnZero is the SQL literal an unbound argument of column c stands
// for, "" for a column bound every time.
func columnZero(c string) string {
	switch {
	case nullableColumns[c]:
		return ""
	case integerColumns[c]:
		return "0"
	case realColumns[c]:
		return "0.0"
	}
	return "''"
}

var (
	insertFlowSQL    = insertSQL("flows", flowColumns)
	insertMessageSQL = insertSQL("ws_messages", messageColumns)
	insertFindingSQL = insertSQL("findings", findingColumns)

	// Which of each insert's columns take coalesce(?, zero).
	flowCoalesced    = coalesced(flowColumns)
	messageCoalesced = coalesced(messageColumns)
	findingCoalesced = coalesced(findingColumns)
)

func coalesced(cols []string) []bool {
	c := make([]bool, len(cols))
	for i, col := range cols {
		c[i] = columnZero(col) != ""
	}
	return c
}

const updateStatsSQL = `UPDATE runs SET seen = seen + ?, inspected = inspected + ?, flagged = flagged + ?, dropped = dropped + ? WHERE id = ?`

// execStmt is a prepared driver statement.
type execStmt interface {
	driver.Stmt
	driver.StmtExecContext
}

// inserts holds the statements of one batch, prepared once per
// transaction instead of once per row, and one argument list reused by
// every row.
type inserts struct {
	flows, messages, findings, stats execStmt
	args                             args
}

func prepareInserts(ctx context.Context, c driver.ConnPrepareContext) (*inserts, error) {
	in := &inserts{}
	for _, p := range []struct {
		dst  *execStmt
		sql  string
		what string
	}{
		{&in.flows, insertFlowSQL, "flow insert"},
		{&in.messages, insertMessageSQL, "websocket insert"},
		{&in.findings, insertFindingSQL, "finding insert"},
		{&in.stats, updateStatsSQL, "run stats update"},
	} {
		st, err := c.PrepareContext(ctx, p.sql)
		if err != nil {
			in.close()
			return nil, fmt.Errorf("prepare %s: %w", p.what, err)
		}
		es, ok := st.(execStmt)
		if !ok {
			st.Close()
			in.close()
			return nil, fmt.Errorf("prepare %s: driver statement %T cannot execute with a context", p.what, st)
		}
		*p.dst = es
	}
	return in, nil
}

func (in *inserts) close() {
	for _, st := range []execStmt{in.flows, in.messages, in.findings, in.stats} {
		if st != nil {
			st.Close()
		}
	}
}

// args is a statement's positional arguments in the driver's own value
// types (int64, float64, bool, string, []byte, nil), the conversions
// database/sql would otherwise make on every call.
type args []driver.NamedValue

func (a *args) reset() { *a = (*a)[:0] }

func (a *args) add(vs ...any) {
	for _, v := range vs {
		*a = append(*a, driver.NamedValue{Ordinal: len(*a) + 1, Value: v})
	}
}

// addRow adds the values of a row written by an insertSQL statement,
// leaving out those its coalesce supplies: the empty string, integer and
// real zero (not -0.0, which stays as it is), false. Each left-out
// parameter is NULL, since the driver clears bindings before every
// execution, and the statement stores the same zero the bind would have.
func (a *args) addRow(coalesced []bool, vs []any) {
	for i, v := range vs {
		if coalesced[i] && isZero(v) {
			continue
		}
		*a = append(*a, driver.NamedValue{Ordinal: i + 1, Value: v})
	}
}

func isZero(v any) bool {
	switch v := v.(type) {
	case string:
		return v == ""
	case int64:
		return v == 0
	case bool:
		return !v
	case float64:
		return math.Float64bits(v) == 0
	}
	return false
}

func (in *inserts) flow(ctx context.Context, runID int64, rec Record) (int64, error) {
	var buf [48]any
	a := &in.args
	a.reset()
	a.addRow(flowCoalesced, flowValues(buf[:0], runID, rec))
	res, err := in.flows.ExecContext(ctx, *a)
	if err != nil {
		return 0, fmt.Errorf("insert flow %s: %w", rec.Flow.Request.URL, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("insert flow: %w", err)
	}
	for seq, m := range rec.Flow.WebSocket {
		a.reset()
		a.addRow(messageCoalesced, messageValues(buf[:0], id, seq, m))
		if _, err := in.messages.ExecContext(ctx, *a); err != nil {
			return 0, fmt.Errorf("insert websocket message: %w", err)
		}
	}
	for _, fd := range rec.Inspection.Findings {
		a.reset()
		a.addRow(findingCoalesced, findingValues(buf[:0], id, fd))
		if _, err := in.findings.ExecContext(ctx, *a); err != nil {
			return 0, fmt.Errorf("insert finding: %w", err)
		}
	}
	return id, nil
}

// flowValues appends the values of flowColumns for rec to dst, in the
// driver's own types (int64, float64, bool, string, []byte, nil).
func flowValues(dst []any, runID int64, rec Record) []any {
	f, ins := rec.Flow, rec.Inspection
	resp := f.Response
	if resp == nil {
		resp = &phiproxy.Response{BodySize: -1}
	}
	var run any
	if runID != 0 {
		run = runID
	}
	host := ins.Destination.Host
	if host == "" {
		host = f.Request.URLHost()
	}
	return append(dst, run, formatTime(f.Start), nonEmpty(f.Source, "proxy"), f.ClientAddr, f.ConnectTarget, f.ServerAddr, f.Page, f.Phase,
		f.Request.Method, f.Request.URL, host, f.Request.Host, f.Request.Proto, headerJSON(f.Request.Header), f.Request.Body, f.Request.BodySize, f.Request.Truncated,
		int64(resp.Status), resp.Proto, headerJSON(resp.Header), resp.Body, resp.BodySize,
		f.Timings.Send.Microseconds(), f.Timings.Wait.Microseconds(), f.Timings.Receive.Microseconds(), f.Error,
		ins.Destination.Domain, nonEmpty(string(ins.Destination.Party), string(phiproxy.UnknownParty)), ins.Destination.Vendor, ins.Destination.Category, ins.Destination.BAA,
		int64(ins.Severity), joinKinds(ins.Findings), int64(len(ins.Findings)), int64(ins.Fields), strings.Join(ins.Notes, "\n"), f.Authenticated, f.Consent,
		f.ClientProto, f.UpstreamProto,
	)
}

// messageValues appends the values of messageColumns to dst.
func messageValues(dst []any, flowID int64, seq int, m phiproxy.WSMessage) []any {
	return append(dst, flowID, int64(seq), formatTime(m.Time), m.FromClient, m.Binary, nonNil(m.Data), m.Truncated)
}

// findingValues appends the values of findingColumns to dst.
func findingValues(dst []any, flowID int64, fd phiproxy.Finding) []any {
	return append(dst, flowID, string(fd.Kind), fd.Term, fd.Value, fd.Path, fd.Field, int64(fd.Start), int64(fd.End), fd.Category, string(fd.Source), fd.Score, int64(fd.Severity), fd.ConsentViolation, fd.Negated)
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
