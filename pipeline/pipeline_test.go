package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// flagEmails is an inspector that flags flows whose URL contains "@".
var flagEmails = phiproxy.InspectorFunc(func(f *phiproxy.Flow) phiproxy.Inspection {
	in := phiproxy.Inspection{Destination: phiproxy.Destination{Host: f.Request.URLHost(), Party: phiproxy.ThirdParty}}
	if i := strings.Index(f.Request.URL, "@"); i >= 0 {
		in.Findings = []phiproxy.Finding{{Kind: phiproxy.KindEmail, Term: "x@y", Value: "x@y", Path: "url", Source: phiproxy.SourcePattern, Severity: phiproxy.Medium}}
		in.Severity = phiproxy.Medium
	}
	return in
})

func flow(url string) *phiproxy.Flow {
	return &phiproxy.Flow{Start: time.Now(), Request: phiproxy.Request{Method: "GET", URL: url, BodySize: 0}}
}

func TestStoresFlaggedAndCounts(t *testing.T) {
	for _, storeAll := range []bool{false, true} {
		s := openStore(t)
		ctx := context.Background()
		run, _ := s.BeginRun(ctx, store.Run{Command: "run"})
		var mu sync.Mutex
		var saved int
		p, err := New(Config{Inspector: flagEmails, Store: s, RunID: run, StoreAll: storeAll, Workers: 2,
			OnSaved: func(recs []store.Record) {
				mu.Lock()
				defer mu.Unlock()
				for _, r := range recs {
					if r.Flow.ID == 0 {
						t.Error("OnSaved got a record without an ID")
					}
				}
				saved += len(recs)
			}})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 300; i++ {
			u := "https://t.example/p?i=" + string(rune('a'+i%26))
			if i%3 == 0 {
				u += "&e=x@y.example"
			}
			if !p.Submit(flow(u)) {
				t.Fatalf("submit %d refused", i)
			}
		}
		if err := p.Close(ctx); err != nil {
			t.Fatal(err)
		}
		n, _ := s.CountFlows(ctx, store.Filter{})
		wantRows := 100
		if storeAll {
			wantRows = 300
		}
		if n != wantRows {
			t.Errorf("storeAll=%v rows: got %d, want %d", storeAll, n, wantRows)
		}
		if saved != wantRows {
			t.Errorf("storeAll=%v OnSaved records: got %d, want %d", storeAll, saved, wantRows)
		}
		st, _ := s.Stats(ctx)
		if want := (phiproxy.Stats{Seen: 300, Inspected: 300, Flagged: 100}); st != want {
			t.Errorf("storeAll=%v stored stats: got %+v, want %+v", storeAll, st, want)
		}
		if p.Submit(flow("https://late.example/")) {
			t.Error("submit after Close accepted")
		}
	}
}

