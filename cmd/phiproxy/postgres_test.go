package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
	"github.com/phiproxy/phiproxy/internal/pgtest"
	"github.com/phiproxy/phiproxy/internal/testenv"
	"github.com/phiproxy/phiproxy/store"
)

// withoutFlowIDs is JSON Lines with every flow_id removed: copies get new
// IDs, and nothing else may change.
func withoutFlowIDs(t *testing.T, out string) []string {
	t.Helper()
	var lines []string
	for _, r := range parseJSONLines(t, out) {
		delete(r, "flow_id")
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(b))
	}
	return lines
}

// TestDBCopyKeepsFindings: a tester's SQLite session copied into
// PostgreSQL lists the same findings, flow IDs aside.
func TestDBCopyKeepsFindings(t *testing.T) {
	o := newOrigin(t)
	p := startProxy(t, "--resolve", "tracker.test="+o.addr(), "--upstream-ca", o.certFile, "--store-all")
	c := p.client(t)
	do(t, c, "GET", "https://tracker.test/tr?ev=PageView&em=jane.doe%40example.com", "", "")
	do(t, c, "POST", "https://tracker.test/collect", "application/json", `{"email":"jane.doe@example.com","condition":"depression","medication":"sertraline"}`)
	do(t, c, "GET", "https://tracker.test/plain", "", "")
	p.stop(t)
	code, local, stderr := cli(t, "findings", "--json", "--db", p.db)
	if code != exitOK || strings.Count(local, "\n") < 3 {
		t.Fatalf("findings of the SQLite session: exit %d, %q, stderr %s", code, local, stderr)
	}
	pg := pgtest.NewDatabase(t)
	code, stdout, stderr := cli(t, "db", "copy", "--from", p.db, "--to", pg)
	if code != exitOK {
		t.Fatalf("db copy: exit %d: %s", code, stderr)
	}
	u, _ := url.Parse(pg)
	password, _ := u.User.Password()
	if strings.Contains(stdout+stderr, password) || !strings.Contains(stdout, "copied 1 runs, 3 flows") {
		t.Fatalf("db copy output: %q %q", stdout, stderr)
	}
	code, shared, stderr := cli(t, "findings", "--json", "--db", pg)
	if code != exitOK {
		t.Fatalf("findings on PostgreSQL: exit %d: %s", code, stderr)
	}
	want, got := withoutFlowIDs(t, local), withoutFlowIDs(t, shared)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("findings after copy differ:\ngot\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// An evidence bundle from the shared database, with no trace of its
	// password.
	bundle := filepath.Join(t.TempDir(), "evidence.zip")
	if code, _, stderr := cli(t, "export", "--db", pg, "--out", bundle); code != exitOK {
		t.Fatalf("export from PostgreSQL: exit %d: %s", code, stderr)
	}
	zr, err := zip.OpenReader(bundle)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if bytes.Contains(b, []byte(password)) {
			t.Errorf("bundle file %s holds the database password", f.Name)
		}
	}
	if !slices.Contains(names, "findings.json") {
		t.Errorf("bundle files: %v, want findings.json", names)
	}
	// The inventory goes along, under the copied run.
	_, invLocal, _ := cli(t, "inventory", "--json", "--db", p.db)
	_, invShared, _ := cli(t, "inventory", "--json", "--db", pg)
	if n := strings.Count(invLocal, "\n"); n == 0 || strings.Count(invShared, "\n") != n {
		t.Fatalf("inventory lines: %d in SQLite, %d after copy", n, strings.Count(invShared, "\n"))
	}
}

