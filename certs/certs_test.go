package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func newTestAuthority(t testing.TB) *Authority {
	t.Helper()
	a, err := Load(filepath.Join(t.TempDir(), "phiproxy"))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return a
}

func fileMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("stat: %v", err)
	}
	return info.Mode().Perm()
}

func TestLoadCreatesCAWithModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "config", "phiproxy")
	before := time.Now()
	a, err := Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	modes := []struct {
		path string
		want fs.FileMode
	}{
		{dir, 0o700},
		{filepath.Join(dir, KeyFileName), 0o600},
		{filepath.Join(dir, CertFileName), 0o644},
	}
	for _, m := range modes {
		if got := fileMode(t, m.path); got != m.want {
			t.Errorf("mode of %s: got %v, want %v", m.path, got, m.want)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files in CA folder: got %v, want only %s and %s", names, CertFileName, KeyFileName)
	}
	if got, want := a.CertPath(), filepath.Join(dir, CertFileName); got != want {
		t.Errorf("CertPath: got %q, want %q", got, want)
	}

	ca := a.Certificate()
	if !ca.IsCA || !ca.BasicConstraintsValid {
		t.Errorf("basic constraints: got IsCA=%v valid=%v, want CA", ca.IsCA, ca.BasicConstraintsValid)
	}
	if ca.MaxPathLen != 0 || !ca.MaxPathLenZero {
		t.Errorf("path length: got MaxPathLen=%d zero=%v, want 0", ca.MaxPathLen, ca.MaxPathLenZero)
	}
	if got, want := ca.KeyUsage, x509.KeyUsageCertSign|x509.KeyUsageCRLSign; got != want {
		t.Errorf("key usage: got %v, want %v", got, want)
	}
	if len(ca.SubjectKeyId) != 20 {
		t.Errorf("subject key ID: got %d bytes, want 20", len(ca.SubjectKeyId))
	}
	if !strings.HasPrefix(ca.Subject.CommonName, "phiproxy CA") {
		t.Errorf("common name: got %q, want prefix %q", ca.Subject.CommonName, "phiproxy CA")
	}
	if host, err := os.Hostname(); err == nil && host != "" {
		if want := "phiproxy CA (" + host + ")"; ca.Subject.CommonName != want {
			t.Errorf("common name: got %q, want %q", ca.Subject.CommonName, want)
		}
	}
	if got := ca.Subject.Organization; len(got) != 1 || got[0] != "phiproxy" {
		t.Errorf("organization: got %v, want [phiproxy]", got)
	}
	pub, ok := ca.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Errorf("public key: got %T, want ECDSA P-256", ca.PublicKey)
	}
	if bits := ca.SerialNumber.BitLen(); bits < 64 || bits > 129 {
		t.Errorf("serial number: got %d bits, want a random 128-bit value", bits)
	}
	if ca.NotBefore.After(before.Add(-23 * time.Hour)) {
		t.Errorf("NotBefore: got %v, want about a day before %v", ca.NotBefore, before)
	}
	if limit := ca.NotBefore.AddDate(10, 0, 0); ca.NotAfter.After(limit) {
		t.Errorf("NotAfter: got %v, want at most 10 years after NotBefore (%v)", ca.NotAfter, limit)
	}
	if err := ca.CheckSignatureFrom(ca); err != nil {
		t.Errorf("CA is not self-signed: %v", err)
	}
}

