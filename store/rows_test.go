package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
)

// rowRecords covers what a flow's columns can hold: empty and full
// optional fields, nil and empty bodies, no response, invalid UTF-8 and
// NUL in text, WebSocket messages, findings with every flag set or not.
func rowRecords() []Record {
	full := sampleRecord("https://tracker.example/tr?e=jane%40example.com", phiproxy.Critical, phiproxy.KindEmail, phiproxy.KindCondition)
	full.Flow.ServerAddr = "93.184.216.34:443"
	full.Flow.Page = "https://clinic.example/"
	full.Flow.Phase = "interaction"
	full.Flow.Error = "upstream: reset"
	full.Flow.Authenticated = true
	full.Flow.Consent = "rejected"
	full.Flow.Request.Truncated = true
	full.Inspection.Destination.BAA = true
	full.Inspection.Findings[0].Category = "contact"
	full.Inspection.Findings[0].ConsentViolation = true
	full.Inspection.Findings[1].Negated = true
	full.Inspection.Findings[1].Score = 0.1 + 0.2

	bare := Record{Flow: &phiproxy.Flow{
		Start:   time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC),
		Request: phiproxy.Request{Method: "GET", URL: "http://a.example/", BodySize: -1},
	}}

	odd := sampleRecord("https://b.example/\xff\x00?q=<&>", phiproxy.High, phiproxy.KindName)
	odd.Flow.Request.Header = http.Header{"X-Odd": {"\xff\x00\u2028<>&\"\\"}, "X-Nil": nil}
	odd.Flow.Request.Body = nil
	odd.Flow.Response = &phiproxy.Response{Status: 500, Header: http.Header{}, BodySize: 3, Body: []byte{0, 0xff, 'x'}}
	odd.Flow.WebSocket = []phiproxy.WSMessage{{Data: nil}}
	odd.Inspection.Notes = []string{"", "\x00"}
	odd.Inspection.Findings[0].Value = "\xfe"
	odd.Inspection.Findings[0].Start, odd.Inspection.Findings[0].End = -1, 1<<40
	return []Record{full, bare, odd}
}

// TestStoredRowsGolden holds every stored byte of flows, findings and
// WebSocket messages, each value with its SQLite type, to
// testdata/rows.golden, so that a change to how SaveBatch writes cannot
// change what it writes.
func TestStoredRowsGolden(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "rows.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	s.Now = func() time.Time { return time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC) }
	runID, err := s.BeginRun(ctx, Run{Command: "run"})
	if err != nil {
		t.Fatal(err)
	}
	// Two batches, one without a run: IDs continue across batches.
	if err := s.SaveBatch(ctx, runID, rowRecords(), phiproxy.Stats{Seen: 3, Flagged: 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveBatch(ctx, 0, rowRecords()[:2], phiproxy.Stats{}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, table := range []string{"runs", "flows", "findings", "ws_messages"} {
		dumpTable(t, &b, s.read.DB, table)
	}
	got := b.String()
	checkGolden(t, filepath.Join("testdata", "rows.golden"), got, "stored rows differ")
}

// checkGolden compares got with the golden file, or writes it with
// -update. what says what a difference means.
func checkGolden(t *testing.T, golden, got, what string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./store -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("%s from %s (update it with -update if intended):\ngot:\n%s\nwant:\n%s", what, golden, got, want)
	}
}

// dumpTable writes each row of table as column=type:hex, in rowid order.
func dumpTable(t *testing.T, b *strings.Builder, db *sql.DB, table string) {
	t.Helper()
	rows, err := db.Query(`SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	rows.Close()
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = fmt.Sprintf(`'%s=' || typeof("%s") || ':' || hex("%s")`, c, c, c)
	}
	rows, err = db.Query(`SELECT ` + strings.Join(exprs, ` || ' ' || `) + ` FROM ` + table + ` ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(b, "%s: %s\n", table, line)
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 && table != "runs" {
		t.Errorf("%s: no rows stored", table)
	}
}

// TestColumnZeros holds the zero each insert's coalesce supplies to the
// type the schema declares for that column, and every non-nullable
// column to NOT NULL, so that a new column cannot be given the wrong zero.
func TestColumnZeros(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "zeros.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for table, cols := range map[string][]string{"flows": flowColumns, "ws_messages": messageColumns, "findings": findingColumns} {
		for _, c := range cols {
			var typ string
			var notNull bool
			if err := s.read.QueryRow(`SELECT type, "notnull" FROM pragma_table_info(?) WHERE name = ?`, table, c).Scan(&typ, &notNull); err != nil {
				t.Fatalf("%s.%s: %v", table, c, err)
			}
			want := map[string]string{"TEXT": "''", "INTEGER": "0", "REAL": "0.0"}[typ]
			if !notNull || typ == "BLOB" {
				want = ""
			}
			if got := columnZero(c); got != want {
				t.Errorf("%s.%s (%s, not null %v): zero %q, want %q", table, c, typ, notNull, got, want)
			}
		}
	}
}

// TestJoinKinds holds joinKinds to its definition: the distinct kinds,
// sorted, comma-separated; with more kinds than its array holds too.
func TestJoinKinds(t *testing.T) {
	all := []phiproxy.Kind{phiproxy.KindEmail, phiproxy.KindCondition, phiproxy.KindMedication, phiproxy.KindName}
	for _, c := range []struct {
		kinds []phiproxy.Kind
		want  string
	}{
		{nil, ""},
		{[]phiproxy.Kind{phiproxy.KindName}, string(phiproxy.KindName)},
		{[]phiproxy.Kind{phiproxy.KindName, phiproxy.KindName}, string(phiproxy.KindName)},
		{append(append([]phiproxy.Kind{}, all...), all...), strings.Join(sortedKinds(all), ",")},
	} {
		var fs []phiproxy.Finding
		for _, k := range c.kinds {
			fs = append(fs, phiproxy.Finding{Kind: k})
		}
		if got := joinKinds(fs); got != c.want {
			t.Errorf("joinKinds(%v) = %q, want %q", c.kinds, got, c.want)
		}
	}
	var many []phiproxy.Finding
	var names []string
	for i := 40; i > 0; i-- {
		k := phiproxy.Kind(fmt.Sprintf("k%02d", i))
		many = append(many, phiproxy.Finding{Kind: k}, phiproxy.Finding{Kind: k})
		names = append([]string{string(k)}, names...)
	}
	if got, want := joinKinds(many), strings.Join(names, ","); got != want {
		t.Errorf("joinKinds of 40 kinds = %q, want %q", got, want)
	}
}

func sortedKinds(ks []phiproxy.Kind) []string {
	var s []string
	for _, k := range ks {
		s = append(s, string(k))
	}
	sort.Strings(s)
	return s
}
