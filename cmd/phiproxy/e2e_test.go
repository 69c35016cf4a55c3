package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
	"github.com/phiproxy/phiproxy/internal/pgtest"
	"github.com/phiproxy/phiproxy/internal/testenv"
)

// binary is the phiproxy built once for the tests that run it as a
// separate process (signals, kill -9, a real terminal).
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "phiproxy-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binary = filepath.Join(dir, "phiproxy")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build phiproxy:", err)
		os.Exit(2)
	}
	code := pgtest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// origin is a TLS server standing in for a tracker; it records what it got.
type origin struct {
	*chromiumtest.Site
	certFile string
	mu       sync.Mutex
	got      []recorded
}

type recorded struct {
	method, uri string
	header      http.Header
	body        []byte
}

// newOrigin starts an origin whose certificate names tracker.test, so the
// proxy verifies upstream TLS for real (trusting it via --upstream-ca).
func newOrigin(t *testing.T) *origin {
	t.Helper()
	o := &origin{}
	o.Site = chromiumtest.NewSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		o.mu.Lock()
		o.got = append(o.got, recorded{r.Method, r.RequestURI, r.Header.Clone(), body})
		o.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "ok")
	}), "tracker.test")
	o.certFile = filepath.Join(t.TempDir(), "origin.pem")
	if err := os.WriteFile(o.certFile, o.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return o
}

// addr is the origin's 127.0.0.1:port, for --resolve.
func (o *origin) addr() string { return o.Addr() }

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// running is a phiproxy process.
type running struct {
	cmd            *exec.Cmd
	addr, db, ca   string
	stdout, stderr *testenv.Buffer
	done           chan error
}