func TestLoadReloadKeepsCA(t *testing.T) {
	dir := t.TempDir()
	first, err := Load(dir)
	if err != nil {
		t.Fatalf("first Load: %v", err)
	}
	second, err := Load(dir)
	if err != nil {
		t.Fatalf("second Load: %v", err)
	}
	if got, want := second.Fingerprint(), first.Fingerprint(); got != want {
		t.Fatalf("fingerprint after reload: got %s, want %s", got, want)
	}

	sum := sha256.Sum256(first.CertDER())
	var pairs []string
	for _, b := range sum {
		pairs = append(pairs, fmt.Sprintf("%02X", b))
	}
	if got, want := first.Fingerprint(), strings.Join(pairs, ":"); got != want {
		t.Errorf("Fingerprint: got %s, want %s", got, want)
	}
	if got, want := first.ShortFingerprint(), strings.Join(pairs[:8], ":"); got != want {
		t.Errorf("ShortFingerprint: got %s, want %s", got, want)
	}
	if !regexp.MustCompile(`^([0-9A-F]{2}:){31}[0-9A-F]{2}$`).MatchString(first.Fingerprint()) {
		t.Errorf("Fingerprint format: got %s", first.Fingerprint())
	}

	block, _ := pem.Decode(first.CertPEM())
	if block == nil || block.Type != "CERTIFICATE" || !bytes.Equal(block.Bytes, first.CertDER()) {
		t.Errorf("CertPEM does not hold CertDER")
	}
	onDisk, err := os.ReadFile(first.CertPath())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, first.CertPEM()) {
		t.Errorf("CertPEM differs from %s", first.CertPath())
	}
	// Accessors hand out copies: a caller scribbling on one must not
	// change the CA.
	der := first.CertDER()
	der[0] ^= 0xff
	if first.CertDER()[0] == der[0] {
		t.Errorf("CertDER returned the Authority's own slice")
	}
}

// writeFiles puts the given contents at ca.pem / ca.key in a new folder;
// nil means the file is absent.
func writeFiles(t *testing.T, certPEM, keyPEM []byte) string {
	t.Helper()
	dir := t.TempDir()
	if certPEM != nil {
		if err := os.WriteFile(filepath.Join(dir, CertFileName), certPEM, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if keyPEM != nil {
		if err := os.WriteFile(filepath.Join(dir, KeyFileName), keyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadRejectsBadFiles(t *testing.T) {
	certPEM, keyPEM, err := createCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	otherCertPEM, otherKeyPEM, err := createCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// A leaf certificate with its own key: a valid pair, but not a CA.
	leafAuthority := newTestAuthority(t)
	leaf, err := leafAuthority.CertFor("not-a-ca.example")
	if err != nil {
		t.Fatal(err)
	}
	leafCertPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]})
	leafKeyDER, err := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	leafKeyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: leafKeyDER})
	ecKey, err := x509.MarshalECPrivateKey(leafAuthority.leafKey)
	if err != nil {
		t.Fatal(err)
	}
	sec1PEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecKey})

	tests := []struct {
		name         string
		cert, key    []byte
		wantInError  []string // file names the error must mention
		wantContains string
	}{
		{"corrupt key", certPEM, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), []string{KeyFileName}, "PKCS#8"},
		{"key not PEM", certPEM, []byte("not a key"), []string{KeyFileName}, "no PEM block"},
		{"key in SEC1 form", certPEM, sec1PEM, []string{KeyFileName}, "EC PRIVATE KEY"},
		{"truncated key", certPEM, keyPEM[:len(keyPEM)/2], []string{KeyFileName}, ""},
		{"corrupt certificate", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), keyPEM, []string{CertFileName}, "parse certificate"},
		{"empty certificate", []byte{}, keyPEM, []string{CertFileName}, "no PEM block"},
		{"key from another CA", certPEM, otherKeyPEM, []string{KeyFileName, CertFileName}, "does not match"},
		{"certificate from another CA", otherCertPEM, keyPEM, []string{KeyFileName, CertFileName}, "does not match"},
		{"leaf instead of CA", leafCertPEM, leafKeyPEM, []string{CertFileName}, "not a CA"},
		{"certificate without key", certPEM, nil, []string{CertFileName, KeyFileName}, "does not"},
		{"key without certificate", nil, keyPEM, []string{CertFileName, KeyFileName}, "does not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.cert, tt.key)
			a, err := Load(dir)
			if err == nil {
				t.Fatalf("Load: got Authority %s, want error", a.ShortFingerprint())
			}
			for _, name := range tt.wantInError {
				if !strings.Contains(err.Error(), filepath.Join(dir, name)) {
					t.Errorf("error %q does not name %s", err, name)
				}
			}
			if !strings.Contains(err.Error(), tt.wantContains) {
				t.Errorf("error %q does not contain %q", err, tt.wantContains)
			}
			// Whatever was there must still be there, byte for byte.
			for name, want := range map[string][]byte{CertFileName: tt.cert, KeyFileName: tt.key} {
				got, readErr := os.ReadFile(filepath.Join(dir, name))
				switch {
				case want == nil && !errors.Is(readErr, fs.ErrNotExist):
					t.Errorf("%s: got created (err %v), want absent", name, readErr)
				case want != nil && !bytes.Equal(got, want):
					t.Errorf("%s: changed by Load", name)
				}
			}
		})
	}
}

func TestLoadFolderIsAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil {
		t.Fatalf("Load(%s): got nil error for a regular file", path)
	}
	if _, err := Load(""); err == nil {
		t.Fatalf("Load(\"\"): got nil error")
	}
}

func TestDefaultDir(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		xdg, want string
	}{
		{"/srv/config", "/srv/config/phiproxy"},
		{"", filepath.Join(home, ".config", "phiproxy")},
		{"relative/config", filepath.Join(home, ".config", "phiproxy")},
	}
	for _, tt := range tests {
		t.Setenv("HOME", home)
		t.Setenv("XDG_CONFIG_HOME", tt.xdg)
		got, err := DefaultDir()
		if err != nil {
			t.Fatalf("DefaultDir with XDG_CONFIG_HOME=%q: %v", tt.xdg, err)
		}
		if got != tt.want {
			t.Errorf("DefaultDir with XDG_CONFIG_HOME=%q: got %q, want %q", tt.xdg, got, tt.want)
		}
	}
}

// serveTLS accepts one connection on a real 127.0.0.1 listener, completes
// the handshake and writes "ok". It returns the listener address.
func serveTLS(t *testing.T, config *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", config)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		if err := conn.(*tls.Conn).Handshake(); err != nil {
			return
		}
		io.WriteString(conn, "ok")
	}()
	return ln.Addr().String()
}

// dialTrusting connects to addr trusting only roots and returns what the
// server wrote and the verified chain.
func dialTrusting(addr, serverName string, roots *x509.CertPool) (string, []*x509.Certificate, error) {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", addr, &tls.Config{RootCAs: roots, ServerName: serverName})
	if err != nil {
		return "", nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(conn)
	if err != nil {
		return "", nil, err
	}
	chains := conn.ConnectionState().VerifiedChains
	if len(chains) == 0 {
		return "", nil, errors.New("no verified chain")
	}
	return string(got), chains[0], nil
}

func TestHandshakeVerifiesAgainstCA(t *testing.T) {
	a := newTestAuthority(t)
	roots := x509.NewCertPool()
	roots.AddCert(a.Certificate())

	// A proxy knows the target from CONNECT when the client sends no SNI;
	// here the listener's own address stands in for it.
	byLocalAddr := func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if hello.ServerName != "" {
			return a.GetCertificate(hello)
		}
		return a.CertFor(hello.Conn.LocalAddr().String())
	}

	tests := []struct {
		name       string
		getCert    func(*tls.ClientHelloInfo) (*tls.Certificate, error)
		serverName string // empty: the client verifies the dialled IP
		wantLeaf   string
	}{
		{"DNS name via SNI", a.GetCertificate, "patient-portal.clinic.example", "patient-portal.clinic.example"},
		{"mixed-case SNI", a.GetCertificate, "Labs.Clinic.Example", "labs.clinic.example"},
		{"IP address", byLocalAddr, "", "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serveTLS(t, &tls.Config{GetCertificate: tt.getCert})
			got, chain, err := dialTrusting(addr, tt.serverName, roots)
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			if got != "ok" {
				t.Errorf("server wrote %q, want %q", got, "ok")
			}
			if len(chain) != 2 || !chain[1].Equal(a.Certificate()) {
				t.Fatalf("verified chain: got %d certificates, want leaf then CA", len(chain))
			}
			if chain[0].Subject.CommonName != tt.wantLeaf {
				t.Errorf("leaf subject: got %q, want %q", chain[0].Subject.CommonName, tt.wantLeaf)
			}
		})
	}
}

