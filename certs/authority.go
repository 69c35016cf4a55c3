// Package certs is phiproxy's local certificate authority: it creates or
// loads the CA that the user trusts in their browser, and issues the
// short-lived per-host leaf certificates the proxy presents when it
// intercepts TLS.
//
// The CA lives in two files in one folder: ca.pem (the certificate, safe to
// share and to import into a trust store) and ca.key (its PKCS#8 private
// key, readable by the owner only). Anyone holding ca.key can impersonate
// any site to a browser that trusts ca.pem, so the key never leaves the
// folder and is never overwritten.
package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// File names of the CA inside its folder.
const (
	CertFileName = "ca.pem"
	KeyFileName  = "ca.key"
)

// caValidity is how long a newly created CA is valid, counted from
// caBackdate before its creation.
const (
	caValidityYears = 10
	caBackdate      = 24 * time.Hour
)

// Authority is a loaded CA that issues leaf certificates. It is safe for
// concurrent use. The zero value is not usable; obtain one from Load.
type Authority struct {
	dir     string
	cert    *x509.Certificate
	certPEM []byte
	signer  crypto.Signer

	// leafKey is shared by every leaf this Authority issues: issuing then
	// costs one signature instead of a key generation, and the key never
	// leaves memory.
	leafKey *ecdsa.PrivateKey

	// now is the clock; tests replace it to exercise expiry.
	now func() time.Time

	mu     sync.Mutex // guards leaves
	leaves *leafCache
	flight singleflight.Group

	// issued counts leaf certificates signed, so tests can prove that
	// concurrent first requests for one host share a single issuance.
	issued atomic.Int64
}

// DefaultDir is the folder phiproxy keeps its CA in:
// $XDG_CONFIG_HOME/phiproxy when XDG_CONFIG_HOME is set to an absolute
// path, else ~/.config/phiproxy.
func DefaultDir() (string, error) {
	if xdg := os.Getenv("XDG_CONFIG_HOME"); xdg != "" && filepath.IsAbs(xdg) {
		return filepath.Join(xdg, "phiproxy"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("certs: find config folder: %w", err)
	}
	return filepath.Join(home, ".config", "phiproxy"), nil
}

// Load returns the CA stored in dir, creating the folder (0700) and a new
// CA (ca.key 0600, ca.pem 0644) when neither file exists yet.
//
// When both files exist they must parse and belong together; otherwise
// Load fails with an error naming the offending file. When only one of them
// exists Load fails rather than replace it, so a user's key is never lost.
// A folder that already exists keeps its permissions.
func Load(dir string) (*Authority, error) {
	if dir == "" {
		return nil, errors.New("certs: empty CA folder name")
	}
	certPath := filepath.Join(dir, CertFileName)
	keyPath := filepath.Join(dir, KeyFileName)

	certExists, err := fileExists(certPath)
	if err != nil {
		return nil, err
	}
	keyExists, err := fileExists(keyPath)
	if err != nil {
		return nil, err
	}

	var certPEM, keyPEM []byte
	switch {
	case certExists && keyExists:
		if certPEM, err = os.ReadFile(certPath); err != nil {
			return nil, fmt.Errorf("certs: read CA certificate: %w", err)
		}
		if keyPEM, err = os.ReadFile(keyPath); err != nil {
			return nil, fmt.Errorf("certs: read CA key: %w", err)
		}
		// A key others can read lets them impersonate any site to every
		// browser that trusts it: take group and other access away.
		if fi, err := os.Stat(keyPath); err == nil && fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(keyPath, fi.Mode().Perm()&0o700); err != nil {
				return nil, fmt.Errorf("certs: %s is readable by others and cannot be made private: %w", keyPath, err)
			}
		}
	case certExists:
		return nil, fmt.Errorf("certs: %s exists but %s does not; restore the key, or remove %s to create a new CA", certPath, keyPath, certPath)
	case keyExists:
		// Creation renames the key first, so this is also what an
		// interrupted first run leaves behind.
		return nil, fmt.Errorf("certs: %s exists but %s does not (interrupted creation, or the certificate was removed); restore the certificate, or remove %s to create a new CA", keyPath, certPath, keyPath)
	default:
		if certPEM, keyPEM, err = createCA(time.Now()); err != nil {
			return nil, err
		}
		if err := writeCA(dir, certPEM, keyPEM); err != nil {
			return nil, err
		}
	}

	a, err := parseAuthority(certPEM, keyPEM, certPath, keyPath)
	if err != nil {
		return nil, err
	}
	a.dir = dir
	return a, nil
}

