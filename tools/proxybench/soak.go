package main

// The soak: a long run of the mix through phiproxy alone, to show that
// its memory stays bounded and flat over a million requests.

import (
	"fmt"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"
)

// soakStep is how many requests pass between two RSS lines.
const soakStep = 100_000

// runSoak sends total requests of the mix through phiproxy on conns
// keep-alive connections and prints phiproxy's RSS, CPU per request and
// throughput after every 100,000 requests, then its peak RSS.
func runSoak(phiBin string, total, conns int) error {
	return withOrigin(false, func(tmp string, origin *httptest.Server, originPEM string) error {
		return soakPhiproxy(phiBin, total, conns, tmp, origin, originPEM)
	})
}

func soakPhiproxy(phiBin string, total, conns int, tmp string, origin *httptest.Server, originPEM string) error {
	raw, err := startRawOrigin(origin.TLS.Certificates[0])
	if err != nil {
		return err
	}
	defer raw.close()
	t, stop, err := startPhiproxy("phiproxy", phiBin, tmp, originPEM, phiProfile)
	if err != nil {
		return err
	}
	defer stop()
	return soak(t, raw.addr(), total, conns)
}

// soak drives t and prints a line every soakStep requests.
func soak(t target, originAddr string, total, conns int) error {
	fmt.Printf("soak: %d requests of the mix through %s, %d keep-alive connections, %d in 12 with PHI (phiproxy args: %q)\n\n", total, t.name, conns, phiShare, phiArgs)
	fmt.Printf("%10s  %8s  %8s  %10s  %6s\n", "requests", "RSS", "peak RSS", "CPU/req", "req/s")
	var started, completed, errs atomic.Int64
	reqs := buildRequests(originAddr)
	var wg sync.WaitGroup
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rc := &rawClient{t: t, origin: originAddr, keepAlive: true, timeout: 10 * time.Second}
			defer rc.close()
			// Bounded by the request count; a run of failures ends it.
			for i := w; started.Add(1) <= int64(total); i += conns {
				if err := rc.do(reqs, i); err != nil && errs.Add(1) > 1000 {
					return
				}
				completed.Add(1)
			}
		}(w)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	cpu0, t0 := processCPU(t.pid), time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for next, finished := int64(soakStep), false; !finished; {
		select {
		case <-done:
			finished = true
		case <-tick.C:
		}
		if n := completed.Load(); n >= next || finished && n > next-soakStep {
			cpu, now := processCPU(t.pid), time.Now()
			step := n - (next - soakStep)
			fmt.Printf("%10d  %5d MiB  %5d MiB  %10v  %6.0f\n", n, processRSS(t.pid)>>20, processPeakRSS(t.pid)>>20,
				((cpu - cpu0) / time.Duration(max(step, 1))).Round(time.Microsecond), float64(step)/now.Sub(t0).Seconds())
			cpu0, t0, next = cpu, now, n+soakStep
		}
	}
	fmt.Printf("\nerrors %d, peak RSS %d MiB\n", errs.Load(), processPeakRSS(t.pid)>>20)
	if errs.Load() > 1000 {
		return fmt.Errorf("soak: %d errors", errs.Load())
	}
	return nil
}