func TestHandshakeFails(t *testing.T) {
	a := newTestAuthority(t)
	other := newTestAuthority(t)
	otherRoots := x509.NewCertPool()
	otherRoots.AddCert(other.Certificate())
	roots := x509.NewCertPool()
	roots.AddCert(a.Certificate())

	t.Run("client trusts another CA", func(t *testing.T) {
		addr := serveTLS(t, &tls.Config{GetCertificate: a.GetCertificate})
		_, _, err := dialTrusting(addr, "portal.clinic.example", otherRoots)
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Fatalf("dial: got %v, want x509.UnknownAuthorityError", err)
		}
	})
	t.Run("no SNI", func(t *testing.T) {
		addr := serveTLS(t, &tls.Config{GetCertificate: a.GetCertificate})
		if _, _, err := dialTrusting(addr, "", roots); err == nil {
			t.Fatalf("dial without SNI: got nil error, want handshake failure")
		}
	})
	if _, err := a.GetCertificate(&tls.ClientHelloInfo{}); err == nil || !strings.Contains(err.Error(), "SNI") {
		t.Errorf("GetCertificate without SNI: got %v, want error mentioning SNI", err)
	}
}

func TestCertForLeafContents(t *testing.T) {
	a := newTestAuthority(t)
	tests := []struct {
		host     string
		wantName string
		wantDNS  []string
		wantIP   string
	}{
		{"ehr.example.org", "ehr.example.org", []string{"ehr.example.org"}, ""},
		{"EHR.Example.ORG:443", "ehr.example.org", []string{"ehr.example.org"}, ""},
		{"ehr.example.org.", "ehr.example.org", []string{"ehr.example.org"}, ""},
		{"metrics_collector.vendor.example", "metrics_collector.vendor.example", []string{"metrics_collector.vendor.example"}, ""},
		{"localhost", "localhost", []string{"localhost"}, ""},
		{"127.0.0.1", "127.0.0.1", nil, "127.0.0.1"},
		{"10.1.2.3:8443", "10.1.2.3", nil, "10.1.2.3"},
		{"10.1.2.3.", "10.1.2.3", nil, "10.1.2.3"},
		{"::1", "::1", nil, "::1"},
		{"[::1]:443", "::1", nil, "::1"},
		{"[2001:DB8::1]", "2001:db8::1", nil, "2001:db8::1"},
		{"fe80::1%eth0", "fe80::1", nil, "fe80::1"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			cert, err := a.CertFor(tt.host)
			if err != nil {
				t.Fatalf("CertFor: %v", err)
			}
			leaf := cert.Leaf
			if leaf == nil {
				t.Fatal("Leaf not populated")
			}
			if got := leaf.Subject.CommonName; got != tt.wantName {
				t.Errorf("common name: got %q, want %q", got, tt.wantName)
			}
			if fmt.Sprint(leaf.DNSNames) != fmt.Sprint(tt.wantDNS) {
				t.Errorf("DNS names: got %v, want %v", leaf.DNSNames, tt.wantDNS)
			}
			var gotIP string
			if len(leaf.IPAddresses) == 1 {
				gotIP = leaf.IPAddresses[0].String()
			} else if len(leaf.IPAddresses) > 1 {
				gotIP = fmt.Sprint(leaf.IPAddresses)
			}
			if gotIP != tt.wantIP {
				t.Errorf("IP addresses: got %q, want %q", gotIP, tt.wantIP)
			}
			if len(cert.Certificate) != 2 || !bytes.Equal(cert.Certificate[1], a.CertDER()) {
				t.Errorf("chain: got %d certificates, want leaf then CA", len(cert.Certificate))
			}
			if !bytes.Equal(cert.Certificate[0], leaf.Raw) {
				t.Errorf("Leaf does not match Certificate[0]")
			}
			if err := leaf.CheckSignatureFrom(a.Certificate()); err != nil {
				t.Errorf("leaf not signed by CA: %v", err)
			}
			if len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
				t.Errorf("extended key usage: got %v, want [ServerAuth]", leaf.ExtKeyUsage)
			}
			if leaf.IsCA {
				t.Errorf("leaf is a CA")
			}
			if !bytes.Equal(leaf.AuthorityKeyId, a.Certificate().SubjectKeyId) {
				t.Errorf("authority key ID: got %X, want CA's %X", leaf.AuthorityKeyId, a.Certificate().SubjectKeyId)
			}
			pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
			if !ok || pub.Curve != elliptic.P256() {
				t.Errorf("leaf key: got %T, want ECDSA P-256", leaf.PublicKey)
			}
			if cert.PrivateKey != a.leafKey {
				t.Errorf("leaf private key is not the Authority's shared leaf key")
			}
			verifyHost := tt.wantName
			roots := x509.NewCertPool()
			roots.AddCert(a.Certificate())
			if _, err := leaf.Verify(x509.VerifyOptions{DNSName: verifyHost, Roots: roots}); err != nil {
				t.Errorf("verify for %s: %v", verifyHost, err)
			}
		})
	}
}

