package certs

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// Leaf validity. Leaves are backdated to absorb clock skew between the
// proxy and the browser, live long enough that the cache rarely re-issues
// them, and are re-issued before clients could see them expire.
const (
	leafBackdate    = time.Hour
	leafValidity    = 30 * 24 * time.Hour
	leafRenewBefore = time.Hour
	maxHostLength   = 253
	maxLabelLength  = 63
)

// CertFor returns a leaf certificate for host, signed by the CA, for the
// proxy to present to a client that asked for host. host may carry a port
// ("example.org:443", "[::1]:8443"), which is ignored; an IP address gets
// an IP subject alternative name, anything else a DNS one.
//
// Leaves are cached per host (see SetCacheSize) and re-issued within an
// hour of expiry; concurrent first requests for one host share a single
// issuance. The chain holds the leaf then the CA, and Leaf is set. The
// returned certificate is shared: callers must not modify it.
func (a *Authority) CertFor(host string) (*tls.Certificate, error) {
	name, ip, err := normalizeHost(host)
	if err != nil {
		return nil, err
	}
	if cert, ok := a.cached(name); ok {
		return cert, nil
	}
	v, err, _ := a.flight.Do(name, func() (any, error) {
		// Another caller may have stored the leaf between our cache miss
		// and this call; without this check it would be issued twice.
		if cert, ok := a.cached(name); ok {
			return cert, nil
		}
		cert, err := a.issue(name, ip)
		if err != nil {
			return nil, err
		}
		a.mu.Lock()
		a.leaves.put(name, cert)
		a.mu.Unlock()
		return cert, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*tls.Certificate), nil
}

// GetCertificate issues a leaf for the server name the client sent (SNI),
// for use as tls.Config.GetCertificate. A client that sends no server name
// (as clients do when dialling an IP address) gets an error; callers that
// know the target from elsewhere, such as a CONNECT request, use CertFor.
func (a *Authority) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if hello == nil || hello.ServerName == "" {
		return nil, errors.New("certs: client sent no server name (SNI)")
	}
	return a.CertFor(hello.ServerName)
}

// SetCacheSize sets how many leaf certificates are kept, evicting the
// least recently used ones beyond n at once. n < 1 restores
// DefaultCacheSize. It is safe to call while leaves are being issued.
func (a *Authority) SetCacheSize(n int) {
	if n < 1 {
		n = DefaultCacheSize
	}
	a.mu.Lock()
	a.leaves.resize(n)
	a.mu.Unlock()
}

// cached returns the cached leaf for name unless it is close to expiry.
func (a *Authority) cached(name string) (*tls.Certificate, bool) {
	a.mu.Lock()
	cert, ok := a.leaves.get(name)
	a.mu.Unlock()
	if !ok || !a.now().Add(leafRenewBefore).Before(cert.Leaf.NotAfter) {
		return nil, false
	}
	return cert, true
}

// issue signs a new leaf for name (already normalised); ip is valid when
// name is an IP address.
func (a *Authority) issue(name string, ip netip.Addr) (*tls.Certificate, error) {
	now := a.now()
	caNotAfter := a.cert.NotAfter
	if !now.Before(caNotAfter) {
		return nil, fmt.Errorf("certs: CA certificate expired at %s; remove %s and %s to create a new one",
			caNotAfter.Format(time.RFC3339), CertFileName, KeyFileName)
	}
	notAfter := now.Add(leafValidity)
	if notAfter.After(caNotAfter) {
		// A leaf outliving its issuer would fail validation anyway; ending
		// with the CA keeps the error where it belongs.
		notAfter = caNotAfter
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"phiproxy"}},
		NotBefore:             now.Add(-leafBackdate),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if ip.IsValid() {
		tmpl.IPAddresses = []net.IP{ip.AsSlice()}
	} else {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &a.leafKey.PublicKey, a.signer)
	if err != nil {
		return nil, fmt.Errorf("certs: sign leaf for %s: %w", name, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certs: parse leaf for %s: %w", name, err)
	}
	a.issued.Add(1)
	return &tls.Certificate{
		Certificate: [][]byte{der, a.cert.Raw},
		PrivateKey:  a.leafKey,
		Leaf:        leaf,
	}, nil
}

// normalizeHost turns what a client sent (SNI, CONNECT target, Host
// header) into the cache key and subject name of a leaf: without port,
// brackets, zone or trailing dot, lower-cased. It rejects anything that is
// neither an IP address nor a plausible DNS name, since the value comes
// from the network.
func normalizeHost(host string) (name string, ip netip.Addr, err error) {
	h := host
	if len(h) > maxHostLength+len("[]:65535") {
		return "", netip.Addr{}, fmt.Errorf("certs: host name too long (%d bytes)", len(h))
	}
	// The checks before each parse keep the common case, a plain DNS name
	// on the cached path, free of the parsers' error allocations.
	if strings.Contains(h, ":") {
		if hostOnly, _, splitErr := net.SplitHostPort(h); splitErr == nil {
			h = hostOnly
		} else if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
			h = h[1 : len(h)-1]
		}
	}
	// Trim the root dot first so that "10.0.0.1." is the IP it means.
	h = strings.TrimSuffix(h, ".")
	if mayBeIP(h) {
		if addr, parseErr := netip.ParseAddr(h); parseErr == nil {
			addr = addr.WithZone("")
			return addr.String(), addr, nil
		}
	}
	h = strings.ToLower(h)
	if err := checkDNSName(h); err != nil {
		return "", netip.Addr{}, fmt.Errorf("certs: host %q: %w", truncateForError(host), err)
	}
	return h, netip.Addr{}, nil
}

// mayBeIP reports whether h could parse as an IP address: IPv6 always has
// a colon, and IPv4 is only digits and dots.
func mayBeIP(h string) bool {
	if strings.Contains(h, ":") {
		return true
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return h != ""
}

// checkDNSName accepts lower-case LDH names, plus underscores because real
// hosts use them. Internationalised names arrive as punycode.
func checkDNSName(h string) error {
	if h == "" {
		return errors.New("empty host name")
	}
	if len(h) > maxHostLength {
		return fmt.Errorf("host name longer than %d bytes", maxHostLength)
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" {
			return errors.New("empty label")
		}
		if len(label) > maxLabelLength {
			return fmt.Errorf("label longer than %d bytes", maxLabelLength)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("invalid character %q", c)
			}
		}
	}
	return nil
}

// truncateForError keeps hostile input from flooding logs.
func truncateForError(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
