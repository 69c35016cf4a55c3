package chromium_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy/certs"
	"github.com/phiproxy/phiproxy/chromium"
	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
	"github.com/phiproxy/phiproxy/internal/testenv"
)

const marker = "phiproxy-dom-marker-7f3a"

// dumpDOM runs Chromium with the profile through the proxy and returns
// what --dump-dom printed.
func dumpDOM(t *testing.T, p *chromium.Profile, proxyAddr, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append(p.Args(proxyAddr), "--dump-dom", url)
	cmd := exec.CommandContext(ctx, chromium.DefaultPath, args...)
	cmd.Env = p.Env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("chromium did not finish in time; stderr:\n%s", stderr.String())
	}
	if err != nil {
		t.Logf("chromium: %v; stderr:\n%s", err, stderr.String())
	}
	return stdout.String()
}

func TestProfileTrustsCAThroughProxy(t *testing.T) {
	chromiumtest.RequireBrowser(t)
	site := chromiumtest.NewSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "<!doctype html><title>t</title><p id=m>%s</p>", marker)
	}), "site.test")
	px := chromiumtest.StartProxy(t, chromiumtest.ProxyOptions{
		Resolve: map[string]string{"site.test": site.Addr()},
		Roots:   site.Roots,
	})

	t.Run("trusted", func(t *testing.T) {
		p, err := chromium.NewProfile(px.CAPEM)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		dom := dumpDOM(t, p, px.Addr, "https://site.test/")
		if !strings.Contains(dom, marker) {
			t.Fatalf("DOM through the proxy: marker missing; got:\n%s", clip(dom))
		}
		if !sawRequest(px, "https://site.test/") {
			t.Fatalf("proxy saw no flow for https://site.test/; flows: %v", urls(px))
		}
	})

	t.Run("untrusted CA", func(t *testing.T) {
		other, err := certs.Load(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		p, err := chromium.NewProfile(other.CertPEM())
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		before := len(px.Flows())
		dom := dumpDOM(t, p, px.Addr, "https://site.test/?untrusted")
		if strings.Contains(dom, marker) {
			t.Fatalf("a profile trusting another CA loaded the page: the TLS check did not happen")
		}
		for _, f := range px.Flows()[before:] {
			if strings.Contains(f.Request.URL, "untrusted") {
				t.Fatalf("request reached the proxy through a certificate the browser must reject: %s", f.Request.URL)
			}
		}
	})
}

func sawRequest(px *chromiumtest.Proxy, url string) bool {
	for _, f := range px.Flows() {
		if f.Request.URL == url {
			return true
		}
	}
	return false
}

func urls(px *chromiumtest.Proxy) []string {
	var out []string
	for _, f := range px.Flows() {
		out = append(out, f.Request.URL)
	}
	return out
}

func clip(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

func TestNewProfileFiles(t *testing.T) {
	testenv.Program(t, "certutil")
	ca, err := certs.Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p, err := chromium.NewProfile(ca.CertPEM())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{p.Dir, p.Home, filepath.Join(p.Home, ".pki", "nssdb")} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fi.Mode().Perm(), os.FileMode(0o700); got != want {
			t.Errorf("%s mode: got %v, want %v", d, got, want)
		}
	}
	// The database must list the CA under its nickname with CA trust for
	// TLS servers.
	out, err := exec.Command("certutil", "-d", "sql:"+filepath.Join(p.Home, ".pki", "nssdb"), "-L").CombinedOutput()
	if err != nil {
		t.Fatalf("certutil -L: %v: %s", err, out)
	}
	var line string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "phiproxy ") {
			line = l
		}
	}
	if fields := strings.Fields(line); len(fields) < 2 || fields[len(fields)-1] != "C,," {
		t.Fatalf("certutil -L: got line %q, want nickname phiproxy with trust C,,; output:\n%s", line, out)
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{p.Dir, p.Home} {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after Close: got %v, want not exist", d, err)
		}
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestNewProfileErrors(t *testing.T) {
	ca, err := certs.Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		pem   []byte
		path  string // PATH for the call; "" keeps the current one
		want  string
		isErr error
	}{
		{name: "empty", pem: nil, want: "no PEM certificate"},
		{name: "not PEM", pem: []byte("hello"), want: "no PEM certificate"},
		{name: "key only", pem: []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), want: "no PEM certificate"},
		{name: "garbage certificate", pem: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), want: "parse CA certificate"},
		{name: "no certutil", pem: ca.CertPEM(), path: t.TempDir(), want: "libnss3-tools", isErr: chromium.ErrNoCertutil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.path != "" {
				t.Setenv("PATH", tc.path)
			}
			p, err := chromium.NewProfile(tc.pem)
			if err == nil {
				p.Close()
				t.Fatalf("NewProfile: got no error, want one containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewProfile error: got %q, want it to contain %q", err, tc.want)
			}
			if tc.isErr != nil && !errors.Is(err, tc.isErr) {
				t.Fatalf("NewProfile error: got %v, want errors.Is %v", err, tc.isErr)
			}
		})
	}
}

func TestArgsAndEnv(t *testing.T) {
	p := &chromium.Profile{Dir: "/tmp/x/profile", Home: "/tmp/x/home"}
	args := p.Args("127.0.0.1:4321")
	for _, want := range []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=/tmp/x/profile", "--proxy-server=127.0.0.1:4321", "--proxy-bypass-list=<-loopback>",
	} {
		if !slices.Contains(args, want) {
			t.Errorf("Args: missing %q in %q", want, args)
		}
	}
	t.Setenv("HOME", "/root/original")
	var homes []string
	for _, kv := range p.Env() {
		if strings.HasPrefix(kv, "HOME=") {
			homes = append(homes, kv)
		}
	}
	if got, want := homes, []string{"HOME=/tmp/x/home"}; !slices.Equal(got, want) {
		t.Fatalf("Env HOME: got %q, want %q", got, want)
	}
}

// TestOpenProfileKeepsFoldersAndTrustsTheCurrentCA: a kept profile
// survives Close, and opening it with another CA replaces the one its
// NSS database trusted.
func TestOpenProfileKeepsFoldersAndTrustsTheCurrentCA(t *testing.T) {
	certutil := testenv.Program(t, "certutil")
	dir := filepath.Join(t.TempDir(), "kept")
	var trusted []string
	for range 2 {
		ca, err := certs.Load(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		p, err := chromium.OpenProfile(dir, ca.CertPEM())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p.Dir, "Cookies"), []byte("kept"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(certutil, "-L", "-d", "sql:"+filepath.Join(p.Home, ".pki", "nssdb"), "-n", "phiproxy", "-a").CombinedOutput()
		if err != nil {
			t.Fatalf("certutil -L: %v: %s", err, out)
		}
		if got := strings.Count(string(out), "BEGIN CERTIFICATE"); got != 1 || !strings.Contains(strings.ReplaceAll(string(out), "\r", ""), string(ca.CertPEM())) {
			t.Fatalf("trusted under phiproxy: %d certificates, want exactly this CA's:\n%s", got, out)
		}
		trusted = append(trusted, string(out))
	}
	if trusted[0] == trusted[1] {
		t.Error("the second CA did not replace the first")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "profile", "Cookies")); err != nil || string(b) != "kept" {
		t.Errorf("profile folder not kept: %q, %v", b, err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("kept profile folder mode: %v, %v", fi.Mode(), err)
	}
}
