package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/certs"
	"github.com/phiproxy/phiproxy/classify"
	"github.com/phiproxy/phiproxy/pipeline"
	"github.com/phiproxy/phiproxy/proxy"
	"github.com/phiproxy/phiproxy/store"
)

// proxyFlags configure a live proxy session (run and crawl).
type proxyFlags struct {
	listen, db, caDir, upstreamProxy string
	maxBody                          int64
	ignore, upstreamCA, insecure     listFlag
	resolve                          resolveFlag
	storeAll, http1Only              bool
	workers, queue                   int
	queueBytes                       int64
	classifyFlags
	// label names the run (--label).
	label string
	// site is what the run is about, recorded with it: a crawl's seeds,
	// else --site.
	site string
	// requestHeaders, set by commands rather than flags, adds headers to
	// every forwarded request (see proxy.Config.RequestHeaders).
	requestHeaders func() http.Header
	limits         limitFlags
}

func (p *proxyFlags) register(fs *flag.FlagSet, defaultListen string) {
	p.resolve = resolveFlag{}
	fs.StringVar(&p.listen, "listen", defaultListen, "`address` to listen on; keep it on loopback unless you mean to share the proxy")
	dbVar(fs, &p.db, "database (a new file is created 0600)")
	fs.StringVar(&p.caDir, "ca-dir", "", "`folder` holding ca.pem and ca.key (default $XDG_CONFIG_HOME/phiproxy or ~/.config/phiproxy)")
	fs.Int64Var(&p.maxBody, "max-body", 8<<20, "request body `bytes` captured for inspection; larger bodies are forwarded untouched and marked truncated")
	fs.Var(&p.ignore, "ignore-host", "tunnel hosts matching this glob `pattern` without interception (repeatable)")
	fs.Var(&p.upstreamCA, "upstream-ca", "PEM `file` of extra roots trusted for upstream TLS (repeatable)")
	fs.Var(&p.insecure, "insecure-upstream", "do not verify upstream TLS for this `host` (repeatable)")
	fs.Var(p.resolve, "resolve", "send requests for `HOST[:PORT]=IP[:PORT]` to that address, like curl --resolve (repeatable)")
	fs.StringVar(&p.upstreamProxy, "upstream-proxy", "", "chain through this proxy `URL`; environment proxy variables are never used")
	fs.BoolVar(&p.storeAll, "store-all", false, "store every flow, not only flows with findings")
	fs.BoolVar(&p.http1Only, "http1-only", false, "offer the browser only HTTP/1.1 inside intercepted tunnels (default: h2 and HTTP/1.1, the browser picks)")
	fs.IntVar(&p.workers, "workers", 0, "inspection workers (default: number of CPUs)")
	fs.IntVar(&p.queue, "queue", 4096, "flows waiting for inspection before new ones are counted as not inspected")
	fs.Int64Var(&p.queueBytes, "queue-bytes", pipeline.DefaultMaxBytes, "memory `bytes` held by flows awaiting inspection and storage (captured payloads and inspection results) before new ones are counted as not inspected")
	fs.StringVar(&p.label, "label", "", "name the run, e.g. \"staging nightly\" (phiproxy runs lists it)")
	p.classifyFlags.register(fs)
	p.limits.register(fs)
}

// session is a running proxy with its pipeline and store.
type session struct {
	flags     *proxyFlags
	log       *slog.Logger
	ca        *certs.Authority
	store     *store.Store
	inspector *classify.Inspector
	pipe      *pipeline.Pipeline
	proxy     *proxy.Server
	ln        net.Listener
	runID     int64
	served    chan error
}

