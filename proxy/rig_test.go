package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/certs"
)

// waitLimit bounds every wait in these tests.
const waitLimit = 20 * time.Second

// flowSink collects emitted flows.
type flowSink struct {
	mu     sync.Mutex
	flows  []*phiproxy.Flow
	notify chan struct{}
}

func newFlowSink() *flowSink { return &flowSink{notify: make(chan struct{}, 1)} }

func (s *flowSink) add(f *phiproxy.Flow) {
	s.mu.Lock()
	s.flows = append(s.flows, f)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

func (s *flowSink) all() []*phiproxy.Flow {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*phiproxy.Flow(nil), s.flows...)
}

// waitUntil polls the collected flows until ok holds or waitLimit passes.
func (s *flowSink) waitUntil(t testing.TB, what string, ok func([]*phiproxy.Flow) bool) []*phiproxy.Flow {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		flows := s.all()
		if ok(flows) {
			return flows
		}
		select {
		case <-s.notify:
		case <-time.After(20 * time.Millisecond):
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s; have %d flows", what, len(s.all()))
		}
	}
}

// waitURL waits for the one flow whose request URL is u.
func (s *flowSink) waitURL(t testing.TB, u string) *phiproxy.Flow {
	t.Helper()
	var found *phiproxy.Flow
	s.waitUntil(t, "flow for "+u, func(flows []*phiproxy.Flow) bool {
		for _, f := range flows {
			if f.Request.URL == u {
				found = f
				return true
			}
		}
		return false
	})
	return found
}

func (s *flowSink) countURL(u string) int {
	n := 0
	for _, f := range s.all() {
		if f.Request.URL == u {
			n++
		}
	}
	return n
}

// received is one request as the origin saw it.
type received struct {
	Method           string
	RequestURI       string
	Host             string
	Header           http.Header
	Body             []byte
	BodySHA256       [32]byte
	BodySize         int64
	TransferEncoding []string
	ContentLength    int64
	Proto            string
}

// origin is a test server that records every request it receives.
type origin struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	keep   bool // keep whole bodies (off for huge uploads)
	forget bool // record nothing (benchmarks)
	// respond writes the response; nil answers 200 "ok <path>".
	respond func(w http.ResponseWriter, r *http.Request)
}

func (o *origin) handle(w http.ResponseWriter, r *http.Request) {
	if o.forget {
		_, _ = io.Copy(io.Discard, r.Body)
		o.respond(w, r)
		return
	}
	h := sha256.New()
	var buf bytes.Buffer
	var dst io.Writer = h
	if o.keep {
		dst = io.MultiWriter(h, &buf)
	}
	n, err := io.Copy(dst, r.Body)
	if err != nil {
		http.Error(w, "origin: reading body: "+err.Error(), http.StatusBadRequest)
		return
	}
	rec := received{
		Method: r.Method, RequestURI: r.RequestURI, Host: r.Host, Header: r.Header.Clone(),
		Body: buf.Bytes(), BodySize: n, TransferEncoding: r.TransferEncoding,
		ContentLength: r.ContentLength, Proto: r.Proto,
	}
	copy(rec.BodySHA256[:], h.Sum(nil))
	o.mu.Lock()
	o.got = append(o.got, rec)
	o.mu.Unlock()
	if o.respond != nil {
		o.respond(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "ok "+r.URL.Path)
}

func (o *origin) find(t *testing.T, requestURI string) received {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.got {
		if r.RequestURI == requestURI {
			return r
		}
	}
	t.Fatalf("origin never received %s", requestURI)
	return received{}
}

func newOrigin(t testing.TB, tlsOn bool, respond func(http.ResponseWriter, *http.Request)) *origin {
	t.Helper()
	o := &origin{keep: true, respond: respond}
	if tlsOn {
		o.Server = httptest.NewTLSServer(http.HandlerFunc(o.handle))
	} else {
		o.Server = httptest.NewServer(http.HandlerFunc(o.handle))
	}
	t.Cleanup(o.Close)
	return o
}

// newTLSOriginWith is a TLS origin answering "ok <path>", with tweak
// adjusting the server (HTTP/2, connection hooks) before it starts.
func newTLSOriginWith(t testing.TB, tweak func(*httptest.Server)) *origin {
	t.Helper()
	o := &origin{keep: true}
	o.Server = httptest.NewUnstartedServer(http.HandlerFunc(o.handle))
	tweak(o.Server)
	o.StartTLS()
	t.Cleanup(o.Close)
	return o
}

func (o *origin) addr() string { return o.Listener.Addr().String() }

// pool returns a pool holding the origin's certificate.
func (o *origin) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(o.Certificate())
	return p
}

// rig is a running proxy with a fresh CA.
type rig struct {
	srv      *Server
	ca       *certs.Authority
	proxyURL *url.URL
	flows    *flowSink
	caPool   *x509.CertPool // trusts only our CA
}

// newRig starts a proxy on 127.0.0.1; tweak may adjust the server before
// it serves.
func newRig(t testing.TB, cfg Config, tweak func(*Server)) *rig {
	t.Helper()
	return newRigOn(t, cfg, tweak, nil)
}

// newRigOn is newRig with the listener wrapped by wrap (when not nil).
func newRigOn(t testing.TB, cfg Config, tweak func(*Server), wrap func(net.Listener) net.Listener) *rig {
	t.Helper()
	ca, err := certs.Load(t.TempDir())
	if err != nil {
		t.Fatalf("certs.Load: %v", err)
	}
	sink := newFlowSink()
	cfg.CA = ca
	if testing.Verbose() && cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg.OnFlow = sink.add
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if tweak != nil {
		tweak(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	if wrap != nil {
		ln = wrap(ln)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		select {
		case err := <-served:
			if !errors.Is(err, http.ErrServerClosed) {
				t.Errorf("Serve: got %v, want http.ErrServerClosed", err)
			}
		case <-time.After(waitLimit):
			t.Errorf("Serve did not return after Shutdown")
		}
	})
	pool := x509.NewCertPool()
	pool.AddCert(ca.Certificate())
	return &rig{
		srv: srv, ca: ca, flows: sink, caPool: pool,
		proxyURL: &url.URL{Scheme: "http", Host: ln.Addr().String()},
	}
}

// client returns an HTTP client that goes through the proxy and trusts
// roots (our CA when nil) and nothing else.
func (r *rig) client(t testing.TB, roots *x509.CertPool) *http.Client {
	t.Helper()
	if roots == nil {
		roots = r.caPool
	}
	tr := &http.Transport{
		Proxy:               http.ProxyURL(r.proxyURL),
		TLSClientConfig:     &tls.Config{RootCAs: roots},
		DisableCompression:  true,
		MaxIdleConnsPerHost: 4,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: waitLimit}
}

// hopByHopNames are left out when comparing headers across the proxy.
var hopByHopNames = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func endToEnd(h http.Header) http.Header {
	h = h.Clone()
	for _, n := range hopByHopNames {
		h.Del(n)
	}
	return h
}

func headerString(h http.Header) string {
	var b strings.Builder
	_ = h.Write(&b)
	return b.String()
}
