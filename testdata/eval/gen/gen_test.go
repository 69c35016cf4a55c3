package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorpusUpToDate regenerates the corpus into a temporary directory and
// compares it with the committed one, so labels and requests never drift
// from the generator.
func TestCorpusUpToDate(t *testing.T) {
	dir := t.TempDir()
	if err := generate(dir, 10); err != nil {
		t.Fatal(err)
	}
	committed := ".."
	var got []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		got = append(got, rel)
		want, err := os.ReadFile(filepath.Join(committed, rel))
		if err != nil {
			t.Errorf("%s: not committed (run `go run ./testdata/eval/gen`): %v", rel, err)
			return nil
		}
		have, _ := os.ReadFile(path)
		if !bytes.Equal(have, want) {
			t.Errorf("%s: differs from the generator's output (run `go run ./testdata/eval/gen`)", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	flows, _ := filepath.Glob(filepath.Join(committed, "flows", "*"))
	if n := len(flows); n != len(got)-2 { // labels.jsonl and persona.json
		t.Errorf("committed flows: %d files, generator writes %d: stale files in flows/?", n, len(got)-2)
	}
}

func TestUriComponent(t *testing.T) {
	if got, want := uriComponent("a b/c?d=é&(x)"), "a%20b%2Fc%3Fd%3D%C3%A9%26(x)"; got != want {
		t.Errorf("uriComponent: got %q, want %q", got, want)
	}
	if strings.Contains(uriComponent("+"), "+") {
		t.Error("uriComponent must escape +")
	}
}
