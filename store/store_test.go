package store

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
)

var update = flag.Bool("update", false, "rewrite golden files")

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "sub", "phiproxy.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sampleRecord(url string, sev phiproxy.Severity, kinds ...phiproxy.Kind) Record {
	start := time.Date(2026, 11, 28, 10, 0, 0, 123456000, time.UTC)
	f := &phiproxy.Flow{
		Start: start, Source: "proxy", ClientAddr: "127.0.0.1:5000", ConnectTarget: "tracker.example:443",
		ClientProto: "HTTP/2.0", UpstreamProto: "HTTP/1.1",
		Request: phiproxy.Request{
			Method: "POST", URL: url, Host: "tracker.example", Proto: "HTTP/2.0",
			Header: http.Header{"Content-Type": {"application/json"}, "Cookie": {"a=1", "b=2"}},
			Body:   []byte(`{"email":"jane@example.com"}`), BodySize: 28,
		},
		Response: &phiproxy.Response{Status: 204, Proto: "HTTP/1.1", Header: http.Header{"X-A": {"b"}}, Body: []byte{}, BodySize: 0},
		WebSocket: []phiproxy.WSMessage{
			{Time: start.Add(time.Second), FromClient: true, Data: []byte("hello sertraline")},
			{Time: start.Add(2 * time.Second), Binary: true, Data: []byte{0, 1, 2}},
		},
		Timings: phiproxy.Timings{Send: time.Millisecond, Wait: 2 * time.Millisecond, Receive: 3 * time.Millisecond},
	}
	in := phiproxy.Inspection{
		Destination: phiproxy.Destination{Host: (&phiproxy.Request{URL: url}).URLHost(), Domain: "tracker.example", Party: phiproxy.ThirdParty, Vendor: "Meta Pixel", Category: "advertising"},
		Fields:      3, Severity: sev, Notes: []string{"body: note one", "note two"},
	}
	for i, k := range kinds {
		in.Findings = append(in.Findings, phiproxy.Finding{
			Kind: k, Term: fmt.Sprintf("term%d", i), Value: "v", Path: "body > json:$.email", Field: "jane@example.com",
			Start: 0, End: 16, Source: phiproxy.SourcePattern, Score: 0.9, Severity: sev,
		})
	}
	return Record{Flow: f, Inspection: in}
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	path := filepath.Join(dir, "x.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for p, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode(); got != want {
			t.Errorf("%s mode: got %v, want %v", p, got, want)
		}
	}
	var v int
	if err := s.read.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != SchemaVersion || v < 1 {
		t.Fatalf("user_version: got %d, want %d", v, SchemaVersion)
	}
	var mode string
	if err := s.read.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode: got %q (%v), want wal", mode, err)
	}
	var fk int
	if err := s.write.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys: got %d (%v), want 1", fk, err)
	}
	var pageSize int
	if err := s.read.QueryRow("PRAGMA page_size").Scan(&pageSize); err != nil || pageSize != 16384 {
		t.Fatalf("page_size: got %d (%v), want 16384", pageSize, err)
	}
	var cacheSize int
	if err := s.write.QueryRow("PRAGMA cache_size").Scan(&cacheSize); err != nil || cacheSize != -1024 {
		t.Fatalf("writer's cache_size: got %d (%v), want -1024 (1 MiB)", cacheSize, err)
	}
}

// TestOpenKeepsExistingPageSize: the page size is chosen only for a new
// database; one created elsewhere opens with its own, and in WAL mode.
func TestOpenKeepsExistingPageSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA page_size = 4096; CREATE TABLE other (x)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var pageSize int
	var mode string
	if err := s.read.QueryRow("PRAGMA page_size").Scan(&pageSize); err != nil || pageSize != 4096 {
		t.Errorf("page_size: got %d (%v), want 4096", pageSize, err)
	}
	if err := s.read.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode: got %q (%v), want wal", mode, err)
	}
	rec := sampleRecord("https://tracker.example/p", phiproxy.High, phiproxy.KindEmail)
	if err := s.SaveBatch(context.Background(), 0, []Record{rec}, phiproxy.Stats{}); err != nil {
		t.Fatal(err)
	}
}

