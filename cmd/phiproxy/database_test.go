package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/testenv"
	"github.com/phiproxy/phiproxy/store"
)

// nobody is the unprivileged account the archive test runs phiproxy as.
const nobody = 65534

// TestReadCommandsOnArchivedDatabase: findings and export read a database
// kept as evidence in a folder its reader may not write (0500, file 0400).
// Root ignores permissions, so when the tests run as root phiproxy runs as
// nobody; otherwise as the current user, who is just as unprivileged.
func TestReadCommandsOnArchivedDatabase(t *testing.T) {
	top := t.TempDir()
	// nobody must be able to reach what lies below the test's folder.
	for _, d := range []string{filepath.Dir(top), top} {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	archive := filepath.Join(top, "archive")
	db := filepath.Join(archive, "phiproxy.db")
	writeArchivedFinding(t, db)

	bin := filepath.Join(top, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(bin, "phiproxy")
	b, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(top, "out")
	if err := os.Mkdir(out, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(out, 0o777); err != nil { // past the umask
		t.Fatal(err)
	}

	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		cred = &syscall.Credential{Uid: nobody, Gid: nobody}
		for _, p := range []string{archive, db} {
			if err := os.Chown(p, nobody, nobody); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Chmod(db, 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(archive, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(archive, 0o700) })
	before := folderState(t, archive)

	run := func(args ...string) (string, string) {
		t.Helper()
		var o, e bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, exe, args...)
		cmd.Dir = top
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + filepath.Join(top, "home"), "XDG_CONFIG_HOME=" + filepath.Join(top, "home")}
		cmd.Stdout, cmd.Stderr = &o, &e
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if err := cmd.Run(); err != nil {
			t.Fatalf("phiproxy %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, o.String(), e.String())
		}
		return o.String(), e.String()
	}

	text, _ := run("findings", "--db", db)
	if !strings.Contains(text, "jane.archive@example.org") || !strings.Contains(text, "tracker.example") {
		t.Errorf("findings did not list the archived finding:\n%s", text)
	}
	jsonOut, _ := run("findings", "--db", db, "--json")
	rows := parseJSONLines(t, jsonOut)
	if len(rows) != 1 || rows[0]["term"] != "jane.archive@example.org" {
		t.Errorf("findings --json: got %v, want the one archived finding", rows)
	}
	zipPath := filepath.Join(out, "evidence.zip")
	printed, _ := run("export", "--db", db, "--out", zipPath)
	if strings.TrimSpace(printed) != zipPath {
		t.Errorf("export printed %q, want %q", printed, zipPath)
	}
	if fi, err := os.Stat(zipPath); err != nil || fi.Size() == 0 {
		t.Errorf("bundle: %v %v", fi, err)
	}
	t.Run("view", func(t *testing.T) {
		viewArchived(t, exe, db, out, cred != nil)
	})
	if after := folderState(t, archive); after != before {
		t.Errorf("reading changed the archive folder:\nbefore %s\nafter  %s", before, after)
	}
}

// viewArchived runs `phiproxy view` on db in tmux, as nobody when asNobody,
// waits for the archived flow on the screen and quits with q.
func viewArchived(t *testing.T, exe, db, out string, asNobody bool) {
	tmux := testenv.Program(t, "tmux")
	prefix := ""
	if asNobody {
		prefix = testenv.Program(t, "setpriv") + " --reuid=65534 --regid=65534 --clear-groups "
	}
	exitFile := filepath.Join(out, "view-exit")
	shell := fmt.Sprintf("HOME=%q %s%q view --db %q; echo $? > %q", out, prefix, exe, db, exitFile)
	sock := []string{"-S", filepath.Join(out, "tmux.sock")}
	tm := func(args ...string) string {
		b, err := exec.Command(tmux, append(sock, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v: %s", args, err, b)
		}
		return string(b)
	}
	tm("new-session", "-d", "-s", "archive", "-x", "120", "-y", "36", "sh", "-c", shell)
	defer exec.Command(tmux, append(sock, "kill-server")...).Run()
	screen := func() string { return tm("capture-pane", "-p", "-t", "archive") }
	if !testenv.WaitFor(20*time.Second, func() bool {
		s := screen()
		return strings.Contains(s, "review") && strings.Contains(s, "tracker.example")
	}) {
		b, _ := os.ReadFile(exitFile)
		t.Fatalf("view did not show the archived flow (exit %q); screen:\n%s", b, screen())
	}
	tm("send-keys", "-t", "archive", "q")
	status, ok := testenv.WaitExit(exitFile, 20*time.Second)
	if !ok {
		t.Fatalf("q did not quit view; screen:\n%s", screen())
	}
	if status != "0" {
		t.Fatalf("view exit status: %q", status)
	}
}

// writeArchivedFinding stores one flagged flow in a new database at path
// and closes it, as a finished capture leaves it.
func writeArchivedFinding(t *testing.T, path string) {
	t.Helper()
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rec := store.Record{
		Flow: &phiproxy.Flow{Start: time.Now(), Source: "proxy", Request: phiproxy.Request{
			Method: "GET", URL: "https://tracker.example/tr?em=jane.archive%40example.org", Proto: "HTTP/1.1",
		}},
		Inspection: phiproxy.Inspection{
			Destination: phiproxy.Destination{Host: "tracker.example", Domain: "tracker.example", Party: phiproxy.ThirdParty},
			Severity:    phiproxy.High,
			Findings: []phiproxy.Finding{{Kind: phiproxy.KindEmail, Term: "jane.archive@example.org", Value: "jane.archive@example.org",
				Path: "query:em", Source: phiproxy.SourcePattern, Severity: phiproxy.High}},
		},
	}
	if err := st.SaveBatch(context.Background(), 0, []store.Record{rec}, phiproxy.Stats{}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

// folderState lists a folder's files with their modes and content hashes.
func folderState(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %v %d %x; ", e.Name(), fi.Mode(), len(data), sha256.Sum256(data))
	}
	return b.String()
}

// TestLockedDatabaseMidRunIsReportedAndRecovers: another process locks the
// database while the proxy runs. The failure is reported while it lasts,
// the flows wait, and once the lock goes every finding is stored and
// printed, and the summary says writes failed.
func TestLockedDatabaseMidRunIsReportedAndRecovers(t *testing.T) {
	o := newOrigin(t)
	r := startProxy(t, "--resolve", "tracker.test="+o.addr(), "--upstream-ca", o.certFile)
	c := r.client(t)
	other, err := sql.Open("sqlite3", "file:"+r.db)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	lock, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	const n = 4
	for i := 0; i < n; i++ {
		do(t, c, "GET", fmt.Sprintf("https://tracker.test/p?i=%d&email=locked%d%%40example.com", i, i), "", "")
	}
	// The writer waits out the busy timeout (10 s) before it reports.
	waitStderr(t, r, "database writes failing", 60*time.Second)
	if _, err := lock.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	waitStderr(t, r, "database writes recovered", 60*time.Second)
	r.stop(t)
	if got := sqlite(t, r.db, "SELECT count(*) FROM flows"); got != fmt.Sprint(n) {
		t.Errorf("flows stored: got %s, want %d", got, n)
	}
	rows := parseJSONLines(t, r.stdout.String())
	for i := 0; i < n; i++ {
		if !hasFinding(rows, "email", fmt.Sprintf("locked%d@example.com", i)) {
			t.Errorf("finding %d not printed; stdout:\n%s", i, r.stdout.String())
		}
	}
	logs := r.stderr.String()
	for _, want := range []string{"not_saved=0", "database writes failed during the run", "database is locked"} {
		if !strings.Contains(logs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, logs)
		}
	}
}

// waitStderr waits until the running proxy has logged text.
func waitStderr(t *testing.T, r *running, text string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !strings.Contains(r.stderr.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in stderr within %v:\n%s", text, limit, r.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