// startProxy runs `phiproxy run --no-tui` on a free loopback port with a
// fresh CA and database, plus extra flags.
func startProxy(t *testing.T, extra ...string) *running {
	t.Helper()
	dir := t.TempDir()
	r := &running{addr: freeAddr(t), db: filepath.Join(dir, "phiproxy.db"), ca: filepath.Join(dir, "ca"),
		stdout: &testenv.Buffer{}, stderr: &testenv.Buffer{}, done: make(chan error, 1)}
	args := append([]string{"run", "--no-tui", "--listen", r.addr, "--db", r.db, "--ca-dir", r.ca}, extra...)
	r.cmd = exec.Command(binary, args...)
	r.cmd.Stdout, r.cmd.Stderr = r.stdout, r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	t.Cleanup(func() {
		r.cmd.Process.Kill()
		<-r.done
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", r.addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("phiproxy did not listen on %s; stderr:\n%s", r.addr, r.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return r
}

// client trusts only the proxy's CA and sends everything through it.
func (r *running) client(t *testing.T) *http.Client {
	t.Helper()
	pemBytes, err := os.ReadFile(filepath.Join(r.ca, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemBytes) {
		t.Fatal("no CA certificate")
	}
	proxyURL := &url.URL{Scheme: "http", Host: r.addr}
	return &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		Proxy: http.ProxyURL(proxyURL), TLSClientConfig: &tls.Config{RootCAs: roots}, MaxIdleConnsPerHost: 16,
	}}
}

// stop sends SIGTERM and waits for a clean exit.
func (r *running) stop(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-r.done:
		r.done <- err
		if err != nil {
			t.Fatalf("phiproxy exit after SIGTERM: %v; stderr:\n%s", err, r.stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("phiproxy did not exit within 60 s of SIGTERM; stderr:\n%s", r.stderr.String())
	}
}

func do(t *testing.T, c *http.Client, method, u, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// cli runs a phiproxy command to completion and returns its exit code.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return cliEnv(t, nil, args...)
}

// cliEnv is cli with extra environment variables.
func cliEnv(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	code, stdout, stderr, err := runCLI(env, args...)
	if err != nil {
		t.Fatal(err)
	}
	return code, stdout, stderr
}

// runCLI runs a phiproxy command to completion from any goroutine; err is
// a failure to run it at all.
func runCLI(env []string, args ...string) (code int, stdout, stderr string, err error) {
	var o, e bytes.Buffer
	cmd := exec.Command(binary, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), o.String(), e.String(), nil
	}
	return 0, o.String(), e.String(), err
}

func parseJSONLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

func hasFinding(rows []map[string]any, kind, term string) bool {
	for _, r := range rows {
		if r["kind"] == kind && strings.EqualFold(fmt.Sprint(r["term"]), term) {
			return true
		}
	}
	return false
}

func TestRunFindsPHIEndToEnd(t *testing.T) {
	o := newOrigin(t)
	r := startProxy(t, "--resolve", "tracker.test="+o.addr(), "--upstream-ca", o.certFile)
	c := r.client(t)

	base := "https://tracker.test"
	if code, _ := do(t, c, "GET", base+"/tr?id=1&ev=PageView&em=jane.doe%40example.com&dl=https%3A%2F%2Fclinic.test%2Fconditions%2Fdepression", "", ""); code != 200 {
		t.Fatalf("GET: %d", code)
	}
	if code, _ := do(t, c, "POST", base+"/v1/t", "text/plain", `{"event":"Order","properties":{"medication":"sertraline","email":"john.roe@example.org"}}`); code != 200 {
		t.Fatalf("POST JSON: %d", code)
	}
	if code, _ := do(t, c, "POST", base+"/form", "application/x-www-form-urlencoded", "app_id=1&user_data=%7B%22email%22%3A%22ann.lee%40example.net%22%7D"); code != 200 {
		t.Fatalf("POST form: %d", code)
	}
	if code, _ := do(t, c, "GET", base+"/plain?q=shoes&size=9", "", ""); code != 200 {
		t.Fatalf("GET plain: %d", code)
	}
	r.stop(t)

	live := checkFindingLines(t, r.stdout.String(), false)
	code, out, errOut := cli(t, "findings", "--json", "--db", r.db)
	if code != 0 {
		t.Fatalf("findings exit %d: %s", code, errOut)
	}
	stored := checkFindingLines(t, out, false)
	if len(stored) == 0 || len(stored) != len(live) {
		t.Fatalf("findings: %d stored, %d printed live; want the same, non-zero", len(stored), len(live))
	}
	for _, want := range []struct{ kind, term string }{
		{"email", "jane.doe@example.com"},
		{"email", "john.roe@example.org"},
		{"email", "ann.lee@example.net"},
		{"medication", "sertraline"},
	} {
		if !hasFinding(stored, want.kind, want.term) {
			t.Errorf("no %s finding for %q in:\n%s", want.kind, want.term, out)
		}
	}
	for _, row := range stored {
		if row["host"] != "tracker.test" {
			t.Errorf("host: got %v, want tracker.test", row["host"])
		}
		if strings.Contains(fmt.Sprint(row["url"]), "/plain") {
			t.Errorf("a flow without PHI was reported: %v", row)
		}
	}
	// Only flagged flows are stored by default.
	if n := sqlite(t, r.db, "SELECT count(*) FROM flows"); n != "3" {
		t.Errorf("stored flows: got %s, want 3", n)
	}
	if got := sqlite(t, r.db, "SELECT seen || ' ' || inspected || ' ' || flagged || ' ' || dropped FROM runs"); got != "4 4 3 0" {
		t.Errorf("run counters (seen inspected flagged dropped): got %q, want %q", got, "4 4 3 0")
	}
	if got := len(o.got); got != 4 {
		t.Errorf("origin received %d requests, want 4", got)
	}
}

// sqlite queries the database with the sqlite3 command-line shell, the way
// README tells users to.
func sqlite(t *testing.T, db, query string) string {
	t.Helper()
	out, err := exec.Command("sqlite3", db, query).CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3 %q: %v: %s", query, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestSIGTERMDrainsEveryAcceptedFlow(t *testing.T) {
	o := newOrigin(t)
	r := startProxy(t, "--resolve", "tracker.test="+o.addr(), "--upstream-ca", o.certFile, "--queue", "100000")
	c := r.client(t)
	const workers, each = 8, 40
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				do(t, c, "GET", fmt.Sprintf("https://tracker.test/p?w=%d&i=%d&email=user%d.%d%%40example.com", w, i, w, i), "", "")
			}
		}(w)
	}
	wg.Wait()
	r.stop(t) // at once: flows may still be queued for inspection
	want := fmt.Sprint(workers * each)
	if got := sqlite(t, r.db, "SELECT count(*) FROM flows"); got != want {
		t.Fatalf("flows stored after SIGTERM: got %s, want %s", got, want)
	}
	if got := sqlite(t, r.db, "SELECT seen || ' ' || flagged || ' ' || dropped FROM runs"); got != want+" "+want+" 0" {
		t.Fatalf("run counters: got %q", got)
	}
	if got := sqlite(t, r.db, "SELECT count(DISTINCT flow_id) FROM findings WHERE kind = 'email'"); got != want {
		t.Fatalf("flows with an email finding: got %s, want %s", got, want)
	}
	if got := sqlite(t, r.db, "SELECT ended IS NOT NULL FROM runs"); got != "1" {
		t.Fatalf("run end not recorded")
	}
}

