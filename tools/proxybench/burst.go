package main

// The upload burst: many clients posting large PHI bodies at once, the load
// that tests whether --queue-bytes really bounds phiproxy's memory. It
// prints phiproxy's resident set size while the burst runs and while the
// backlog drains at shutdown.

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// burstConfig is the -upload-burst mode's load.
type burstConfig struct {
	clients  int
	bodySize int
	duration time.Duration
}

// runBurst starts an origin and phiproxy, has cfg.clients clients post
// cfg.bodySize PHI bodies for cfg.duration, then stops phiproxy (which
// drains what it accepted) and reports peak RSS for both phases.
func runBurst(phiBin string, cfg burstConfig) error {
	return withOrigin(false, func(tmp string, origin *httptest.Server, originPEM string) error {
		return burst(phiBin, cfg, tmp, origin, originPEM)
	})
}

// withOrigin runs f with a temporary folder and the net/http origin
// (offering h2 when h2 is set) started in it, and removes both afterwards.
func withOrigin(h2 bool, f func(tmp string, origin *httptest.Server, originPEM string) error) error {
	tmp, err := os.MkdirTemp("", "proxybench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	origin, originPEM, err := startOrigin(tmp, h2)
	if err != nil {
		return err
	}
	defer origin.Close()
	return f(tmp, origin, originPEM)
}

func burst(phiBin string, cfg burstConfig, tmp string, origin *httptest.Server, originPEM string) error {
	phi, stop, err := startPhiproxy("phiproxy", phiBin, tmp, originPEM, phiProfile)
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()

	// peaks[0] is the burst's peak RSS, peaks[1] the drain's.
	var peaks [2]atomic.Int64
	var phase atomic.Int32
	done := make(chan struct{})
	var samplerWG sync.WaitGroup
	samplerWG.Add(1)
	go func() {
		defer samplerWG.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				peak := &peaks[phase.Load()]
				if rss := processRSS(phi.pid); rss > peak.Load() {
					peak.Store(rss)
				}
			}
		}
	}()

	var sent, failed, sentBytes atomic.Int64
	deadline := time.Now().Add(cfg.duration)
	var wg sync.WaitGroup
	for c := 0; c < cfg.clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			tr := &http.Transport{
				Proxy:               http.ProxyURL(phi.proxy),
				TLSClientConfig:     &tls.Config{RootCAs: phi.roots},
				MaxIdleConnsPerHost: 1,
			}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
			// Bounded by the deadline and a hard cap on uploads.
			for i := 0; i < 100_000 && time.Now().Before(deadline); i++ {
				body := uploadBody(c, i, cfg.bodySize)
				req, err := http.NewRequest("POST", origin.URL+"/v1/batch?session="+strconv.Itoa(c)+"-"+strconv.Itoa(i), bytes.NewReader(body))
				if err != nil {
					failed.Add(1)
					continue
				}
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				sent.Add(1)
				sentBytes.Add(int64(len(body)))
			}
		}(c)
	}
	wg.Wait()
	elapsed := cfg.duration
	phase.Store(1)
	// Stopping drains every accepted flow through inspection and storage.
	t0 := time.Now()
	stop()
	stopped = true
	drain := time.Since(t0)
	close(done)
	samplerWG.Wait()

	fmt.Printf("upload burst: %d clients x %d KiB bodies for %v (phiproxy args: %q)\n", cfg.clients, cfg.bodySize>>10, elapsed, phiArgs)
	fmt.Printf("  uploads      %d ok, %d failed, %.0f MiB sent\n", sent.Load(), failed.Load(), float64(sentBytes.Load())/(1<<20))
	fmt.Printf("  peak RSS     %.0f MiB during the burst, %.0f MiB while draining (%v)\n",
		float64(peaks[0].Load())/(1<<20), float64(peaks[1].Load())/(1<<20), drain.Round(time.Millisecond))
	return nil
}

// uploadBody is a session-replay-like JSON batch of about size bytes whose
// events carry an email and a condition, with IDs and times unique to
// client c's upload i, so that no two bodies are alike.
func uploadBody(c, i, size int) []byte {
	var b bytes.Buffer
	b.Grow(size + 512)
	fmt.Fprintf(&b, `{"session_id":"s-%d-%d","events":[`, c, i)
	ts := time.Now().UnixMilli()
	for n := 0; b.Len() < size; n++ {
		if n > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"e-%d-%d-%d","ts":%d,"type":"input","text":"patient p%d.%d@example.com asked about depression and sertraline dosage, visit %d","target":"#intake-%d"}`,
			c, i, n, ts+int64(n), c, i, n, n%97)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// processRSS is process pid's resident set size in bytes (VmRSS), 0 when
// unknown.
func processRSS(pid int) int64 { return processStatusBytes(pid, "VmRSS:") }

// processPeakRSS is the peak resident set size of process pid so far
// (VmHWM), 0 if unknown.
func processPeakRSS(pid int) int64 { return processStatusBytes(pid, "VmHWM:") }

// processStatusBytes reads a size in kB from /proc/PID/status.
func processStatusBytes(pid int, field string) int64 {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
