// Package testenv is what phiproxy's tests share about their surroundings:
// the external programs they drive (tshark, mitmdump, tmux, Chromium...)
// the output of child processes they watch, and waiting on them.
//
// `make test` installs every program the tests use. So a missing one skips
// a test on a developer's machine, and fails it under CI (the CI variable
// set), where a skip would hide a broken set-up.
package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// Missing skips the test with the message, or fails it under CI.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf(format+" (required in CI; make test installs it)", args...)
	}
	t.Skipf(format, args...)
}

// Program returns the path of an installed program, or calls Missing.
func Program(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s not installed: %v", name, err)
	}
	return path
}

// File calls Missing unless path exists (a file a package ships).
func File(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(t, "%s not installed: %v", path, err)
	}
}

// Buffer collects a child process's output while the test reads it.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WaitFor polls cond every 50 ms until it holds or timeout has passed,
// and reports whether it held at the end.
func WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}