func TestCertForRejectsBadHosts(t *testing.T) {
	a := newTestAuthority(t)
	hosts := []string{
		"",
		":443",
		"[]:443",
		"exa mple.org",
		"example..org",
		".",
		"..",
		"example.org/path",
		"ex\x00ample.org",
		"hôpital.example",
		"*.example.org",
		strings.Repeat("a", 64) + ".example",
		strings.Repeat("abcdefgh.", 30) + "example",
		strings.Repeat("x", 10_000),
	}
	for _, host := range hosts {
		if cert, err := a.CertFor(host); err == nil {
			t.Errorf("CertFor(%q): got leaf for %v, want error", truncateForError(host), cert.Leaf.DNSNames)
		}
	}
	if got := a.issued.Load(); got != 0 {
		t.Errorf("issued for bad hosts: got %d, want 0", got)
	}
}

func TestCertForConcurrentFirstRequestsIssueOnce(t *testing.T) {
	a := newTestAuthority(t)
	// Slow the first issuance (its first clock read) so that every caller
	// arrives while it is still in progress; otherwise on a small machine
	// the first caller can finish before the others are even scheduled.
	var slowOnce sync.Once
	a.now = func() time.Time {
		slowOnce.Do(func() { time.Sleep(50 * time.Millisecond) })
		return time.Now()
	}
	const callers = 100
	start := make(chan struct{})
	results := make(chan *tls.Certificate, callers)
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			cert, err := a.CertFor("telehealth.clinic.example:443")
			if err != nil {
				errs <- err
				return
			}
			results <- cert
		}()
	}
	close(start)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("callers did not finish within 10s")
	}
	close(errs)
	close(results)
	for err := range errs {
		t.Fatalf("CertFor: %v", err)
	}
	var first *tls.Certificate
	n := 0
	for cert := range results {
		n++
		if first == nil {
			first = cert
		} else if cert != first {
			t.Fatalf("callers got different leaves")
		}
	}
	if n != callers {
		t.Fatalf("results: got %d, want %d", n, callers)
	}
	if got := a.issued.Load(); got != 1 {
		t.Fatalf("issuances: got %d, want 1", got)
	}
}