func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("certs: check %s: %w", path, err)
	}
}

// parseAuthority builds an Authority from the PEM contents of the two
// files. certName and keyName only label errors.
func parseAuthority(certPEM, keyPEM []byte, certName, keyName string) (*Authority, error) {
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("certs: CA certificate %s: %w", certName, err)
	}
	if !cert.BasicConstraintsValid || !cert.IsCA {
		return nil, fmt.Errorf("certs: CA certificate %s: not a CA certificate (basic constraints CA:FALSE)", certName)
	}
	if cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, fmt.Errorf("certs: CA certificate %s: key usage does not allow signing certificates", certName)
	}
	signer, err := parseKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("certs: CA key %s: %w", keyName, err)
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("certs: CA key %s does not match certificate %s", keyName, certName)
	}

	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("certs: generate leaf key: %w", err)
	}
	return &Authority{
		cert:    cert,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		signer:  signer,
		leafKey: leafKey,
		now:     time.Now,
		leaves:  newLeafCache(DefaultCacheSize),
	}, nil
}

func parseCertPEM(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	if block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("PEM block is %q, want CERTIFICATE", block.Type)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return cert, nil
}

func parseKeyPEM(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	if block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("PEM block is %q, want PRIVATE KEY (PKCS#8)", block.Type)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse PKCS#8 key: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("key type %T cannot sign", key)
	}
	return signer, nil
}

// createCA generates a new CA key and self-signed certificate, returned
// PEM-encoded.
func createCA(now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: generate CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	ski, err := subjectKeyID(&key.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	cn := "phiproxy CA"
	if host, err := os.Hostname(); err == nil && host != "" {
		cn = fmt.Sprintf("phiproxy CA (%s)", host)
	}
	notBefore := now.Add(-caBackdate).UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"phiproxy"}},
		NotBefore:             notBefore,
		NotAfter:              notBefore.AddDate(caValidityYears, 0, 0),
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		SubjectKeyId:          ski,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: sign CA certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: encode CA key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	return certPEM, keyPEM, nil
}

// serialLimit bounds serial numbers to 128 bits, within RFC 5280's 20
// octets and unpredictable enough that no two certificates share one.
var serialLimit = new(big.Int).Lsh(big.NewInt(1), 128)

func randomSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, serialLimit)
	if err != nil {
		return nil, fmt.Errorf("certs: generate serial number: %w", err)
	}
	// A zero serial is invalid; the chance is 2^-128 but costs nothing to rule out.
	return n.Add(n, big.NewInt(1)), nil
}

// subjectKeyID is RFC 7093 method 1: the leftmost 160 bits of the SHA-256
// of the subjectPublicKey bit string.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	spkiDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("certs: encode public key: %w", err)
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spkiDER, &spki); err != nil {
		return nil, fmt.Errorf("certs: decode public key: %w", err)
	}
	sum := sha256.Sum256(spki.PublicKey.Bytes)
	return sum[:20], nil
}

// Certificate returns the parsed CA certificate. Callers must not modify it.
func (a *Authority) Certificate() *x509.Certificate { return a.cert }

// CertPEM returns the CA certificate PEM-encoded, as a user imports it into
// a trust store. The slice is a copy.
func (a *Authority) CertPEM() []byte { return bytes.Clone(a.certPEM) }

// CertDER returns the CA certificate DER-encoded. The slice is a copy.
func (a *Authority) CertDER() []byte { return bytes.Clone(a.cert.Raw) }

// CertPath returns the path of ca.pem, to tell users which file to trust.
func (a *Authority) CertPath() string { return filepath.Join(a.dir, CertFileName) }

// Fingerprint returns the SHA-256 of the CA certificate's DER as upper-case
// hex pairs joined by colons ("3F:A2:..."), the form browsers display.
func (a *Authority) Fingerprint() string {
	sum := sha256.Sum256(a.cert.Raw)
	return colonHex(sum[:])
}

// ShortFingerprint returns the first 8 bytes of Fingerprint, enough for a
// user to tell two CAs apart at a glance.
func (a *Authority) ShortFingerprint() string {
	sum := sha256.Sum256(a.cert.Raw)
	return colonHex(sum[:8])
}

func colonHex(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) * 3)
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return sb.String()
}