// TestSchemaGolden pins the schema each dialect ends up with after the
// migrations: testdata/schema.golden (SQLite, as sqlite_master holds it)
// and testdata/schema.postgres.golden (PostgreSQL, from its catalog).
func TestSchemaGolden(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		var got, golden string
		if s.Dialect() == "sqlite" {
			got, golden = sqliteSchema(t, s), filepath.Join("testdata", "schema.golden")
		} else {
			got, golden = postgresSchema(t, s), filepath.Join("testdata", "schema.postgres.golden")
		}
		checkGolden(t, golden, got, "schema changed; it is a public contract: add a migration and bump the version")
	})
}

func sqliteSchema(t *testing.T, s *Store) string {
	rows, err := s.read.Query("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var typ, name, sqlText string
		if err := rows.Scan(&typ, &name, &sqlText); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "-- %s %s\n%s;\n\n", typ, name, sqlText)
	}
	fmt.Fprintf(&b, "-- user_version %d\n", SchemaVersion)
	return b.String()
}

// postgresSchema describes the public schema from PostgreSQL's catalog:
// tables with their columns and constraints, indexes, views.
func postgresSchema(t *testing.T, s *Store) string {
	var b strings.Builder
	query := func(q string, fn func(*sql.Rows) error) {
		t.Helper()
		rows, err := s.read.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows); err != nil {
				t.Fatal(err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	var tables []string
	query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`, func(r *sql.Rows) error {
		var n string
		tables = append(tables, n)
		return r.Scan(&tables[len(tables)-1])
	})
	for _, tb := range tables {
		fmt.Fprintf(&b, "-- table %s\n", tb)
		query(`SELECT column_name, data_type, is_nullable, coalesce(column_default, ''), is_identity FROM information_schema.columns
			WHERE table_schema = 'public' AND table_name = '`+tb+`' ORDER BY ordinal_position`, func(r *sql.Rows) error {
			var name, typ, null, def, ident string
			if err := r.Scan(&name, &typ, &null, &def, &ident); err != nil {
				return err
			}
			fmt.Fprintf(&b, "    %s %s", name, typ)
			if null == "NO" {
				b.WriteString(" NOT NULL")
			}
			if def != "" {
				b.WriteString(" DEFAULT " + def)
			}
			if ident == "YES" {
				b.WriteString(" IDENTITY")
			}
			b.WriteString("\n")
			return nil
		})
		query(`SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'public.`+tb+`'::regclass ORDER BY conname`, func(r *sql.Rows) error {
			var name, def string
			if err := r.Scan(&name, &def); err != nil {
				return err
			}
			fmt.Fprintf(&b, "    CONSTRAINT %s %s\n", name, def)
			return nil
		})
		b.WriteString("\n")
	}
	query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname`, func(r *sql.Rows) error {
		var name, def string
		if err := r.Scan(&name, &def); err != nil {
			return err
		}
		fmt.Fprintf(&b, "-- index %s\n%s;\n\n", name, def)
		return nil
	})
	query(`SELECT viewname, definition FROM pg_views WHERE schemaname = 'public' ORDER BY viewname`, func(r *sql.Rows) error {
		var name, def string
		if err := r.Scan(&name, &def); err != nil {
			return err
		}
		fmt.Fprintf(&b, "-- view %s\n%s\n\n", name, def)
		return nil
	})
	var v int
	if err := s.read.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "-- schema_version %d\n", v)
	return b.String()
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(path); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open: got %v, want ErrNewerSchema", err)
	}
	if _, err := OpenReadOnly(path); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("OpenReadOnly: got %v, want ErrNewerSchema", err)
	}
	if _, err := OpenReadOnly(filepath.Join(t.TempDir(), "missing.db")); err == nil {
		t.Fatal("OpenReadOnly of a missing file: got nil error")
	}
}