// startSession opens the CA and database and starts the proxy. tag, if
// set, annotates each flow before it is queued (crawl uses it for the page
// and phase). onSaved receives committed records.
func startSession(ctx context.Context, command string, pf *proxyFlags, log *slog.Logger, tag func(*phiproxy.Flow), onSaved func([]store.Record)) (*session, error) {
	// Libraries that log through the standard log package (the HTTP/2
	// server inside tunnels reports clients that time out) write to the
	// session's log too: on the terminal they would tear the screen.
	slog.SetDefault(log)
	s := &session{flags: pf, log: log, served: make(chan error, 1)}
	ok := false
	defer func() {
		if !ok {
			s.abort()
		}
	}()
	err := pf.limits.check()
	if err != nil {
		return nil, err
	}
	if s.ca, err = loadCA(pf.caDir); err != nil {
		return nil, err
	}
	var upstreamProxy *url.URL
	if pf.upstreamProxy != "" {
		if upstreamProxy, err = url.Parse(pf.upstreamProxy); err != nil || upstreamProxy.Host == "" {
			return nil, fmt.Errorf("--upstream-proxy %q: want a URL like http://host:port", pf.upstreamProxy)
		}
	}
	roots, err := certs.UpstreamRoots(pf.upstreamCA...)
	if err != nil {
		return nil, fmt.Errorf("--upstream-ca: %w", err)
	}
	if s.inspector, err = pf.inspector(); err != nil {
		return nil, err
	}
	if s.store, err = openStore(pf.db, false); err != nil {
		return nil, err
	}
	if s.ln, err = net.Listen("tcp", pf.listen); err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if a, ok := s.ln.Addr().(*net.TCPAddr); ok && !a.IP.IsLoopback() {
		log.Warn("listening beyond loopback: anyone who can reach this address can use the proxy", "addr", a.String())
	}
	if s.runID, err = s.store.BeginRun(ctx, store.Run{Command: command, Listen: s.ln.Addr().String(), CAFingerprint: s.ca.Fingerprint(), Version: version}); err != nil {
		return nil, err
	}
	if err := s.store.NameRun(ctx, s.runID, pf.label, cmp.Or(pf.site, strings.Join(pf.sites, ","))); err != nil {
		return nil, err
	}
	limitMemory(pf.queueBytes)
	// Building the dictionaries' automaton allocated about 20 MB that are
	// garbage now: handing them back keeps the resident set to what the
	// proxy uses.
	debug.FreeOSMemory()
	tuneGC()
	if s.pipe, err = pipeline.New(pipeline.Config{
		Inspector: s.inspector, Store: s.store, RunID: s.runID, QueueSize: pf.queue, MaxBytes: pf.queueBytes, Workers: pf.workers,
		StoreAll: pf.storeAll, OnSaved: onSaved, Logger: log,
		Inventory: newInventory(s.runID, s.inspector),
	}); err != nil {
		return nil, err
	}
	if s.proxy, err = proxy.New(pf.limits.with(proxy.Config{
		CA: s.ca, MaxBody: pf.maxBody, IgnoreHosts: pf.ignore, UpstreamRoots: roots, InsecureHosts: pf.insecure,
		Resolve: pf.resolve, UpstreamProxy: upstreamProxy, Logger: log, HTTP1Only: pf.http1Only,
		// A crawl reports what the site caused: the browser's own update
		// and account checks are refused, neither forwarded nor stored.
		PageTrafficOnly: command == "crawl",
		RequestHeaders:  pf.requestHeaders,
		OnFlow: func(f *phiproxy.Flow) {
			if tag != nil {
				tag(f)
			}
			s.pipe.Submit(f)
		},
	})); err != nil {
		return nil, err
	}
	go func() { s.served <- s.proxy.Serve(s.ln) }()
	ok = true
	return s, nil
}

// Addr is the proxy's listening address.
func (s *session) Addr() string { return s.ln.Addr().String() }

// Close stops accepting connections, lets in-flight exchanges finish,
// drains the inspection queue, commits, and closes the database: nothing
// accepted is lost.
func (s *session) Close() error {
	var errs []error
	// In-flight exchanges get the grace period; those still waiting then
	// are answered 503 and their flows stored with the reason.
	ctx, cancel := context.WithTimeout(context.Background(), s.flags.limits.grace)
	defer cancel()
	if err := s.proxy.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("proxy shutdown: %w", err))
	}
	drain, cancel2 := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel2()
	if err := s.pipe.Close(drain); err != nil {
		errs = append(errs, err)
	}
	if err := s.store.EndRun(context.Background(), s.runID); err != nil {
		errs = append(errs, err)
	}
	if err := s.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close database: %w", err))
	}
	return errors.Join(errs...)
}

