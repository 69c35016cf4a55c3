package lzstring

import "testing"

// Known answers from the JavaScript LZString library, the format PostHog's
// lz64 bodies use.
func TestKnownVectors(t *testing.T) {
	cases := []struct{ name, got, want string }{
		{"compressToBase64(hello)", CompressToBase64("hello"), "BYUwNmD2Q==="},
		{"compressToEncodedURIComponent(hello)", CompressToEncodedURIComponent("hello"), "BYUwNmD2Q"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
}