func TestCertForCacheIsBoundedLRU(t *testing.T) {
	a := newTestAuthority(t)
	a.SetCacheSize(3)
	host := func(i int) string { return fmt.Sprintf("h%d.example", i) }
	for i := range 10 {
		if _, err := a.CertFor(host(i)); err != nil {
			t.Fatal(err)
		}
		if got := a.leaves.len(); got > 3 {
			t.Fatalf("cache size after %d hosts: got %d, want at most 3", i+1, got)
		}
	}
	if got := a.issued.Load(); got != 10 {
		t.Fatalf("issuances: got %d, want 10", got)
	}

	// Cache holds h7 h8 h9. Touch h7, add h10: h8 is the least recently
	// used and must be the one to go.
	steps := []struct {
		host       string
		wantIssued int64
	}{
		{host(7), 10},
		{host(10), 11},
		{host(7), 11},
		{host(9), 11},
		{host(8), 12},
		{host(0), 13},
	}
	for _, s := range steps {
		if _, err := a.CertFor(s.host); err != nil {
			t.Fatal(err)
		}
		if got := a.issued.Load(); got != s.wantIssued {
			t.Fatalf("after %s: issuances got %d, want %d", s.host, got, s.wantIssued)
		}
	}

	a.SetCacheSize(1)
	if got := a.leaves.len(); got != 1 {
		t.Errorf("cache size after shrinking to 1: got %d, want 1", got)
	}
	a.SetCacheSize(0)
	if got := a.leaves.capacity; got != DefaultCacheSize {
		t.Errorf("capacity after SetCacheSize(0): got %d, want %d", got, DefaultCacheSize)
	}
}

// authorityWithCA loads an Authority whose CA expires at caNotAfter.
func authorityWithCA(t *testing.T, caNotAfter time.Time) *Authority {
	t.Helper()
	// createCA's validity is fixed; date its creation so that it ends
	// at caNotAfter.
	created := caNotAfter.AddDate(-caValidityYears, 0, 0).Add(caBackdate)
	certPEM, keyPEM, err := createCA(created)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Load(writeFiles(t, certPEM, keyPEM))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := a.Certificate().NotAfter; got.Sub(caNotAfter).Abs() > time.Second {
		t.Fatalf("CA NotAfter: got %v, want %v", got, caNotAfter)
	}
	return a
}

func TestLeafValidityWithinCA(t *testing.T) {
	caNotAfter := time.Date(2031, 6, 1, 12, 0, 0, 0, time.UTC)
	a := authorityWithCA(t, caNotAfter)
	tests := []struct {
		name          string
		now           time.Time
		wantNotAfter  time.Time
		wantErrorText string
	}{
		{"far from CA expiry", caNotAfter.AddDate(-1, 0, 0), caNotAfter.AddDate(-1, 0, 0).Add(30 * 24 * time.Hour), ""},
		{"CA expires in 10 days", caNotAfter.Add(-10 * 24 * time.Hour), caNotAfter, ""},
		{"CA expires in 2 hours", caNotAfter.Add(-2 * time.Hour), caNotAfter, ""},
		{"CA expired", caNotAfter.Add(time.Minute), time.Time{}, "expired"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.now = func() time.Time { return tt.now }
			cert, err := a.CertFor(fmt.Sprintf("host%d.example", i))
			if tt.wantErrorText != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErrorText) {
					t.Fatalf("CertFor: got %v, want error containing %q", err, tt.wantErrorText)
				}
				return
			}
			if err != nil {
				t.Fatalf("CertFor: %v", err)
			}
			leaf := cert.Leaf
			if leaf.NotAfter.After(a.Certificate().NotAfter) {
				t.Errorf("leaf NotAfter %v is after CA NotAfter %v", leaf.NotAfter, a.Certificate().NotAfter)
			}
			if !leaf.NotAfter.Equal(tt.wantNotAfter) {
				t.Errorf("leaf NotAfter: got %v, want %v", leaf.NotAfter, tt.wantNotAfter)
			}
			if want := tt.now.Add(-time.Hour); !leaf.NotBefore.Equal(want) {
				t.Errorf("leaf NotBefore: got %v, want %v", leaf.NotBefore, want)
			}
		})
	}
}