// TestDatabaseURLCredentials: a password in --db, PHIPROXY_DB or
// PGPASSWORD reaches the server and nothing else: not logs, errors, help
// or the runs table. One on the command line, where every user of the
// machine can read it, is warned about; the environment's are not.
func TestDatabaseURLCredentials(t *testing.T) {
	pg := pgtest.NewDatabase(t)
	u, _ := url.Parse(pg)
	password, _ := u.User.Password()
	bare := *u
	bare.User = url.User(u.User.Username())

	o := newOrigin(t)
	p := startProxy(t, "--db", pg, "--resolve", "tracker.test="+o.addr(), "--upstream-ca", o.certFile)
	do(t, p.client(t), "GET", "https://tracker.test/tr?em=jane.doe%40example.com", "", "")
	p.stop(t)
	if s := p.stdout.String() + p.stderr.String(); strings.Contains(s, password) || !strings.Contains(s, "xxxxx") {
		t.Fatalf("proxy output shows the password, or no redacted URL:\n%s", s)
	}
	const warning = "warning: the password in --db can be read by every user"
	if !strings.Contains(p.stderr.String(), warning) {
		t.Errorf("no warning about the password on the command line:\n%s", p.stderr.String())
	}

	// The password from PGPASSWORD, the URL from PHIPROXY_DB.
	code, out, stderr := cliEnv(t, []string{"PHIPROXY_DB=" + bare.String(), "PGPASSWORD=" + password}, "findings", "--json")
	if code != exitOK || !strings.Contains(out, "jane.doe@example.com") {
		t.Fatalf("findings with PHIPROXY_DB and PGPASSWORD: exit %d, %q, %s", code, out, stderr)
	}
	if strings.Contains(stderr, "warning") {
		t.Errorf("a warning with the password in PGPASSWORD: %s", stderr)
	}
	if code, _, stderr := cliEnv(t, []string{"PHIPROXY_DB=" + pg}, "findings", "--json"); code != exitOK || strings.Contains(stderr, "warning") {
		t.Errorf("findings with the password in PHIPROXY_DB: exit %d, stderr %q", code, stderr)
	}
	code, _, help := cliEnv(t, []string{"PHIPROXY_DB=" + pg}, "findings", "--help")
	if code != exitOK || strings.Contains(help, password) || !strings.Contains(help, "xxxxx") {
		t.Fatalf("help with PHIPROXY_DB: exit %d, shows password or no default:\n%s", code, help)
	}
	wrong := *u
	wrong.User = url.UserPassword(u.User.Username(), "hunter2-wrong")
	code, _, stderr = cli(t, "findings", "--db", wrong.String())
	if code != exitError || strings.Contains(stderr, "hunter2-wrong") || !strings.Contains(stderr, "xxxxx") || !strings.Contains(stderr, warning) {
		t.Fatalf("wrong password: exit %d, stderr %q", code, stderr)
	}
	// A password parameter is a password too.
	param := bare
	param.RawQuery = url.Values{"password": {"hunter2-param"}}.Encode()
	if code, _, stderr = cli(t, "findings", "--db", param.String()); code != exitError || strings.Contains(stderr, "hunter2-param") || !strings.Contains(stderr, warning) {
		t.Fatalf("password parameter: exit %d, stderr %q", code, stderr)
	}

	st, err := store.OpenReadOnly(pg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, err := st.Runs(context.Background())
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs: %d (%v)", len(runs), err)
	}
	if b, _ := json.Marshal(runs); bytes.Contains(b, []byte(password)) {
		t.Fatalf("runs table holds the password: %s", b)
	}
}

