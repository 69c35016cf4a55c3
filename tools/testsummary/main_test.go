package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRealGoTestStream runs go test -json on a small module with a passing,
// a failing and a skipped test (and a passing package beside it) and reads
// the stream back.
func TestRealGoTestStream(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.test/m\n\ngo 1.22\n",
		"a/a_test.go": `package a

import "testing"

func TestGood(t *testing.T) { t.Log("quiet when passing") }
func TestBad(t *testing.T)  { t.Error("broken on purpose") }
func TestSkipped(t *testing.T) { t.Skip("tool not installed") }
func TestParent(t *testing.T) {
	t.Run("sub", func(t *testing.T) {})
}
`,
		"b/b_test.go": "package b\n\nimport \"testing\"\n\nfunc TestFine(t *testing.T) {}\n",
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "test", "-json", "-count=1", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off")
	stream, err := cmd.Output()
	if _, failed := err.(*exec.ExitError); err != nil && !failed {
		t.Fatalf("go test: %v", err)
	}

	var out bytes.Buffer
	s := newSummary(&out)
	for _, line := range strings.Split(strings.TrimRight(string(stream), "\n"), "\n") {
		s.line(line)
	}
	if s.report(false) {
		t.Error("report: a run with a failure and a skip was called clean")
	}
	text := out.String()
	for _, want := range []string{
		"--- FAIL: TestBad",
		"broken on purpose",
		"--- SKIP: TestSkipped",
		"tool not installed",
		"FAIL\texample.test/m/a",
		"ok  \texample.test/m/b",
		"tests: 4 passed, 1 failed, 1 skipped; packages: 1 ok, 1 failed",
		"SKIP example.test/m/a TestSkipped",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	for _, unwanted := range []string{"=== RUN", "quiet when passing", "--- PASS"} {
		if strings.Contains(text, unwanted) {
			t.Errorf("output has verbose-mode line %q:\n%s", unwanted, text)
		}
	}
}

// TestSkipsAloneFailTheRun: a run whose only fault is a skip is not clean,
// unless skips are allowed.
func TestSkipsAloneFailTheRun(t *testing.T) {
	stream := []string{
		`{"Action":"run","Package":"p","Test":"TestX"}`,
		`{"Action":"output","Package":"p","Test":"TestX","Output":"--- SKIP: TestX (0.00s)\n"}`,
		`{"Action":"skip","Package":"p","Test":"TestX"}`,
		`{"Action":"output","Package":"p","Output":"ok  \tp\t0.01s\n"}`,
		`{"Action":"pass","Package":"p"}`,
	}
	for _, allow := range []bool{false, true} {
		var out bytes.Buffer
		s := newSummary(&out)
		for _, l := range stream {
			s.line(l)
		}
		if got := s.report(allow); got != allow {
			t.Errorf("allow-skips=%v: clean=%v, want %v\n%s", allow, got, allow, out.String())
		}
		if !strings.Contains(out.String(), "0 failed, 1 skipped") {
			t.Errorf("count line missing:\n%s", out.String())
		}
	}
}
