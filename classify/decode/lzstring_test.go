package decode

import (
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy/internal/lzstring"
)

func TestLZStringRoundTrip(t *testing.T) {
	inputs := []string{
		"a",
		"hello hello hello hello",
		`{"event":"$pageview","properties":{"$current_url":"https://clinic.example/conditions/depression","medication":"sertraline"}}`,
		"ünïcödé ✓ 𝄞 emoji 😀 and text",
		strings.Repeat("abcabcabd", 500),
	}
	for _, in := range inputs {
		for _, v := range []struct {
			name     string
			alphabet string
			pad      bool
		}{{"base64", lzBase64, true}, {"uri", lzURISafe, false}} {
			enc := lzstring.Compress(in, v.alphabet[:64], v.pad)
			got, err := lzDecompress(enc, v.alphabet, 1<<20)
			if err != nil {
				t.Fatalf("%s %.20q: %v", v.name, in, err)
			}
			if string(got) != in {
				t.Fatalf("%s: got %.60q, want %.60q", v.name, got, in)
			}
		}
	}
}

func TestLZStringRejects(t *testing.T) {
	enc := lzstring.Compress(strings.Repeat("sertraline ", 100), lzBase64[:64], true)
	tests := []struct {
		name  string
		in    string
		limit int
	}{
		{"truncated", enc[:len(enc)/2], 1 << 20},
		{"bad character", enc[:10] + "!" + enc[11:], 1 << 20},
		{"over limit", enc, 100},
		{"empty", "", 1 << 20},
		{"random", "Zm9vYmFyYmF6cXV4cXV1eA", 1 << 20},
	}
	for _, tt := range tests {
		if got, err := lzDecompress(tt.in, lzBase64, tt.limit); err == nil && plausibleText(got) {
			t.Errorf("%s: got %.40q and no error, want an error", tt.name, got)
		}
	}
}
