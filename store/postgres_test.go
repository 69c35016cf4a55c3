package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/pgtest"
)

func TestPostgresNewerSchemaRefused(t *testing.T) {
	db := pgtest.NewDatabase(t)
	s := openDB(t, db)
	if _, err := s.write.Exec(`UPDATE schema_version SET version = ?`, SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(db); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open: got %v, want ErrNewerSchema", err)
	}
	if _, err := OpenReadOnly(db); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("OpenReadOnly: got %v, want ErrNewerSchema", err)
	}
}

// TestPostgresReadOnly: a read-only store refuses writes itself, and its
// connections could not write even if it tried.
func TestPostgresReadOnly(t *testing.T) {
	db := pgtest.NewDatabase(t)
	if _, err := OpenReadOnly(db); err == nil || !strings.Contains(err.Error(), "migrate") {
		t.Fatalf("OpenReadOnly of an empty database: got %v, want a hint to migrate", err)
	}
	openDB(t, db)
	ro, err := OpenReadOnly(db)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.SaveBatch(context.Background(), 0, nil, phiproxy.Stats{}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("SaveBatch on read-only: got %v", err)
	}
	if _, err := ro.read.Exec(`INSERT INTO runs (command, started) VALUES ('run', 'x')`); err == nil {
		t.Fatal("insert through a read-only connection succeeded")
	}
}

// TestPostgresConcurrentWriters: stores opened at once on a new database
// (as processes starting together) migrate it once, write their own runs
// side by side, and a reader following new flows by ID sees every flow
// exactly once.
func TestPostgresConcurrentWriters(t *testing.T) {
	db := pgtest.NewDatabase(t)
	const writers, batches, perBatch = 4, 15, 10
	stores := make([]*Store, writers)
	var wg sync.WaitGroup
	errs := make(chan error, writers*batches)
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(db)
			if err != nil {
				errs <- err
				return
			}
			stores[i] = s
		}()
	}
	wg.Wait()
	for _, s := range stores {
		if s != nil {
			defer s.Close()
		}
	}
	select {
	case err := <-errs:
		t.Fatalf("concurrent open: %v", err)
	default:
	}
	reader := openDB(t, db)
	changes, cancel := reader.Subscribe()
	defer cancel()
	ctx := context.Background()
	seen := map[int64]int{}
	var last int64
	follow := func() {
		sums, err := reader.Flows(ctx, Filter{AfterID: last})
		if err != nil {
			t.Error(err)
			return
		}
		for _, f := range sums {
			seen[f.ID]++
			last = f.ID
		}
	}
	done := make(chan struct{})
	for _, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run, err := s.BeginRun(ctx, Run{Command: "crawl"})
			if err != nil {
				errs <- err
				return
			}
			for b := 0; b < batches; b++ {
				var recs []Record
				for j := 0; j < perBatch; j++ {
					recs = append(recs, sampleRecord(fmt.Sprintf("https://t.example/%d/%d", run, b), phiproxy.High, phiproxy.KindEmail))
				}
				if err := s.SaveBatch(ctx, run, recs, phiproxy.Stats{Seen: perBatch, Flagged: perBatch}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-changes:
			follow()
		case <-done:
			running = false
		case <-time.After(30 * time.Second):
			t.Fatal("writers did not finish within 30s")
		}
	}
	close(errs)
	for err := range errs {
		t.Fatalf("writer: %v", err)
	}
	follow()
	if len(seen) != writers*batches*perBatch {
		t.Fatalf("reader saw %d distinct flows, want %d", len(seen), writers*batches*perBatch)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("flow %d seen %d times", id, n)
		}
	}
	st, err := reader.Stats(ctx)
	if err != nil || st.Seen != writers*batches*perBatch || st.Flagged != writers*batches*perBatch {
		t.Fatalf("stats: got %+v (%v), want %d seen and flagged", st, err, writers*batches*perBatch)
	}
	runs, err := reader.Runs(ctx)
	if err != nil || len(runs) != writers {
		t.Fatalf("runs: got %d (%v), want %d", len(runs), err, writers)
	}
}

