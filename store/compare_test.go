package store

import (
	"context"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
)

func TestRunSummariesAndExposure(t *testing.T) {
	ctx := context.Background()
	eachDB(t, func(t *testing.T, db string) {
		s := openDB(t, db)
		t1 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return t1 }
		r1, err := s.BeginRun(ctx, Run{Command: "crawl"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.NameRun(ctx, r1, "staging nightly", "clinic.test"); err != nil {
			t.Fatal(err)
		}
		// Two kinds in one flow, one of them twice at two severities; a flow
		// to the site itself, which exposes nothing.
		leak := sampleRecord("https://www.facebook.com/tr/?id=1", phiproxy.High, phiproxy.KindEmail, phiproxy.KindEmail, phiproxy.KindCondition)
		leak.Inspection.Findings[0].Severity = phiproxy.Medium
		leak.Flow.Page = "https://clinic.test/book"
		own := sampleRecord("https://clinic.test/api", phiproxy.Info, phiproxy.KindEmail)
		own.Inspection.Destination.Party = phiproxy.FirstParty
		if err := s.SaveBatch(ctx, r1, []Record{leak, own}, phiproxy.Stats{Seen: 2, Flagged: 2}); err != nil {
			t.Fatal(err)
		}
		if err := s.EndRun(ctx, r1); err != nil {
			t.Fatal(err)
		}
		r2, err := s.BeginRun(ctx, Run{Command: "run"})
		if err != nil {
			t.Fatal(err)
		}

		runs, err := s.RunSummaries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != 2 || runs[0].ID != r1 || runs[1].ID != r2 {
			t.Fatalf("runs: got %+v", runs)
		}
		got := runs[0]
		if got.Label != "staging nightly" || got.Site != "clinic.test" || got.Command != "crawl" || got.Flows != 2 || got.Findings != 4 ||
			got.FirstPage != "https://clinic.test/book" || !got.Started.Equal(t1) || !got.Ended.Equal(t1) || got.Stats.Seen != 2 {
			t.Errorf("run 1: got %+v", got)
		}
		if runs[1].Label != "" || runs[1].Flows != 0 || !runs[1].Ended.IsZero() {
			t.Errorf("run 2: got %+v", runs[1])
		}
		if _, err := s.RunSummary(ctx, 99); err == nil {
			t.Errorf("a run that does not exist: no error")
		}

		rows, err := s.Exposure(ctx, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 {
			t.Fatalf("exposure rows: got %+v, want one per kind of the third-party flow", rows)
		}
		if rows[0].Kind != "condition" || rows[1].Kind != "email" || rows[1].Severity != phiproxy.High || rows[0].RunID != r1 ||
			rows[0].Vendor != "Meta Pixel" || rows[0].Host != "www.facebook.com" || rows[0].Page != "https://clinic.test/book" || rows[0].Method != "POST" {
			t.Errorf("exposure rows: got %+v", rows)
		}
		if rows, _ := s.Exposure(ctx, Filter{Vendor: "tiktok"}); len(rows) != 0 {
			t.Errorf("exposure filtered by another vendor: got %+v", rows)
		}

		ro, err := OpenReadOnly(db)
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		if err := ro.NameRun(ctx, r1, "x", ""); err != ErrReadOnly {
			t.Errorf("naming a run read-only: got %v, want ErrReadOnly", err)
		}
	})
}

func TestVersion5DatabaseGainsRunLabels(t *testing.T) {
	const old = 7
	path := olderDatabase(t, "006_run_label.sql", `INSERT INTO runs (id, command, started) VALUES (7, 'scan', '2026-12-01T10:00:00.000000Z')`)
	ctx := context.Background()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("open a version 5 database: %v", err)
	}
	defer s.Close()
	runs, err := s.RunSummaries(ctx)
	if err != nil || len(runs) != 1 || runs[0].ID != old || runs[0].Label != "" {
		t.Fatalf("runs of a migrated database: got %+v, %v", runs, err)
	}
	if err := s.NameRun(ctx, old, "before labels", ""); err != nil {
		t.Fatal(err)
	}
}
