package classify

import (
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