// TestPostgresSubscribeSeesOtherWriters: a batch another process commits
// reaches a subscriber within a second, through NOTIFY.
func TestPostgresSubscribeSeesOtherWriters(t *testing.T) {
	db := pgtest.NewDatabase(t)
	writer := openDB(t, db)
	reader, err := OpenReadOnly(db)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	changes, cancel := reader.Subscribe()
	defer cancel()
	// The first signal says the listener is in place.
	select {
	case <-changes:
	case <-time.After(5 * time.Second):
		t.Fatal("no signal from the listener")
	}
	rec := sampleRecord("https://other.example/beacon", phiproxy.High, phiproxy.KindEmail)
	start := time.Now()
	if err := writer.SaveBatch(context.Background(), 0, []Record{rec}, phiproxy.Stats{}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changes:
	case <-time.After(time.Second):
		t.Fatal("no change signal within a second of another store's commit")
	}
	sums, err := reader.Flows(context.Background(), Filter{})
	if err != nil || len(sums) != 1 || sums[0].ID != rec.Flow.ID {
		t.Fatalf("reader's flows: got %+v (%v), want flow %d", sums, err, rec.Flow.ID)
	}
	t.Logf("seen by the other store after %v", time.Since(start))
}

// TestPostgresCredentials: the password may come from PGPASSWORD instead
// of the URL, and never shows in an error or in Path.
func TestPostgresCredentials(t *testing.T) {
	db := pgtest.NewDatabase(t)
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	password, _ := u.User.Password()
	s := openDB(t, db)
	if strings.Contains(s.Path(), password) {
		t.Fatalf("Path shows the password: %s", s.Path())
	}
	u.User = url.User(u.User.Username())
	t.Setenv("PGPASSWORD", password)
	s2, err := Open(u.String())
	if err != nil {
		t.Fatalf("open with PGPASSWORD: %v", err)
	}
	s2.Close()

	wrong := *u
	wrong.User = url.UserPassword(u.User.Username(), "hunter2-wrong")
	t.Setenv("PGPASSWORD", "")
	_, err = Open(wrong.String())
	if err == nil {
		t.Fatal("open with a wrong password succeeded")
	}
	if strings.Contains(err.Error(), "hunter2-wrong") {
		t.Fatalf("error shows the password: %v", err)
	}
	// A URL that reaches the runs table (in a command's text) goes there
	// without its password.
	run, err := s.BeginRun(context.Background(), Run{Command: "crawl", Listen: "--db postgres://qa:" + password + "@h/db"})
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs(context.Background())
	if err != nil || len(runs) != 1 || runs[0].ID != run || strings.Contains(runs[0].Listen, password) || !strings.Contains(runs[0].Listen, "postgres://qa:xxxxx@h/db") {
		t.Fatalf("stored run: %+v (%v), want the URL redacted", runs, err)
	}
	missing := *u
	missing.User = url.UserPassword(u.User.Username(), password)
	missing.Path = "/no_such_database"
	if _, err = Open(missing.String()); err == nil || strings.Contains(err.Error(), password) {
		t.Fatalf("open of a missing database: got %v, want an error without the password", err)
	}
}

// TestPostgresOddText: bytes SQLite keeps but PostgreSQL's text refuses
// (NUL, invalid UTF-8) do not lose the batch.
func TestPostgresOddText(t *testing.T) {
	s := openDB(t, pgtest.NewDatabase(t))
	rec := sampleRecord("https://t.example/\xff?x=\x00", phiproxy.High, phiproxy.KindEmail)
	rec.Inspection.Findings[0].Value = "jane\x00@example.com\xfe"
	if err := s.SaveBatch(context.Background(), 0, []Record{rec}, phiproxy.Stats{}); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Findings(context.Background(), Filter{})
	if err != nil || len(rows) != 1 {
		t.Fatalf("findings: got %d (%v)", len(rows), err)
	}
	if rows[0].Value != "jane\uFFFD@example.com\uFFFD" {
		t.Fatalf("value: got %q", rows[0].Value)
	}
}

