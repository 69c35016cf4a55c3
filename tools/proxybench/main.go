// Command proxybench measures phiproxy's throughput, CPU cost and added
// latency on loopback, side by side with a direct connection and with
// mitmdump (the tool users would otherwise pick), all intercepting TLS.
//
//	go run ./tools/proxybench -phiproxy ./bin/phiproxy
//
// Each target gets the same tracker-like request mix from -conns
// keep-alive connections, then with a new connection per request, then at
// a fixed -rate. Targets take turns for -rounds rounds of -duration each;
// every target is reported by its median round, and its ratios to
// mitmdump are taken round by round against mitmdump's round next to it,
// so that a shared host's fast and slow spells cancel out.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/phiproxy/phiproxy/internal/benchmix"
)

func main() {
	phiBin := flag.String("phiproxy", "bin/phiproxy", "phiproxy binary")
	mitm := flag.String("mitmdump", "mitmdump", "mitmdump binary (empty to skip)")
	flag.StringVar(&phiBinB, "phiproxy-b", "", "a second phiproxy `binary` measured beside the first as \"phiproxy-b\" (another build, to compare two builds in one run)")
	bare := flag.String("bareproxy", "bin/bareproxy", "the bare goproxy binary, the library floor (go build -o bin/bareproxy ./tools/bareproxy; empty to skip)")
	flag.StringVar(&phiProfile, "cpuprofile", "", "have phiproxy write a CPU profile to this `file`")
	selfProfile := flag.String("benchprofile", "", "write proxybench's own CPU profile (load generator and origin) to this `file`")
	flag.IntVar(&phiShare, "phi-share", phiShare, "how many requests in every 12 carry PHI (12: all, the worst case for the proxy, which stores and reports each)")
	flag.StringVar(&proxyCPUs, "proxy-cpus", "", "pin each proxy to these `cpus` (taskset list, e.g. 1); run proxybench itself under taskset on the others")
	flag.IntVar(&rounds, "rounds", 5, "measure each target this many times, taking turns, and report its median round")
	flag.IntVar(&rate, "rate", 500, "also measure latency at this fixed total `req/s` (0 to skip)")
	flag.BoolVar(&newConns, "new-conns", true, "also measure with a new connection per request")
	flag.StringVar(&client, "client", "raw", "load generator: raw (pre-built requests on one TLS connection per worker) or nethttp (net/http's Transport)")
	flag.StringVar(&originKind, "origin", "raw", "origin server: raw (answers from pre-built bytes on the connection's goroutine) or nethttp (net/http's server)")
	flag.StringVar(&phiArgs, "phiproxy-args", "", "extra `flags` for phiproxy run, space-separated (e.g. \"--workers 1\")")
	flag.StringVar(&phiEnv, "phiproxy-env", "", "extra `NAME=VALUE` in phiproxy's environment (e.g. GOGC=200)")
	conns := flag.Int("conns", 8, "concurrent keep-alive connections")
	duration := flag.Duration("duration", 3*time.Second, "measuring time per target and mode")
	soak := flag.Int("soak", 0, "instead of the comparison, send this many requests of the mix through phiproxy and print its RSS every 100,000")
	burst := flag.Bool("upload-burst", false, "instead of the comparison, measure phiproxy's peak RSS under -burst-clients clients uploading -burst-size PHI bodies for -burst-duration")
	burstClients := flag.Int("burst-clients", 12, "with -upload-burst: concurrent uploading clients")
	burstSize := flag.Int("burst-size", 1<<20, "with -upload-burst: body `bytes` per upload")
	burstDuration := flag.Duration("burst-duration", 10*time.Second, "with -upload-burst: how long the clients upload")
	flag.Parse()
	if *burst {
		if err := runBurst(*phiBin, burstConfig{clients: *burstClients, bodySize: *burstSize, duration: *burstDuration}); err != nil {
			fmt.Fprintln(os.Stderr, "proxybench:", err)
			os.Exit(1)
		}
		return
	}
	if rounds < 1 {
		rounds = 1
	}
	if rounds%2 == 0 {
		rounds++ // a median of an odd count is a round that happened
	}
	if *h2Mode {
		if err := runH2(*phiBin, *mitm, *conns, *h2Streams, *duration); err != nil {
			fmt.Fprintln(os.Stderr, "proxybench:", err)
			os.Exit(1)
		}
		return
	}
	if client != "raw" && client != "nethttp" || originKind != "raw" && originKind != "nethttp" {
		fmt.Fprintln(os.Stderr, "proxybench: -client and -origin must each be raw or nethttp")
		os.Exit(2)
	}
	if *selfProfile != "" {
		f, err := os.Create(*selfProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "proxybench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *soak > 0 {
		if err := runSoak(*phiBin, *soak, *conns); err != nil {
			fmt.Fprintln(os.Stderr, "proxybench:", err)
			os.Exit(1)
		}
		return
	}
	bareBin = *bare
	if err := run(*phiBin, *mitm, *conns, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "proxybench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

var (
	phiProfile, phiEnv string
	phiArgs            string
	client, originKind string
	newConns           bool
	rate, rounds       int
	proxyCPUs          string
	bareBin, phiBinB   string
	// phiShare is how many requests in every 12 carry PHI (-phi-share).
	phiShare = 3
)

type target struct {
	name  string
	proxy *url.URL // nil = direct
	roots *x509.CertPool
	pid   int // the proxy's process, for its CPU time; 0 = direct
}

type result struct {
	name      string
	keepAlive bool
	requests  int64
	errors    int64
	elapsed   time.Duration
	p50, p99  time.Duration
	// proxyCPU and benchCPU are the CPU time the proxy process and
	// proxybench itself (load generator and origin) used during the run.
	proxyCPU, benchCPU time.Duration
	// syscalls counts the proxy's read and write system calls (socket,
	// file and pipe alike) during the run.
	syscalls int64
	// pairedRatios are this target's throughput and CPU efficiency over
	// mitmdump's, round by round (with -rounds).
	pairedRatios, pairedCPURatios []float64
	// pairedBare and pairedBareCPU are this target's throughput and CPU
	// per request over the bare goproxy's, round by round.
	pairedBare, pairedBareCPU []float64
	// peakRSS is the proxy's peak resident set size since it started.
	peakRSS int64
	samples []time.Duration // sorted latencies
}

// percentile of sorted latencies, 0 when there are none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(p*float64(len(sorted)-1))]
}

// cpuPerRequest is the proxy's CPU time per request served: what the
// proxy costs, independent of how the machine's cores are shared.
func (r result) cpuPerRequest() time.Duration {
	if r.requests == 0 {
		return 0
	}
	return r.proxyCPU / time.Duration(r.requests)
}

// callsPerRequest describes the proxy's read and write calls per request.
// /proc counts read(2) and write(2) but not recv(2) and send(2), which
// Python's asyncio uses, so for mitmdump it says nothing.
func (r result) callsPerRequest() string {
	if r.syscalls == 0 || r.requests == 0 {
		return "read+write calls n/a"
	}
	return fmt.Sprintf("read+write calls %.1f/req", float64(r.syscalls)/float64(r.requests))
}

func (r result) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func run(phiBin, mitmBin string, conns int, d time.Duration) error {
	return withOrigin(false, func(tmp string, origin *httptest.Server, originPEM string) error {
		return compare(phiBin, mitmBin, conns, d, tmp, origin, originPEM)
	})
}

func compare(phiBin, mitmBin string, conns int, d time.Duration, tmp string, origin *httptest.Server, originPEM string) error {
	originRoots := x509.NewCertPool()
	originRoots.AddCert(origin.Certificate())
	// The test certificate names 127.0.0.1, so both proxies can verify the
	// origin without name overrides.
	base := origin.URL
	if originKind == "raw" {
		raw, err := startRawOrigin(origin.TLS.Certificates[0])
		if err != nil {
			return err
		}
		defer raw.close()
		base = "https://" + raw.addr()
	}

	targets := []target{{name: "direct", roots: originRoots}}

	phi, stopPhi, err := startPhiproxy("phiproxy", phiBin, tmp, originPEM, phiProfile)
	if err != nil {
		return err
	}
	defer stopPhi()
	targets = append(targets, phi)

	if phiBinB != "" {
		t, stopB, err := startPhiproxyB(phiBinB, tmp, originPEM)
		if err != nil {
			return err
		}
		defer stopB()
		targets = append(targets, t)
	}

	if bareBin != "" {
		if _, err := os.Stat(bareBin); err != nil {
			fmt.Fprintf(os.Stderr, "proxybench: %s not found, skipping the bare goproxy (go build -o %s ./tools/bareproxy)\n", bareBin, bareBin)
		} else {
			t, stopBare, err := startBare(bareBin, tmp, originPEM)
			if err != nil {
				return err
			}
			defer stopBare()
			targets = append(targets, t)
		}
	}

	if mitmBin != "" {
		if _, err := exec.LookPath(mitmBin); err != nil {
			fmt.Fprintln(os.Stderr, "proxybench: mitmdump not found, skipping it")
		} else {
			t, stopM, err := startMitmdump(mitmBin, tmp, originPEM)
			if err != nil {
				return err
			}
			defer stopM()
			targets = append(targets, t)
		}
	}

	var results []result
	modes := []bool{true, false}
	if !newConns {
		modes = modes[:1]
	}
	for _, keepAlive := range modes {
		// Targets take turns, round after round, so that a slow spell of
		// a shared host falls on all of them; each is reported by its
		// median round.
		runs := make([][]result, len(targets))
		// A second unmeasured per target first: mitmdump's first seconds
		// after start are markedly slower than its steady state.
		for _, t := range targets {
			measure(t, base, conns, time.Second, keepAlive, 0)
		}
		for round := 0; round < rounds; round++ {
			for i, t := range targets {
				r := measure(t, base, conns, d, keepAlive, 0)
				runs[i] = append(runs[i], r)
				fmt.Fprintf(os.Stderr, "%-9s keepalive=%-5v %8.0f req/s  p50 %v  p99 %v  errors %d  proxy CPU %v/req  %s  bench CPU %v\n",
					r.name, keepAlive, r.rps(), r.p50, r.p99, r.errors, r.cpuPerRequest(), r.callsPerRequest(), r.benchCPU.Round(time.Millisecond))
			}
		}
		mitm, bare := -1, -1
		for i, t := range targets {
			switch t.name {
			case "mitmdump":
				mitm = i
			case bareName:
				bare = i
			}
		}
		for i, rs := range runs {
			m := median(rs)
			if mitm >= 0 && i != mitm {
				// Each round against mitmdump's round next to it in
				// time, so that a fast or slow spell of the host
				// cancels out of the ratio.
				for j, r := range rs {
					if mr := runs[mitm][j]; mr.rps() > 0 {
						m.pairedRatios = append(m.pairedRatios, r.rps()/mr.rps())
						m.pairedCPURatios = append(m.pairedCPURatios, float64(mr.cpuPerRequest())/float64(max(r.cpuPerRequest(), 1)))
					}
				}
			}
			if bare >= 0 && i != bare && targets[i].pid != 0 {
				m.pairedBare, m.pairedBareCPU = pairWith(rs, runs[bare])
			}
			m.peakRSS = processPeakRSS(targets[i].pid)
			results = append(results, m)
		}
	}
	report(os.Stdout, results, conns, d)
	if rate > 0 {
		// Added latency means little at saturation, where every process
		// on two cores queues behind the others: measure it at a load all
		// three targets can carry.
		pace := time.Duration(float64(conns) / float64(rate) * float64(time.Second))
		// With -rounds the targets take turns again, and each one's
		// latencies are pooled over its rounds.
		paced := make([]result, len(targets))
		for round := 0; round < rounds; round++ {
			for i, t := range targets {
				r := measure(t, base, conns, d, true, pace)
				fmt.Fprintf(os.Stderr, "%-9s at %d req/s: p50 %v  p99 %v  errors %d\n", r.name, rate, r.p50, r.p99, r.errors)
				pooled := paced[i]
				pooled.name = r.name
				pooled.requests += r.requests
				pooled.errors += r.errors
				pooled.elapsed += r.elapsed
				pooled.samples = append(pooled.samples, r.samples...)
				paced[i] = pooled
			}
		}
		for i := range paced {
			sort.Slice(paced[i].samples, func(a, b int) bool { return paced[i].samples[a] < paced[i].samples[b] })
			paced[i].p50, paced[i].p99 = percentile(paced[i].samples, 0.50), percentile(paced[i].samples, 0.99)
		}
		fmt.Fprintf(os.Stdout, "\nlatency at a fixed %d req/s (keep-alive, %d s per target):\n\n", rate, int(float64(rounds)*d.Seconds()))
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "target\treq/s\tp50\tp99\terrors\tadded p50\tadded p99\t")
		for _, r := range paced {
			fmt.Fprintf(tw, "%s\t%.0f\t%v\t%v\t%d\t%v\t%v\t\n", r.name, r.rps(), r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.errors,
				(r.p50 - paced[0].p50).Round(time.Microsecond), (r.p99 - paced[0].p99).Round(time.Microsecond))
		}
		tw.Flush()
	}
	return nil
}

func doRequest(c *http.Client, base string, i int) error {
	_, err := doRequestProto(c, base, i)
	return err
}

// measure runs conns closed-loop workers for d. With pace > 0 each worker
// sends one request per pace instead of as fast as it can, so latency is
// measured at a fixed load rather than at saturation.
func measure(t target, base string, conns int, d time.Duration, keepAlive bool, pace time.Duration) result {
	var total, errs atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	reqs := buildRequests(originHostPort(base))
	proxyCPU0, benchCPU0 := processCPU(t.pid), processCPU(os.Getpid())
	sys0 := processSyscalls(t.pid)
	start := time.Now()
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			do := func(i int) error { return nil }
			if client == "raw" {
				rc := &rawClient{t: t, origin: originHostPort(base), keepAlive: keepAlive, timeout: 10 * time.Second}
				defer rc.close()
				do = func(i int) error { return rc.do(reqs, i) }
			} else {
				tr := &http.Transport{
					TLSClientConfig:     &tls.Config{RootCAs: t.roots},
					MaxConnsPerHost:     1,
					MaxIdleConnsPerHost: 1,
					DisableKeepAlives:   !keepAlive,
					ForceAttemptHTTP2:   false,
				}
				if t.proxy != nil {
					tr.Proxy = http.ProxyURL(t.proxy)
				}
				defer tr.CloseIdleConnections()
				c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
				do = func(i int) error { return doRequest(c, base, i) }
			}
			local := make([]time.Duration, 0, 4096)
			next := time.Now().Add(time.Duration(w) * pace / time.Duration(conns))
			// Bounded by the context's deadline and a hard cap on requests.
			for i := 0; i < 10_000_000 && ctx.Err() == nil; i++ {
				if pace > 0 {
					time.Sleep(time.Until(next))
					next = next.Add(pace)
				}
				t0 := time.Now()
				if err := do(i + w); err != nil {
					errs.Add(1)
					continue
				}
				local = append(local, time.Since(t0))
				total.Add(1)
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	proxyCPU, benchCPU := processCPU(t.pid)-proxyCPU0, processCPU(os.Getpid())-benchCPU0
	syscalls := processSyscalls(t.pid) - sys0
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return percentile(lat, p) }
	return result{name: t.name, keepAlive: keepAlive, requests: total.Load(), errors: errs.Load(), elapsed: elapsed, p50: pct(0.50), p99: pct(0.99),
		proxyCPU: proxyCPU, benchCPU: benchCPU, syscalls: syscalls, samples: lat}
}

// median is the round with the median throughput (rs has an odd count).
func median(rs []result) result {
	sorted := append([]result(nil), rs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].rps() < sorted[j].rps() })
	return sorted[(len(sorted)-1)/2]
}

