package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy/internal/testenv"
)

// TestTUIInRealTerminal runs `phiproxy run` with its terminal UI inside
// tmux, sends a request with PHI through the proxy, watches its row appear
// on the screen, and quits with q: the process exits 0 with the flow
// committed.
func TestTUIInRealTerminal(t *testing.T) {
	tmux := testenv.Program(t, "tmux")
	o := newOrigin(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	db := filepath.Join(dir, "tui.db")
	ca := filepath.Join(dir, "ca")
	exitFile := filepath.Join(dir, "exit")
	session := fmt.Sprintf("phiproxy-test-%d", os.Getpid())
	shell := fmt.Sprintf("%q run --listen %s --db %q --ca-dir %q --resolve tracker.test=%s --upstream-ca %q; echo $? > %q",
		binary, addr, db, ca, o.addr(), o.certFile, exitFile)
	tm := tmuxCommand(t, tmux)
	// A private socket keeps the test away from any tmux server a user runs.
	sock := []string{"-S", filepath.Join(dir, "tmux.sock")}
	tm(append(sock, "new-session", "-d", "-s", session, "-x", "120", "-y", "36", "sh", "-c", shell)...)
	defer exec.Command(tmux, append(sock, "kill-server")...).Run()
	screen := func() string { return tm(append(sock, "capture-pane", "-p", "-t", session)...) }

	if !testenv.WaitFor(20*time.Second, func() bool { return strings.Contains(screen(), addr) }) {
		t.Fatalf("header with the listen address never appeared; screen:\n%s", screen())
	}
	r := &running{addr: addr, ca: ca}
	c := r.client(t)
	if code, _ := do(t, c, "GET", "https://tracker.test/tr?ev=PageView&em=jane.doe%40example.com", "", ""); code != 200 {
		t.Fatalf("request through the TUI proxy: %d", code)
	}
	if !testenv.WaitFor(20*time.Second, func() bool {
		s := screen()
		return strings.Contains(s, "tracker.test") && strings.Contains(s, "email")
	}) {
		t.Fatalf("flow row never appeared; screen:\n%s", screen())
	}
	// Nothing but the UI may reach the terminal: no log lines on screen.
	if s := screen(); strings.Contains(s, "level=") || strings.Contains(s, "TLS handshake error") {
		t.Fatalf("log output leaked onto the screen:\n%s", s)
	}
	tm(append(sock, "send-keys", "-t", session, "q")...)
	status, ok := testenv.WaitExit(exitFile, 30*time.Second)
	if !ok {
		t.Fatalf("q did not quit; screen:\n%s", screen())
	}
	if status != "0" {
		t.Fatalf("exit status after q: %q", status)
	}
	if got := sqlite(t, db, "SELECT count(*) FROM findings WHERE kind = 'email'"); got == "0" {
		t.Fatal("the flow shown on screen was not committed")
	}

	// `phiproxy view` reviews the same database read-only.
	os.Remove(exitFile)
	view := fmt.Sprintf("%q view --db %q; echo $? > %q", binary, db, exitFile)
	tm(append(sock, "new-session", "-d", "-s", session+"-view", "-x", "120", "-y", "36", "sh", "-c", view)...)
	viewScreen := func() string { return tm(append(sock, "capture-pane", "-p", "-t", session+"-view")...) }
	if !testenv.WaitFor(20*time.Second, func() bool {
		s := viewScreen()
		return strings.Contains(s, "review") && strings.Contains(s, "tracker.test")
	}) {
		t.Fatalf("view did not show the stored flow; screen:\n%s", viewScreen())
	}
	tm(append(sock, "send-keys", "-t", session+"-view", "q")...)
	if status, ok = testenv.WaitExit(exitFile, 20*time.Second); !ok {
		t.Fatalf("q did not quit view; screen:\n%s", viewScreen())
	}
	if status != "0" {
		t.Fatalf("view exit status: %q", status)
	}
}

// tmuxCommand runs tmux commands, failing the test when one fails.
func tmuxCommand(t *testing.T, tmux string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		out, err := exec.Command(tmux, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v: %s", args, err, out)
		}
		return string(out)
	}
}
