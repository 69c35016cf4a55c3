package testenv

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWaitExit: the status is read only once the shell has written its
// line, not while the file it created is still empty (which read as ""
// and failed a test that had in fact exited 0).
func TestWaitExit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "exit")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	written := make(chan error, 1)
	go func() {
		time.Sleep(200 * time.Millisecond)
		written <- os.WriteFile(path, []byte("0\n"), 0o600)
	}()
	status, ok := WaitExit(path, 10*time.Second)
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	if !ok || status != "0" {
		t.Errorf("WaitExit = %q, %v; want \"0\", true", status, ok)
	}

	empty := filepath.Join(t.TempDir(), "never")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if status, ok := WaitExit(empty, 300*time.Millisecond); ok {
		t.Errorf("WaitExit on a file left empty = %q, true; want false", status)
	}
	if status, ok := WaitExit(filepath.Join(t.TempDir(), "missing"), 100*time.Millisecond); ok {
		t.Errorf("WaitExit on no file = %q, true; want false", status)
	}
}
