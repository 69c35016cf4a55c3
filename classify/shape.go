package classify

import (
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
	prefix string // the chain before the path step, joined
	n      int    // 1-based segment number
	value  string
	path   string // the field's Path
}

// findConditionPages recognises condition pages by URL shape: a segment
// under a conditions index ("/conditions/<slug>") names a condition even
// when no dictionary knows it. Slugs a dictionary term was already found
// in (found reports the paths with health findings) are left to it.
func findConditionPages(fields []phiproxy.Field, pathOf func(i int) string, found map[string]bool, add func(detection)) {
	var segs []pathSegment
	for i, f := range fields {
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
		segs = append(segs, pathSegment{strings.Join(f.Chain[:len(f.Chain)-1], " > "), n, f.Value, pathOf(i)})
	}
	if len(segs) < 2 {
		return
	}
	index := make(map[string]bool) // prefix + "#" + n of conditions-index segments
	for _, s := range segs {
		if conditionIndexWords[strings.ToLower(s.value)] {
			index[s.prefix+"#"+strconv.Itoa(s.n)] = true
		}
	}
	if len(index) == 0 {
		return
	}
	for _, s := range segs {
		if !index[s.prefix+"#"+strconv.Itoa(s.n-1)] || found[s.path] || found[s.path+" > words"] {
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
			Path:     s.path,
			Field:    s.value,
			Category: "general",
			Source:   phiproxy.SourceShape,
			Score:    0.5,
		}})
	}
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
		if !genericPageWords[w] && len(w) > 1 {
			meaningful++
		}
	}
	if meaningful == 0 {
		return ""
	}
	return strings.Join(words, " ")
}
