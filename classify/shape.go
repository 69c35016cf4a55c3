package classify

import (
	"slices"
	"strconv"
	"strings"

	"github.com/phiproxy/phiproxy"
)

// conditionIndexWords are URL path segments under which a site lists its
// condition pages ("/conditions/<slug>", "/diseases-conditions/<slug>").
var conditionIndexWords = wordSet(
	"conditions", "condition", "diseases", "disease", "diagnoses", "illnesses",
	"health-conditions", "diseases-conditions", "conditions-treatments",
	"conditions-and-diseases", "conditions-we-treat",
)

// genericPageWords are slug words of index and section pages, not names
// of conditions.
var genericPageWords = wordSet(
	"overview", "index", "html", "htm", "php", "aspx", "all", "a", "z", "az",
	"list", "search", "home", "symptoms", "causes", "treatment", "treatments",
	"diagnosis", "care", "faq", "about", "and", "the", "of", "results", "page",
	"more", "info", "guide", "library", "learn", "topics", "en", "us", "es",
)

// pathSegment is one URL path segment field.
type pathSegment struct {
	i      int      // the field's index
	prefix []string // the chain before the path step
	n      int      // 1-based segment number
	value  string
}

// joinedLen is len(strings.Join(parts, " > ")).
func joinedLen(parts []string) int {
	if len(parts) == 0 {
		return 0
	}
	n := 3 * (len(parts) - 1)
	for _, p := range parts {
		n += len(p)
	}
	return n
}

// joinedEqual reports whether a and b join with " > " to the same string,
// without joining them.
func joinedEqual(a, b []string) bool {
	if slices.Equal(a, b) {
		return true
	}
	if joinedLen(a) != joinedLen(b) {
		return false
	}
	return strings.Join(a, " > ") == strings.Join(b, " > ")
}

// findConditionPages recognises condition pages by URL shape: a segment
// under a conditions index ("/conditions/<slug>") names a condition even
// when no dictionary knows it. Slugs a dictionary term was already found
// in (found reports the paths with health findings) are left to it.
func findConditionPages(fields []phiproxy.Field, pathOf func(i int) string, found map[string]bool, add func(detection)) {
	// Most flows have no conditions index segment: find that out before
	// joining any chain or path.
	var (
		buf  [16]pathSegment
		segs = buf[:0]
		idx  [4]int // segs that are a conditions index
		at   = idx[:0]
	)
	for i := range fields {
		f := &fields[i]
		if len(f.Chain) == 0 {
			continue
		}
		last := f.Chain[len(f.Chain)-1]
		if !strings.HasPrefix(last, "path[") || !strings.HasSuffix(last, "]") {
			continue
		}
		n, err := strconv.Atoi(last[len("path[") : len(last)-1])
		if err != nil || n < 1 {
			continue
		}
		if conditionIndexWords.has(strings.ToLower(f.Value)) {
			at = append(at, len(segs))
		}
		segs = append(segs, pathSegment{i, f.Chain[:len(f.Chain)-1], n, f.Value})
	}
	if len(segs) < 2 || len(at) == 0 {
		return
	}
	// Few segments are an index: each segment is compared with them,
	// unless a hostile payload has many, when they are looked up by key.
	var byKey map[string]bool
	if len(at) > 16 {
		byKey = make(map[string]bool, len(at))
		for _, j := range at {
			byKey[segmentKey(segs[j].prefix, segs[j].n)] = true
		}
	}
	for _, s := range segs {
		// A segment right after a conditions index segment of the same
		// URL (same chain before the path step, as joined by Path).
		under := false
		if byKey != nil {
			under = byKey[segmentKey(s.prefix, s.n-1)]
		} else {
			for _, j := range at {
				if x := segs[j]; x.n == s.n-1 && joinedEqual(x.prefix, s.prefix) {
					under = true
					break
				}
			}
		}
		if !under {
			continue
		}
		path := pathOf(s.i)
		if found[path] || found[path+" > words"] {
			continue
		}
		term := slugTerm(s.value)
		if term == "" {
			continue
		}
		add(detection{Finding: phiproxy.Finding{
			Kind:     phiproxy.KindCondition,
			Term:     term,
			Value:    s.value,
			Path:     path,
			Field:    s.value,
			Category: "general",
			Source:   phiproxy.SourceShape,
			Score:    0.5,
		}})
	}
}

// segmentKey names path segment n under the chain prefix, as Path joins
// the chain.
func segmentKey(prefix []string, n int) string {
	return strings.Join(prefix, " > ") + "#" + strconv.Itoa(n)
}

// slugTerm turns a URL slug into a term ("post-traumaticStress" → "post
// traumatic stress"), or "" when it is an index page, an ID or a file.
func slugTerm(slug string) string {
	if len(slug) > 80 {
		return ""
	}
	words := splitWords(slug, 8)
	meaningful := 0
	for _, w := range words {
		if _, err := strconv.Atoi(w); err == nil {
			return "" // "/conditions/12345" is an ID, not a name
		}
		if !genericPageWords.has(w) && len(w) > 1 {
			meaningful++
		}
	}
	if meaningful == 0 {
		return ""
	}
	return strings.Join(words, " ")
}