func TestCertForReissuesExpiringLeaf(t *testing.T) {
	a := newTestAuthority(t)
	t0 := time.Now().Truncate(time.Second)
	now := t0
	a.now = func() time.Time { return now }

	first, err := a.CertFor("portal.clinic.example")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		after      time.Duration
		wantIssued int64
		wantSame   bool
	}{
		{time.Minute, 1, true},
		{30*24*time.Hour - 61*time.Minute, 1, true},
		{30*24*time.Hour - 59*time.Minute, 2, false},
	}
	for _, s := range steps {
		now = t0.Add(s.after)
		cert, err := a.CertFor("portal.clinic.example")
		if err != nil {
			t.Fatal(err)
		}
		if got := a.issued.Load(); got != s.wantIssued {
			t.Errorf("at +%v: issuances got %d, want %d", s.after, got, s.wantIssued)
		}
		if same := cert == first; same != s.wantSame {
			t.Errorf("at +%v: same leaf got %v, want %v", s.after, same, s.wantSame)
		}
		if !now.Add(time.Hour).Before(cert.Leaf.NotAfter) {
			t.Errorf("at +%v: leaf expires %v, within an hour", s.after, cert.Leaf.NotAfter)
		}
	}
}

func TestNormalizeHostIsIdempotent(t *testing.T) {
	for _, host := range []string{"A.Example.", "[::FFFF:10.0.0.1]:80", "x_y.example:1", "1.2.3.4", "0.0.0.0.", "1.2.3"} {
		name, _, err := normalizeHost(host)
		if err != nil {
			t.Fatalf("normalizeHost(%q): %v", host, err)
		}
		again, _, err := normalizeHost(name)
		if err != nil || again != name {
			t.Errorf("normalizeHost(%q) = %q, then %q (%v); want stable", host, name, again, err)
		}
	}
}

func FuzzNormalizeHost(f *testing.F) {
	for _, seed := range []string{
		"example.org", "EXAMPLE.org:443", "[::1]:443", "::1", "fe80::1%eth0",
		"127.0.0.1", "a..b", "", "[", "]:", "x_y.example.", "\xff\xfe", "[fe80::1%25eth0]:8443", "0.0.0.0.",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, host string) {
		name, ip, err := normalizeHost(host)
		if err != nil {
			return
		}
		if name == "" || len(name) > maxHostLength {
			t.Fatalf("normalizeHost(%q) = %q: empty or too long", host, name)
		}
		if !ip.IsValid() && name != strings.ToLower(name) {
			t.Fatalf("normalizeHost(%q) = %q: not lower-case", host, name)
		}
		again, againIP, err := normalizeHost(name)
		if err != nil || again != name || againIP != ip {
			t.Fatalf("normalizeHost(%q) = %q, then %q %v (%v): not stable", host, name, again, againIP, err)
		}
	})
}

func FuzzParseAuthority(f *testing.F) {
	certPEM, keyPEM, err := createCA(time.Now())
	if err != nil {
		f.Fatal(err)
	}
	_, otherKeyPEM, err := createCA(time.Now())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(certPEM, keyPEM)
	f.Add(certPEM, otherKeyPEM)
	f.Add(keyPEM, certPEM)
	f.Add(certPEM[:len(certPEM)/2], keyPEM)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"), []byte{})
	f.Fuzz(func(t *testing.T, certData, keyData []byte) {
		a, err := parseAuthority(certData, keyData, "ca.pem", "ca.key")
		if err != nil {
			if !strings.Contains(err.Error(), "ca.pem") && !strings.Contains(err.Error(), "ca.key") {
				t.Fatalf("error %q names neither file", err)
			}
			return
		}
		if !a.Certificate().IsCA {
			t.Fatalf("accepted a non-CA certificate")
		}
	})
}

func BenchmarkCertForCached(b *testing.B) {
	a := newTestAuthority(b)
	if _, err := a.CertFor("portal.clinic.example"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.CertFor("portal.clinic.example"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCertForNew(b *testing.B) {
	a := newTestAuthority(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := a.CertFor(fmt.Sprintf("host%d.clinic.example", i)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLoadMakesAnExposedKeyPrivate(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, KeyFileName)
	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(key)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Fatalf("key mode after Load: got %v, want 0600", got)
	}
}
