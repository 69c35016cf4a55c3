package classify

import (
	"math/rand/v2"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"unicode"
)

// The fast paths of the inspection must answer exactly as the plain
// expressions they replace; these tests hold each to its reference on
// tricky inputs, and the fuzz target on any input.

var fastPathInputs = []string{
	"", " ", "Jordan Whitfield", "jordan whitfield", "  Jordan  Whitfield ", "Jordan\tWhitfield",
	"JORDAN", "Zoë Ångström", "a\u00a0b", "a\u0085b", "K\u212a", "\xff\xfe", "a  b", "a b ",
	"127.0.0.1", "[::1]", "::1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "www.example.com", "example",
	"1.2.3.4%eth0", "fe80::1%eth0", "[fe80::1%25eth0]", "555-013-4221", "4155550134", "12a34",
	"px.ads.linkedin.com", "notlinkedin.com", "linkedin.com", ".linkedin.com", "com",
}

func TestLowerSingleSpacedMatchesReference(t *testing.T) {
	for _, s := range fastPathInputs {
		checkLowerSingleSpaced(t, s)
	}
}

func checkLowerSingleSpaced(t *testing.T, s string) {
	t.Helper()
	want := strings.Join(strings.FieldsFunc(strings.ToLower(s), unicode.IsSpace), " ")
	if got := lowerSingleSpaced(s); got != want {
		t.Fatalf("lowerSingleSpaced(%q): got %q, want %q", s, got, want)
	}
}

func TestMayBeIPAddrKeepsEveryAddress(t *testing.T) {
	for _, s := range fastPathInputs {
		checkMayBeIPAddr(t, s)
	}
}

// checkMayBeIPAddr: whatever netip.ParseAddr accepts (after the
// brackets registrableDomain trims), mayBeIPAddr must let through.
func checkMayBeIPAddr(t *testing.T, host string) {
	t.Helper()
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil && !mayBeIPAddr(host) {
		t.Fatalf("mayBeIPAddr(%q) = false for an address", host)
	}
}

func TestDigitsOfMatchesReference(t *testing.T) {
	for _, s := range fastPathInputs {
		checkDigitsOf(t, s)
	}
}

func checkDigitsOf(t *testing.T, s string) {
	t.Helper()
	want := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	if got := digitsOf(s); got != want {
		t.Fatalf("digitsOf(%q): got %q, want %q", s, got, want)
	}
}

func TestHostSuffixMatchMatchesReference(t *testing.T) {
	for _, h := range fastPathInputs {
		for _, s := range fastPathInputs {
			checkHostSuffixMatch(t, h, s)
		}
	}
}

func checkHostSuffixMatch(t *testing.T, host, suffix string) {
	t.Helper()
	want := suffix != "" && (host == suffix || strings.HasSuffix(host, "."+suffix))
	if got := hostSuffixMatch(host, suffix); got != want {
		t.Fatalf("hostSuffixMatch(%q, %q): got %v, want %v", host, suffix, got, want)
	}
}

func TestJoinedEqualMatchesJoin(t *testing.T) {
	cases := [][2][]string{
		{{"query:dl", "url"}, {"query:dl", "url"}},
		{{"a > b"}, {"a", "b"}},
		{{"a", "b > c"}, {"a > b", "c"}},
		{{"query:dl"}, {"query:rl"}},
		{nil, {}},
		{{""}, nil},
		{{"", ""}, {" > "}},
	}
	for _, c := range cases {
		want := strings.Join(c[0], " > ") == strings.Join(c[1], " > ")
		if got := joinedEqual(c[0], c[1]); got != want {
			t.Fatalf("joinedEqual(%q, %q): got %v, want %v", c[0], c[1], got, want)
		}
	}
}

func TestParseURLPartsMatchesHelpers(t *testing.T) {
	for _, s := range []string{"", "https://www.Example.com:8443/conditions/x?y=1#z", " https://a.example/p ",
		"/relative/path", "https://[::1]:80/a", "mailto:x@example.com", "https://exa mple.com/", "%zz", "null"} {
		got := parseURLParts(s)
		if got.host != hostOf(s) || got.origin != originOf(s) || got.path != pathOf(s) {
			t.Fatalf("parseURLParts(%q) = %+v, want host %q origin %q path %q", s, got, hostOf(s), originOf(s), pathOf(s))
		}
		var c *pageCache
		if c.get(s) != got {
			t.Fatalf("nil pageCache.get(%q) differs from a parse", s)
		}
		c = newPageCache()
		for range 2 { // a miss, then a hit
			if c.get(s) != got {
				t.Fatalf("pageCache.get(%q) differs from a parse", s)
			}
		}
	}
}

// hostOf, originOf and pathOf are how inspection read a URL before
// parseURLParts: the references it is held to.

func hostOf(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

func originOf(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" || u.Scheme == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

func pathOf(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	return u.Path
}

func FuzzFastPaths(f *testing.F) {
	for _, s := range fastPathInputs {
		f.Add(s, "example.com")
	}
	f.Fuzz(func(t *testing.T, s, suffix string) {
		checkLowerSingleSpaced(t, s)
		checkMayBeIPAddr(t, s)
		checkDigitsOf(t, s)
		checkHostSuffixMatch(t, s, suffix)
		if got, want := parseURLParts(s), (urlParts{hostOf(s), originOf(s), pathOf(s)}); got != want {
			t.Fatalf("parseURLParts(%q) = %+v, want %+v", s, got, want)
		}
	})
}

// TestMayHoldCodeMatchesReference holds the word-at-a-time mayHoldCode to
// the byte loop it replaced: every pair of bytes at every position of
// strings up to 20 bytes (so at and across word boundaries), over fills
// around the letter and digit ranges' edges, and random text.
func TestMayHoldCodeMatchesReference(t *testing.T) {
	ref := func(s string) bool {
		for i := 0; i+1 < len(s); i++ {
			if s[i] >= 'A' && s[i] <= 'Z' && s[i+1] >= '0' && s[i+1] <= '9' {
				return true
			}
		}
		return false
	}
	edges := []byte{'@', 'A', 'Z', '[', '/', '0', '9', ':', 'a', 0x00, 0x7f, 0x80, 0xc1, 0xda, 0xb0, 0xff}
	for n := 2; n <= 20; n++ {
		for _, fill := range []byte{'x', 'A', '5', 0xc5} {
			b := make([]byte, n)
			for i := range b {
				b[i] = fill
			}
			for i := 0; i+1 < n; i++ {
				for _, c1 := range edges {
					for _, c2 := range edges {
						b[i], b[i+1] = c1, c2
						if got, want := mayHoldCode(string(b)), ref(string(b)); got != want {
							t.Fatalf("mayHoldCode(%q) = %v, want %v", b, got, want)
						}
					}
				}
				b[i], b[i+1] = fill, fill
			}
		}
	}
	rng := rand.New(rand.NewPCG(11, 13))
	for range 200000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.IntN(256))
			if rng.IntN(3) > 0 {
				b[i] = "aB0:Z9@[/"[rng.IntN(9)]
			}
		}
		if got, want := mayHoldCode(string(b)), ref(string(b)); got != want {
			t.Fatalf("mayHoldCode(%q) = %v, want %v", b, got, want)
		}
	}
}