// TestPostgresListenerReconnects: when the server drops the LISTEN
// connection (a restart, a failover), the subscriber is signalled once it
// is back, and hears later commits again.
func TestPostgresListenerReconnects(t *testing.T) {
	db := pgtest.NewDatabase(t)
	writer := openDB(t, db)
	reader := openDB(t, db)
	changes, cancel := reader.Subscribe()
	defer cancel()
	wait := func(what string, d time.Duration) {
		t.Helper()
		select {
		case <-changes:
		case <-time.After(d):
			t.Fatalf("no signal %s within %v", what, d)
		}
	}
	wait("from the listener", 5*time.Second)
	listeners := func() int {
		var n int
		if err := writer.read.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN ` + changesChannel + `'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := listeners(); n != 1 {
		t.Fatalf("listening connections: got %d, want 1", n)
	}
	if _, err := writer.write.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN ` + changesChannel + `'`); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	wait("after reconnecting", 10*time.Second)
	t.Logf("reconnected after %v", time.Since(t0))
	if n := listeners(); n != 1 {
		t.Fatalf("listening connections after the drop: got %d, want 1", n)
	}
	if err := writer.SaveBatch(context.Background(), 0, []Record{sampleRecord("https://a.example/", phiproxy.High, phiproxy.KindEmail)}, phiproxy.Stats{}); err != nil {
		t.Fatal(err)
	}
	wait("for a commit after reconnecting", time.Second)
}

// TestPostgresRejected: PostgreSQL refusing the records themselves is
// Rejected; a table locked by someone else is not, and the write gives up
// after BusyTimeout rather than waiting on.
func TestPostgresRejected(t *testing.T) {
	db := pgtest.NewDatabase(t)
	s, err := Open(db, BusyTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	fk := s.SaveBatch(ctx, 999, []Record{sampleRecord("https://tracker.example/p", phiproxy.High, phiproxy.KindEmail)}, phiproxy.Stats{})
	if fk == nil || !Rejected(fk) {
		t.Fatalf("a flow of a run that does not exist: got %v, want an error Rejected reports", fk)
	}
	other := openDB(t, db)
	tx, err := other.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "LOCK TABLE flows IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	locked := s.SaveBatch(ctx, 0, []Record{sampleRecord("https://tracker.example/p", phiproxy.High, phiproxy.KindEmail)}, phiproxy.Stats{})
	if locked == nil || Rejected(locked) {
		t.Fatalf("a write to a locked table: got %v, want an error Rejected does not report", locked)
	}
	d := time.Since(start)
	t.Logf("locked write gave up after %v: %v", d, locked)
	if d > 5*time.Second {
		t.Fatalf("locked write gave up after %v, want about the 50ms busy timeout", d)
	}
}

// TestPostgresWriterRecovers: after the server drops the writer's
// connection (a restart, a failover), a failed batch is not Rejected, so
// the pipeline retries it, and the retry goes through on a new connection.
func TestPostgresWriterRecovers(t *testing.T) {
	db := pgtest.NewDatabase(t)
	s := openDB(t, db)
	ctx := context.Background()
	save := func() error {
		return s.SaveBatch(ctx, 0, []Record{sampleRecord("https://a.example/", phiproxy.High, phiproxy.KindEmail)}, phiproxy.Stats{})
	}
	if err := save(); err != nil {
		t.Fatal(err)
	}
	admin := openDB(t, db)
	var ended int
	if err := admin.read.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&ended); err != nil || ended == 0 {
		t.Fatalf("terminate connections: %d (%v)", ended, err)
	}
	err := save()
	t.Logf("first batch after the drop: %v", err)
	if err != nil && Rejected(err) {
		t.Fatalf("a batch on a dropped connection is Rejected: %v", err)
	}
	if err != nil {
		if err := save(); err != nil {
			t.Fatalf("retry after the connection dropped: %v", err)
		}
	}
	if n, err := s.CountFlows(ctx, Filter{}); err != nil || n < 2 {
		t.Fatalf("flows after recovery: %d (%v), want at least 2", n, err)
	}
}
