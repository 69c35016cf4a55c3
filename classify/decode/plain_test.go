package decode

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// plainIsSound checks the promise of plain: a value it calls plain is one
// that no structure and no layer would take.
func plainIsSound(t *testing.T, v string) {
	t.Helper()
	for _, query := range []bool{false, true} {
		if !plain(v, query) {
			continue
		}
		d := newDecoder(Limits{})
		s := d.root().at("v", "v")
		s.query = query
		if d.structured(s, v) {
			t.Fatalf("plain(%q, %v), yet structured took it", v, query)
		}
		if _, step, ok := d.unwrap(s, v); ok {
			t.Fatalf("plain(%q, %v), yet %s decoded it", v, query, step)
		}
	}
}

// TestPlainSound draws values from the alphabets the sniffers care about
// (hex, digits, base64, padding, separators) at digest and other lengths.
func TestPlainSound(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	alphabets := []string{"0123456789", "0123456789abcdef", "0123456789ABCDEFabcdef",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=",
		"abcXYZ019-_= .:&%;{}[]/h", "1f8b08 \t=e"}
	for i := range 20000 {
		a := alphabets[i%len(alphabets)]
		n := rng.IntN(140)
		if i%3 == 0 {
			n = []int{32, 40, 64, 96, 128, 22, 24, 27, 28, 43, 44, 86, 88}[rng.IntN(13)]
		}
		var b strings.Builder
		for range n {
			b.WriteByte(a[rng.IntN(len(a))])
		}
		plainIsSound(t, b.String())
	}
	// A digest-long hex string that starts like gzip is not plain.
	gz := "1f8b0800" + strings.Repeat("0", 56)
	if plain(gz, false) {
		t.Errorf("plain(%q): got true, want false", gz)
	}
}

func FuzzPlain(f *testing.F) {
	for _, s := range []string{"1749553575712", "0e9c954def22cce5c473df89dd8e4dc8629e3edb3abfbad3b1934a4f86cf7804",
		"c2VydHJhbGluZQ==", "a=b&c=d", "=x=y", "eyJhIjoxfQ", " 1f8b", "conditions", "treatment-123456"} {
		f.Add(s)
	}
	f.Fuzz(plainIsSound)
}
