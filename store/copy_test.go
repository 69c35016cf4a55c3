package store

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/pgtest"
)

// findingsJSON is what findings --json prints of s, flow IDs left out.
func findingsJSON(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.Findings(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		r.FlowID = 0
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// fillSession writes two runs (one with an inventory) and a flow of no
// run.
func fillSession(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	for i, cmd := range []string{"run", "crawl"} {
		run, err := s.BeginRun(ctx, Run{Command: cmd, Listen: "127.0.0.1:8080", Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.NameRun(ctx, run, "nightly "+cmd, "clinic.test"); err != nil {
			t.Fatal(err)
		}
		recs := []Record{
			sampleRecord("https://tracker.example/a", phiproxy.High, phiproxy.KindEmail, phiproxy.KindMedication),
			sampleRecord("https://tracker.example/b", phiproxy.Medium, phiproxy.KindCondition),
		}
		recs[1].Inspection.Findings[0].Negated = i == 1
		if err := s.SaveBatch(ctx, run, recs, phiproxy.Stats{Seen: 5, Inspected: 4, Flagged: 2, Dropped: 1}); err != nil {
			t.Fatal(err)
		}
		if err := s.EndRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		if cmd == "crawl" {
			t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			if err := s.SaveInventory(ctx, []InventoryRow{{RunID: run, Page: "https://clinic.test/", Type: "script", Item: "https://cdn.vendor.test/a.js",
				Host: "cdn.vendor.test", Party: "third", Attrs: []byte(`{"size":3}`), Count: 2, FirstSeen: t0, LastSeen: t0}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.SaveBatch(ctx, 0, []Record{sampleRecord("https://x.example/", phiproxy.Low, phiproxy.KindEmail)}, phiproxy.Stats{}); err != nil {
		t.Fatal(err)
	}
}

// TestCopyBetweenDialects copies a session from SQLite to PostgreSQL and
// back: findings, runs and inventory come through unchanged.
func TestCopyBetweenDialects(t *testing.T) {
	ctx := context.Background()
	local := openDB(t, filepath.Join(t.TempDir(), "local.db"))
	fillSession(t, local)
	shared := openDB(t, pgtest.NewDatabase(t))
	back := openDB(t, filepath.Join(t.TempDir(), "back.db"))
	for _, hop := range []struct{ dst, src *Store }{{shared, local}, {back, shared}} {
		n, err := Copy(ctx, hop.dst, hop.src, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := (Copied{Runs: 2, Flows: 5, Findings: 7, InventoryRows: 1}); n != want {
			t.Fatalf("copied into %s: got %+v, want %+v", hop.dst.Dialect(), n, want)
		}
		if got, want := findingsJSON(t, hop.dst), findingsJSON(t, hop.src); !reflect.DeepEqual(got, want) {
			t.Fatalf("findings after copy into %s:\ngot  %v\nwant %v", hop.dst.Dialect(), got, want)
		}
		// Runs come with their label, site and what they stored.
		srcRuns, _ := hop.src.RunSummaries(ctx)
		dstRuns, err := hop.dst.RunSummaries(ctx)
		if err != nil || len(dstRuns) != len(srcRuns) {
			t.Fatalf("runs: got %d (%v), want %d", len(dstRuns), err, len(srcRuns))
		}
		for i := range srcRuns {
			a, b := srcRuns[i], dstRuns[i]
			a.ID, b.ID = 0, 0
			if a != b {
				t.Errorf("run %d after copy: got %+v, want %+v", i, b, a)
			}
		}
		inv, err := hop.dst.Inventory(ctx, 0)
		if err != nil || len(inv) != 1 || inv[0].RunID != dstRuns[1].ID || inv[0].Count != 2 {
			t.Fatalf("inventory after copy: %+v (%v), want one row of run %d", inv, err, dstRuns[1].ID)
		}
	}
}

func TestPrune(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
		at := func(t time.Time) func() time.Time { return func() time.Time { return t } }
		save := func(run int64, start time.Time) {
			rec := sampleRecord("https://tracker.example/", phiproxy.High, phiproxy.KindEmail)
			rec.Flow.Start = start
			if err := s.SaveBatch(ctx, run, []Record{rec}, phiproxy.Stats{}); err != nil {
				t.Fatal(err)
			}
		}
		// An old run, an old run still writing today, and a new run.
		s.Now = at(now.AddDate(0, 0, -40))
		old, _ := s.BeginRun(ctx, Run{Command: "crawl"})
		save(old, now.AddDate(0, 0, -40))
		if err := s.SaveInventory(ctx, []InventoryRow{{RunID: old, Type: "script", Item: "a.js", FirstSeen: now, LastSeen: now}}); err != nil {
			t.Fatal(err)
		}
		long, _ := s.BeginRun(ctx, Run{Command: "run"})
		save(long, now.AddDate(0, 0, -40))
		save(long, now)
		save(0, now.AddDate(0, 0, -35))
		save(0, now)
		s.Now = at(now)
		recent, _ := s.BeginRun(ctx, Run{Command: "crawl"})
		save(recent, now)

		p, err := s.Prune(ctx, now.AddDate(0, 0, -30))
		if err != nil {
			t.Fatal(err)
		}
		if want := (Pruned{Runs: 1, Flows: 2, InventoryRows: 1}); p != want {
			t.Fatalf("pruned: got %+v, want %+v", p, want)
		}
		runs, _ := s.Runs(ctx)
		if len(runs) != 2 || runs[0].ID != long || runs[1].ID != recent {
			t.Fatalf("runs left: %+v, want %d and %d", runs, long, recent)
		}
		if n, _ := s.CountFlows(ctx, Filter{}); n != 4 {
			t.Fatalf("flows left: got %d, want 4", n)
		}
		if n, _ := s.Findings(ctx, Filter{}); len(n) != 4 {
			t.Fatalf("findings left: got %d, want 4", len(n))
		}
	})
}

// TestPostgresOlderSchemaMigrates: a PostgreSQL database made by an older
// phiproxy (the first migrations only, with a flow in it) gains the rest
// when a writing command opens it, and keeps its flow.
func TestPostgresOlderSchemaMigrates(t *testing.T) {
	db := pgtest.NewDatabase(t)
	s := openDB(t, db)
	names := mustMigrations()
	ctx := context.Background()
	// Start over at schema version 1: drop everything, apply 001 alone.
	if _, err := s.write.Exec(`DROP VIEW finding_rows; DROP TABLE inventory, findings, ws_messages, flows, runs, schema_version`); err != nil {
		t.Fatal(err)
	}
	body, _ := migrations.ReadFile(names[0])
	if _, err := s.write.Exec(postgresDialect.migration(string(body)) + `; CREATE TABLE schema_version (version BIGINT NOT NULL); INSERT INTO schema_version VALUES (1);
		INSERT INTO flows (start, source, method, url, host) VALUES ('2026-01-01T00:00:00.000000Z', 'proxy', 'GET', 'https://old.example/', 'old.example')`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := OpenReadOnly(db); err == nil {
		t.Fatal("read-only open of an older schema succeeded")
	}
	s2 := openDB(t, db)
	var v int
	if err := s2.read.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil || v != SchemaVersion {
		t.Fatalf("schema version after open: %d (%v), want %d", v, err, SchemaVersion)
	}
	sums, err := s2.Flows(ctx, Filter{})
	if err != nil || len(sums) != 1 || sums[0].Host != "old.example" {
		t.Fatalf("old flow after migration: %+v (%v)", sums, err)
	}
	rec := sampleRecord("https://new.example/", phiproxy.High, phiproxy.KindEmail)
	rec.Inspection.Findings[0].Negated = true
	if err := s2.SaveBatch(ctx, 0, []Record{rec}, phiproxy.Stats{}); err != nil {
		t.Fatalf("save after migration: %v", err)
	}
}
