package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
)

// writeFlows creates a database at path holding n flagged flows, spread over
// many pages, and closes it.
func writeFlows(t *testing.T, path string, n int) {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []Record
	for i := 0; i < n; i++ {
		rec := sampleRecord(fmt.Sprintf("https://tracker.example/tr?i=%d", i), phiproxy.High, phiproxy.KindEmail)
		rec.Flow.Request.Body = bytes.Repeat([]byte(fmt.Sprintf("jane%d@example.com ", i)), 100)
		recs = append(recs, rec)
	}
	if err := s.SaveBatch(context.Background(), 0, recs, phiproxy.Stats{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// corruptPages overwrites the start of the given 1-based pages with bytes
// that are no valid b-tree page header.
func corruptPages(t *testing.T, path string, pages ...int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hdr := make([]byte, 100)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		t.Fatal(err)
	}
	pageSize := int64(hdr[16])<<8 | int64(hdr[17])
	if pageSize == 1 {
		pageSize = 65536
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		off := int64(p-1) * pageSize
		if off+pageSize > fi.Size() {
			t.Fatalf("page %d is past the end of a %d-byte file", p, fi.Size())
		}
		if _, err := f.WriteAt(bytes.Repeat([]byte{0x5a}, 64), off); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOpenRefusesCorruptDatabase: a database with damaged pages is refused
// at start, naming the file and what quick_check found, instead of being
// accepted and then failing every write.
func TestOpenRefusesCorruptDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "damaged.db")
	writeFlows(t, path, 200)
	corruptPages(t, path, 3, 5, 8)
	s, err := Open(path)
	if err == nil {
		s.Close()
		t.Fatal("Open of a database with corrupt pages: got nil error")
	}
	if !errors.Is(err, ErrDamaged) {
		t.Errorf("Open: got %v, want ErrDamaged", err)
	}
	t.Logf("Open: %q", err)
	msg := err.Error()
	if !strings.Contains(msg, path) || !strings.Contains(msg, "quick_check") {
		t.Errorf("error %q does not name the file and the check", msg)
	}
	// The error carries what SQLite itself reported about the damage.
	var first string
	for _, l := range strings.Split(quickCheckCLI(t, path), "\n") {
		if strings.HasPrefix(l, "Tree ") {
			first = l
			break
		}
	}
	if first == "" || !strings.Contains(msg, first) {
		t.Errorf("error %q lacks quick_check's report %q", msg, first)
	}
}

// quickCheckCLI runs quick_check with a connection of its own.
func quickCheckCLI(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("PRAGMA quick_check")
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return err.Error()
		}
		lines = append(lines, l)
	}
	if err := rows.Err(); err != nil {
		lines = append(lines, err.Error())
	}
	return strings.Join(lines, "\n")
}

// TestRefusedDatabaseIsNotModified: a file Open or OpenReadOnly refuses
// keeps its bytes, its mode and its journal mode, and gains no -wal file.
func TestRefusedDatabaseIsNotModified(t *testing.T) {
	dir := t.TempDir()
	newer := filepath.Join(dir, "newer.db")
	db, err := sql.Open("sqlite3", "file:"+newer+"?_journal_mode=DELETE")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("CREATE TABLE future (x); INSERT INTO future VALUES (1); PRAGMA user_version = %d", SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	notDB := filepath.Join(dir, "notes.db")
	if err := os.WriteFile(notDB, bytes.Repeat([]byte("not a database at all\n"), 400), 0o644); err != nil {
		t.Fatal(err)
	}

	damaged := filepath.Join(dir, "damaged.db")
	writeFlows(t, damaged, 200)
	// A rollback-journal copy of a damaged database, as another tool or
	// an older build may have left it.
	db, err = sql.Open("sqlite3", "file:"+damaged)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA journal_mode = DELETE"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	corruptPages(t, damaged, 4, 6)

	cases := []struct {
		path    string
		journal byte // file format write version: 1 rollback, 2 WAL; 0 not a database
		want    error
	}{
		{newer, 1, ErrNewerSchema},
		{notDB, 0, nil},
		{damaged, 1, ErrDamaged},
	}
	for _, c := range cases {
		if err := os.Chmod(c.path, 0o644); err != nil {
			t.Fatal(err)
		}
		before := fileState(t, c.path)
		if before.journal != c.journal {
			t.Fatalf("%s: journal byte %d before the test, want %d", c.path, before.journal, c.journal)
		}
		for name, open := range map[string]func(string, ...Option) (*Store, error){"Open": Open, "OpenReadOnly": OpenReadOnly} {
			s, err := open(c.path)
			if err == nil {
				s.Close()
				t.Errorf("%s(%s): got nil error", name, filepath.Base(c.path))
			} else if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("%s(%s): got %v, want %v", name, filepath.Base(c.path), err, c.want)
			} else if !strings.Contains(err.Error(), c.path) {
				t.Errorf("%s(%s): error %q does not name the file", name, filepath.Base(c.path), err)
			}
			if after := fileState(t, c.path); after != before {
				t.Errorf("%s(%s) changed the file: before %+v, after %+v", name, filepath.Base(c.path), before, after)
			}
			for _, sfx := range []string{"-wal", "-shm", "-journal"} {
				if _, err := os.Stat(c.path + sfx); err == nil {
					t.Errorf("%s(%s) left %s behind", name, filepath.Base(c.path), sfx)
				}
			}
		}
	}
}

type fileSnapshot struct {
	sum     [32]byte
	mode    os.FileMode
	journal byte
}

func fileState(t *testing.T, path string) fileSnapshot {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fileSnapshot{sum: sha256.Sum256(b), mode: fi.Mode()}
	if len(b) >= 100 && bytes.HasPrefix(b, []byte("SQLite format 3\x00")) {
		st.journal = b[18]
	}
	return st
}

// TestRejected tells records the database refuses from a database that
// cannot take any write at the moment.
func TestRejected(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s, err := Open(path, BusyTimeout(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	rec := sampleRecord("https://tracker.example/p", phiproxy.High, phiproxy.KindEmail)
	fk := s.SaveBatch(ctx, 999, []Record{rec}, phiproxy.Stats{})
	if fk == nil || !Rejected(fk) {
		t.Fatalf("a flow of a run that does not exist: got %v, want an error Rejected reports", fk)
	}
	other, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	locked := s.SaveBatch(ctx, 0, []Record{sampleRecord("https://tracker.example/p", phiproxy.High, phiproxy.KindEmail)}, phiproxy.Stats{})
	if locked == nil || Rejected(locked) {
		t.Fatalf("a write to a locked database: got %v, want an error Rejected does not report", locked)
	}
	conn.ExecContext(ctx, "ROLLBACK")
}
