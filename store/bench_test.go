package store

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/benchcpu"
)

// BenchmarkSaveBatch measures the writer's cost per flagged flow: a
// tracker beacon with browser-sized headers and four findings, saved in
// batches of 256 as the pipeline does. Reported per flow.
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
	const batch = 256
	recs := make([]Record, batch)
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
	b.ReportAllocs()
	b.ResetTimer()
	// CPU time as well as wall time: on a shared host the disk and the
	// neighbours make wall time a measure of them.
	start := benchcpu.Now()
	for n := 0; n < b.N; n += batch {
		if err := s.SaveBatch(ctx, runID, recs, phiproxy.Stats{Seen: batch, Inspected: batch, Flagged: batch}); err != nil {
			b.Fatal(err)
		}
	}
	benchcpu.Report(b, start, 0)
}
