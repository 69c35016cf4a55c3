package classify

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy/classify/persona"
)

// updateReference rewrites testdata/inspections.txt.gz from the current
// inspector. Do it only for a change meant to alter detection, and review
// the diff (zcat both versions).
var updateReference = flag.Bool("update", false, "TestInspectReference: rewrite testdata/inspections.txt.gz")

// referencePath holds every inspection of the three labelled corpora.
const referencePath = "testdata/inspections.txt.gz"

// TestInspectReference inspects every flow of testdata/eval,
// testdata/devset and testdata/holdout, with and without the eval
// persona, and compares destination, severity, field count, notes and
// every finding (kind, term, value, path, offsets, score, severity, ...)
// with the recorded reference. Work that only makes inspection faster
// must leave this output byte for byte the same.
func TestInspectReference(t *testing.T) {
	if testing.Short() {
		t.Skip("inspects about 900 flows twice")
	}
	got := inspectCorpora(t)
	if *updateReference {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if _, err := zw.Write(got); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(referencePath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(referencePath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatalf("read reference (create it with -update): %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("reference: %v", err)
	}
	want, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("reference: %v", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	shown := 0
	for i := 0; i < max(len(gl), len(wl)) && shown < 20; i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("line %d:\n got  %s\n want %s", i+1, g, w)
			shown++
		}
	}
	t.Fatalf("inspections differ from %s (%d lines, want %d)", referencePath, len(gl), len(wl))
}

// inspectCorpora renders the inspections of every corpus flow, in file
// order, one inspector per corpus and persona setting (as the eval tests
// run them, so remembered sites and origins play their part).
func inspectCorpora(t *testing.T) []byte {
	t.Helper()
	p, err := persona.Load(filepath.Join(evalDir, "persona.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, dir := range []string{evalDir, "../testdata/devset", "../testdata/holdout"} {
		files, err := filepath.Glob(filepath.Join(dir, "flows", "*.http"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("%s: no flows", dir)
		}
		sort.Strings(files)
		for _, withPersona := range []bool{false, true} {
			opts := Options{}
			if withPersona {
				opts.Persona = p
			}
			in, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, file := range files {
				f, err := loadHTTPFlow(file)
				if err != nil {
					t.Fatal(err)
				}
				ins := in.Inspect(f)
				d := ins.Destination
				fmt.Fprintf(&out, "== %s persona=%v fields=%d severity=%v dest=%s|%s|%v|%s|%s|%v keys=%q notes=%q\n",
					strings.TrimPrefix(file, "../"), withPersona, ins.Fields, ins.Severity,
					d.Host, d.Domain, d.Party, d.Vendor, d.Category, d.BAA, ins.Keys, ins.Notes)
				for _, fd := range ins.Findings {
					h := fnv.New64a()
					h.Write([]byte(fd.Field))
					fmt.Fprintf(&out, "%s\t%q\t%q\t%q\tfield=%d:%x\t%d-%d\t%s\t%s\tneg=%v\t%.4f\t%v\tconsent=%v\n",
						fd.Kind, fd.Term, fd.Value, fd.Path, len(fd.Field), h.Sum64(), fd.Start, fd.End,
						fd.Category, fd.Source, fd.Negated, fd.Score, fd.Severity, fd.ConsentViolation)
				}
			}
		}
	}
	return out.Bytes()
}
