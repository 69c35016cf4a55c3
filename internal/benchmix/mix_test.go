package benchmix

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
)

// TestMixShapes pins the documented mix: sizes of each shape, the PHI
// share, and that no two requests repeat a unique value.
func TestMixShapes(t *testing.T) {
	const phiShare = 3
	seen := map[string]int{}
	phi := 0
	for i := 0; i < 1200; i++ {
		e := Request(i, phiShare)
		payload := e.Path
		if e.Body != nil {
			payload = string(e.Body)
		}
		size := len(payload)
		switch i % 3 {
		case 0:
			u, err := url.Parse(e.Path)
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			if n := len(u.RawQuery); n < 500 || n > 700 {
				t.Errorf("pixel %d: query of %d bytes, want about 600", i, n)
			}
		case 1:
			if size < 1800 || size > 2400 {
				t.Errorf("batch %d: %d bytes, want about 2 KB", i, size)
			}
		default:
			if size < 850 || size > 1200 {
				t.Errorf("form %d: %d bytes, want about 1 KB", i, size)
			}
		}
		if strings.Contains(payload, "example.com") && strings.Contains(payload, "jordan") {
			phi++
		}
		if Method(i) != e.Method {
			t.Errorf("request %d: mixMethod %s, built %s", i, Method(i), e.Method)
		}
		// The page URL's numbered path is unique to the request.
		for _, p := range append(phiPages, cleanPages...) {
			if j := strings.Index(payload, p.path); j >= 0 {
				rest := payload[j+len(p.path):]
				k := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
				id := p.path + rest[:k]
				if prev, ok := seen[id]; ok {
					t.Fatalf("requests %d and %d share page %s", prev, i, id)
				}
				seen[id] = i
			}
		}
	}
	if want := 1200 * phiShare / 12; phi != want {
		t.Errorf("%d requests carry PHI, want %d", phi, want)
	}
	if a, b := Request(0, phiShare), Request(12, phiShare); bytes.Equal([]byte(a.Path), []byte(b.Path)) {
		t.Error("two pixels with the same query string")
	}
}

// BenchmarkRequest builds requests of the mix: the part of a benchmark
// that inspects the mix which is not inspection.
func BenchmarkRequest(b *testing.B) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		Request(i, 3)
		i++
	}
}
