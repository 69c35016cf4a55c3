package store

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/benchcpu"
	"github.com/phiproxy/phiproxy/internal/pgtest"
)

// benchBatch is how many flows a benchmark saves per SaveBatch, as the
// pipeline's writer does under load.
const benchBatch = 256

// benchRecords is a batch of tracker beacons with browser-sized headers
// and four findings each. Batch n's flows differ from every other batch's,
// as live traffic does, in ID, URL, time, timings, body and matched field,
// so that the indexes and the page cache see fresh keys and bytes.
func benchRecords(n int) []Record {
	recs := make([]Record, benchBatch)
	for i := range recs {
		id := n*benchBatch + i
		r := sampleRecord(fmt.Sprintf("https://tracker%d.example/tr?id=%d&ev=PageView&dl=https%%3A%%2F%%2Fclinic.example%%2Fconditions%%2Fdepression", id%7, 1234567890+id),
			phiproxy.Critical, phiproxy.KindEmail, phiproxy.KindCondition, phiproxy.KindMedication, phiproxy.KindEmail)
		r.Flow.WebSocket = nil
		r.Flow.Start = r.Flow.Start.Add(time.Duration(id) * 1733 * time.Microsecond)
		r.Flow.Timings.Wait += time.Duration(id%977) * time.Microsecond
		r.Flow.Request.Header = http.Header{
			"User-Agent":      {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"},
			"Accept":          {"*/*"},
			"Accept-Language": {"en-US,en;q=0.9"},
			"Accept-Encoding": {"gzip, deflate, br"},
			"Content-Type":    {"text/plain"},
			"Origin":          {"https://clinic.example"},
			"Referer":         {fmt.Sprintf("https://clinic.example/conditions/depression?visit=%d", id)},
		}
		body := make([]byte, 300)
		for j := range body {
			body[j] = byte(id*31 + j*7)
		}
		r.Flow.Request.Body = body
		for j := range r.Inspection.Findings {
			r.Inspection.Findings[j].Field = fmt.Sprintf("patient%d@example.com", id)
			r.Inspection.Findings[j].Start = j * 20
			r.Inspection.Findings[j].End = j*20 + 16
		}
		recs[i] = r
	}
	return recs
}

// benchBatches is how many distinct batches a benchmark cycles through:
// 4,096 distinct flows, made before the timer starts.
const benchBatches = 16

// BenchmarkSaveBatch measures the writer's cost per flagged flow on
// SQLite, saved in batches of 256 as the pipeline does. Reported per flow.
func BenchmarkSaveBatch(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "phiproxy.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	runID, err := s.BeginRun(ctx, Run{Command: "run"})
	if err != nil {
		b.Fatal(err)
	}
	batches := make([][]Record, benchBatches)
	for i := range batches {
		batches[i] = benchRecords(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	// CPU time as well as wall time: on a shared host the disk and the
	// neighbours make wall time a measure of them.
	start := benchcpu.Now()
	for n := 0; n < b.N; n += benchBatch {
		if err := s.SaveBatch(ctx, runID, batches[n/benchBatch%benchBatches], phiproxy.Stats{Seen: benchBatch, Inspected: benchBatch, Flagged: benchBatch}); err != nil {
			b.Fatal(err)
		}
	}
	benchcpu.Report(b, start, 0)
}

// BenchmarkWriters measures flows stored per second by one writer and by
// ten writers at once, each with its own store and run (as separate
// processes would be), on SQLite and on PostgreSQL:
//
//	go test ./store -run '^$' -bench BenchmarkWriters -benchtime 20000x
func BenchmarkWriters(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		for _, writers := range []int{1, 10} {
			b.Run(fmt.Sprintf("%s/writers=%d", dialect, writers), func(b *testing.B) {
				db := filepath.Join(b.TempDir(), "phiproxy.db")
				if dialect == "postgres" {
					db = pgtest.NewDatabase(b)
				}
				benchWriters(b, db, writers)
			})
		}
	}
}

func benchWriters(b *testing.B, db string, writers int) {
	ctx := context.Background()
	stores := make([]*Store, writers)
	runs := make([]int64, writers)
	for i := range stores {
		s, err := Open(db)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		if runs[i], err = s.BeginRun(ctx, Run{Command: "crawl"}); err != nil {
			b.Fatal(err)
		}
		stores[i] = s
	}
	all := make([][][]Record, writers)
	for i := range all {
		all[i] = make([][]Record, benchBatches)
		for j := range all[i] {
			all[i][j] = benchRecords(i*benchBatches + j)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	b.ResetTimer()
	start := time.Now()
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batches := all[i]
			for n := 0; next.Add(benchBatch) <= int64(b.N)+benchBatch-1; n++ {
				if err := s.SaveBatch(ctx, runs[i], batches[n%benchBatches], phiproxy.Stats{Seen: benchBatch, Flagged: benchBatch}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	var stored int
	if err := stores[0].read.QueryRow(`SELECT count(*) FROM flows`).Scan(&stored); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(stored)/elapsed.Seconds(), "flows/s")
}
