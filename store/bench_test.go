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
// and four findings each.
func benchRecords() []Record {
	recs := make([]Record, benchBatch)
	for i := range recs {
		r := sampleRecord("https://tracker.example/tr?id=1234567890&ev=PageView&dl=https%3A%2F%2Fclinic.example%2Fconditions%2Fdepression",
			phiproxy.Critical, phiproxy.KindEmail, phiproxy.KindCondition, phiproxy.KindMedication, phiproxy.KindEmail)
		r.Flow.WebSocket = nil
		r.Flow.Request.Header = http.Header{
			"User-Agent":      {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"},
			"Accept":          {"*/*"},
			"Accept-Language": {"en-US,en;q=0.9"},
			"Accept-Encoding": {"gzip, deflate, br"},
			"Content-Type":    {"text/plain"},
			"Origin":          {"https://clinic.example"},
			"Referer":         {"https://clinic.example/conditions/depression"},
		}
		r.Flow.Request.Body = make([]byte, 300)
		recs[i] = r
	}
	return recs
}

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
	recs := benchRecords()
	b.ReportAllocs()
	b.ResetTimer()
	// CPU time as well as wall time: on a shared host the disk and the
	// neighbours make wall time a measure of them.
	start := benchcpu.Now()
	for n := 0; n < b.N; n += benchBatch {
		if err := s.SaveBatch(ctx, runID, recs, phiproxy.Stats{Seen: benchBatch, Inspected: benchBatch, Flagged: benchBatch}); err != nil {
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
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	b.ResetTimer()
	start := time.Now()
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs := benchRecords()
			for next.Add(benchBatch) <= int64(b.N)+benchBatch-1 {
				if err := s.SaveBatch(ctx, runs[i], recs, phiproxy.Stats{Seen: benchBatch, Flagged: benchBatch}); err != nil {
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
