package decode

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// plainByScan is plain's verdict spelled out byte by byte, without the
// class tables: the fast version must agree with it on every input, as
// the fields a value yields depend on it.
func plainByScan(v string, query bool) bool {
	t := strings.TrimLeft(v, " \t\r\n")
	if t == "" {
		return true
	}
	alphabet, hex, digits := true, true, true
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '%' || c == '&':
			return false
		case '0' <= c && c <= '9':
		case 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F':
			digits = false
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || strings.IndexByte("+/=-_$", c) >= 0:
			digits, hex = false, false
		case query && c == ' ':
			digits, hex = false, false
		default:
			alphabet, digits, hex = false, false, false
		}
	}
	if hex {
		return len(v) < 8 || digits || isHashHexLen(len(v)) && !hexHeadIsMagic(v)
	}
	if strings.IndexByte("{[/hHe", t[0]) >= 0 || strings.IndexByte(v, '=') > 0 {
		return false
	}
	return !alphabet || len(strings.TrimSpace(v)) < 8
}

// plainIsSound checks plain against plainByScan and checks what it
// promises: a value it calls plain is one that no structure and no layer
// would take. (A value with surrounding spaces is called plain although
// unwrap, which trims, may decode it: that reading is kept as it is.)
func plainIsSound(t *testing.T, v string) {
	t.Helper()
	for _, query := range []bool{false, true} {
		if got, want := plain(v, query), plainByScan(v, query); got != want {
			t.Fatalf("plain(%q, %v): got %v, want %v", v, query, got, want)
		}
		if !plain(v, query) || v != strings.TrimSpace(v) {
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

// FuzzPlain runs plainIsSound on arbitrary strings.
func FuzzPlain(f *testing.F) {
	for _, s := range []string{"1749553575712", "0e9c954def22cce5c473df89dd8e4dc8629e3edb3abfbad3b1934a4f86cf7804",
		"c2VydHJhbGluZQ==", "a=b&c=d", "=x=y", "eyJhIjoxfQ", " 1f8b", "conditions", "treatment-123456"} {
		f.Add(s)
	}
	f.Fuzz(plainIsSound)
}
