package decode

import (
	"net/url"
	"strings"
	"testing"
)

// unescapeByByte is the plain definition of Unescape, one byte at a time,
// that the run-copying version must match.
func unescapeByByte(s string, plus bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		case c == '+' && plus:
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func TestUnescape(t *testing.T) {
	tests := []struct {
		in   string
		plus bool
		want string
	}{
		{"", true, ""},
		{"plain", true, "plain"},
		{"a+b", true, "a b"},
		{"a+b", false, "a+b"},
		{"%2Fconditions%2Fdepression", false, "/conditions/depression"},
		{"cd%5Bem%5D", true, "cd[em]"},
		{"100%", true, "100%"},
		{"%zz%4", true, "%zz%4"},
		{"%41%42+%43x", true, "AB Cx"},
		{"%e2%82%ac", false, "€"},
	}
	for _, tt := range tests {
		if got := Unescape(tt.in, tt.plus); got != tt.want {
			t.Errorf("Unescape(%q, %v): got %q, want %q", tt.in, tt.plus, got, tt.want)
		}
		var a TextArena
		if got := a.unescape(tt.in, tt.plus); got != tt.want {
			t.Errorf("unescape(%q, %v): got %q, want %q", tt.in, tt.plus, got, tt.want)
		}
	}
}

// FuzzUnescape holds Unescape and the arena's unescape to the byte-wise
// definition, and to net/url where the input is valid percent-encoding.
func FuzzUnescape(f *testing.F) {
	for _, s := range []string{"a+b%20c", "%", "%4", "%41", "x%zz+%2B", "%E2%82%AC+%", "++%%41"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var a TextArena
		for _, plus := range []bool{false, true} {
			want := unescapeByByte(s, plus)
			if got := Unescape(s, plus); got != want {
				t.Fatalf("Unescape(%q, %v): got %q, want %q", s, plus, got, want)
			}
			if got := a.unescape(s, plus); got != want {
				t.Fatalf("unescape(%q, %v): got %q, want %q", s, plus, got, want)
			}
		}
		if std, err := url.QueryUnescape(s); err == nil && std != Unescape(s, true) {
			t.Fatalf("Unescape(%q, true): got %q, net/url says %q", s, Unescape(s, true), std)
		}
	})
}
