// Package store keeps flows, findings and run statistics in SQLite (one
// machine) or PostgreSQL (a team's shared database). It is the only
// package that talks to the database, and the only one that knows which
// of the two it is. Writes go through SaveBatch, which callers serialise
// (one writer goroutine per process); reads may run concurrently from any
// goroutine, including while a batch commits.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/mattn/go-sqlite3" // also registers the "sqlite3" driver

	"github.com/phiproxy/phiproxy"
)

//go:embed migrations/*.sql
var migrations embed.FS

// SchemaVersion is the schema this build writes: the number of
// migrations, PRAGMA user_version of a SQLite database it created or
// migrated, the row of schema_version in PostgreSQL.
var SchemaVersion = len(mustMigrations())

// ErrNewerSchema is returned when a database was written by a newer phiproxy.
var ErrNewerSchema = errors.New("database schema is newer than this phiproxy")

// ErrDamaged is returned when a database fails SQLite's integrity check.
var ErrDamaged = errors.New("database is damaged")

// timeLayout is fixed-width so that stored times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// Store is an open phiproxy database.
type Store struct {
	path    string // a SQLite file, or a PostgreSQL URL without its password
	dialect dialect
	// write has a single connection: SQLite allows one writer at a time,
	// and one connection makes that explicit instead of a busy wait.
	write *pool
	read  *pool
	ro    bool

	// PostgreSQL only: how to connect (for the LISTEN connection), the
	// password to keep out of errors, and the listener's lifetime (under
	// mu).
	pgConfig   *pgx.ConnConfig
	password   string
	listener   sync.Once
	stopListen context.CancelFunc
	listenDone chan struct{}

	// Now stamps runs; tests replace it. The zero value means time.Now.
	Now func() time.Time

	mu   sync.Mutex
	subs map[chan struct{}]struct{}

	// SQLite only: the writer connection's prepared inserts and that
	// connection, touched only while holding it (see Store.inserts).
	ins     *inserts
	insConn driverConn
}

// Option adjusts how Open and OpenReadOnly connect.
type Option func(*options)

type options struct {
	busyTimeout time.Duration
	// immutable reads without locks or the WAL index (OpenReadOnly's
	// fallback for a read-only folder); not for callers to choose.
	immutable bool
}

// BusyTimeout sets how long a statement waits for a lock held by another
// connection (another process writing, or holding a long transaction)
// before it fails with "database is locked". The default is 10 s. Callers
// that retry on their own (the pipeline's writer) may want it shorter.
func BusyTimeout(d time.Duration) Option {
	return func(o *options) { o.busyTimeout = d }
}

func collect(opts []Option) options {
	o := options{busyTimeout: 10 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Open opens or creates the database at path, creating its folder (0700)
// and file (0600) when missing, and migrates it to SchemaVersion. A
// PostgreSQL URL (see IsURL) opens that database instead, and migrates it.
//
// An existing file is checked before anything about it changes: one that
// is not a database, was written by a newer phiproxy (ErrNewerSchema) or
// fails SQLite's quick_check (ErrDamaged) is refused and left exactly as
// it was, bytes, mode and journal mode.
func Open(path string, opts ...Option) (*Store, error) {
	if IsURL(path) {
		return openPostgres(path, false, collect(opts))
	}
	if dir := filepath.Dir(path); dir != "." {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create database folder: %w", err)
			}
		}
	}
	// Create a new file ourselves so it is 0600 from the first byte;
	// SQLite gives its -wal and -shm files the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		f.Close()
	case !errors.Is(err, fs.ErrExist):
		return nil, fmt.Errorf("open database: %w", err)
	}
	o := collect(opts)
	s, err := open(path, false, o)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	if _, err := s.check(s.write); err != nil {
		return nil, err
	}
	// Only an accepted database is made private and switched to WAL.
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// The page size of a new database can only be set before WAL mode
	// writes its header; it is ignored for an existing one. 16 KiB pages
	// cut a batch commit's WAL frames (and write calls) by four against
	// the 4 KiB default: about a tenth of the writer's cost per flow
	// (BenchmarkSaveBatch). The automatic checkpoint is set in bytes as
	// before (256 pages of 16 KiB, SQLite's default of 1000 pages of
	// 4 KiB), so that one checkpoint's pause on the writer stays as short.
	//
	// The writer's page cache is 1 MiB, half SQLite's default: a batch
	// touches few pages besides those it appends (the right edge of each
	// tree), and a small cache hands the next new page a buffer it used a
	// moment ago, still in the processor's cache, rather than a cold one.
	// That is about 3 us less per flow (BenchmarkSaveBatch); a larger
	// cache costs more (32 MiB: about 7 us more). Readers keep the default.
	for _, pragma := range []string{"PRAGMA page_size = 16384", "PRAGMA journal_mode = WAL", "PRAGMA wal_autocheckpoint = 256", "PRAGMA cache_size = -1024"} {
		if _, err := s.write.Exec(pragma); err != nil {
			return nil, fmt.Errorf("open database %s: %s: %w", path, pragma, err)
		}
	}
	if err := s.migrate(); err != nil {
		return nil, err
	}
	// Readers open once the database is WAL, so that none of them
	// starts in the journal mode the file had before.
	if err := s.openReaders(dsn(path, false, o)); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// OpenReadOnly opens an existing database for reading only (review of a