func TestFullQueueDropsWithoutBlocking(t *testing.T) {
	s := openStore(t)
	gate := make(chan struct{})
	slow := phiproxy.InspectorFunc(func(f *phiproxy.Flow) phiproxy.Inspection {
		<-gate
		return flagEmails(f)
	})
	run, _ := s.BeginRun(context.Background(), store.Run{Command: "run"})
	p, err := New(Config{Inspector: slow, Store: s, RunID: run, QueueSize: 4, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	accepted := 0
	for i := 0; i < 100; i++ {
		if p.Submit(flow("https://t.example/?e=a@b.example")) {
			accepted++
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Submit blocked for %v", d)
	}
	// One flow is held by the worker, four wait in the queue.
	if accepted > 5 || accepted < 4 {
		t.Fatalf("accepted: got %d, want 4 or 5", accepted)
	}
	st := p.Stats()
	if st.Dropped != int64(100-accepted) || st.Seen != 100 {
		t.Fatalf("stats: got %+v", st)
	}
	close(gate)
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	n, _ := s.CountFlows(context.Background(), store.Filter{})
	if n != accepted {
		t.Fatalf("stored: got %d, want every accepted flow (%d)", n, accepted)
	}
	stored, _ := s.Stats(context.Background())
	if stored.Dropped != int64(100-accepted) {
		t.Fatalf("stored dropped: got %d, want %d", stored.Dropped, 100-accepted)
	}
}

func TestPanickingInspectorIsContained(t *testing.T) {
	s := openStore(t)
	boom := phiproxy.InspectorFunc(func(f *phiproxy.Flow) phiproxy.Inspection { panic("hostile payload") })
	p, err := New(Config{Inspector: boom, Store: s, StoreAll: true})
	if err != nil {
		t.Fatal(err)
	}
	p.Submit(flow("https://t.example/"))
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got *store.FlowDetail
	s.EachFlow(context.Background(), store.Filter{}, func(d *store.FlowDetail) error { got = d; return nil })
	if got == nil || len(got.Inspection.Notes) != 1 || !strings.Contains(got.Inspection.Notes[0], "hostile payload") {
		t.Fatalf("stored flow after panic: %+v", got)
	}
}

func TestCloseWaitsForSlowInspection(t *testing.T) {
	s := openStore(t)
	slow := phiproxy.InspectorFunc(func(f *phiproxy.Flow) phiproxy.Inspection {
		time.Sleep(2 * time.Millisecond)
		return flagEmails(f)
	})
	p, _ := New(Config{Inspector: slow, Store: s, Workers: 2, QueueSize: 1000})
	for i := 0; i < 500; i++ {
		p.Submit(flow("https://t.example/?e=a@b.example"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	n, _ := s.CountFlows(context.Background(), store.Filter{})
	if n != 500 {
		t.Fatalf("stored after Close: got %d, want 500", n)
	}
}

func TestSubmitWaitInspectsEverything(t *testing.T) {
	s := openStore(t)
	slow := phiproxy.InspectorFunc(func(f *phiproxy.Flow) phiproxy.Inspection {
		time.Sleep(100 * time.Microsecond)
		return flagEmails(f)
	})
	p, _ := New(Config{Inspector: slow, Store: s, Workers: 1, QueueSize: 2})
	for i := 0; i < 200; i++ {
		if err := p.SubmitWait(context.Background(), flow("https://t.example/?e=a@b.example")); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := p.Stats(); st.Dropped != 0 || st.Inspected != 200 {
		t.Fatalf("stats: got %+v, want 200 inspected and none dropped", st)
	}
	if err := p.SubmitWait(context.Background(), flow("https://x.example/")); err == nil {
		t.Fatal("SubmitWait after Close: got nil error")
	}
}

func TestByteBudgetDropsLargeFlowsAndIsReleased(t *testing.T) {
	s := openStore(t)
	gate := make(chan struct{})
	slow := phiproxy.InspectorFunc(func(f *phiproxy.Flow) phiproxy.Inspection {
		<-gate
		return flagEmails(f)
	})
	p, _ := New(Config{Inspector: slow, Store: s, Workers: 1, QueueSize: 100, MaxBytes: 10 << 20})
	big := func() *phiproxy.Flow {
		f := flow("https://t.example/up?e=a@b.example")
		f.Request.Body = make([]byte, 4<<20)
		return f
	}
	accepted := 0
	for i := 0; i < 10; i++ {
		if p.Submit(big()) {
			accepted++
		}
	}
	// 10 MiB holds two 4 MiB bodies; the rest are dropped, not queued.
	if accepted != 2 || p.Stats().Dropped != 8 {
		t.Fatalf("accepted %d, dropped %d; want 2 and 8", accepted, p.Stats().Dropped)
	}
	if got := p.HeldBytes(); got != 8<<20 {
		t.Fatalf("held: got %d, want %d", got, 8<<20)
	}
	// Small flows still fit.
	if !p.Submit(flow("https://t.example/?e=a@b.example")) {
		t.Fatal("a flow without a body was refused")
	}
	close(gate)
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := p.HeldBytes(); got != 0 {
		t.Fatalf("held after Close: got %d, want 0", got)
	}
}

// TestBudgetCountsInspectionResults checks that what inspection produces
// counts against MaxBytes: each flow here is small, but its inspection
// holds a 4 MiB field, and the writer is slow. Counting only captured
// bytes let every result pile up in front of the writer.
func TestBudgetCountsInspectionResults(t *testing.T) {
	const (
		budget = 8 << 20
		field  = 4 << 20
		flows  = 24
	)
	bigField := phiproxy.InspectorFunc(func(f *phiproxy.Flow) phiproxy.Inspection {
		// A fresh field per flow, as decoding a real body makes.
		text := strings.Repeat(f.Request.URL[len(f.Request.URL)-1:], field)
		return phiproxy.Inspection{
			Destination: phiproxy.Destination{Host: "tracker.test", Party: phiproxy.ThirdParty},
			Findings:    []phiproxy.Finding{{Kind: phiproxy.KindEmail, Term: "x@y", Value: "x@y", Field: text, Path: "body", Source: phiproxy.SourcePattern, Severity: phiproxy.Medium}},
			Severity:    phiproxy.Medium,
		}
	})
	s := openStore(t)
	ctx := context.Background()
	run, _ := s.BeginRun(ctx, store.Run{Command: "run"})
	var saved sync.WaitGroup
	saved.Add(flows)
	p, err := New(Config{Inspector: bigField, Store: s, RunID: run, MaxBytes: budget, Workers: 2,
		OnSaved: func(recs []store.Record) {
			time.Sleep(20 * time.Millisecond) // a slow disk
			for range recs {
				saved.Done()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	// Sample the live heap until the pipeline is closed.
	var peak uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.GC()
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base {
				peak = max(peak, ms.HeapAlloc-base)
			}
		}
	}()
	for i := 0; i < flows; i++ {
		if err := p.SubmitWait(ctx, flow(fmt.Sprintf("https://tracker.test/e?n=%d", i%10))); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	saved.Wait()
	close(stop)
	<-sampled
	if got := p.Stats().Flagged; got != flows {
		t.Fatalf("flagged: got %d, want %d", got, flows)
	}
	// The budget; per worker, one result admitted just past it and one
	// made and waiting for room; and a field's worth of slack for the
	// sampler's own garbage. All of it on the heap at once, as before
	// inspection results counted, was 95 MiB.
	if limit := uint64(budget + 5*field); peak > limit {
		t.Fatalf("live heap peaked %d MiB above the start, want at most %d MiB", peak>>20, limit>>20)
	}
	t.Logf("live heap peaked %d MiB above the start", peak>>20)
	if held := p.HeldBytes(); held != 0 {
		t.Fatalf("held bytes after close: got %d, want 0", held)
	}
}
