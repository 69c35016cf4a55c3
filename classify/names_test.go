package classify

import (
	"encoding/base64"
	"testing"

	"github.com/phiproxy/phiproxy"
)

// TestSDKNameFields sends each SDK's identify or profile payload as it
// travels, without a persona: the person's name is found under the SDK's
// own field names, and library, SDK and notifier names are not people.
func TestSDKNameFields(t *testing.T) {
	in := embeddedInspector(t)
	const page = "https://www.cedarclinic.com/portal/"
	mixpanel := base64.StdEncoding.EncodeToString([]byte(`[{"$token":"t","$distinct_id":"d1","$set":{"$name":"Chidi Okafor","$first_name":"Chidi","$last_name":"Okafor"}}]`))
	tests := []termCase{
		{"Segment identify traits", request("https://api.segment.io/v1/i", page, "text/plain",
			`{"type":"identify","userId":"u1","traits":{"name":"Priya Natarajan","firstName":"Priya","lastName":"Natarajan"},"context":{"library":{"name":"analytics.js","version":"5.2.0"}}}`),
			[]string{"name:priya natarajan", "name:priya", "name:natarajan"}, []string{"name:analytics.js"}},
		{"Mixpanel engage $set", request("https://api-js.mixpanel.com/engage/", page, "application/x-www-form-urlencoded", "data="+mixpanel),
			[]string{"name:chidi okafor", "name:chidi", "name:okafor"}, nil},
		{"Intercom user_data", request("https://api-iam.intercom.io/messenger/web/ping", page, "application/x-www-form-urlencoded",
			query("app_id", "abc", "user_data", `{"name":"jane roe","email":"jane.roe@example.org"}`)),
			[]string{"name:jane roe", "email:jane.roe@example.org"}, nil},
		{"HubSpot form fields", request("https://forms.hubspot.com/submissions/v3/integration/submit/1/abc", page, "application/json",
			`{"fields":[{"name":"firstname","value":"Marisol"},{"name":"lastname","value":"Quintero"}]}`),
			[]string{"name:marisol", "name:quintero"}, nil},
		{"PostHog $set", request("https://us.i.posthog.com/e/", page, "application/json",
			`{"event":"$identify","properties":{"$set":{"name":"Dmitri Volkov","email":"dv@example.org"},"$lib":"web"}}`),
			[]string{"name:dmitri volkov"}, nil},
		{"Klaviyo profile", request("https://a.klaviyo.com/client/profiles/?company_id=X", page, "application/json",
			`{"data":{"type":"profile","attributes":{"email":"aoife@example.org","first_name":"Aoife","last_name":"Brennan"}}}`),
			[]string{"name:aoife", "name:brennan"}, nil},
		{"Braze attributes", request("https://sdk.iad-01.braze.com/api/v3/data", page, "application/json",
			`{"attributes":[{"user_id":"u1","first_name":"Kenji","last_name":"Watanabe"}]}`),
			[]string{"name:kenji", "name:watanabe"}, nil},
		{"Amplitude user_properties", request("https://api2.amplitude.com/2/httpapi", page, "application/json",
			`{"events":[{"event_type":"login","user_properties":{"name":"Lena Okafor","$set":{"name":"Lena Okafor"}}}]}`),
			[]string{"name:lena okafor"}, nil},
		{"FullStory identify displayName", request("https://rs.fullstory.com/rec/bundle", page, "application/json",
			`{"Evts":[{"Kind":"setUserVars","Args":{"displayName":"Rosalind Featherstone","email":"rf@example.org"}}]}`),
			[]string{"name:rosalind featherstone"}, nil},
		{"Sentry user and sdk", request("https://o1.ingest.sentry.io/api/2/store/", page, "application/json",
			`{"user":{"username":"rfeatherstone","name":"Rosalind"},"sdk":{"name":"sentry.javascript.browser","version":"7.119.0"}}`),
			[]string{"name:rfeatherstone", "name:rosalind"}, []string{"name:sentry.javascript.browser"}},
		{"Sentry extra form state", request("https://o1.ingest.sentry.io/api/2/store/", page, "application/json",
			`{"message":"Validation failed","extra":{"form_state":{"first_name":"Jane","zip":"94110"}},"contexts":{"browser":{"name":"Chrome"}}}`),
			[]string{"name:jane"}, []string{"name:chrome"}},
		{"product and button names", request("https://api.segment.io/v1/t", page, "text/plain",
			`{"event":"Product Viewed","properties":{"product":{"name":"Margaret Brown Tote"},"button":{"name":"Grace Kelly Frame"}}}`),
			nil, []string{"name:margaret brown tote", "name:grace kelly frame", "name:margaret brown"}},
		{"Bugsnag notifier", request("https://sessions.bugsnag.com/", page, "application/json",
			`{"notifier":{"name":"Bugsnag JavaScript","version":"7.22.0","url":"https://github.com/bugsnag/bugsnag-js"},"device":{"osName":"Mac OS"}}`),
			nil, []string{"name:bugsnag javascript"}},
	}
	checkTerms(t, in, tests)
	// No name at all in the notifier payload.
	for _, fd := range in.Inspect(tests[len(tests)-1].flow).Findings {
		if fd.Kind == phiproxy.KindName {
			t.Errorf("Bugsnag notifier: name finding %q at %s", fd.Term, fd.Path)
		}
	}
}

