package evidence

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/compare"
	"github.com/phiproxy/phiproxy/internal/testenv"
)

// TestBundleExposure: exposure.json has one entry per receiver, endpoint
// and kind of the fixture's third-party findings, dated by its flows, and
// the report has the same table.
func TestBundleExposure(t *testing.T) {
	dir, _, _, recs := exportFixture(t, Options{})
	b, err := os.ReadFile(filepath.Join(dir, ExposureFile))
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("exposure.json: %v\n%s", err, b)
	}
	// What the records say, worked out here from the flows themselves.
	want := map[string]time.Time{}
	for _, r := range recs {
		if r.Inspection.Destination.Party == phiproxy.FirstParty {
			continue
		}
		for _, fd := range r.Inspection.Findings {
			vendor := r.Inspection.Destination.Vendor
			if vendor == "" {
				vendor = r.Inspection.Destination.Domain
			}
			k := vendor + " " + string(fd.Kind)
			if first, ok := want[k]; !ok || r.Flow.Start.Before(first) {
				want[k] = r.Flow.Start
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("the fixture sends no PHI to a third party")
	}
	seen := map[string]bool{}
	for _, e := range got {
		k := e["vendor"].(string) + " " + e["kind"].(string)
		first, ok := want[k]
		if !ok {
			t.Errorf("exposure %s: not in the fixture's third-party findings", k)
			continue
		}
		seen[k] = true
		if e["runs"] != float64(1) || e["flows"].(float64) < 1 || e["first_seen"] == "" {
			t.Errorf("exposure %s: got %v", k, e)
		}
		if ts, _ := time.Parse(time.RFC3339Nano, e["first_seen"].(string)); !ts.Equal(first) && !seenEarlierOnAnotherEndpoint(got, e, first) {
			t.Errorf("exposure %s first_seen: got %v, want %v", k, e["first_seen"], first)
		}
		var keys []string
		for key := range e {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		if wantKeys := []string{"endpoint", "first_seen", "flows", "host", "kind", "last_seen", "max_severity", "pages", "runs", "vendor"}; !reflect.DeepEqual(keys, wantKeys) {
			t.Errorf("exposure keys: got %v, want %v", keys, wantKeys)
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("exposure.json misses %s", k)
		}
	}
	report, _ := os.ReadFile(filepath.Join(dir, ReportFile))
	if !strings.Contains(string(report), `<section id="exposure">`) || strings.Contains(string(report), `<section id="changes">`) {
		t.Errorf("report: want an Exposure section and no Changes section")
	}
	if _, err := os.Stat(filepath.Join(dir, DiffFile)); err == nil {
		t.Errorf("a bundle without a diff has %s", DiffFile)
	}
}

// seenEarlierOnAnotherEndpoint: a vendor and kind sent to two endpoints
// has one exposure per endpoint; only the earliest carries the vendor's
// first time.
func seenEarlierOnAnotherEndpoint(all []map[string]any, e map[string]any, first time.Time) bool {
	for _, o := range all {
		if o["vendor"] == e["vendor"] && o["kind"] == e["kind"] {
			if ts, _ := time.Parse(time.RFC3339Nano, o["first_seen"].(string)); ts.Equal(first) {
				return true
			}
		}
	}
	return false
}

func sampleDiff() *Diff {
	before := compare.Snapshot{Format: compare.FormatVersion, Vendors: []compare.Vendor{{Name: "Meta Pixel", Party: "third"}}}
	after := compare.Snapshot{Format: compare.FormatVersion, Vendors: []compare.Vendor{{Name: "Meta Pixel", Party: "third", MaxSeverity: phiproxy.Medium,
		Endpoints: []compare.Endpoint{{Method: "GET", Host: "www.facebook.com", PathTemplate: "/tr/", Kinds: []string{"email"}, MaxSeverity: phiproxy.Medium, Pages: []string{"https://clinic.test/"}}}}}}
	return &Diff{Before: "run 1", After: "run 2", BeforeSnapshot: before, AfterSnapshot: after, Changes: compare.Diff(before, after), FailOn: compare.DefaultFailOn}
}

func TestBundleWithDiff(t *testing.T) {
	d := sampleDiff()
	dir, m, _, _ := exportFixture(t, Options{Diff: d})
	var changes []compare.Change
	b, err := os.ReadFile(filepath.Join(dir, DiffFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &changes); err != nil || len(changes) != len(d.Changes) || len(changes) == 0 {
		t.Fatalf("diff.json: got %d changes (%v), want %d", len(changes), err, len(d.Changes))
	}
	report, _ := os.ReadFile(filepath.Join(dir, ReportFile))
	if !strings.Contains(string(report), `<section id="changes">`) || !strings.Contains(string(report), "now receives email at GET www.facebook.com/tr/") {
		t.Errorf("report: no Changes section with the PHI added")
	}
	listed := false
	for _, f := range m.Files {
		listed = listed || f.Name == DiffFile
	}
	if !listed {
		t.Errorf("manifest does not list %s", DiffFile)
	}
}

func TestWriteDiffZip(t *testing.T) {
	d := sampleDiff()
	path := filepath.Join(t.TempDir(), "diff.zip")
	if err := WriteDiffZip(path, *d, "1.2.3", fixedNow()); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("diff zip: %v, mode %v", err, fi.Mode())
	}
	dir := extractZip(t, path)
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{ChecksumsFile, DiffAfterFile, DiffBeforeFile, "diff.html", DiffFile, ManifestFile}
	sort.Strings(want)
	if !reflect.DeepEqual(names, want) {
		t.Errorf("diff bundle files: got %v, want %v", names, want)
	}
	// Each side reads back as a baseline, and their diff is the bundle's.
	var sides []compare.Snapshot
	for _, n := range []string{DiffBeforeFile, DiffAfterFile} {
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		s, err := compare.Read(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		sides = append(sides, s)
	}
	if got := compare.Diff(sides[0], sides[1]); !reflect.DeepEqual(got, d.Changes) {
		t.Errorf("diff of the bundle's sides: got %+v, want %+v", got, d.Changes)
	}
	sha := testenv.Program(t, "sha256sum")
	cmd := exec.Command(sha, "-c", ChecksumsFile)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || strings.Count(string(out), ": OK") != len(want)-1 {
		t.Errorf("sha256sum -c: %v\n%s", err, out)
	}
}