func TestSaveAndReadBack(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		run, err := s.BeginRun(ctx, Run{Command: "run", Listen: "127.0.0.1:8080"})
		if err != nil {
			t.Fatal(err)
		}
		rec := sampleRecord("https://tracker.example/tr?id=1", phiproxy.High, phiproxy.KindEmail, phiproxy.KindMedication)
		if err := s.SaveBatch(ctx, run, []Record{rec}, phiproxy.Stats{Seen: 2, Inspected: 2, Flagged: 1, Dropped: 1}); err != nil {
			t.Fatal(err)
		}
		if rec.Flow.ID == 0 || rec.Inspection.Findings[0].FlowID != rec.Flow.ID {
			t.Fatalf("IDs not assigned: flow %d, finding flow %d", rec.Flow.ID, rec.Inspection.Findings[0].FlowID)
		}
		got, err := s.Flow(ctx, rec.Flow.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.RunID != run {
			t.Errorf("run: got %d, want %d", got.RunID, run)
		}
		if !reflect.DeepEqual(got.Flow, *rec.Flow) {
			t.Errorf("flow round trip:\ngot  %+v\nwant %+v", got.Flow, *rec.Flow)
		}
		if !reflect.DeepEqual(got.Inspection, rec.Inspection) {
			t.Errorf("inspection round trip:\ngot  %+v\nwant %+v", got.Inspection, rec.Inspection)
		}
		st, err := s.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := (phiproxy.Stats{Seen: 2, Inspected: 2, Flagged: 1, Dropped: 1}); st != want {
			t.Errorf("stats: got %+v, want %+v", st, want)
		}
		if _, err := s.Flow(ctx, 999); !errors.Is(err, sql.ErrNoRows) {
			t.Errorf("missing flow: got %v, want sql.ErrNoRows", err)
		}
	})
}

func TestFilters(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		recs := []Record{
			sampleRecord("https://www.facebook.com/tr?id=1", phiproxy.Critical, phiproxy.KindEmail, phiproxy.KindCondition),
			sampleRecord("https://api.segment.io/v1/t", phiproxy.Medium, phiproxy.KindEmail),
			sampleRecord("https://clinic.example/page", phiproxy.Info),
			sampleRecord("https://facebook.com.evil.example/tr", phiproxy.High, phiproxy.KindMedication),
		}
		recs[1].Inspection.Destination.Vendor = "Segment"
		if err := s.SaveBatch(ctx, 0, recs, phiproxy.Stats{}); err != nil {
			t.Fatal(err)
		}
		ids := func(f Filter) []int64 {
			t.Helper()
			sums, err := s.Flows(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, x := range sums {
				out = append(out, x.ID)
			}
			return out
		}
		id := func(i int) int64 { return recs[i].Flow.ID }
		cases := []struct {
			name string
			f    Filter
			want []int64
		}{
			{"all", Filter{}, []int64{id(0), id(1), id(2), id(3)}},
			{"flagged", Filter{Flagged: true}, []int64{id(0), id(1), id(3)}},
			{"min high", Filter{MinSeverity: phiproxy.High}, []int64{id(0), id(3)}},
			{"host suffix", Filter{Host: "facebook.com"}, []int64{id(0)}},
			{"vendor", Filter{Vendor: "segm"}, []int64{id(1)}},
			{"kind", Filter{Kind: phiproxy.KindMedication}, []int64{id(3)}},
			{"text", Filter{Text: "v1/t"}, []int64{id(1)}},
			{"text is literal", Filter{Text: "%"}, nil},
			{"after", Filter{AfterID: id(1)}, []int64{id(2), id(3)}},
			{"ids", Filter{IDs: []int64{id(2), id(0)}}, []int64{id(0), id(2)}},
			{"limit", Filter{Limit: 1}, []int64{id(0)}},
		}
		for _, c := range cases {
			if got := ids(c.f); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: got %v, want %v", c.name, got, c.want)
			}
		}
		rows, err := s.Findings(ctx, Filter{Kind: phiproxy.KindEmail})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].FlowID != id(0) || rows[1].Vendor != "Segment" || rows[0].Kind != phiproxy.KindEmail {
			t.Fatalf("findings by kind: got %+v", rows)
		}
		if rows[0].Severity != phiproxy.Critical || rows[0].Party != phiproxy.ThirdParty || rows[0].URL != "https://www.facebook.com/tr?id=1" {
			t.Fatalf("finding row fields: got %+v", rows[0])
		}
		n, err := s.CountFlows(ctx, Filter{MinSeverity: phiproxy.Medium})
		if err != nil || n != 3 {
			t.Fatalf("count: got %d (%v), want 3", n, err)
		}
	})
}

