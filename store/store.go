// Package store keeps flows, findings and run statistics in SQLite. It is
// the only package that talks to the database. Writes go through SaveBatch,
// which callers serialise (one writer goroutine); reads may run
// concurrently from any goroutine, including while a batch commits.
package store

import (
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver

	"github.com/phiproxy/phiproxy"
)

//go:embed migrations/*.sql
var migrations embed.FS

// SchemaVersion is the schema this build writes; PRAGMA user_version of a
// database it created or migrated.
var SchemaVersion = len(mustMigrations())

// ErrNewerSchema is returned when a database was written by a newer phiproxy.
var ErrNewerSchema = errors.New("database schema is newer than this phiproxy")

// timeLayout is fixed-width so that stored times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// Store is an open phiproxy database.
type Store struct {
	path string
	// write has a single connection: SQLite allows one writer at a time,
	// and one connection makes that explicit instead of a busy wait.
	write *sql.DB
	read  *sql.DB
	ro    bool

	// Now stamps runs; tests replace it. The zero value means time.Now.
	Now func() time.Time

	mu   sync.Mutex
	subs map[chan struct{}]struct{}
}

// Open opens or creates the database at path, creating its folder (0700)
// and file (0600) when missing, and migrates it to SchemaVersion.
func Open(path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "." {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create database folder: %w", err)
			}
		}
	}
	// Create the file ourselves so it is 0600 from the first byte; SQLite
	// gives its -wal and -shm files the same mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	f.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	s, err := open(path, false)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// OpenReadOnly opens an existing database for reading only (review of a
// past session, export). It fails for a missing file or a newer schema.
func OpenReadOnly(path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	s, err := open(path, true)
	if err != nil {
		return nil, err
	}
	var v int
	if err := s.read.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		s.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if v > SchemaVersion {
		s.Close()
		return nil, fmt.Errorf("%s: schema version %d, this phiproxy knows %d: %w", path, v, SchemaVersion, ErrNewerSchema)
	}
	if v < SchemaVersion {
		s.Close()
		return nil, fmt.Errorf("%s: schema version %d is older than %d; open it once with a writable command to migrate", path, v, SchemaVersion)
	}
	return s, nil
}

func open(path string, readOnly bool) (*Store, error) {
	// synchronous=NORMAL in WAL mode loses nothing on a process crash (only
	// on power loss), and kill -9 leaves a consistent database.
	//
	// _mutex=no opens connections in SQLite's multi-thread mode, without
	// a mutex around every call: database/sql never hands a connection
	// to two goroutines at once, which is all that mode asks. It takes
	// about 5% off the writer's cost per flow.
	q := "?_foreign_keys=on&_busy_timeout=10000&_synchronous=NORMAL&_mutex=no"
	if readOnly {
		q += "&mode=ro"
	}
	dsn := "file:" + path + q
	s := &Store{path: path, ro: readOnly, subs: map[chan struct{}]struct{}{}}
	var err error
	if !readOnly {
		s.write, err = sql.Open("sqlite3", dsn+"&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("open database %s: %w", path, err)
		}
		s.write.SetMaxOpenConns(1)
		// The page size of a new database can only be set before WAL
		// mode writes its header; it is ignored for an existing one.
		// 16 KiB pages cut a batch commit's WAL frames (and write
		// calls) by four against the 4 KiB default: about a tenth of
		// the writer's cost per flow (BenchmarkSaveBatch).
		// The automatic checkpoint is set in bytes as before (256 pages of
		// 16 KiB, SQLite's default of 1000 pages of 4 KiB), so that one
		// checkpoint's pause on the writer stays as short.
		for _, pragma := range []string{"PRAGMA page_size = 16384", "PRAGMA journal_mode = WAL", "PRAGMA wal_autocheckpoint = 256"} {
			if _, err := s.write.Exec(pragma); err != nil {
				s.write.Close()
				return nil, fmt.Errorf("open database %s: %s: %w", path, pragma, err)
			}
		}
	}
	dsn += "&_journal_mode=WAL"
	s.read, err = sql.Open("sqlite3", dsn)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s.read.SetMaxOpenConns(8)
	if err := s.read.Ping(); err != nil {
		s.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return s, nil
}

// Path is the database file the store was opened from.
func (s *Store) Path() string { return s.path }

// Close closes the database. Subscribers' channels are closed.
func (s *Store) Close() error {
	s.mu.Lock()
	for ch := range s.subs {
		close(ch)
		delete(s.subs, ch)
	}
	s.mu.Unlock()
	var errs []error
	if s.write != nil {
		// Fold the WAL back into the main file so a copied .db is complete.
		if _, err := s.write.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			errs = append(errs, err)
		}
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

func (s *Store) migrate() error {
	var v int
	if err := s.write.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	names := mustMigrations()
	if v > len(names) {
		return fmt.Errorf("%s: schema version %d, this phiproxy knows %d: %w", s.path, v, len(names), ErrNewerSchema)
	}
	for i := v; i < len(names); i++ {
		body, err := migrations.ReadFile(names[i])
		if err != nil {
			return fmt.Errorf("read migration %s: %w", names[i], err)
		}
		tx, err := s.write.Begin()
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
func (s *Store) Subscribe() (changes <-chan struct{}, cancel func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
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

// joinKinds renders the distinct kinds of findings, sorted.
func joinKinds(fs []phiproxy.Finding) string {
	seen := map[phiproxy.Kind]bool{}
	var ks []string
	for _, f := range fs {
		if !seen[f.Kind] {
			seen[f.Kind] = true
			ks = append(ks, string(f.Kind))
		}
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}
