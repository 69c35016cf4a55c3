// Command bareproxy is the library floor proxybench measures phiproxy
// against: a goproxy MITM proxy that only forwards. It uses the goproxy
// version of go.mod, phiproxy's CA and leaf cache (package certs) and the
// upstream transport settings of package proxy, and captures, inspects and
// stores nothing, so the difference between the two is what inspection and
// storage cost.
//
//	bareproxy -listen 127.0.0.1:8081 -ca-dir DIR -upstream-ca origin.pem
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/elazarl/goproxy"

	"github.com/phiproxy/phiproxy/certs"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8081", "listen `address`")
	caDir := flag.String("ca-dir", "", "CA folder (created when empty, like phiproxy's --ca-dir)")
	upstreamCA := flag.String("upstream-ca", "", "extra PEM `file` of upstream roots to trust")
	flag.Parse()
	if err := run(*listen, *caDir, *upstreamCA); err != nil {
		fmt.Fprintln(os.Stderr, "bareproxy:", err)
		os.Exit(1)
	}
}

func run(listen, caDir, upstreamCA string) error {
	srv, err := newServer(caDir, upstreamCA)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		return err
	}
	return nil
}

// newServer builds the forwarding-only MITM proxy with the CA in caDir.
func newServer(caDir, upstreamCA string) (*http.Server, error) {
	ca, err := certs.Load(caDir)
	if err != nil {
		return nil, fmt.Errorf("load CA: %w", err)
	}
	var files []string
	if upstreamCA != "" {
		files = append(files, upstreamCA)
	}
	roots, err := certs.UpstreamRoots(files...)
	if err != nil {
		return nil, fmt.Errorf("upstream CA: %w", err)
	}
	gp := goproxy.NewProxyHttpServer()
	gp.Verbose = false
	gp.Logger = log.New(io.Discard, "", 0)
	gp.Tr = upstreamTransport(roots)
	gp.KeepAcceptEncoding = true
	gp.ConnectDial = nil
	mitm := &goproxy.ConnectAction{Action: goproxy.ConnectMitm, TLSConfig: func(host string, _ *goproxy.ProxyCtx) (*tls.Config, error) {
		// A client dialling an IP address sends no SNI: the leaf then
		// names the CONNECT host, as phiproxy's does.
		fallback, _, err := net.SplitHostPort(host)
		if err != nil {
			fallback = host
		}
		return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			name := hello.ServerName
			if name == "" {
				name = fallback
			}
			return ca.CertFor(name)
		}}, nil
	}}
	gp.OnRequest().HandleConnectFunc(func(host string, _ *goproxy.ProxyCtx) (*goproxy.ConnectAction, string) {
		return mitm, host
	})
	return &http.Server{Handler: gp, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}, nil
}

// upstreamTransport has the settings of package proxy's verifying
// transport (proxy/exchange.go, newTransports), so that both proxies reach
// the origin the same way: HTTP/2 when offered, a deep idle pool, bodies
// forwarded as encoded.
func upstreamTransport(roots *x509.CertPool) *http.Transport {
	d := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:           d.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2048,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second, // proxy.DefaultUpstreamTimeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}
