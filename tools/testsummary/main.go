// Command testsummary reads `go test -json` on stdin and prints what a
// plain `go test` would: each package's ok/FAIL line, and the output of
// failed tests. It adds the output of every skipped test and, at the end,
// counts of passed, failed and skipped tests.
//
// `make test` pipes the suite through it because go test's own summary
// never says how many tests skipped: with tools missing, a suite of skips
// would print "ok" like a suite of passes. testsummary exits 1 when any
// test skipped (pass -allow-skips to only count them), and 0 otherwise;
// the Makefile's pipefail keeps go test's own exit status.
//
//	go test -json ./... 2>&1 | go run ./tools/testsummary
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// event is one line of test2json output (go doc test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// summary accumulates what the stream says about tests and packages.
type summary struct {
	out                    io.Writer
	pending                map[string][]string // output of running tests, by package and name
	passed, failed         int
	skipped                []string
	okPackages, badPackage []string
}

func newSummary(out io.Writer) *summary {
	return &summary{out: out, pending: map[string][]string{}}
}

// line handles one line of input; lines that are not events (a build
// error printed before the JSON starts) are passed through.
func (s *summary) line(text string) {
	var e event
	if !strings.HasPrefix(text, "{") || json.Unmarshal([]byte(text), &e) != nil {
		fmt.Fprintln(s.out, text)
		return
	}
	if e.Test == "" {
		s.packageEvent(e)
		return
	}
	key := e.Package + " " + e.Test
	switch e.Action {
	case "output":
		// go test without -v prints neither progress lines nor the
		// output of passing tests.
		for _, p := range []string{"=== RUN", "=== PAUSE", "=== CONT", "=== NAME"} {
			if strings.HasPrefix(e.Output, p) {
				return
			}
		}
		s.pending[key] = append(s.pending[key], e.Output)
	case "pass":
		s.passed++
		delete(s.pending, key)
	case "fail":
		s.failed++
		s.flush(key)
	case "skip":
		s.skipped = append(s.skipped, e.Package+" "+e.Test)
		s.flush(key)
	}
}

func (s *summary) packageEvent(e event) {
	switch e.Action {
	case "output", "build-output":
		// A passing package's bare PASS line is verbose-mode output.
		if e.Output != "PASS\n" {
			fmt.Fprint(s.out, e.Output)
		}
	case "pass":
		s.okPackages = append(s.okPackages, e.Package)
	case "fail":
		s.badPackage = append(s.badPackage, e.Package)
	}
}

func (s *summary) flush(key string) {
	for _, o := range s.pending[key] {
		fmt.Fprint(s.out, o)
	}
	delete(s.pending, key)
}

// report prints the totals and says whether the run was clean.
func (s *summary) report(allowSkips bool) bool {
	fmt.Fprintf(s.out, "\ntests: %d passed, %d failed, %d skipped; packages: %d ok, %d failed\n",
		s.passed, s.failed, len(s.skipped), len(s.okPackages), len(s.badPackage))
	for _, p := range s.badPackage {
		fmt.Fprintf(s.out, "FAIL package %s\n", p)
	}
	for _, name := range s.skipped {
		fmt.Fprintf(s.out, "SKIP %s\n", name)
	}
	if len(s.skipped) > 0 && !allowSkips {
		fmt.Fprintf(s.out, "%d skipped tests: every test must run (tools/install-test-deps installs what they need)\n", len(s.skipped))
		return false
	}
	return len(s.badPackage) == 0 && s.failed == 0
}

func main() {
	allowSkips := flag.Bool("allow-skips", false, "count skipped tests without failing")
	flag.Parse()
	s := newSummary(os.Stdout)
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		s.line(sc.Text())
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary: read:", err)
		os.Exit(2)
	}
	if !s.report(*allowSkips) {
		os.Exit(1)
	}
}