// spread is the median of vs and their range: "9.8x (8.9-11.2x)".
func spread(vs []float64, unit string) string {
	sorted := append([]float64(nil), vs...)
	sort.Float64s(sorted)
	return fmt.Sprintf("%.1f%s (%.1f-%.1f)", sorted[len(sorted)/2], unit, sorted[0], sorted[len(sorted)-1])
}

func report(w io.Writer, rs []result, conns int, d time.Duration) {
	if rounds > 1 {
		fmt.Fprintf(w, "\nmedian round of %d per target, taken in turns; ratios to mitmdump are the median (and range) of each round against mitmdump's next to it", rounds)
	}
	fmt.Fprintf(w, "\nproxybench: %d connections, %v per run, loopback, TLS intercepted by every proxy, %d in 12 requests carry PHI, client %s, origin %s\n\n", conns, d, phiShare, client, originKind)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tconnections\treq/s\tp50\tp99\terrors\tvs mitmdump\tadded p99\tproxy CPU/req\tCPU/req vs mitmdump\treq/s vs goproxy\tCPU/req vs goproxy\tpeak RSS\t")
	find := func(name string, ka bool) *result {
		for i := range rs {
			if rs[i].name == name && rs[i].keepAlive == ka {
				return &rs[i]
			}
		}
		return nil
	}
	for _, r := range rs {
		mode := "keep-alive"
		if !r.keepAlive {
			mode = "new per request"
		}
		ratio, added, cpu, cpuRatio := "-", "-", "-", "-"
		if r.name != "direct" {
			cpu = r.cpuPerRequest().Round(time.Microsecond).String()
		}
		if m := find("mitmdump", r.keepAlive); m != nil && m.rps() > 0 && r.name != "direct" {
			ratio = fmt.Sprintf("%.1fx", r.rps()/m.rps())
			if c := r.cpuPerRequest(); c > 0 {
				cpuRatio = fmt.Sprintf("%.1fx less", float64(m.cpuPerRequest())/float64(c))
			}
			if len(r.pairedRatios) > 1 && r.name != "mitmdump" {
				ratio = spread(r.pairedRatios, "x")
				cpuRatio = spread(r.pairedCPURatios, "x less")
			}
		}
		if dr := find("direct", r.keepAlive); dr != nil && r.name != "direct" {
			added = (r.p99 - dr.p99).Round(time.Microsecond).String()
		}
		vsBare, cpuVsBare, rss := "-", "-", "-"
		if len(r.pairedBare) > 0 {
			vsBare, cpuVsBare = spread(r.pairedBare, "x"), spread(r.pairedBareCPU, "x")
		}
		if r.peakRSS > 0 {
			rss = fmt.Sprintf("%d MiB", r.peakRSS>>20)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%v\t%v\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.name, mode, r.rps(), r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.errors, ratio, added, cpu, cpuRatio, vsBare, cpuVsBare, rss)
	}
	tw.Flush()
}