// abort releases what a failed start opened.
func (s *session) abort() {
	if s.ln != nil {
		s.ln.Close()
	}
	if s.pipe != nil {
		s.pipe.Close(context.Background())
	}
	if s.store != nil {
		s.store.Close()
	}
}

func loadCA(dir string) (*certs.Authority, error) {
	if dir == "" {
		d, err := certs.DefaultDir()
		if err != nil {
			return nil, fmt.Errorf("CA folder: %w (use --ca-dir)", err)
		}
		dir = d
	}
	return certs.Load(dir)
}

// loadExistingCA returns the fingerprint of the CA in dir (or the default
// folder) without creating one.
func loadExistingCA(dir string) (string, error) {
	if dir == "" {
		d, err := certs.DefaultDir()
		if err != nil {
			return "", err
		}
		dir = d
	}
	if _, err := os.Stat(filepath.Join(dir, "ca.pem")); err != nil {
		return "", err
	}
	ca, err := certs.Load(dir)
	if err != nil {
		return "", err
	}
	return ca.Fingerprint(), nil
}

// jsonLines writes one JSON object per finding. Output is buffered and
// flushed after each batch, so a busy proxy makes one write per batch, not
// one per finding.
type jsonLines struct {
	mu  sync.Mutex
	w   *bufio.Writer
	enc *json.Encoder // for the rows FindingRow.AppendJSON leaves to it
	buf []byte
}

func newJSONLines(w io.Writer) *jsonLines {
	bw := bufio.NewWriterSize(w, 64<<10)
	return &jsonLines{w: bw, enc: json.NewEncoder(bw)}
}

// records writes the findings of saved records, then flushes.
func (j *jsonLines) records(recs []store.Record) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, r := range recs {
		for _, fd := range r.Inspection.Findings {
			j.write(store.Row(r.Flow, r.Inspection.Destination, fd))
		}
	}
	j.w.Flush()
}

// row writes one finding; call flush when done.
func (j *jsonLines) row(r store.FindingRow) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.write(r)
}

// write encodes r as its line. Called with mu held.
func (j *jsonLines) write(r store.FindingRow) error {
	b, ok := r.AppendJSON(j.buf[:0])
	if !ok {
		return j.enc.Encode(r)
	}
	b = append(b, '\n')
	_, err := j.w.Write(b)
	if cap(b) <= 64<<10 {
		j.buf = b // a huge field's line is not kept
	}
	return err
}

func (j *jsonLines) flush() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.w.Flush()
}

// gcPercent is the proxy's GC target, where Go's default is 100. About
// 9 MB are live under load (dictionaries, memos, connections); at 100
// the heap grows to twice that before each collection: a peak resident
// set of 65-66 MiB under the proxybench mix, against 57 MiB at 50.
// Inspection allocates little (about 12 KB a request), and collecting
// twice as often made no difference to CPU per request that proxybench
// could tell from its noise (157-210 µs at either setting, four runs
// taking turns). A target of 300, once chosen for throughput, let the
// resident set pass 100 MiB.
const gcPercent = 50

// tuneGC sets gcPercent unless GOGC in the environment says otherwise.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}

// memoryHeadroom is what phiproxy needs beside the --queue-bytes budget:
// the dictionaries and their automaton, the bodies connections are
// capturing, and the decode working set of each inspection worker.
const memoryHeadroom = 128 << 20

// limitMemory sets the Go runtime's soft memory limit to the pipeline's
// budget plus memoryHeadroom. Without it the collector lets the heap grow
// to twice what is live, so a full budget would cost twice its size in
// RSS. A GOMEMLIMIT in the environment wins.
func limitMemory(budget int64) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(budget + memoryHeadroom)
}
