package classify

import (
	"testing"

	"github.com/phiproxy/phiproxy"
)

func TestSlugTerm(t *testing.T) {
	tests := []struct{ slug, want string }{
		{"post-traumaticStress", "post traumatic stress"},
		{"lichen_sclerosus", "lichen sclerosus"},
		{"overview", ""},
		{"a-z", ""},
		{"12345", ""},
		{"index.html", ""},
		{"symptoms-causes", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := slugTerm(tt.slug); got != tt.want {
			t.Errorf("slugTerm(%q): got %q, want %q", tt.slug, got, tt.want)
		}
	}
}

func TestFindConditionPages(t *testing.T) {
	seg := func(prefix []string, n, value string) phiproxy.Field {
		return phiproxy.Field{Chain: append(append([]string{}, prefix...), "path["+n+"]"), Value: value}
	}
	dl := []string{"query:dl", "url"}
	ref := []string{"header:Referer"}
	fields := []phiproxy.Field{
		seg(dl, "1", "conditions"),
		seg(dl, "2", "lichen-sclerosus"),
		seg(dl, "3", "overview"),
		seg(ref, "1", "blog"),
		seg(ref, "2", "summer-recipes"),
		seg(ref, "3", "conditions"), // an index segment with nothing after it
		seg(nil, "1", "diseases"),
		seg(nil, "2", "known-term"),
	}
	paths := make([]string, len(fields))
	for i := range fields {
		paths[i] = fields[i].Path()
	}
	found := map[string]bool{"path[2]": true} // a dictionary term was found there
	var got []detection
	findConditionPages(fields, func(i int) string { return paths[i] }, found, func(d detection) { got = append(got, d) })
	if len(got) != 1 {
		t.Fatalf("findings: got %d (%+v), want 1", len(got), got)
	}
	d := got[0]
	if d.Term != "lichen sclerosus" || d.Kind != phiproxy.KindCondition || d.Source != phiproxy.SourceShape || d.Path != "query:dl > url > path[2]" {
		t.Errorf("finding: got %+v", d.Finding)
	}
}
