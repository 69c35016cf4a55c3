package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
)

// stuckOrigin is a TLS origin for tracker.test that takes every request
// and answers none until the request is cancelled; got receives each
// request's path.
func stuckOrigin(t *testing.T) (site *chromiumtest.Site, certFile string, got chan string) {
	t.Helper()
	got = make(chan string, 16)
	site = chromiumtest.NewSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.Path
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}), "tracker.test")
	certFile = filepath.Join(t.TempDir(), "origin.pem")
	if err := os.WriteFile(certFile, site.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return site, certFile, got
}

type answer struct {
	status int
	body   string
	err    error
}

// getAsync sends a GET through the proxy and delivers its answer later.
func getAsync(c *http.Client, u string) chan answer {
	ch := make(chan answer, 1)
	go func() {
		resp, err := c.Get(u)
		if err != nil {
			ch <- answer{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		ch <- answer{resp.StatusCode, string(b), err}
	}()
	return ch
}

func waitPath(t *testing.T, got chan string, want string) {
	t.Helper()
	select {
	case p := <-got:
		if p != want {
			t.Fatalf("origin got %s, want %s", p, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("origin never got %s", want)
	}
}

// TestSIGTERMAnswersAStuckRequest: a request whose origin never answers
// is still in flight when phiproxy is told to stop. Once the grace period
// is over the browser gets a 503 saying why, the flow is stored with that
// reason, and phiproxy exits 0.
func TestSIGTERMAnswersAStuckRequest(t *testing.T) {
	site, certFile, got := stuckOrigin(t)
	r := startProxy(t, "--resolve", "tracker.test="+site.Addr(), "--upstream-ca", certFile, "--shutdown-grace", "500ms")
	ch := getAsync(r.client(t), "https://tracker.test/stuck?em=jane.doe%40example.com")
	waitPath(t, got, "/stuck")
	start := time.Now()
	r.stop(t) // fails unless the exit code is 0
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("exit took %v after SIGTERM with a 500ms grace period", d)
	}
	a := <-ch
	if a.err != nil || a.status != http.StatusServiceUnavailable || !strings.Contains(a.body, "shutting down") {
		t.Errorf("browser got %d %q %v; want a 503 saying the proxy is shutting down", a.status, a.body, a.err)
	}
	if got := sqlite(t, r.db, "SELECT error FROM flows WHERE url LIKE '%/stuck%'"); !strings.Contains(got, "shutting down") {
		t.Errorf("stored flow error: got %q, want the shutdown", got)
	}
}

// TestUpstreamTimeoutFlag: --upstream-timeout turns an origin that never
// answers into a 504 naming the timeout, recorded on the stored flow.
func TestUpstreamTimeoutFlag(t *testing.T) {
	site, certFile, got := stuckOrigin(t)
	r := startProxy(t, "--resolve", "tracker.test="+site.Addr(), "--upstream-ca", certFile, "--upstream-timeout", "300ms")
	a := <-getAsync(r.client(t), "https://tracker.test/never?em=jane.doe%40example.com")
	waitPath(t, got, "/never")
	if a.err != nil || a.status != http.StatusGatewayTimeout || !strings.Contains(a.body, "timeout") {
		t.Errorf("browser got %d %q %v; want a 504 naming the timeout", a.status, a.body, a.err)
	}
	r.stop(t)
	if got := sqlite(t, r.db, "SELECT error FROM flows WHERE url LIKE '%/never%'"); !strings.Contains(got, "timeout awaiting response headers") {
		t.Errorf("stored flow error: got %q, want the response-header timeout", got)
	}
}

func TestLimitFlagsMustBePositive(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--no-tui", "--upstream-timeout", "0s"},
		{"run", "--no-tui", "--body-idle-timeout", "-1s"},
		{"run", "--no-tui", "--max-conns", "0"},
	} {
		code, _, errOut := cli(t, append(args, "--db", filepath.Join(t.TempDir(), "x.db"), "--ca-dir", t.TempDir())...)
		if code != 2 || !strings.Contains(errOut, args[2]) || !strings.Contains(errOut, "positive") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and the flag named", args, code, errOut)
		}
	}
}