// startOrigin serves the pixel over TLS with net/http on loopback, offering
// h2 besides http/1.1 when h2 is set, and writes its certificate to
// tmp/origin.pem for the proxies to trust.
func startOrigin(tmp string, h2 bool) (*httptest.Server, string, error) {
	origin := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "image/gif")
		_, _ = w.Write(benchmix.GIF)
	}))
	origin.EnableHTTP2 = h2
	origin.StartTLS()
	originPEM := filepath.Join(tmp, "origin.pem")
	if err := os.WriteFile(originPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: origin.Certificate().Raw}), 0o600); err != nil {
		origin.Close()
		return nil, "", err
	}
	return origin, originPEM, nil
}

// proxyCommand starts a proxy, pinned to -proxy-cpus when given, so that
// each proxy gets the same cores and the load generator the others.
func proxyCommand(bin string, args ...string) *exec.Cmd {
	if proxyCPUs == "" {
		return exec.Command(bin, args...)
	}
	return exec.Command("taskset", append([]string{"-c", proxyCPUs, bin}, args...)...)
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitListening polls until addr accepts connections, for at most 20 s.
func waitListening(addr string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not start listening", addr)
}

func readRoots(path string) (*x509.CertPool, error) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			p := x509.NewCertPool()
			if p.AppendCertsFromPEM(b) {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no CA certificate at %s", path)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startPhiproxy starts phiproxy as target name in dir, with -phiproxy-args
// and extra, writing its CPU profile to profile when that is not empty.
func startPhiproxy(name, bin, dir, originPEM, profile string, extra ...string) (target, func(), error) {
	addr, err := freePort()
	if err != nil {
		return target{}, nil, err
	}
	caDir := filepath.Join(dir, "phica")
	cmd := proxyCommand(bin, "run", "--no-tui", "--listen", addr, "--ca-dir", caDir,
		"--db", filepath.Join(dir, "bench.db"), "--upstream-ca", originPEM)
	if profile != "" {
		cmd.Args = append(cmd.Args, "--cpuprofile", profile)
	}
	cmd.Args = append(cmd.Args, strings.Fields(phiArgs)...)
	cmd.Args = append(cmd.Args, extra...)
	if phiEnv != "" {
		cmd.Env = append(os.Environ(), phiEnv)
	}
	// Files, not pipes, so proxybench spends no CPU copying the output.
	// The log's last line has the run's counters (seen, flagged...).
	logFile, err := os.Create(filepath.Join(dir, "phiproxy.log"))
	if err != nil {
		return target{}, nil, err
	}
	cmd.Stdout = nil
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return target{}, nil, fmt.Errorf("start phiproxy: %w", err)
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		logFile.Close()
		if b, err := os.ReadFile(logFile.Name()); err == nil {
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			fmt.Fprintln(os.Stderr, "phiproxy's last log line:", lines[len(lines)-1])
		}
	}
	return awaitProxy(name, addr, cmd, stop, filepath.Join(caDir, "ca.pem"))
}

func startMitmdump(bin, tmp, originPEM string) (target, func(), error) {
	addr, err := freePort()
	if err != nil {
		return target{}, nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	conf := filepath.Join(tmp, "mitm")
	cmd := proxyCommand(bin, "-q", "--listen-host", host, "-p", port, "--set", "confdir="+conf,
		"--set", "ssl_verify_upstream_trusted_ca="+originPEM)
	cmd.Stdout = nil
	cmd.Stderr = nil
	if err := cmd.Start(); err != nil {
		return target{}, nil, fmt.Errorf("start mitmdump: %w", err)
	}
	stop := func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }
	return awaitProxy("mitmdump", addr, cmd, stop, filepath.Join(conf, "mitmproxy-ca-cert.pem"))
}

// awaitProxy waits until the started proxy cmd listens on addr and has
// written its CA certificate to caPEM, and returns it as target name with
// stop; on failure it stops the proxy.
func awaitProxy(name, addr string, cmd *exec.Cmd, stop func(), caPEM string) (target, func(), error) {
	if err := waitListening(addr); err != nil {
		stop()
		return target{}, nil, err
	}
	roots, err := readRoots(caPEM)
	if err != nil {
		stop()
		return target{}, nil, err
	}
	return target{name: name, proxy: &url.URL{Scheme: "http", Host: addr}, roots: roots, pid: cmd.Process.Pid}, stop, nil
}

// processCPU is the user plus system CPU time process pid has used so far,
// from /proc (taskset execs the proxy, so the pid is the proxy's). It is 0
// for pid 0 or when /proc cannot be read.
func processCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; fields after it don't.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	// Fields 14 and 15 (utime, stime) are the 12th and 13th after ')'.
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every
// Linux architecture Go supports.
const clockTicks = 100

// processSyscalls is the number of read and write system calls process
// pid has made (syscr + syscw in /proc/PID/io), 0 if unknown.
func processSyscalls(pid int) int64 {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0
	}
	var n int64
	for _, line := range strings.Split(string(b), "\n") {
		name, v, ok := strings.Cut(line, ": ")
		if ok && (name == "syscr" || name == "syscw") {
			c, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			n += c
		}
	}
	return n
}
