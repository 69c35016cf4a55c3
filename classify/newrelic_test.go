package classify

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/encoded"
)

// TestNewRelicRefOnEveryEndpoint pins that the page URL New Relic's
// browser agent sends as ref= is read the same way on each of its
// endpoints (page view, errors, events), whatever the body: JSON, gzip,
// the errors in the query instead, or a large error batch.
func TestNewRelicRefOnEveryEndpoint(t *testing.T) {
	in := newTestInspector(t, Options{})
	page := "https://www.cedarclinic.com/conditions/crohns-disease"
	errJSON := `[{"params":{"stackHash":1,"exceptionClass":"TypeError","message":"x is undefined","stack_trace":"TypeError: x\n at https://www.cedarclinic.com/static/app.js:1:2"},"metrics":{"count":1}}]`
	gz := encoded.Gzip([]byte(`{"err":` + errJSON + `}`))
	big := `{"err":[` + strings.Repeat(strings.Trim(errJSON, "[]")+",", 400) + `{}]}`
	q := "?a=1134&sa=1&v=1.260.1&t=Unnamed%20Transaction&rst=3471&ck=0&s=4f1c&ref="
	for _, c := range []struct {
		name, method, url, body, encoding string
	}{
		{"page view", "GET", "https://bam.nr-data.net/1/NRJS-abc" + q + page + "&ap=204&be=512", "", ""},
		{"errors, JSON", "POST", "https://bam.nr-data.net/jserrors/1/NRJS-abc" + q + page, `{"err":` + errJSON + `}`, ""},
		{"errors, gzip", "POST", "https://bam.nr-data.net/jserrors/1/NRJS-abc" + q + page, string(gz), "gzip"},
		{"errors in the query", "GET", "https://bam.nr-data.net/jserrors/1/NRJS-abc" + q + page + "&err=" + url.QueryEscape(errJSON), "", ""},
		{"errors, 400 of them", "POST", "https://bam.nr-data.net/jserrors/1/NRJS-abc" + q + page, big, ""},
		{"errors, ref escaped", "POST", "https://bam.nr-data.net/jserrors/1/NRJS-abc" + q + url.QueryEscape(page), `{"err":` + errJSON + `}`, ""},
		{"events", "POST", "https://bam.nr-data.net/events/1/NRJS-abc" + q + page, "bel.7;1,1,,1,1,2", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			h.Set("Content-Type", "text/plain")
			if c.encoding != "" {
				h.Set("Content-Encoding", c.encoding)
			}
			ins := in.Inspect(&phiproxy.Flow{Request: phiproxy.Request{Method: c.method, URL: c.url, Header: h, Body: []byte(c.body)}})
			for _, f := range ins.Findings {
				if f.Kind == phiproxy.KindCondition && f.Term == "crohn's disease" && strings.HasPrefix(f.Path, "query:ref") {
					return
				}
			}
			t.Errorf("condition in ref= missed; findings: %+v", ins.Findings)
		})
	}
}
