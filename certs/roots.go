package certs

import (
	"crypto/x509"
	"fmt"
	"os"
)

// UpstreamRoots returns the certificates to verify upstream servers with:
// the system's roots plus the PEM certificates in files (an origin's own
// or a corporate CA). With no files it returns nil, which crypto/tls reads
// as the system's roots.
func UpstreamRoots(files ...string) (*x509.CertPool, error) {
	if len(files) == 0 {
		return nil, nil
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificates found", f)
		}
	}
	return roots, nil
}