// past session, export). It fails for a missing file, a newer or older
// schema, or a damaged database, and never writes to the file or its
// folder, so archived evidence in a read-only folder can be read.
func OpenReadOnly(path string, opts ...Option) (*Store, error) {
	if IsURL(path) {
		return openPostgres(path, true, collect(opts))
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	o := collect(opts)
	s, v, err := openChecked(path, o)
	if err != nil && readOnlyFolder(err) {
		// A WAL database is read through its -shm index, which a
		// read-only connection cannot create in a folder it may not
		// write. With no -wal file beside it, everything is in the main
		// file, and reading it as immutable needs no index at all.
		if hasWAL(path) {
			return nil, fmt.Errorf("%w (%s-wal holds changes not yet in the main file and the folder cannot be written: copy the folder somewhere writable)", err, path)
		}
		o.immutable = true
		s, v, err = openChecked(path, o)
	}
	if err != nil {
		return nil, err
	}
	if v < SchemaVersion {
		s.Close()
		return nil, fmt.Errorf("%s: schema version %d is older than %d; open it once with a writable command to migrate", path, v, SchemaVersion)
	}
	return s, nil
}

// openChecked opens path read-only and checks it.
func openChecked(path string, o options) (*Store, int, error) {
	s, err := open(path, true, o)
	if err != nil {
		return nil, 0, err
	}
	v, err := s.check(s.read)
	if err != nil {
		s.Close()
		return nil, 0, err
	}
	return s, v, nil
}

// check reads the schema version through db, refusing a newer schema and
// a database that fails quick_check. It only reads.
func (s *Store) check(db *pool) (version int, err error) {
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		return 0, fmt.Errorf("open database %s: %w", s.path, err)
	}
	if version > SchemaVersion {
		return 0, fmt.Errorf("%s: schema version %d, this phiproxy knows %d: %w", s.path, version, SchemaVersion, ErrNewerSchema)
	}
	// quick_check reads every page once (integrity_check also matches
	// every index against its table, much slower on a large capture). It
	// catches the damage that would otherwise let the database open and
	// then fail every write with "database disk image is malformed".
	problems, err := quickCheck(db)
	if err != nil {
		return 0, fmt.Errorf("%s: %w: quick_check: %w%s", s.path, ErrDamaged, err, damagedHint)
	}
	if len(problems) > 0 {
		return 0, fmt.Errorf("%s: %w: quick_check: %s%s", s.path, ErrDamaged, strings.Join(problems, "; "), damagedHint)
	}
	return version, nil
}

// damagedHint ends the error for a damaged database: there is nothing
// phiproxy can do with it, but the user can.
const damagedHint = " (recover what it still holds with sqlite3's .recover, or use another file)"

// quickCheck returns the first problems quick_check reports, one line
// each, none when the database is sound.
func quickCheck(db *pool) ([]string, error) {
	rows, err := db.Query("PRAGMA quick_check(5)")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		for _, l := range strings.Split(line, "\n") {
			// The "*** in database main ***" banner names no problem.
			if l != "ok" && !strings.HasPrefix(l, "*** ") {
				problems = append(problems, l)
			}
		}
	}
	return problems, rows.Err()
}

// readOnlyFolder reports whether err is SQLite failing to set up the
// shared-memory index of a read-only WAL connection.
func readOnlyFolder(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrReadonly || se.Code == sqlite3.ErrCantOpen)
}

// hasWAL reports whether a -wal file with content sits beside path: then
// the main file alone is not the whole database.
func hasWAL(path string) bool {
	fi, err := os.Stat(path + "-wal")
	return err == nil && fi.Size() > 0
}

// dsn is the connection string for path.
func dsn(path string, readOnly bool, o options) string {
	// synchronous=NORMAL in WAL mode loses nothing on a process crash (only
	// on power loss), and kill -9 leaves a consistent database.
	//
	// _mutex=no opens connections in SQLite's multi-thread mode, without
	// a mutex around every call: database/sql never hands a connection
	// to two goroutines at once, which is all that mode asks. It takes
	// about 5% off the writer's cost per flow.
	q := fmt.Sprintf("?_foreign_keys=on&_busy_timeout=%d&_synchronous=NORMAL&_mutex=no", o.busyTimeout.Milliseconds())
	if readOnly {
		q += "&mode=ro"
	}
	if o.immutable {
		q += "&immutable=1"
	}
	return "file:" + path + q
}

