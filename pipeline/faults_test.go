package pipeline

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

// lockableStore opens a store whose writes wait only briefly for a lock.
// lock takes an exclusive lock on it from another connection, as another
// process would, and returns the function that releases it.
func lockableStore(t *testing.T) (s *store.Store, lock func() (unlock func())) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.db")
	s, err := store.Open(path, store.BusyTimeout(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	other, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return s, func() func() {
		ctx := context.Background()
		conn, err := other.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
			t.Fatal(err)
		}
		return func() {
			if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
				t.Fatal(err)
			}
			conn.Close()
		}
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLockedDatabaseLosesNothing: another process holds the database
// locked for longer than the writer's old retry window (three attempts),
// then lets go; every flow is stored, and the failure showed while it
// lasted.
func TestLockedDatabaseLosesNothing(t *testing.T) {
	s, lock := lockableStore(t)
	ctx := context.Background()
	run, err := s.BeginRun(ctx, store.Run{Command: "run"})
	if err != nil {
		t.Fatal(err)
	}
	unlock := lock()
	p, err := New(Config{Inspector: flagEmails, Store: s, RunID: run, FlushInterval: 10 * time.Millisecond,
		RetryMin: 10 * time.Millisecond, RetryMax: 80 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if !p.Submit(flow("https://t.example/?e=a@b.example")) {
			t.Fatalf("submit %d refused", i)
		}
	}
	// Well past the three attempts after which the writer used to drop
	// the batch.
	waitFor(t, "ten failed commits", func() bool { return p.Health().FailedCommits >= 10 })
	h := p.Health()
	if !h.Failing || h.Unsaved != 4 || h.Lost != 0 || h.LastErr == nil || !strings.Contains(h.LastErr.Error(), "locked") {
		t.Fatalf("health while locked: got %+v, want failing with 4 unsaved, none lost, a lock error", h)
	}
	unlock()
	waitFor(t, "the writer to recover", func() bool { return !p.Health().Failing })
	if err := p.Close(ctx); err != nil {
		t.Fatalf("Close after the lock cleared: %v", err)
	}
	if n, _ := s.CountFlows(ctx, store.Filter{}); n != 4 {
		t.Fatalf("stored: got %d, want 4", n)
	}
	if h := p.Health(); h.Failing || h.Unsaved != 0 || h.Lost != 0 {
		t.Fatalf("health after recovery: got %+v", h)
	}
	if st, _ := s.Stats(ctx); st != (phiproxy.Stats{Seen: 4, Inspected: 4, Flagged: 4}) {
		t.Fatalf("run counters: got %+v, want the 4 flows", st)
	}
}

// TestUnsavedCapDropsLoudly: while commits fail, records beyond
// MaxUnsaved are dropped and counted, their bytes released, and Close
// reports what was lost when the failure outlasts GiveUpAfter.
func TestUnsavedCapDropsLoudly(t *testing.T) {
	s, lock := lockableStore(t)
	defer lock()()
	p, err := New(Config{Inspector: flagEmails, Store: s, Workers: 1, FlushInterval: 10 * time.Millisecond,
		RetryMin: 10 * time.Millisecond, RetryMax: 20 * time.Millisecond, MaxUnsaved: 3, GiveUpAfter: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		f := flow("https://t.example/up?e=a@b.example")
		f.Request.Body = make([]byte, 1000)
		if !p.Submit(f) {
			t.Fatalf("submit %d refused", i)
		}
	}
	waitFor(t, "the cap to drop two flows", func() bool { return p.Health().Lost == 2 })
	if h := p.Health(); h.Unsaved != 3 || !h.Failing {
		t.Fatalf("health at the cap: got %+v, want 3 unsaved", h)
	}
	in := flagEmails(flow("https://t.example/up?e=a@b.example"))
	if held, want := p.HeldBytes(), 3*(1000+inspectionBytes(&in)); held != want {
		t.Fatalf("held bytes at the cap: got %d, want %d (the dropped flows' released)", held, want)
	}
	err = p.Close(context.Background())
	if err == nil || !strings.Contains(err.Error(), "5 inspected flows not saved") {
		t.Fatalf("Close with the database still locked: got %v, want 5 flows reported lost", err)
	}
	if h := p.Health(); h.Lost != 5 || h.Unsaved != 0 || !h.Failing {
		t.Fatalf("health after giving up: got %+v", h)
	}
	if held := p.HeldBytes(); held != 0 {
		t.Fatalf("held bytes after giving up: got %d, want 0", held)
	}
	if st := p.Stats(); st != (phiproxy.Stats{Seen: 5, Inspected: 5, Flagged: 5}) {
		t.Fatalf("stats: got %+v", st)
	}
}

// TestRejectedRecordsAreDroppedLoudly: records the database refuses
// outright (here a run that does not exist, against a foreign key) would
// fail at every attempt; they are dropped and counted at once instead of
// holding up the records after them until Close gives up.
func TestRejectedRecordsAreDroppedLoudly(t *testing.T) {
	s := openStore(t)
	p, err := New(Config{Inspector: flagEmails, Store: s, RunID: 999, FlushInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		p.Submit(flow("https://t.example/?e=a@b.example"))
	}
	start := time.Now()
	err = p.Close(context.Background())
	if err == nil || !strings.Contains(err.Error(), "3 inspected flows not saved") || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Fatalf("Close: got %v, want the 3 refused flows reported", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Close took %v: refused records were retried", d)
	}
	if h := p.Health(); h.Lost != 3 || h.Unsaved != 0 || h.Failing {
		t.Fatalf("health: got %+v, want 3 lost and nothing waiting", h)
	}
}

// TestCloseGivesUpWithBudgetSpent: the database stays locked while the
// byte budget is spent, so a worker waits for the writer to free room.
// Close without a deadline still returns once GiveUpAfter passes, every
// flow counted as not saved and the budget released.
func TestCloseGivesUpWithBudgetSpent(t *testing.T) {
	s, lock := lockableStore(t)
	defer lock()()
	p, err := New(Config{Inspector: flagEmails, Store: s, Workers: 1, MaxBytes: 3000, FlushInterval: 10 * time.Millisecond,
		RetryMin: 10 * time.Millisecond, RetryMax: 20 * time.Millisecond, GiveUpAfter: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		f := flow("https://t.example/up?e=a@b.example")
		f.Request.Body = make([]byte, 1000)
		// SubmitWait is never refused for bytes: once the first flow is
		// inspected its findings count against the budget too, and a
		// live Submit of the third could find it spent.
		if err := p.SubmitWait(context.Background(), f); err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
	}
	waitFor(t, "a failed commit", func() bool { return p.Health().FailedCommits > 0 })
	closed := make(chan error, 1)
	go func() { closed <- p.Close(context.Background()) }()
	select {
	case err := <-closed:
		if err == nil || !strings.Contains(err.Error(), "3 inspected flows not saved") {
			t.Fatalf("Close: got %v, want the 3 flows reported", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return with the database locked and the budget spent")
	}
	if held := p.HeldBytes(); held != 0 {
		t.Fatalf("held bytes after Close: got %d, want 0", held)
	}
}
