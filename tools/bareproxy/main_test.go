package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The bare proxy intercepts TLS with its own CA and forwards the request
// and the origin's answer unchanged.
func TestForwardsThroughMITM(t *testing.T) {
	origin := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Seen", r.URL.RawQuery)
		w.Write(append([]byte("got:"), body...))
	}))
	defer origin.Close()
	dir := t.TempDir()
	originPEM := filepath.Join(dir, "origin.pem")
	if err := os.WriteFile(originPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: origin.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	caDir := filepath.Join(dir, "ca")
	srv, err := newServer(caDir, originPEM)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	caPEM, err := os.ReadFile(filepath.Join(caDir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("no CA certificate")
	}
	var issuer string
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: ln.Addr().String()}),
		TLSClientConfig: &tls.Config{RootCAs: roots, VerifyConnection: func(cs tls.ConnectionState) error {
			issuer = cs.PeerCertificates[0].Issuer.CommonName
			return nil
		}},
	}}
	resp, err := client.Post(origin.URL+"/tr?ev=PageView", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "got:hello" || resp.Header.Get("X-Seen") != "ev=PageView" {
		t.Fatalf("got %q, X-Seen %q; want the origin's answer", body, resp.Header.Get("X-Seen"))
	}
	// roots hold only the proxy's CA, so the handshake verified only
	// because the proxy intercepted it with a leaf of its own.
	block, _ := pem.Decode(caPEM)
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if issuer != ca.Subject.CommonName {
		t.Fatalf("leaf issued by %q, want the proxy's CA %q", issuer, ca.Subject.CommonName)
	}
}