// open connects to path: readers only when readOnly, otherwise only the
// writer, since readers must wait until Open has checked the database and
// made it WAL.
func open(path string, readOnly bool, o options) (*Store, error) {
	s := &Store{path: path, ro: readOnly, subs: map[chan struct{}]struct{}{}}
	if readOnly {
		if err := s.openReaders(dsn(path, true, o)); err != nil {
			s.Close()
			return nil, err
		}
		return s, nil
	}
	db, err := sql.Open("sqlite3", dsn(path, false, o)+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s.write = &pool{DB: db}
	s.write.SetMaxOpenConns(1)
	return s, nil
}

// openReaders opens the pool of read connections. Readers never set the
// journal mode: Open has made a writable database WAL already, and a
// read-only one must stay as it is.
func (s *Store) openReaders(dsn string) error {
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return fmt.Errorf("open database %s: %w", s.path, err)
	}
	s.read = &pool{DB: db}
	s.read.SetMaxOpenConns(8)
	if err := s.read.Ping(); err != nil {
		return fmt.Errorf("open database %s: %w", s.path, err)
	}
	return nil
}

// Path is the database file the store was opened from, or its PostgreSQL
// URL with any password replaced by xxxxx: safe to print.
func (s *Store) Path() string { return s.path }

// Dialect is "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect.String() }

// Close closes the database. Subscribers' channels are closed.
func (s *Store) Close() error {
	s.mu.Lock()
	for ch := range s.subs {
		close(ch)
		delete(s.subs, ch)
	}
	stop, done := s.stopListen, s.listenDone
	s.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	var errs []error
	if s.write != nil && s.dialect == sqliteDialect {
		if err := s.closeInserts(); err != nil {
			errs = append(errs, err)
		}
		// Fold the WAL back into the main file so a copied .db is complete.
		if _, err := s.write.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			errs = append(errs, err)
		}
	}
	if s.write != nil {
		errs = append(errs, s.write.Close())
	}
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	return errors.Join(errs...)
}

func mustMigrations() []string {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	sort.Strings(names)
	return names
}

func (s *Store) migrate() error { return migrateTo(s.write.DB, SchemaVersion) }

// migrateTo applies the migrations db lacks up to schema version n (tests
// build older databases with it).
func migrateTo(db *sql.DB, n int) error {
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	names := mustMigrations()
	for i := v; i < n; i++ {
		body, err := migrations.ReadFile(names[i])
		if err != nil {
			return fmt.Errorf("read migration %s: %w", names[i], err)
		}
		tx, err := db.Begin()
		if err != nil {
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
		if _, err := tx.Exec(string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to %d (%s): %w", i+1, names[i], err)
		}
		// PRAGMA takes no bound parameters; i+1 is our own integer.
		if _, err := tx.Exec("PRAGMA user_version = " + strconv.Itoa(i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate to %d: %w", i+1, err)
		}
	}
	return nil
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(v string) time.Time {
	t, err := time.Parse(timeLayout, v)
	if err != nil {
		return time.Time{}
	}
	return t
}

// Subscribe returns a channel that receives a signal after each committed
// batch. Signals coalesce: a slow reader gets one signal for many batches
// and should re-query (e.g. Flows with AfterID). The store never blocks on
// a subscriber. cancel stops the subscription and closes the channel.
//
// On PostgreSQL the signal also follows batches other processes commit
// (LISTEN/NOTIFY), so a reader sees every writer's flows.
func (s *Store) Subscribe() (changes <-chan struct{}, cancel func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	s.startListener()
	return ch, func() {
		s.mu.Lock()
		if _, ok := s.subs[ch]; ok {
			delete(s.subs, ch)
			close(ch)
		}
		s.mu.Unlock()
	}
}

func (s *Store) notify() {
	s.mu.Lock()
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	s.mu.Unlock()
}

// joinKinds renders the distinct kinds of findings, sorted. It runs for
// every stored flow on the writer, so it keeps the few kinds of a flow in
// a small sorted array rather than a map and a slice.
func joinKinds(fs []phiproxy.Finding) string {
	switch len(fs) {
	case 0:
		return ""
	case 1:
		return string(fs[0].Kind)
	}
	var buf [16]phiproxy.Kind
	ks := buf[:0]
	size := 0
	for _, f := range fs {
		i, found := slices.BinarySearch(ks, f.Kind)
		if !found {
			ks = slices.Insert(ks, i, f.Kind)
			size += len(f.Kind) + 1
		}
	}
	var b strings.Builder
	b.Grow(size)
	for i, k := range ks {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(string(k))
	}
	return b.String()
}
