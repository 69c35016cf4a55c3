package classify

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/phiproxy/phiproxy"
)

func TestHealthPathText(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"/conditions/asthma", true},
		{"/pharmacy/refills", true},
		{"/health-library/article", true},
		{"health library", true},
		{"/patientPortal/visits", true},
		{"/products/ambient-lamp", false},
		{"/booking/hotel", false},
		{"/", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := healthPathText(tt.in); got != tt.want {
			t.Errorf("healthPathText(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestIsURLPathField(t *testing.T) {
	tests := []struct {
		chain []string
		want  bool
	}{
		{[]string{"path[2]"}, true},
		{[]string{"query:dl", "url", "path[1]"}, true},
		{[]string{"header:Referer", "path[2]", "words"}, true},
		{[]string{"header:Referer", "path[2]", "query:x"}, false},
		{[]string{"query:path"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := isURLPathField(tt.chain); got != tt.want {
			t.Errorf("isURLPathField(%q): got %v, want %v", tt.chain, got, tt.want)
		}
	}
}

func TestDecodedContainers(t *testing.T) {
	fields := []phiproxy.Field{
		{Chain: []string{"query:data"}, Value: "eyJhIjoiYiJ9"},
		{Chain: []string{"query:data", "base64", "json:$.a"}, Value: "b"},
		{Chain: []string{"query:database"}, Value: "x"}, // a longer key, not a child
		{Chain: []string{"query:id"}, Value: "1"},
		// A multipart file's name sits below its part; the part's text is
		// still a leaf.
		{Chain: []string{"body", "multipart:notes", "filename"}, Value: "notes.txt"},
		{Chain: []string{"body", "multipart:notes"}, Value: "started sertraline"},
	}
	got := decodedContainers(fields, nil)
	want := []bool{true, false, false, false, false, false}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("field %d (%s): container got %v, want %v", i, fields[i].Path(), got[i], want[i])
		}
	}
}

// TestDecodedContainersAgainstPaths holds decodedContainers (hashes,
// reused along shared prefixes) to the definition, on chains that share
// prefixes, repeat, nest up to 20 deep and end in "filename": a field is a
// container when its chain is a proper prefix of another listed field's.
func TestDecodedContainersAgainstPaths(t *testing.T) {
	steps := []string{"body", "query:data", "base64", "json:$.a", "json:$.b", "multipart:notes", "filename", "url:path", "gzip"}
	rng := rand.New(rand.NewPCG(7, 11))
	for round := 0; round < 2000; round++ {
		var fields []phiproxy.Field
		for range 1 + rng.IntN(12) {
			var chain []string
			if len(fields) > 0 && rng.IntN(2) == 0 {
				// Share (the backing array of) a previous chain's prefix,
				// as the decoder's leaves do.
				p := fields[rng.IntN(len(fields))].Chain
				k := rng.IntN(len(p) + 1)
				chain = p[:k:k]
			}
			for range rng.IntN(4) + rng.IntN(2)*rng.IntN(17) {
				chain = append(chain, steps[rng.IntN(len(steps))])
			}
			fields = append(fields, phiproxy.Field{Chain: chain})
		}
		got := decodedContainers(fields, nil)
		for i, f := range fields {
			want := false
			for _, g := range fields {
				n := len(g.Chain)
				if n > 0 && g.Chain[n-1] == "filename" {
					continue
				}
				if len(f.Chain) > 0 && len(f.Chain) < n && slices.Equal(f.Chain, g.Chain[:len(f.Chain)]) {
					want = true
				}
			}
			if got[i] != want {
				t.Fatalf("round %d, field %d %q of %v: container %v, want %v", round, i, f.Chain, fields, got[i], want)
			}
		}
	}
}

func TestIsAbbreviationAndMixedCase(t *testing.T) {
	for _, tt := range []struct {
		term string
		want bool
	}{{"MS", true}, {"ECG", true}, {"OB-GYN", false}, {"HIV", true}, {"Ms", false}, {"M", false}, {"B12", false}} {
		if got := isAbbreviation(tt.term); got != tt.want {
			t.Errorf("isAbbreviation(%q): got %v, want %v", tt.term, got, tt.want)
		}
	}
	for _, tt := range []struct {
		s    string
		want bool
	}{{"Cf", true}, {"CF", false}, {"cf", false}, {"bPd", true}} {
		if got := isMixedCase(tt.s); got != tt.want {
			t.Errorf("isMixedCase(%q): got %v, want %v", tt.s, got, tt.want)
		}
	}
}