func TestSubscribeCoalesces(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ch, cancel := s.Subscribe()
		for i := 0; i < 5; i++ {
			rec := sampleRecord("https://a.example/", phiproxy.Info)
			if err := s.SaveBatch(context.Background(), 0, []Record{rec}, phiproxy.Stats{}); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatal("no change signal after saves")
		}
		// PostgreSQL also announces each batch through NOTIFY, which
		// arrives when it arrives: only SQLite's signals are all in by now.
		if s.Dialect() == "sqlite" {
			select {
			case <-ch:
				t.Fatal("signals did not coalesce")
			default:
			}
		}
		cancel()
		if _, ok := <-ch; ok {
			t.Fatal("channel still open after cancel")
		}
	})
}

func TestReadOnlyRefusesWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if err := ro.SaveBatch(context.Background(), 0, nil, phiproxy.Stats{}); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("SaveBatch on read-only: got %v", err)
	}
}

// TestKillDuringWrites kills a process with SIGKILL while it commits
// batches, then checks that the database opens, passes integrity_check
// (SQLite) and holds only whole batches, on both databases.
func TestKillDuringWrites(t *testing.T) {
	if os.Getenv("PHIPROXY_STORE_WRITER") != "" {
		writeForever(os.Getenv("PHIPROXY_STORE_WRITER"))
		return
	}
	eachDB(t, func(t *testing.T, path string) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillDuringWrites$")
		cmd.Env = append(os.Environ(), "PHIPROXY_STORE_WRITER="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the writer says it has committed a few batches.
		buf := make([]byte, 64)
		deadline := time.Now().Add(30 * time.Second)
		var seen string
		for !strings.Contains(seen, "committed 20") && time.Now().Before(deadline) {
			n, err := out.Read(buf)
			seen += string(buf[:n])
			if err != nil {
				break
			}
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if !strings.Contains(seen, "committed 20") {
			t.Fatalf("writer did not get going: %q", seen)
		}
		s, err := Open(path)
		if err != nil {
			t.Fatalf("reopen after kill: %v", err)
		}
		defer s.Close()
		if s.Dialect() == "sqlite" {
			var check string
			if err := s.write.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
				t.Fatalf("integrity_check: %q %v", check, err)
			}
		}
		var flows, findings int
		s.read.QueryRow("SELECT count(*) FROM flows").Scan(&flows)
		s.read.QueryRow("SELECT count(*) FROM findings").Scan(&findings)
		if flows < 20*10 || flows%10 != 0 || findings != flows {
			t.Fatalf("after kill: %d flows, %d findings; want whole batches of 10 with one finding each, at least 200", flows, findings)
		}
		// The next writer carries on where the killed one stopped.
		rec := sampleRecord("https://after.example/", phiproxy.High, phiproxy.KindEmail)
		if err := s.SaveBatch(context.Background(), 0, []Record{rec}, phiproxy.Stats{}); err != nil {
			t.Fatalf("write after kill: %v", err)
		}
	})
}

func writeForever(path string) {
	s, err := Open(path)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	for i := 1; i < 1_000_000; i++ {
		var recs []Record
		for j := 0; j < 10; j++ {
			recs = append(recs, sampleRecord("https://x.example/", phiproxy.High, phiproxy.KindEmail))
		}
		if err := s.SaveBatch(context.Background(), 0, recs, phiproxy.Stats{}); err != nil {
			fmt.Println("save:", err)
			os.Exit(1)
		}
		if i == 20 {
			fmt.Println("committed 20")
		}
	}
	os.Exit(0)
}
