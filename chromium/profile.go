// Package chromium prepares a throw-away Chromium profile that sends all of
// its traffic through phiproxy and trusts phiproxy's CA, so that a headless
// browser can be driven through the proxy without touching the user's own
// browser profile or certificate store.
//
// Chromium on Linux reads user-added trust anchors from the NSS database in
// $HOME/.pki/nssdb. The profile therefore owns two temporary folders: a
// user-data-dir and a HOME whose NSS database trusts the CA. The browser
// must be started with Args and Env for both to take effect.
package chromium

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// DefaultPath is where Debian's chromium package installs the browser.
const DefaultPath = "/usr/bin/chromium"

// nssNickname is the name the CA carries inside the NSS database.
const nssNickname = "phiproxy"

// certutilTimeout bounds each certutil run; creating a database takes
// milliseconds, so anything longer is a hang.
const certutilTimeout = 20 * time.Second

// ErrNoCertutil is returned by NewProfile when the NSS certutil tool is not
// installed.
var ErrNoCertutil = errors.New("certutil not found in PATH: install the Debian package libnss3-tools")

// Profile is a temporary Chromium profile. The zero value is not usable;
// obtain one from NewProfile and release it with Close.
type Profile struct {
	// Dir is a fresh, empty Chromium user-data-dir (mode 0700).
	Dir string
	// Home is the HOME the browser must run with: its .pki/nssdb trusts the
	// phiproxy CA (mode 0700).
	Home string

	// root holds Dir and Home, so Close removes both at once.
	root string
	// kept profiles (OpenProfile) outlive Close.
	kept bool
}

// NewProfile creates the temporary folders and an NSS database in
// Home/.pki/nssdb that trusts caPEM as a certificate authority for TLS
// servers. caPEM must hold at least one PEM certificate; the first one is
// trusted. It needs the certutil tool (Debian package libnss3-tools) and
// returns ErrNoCertutil when it is missing.
func NewProfile(caPEM []byte) (*Profile, error) {
	root, err := os.MkdirTemp("", "phiproxy-chromium-")
	if err != nil {
		return nil, fmt.Errorf("chromium profile: %w", err)
	}
	p, err := trustingProfile(root, caPEM)
	if err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	return p, nil
}

// OpenProfile is NewProfile for a profile kept in dir across sessions, so
// that a portal login survives: dir/profile is the user-data-dir and
// dir/home the HOME. Missing folders are created (mode 0700); the CA in
// caPEM is trusted anew each time, replacing a certificate an earlier CA
// left under the same name. Close leaves the folders in place.
func OpenProfile(dir string, caPEM []byte) (*Profile, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("chromium profile: %w", err)
	}
	p, err := trustingProfile(dir, caPEM)
	if err != nil {
		return nil, err
	}
	p.kept = true
	return p, nil
}

// trustingProfile lays out a profile under root (which exists) whose NSS
// database trusts caPEM.
func trustingProfile(root string, caPEM []byte) (*Profile, error) {
	cert, err := firstCertificate(caPEM)
	if err != nil {
		return nil, err
	}
	certutil, err := exec.LookPath("certutil")
	if err != nil {
		return nil, ErrNoCertutil
	}
	p := &Profile{Dir: filepath.Join(root, "profile"), Home: filepath.Join(root, "home"), root: root}
	// The children are made 0700 because the profile will hold cookies
	// and form data typed with PHI.
	nssDir := filepath.Join(p.Home, ".pki", "nssdb")
	for _, d := range []string{p.Dir, nssDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("chromium profile: %w", err)
		}
	}
	caFile := filepath.Join(p.Home, "phiproxy-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		return nil, fmt.Errorf("chromium profile: write CA: %w", err)
	}
	db := "sql:" + nssDir
	if _, err := os.Stat(filepath.Join(nssDir, "cert9.db")); err == nil {
		// A kept profile: drop the CA an earlier session trusted, which
		// may be another one (a new --ca-dir). Absent, -D fails; fine.
		_ = runCertutil(certutil, "-d", db, "-D", "-n", nssNickname)
	} else if err := runCertutil(certutil, "-d", db, "-N", "--empty-password"); err != nil {
		return nil, fmt.Errorf("chromium profile: create NSS database: %w", err)
	}
	// "C,," trusts the certificate as a CA for TLS servers only, not for
	// e-mail or code signing.
	if err := runCertutil(certutil, "-d", db, "-A", "-t", "C,,", "-n", nssNickname, "-i", caFile); err != nil {
		return nil, fmt.Errorf("chromium profile: add CA to NSS database: %w", err)
	}
	return p, nil
}

// firstCertificate parses the first CERTIFICATE block of data.
func firstCertificate(data []byte) (*x509.Certificate, error) {
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return nil, errors.New("chromium profile: no PEM certificate in the CA data")
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("chromium profile: parse CA certificate: %w", err)
		}
		return c, nil
	}
}

func runCertutil(path string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), certutilTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 500 {
			msg = msg[:500] + "…"
		}
		if msg != "" {
			return fmt.Errorf("certutil %s: %w: %s", args[2], err, msg)
		}
		return fmt.Errorf("certutil %s: %w", args[2], err)
	}
	return nil
}

// Args returns the command-line flags that start Chromium headless with
// this profile, sending every request, loopback included, through the proxy
// at proxyAddr ("127.0.0.1:8080"). QUIC is off because the proxy only sees
// TCP; background and update traffic is off so that the flows captured are
// the pages'.
func (p *Profile) Args(proxyAddr string) []string {
	return append([]string{"--headless", "--no-sandbox", "--disable-gpu"}, p.proxiedArgs(proxyAddr)...)
}

// WindowArgs returns the flags that start Chromium with a window for a
// person to browse with, through the proxy at proxyAddr, with this
// profile. The sandbox stays on unless running as root, where Chromium
// refuses to start with it.
func (p *Profile) WindowArgs(proxyAddr string) []string {
	// A dedicated profile keeps its cookies under a fixed key rather than
	// asking a desktop keyring to unlock.
	args := append(p.proxiedArgs(proxyAddr), "--password-store=basic")
	if os.Geteuid() == 0 {
		args = append([]string{"--no-sandbox"}, args...)
	}
	return args
}

// proxiedArgs are the flags every use of the profile shares.
func (p *Profile) proxiedArgs(proxyAddr string) []string {
	return []string{
		"--disable-quic",
		"--no-first-run",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-sync",
		"--user-data-dir=" + p.Dir,
		"--proxy-server=" + proxyAddr,
		// Chromium bypasses the proxy for loopback by default; "<-loopback>"
		// removes that implicit rule so local test sites are captured too.
		"--proxy-bypass-list=<-loopback>",
	}
}

// Env returns the current process environment with HOME pointing at the
// profile's Home, so that Chromium reads the NSS database that trusts the
// CA.
func (p *Profile) Env() []string {
	env := os.Environ()
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "HOME=") {
			out = append(out, kv)
		}
	}
	return append(out, "HOME="+p.Home)
}

// Close removes the profile's folders, unless OpenProfile keeps them. It
// is safe to call more than once.
func (p *Profile) Close() error {
	if p == nil || p.root == "" || p.kept {
		return nil
	}
	if err := os.RemoveAll(p.root); err != nil {
		return fmt.Errorf("remove chromium profile: %w", err)
	}
	return nil
}
