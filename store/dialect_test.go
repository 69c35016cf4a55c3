package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// eachDB runs fn as two subtests: on a new SQLite file and on a new
// PostgreSQL database of the test server. The store's suite runs on both
// through it.
func eachDB(t *testing.T, fn func(t *testing.T, db string)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, filepath.Join(t.TempDir(), "sub", "phiproxy.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, pgtest.NewDatabase(t))
	})
}

// eachStore runs fn on an open store of each dialect.
func eachStore(t *testing.T, fn func(t *testing.T, s *Store)) {
	eachDB(t, func(t *testing.T, db string) {
		fn(t, openDB(t, db))
	})
}

// openDB opens db for writing, closing it when the test ends.
func openDB(t testing.TB, db string) *Store {
	t.Helper()
	s, err := Open(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRebind(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SELECT a FROM t WHERE a = ? AND b LIKE ? ESCAPE '\\'", "SELECT a FROM t WHERE a = $1 AND b ILIKE $2 ESCAPE '\\'"},
		{"SELECT '?', \"LIKE\", ? FROM t", "SELECT '?', \"LIKE\", $1 FROM t"},
		{"SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"},
		{"SELECT unliked, LIKELY FROM t WHERE x LIKE ?", "SELECT unliked, LIKELY FROM t WHERE x ILIKE $1"},
		{"SELECT 'unterminated ?", "SELECT 'unterminated ?"},
	}
	for _, c := range cases {
		if got := postgresDialect.rebind(c.in); got != c.want {
			t.Errorf("rebind(%q): got %q, want %q", c.in, got, c.want)
		}
		if got := sqliteDialect.rebind(c.in); got != c.in {
			t.Errorf("sqlite rebind(%q) changed it: %q", c.in, got)
		}
	}
}

func TestPGText(t *testing.T) {
	for in, want := range map[string]string{
		"plain":             "plain",
		"nul\x00inside":     "nul\uFFFDinside",
		"bad \xff\xfe utf8": "bad \uFFFD utf8",
		"ok é":              "ok é",
	} {
		if got := pgText(in); got != want {
			t.Errorf("pgText(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"postgres://qa:s3cret@db.example:5432/phi?sslmode=require", "postgres://qa:xxxxx@db.example:5432/phi?sslmode=require"},
		{"postgresql://db.example/phi?user=qa&password=s3cret", "postgresql://db.example/phi?password=xxxxx&user=qa"},
		{"postgres://qa@db.example/phi", "postgres://qa@db.example/phi"},
		{"postgres://qa:s3cret@%zz/phi", "postgres://(unparsable URL)"},
		{"/home/qa/phiproxy.db", "/home/qa/phiproxy.db"},
	}
	for _, c := range cases {
		if got := RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q): got %q, want %q", c.in, got, c.want)
		}
	}
	line := "phiproxy crawl --db=postgres://qa:s3cret@h/db --db 'postgresql://h/db?password=s3cret' --site x.example"
	got := RedactText(line)
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "--site x.example") || !strings.Contains(got, "postgres://qa:xxxxx@h/db") {
		t.Errorf("RedactText(%q) = %q", line, got)
	}
}
