package evidence

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/benchcpu"
	"github.com/phiproxy/phiproxy/store"
)

// benchDB saves n flows (the fixture, repeated with distinct URLs) into a
// database under dir and opens it read-only.
func benchDB(tb testing.TB, dir string, n int) *store.Store {
	path := filepath.Join(dir, fmt.Sprintf("bench-%d.db", n))
	w, err := store.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	for saved := 0; saved < n; {
		var batch []store.Record
		for len(batch) < 500 && saved < n {
			for _, r := range fixtureRecords(tb) {
				if saved == n || len(batch) == 500 {
					break
				}
				r.Flow.Request.URL += fmt.Sprintf("&n=%d", saved)
				r.Flow.Start = r.Flow.Start.Add(time.Duration(saved) * time.Second)
				batch = append(batch, r)
				saved++
			}
		}
		if err := w.SaveBatch(ctx, 0, batch, phiproxy.Stats{}); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	s, err := store.OpenReadOnly(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// peakHeap samples HeapInuse while fn runs and returns the highest value
// seen above the heap in use before fn started.
func peakHeap(fn func()) (peak uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var max atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > max.Load() {
				max.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(stop)
	<-done
	if max.Load() < base {
		return 0
	}
	return max.Load() - base
}

func benchExport(b *testing.B, n int, redact bool) {
	s := benchDB(b, b.TempDir(), n)
	out := b.TempDir()
	b.ResetTimer()
	cpu0 := benchcpu.Now()
	var peak uint64
	for i := 0; i < b.N; i++ {
		p := peakHeap(func() {
			if _, err := WriteZip(context.Background(), s, filepath.Join(out, "b.zip"), Options{Redact: redact}); err != nil {
				b.Fatal(err)
			}
		})
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	// CPU time is reported beside wall time because the machines this
	// runs on are shared: it shows the cost of an export without the wait.
	b.ReportMetric(float64((benchcpu.Now()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/flow")
}

// BenchmarkExport1k and BenchmarkExport10k together show that memory does
// not grow with the number of flows: compare their peak-heap-MiB.
func BenchmarkExport1k(b *testing.B)  { benchExport(b, 1_000, false) }
func BenchmarkExport10k(b *testing.B) { benchExport(b, 10_000, false) }

func BenchmarkExport10kRedacted(b *testing.B) { benchExport(b, 10_000, true) }

// TestMemoryDoesNotGrowWithFlows exports 300 and 3,000 flows and compares
// the peak heap: streaming means ten times the flows may not take anywhere
// near ten times the memory.
func TestMemoryDoesNotGrowWithFlows(t *testing.T) {
	if testing.Short() {
		t.Skip("saves 3,300 flows")
	}
	dir := t.TempDir()
	small, large := benchDB(t, dir, 300), benchDB(t, dir, 3_000)
	measure := func(s *store.Store) uint64 {
		var best uint64
		// The lowest of two runs filters out noise from the sampler.
		for i := 0; i < 2; i++ {
			p := peakHeap(func() {
				if _, err := WriteZip(context.Background(), s, filepath.Join(t.TempDir(), "b.zip"), Options{Redact: true}); err != nil {
					t.Fatal(err)
				}
			})
			if i == 0 || p < best {
				best = p
			}
		}
		return best
	}
	ps, pl := measure(small), measure(large)
	t.Logf("peak heap above baseline: 300 flows %.1f MiB, 3000 flows %.1f MiB", float64(ps)/(1<<20), float64(pl)/(1<<20))
	if limit := 3*ps + 4<<20; pl > limit {
		t.Errorf("peak heap grew with flows: %d bytes for 3000 flows vs %d for 300 (limit %d)", pl, ps, limit)
	}
}
