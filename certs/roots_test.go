package certs

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUpstreamRoots: no files leaves crypto/tls its system roots; a PEM
// file's CA is trusted for a real handshake; a file without certificates
// or a missing one is an error naming it.
func TestUpstreamRoots(t *testing.T) {
	if roots, err := UpstreamRoots(); roots != nil || err != nil {
		t.Fatalf("no files: %v, %v; want nil, nil", roots, err)
	}
	a := newTestAuthority(t)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "origin-ca.pem")
	if err := os.WriteFile(caFile, a.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	roots, err := UpstreamRoots(caFile)
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, &tls.Config{GetCertificate: a.GetCertificate})
	if got, _, err := dialTrusting(addr, "origin.clinic.example", roots); err != nil || got != "ok" {
		t.Fatalf("handshake trusting the file's CA: %q, %v", got, err)
	}
	junk := filepath.Join(dir, "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{junk, filepath.Join(dir, "missing.pem")} {
		if _, err := UpstreamRoots(caFile, f); err == nil || !strings.Contains(err.Error(), filepath.Base(f)) {
			t.Errorf("UpstreamRoots(%s): %v, want an error naming it", f, err)
		}
	}
}
