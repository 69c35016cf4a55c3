package inventory

import (
	"strings"
	"testing"
)

func TestPathTemplate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/v1/users/8812/events", "/v1/users/{id}/events"},
		{"/", "/"},
		{"", "/"},
		{"/g/collect", "/g/collect"},
		{"/tr", "/tr"},
		{"/api/v2/orders/123/items/9", "/api/v2/orders/{id}/items/{id}"},
		{"/s/3f2504e0-4f89-11d3-9a0c-0305e82c3301/ping", "/s/{id}/ping"},
		{"/b/d41d8cd98f00b204e9800998ecf8427e", "/b/{hash}"},
		{"/sess/AbC9xYz1234567890QwErTy/track", "/sess/{hash}/track"},
		{"/static/app.8f3a2b1c.js", "/static/app.8f3a2b1c.js"},
		{"/widget/messenger-v2.js", "/widget/messenger-v2.js"},
		{"/report/2026-12-04", "/report/{id}"},
		{"/deadbeef", "/deadbeef"}, // short hex is a word
		{"/a%2Fb/12", "/a%2Fb/{id}"},
	}
	for _, tt := range tests {
		if got := PathTemplate(tt.in); got != tt.want {
			t.Errorf("PathTemplate(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzPathTemplate: any path gives a template as many segments long, and
// templating a template changes nothing.
func FuzzPathTemplate(f *testing.F) {
	for _, s := range []string{"/v1/users/8812/events", "", "/", "//a//1/", "/%zz/12", "/\x00/\xff\xfe/3f2504e0-4f89-11d3-9a0c-0305e82c3301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := PathTemplate(p)
		if p != "" && strings.Count(got, "/") != strings.Count(p, "/") {
			t.Fatalf("PathTemplate(%q) = %q: segment count changed", p, got)
		}
		if again := PathTemplate(got); again != got {
			t.Fatalf("PathTemplate(%q) = %q, but PathTemplate of that = %q", p, got, again)
		}
	})
}
