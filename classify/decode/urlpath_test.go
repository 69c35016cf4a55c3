package decode

import (
	"math/rand/v2"
	"net/url"
	"testing"
)

// TestURLPath holds URLPath's fast reading to url.Parse's Path on the
// URLs a proxy sees and on random ones built from their pieces.
func TestURLPath(t *testing.T) {
	check := func(s string) {
		t.Helper()
		want := ""
		if u, err := url.Parse(s); err == nil {
			want = u.Path
		}
		if got := URLPath(s); got != want {
			t.Fatalf("URLPath(%q) = %q, url.Parse gives %q", s, got, want)
		}
	}
	for _, s := range []string{
		"https://www.facebook.com/tr/?id=1&ev=PageView",
		"https://h.example", "https://h.example?q=/x", "https://h.example#/x", "http://h.example:8080/a/b",
		"https://h.example:/a", "https://h.example:x/a", "https://[::1]:8443/a", "https://user@h.example/a",
		"https://h.example/a%2Fb/c", "https://h.example/a b", "https://h.example/a\x7f", "https://h.example/?q=\x01",
		"https://h_x.example/a", "/relative/path?x", "", "HTTPS://H.EXAMPLE/Up", "https://ümlaut.example/x",
		"https://h.example/é", "ftp://h.example/a", "https://h.example/a;b=c/d",
	} {
		check(s)
	}
	pieces := []string{"https://", "http://", "h.example", ":8443", ":", "x", "/", "a", "%2F", "%zz", "?", "#", "q=1", "&", " ", "\x01", "\x7f", "é", "[", "]", "@", ";", "-", "."}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		s := ""
		for range rng.IntN(8) {
			s += pieces[rng.IntN(len(pieces))]
		}
		check(s)
	}
}

// TestHasControl holds the word-at-a-time scan to a byte loop, with every
// byte value at every position of strings of up to 24 bytes around
// neighbours that could carry or borrow into it.
func TestHasControl(t *testing.T) {
	slow := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < ' ' || c == 0x7f {
				return true
			}
		}
		return false
	}
	fills := []byte{'a', ' ', '!', 0x7e, 0x80, 0x9f, 0xa0, 0xff, '0'}
	for n := 1; n <= 24; n++ {
		for _, fill := range fills {
			buf := make([]byte, n)
			for i := range buf {
				buf[i] = fill
			}
			for pos := range n {
				for c := range 256 {
					buf[pos] = byte(c)
					if got, want := hasControl(string(buf)), slow(string(buf)); got != want {
						t.Fatalf("hasControl(%q) = %v, want %v", buf, got, want)
					}
				}
				buf[pos] = fill
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(0x20 + rng.IntN(0x5f)) // printable ASCII
			if rng.IntN(30) == 0 {
				b[i] = byte(rng.IntN(256))
			}
		}
		if got, want := hasControl(string(b)), slow(string(b)); got != want {
			t.Fatalf("hasControl(%q) = %v, want %v", b, got, want)
		}
	}
}

func BenchmarkURLPath(b *testing.B) {
	u := "https://www.facebook.com/tr/?id=1234567890123456&ev=PageView&dl=https%3A%2F%2Fclinic.example%2Fconditions"
	for b.Loop() {
		URLPath(u)
	}
}
