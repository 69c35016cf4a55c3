// Package testenv is what phiproxy's tests share about their surroundings:
// the external programs they drive (tshark, mitmdump, tmux, Chromium...)
// the output of child processes they watch, and waiting on them.
//
// `make test` installs every program the tests use, and then a missing one
// must fail the test: a skip would let a broken set-up pass unnoticed. So
// Missing fails when PHIPROXY_REQUIRE_TOOLS=1 (which the Makefile exports)
// or CI is set, and skips only in a bare `go test` on a developer's machine.
package testenv

import (
	"bytes"
	"encoding/binary"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireTools is the environment variable that makes a missing tool a
// failure; `make test` sets it to 1.
const RequireTools = "PHIPROXY_REQUIRE_TOOLS"

// Required reports whether a missing tool fails the test rather than
// skipping it: under `make test` (PHIPROXY_REQUIRE_TOOLS=1) and in CI.
func Required() bool {
	return os.Getenv(RequireTools) == "1" || os.Getenv("CI") != ""
}

// Missing fails the test with the message when tools are required, and
// skips it otherwise.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf(format+" (required: tools/install-test-deps installs it)", args...)
	}
	t.Skipf(format+" (run make test, or set "+RequireTools+"=1, to make this a failure)", args...)
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

// WaitExit waits up to timeout for the exit status a shell writes with
// `echo $? > path` and returns it, or false if none came. The shell
// creates the file before it writes the status: the file exists, empty,
// for a moment, so the status is read only once its line is complete.
func WaitExit(path string, timeout time.Duration) (string, bool) {
	var status string
	ok := WaitFor(timeout, func() bool {
		b, err := os.ReadFile(path)
		status = strings.TrimSpace(string(b))
		return err == nil && strings.HasSuffix(string(b), "\n")
	})
	return status, ok
}

// CapturedKnock opens and closes a TCP connection to addr, with no payload,
// and waits up to 15 s until the capture file being written holds a packet
// of it (a TCP header starting with its client port and addr's port).
// Packets on loopback are captured and written in the order they were
// sent, so once the knock is in the file, everything sent before it is.
func CapturedKnock(t testing.TB, file, addr string) bool {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("knock on %s: %v", addr, err)
	}
	ports := make([]byte, 4)
	binary.BigEndian.PutUint16(ports, uint16(c.LocalAddr().(*net.TCPAddr).Port))
	binary.BigEndian.PutUint16(ports[2:], uint16(c.RemoteAddr().(*net.TCPAddr).Port))
	c.Close()
	return WaitFor(15*time.Second, func() bool {
		data, err := os.ReadFile(file)
		return err == nil && bytes.Contains(data, ports)
	})
}
