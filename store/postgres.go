package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/phiproxy/phiproxy"
)

// IsURL reports whether db names a PostgreSQL database
// (postgres://user@host:5432/db?sslmode=...) rather than a SQLite file.
func IsURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// RedactURL returns db with any password in it replaced, so that it can
// be printed, logged or stored. A SQLite path is returned as it is.
func RedactURL(db string) string {
	if !IsURL(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		// Cannot tell where a password would be: print none of it.
		return db[:strings.Index(db, "://")+3] + "(unparsable URL)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

var urlInText = regexp.MustCompile(`postgres(?:ql)?://[^\s'"]+`)

// RedactText redacts every PostgreSQL URL within s (a command line, a
// label), for text that is stored or shown.
func RedactText(s string) string {
	if !strings.Contains(s, "postgres") {
		return s
	}
	return urlInText.ReplaceAllStringFunc(s, RedactURL)
}

// secretError keeps the password of a database URL out of an error's text
// while keeping the error it wraps for errors.Is and errors.As.
type secretError struct {
	msg string
	err error
}

func (e *secretError) Error() string { return e.msg }
func (e *secretError) Unwrap() error { return e.err }

// hidePassword rewrites err's text without password.
func hidePassword(err error, password string) error {
	if err == nil || password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return &secretError{msg: strings.ReplaceAll(err.Error(), password, "xxxxx"), err: err}
}

// Advisory lock keys ("phip" and a number) that serialise what must not
// interleave between processes sharing one database.
const (
	migrateLock = 0x70686970_0001
	// flowLock is held from allocating a batch's flow IDs to its commit, so
	// that batches of concurrent writers commit in ID order: a reader
	// following new flows by ID (view) then never passes over a flow that
	// another process commits a moment later with a smaller ID.
	flowLock = 0x70686970_0002
)

// changesChannel is the NOTIFY channel on which every committed batch is
// announced, to readers in any process.
const changesChannel = "phiproxy_changes"

// openPostgres connects to the database at rawURL. Credentials come from
// the URL or libpq's usual sources (PGPASSWORD, ~/.pgpass, PGUSER, ...).
func openPostgres(rawURL string, readOnly bool, o options) (*Store, error) {
	shown := RedactURL(rawURL)
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", shown, hidePassword(err, urlPassword(rawURL)))
	}
	password := cfg.Password
	if o.busyTimeout > 0 {
		cfg.RuntimeParams["lock_timeout"] = strconv.FormatInt(o.busyTimeout.Milliseconds(), 10)
	}
	s := &Store{path: shown, ro: readOnly, dialect: postgresDialect, pgConfig: cfg, password: password, subs: map[chan struct{}]struct{}{}}
	fail := func(err error) (*Store, error) {
		s.Close()
		return nil, fmt.Errorf("open database %s: %w", shown, hidePassword(err, password))
	}
	rcfg := cfg.Copy()
	if readOnly {
		// The server refuses any write from these connections.
		rcfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	s.read = &pool{DB: stdlib.OpenDB(*rcfg), dialect: postgresDialect}
	s.read.SetMaxOpenConns(8)
	if err := s.read.Ping(); err != nil {
		return fail(err)
	}
	if readOnly {
		v, err := s.pgVersion(context.Background(), s.read)
		if err != nil {
			return fail(err)
		}
		if v > SchemaVersion {
			return fail(fmt.Errorf("schema version %d, this phiproxy knows %d: %w", v, SchemaVersion, ErrNewerSchema))
		}
		if v < SchemaVersion {
			return fail(fmt.Errorf("schema version %d is older than %d; migrate it with phiproxy db migrate", v, SchemaVersion))
		}
		return s, nil
	}
	// One writer connection per process, as with SQLite: the batching
	// writer is one goroutine, and many processes write side by side.
	s.write = &pool{DB: stdlib.OpenDB(*cfg), dialect: postgresDialect}
	s.write.SetMaxOpenConns(1)
	if err := s.migratePostgres(context.Background()); err != nil {
		return fail(err)
	}
	return s, nil
}

// HasPassword reports whether db, a database URL, carries a password, in
// its user information or as a password parameter.
func HasPassword(db string) bool {
	return IsURL(db) && urlPassword(db) != ""
}

func urlPassword(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	if p, ok := u.User.Password(); ok {
		return p
	}
	return u.Query().Get("password")
}

// pgVersion reads the schema version of a PostgreSQL database: 0 for an
// empty one.
func (s *Store) pgVersion(ctx context.Context, db *pool) (int, error) {
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT to_regclass('schema_version') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// migratePostgres applies the migrations the database lacks, all in one
// transaction under an advisory lock, so that processes starting together
// against a new database neither race nor leave half a schema behind.
func (s *Store) migratePostgres(ctx context.Context) error {
	t, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer t.Rollback()
	if _, err := t.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(migrateLock)); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	// schema_version plays PRAGMA user_version's part: one row, the number
	// of migrations applied.
	if _, err := t.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var v int
	if err := t.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v > SchemaVersion {
		return fmt.Errorf("schema version %d, this phiproxy knows %d: %w", v, SchemaVersion, ErrNewerSchema)
	}
	names := mustMigrations()
	for i := v; i < len(names); i++ {
		body, err := migrations.ReadFile(names[i])
		if err != nil {
			return fmt.Errorf("read migration %s: %w", names[i], err)
		}
		// No arguments: the simple protocol, which runs a file of statements.
		if _, err := t.Tx.ExecContext(ctx, postgresDialect.migration(string(body))); err != nil {
			return fmt.Errorf("migrate to %d (%s): %w", i+1, names[i], err)
		}
	}
	if v < len(names) {
		if _, err := t.ExecContext(ctx, `DELETE FROM schema_version`); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if _, err := t.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (?)`, len(names)); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}

// pgRejected reports whether err is PostgreSQL refusing the data itself.
func pgRejected(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	// Class 22: data exception; 23: integrity constraint violation; 54:
	// program limit exceeded (a value too big).
	return strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "23") || strings.HasPrefix(pe.Code, "54")
}

// copyBatch is SaveBatch on PostgreSQL.
func copyBatch(ctx context.Context, c *pgx.Conn, runID int64, recs []Record, delta phiproxy.Stats, ids []int64) error {
	t, err := c.Begin(ctx)
	if err != nil {
		return fmt.Errorf("save batch: %w", err)
	}
	defer t.Rollback(ctx)
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1)`, int64(flowLock))
	b.Queue(`SELECT nextval(pg_get_serial_sequence('flows', 'id')) FROM generate_series(1, $1)`, len(recs))
	br := t.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		br.Close()
		return fmt.Errorf("save batch: lock: %w", err)
	}
	rows, err := br.Query()
	if err == nil {
		i := 0
		for rows.Next() && i < len(ids) {
			err = rows.Scan(&ids[i])
			i++
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err == nil && i != len(ids) {
			err = fmt.Errorf("got %d flow IDs for %d flows", i, len(ids))
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("save batch: allocate flow IDs: %w", err)
	}
	var flows, findings, messages [][]any
	for i, rec := range recs {
		flows = append(flows, pgRow(append([]any{ids[i]}, flowValues(nil, runID, rec)...)))
		for seq, m := range rec.Flow.WebSocket {
			messages = append(messages, pgRow(messageValues(nil, ids[i], seq, m)))
		}
		for _, fd := range rec.Inspection.Findings {
			findings = append(findings, pgRow(findingValues(nil, ids[i], fd)))
		}
	}
	for _, cp := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"flows", append([]string{"id"}, flowColumns...), flows},
		{"ws_messages", messageColumns, messages},
		{"findings", findingColumns, findings},
	} {
		if len(cp.rows) == 0 {
			continue
		}
		if _, err := t.CopyFrom(ctx, pgx.Identifier{cp.table}, cp.cols, pgx.CopyFromRows(cp.rows)); err != nil {
			return fmt.Errorf("save batch: copy %s: %w", cp.table, err)
		}
	}
	b = &pgx.Batch{}
	if runID != 0 && delta != (phiproxy.Stats{}) {
		b.Queue(postgresDialect.rebind(updateStatsSQL), int64(delta.Seen), int64(delta.Inspected), int64(delta.Flagged), int64(delta.Dropped), runID)
	}
	// Delivered to listeners when, and only if, the transaction commits.
	b.Queue(`SELECT pg_notify($1, $2)`, changesChannel, strconv.FormatInt(runID, 10))
	if err := t.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("save run stats: %w", err)
	}
	if err := t.Commit(ctx); err != nil {
		return fmt.Errorf("save batch: commit: %w", err)
	}
	return nil
}

