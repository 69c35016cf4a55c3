package compare

import (
	"fmt"
	"testing"

	"github.com/phiproxy/phiproxy"
)

// benchSnapshot is a site of 50 vendors with 40 scripts, 20 cookies and
// 100 endpoints each; changed gives a tenth of the scripts new bytes and
// a tenth of the endpoints one more kind.
func benchSnapshot(changed bool) Snapshot {
	s := Snapshot{Format: FormatVersion}
	for v := 0; v < 50; v++ {
		vd := Vendor{Name: fmt.Sprintf("vendor %02d", v), Party: "third", MaxSeverity: phiproxy.High}
		host := fmt.Sprintf("v%d.test", v)
		for i := 0; i < 40; i++ {
			sum := fmt.Sprintf("%064x", i)
			if changed && i%10 == 0 {
				sum = fmt.Sprintf("%064x", i+1000)
			}
			vd.Scripts = append(vd.Scripts, Script{URL: fmt.Sprintf("https://%s/s%d.js", host, i), Host: host, Versions: []ScriptVersion{{SHA256: sum, Size: 100}}, Pages: []string{"https://clinic.test/"}})
		}
		for i := 0; i < 20; i++ {
			vd.Cookies = append(vd.Cookies, Cookie{Name: fmt.Sprintf("c%d", i), Domain: host, Path: "/"})
		}
		for i := 0; i < 100; i++ {
			kinds := []string{"condition"}
			if changed && i%10 == 0 {
				kinds = []string{"condition", "email"}
			}
			vd.Endpoints = append(vd.Endpoints, Endpoint{Method: "POST", Host: host, PathTemplate: fmt.Sprintf("/e/%d", i), Kinds: kinds, MaxSeverity: phiproxy.High})
		}
		s.Vendors = append(s.Vendors, vd)
	}
	s.normalize()
	return s
}

// BenchmarkDiff compares two snapshots of 8,000 items each.
func BenchmarkDiff(b *testing.B) {
	a, c := benchSnapshot(false), benchSnapshot(true)
	var n int
	for b.Loop() {
		n = len(Diff(a, c))
	}
	if n != 50*(4+10) {
		b.Fatalf("changes: got %d, want %d", n, 50*(4+10))
	}
}