func TestKill9LeavesAHealthyDatabase(t *testing.T) {
	o := newOrigin(t)
	r := startProxy(t, "--resolve", "tracker.test="+o.addr(), "--upstream-ca", o.certFile)
	c := r.client(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 100_000 && ctx.Err() == nil; i++ {
				req, _ := http.NewRequestWithContext(ctx, "POST", "https://tracker.test/e", strings.NewReader(fmt.Sprintf(`{"email":"p%d.%d@example.com","medication":"sertraline"}`, w, i)))
				resp, err := c.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}(w)
	}
	// Let writes pile up, then kill without warning.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(sqliteMaybe(r.db, "SELECT count(*) > 50 FROM flows"), "1") {
		time.Sleep(100 * time.Millisecond)
	}
	r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.done
	r.done <- nil
	cancel()
	wg.Wait()
	if got := sqlite(t, r.db, "PRAGMA integrity_check"); got != "ok" {
		t.Fatalf("integrity_check after kill -9: %s", got)
	}
	if got := sqlite(t, r.db, "SELECT count(*) > 50 FROM flows"); got != "1" {
		t.Fatalf("flows before the kill were lost")
	}
	if code, _, errOut := cli(t, "findings", "--db", r.db); code != 0 {
		t.Fatalf("findings after kill -9: exit %d: %s", code, errOut)
	}
}

func sqliteMaybe(db, q string) string {
	out, _ := exec.Command("sqlite3", db, q).CombinedOutput()
	return string(out)
}

func TestUpstreamTLSFailureIs502WithReason(t *testing.T) {
	o := newOrigin(t)
	// The origin's certificate is not trusted: no --upstream-ca.
	r := startProxy(t, "--resolve", "tracker.test="+o.addr())
	c := r.client(t)
	code, body := do(t, c, "GET", "https://tracker.test/tr?em=jane.doe%40example.com", "", "")
	if code != http.StatusBadGateway {
		t.Fatalf("status: got %d, want 502", code)
	}
	if !strings.Contains(body, "tracker.test") || !strings.Contains(strings.ToLower(body), "certificate") || strings.Count(strings.TrimSpace(body), "\n") != 0 {
		t.Fatalf("502 body should be one line naming the host and the certificate problem: %q", body)
	}
	if len(o.got) != 0 {
		t.Fatalf("origin got %d requests through an unverified connection", len(o.got))
	}
	r.stop(t)
	if got := sqlite(t, r.db, "SELECT error != '' FROM flows"); got != "1" {
		t.Fatalf("flow not recorded with its error: %q", got)
	}
}

func TestCLIErrorsExit2(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.db")
	cases := [][]string{
		{"nosuchcommand"},
		{"run", "--no-such-flag"},
		{"findings", "--db", missing},
		{"findings", "--min-severity", "severe"},
		{"run", "--resolve", "bad"},
		{"export", "--db", missing, "--out", filepath.Join(t.TempDir(), "x.zip")},
		{"scan"},
	}
	for _, args := range cases {
		code, _, errOut := cli(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if strings.TrimSpace(errOut) == "" {
			t.Errorf("%v: no message on stderr", args)
		}
	}
	if code, out, _ := cli(t, "--help"); code != 0 || !strings.Contains(out, "Commands:") || !strings.Contains(out, "crawl") {
		t.Errorf("--help: exit %d, output %q; want 0 and the list of commands", code, out)
	}
	if code, _, errOut := cli(t, "run", "--help"); code != 0 || !strings.Contains(errOut, "-listen") {
		t.Errorf("run --help: exit %d; want 0 and run's flags", code)
	}
}

func TestCACommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	code, out, errOut := cli(t, "ca", "path", "--ca-dir", dir)
	if code != 0 {
		t.Fatalf("ca path: exit %d: %s", code, errOut)
	}
	path := strings.TrimSpace(out)
	if path != filepath.Join(dir, "ca.pem") {
		t.Fatalf("ca path: got %q", path)
	}
	fi, err := os.Stat(filepath.Join(dir, "ca.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("ca.key: %v %v", fi, err)
	}
	code, der, _ := cli(t, "ca", "export", "--der", "--ca-dir", dir)
	if code != 0 {
		t.Fatalf("ca export --der: exit %d", code)
	}
	cert, err := x509.ParseCertificate([]byte(der))
	if err != nil || !cert.IsCA || !strings.Contains(cert.Subject.CommonName, "phiproxy") {
		t.Fatalf("exported DER: %v %v", cert, err)
	}
	_, pemOut, _ := cli(t, "ca", "export", "--ca-dir", dir)
	if b, _ := pem.Decode([]byte(pemOut)); b == nil || !bytes.Equal(b.Bytes, []byte(der)) {
		t.Fatal("PEM export differs from DER export")
	}
}

func TestExportCommand(t *testing.T) {
	o := newOrigin(t)
	r := startProxy(t, "--resolve", "tracker.test="+o.addr(), "--upstream-ca", o.certFile)
	c := r.client(t)
	do(t, c, "POST", "https://tracker.test/v1/t", "text/plain", `{"event":"Order","properties":{"medication":"sertraline","email":"john.roe@example.org"}}`)
	r.stop(t)

	dir := t.TempDir()
	zipPath := filepath.Join(dir, "evidence.zip")
	code, out, errOut := cli(t, "export", "--db", r.db, "--out", zipPath, "--operator", "QA", "--ca-dir", r.ca)
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	if strings.TrimSpace(out) != zipPath {
		t.Fatalf("export printed %q, want the bundle path", out)
	}
	if fi, err := os.Stat(zipPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("bundle: %v, %v; want mode 0600", fi, err)
	}
	unpacked := filepath.Join(dir, "x")
	if b, err := exec.Command("unzip", "-q", zipPath, "-d", unpacked).CombinedOutput(); err != nil {
		// unzip is not always installed; Python's zipfile is.
		if b2, err2 := exec.Command("python3", "-m", "zipfile", "-e", zipPath, unpacked).CombinedOutput(); err2 != nil {
			t.Fatalf("unpack: %v %s / %v %s", err, b, err2, b2)
		}
	}
	check := exec.Command("sha256sum", "-c", "SHA256SUMS")
	check.Dir = unpacked
	if b, err := check.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, b)
	}
	manifest, err := os.ReadFile(filepath.Join(unpacked, "manifest.json"))
	if err != nil || !strings.Contains(string(manifest), `"QA"`) {
		t.Fatalf("manifest lacks the operator: %v %s", err, manifest)
	}
	code, _, errOut = cli(t, "export", "--db", r.db, "--out", filepath.Join(dir, "none.zip"), "--host", "nowhere.example")
	if code != 2 || !strings.Contains(errOut, "nothing to export") {
		t.Fatalf("empty selection: exit %d, stderr %q; want 2 and a clear message", code, errOut)
	}
}