// pgRow converts a row's values in place for PostgreSQL.
func pgRow(vs []any) []any {
	for i, v := range vs {
		vs[i] = pgValue(v)
	}
	return vs
}

// listen forwards NOTIFYs on changesChannel to the store's subscribers
// until ctx ends, reconnecting a second after a lost connection; ready is
// closed once LISTEN is first in place. After each (re)connection it
// signals once: whatever was committed while nobody listened is read by
// the subscriber's next query. A server that cannot be reached leaves
// readers with the rows they have, as a quiet database would.
func (s *Store) listen(ctx context.Context, ready, done chan<- struct{}) {
	defer close(done)
	var once sync.Once
	listening := func() { once.Do(func() { close(ready) }) }
	for ctx.Err() == nil {
		s.listenOnce(ctx, listening)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// listenOnce listens on one connection until it fails or ctx ends.
func (s *Store) listenOnce(ctx context.Context, listening func()) error {
	c, err := pgx.ConnectConfig(ctx, s.pgConfig.Copy())
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		return err
	}
	listening()
	s.notify()
	for {
		if _, err := c.WaitForNotification(ctx); err != nil {
			return err
		}
		s.notify()
	}
}

// startListener starts listen once, on the first Subscribe to a
// PostgreSQL store, and waits (briefly) for LISTEN to be in place so that
// a batch committed right after Subscribe returns is announced.
func (s *Store) startListener() {
	if s.dialect != postgresDialect {
		return
	}
	s.listener.Do(s.runListener)
}

func (s *Store) runListener() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.mu.Lock()
	s.stopListen, s.listenDone = cancel, done
	s.mu.Unlock()
	ready := make(chan struct{})
	go s.listen(ctx, ready, done)
	select {
	case <-ready:
	case <-done:
	case <-time.After(5 * time.Second):
	}
}
