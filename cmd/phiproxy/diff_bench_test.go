package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/compare"
	"github.com/phiproxy/phiproxy/inventory"
	"github.com/phiproxy/phiproxy/store"
)

// benchPlace places hosts as the classifier would: clinic.test is the
// site, every vendorN.test a third-party vendor.
func benchPlace(host, page string) phiproxy.Destination {
	if host == "clinic.test" {
		return phiproxy.Destination{Host: host, Domain: host, Party: phiproxy.FirstParty}
	}
	return phiproxy.Destination{Host: host, Domain: host, Party: phiproxy.ThirdParty, Vendor: "Vendor " + host, Category: "advertising"}
}

// writeBenchRun records a run of flows flows over 200 pages: each page
// loads 20 scripts of 40 and sends the rest to 400 endpoints of 40
// vendors, some with PHI. changed marks the second run: a tenth of the
// scripts have new bytes, and some beacons carry an email.
func writeBenchRun(b *testing.B, st *store.Store, flows int, changed bool) int64 {
	ctx := context.Background()
	runID, err := st.BeginRun(ctx, store.Run{Command: "crawl"})
	if err != nil {
		b.Fatal(err)
	}
	agg := &inventory.Aggregator{RunID: runID, Extractor: inventory.Extractor{Place: benchPlace}}
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	const pages = 200
	perPage := flows / pages
	for i := 0; i < flows; i++ {
		p, n := i/perPage, i%perPage
		f := &phiproxy.Flow{Start: start.Add(time.Duration(i) * time.Millisecond), Page: fmt.Sprintf("https://clinic.test/page/%d", p)}
		host := fmt.Sprintf("vendor%d.test", (p+n)%40)
		in := &phiproxy.Inspection{Destination: benchPlace(host, f.Page)}
		if n < 20 {
			s := (p + n) % 40
			sum := fmt.Sprintf("%064x", s)
			if changed && s%10 == 0 {
				sum = fmt.Sprintf("%064x", s+1000)
			}
			f.Request = phiproxy.Request{Method: "GET", URL: fmt.Sprintf("https://%s/sdk/%d.js?v=%d", host, s, p)}
			f.Response = &phiproxy.Response{Status: 200, SHA256: sum, BodySize: int64(1000 + s)}
		} else {
			e := (p*perPage + n) % 400
			f.Request = phiproxy.Request{Method: "POST", URL: fmt.Sprintf("https://%s/collect/e%d/%d", host, e, i)}
			in.Keys = []string{"event", "user"}
			if e%7 == 0 {
				in.Findings = []phiproxy.Finding{{Kind: phiproxy.KindCondition, Severity: phiproxy.High}}
				in.Severity = phiproxy.High
			}
			if changed && e%11 == 0 {
				in.Findings = append(in.Findings, phiproxy.Finding{Kind: phiproxy.KindEmail, Severity: phiproxy.Medium})
				in.Severity = max(in.Severity, phiproxy.Medium)
			}
		}
		agg.Observe(f, in)
	}
	if err := st.SaveInventory(ctx, agg.Drain()); err != nil {
		b.Fatal(err)
	}
	if err := st.EndRun(ctx, runID); err != nil {
		b.Fatal(err)
	}
	return runID
}

// BenchmarkDiffRuns is `phiproxy diff RUN_A RUN_B` on two runs of 10,000
// flows each: both inventories read from SQLite, built, snapshotted and
// compared.
func BenchmarkDiffRuns(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bench.db")
	w, err := store.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	a := writeBenchRun(b, w, 10000, false)
	c := writeBenchRun(b, w, 10000, true)
	w.Close()
	st, err := store.OpenReadOnly(path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	var rows, changes int
	b.ResetTimer()
	for b.Loop() {
		before, err := runSide(ctx, st, a)
		if err != nil {
			b.Fatal(err)
		}
		after, err := runSide(ctx, st, c)
		if err != nil {
			b.Fatal(err)
		}
		changes = len(compare.Diff(before.snap, after.snap))
		rows = 0
		for _, v := range after.snap.Vendors {
			rows += len(v.Scripts) + len(v.Endpoints)
		}
	}
	if changes == 0 {
		b.Fatal("the second run changed nothing")
	}
	b.ReportMetric(float64(changes), "changes")
	b.ReportMetric(float64(rows), "items")
}
