package crawl

import (
	"slices"
	"strings"
	"testing"
)

func TestSiteOf(t *testing.T) {
	tests := []struct{ host, want string }{
		{"www.site.test", "site.test"},
		{"site.test", "site.test"},
		{"book.lakeview.co.uk", "lakeview.co.uk"},
		{"WWW.Example.COM.", "example.com"},
		{"127.0.0.1", "127.0.0.1"},
		{"::1", "::1"},
		{"localhost", "localhost"},
		{"co.uk", "co.uk"}, // a public suffix itself: no eTLD+1
	}
	for _, tc := range tests {
		if got := siteOf(tc.host); got != tc.want {
			t.Errorf("siteOf(%q): got %q, want %q", tc.host, got, tc.want)
		}
	}
}

func TestNormalizeURL(t *testing.T) {
	tests := []struct {
		in, want string // want "" = error
	}{
		{"https://Site.Test/a#frag", "https://site.test/a"},
		{"HTTPS://site.test:443", "https://site.test/"},
		{"http://site.test:80/x?q=1", "http://site.test/x?q=1"},
		{"http://site.test:8080/x", "http://site.test:8080/x"},
		{"https://user:pw@site.test/", "https://site.test/"},
		{"https://[::1]:8443/", "https://[::1]:8443/"},
		{"  https://site.test/a  ", "https://site.test/a"},
		{"mailto:a@site.test", ""},
		{"javascript:void(0)", ""},
		{"ftp://site.test/", ""},
		{"/relative", ""},
		{"https://", ""},
		{"https://site.test/" + strings.Repeat("a", maxURLLength), ""},
		{"https://site.test/%zz", ""},
	}
	for _, tc := range tests {
		u, err := normalizeURL(tc.in)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("normalizeURL(%q): got %q, want an error", tc.in, u)
		case tc.want != "" && err != nil:
			t.Errorf("normalizeURL(%q): got error %v, want %q", tc.in, err, tc.want)
		case tc.want != "" && u.String() != tc.want:
			t.Errorf("normalizeURL(%q): got %q, want %q", tc.in, u, tc.want)
		}
	}
}

func TestFollowable(t *testing.T) {
	seen := map[string]bool{"https://site.test/": true}
	links := []link{
		{Href: "https://site.test/", Text: "Home"},                     // already seen
		{Href: "https://site.test/conditions/depression", Text: "Dep"}, // kept
		{Href: "https://site.test/conditions/depression#faq"},          // same page
		{Href: "https://www.site.test/book", Text: "Book"},             // same site, other host
		{Href: "http://site.test/plain"},                               // http is fine
		{Href: "https://elsewhere.test/"},                              // other site
		{Href: "https://site.test.evil.test/"},                         // other site
		{Href: "https://site.test/logout"},                             // destructive URL
		{Href: "https://site.test/account", Text: "Sign out"},          // destructive text
		{Href: "https://site.test/items?id=3&action=delete"},           // destructive query
		{Href: "https://site.test/unsubscribe%20me"},                   // escaped
		{Href: "https://site.test/brochure.PDF"},                       // file
		{Href: "mailto:x@site.test"},
		{Href: "tel:+13125550100"},
		{Href: ""},
	}
	got := followable(links, "site.test", seen)
	want := []string{"https://site.test/conditions/depression", "https://www.site.test/book", "http://site.test/plain"}
	if !slices.Equal(got, want) {
		t.Fatalf("followable:\n got %q\nwant %q", got, want)
	}
	for _, u := range want {
		if !seen[u] {
			t.Errorf("seen: %s not recorded", u)
		}
	}
	if again := followable(links, "site.test", seen); len(again) != 0 {
		t.Errorf("second pass: got %q, want nothing new", again)
	}
}

func FuzzFollowable(f *testing.F) {
	for _, s := range []string{
		"https://site.test/a#b", "http://[::1]:80/", "https://site.test:99999/", "https://%00/",
		"https://site.test/logout", "javascript:alert(1)", "https://user@site.test/../..", "//site.test/x",
		"https://xn--nxasmq6b.test/", "https://site.test/\u2028", "http://site.test:/",
	} {
		f.Add(s, "text")
	}
	f.Fuzz(func(t *testing.T, href, text string) {
		seen := map[string]bool{}
		out := followable([]link{{Href: href, Text: text}, {Href: href, Text: text}}, "site.test", seen)
		if len(out) > 1 {
			t.Fatalf("duplicate link returned twice: %q", out)
		}
		for _, u := range out {
			n, err := normalizeURL(u)
			if err != nil {
				t.Fatalf("returned URL %q does not parse again: %v", u, err)
			}
			if n.String() != u {
				t.Fatalf("normalisation not stable: %q -> %q", u, n)
			}
			if siteOf(n.Hostname()) != "site.test" {
				t.Fatalf("off-site URL returned: %q", u)
			}
			if n.Fragment != "" {
				t.Fatalf("fragment kept: %q", u)
			}
		}
	})
}

func BenchmarkFollowable(b *testing.B) {
	links := make([]link, 2000)
	for i := range links {
		links[i] = link{Href: "https://www.site.test/conditions/" + strings.Repeat("x", i%40) + "?page=" + string(rune('a'+i%26)) + "#top", Text: "Read more"}
	}
	b.ReportAllocs()
	for b.Loop() {
		followable(links, "site.test", map[string]bool{})
	}
}
