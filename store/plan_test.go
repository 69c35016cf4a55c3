package store

import (
	"context"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
)

// TestReadPlans holds the reads that the TUI and the commands repeat, or
// that pick a few rows out of many, to SQLite plans that search an index
// rather than read a whole table, so that dropping or changing an index
// cannot quietly turn one into a scan. A read that must look at every flow
// (a host filter, which keeps subdomains too) says so.
func TestReadPlans(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	run, err := s.BeginRun(ctx, Run{Command: "run"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveBatch(ctx, run, benchRecords(0), phiproxy.Stats{}); err != nil {
		t.Fatal(err)
	}
	query := func(q string, args []any) func() (string, []any) {
		return func() (string, []any) { return q, args }
	}
	flows := func(f Filter) func() (string, []any) {
		return func() (string, []any) { return flowsQuery(summaryCols, f) }
	}
	count := func(f Filter) func() (string, []any) {
		return func() (string, []any) {
			where, args := f.where()
			return "SELECT count(*) FROM flows fl WHERE " + where, args
		}
	}
	findings := func(f Filter) func() (string, []any) {
		return func() (string, []any) { return findingsQuery(f) }
	}
	for _, c := range []struct {
		name  string
		query func() (string, []any)
		scans string // the tables it may read whole, space-separated
	}{
		{"new flows (TUI follow)", flows(Filter{AfterID: 100, Limit: 50}), ""},
		{"new flagged flows", flows(Filter{Flagged: true, AfterID: 100, Limit: 50}), ""},
		{"new flows of a kind", flows(Filter{Kind: phiproxy.KindEmail, AfterID: 100}), ""},
		{"flows by id", flows(Filter{IDs: []int64{5, 9}}), ""},
		{"count of flagged flows", count(Filter{Flagged: true}), ""},
		{"count of high flows", count(Filter{MinSeverity: phiproxy.High}), ""},
		{"flows to a host and its subdomains", flows(Filter{Host: "tracker1.example"}), "fl"},
		{"findings at or above high", findings(Filter{MinSeverity: phiproxy.High, Flagged: true}), ""},
		{"findings by severity at or above high", findings(Filter{MinSeverity: phiproxy.High, Flagged: true, BySeverity: true}), ""},
		{"findings of new flows", findings(Filter{AfterID: 100}), ""},
		{"findings of chosen flows", findings(Filter{IDs: []int64{5, 9}}), ""},
		{"a flow's findings", query(flowFindingsSQL, []any{5, 0}), ""},
		{"a flow's websocket messages", query(flowMessagesSQL, []any{5}), ""},
		{"flows and findings per run", query(runFlowCountsSQL, nil), ""},
	} {
		q, args := c.query()
		rows, err := s.read.Query("EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var plan, scans []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
			if table, ok := strings.CutPrefix(detail, "SCAN "); ok {
				table, _, _ = strings.Cut(table, " ")
				scans = append(scans, table)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if len(plan) == 0 {
			t.Fatalf("%s: no plan", c.name)
		}
		if got := strings.Join(scans, " "); got != c.scans {
			t.Errorf("%s: reads whole %q, want %q; plan: %s", c.name, got, c.scans, strings.Join(plan, " | "))
		}
	}
}