// TestChatNameWithoutPersona: a name introduced in a chat message is
// found with no persona loaded, and with the health text beside it the
// flow is critical.
func TestChatNameWithoutPersona(t *testing.T) {
	in, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	msg := "Hi, my name is Rosalind Featherstone and I have been feeling hopeless and my depression is getting worse"
	f := request("https://api-iam.intercom.io/messenger/web/conversations", "https://www.cedarclinic.com/", "application/x-www-form-urlencoded",
		query("app_id", "abc", "blocks", `[{"type":"paragraph","text":"`+msg+`"}]`))
	ins := in.Inspect(f)
	got := termsOf(ins)
	name, ok := got["name:rosalind featherstone"]
	if !ok {
		t.Fatalf("got %v, want name:rosalind featherstone", keys(got))
	}
	if name.Value != "Rosalind Featherstone" || name.Field[name.Start:name.End] != name.Value || name.Source != phiproxy.SourcePattern {
		t.Errorf("name finding: value %q at %d..%d of %q, source %s", name.Value, name.Start, name.End, name.Field, name.Source)
	}
	if ins.Severity != phiproxy.Critical {
		t.Errorf("flow severity: got %v, want critical (a name with a condition)", ins.Severity)
	}
}

// TestProviderNameIsLowSeverity: a clinician's name on a doctor page goes
// out as kind name, category provider, at low severity, and does not make
// the page's health information critical; a patient's name would.
func TestProviderNameIsLowSeverity(t *testing.T) {
	in := embeddedInspector(t)
	const page = "https://www.cedarclinic.com/doctors/sarah-chen"
	ins := in.Inspect(beacon(page, "dt", "Dr. Sarah Chen | Psychiatry", "en", "page_view"))
	got := termsOf(ins)
	dr, ok := got["name:sarah chen"]
	switch {
	case !ok:
		t.Fatalf("got %v, want name:sarah chen", keys(got))
	case dr.Category != CategoryProvider || dr.Severity != phiproxy.Low:
		t.Errorf("clinician name: category %q severity %v, want %q low", dr.Category, dr.Severity, CategoryProvider)
	}
	if _, ok := got["specialty:psychiatry"]; !ok {
		t.Errorf("got %v, want specialty:psychiatry", keys(got))
	}
	if ins.Severity == phiproxy.Critical {
		t.Errorf("flow severity critical from a clinician's name")
	}
	patient := in.Inspect(beacon(page, "dt", "Psychiatry", "message", "my name is Margaret Okafor"))
	if patient.Severity != phiproxy.Critical {
		t.Errorf("patient name with a specialty: severity %v, want critical", patient.Severity)
	}
}

func TestClassOfFinding(t *testing.T) {
	tests := []struct {
		f    phiproxy.Finding
		want findingClass
	}{
		{phiproxy.Finding{Kind: phiproxy.KindName}, classPerson},
		{phiproxy.Finding{Kind: phiproxy.KindName, Category: CategoryProvider}, classProvider},
		{phiproxy.Finding{Kind: phiproxy.KindNPI}, classProvider},
		{phiproxy.Finding{Kind: phiproxy.KindEmail, Category: CategoryProvider}, classPerson},
		{phiproxy.Finding{Kind: phiproxy.KindSpecialty, Category: "mental_health"}, classHealth},
	}
	for _, tt := range tests {
		if got := classOfFinding(tt.f); got != tt.want {
			t.Errorf("classOfFinding(%s, %q): got %v, want %v", tt.f.Kind, tt.f.Category, got, tt.want)
		}
	}
}
