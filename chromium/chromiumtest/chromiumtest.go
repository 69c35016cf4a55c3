// Package chromiumtest provides the pieces that tests of browser-driven
// code share: an HTTPS site whose certificate is valid for made-up host
// names (site.test), and a phiproxy proxy on a loopback port that resolves
// those names to the site and hands every captured flow to the test.
package chromiumtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/certs"
	"github.com/phiproxy/phiproxy/chromium"
	"github.com/phiproxy/phiproxy/internal/testenv"
	"github.com/phiproxy/phiproxy/proxy"
)

// RequireBrowser calls testenv.Missing when Chromium or certutil is not
// installed: without them nothing browser-driven can run at all. Under
// `make test` and CI that fails the test; a bare go test skips it.
func RequireBrowser(t testing.TB) {
	t.Helper()
	testenv.File(t, chromium.DefaultPath)
	testenv.Program(t, "certutil") // Debian package libnss3-tools
}

// Site is an HTTPS test server on 127.0.0.1 whose self-signed certificate
// is valid for the host names it was created with.
type Site struct {
	*httptest.Server
	// CertPEM is the server's certificate, which is its own root: trust it
	// (proxy UpstreamRoots, --upstream-ca) to reach the site by name.
	CertPEM []byte
	// Roots holds CertPEM as a pool.
	Roots *x509.CertPool
}

// Addr is the site's "127.0.0.1:port".
func (s *Site) Addr() string { return s.Listener.Addr().String() }

// NewSite starts an HTTPS server for h with a certificate valid for hosts
// and 127.0.0.1. It is closed when the test ends.
func NewSite(t testing.TB, h http.Handler, hosts ...string) *Site {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "phiproxy test site"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:              hosts,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return &Site{Server: srv, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), Roots: roots}
}

// Proxy is a running phiproxy proxy for a test.
type Proxy struct {
	// Addr is the proxy's "127.0.0.1:port".
	Addr string
	// CAPEM is the certificate of the proxy's fresh CA.
	CAPEM []byte

	mu    sync.Mutex
	flows []*phiproxy.Flow
}

// ProxyOptions configure StartProxy.
type ProxyOptions struct {
	// Resolve maps host names to "127.0.0.1:port" (see proxy.Config).
	Resolve map[string]string
	// Roots verifies upstream TLS; nil means the system roots.
	Roots *x509.CertPool
	// OnFlow, if set, sees every flow as it is captured, in addition to
	// Flows.
	OnFlow func(*phiproxy.Flow)
	// PageTrafficOnly refuses the browser's own requests, as crawls do
	// (see proxy.Config).
	PageTrafficOnly bool
}

// StartProxy starts a proxy with a new CA in a temporary folder, listening
// on 127.0.0.1. It is shut down when the test ends.
func StartProxy(t testing.TB, opts ProxyOptions) *Proxy {
	t.Helper()
	ca, err := certs.Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{CAPEM: ca.CertPEM()}
	srv, err := proxy.New(proxy.Config{
		CA: ca, Resolve: opts.Resolve, UpstreamRoots: opts.Roots, PageTrafficOnly: opts.PageTrafficOnly,
		OnFlow: func(f *phiproxy.Flow) {
			if opts.OnFlow != nil {
				opts.OnFlow(f)
			}
			p.mu.Lock()
			p.flows = append(p.flows, f)
			p.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.Addr = ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("proxy shutdown: %v", err)
		}
		if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("proxy serve: %v", err)
		}
	})
	return p
}

// Flows returns the flows captured so far.
func (p *Proxy) Flows() []*phiproxy.Flow {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*phiproxy.Flow(nil), p.flows...)
}
