package pipeline

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy/store"
)

// TestWriterThreadIsNiced: the batches are stored (and OnSaved called)
// from a thread at nice 10.
func TestWriterThreadIsNiced(t *testing.T) {
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
		if nice != 10 {
			t.Errorf("writer thread nice: got %d, want 10", nice)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no batch saved")
	}
	if nice := threadNice(t); nice != 0 {
		t.Errorf("test goroutine's thread nice: got %d, want 0 (only the writer's thread is lowered)", nice)
	}
}

// threadNice reads the calling thread's nice value (field 19 of
// /proc/thread-self/stat).
func threadNice(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/thread-self/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	n, err := strconv.Atoi(f[16]) // fields after the name start at 3
	if err != nil {
		t.Fatal(err)
	}
	return n
}
