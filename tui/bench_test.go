package tui

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

// driverLikeSummaries makes n summaries the way the SQLite driver returns
// them: every string freshly allocated, tracker-style URLs of a few
// hundred bytes to over a kilobyte, a few dozen hosts and vendors.
func driverLikeSummaries(firstID int64, n int) []store.FlowSummary {
	hosts := []string{"www.facebook.com", "www.google-analytics.com", "analytics.tiktok.com", "px.ads.linkedin.com", "api-iam.intercom.io", "clinic.example"}
	vendors := []string{"Meta Pixel", "Google Analytics", "TikTok", "LinkedIn", "Intercom", ""}
	kinds := []string{"email", "email,medication", "condition", "", "dob,name,phone"}
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	out := make([]store.FlowSummary, n)
	for i := range out {
		id := firstID + int64(i)
		h := int(id) % len(hosts)
		q := strings.Repeat("x", 80+int(id%7)*150) // 80 … 980 bytes of query
		out[i] = store.FlowSummary{
			ID: id, Start: start.Add(time.Duration(id) * time.Millisecond),
			Method: strings.Clone("POST"), Host: strings.Clone(hosts[h]),
			URL:    fmt.Sprintf("https://%s/tr?id=%d&ev=PageView&dl=https%%3A%%2F%%2Fclinic.example%%2Fbook&cd=%s", hosts[h], id, q),
			Status: 200, Party: phiproxy.Party(strings.Clone("third")), Vendor: strings.Clone(vendors[h]),
			Severity: phiproxy.Severity(id % 5), Kinds: strings.Clone(kinds[int(id)%len(kinds)]), Findings: int(id % 3),
		}
	}
	return out
}

// BenchmarkApply1000Into100k measures taking 1,000 new flows into a list
// that holds 100,000: compacting them, appending, following the newest,
// and drawing the list on a 160x48 screen.
func BenchmarkApply1000Into100k(b *testing.B) {
	st := openStore(b)
	a, err := New(Options{Store: st, Now: func() time.Time { return fixedNow }})
	if err != nil {
		b.Fatal(err)
	}
	screen := tcell.NewSimulationScreen("UTF-8")
	if err := screen.Init(); err != nil {
		b.Fatal(err)
	}
	defer screen.Fini()
	screen.SetSize(160, 48)
	a.table.SetRect(0, 3, 160, 44)

	c := newRowCompactor()
	base := c.compact(driverLikeSummaries(1, 100_000))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		a.rows.reset(base)
		batch := driverLikeSummaries(100_001, 1000)
		b.StartTimer()
		a.apply(listUpdate{gen: a.gen, rows: c.compact(batch)})
		a.table.Draw(screen)
	}
	b.StopTimer()
	if got := a.rows.len(); got != 101_000 {
		b.Fatalf("rows: got %d, want 101000", got)
	}
}

// BenchmarkRowMemory reports the heap held per row of the list after
// loading 100,000 summaries: as the driver returns them (raw-bytes/row)
// and as the view keeps them (bytes/row).
func BenchmarkRowMemory(b *testing.B) {
	const n = 100_000
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	for i := 0; i < b.N; i++ {
		before := heap()
		rows := driverLikeSummaries(1, n)
		raw := heap()
		var v flowRows
		v.reset(newRowCompactor().compact(rows))
		rows = nil
		after := heap()
		b.ReportMetric(float64(raw-before)/n, "raw-bytes/row")
		b.ReportMetric(float64(after-before)/n, "bytes/row")
		runtime.KeepAlive(v.chunks)
	}
}

// BenchmarkStoreLoad measures the loader's reads from a real store holding
// 101,000 flows: the 1,000 newest (after a change signal) and all of them
// (after a filter change), each compacted as the list keeps them.
func BenchmarkStoreLoad(b *testing.B) {
	st := openStore(b)
	ctx := context.Background()
	const total = 101_000
	recs := make([]store.Record, 0, 1000)
	for i := 0; i < total; i++ {
		fx := fixture{method: "POST", url: fmt.Sprintf("https://www.facebook.com/tr?id=%d&ev=PageView&dl=https%%3A%%2F%%2Fclinic.example%%2Fbook%%2F%d", i, i), vendor: "Meta Pixel"}
		if i%3 == 0 {
			fx.findings = []phiproxy.Finding{finding(phiproxy.KindEmail, "jane@example.com", "jane@example.com", phiproxy.Critical)}
		}
		recs = append(recs, fx.record(i))
		if len(recs) == cap(recs) {
			if err := st.SaveBatch(ctx, 0, recs, phiproxy.Stats{}); err != nil {
				b.Fatal(err)
			}
			recs = recs[:0]
		}
	}
	b.Run("newest1000", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rows, err := st.Flows(ctx, store.Filter{AfterID: total - 1000})
			if err != nil || len(rows) != 1000 {
				b.Fatalf("rows %d, err %v", len(rows), err)
			}
			newRowCompactor().compact(rows)
		}
	})
	b.Run("all101k", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rows, err := st.Flows(ctx, store.Filter{})
			if err != nil || len(rows) != total {
				b.Fatalf("rows %d, err %v", len(rows), err)
			}
			newRowCompactor().compact(rows)
		}
	})
}
