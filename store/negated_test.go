package store

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
)

func TestNegatedFindingRoundTrip(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		rec := sampleRecord("https://tracker.example/intake", phiproxy.Medium, phiproxy.KindCondition, phiproxy.KindSymptom)
		rec.Inspection.Findings[0].Negated = true
		if err := s.SaveBatch(ctx, 0, []Record{rec}, phiproxy.Stats{}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Flow(ctx, rec.Flow.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(got.Inspection.Findings); n != 2 {
			t.Fatalf("findings: got %d, want 2", n)
		}
		negated := map[phiproxy.Kind]bool{}
		for _, fd := range got.Inspection.Findings {
			negated[fd.Kind] = fd.Negated
		}
		if !negated[phiproxy.KindCondition] || negated[phiproxy.KindSymptom] {
			t.Errorf("negated by kind: got %v, want condition only", negated)
		}
		rows, err := s.Findings(ctx, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, r := range rows {
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, string(b))
		}
		if len(lines) != 2 || strings.Count(strings.Join(lines, "\n"), `"negated":true`) != 1 {
			t.Errorf("JSON rows: want one with \"negated\":true, got\n%s", strings.Join(lines, "\n"))
		}
		// The live JSON Lines output goes through Row.
		live, err := json.Marshal(Row(rec.Flow, rec.Inspection.Destination, rec.Inspection.Findings[0]))
		if err != nil || !strings.Contains(string(live), `"negated":true`) {
			t.Errorf("Row of a negated finding: %s (%v), want \"negated\":true", live, err)
		}
		var view int
		if err := s.read.QueryRow(`SELECT count(*) FROM finding_rows WHERE negated = 1 AND kind = 'condition'`).Scan(&view); err != nil || view != 1 {
			t.Errorf("finding_rows negated: got %d (%v), want 1", view, err)
		}
	})
}

// TestVersion1DatabaseGainsNegated opens a database at schema version 1,
// with a finding in it, and checks the migration keeps the finding (not
// negated) and lets new ones be negated.
func TestVersion1DatabaseGainsNegated(t *testing.T) {
	path := olderDatabase(t, "002_flow_authenticated.sql",
		`INSERT INTO flows (id, start, source, method, url, host) VALUES (1, '2026-11-28T10:00:00.000000Z', 'proxy', 'GET', 'https://t.example/', 't.example');
		INSERT INTO findings (flow_id, kind, term, value, path, source, severity) VALUES (1, 'condition', 'diabetes', 'diabetes', 'query:dx', 'dictionary', 3);`)

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v int
	if err := s.read.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != SchemaVersion || v < 2 {
		t.Fatalf("user_version: got %d (%v), want %d", v, err, SchemaVersion)
	}
	ctx := context.Background()
	old, err := s.Flow(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(old.Inspection.Findings) != 1 || old.Inspection.Findings[0].Negated || old.Inspection.Findings[0].Term != "diabetes" {
		t.Errorf("old finding after migration: %+v", old.Inspection.Findings)
	}
	rec := sampleRecord("https://tracker.example/intake", phiproxy.Medium, phiproxy.KindCondition)
	rec.Inspection.Findings[0].Negated = true
	if err := s.SaveBatch(ctx, 0, []Record{rec}, phiproxy.Stats{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Flow(ctx, rec.Flow.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Inspection.Findings[0].Negated {
		t.Errorf("new finding in migrated database: negated lost")
	}
}