// TestOverByteBudgetStillForwards sets the inspection byte budget so low
// (--queue-bytes 1) that every flow with a body is over it, and checks that
// the browser's requests are forwarded all the same, with the skipped
// inspections counted. The flow-count limit (--queue) is checked in the
// pipeline's TestFullQueueDropsWithoutBlocking.
func TestOverByteBudgetStillForwards(t *testing.T) {
	o := newOrigin(t)
	r := startProxy(t, "--resolve", "tracker.test="+o.addr(), "--upstream-ca", o.certFile, "--queue-bytes", "1")
	c := r.client(t)
	const n = 50
	var wg sync.WaitGroup
	codes := make(chan int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			code, _ := do(t, c, "POST", fmt.Sprintf("https://tracker.test/e?i=%d", i), "application/json", `{"email":"queued@example.com"}`)
			codes <- code
		}(i)
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != 200 {
			t.Fatalf("a request failed with %d while inspection was skipped", code)
		}
	}
	r.stop(t)
	if got := sqlite(t, r.db, "SELECT seen || ' ' || inspected || ' ' || dropped FROM runs"); got != fmt.Sprintf("%d 0 %d", n, n) {
		t.Fatalf("run counters (seen inspected dropped): got %q, want %d 0 %d", got, n, n)
	}
	if got := len(o.got); got != n {
		t.Fatalf("origin received %d requests, want %d", got, n)
	}
}

// TestPersonaFileBAA checks that a BAA declared in the persona file
// lowers a third party's findings to low, as --baa does.
func TestPersonaFileBAA(t *testing.T) {
	o := newOrigin(t)
	personaFile := filepath.Join(t.TempDir(), "persona.json")
	os.WriteFile(personaFile, []byte(`{"email":"pat.kim@example.com","baa":["tracker.test"]}`), 0o600)
	for _, withBAA := range []bool{false, true} {
		args := []string{"--resolve", "tracker.test=" + o.addr(), "--upstream-ca", o.certFile, "--site", "clinic.test"}
		if withBAA {
			args = append(args, "--persona", personaFile)
		}
		r := startProxy(t, args...)
		c := r.client(t)
		req, _ := http.NewRequest("GET", "https://tracker.test/tr?em=pat.kim%40example.com", nil)
		req.Header.Set("Referer", "https://www.clinic.test/book")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		r.stop(t)
		want := "medium"
		if withBAA {
			want = "low"
		}
		if got := sqlite(t, r.db, "SELECT DISTINCT severity FROM finding_rows WHERE kind='email'"); got != want {
			t.Errorf("BAA in persona file %v: email severity %q, want %q", withBAA, got, want)
		}
	}
}
