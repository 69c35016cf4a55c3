package classify

import (
	"net/http"
	"testing"

	"github.com/phiproxy/phiproxy"
)

// TestSoftwareNamesAreNotPeople: error and analytics SDKs name themselves
// under a "name" key; those are libraries, not people.
func TestSoftwareNamesAreNotPeople(t *testing.T) {
	in := newTestInspector(t, Options{})
	for _, c := range []struct {
		body   string
		person bool
	}{
		{`{"apiKey":"abc","notifier":{"name":"Bugsnag JavaScript","version":"7.22.4","url":"https://github.com/bugsnag/bugsnag-js"},"events":[]}`, false},
		{`{"sdk":{"name":"Sentry Browser","version":"8.1.0"},"platform":"javascript"}`, false},
		{`{"framework":{"name":"Next Js"},"runtime":{"name":"Node Js"}}`, false},
		{`{"integrations":[{"name":"Breadcrumbs Global"}]}`, false},
		{`{"patient":{"name":"Jordan Whitfield"}}`, true},
		{`{"client":{"name":"Jordan Whitfield"}}`, true},
	} {
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		ins := in.Inspect(&phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://notify.bugsnag.com/", Header: h, Body: []byte(c.body)}})
		found := false
		for _, f := range ins.Findings {
			found = found || f.Kind == phiproxy.KindName
		}
		if found != c.person {
			t.Errorf("%s: name found %v, want %v (findings %+v)", c.body, found, c.person, ins.Findings)
		}
	}
}
