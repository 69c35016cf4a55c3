package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy/store"
)

// TestWriterThreadIsNiced: the batches are stored (and OnSaved called)
// from a thread at nice 10, and only that thread is lowered: the others
// keep the niceness the process started with (a test run under `nice`
// starts above 0).
func TestWriterThreadIsNiced(t *testing.T) {
	if startNiceErr != nil {
		t.Fatalf("niceness at start: %v", startNiceErr)
	}
	start := startNice
	s := openStore(t)
	got := make(chan int, 1)
	p, err := New(Config{Inspector: flagEmails, Store: s, OnSaved: func([]store.Record) {
		select {
		case got <- threadNice(t):
		default:
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	p.Submit(flow("https://tracker.example/p?e=jane@example.com"))
	select {
	case nice := <-got:
		// Setting nice 10 lowers the priority of a thread that starts at
		// 0 to 10. A thread that starts above 10 stays where it is unless
		// the process may raise priorities (CAP_SYS_NICE).
		if nice != 10 && (start <= 10 || nice != start) {
			t.Errorf("writer thread nice: got %d, want 10 (the process started at %d)", nice, start)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no batch saved")
	}
	if nice := threadNice(t); nice != start {
		t.Errorf("test goroutine's thread nice: got %d, want %d as the process started (only the writer's thread is lowered)", nice, start)
	}
}

// startNice is the niceness the test process started with, read before
// any test runs: every thread starts there, and a writer that ran on the
// main thread in an earlier test may have lowered that one since.
var startNice, startNiceErr = readNice("/proc/thread-self/stat")

// threadNice reads the calling thread's nice value.
func threadNice(t *testing.T) int {
	t.Helper()
	n, err := readNice("/proc/thread-self/stat")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// readNice reads the nice value (field 19) from a stat file of /proc.
func readNice(stat string) (int, error) {
	b, err := os.ReadFile(stat)
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 17 {
		return 0, fmt.Errorf("%s: %d fields after the name, want at least 17", stat, len(f))
	}
	return strconv.Atoi(f[16]) // fields after the name start at 3
}