// TestTeamDatabase: two proxies and a crawl write to one PostgreSQL at the
// same time; findings and inventory see all three runs, and a view opened
// beforehand shows a flow another process wrote within a second.
func TestTeamDatabase(t *testing.T) {
	chromiumtest.RequireBrowser(t)
	tmux := testenv.Program(t, "tmux")
	pg := pgtest.NewDatabase(t)
	if code, out, stderr := cli(t, "db", "migrate", "--db", pg); code != exitOK || !strings.Contains(out, "schema version") {
		t.Fatalf("db migrate: exit %d: %s %s", code, out, stderr)
	}

	// The reviewer's screen, open before anyone writes.
	dir := t.TempDir()
	tm := tmuxCommand(t, tmux)
	sock := []string{"-S", filepath.Join(dir, "tmux.sock")}
	session := fmt.Sprintf("phiproxy-team-%d", os.Getpid())
	tm(append(sock, "new-session", "-d", "-s", session, "-x", "160", "-y", "40", "sh", "-c", fmt.Sprintf("%q view --db %q", binary, pg))...)
	defer exec.Command(tmux, append(sock, "kill-server")...).Run()
	screen := func() string { return tm(append(sock, "capture-pane", "-p", "-t", session)...) }
	if !testenv.WaitFor(20*time.Second, func() bool { return strings.Contains(screen(), "review") }) {
		t.Fatalf("view did not start; screen:\n%s", screen())
	}

	o := newOrigin(t)
	proxies := []*running{
		startProxy(t, "--db", pg, "--resolve", "tracker.test="+o.addr(), "--upstream-ca", o.certFile),
		startProxy(t, "--db", pg, "--resolve", "tracker.test="+o.addr(), "--upstream-ca", o.certFile),
	}

	// The crawl runs in its own process while both proxies carry traffic.
	site := chromiumtest.NewSite(t, crawlSite(), "site.test")
	tracker := chromiumtest.NewSite(t, &pixelHost{}, "pixel.thirdparty.test")
	upstreamCA := filepath.Join(dir, "upstream.pem")
	if err := os.WriteFile(upstreamCA, append(append([]byte{}, site.CertPEM...), tracker.CertPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	var crawl struct {
		code           int
		stdout, stderr string
	}
	var wg sync.WaitGroup
	crawlDone := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(crawlDone)
		var err error
		crawl.code, crawl.stdout, crawl.stderr, err = runCLI(nil, "crawl", "--db", pg,
			"--resolve", "site.test="+site.Addr(), "--resolve", "pixel.thirdparty.test="+tracker.Addr(),
			"--upstream-ca", upstreamCA, "--ca-dir", filepath.Join(dir, "ca"), "--quiet", "300ms", "--page-timeout", "20s",
			"https://site.test/")
		if err != nil {
			crawl.code, crawl.stderr = -1, err.Error()
		}
	}()

	// Both proxies carry traffic for as long as the crawl runs, so that
	// the three processes' batches interleave.
	sent := make([]int, len(proxies))
	errs := make(chan error, len(proxies))
	for i, p := range proxies {
		c := p.client(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Paced, not flat out: a tester's browsing, for up to 60 s.
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for j := 0; j < 3000; j++ {
				select {
				case <-crawlDone:
					if j >= 5 {
						return
					}
				case <-tick.C:
				}
				resp, err := c.Get(fmt.Sprintf("https://tracker.test/proxy%d/hit%d?em=jane.doe%%40example.com", i, j))
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				sent[i]++
			}
		}()
	}
	// A flow the view has not seen: the time from its commit (seen in the
	// database) to its row on the reviewer's screen.
	marker := "/proxy1/live-check"
	do(t, proxies[1].client(t), "GET", "https://tracker.test"+marker+"?em=jane.doe%40example.com", "", "")
	st, err := store.OpenReadOnly(pg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if !testenv.WaitFor(20*time.Second, func() bool {
		n, err := st.CountFlows(context.Background(), store.Filter{Text: marker})
		return err == nil && n == 1
	}) {
		t.Fatal("the proxy never committed the marker flow")
	}
	committed := time.Now()
	if !testenv.WaitFor(5*time.Second, func() bool { return strings.Contains(screen(), "live-check") }) {
		t.Fatalf("view never showed the other process's flow; screen:\n%s", screen())
	}
	lag := time.Since(committed)
	if lag > time.Second {
		t.Fatalf("view showed the flow %v after its commit, want within a second", lag)
	}
	t.Logf("view showed another process's flow %v after its commit", lag)

	wg.Wait()
	for _, p := range proxies {
		p.stop(t)
	}
	close(errs)
	for err := range errs {
		t.Fatalf("request through a proxy: %v", err)
	}
	if crawl.code != exitOK && crawl.code != exitFindings {
		t.Fatalf("crawl: exit %d: %s", crawl.code, crawl.stderr)
	}
	// The writers overlapped: proxy flows were stored between the crawl's
	// first and last flows.
	crawlRun, between := int64(0), 0
	allRuns, err := st.Runs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range allRuns {
		if r.Command == "crawl" {
			crawlRun = r.ID
		}
	}
	var first, last time.Time
	var proxyStarts []time.Time
	if err := st.EachFlow(context.Background(), store.Filter{}, func(d *store.FlowDetail) error {
		switch {
		case d.RunID == crawlRun && first.IsZero():
			first, last = d.Flow.Start, d.Flow.Start
		case d.RunID == crawlRun:
			if d.Flow.Start.Before(first) {
				first = d.Flow.Start
			}
			if d.Flow.Start.After(last) {
				last = d.Flow.Start
			}
		default:
			proxyStarts = append(proxyStarts, d.Flow.Start)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, ps := range proxyStarts {
		if !ps.Before(first) && !ps.After(last) {
			between++
		}
	}
	t.Logf("proxies sent %v requests; %d of %d proxy flows fall within the crawl's flows (%v to %v)", sent, between, len(proxyStarts), first.Format(time.StampMilli), last.Format(time.StampMilli))
	if between == 0 {
		t.Errorf("no proxy flow was stored while the crawl stored its flows: the writers did not overlap")
	}

	code, out, stderr := cli(t, "findings", "--json", "--db", pg)
	if code != exitOK {
		t.Fatalf("findings: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"/proxy0/", "/proxy1/", "pixel.thirdparty.test"} {
		if !strings.Contains(out, want) {
			t.Errorf("findings lack %s, written by one of the three processes", want)
		}
	}
	// Exposure reads across every writer's runs.
	code, out, stderr = cli(t, "exposure", "--json", "--db", pg)
	if code != exitOK {
		t.Fatalf("exposure: exit %d: %s", code, stderr)
	}
	hosts := map[string]bool{}
	for _, e := range parseJSONLines(t, out) {
		hosts[fmt.Sprint(e["host"])] = true
	}
	if !hosts["tracker.test"] || !hosts["pixel.thirdparty.test"] {
		t.Errorf("exposure hosts: got %v, want the proxies' tracker.test and the crawl's pixel.thirdparty.test", hosts)
	}
	code, out, stderr = cli(t, "runs", "--json", "--db", pg)
	if code != exitOK || strings.Count(out, "\n") != 3 {
		t.Fatalf("runs: exit %d, %q: %s", code, out, stderr)
	}
	runs, err := st.Runs(context.Background())
	if err != nil || len(runs) != 3 {
		t.Fatalf("runs: got %d (%v), want 3", len(runs), err)
	}
	for _, r := range runs {
		code, out, stderr := cli(t, "inventory", "--json", "--db", pg, "--run", fmt.Sprint(r.ID))
		if code != exitOK || strings.TrimSpace(out) == "" {
			t.Errorf("inventory of run %d (%s): exit %d, %d bytes: %s", r.ID, r.Command, code, len(out), stderr)
		}
	}
}

// TestDBCommandUsage: the db commands refuse what they cannot do with
// exit 2, and prune a SQLite file as they would a server's database.
func TestDBCommandUsage(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"db"}, exitError, "migrate"},
		{[]string{"db", "vacuum"}, exitError, "prune"},
		{[]string{"db", "--help"}, exitOK, "copy"},
		{[]string{"db", "copy", "--to", db}, exitError, "--from"},
		{[]string{"db", "prune", "--db", db}, exitError, "--older-than"},
		{[]string{"db", "prune", "--db", db, "--older-than", "-3d"}, exitError, "not a positive number"},
		{[]string{"db", "prune", "--db", db, "--older-than", "soon"}, exitError, "not an age"},
		{[]string{"db", "migrate", "--db", db}, exitOK, "schema version"},
		{[]string{"db", "prune", "--db", db, "--older-than", "30d"}, exitOK, "pruned 0 runs"},
		{[]string{"db", "copy", "--from", db, "--to", db}, exitError, "same database"},
	} {
		code, stdout, stderr := cli(t, c.args...)
		if code != c.code || !strings.Contains(stdout+stderr, c.want) {
			t.Errorf("%v: exit %d (want %d), output %q %q, want it to mention %q", c.args, code, c.code, stdout, stderr, c.want)
		}
	}
}
