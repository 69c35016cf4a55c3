package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/phiproxy/phiproxy/internal/benchmix"
)

// HTTP/2 mode (-h2): a browser speaks HTTP/2 to almost every tracker,
// many requests in flight as streams of few connections. Each target
// gets -conns connections carrying -streams concurrent streams each:
// direct to an origin speaking h2, phiproxy and mitmdump intercepting
// h2, and phiproxy --http1-only with one HTTP/1.1 connection per
// in-flight request, the same concurrency the old way.
var (
	h2Mode    = flag.Bool("h2", false, "instead of the HTTP/1.1 comparison, measure HTTP/2: -conns connections of -streams concurrent streams each, against phiproxy --http1-only with as many HTTP/1.1 connections as streams")
	h2Streams = flag.Int("streams", 16, "with -h2: concurrent streams per connection")
)

// h2Target is a target of the HTTP/2 mode and the protocol its clients
// offer.
type h2Target struct {
	target
	http1 bool // clients offer HTTP/1.1 only, one connection per stream
}

// h2Result is one target's measurement.
type h2Result struct {
	result
	proto string // the protocol the responses came in
	conns int
}

func runH2(phiBin, mitmBin string, conns, streams int, d time.Duration) error {
	return withOrigin(true, func(tmp string, origin *httptest.Server, originPEM string) error {
		return compareH2(phiBin, mitmBin, conns, streams, d, tmp, origin, originPEM)
	})
}

func compareH2(phiBin, mitmBin string, conns, streams int, d time.Duration, tmp string, origin *httptest.Server, originPEM string) error {
	roots := x509.NewCertPool()
	roots.AddCert(origin.Certificate())
	targets := []h2Target{{target: target{name: "direct", roots: roots}}}

	for _, v := range []struct {
		name, args string
		http1      bool
	}{{"phiproxy", "", false}, {"phiproxy-h1", "--http1-only", true}} {
		dir := filepath.Join(tmp, v.name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			return err
		}
		profile := phiProfile
		if profile != "" && v.http1 {
			profile += ".h1" // one profile per phiproxy
		}
		t, stop, err := startPhiproxy(v.name, phiBin, dir, originPEM, profile, strings.Fields(v.args)...)
		if err != nil {
			return err
		}
		defer stop()
		targets = append(targets, h2Target{target: t, http1: v.http1})
	}
	if mitmBin != "" {
		if _, err := exec.LookPath(mitmBin); err != nil {
			fmt.Fprintln(os.Stderr, "proxybench: mitmdump not found, skipping it")
		} else {
			t, stop, err := startMitmdump(mitmBin, tmp, originPEM)
			if err != nil {
				return err
			}
			defer stop()
			targets = append(targets, h2Target{target: t})
		}
	}

	base := origin.URL
	runs := make([][]h2Result, len(targets))
	for _, t := range targets {
		measureH2(t, base, conns, streams, time.Second) // warm-up, unmeasured
	}
	for round := 0; round < rounds; round++ {
		for i, t := range targets {
			r := measureH2(t, base, conns, streams, d)
			runs[i] = append(runs[i], r)
			fmt.Fprintf(os.Stderr, "%-11s %s over %d connections: %8.0f req/s  p50 %v  p99 %v  errors %d  proxy CPU %v/req\n",
				r.name, r.proto, r.conns, r.rps(), r.p50, r.p99, r.errors, r.cpuPerRequest())
		}
	}
	fmt.Fprintf(os.Stdout, "\nproxybench -h2: %d connections x %d streams (phiproxy-h1: %d HTTP/1.1 connections), %v per run, median of %d rounds, loopback, TLS intercepted, %d in 12 requests carry PHI\n\n",
		conns, streams, conns*streams, d, rounds, phiShare)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tbrowser side\tconnections\treq/s\tp50\tp99\terrors\tvs mitmdump\tproxy CPU/req\t")
	var mitm *h2Result
	meds := make([]h2Result, len(runs))
	for i, rs := range runs {
		meds[i] = medianH2(rs)
		if targets[i].name == "mitmdump" {
			mitm = &meds[i]
		}
	}
	for _, m := range meds {
		ratio, cpu := "-", "-"
		if mitm != nil && mitm.rps() > 0 && m.name != "direct" && m.name != "mitmdump" {
			ratio = fmt.Sprintf("%.1fx", m.rps()/mitm.rps())
		}
		if m.name != "direct" {
			cpu = m.cpuPerRequest().Round(time.Microsecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%v\t%v\t%d\t%s\t%s\t\n", m.name, m.proto, m.conns, m.rps(),
			m.p50.Round(time.Microsecond), m.p99.Round(time.Microsecond), m.errors, ratio, cpu)
	}
	return tw.Flush()
}

// measureH2 runs conns connections with streams closed-loop workers each
// for d (for an HTTP/1.1 target, conns*streams connections of one).
func measureH2(t h2Target, base string, conns, streams int, d time.Duration) h2Result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	transports, perTransport := conns, streams
	if t.http1 {
		transports, perTransport = conns*streams, 1
	}
	var total, errs atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	protos := map[string]int64{}
	var wg sync.WaitGroup
	proxyCPU0 := processCPU(t.pid)
	start := time.Now()
	for c := range transports {
		tr := &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: t.roots},
			ForceAttemptHTTP2:   !t.http1,
			MaxConnsPerHost:     1,
			MaxIdleConnsPerHost: 1,
		}
		if t.http1 {
			tr.TLSClientConfig.NextProtos = []string{"http/1.1"}
		}
		if t.proxy != nil {
			tr.Proxy = http.ProxyURL(t.proxy)
		}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		for s := range perTransport {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				local := make([]time.Duration, 0, 4096)
				seen := map[string]int64{}
				for i := 0; i < 10_000_000 && ctx.Err() == nil; i++ {
					t0 := time.Now()
					proto, err := doRequestProto(client, base, i+w)
					if err != nil {
						if ctx.Err() == nil {
							errs.Add(1)
						}
						continue
					}
					local = append(local, time.Since(t0))
					seen[proto]++
					total.Add(1)
				}
				mu.Lock()
				lat = append(lat, local...)
				for p, n := range seen {
					protos[p] += n
				}
				mu.Unlock()
			}(c*perTransport + s)
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	proto := "none"
	var most int64
	for p, n := range protos {
		if n > most {
			proto, most = p, n
		}
	}
	return h2Result{
		result: result{name: t.name, keepAlive: true, requests: total.Load(), errors: errs.Load(), elapsed: elapsed,
			p50: percentile(lat, 0.50), p99: percentile(lat, 0.99), proxyCPU: processCPU(t.pid) - proxyCPU0},
		proto: proto, conns: transports,
	}
}

// doRequestProto sends request i of the mix and returns the protocol
// of the response.
func doRequestProto(c *http.Client, base string, i int) (string, error) {
	e := benchmix.Request(i, phiShare)
	var body io.Reader
	if e.Body != nil {
		body = bytes.NewReader(e.Body)
	}
	req, err := http.NewRequest(e.Method, base+e.Path, body)
	if err != nil {
		return "", err
	}
	if e.ContentType != "" {
		req.Header.Set("Content-Type", e.ContentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	return resp.Proto, nil
}

func medianH2(rs []h2Result) h2Result {
	sorted := append([]h2Result(nil), rs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].rps() < sorted[j].rps() })
	return sorted[(len(sorted)-1)/2]
}
