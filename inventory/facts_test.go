package inventory

import (
	"reflect"
	"testing"

	"github.com/phiproxy/phiproxy"
)

// TestMergeEndpoint: a sighting that adds nothing keeps the item's
// attributes as they were, without a copy, and one that adds a key, a
// kind, a cookie or a higher severity gets a new Endpoint holding both,
// leaving the old one unchanged.
func TestMergeEndpoint(t *testing.T) {
	old := &Endpoint{Method: "POST", PathTemplate: "/e", Keys: []string{"a", "email"}, Kinds: []string{"email"},
		MaxSeverity: phiproxy.Severity(2), Count: 3, Cookies: []string{"vid"}}
	before := *old
	same := &Endpoint{Method: "POST", PathTemplate: "/e", Keys: []string{"email"}, Kinds: []string{"email"}, MaxSeverity: phiproxy.Severity(1), Count: 1}
	if got := merge(old, same); got != any(old) {
		t.Errorf("a sighting adding nothing: got %+v, want the old attributes themselves", got)
	}
	for name, tc := range map[string]struct {
		nu   *Endpoint
		want Endpoint
	}{
		"key":      {&Endpoint{Keys: []string{"b"}}, Endpoint{Keys: []string{"a", "b", "email"}}},
		"kind":     {&Endpoint{Kinds: []string{"condition"}}, Endpoint{Kinds: []string{"condition", "email"}}},
		"cookie":   {&Endpoint{Cookies: []string{"ajs"}}, Endpoint{Cookies: []string{"ajs", "vid"}}},
		"severity": {&Endpoint{MaxSeverity: phiproxy.Severity(4)}, Endpoint{MaxSeverity: phiproxy.Severity(4)}},
	} {
		want := before
		if tc.want.Keys != nil {
			want.Keys = tc.want.Keys
		}
		if tc.want.Kinds != nil {
			want.Kinds = tc.want.Kinds
		}
		if tc.want.Cookies != nil {
			want.Cookies = tc.want.Cookies
		}
		want.MaxSeverity = max(want.MaxSeverity, tc.want.MaxSeverity)
		got, ok := merge(old, tc.nu).(*Endpoint)
		if !ok || got == old || !reflect.DeepEqual(*got, want) {
			t.Errorf("%s: got %+v, want a new %+v", name, got, want)
		}
		if !reflect.DeepEqual(*old, before) {
			t.Fatalf("%s: merge changed the old attributes to %+v", name, *old)
		}
	}
}
