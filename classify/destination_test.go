package classify

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
)

const testVendors = "# domain\tvendor\tcategory\n" +
	"facebook.com\tMeta Pixel\tadvertising\n" +
	"google-analytics.com\tGoogle Analytics\tanalytics\n" +
	"segment.io\tSegment\tanalytics\n" +
	"intercom.io\tIntercom\tchat\n"

// placeOnlyInspector builds an Inspector with just what place needs, so
// destination tests do not depend on the dictionaries.
func placeOnlyInspector(t *testing.T, sites, baa []string) *Inspector {
	t.Helper()
	vt, err := parseVendors(strings.NewReader(testVendors), "test")
	if err != nil {
		t.Fatal(err)
	}
	in := &Inspector{vendors: vt, learnedSites: newBoundedSet(16), authOrigins: newBoundedSet(16)}
	for _, s := range sites {
		in.sites = append(in.sites, registrableDomain(s))
	}
	for _, b := range baa {
		in.baa = append(in.baa, strings.ToLower(b))
	}
	return in
}

func flowTo(method, url string, header ...string) *phiproxy.Flow {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Add(header[i], header[i+1])
	}
	return &phiproxy.Flow{Request: phiproxy.Request{Method: method, URL: url, Header: h}}
}

func TestRegistrableDomain(t *testing.T) {
	tests := []struct{ host, want string }{
		{"www.cedar-clinic.com", "cedar-clinic.com"},
		{"a.b.example.co.uk", "example.co.uk"},
		{"WWW.Example.COM.", "example.com"},
		{"127.0.0.1", "127.0.0.1"},
		{"::1", "::1"},
		{"localhost", "localhost"},
		{"co.uk", "co.uk"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := registrableDomain(tt.host); got != tt.want {
			t.Errorf("registrableDomain(%q): got %q, want %q", tt.host, got, tt.want)
		}
	}
}

func TestPlaceWithSites(t *testing.T) {
	in := placeOnlyInspector(t, []string{"cedarclinic.com"}, nil)
	tests := []struct {
		name             string
		flow             *phiproxy.Flow
		party            phiproxy.Party
		vendor, category string
	}{
		{"site subdomain", flowTo("GET", "https://portal.cedarclinic.com/api/me"), phiproxy.FirstParty, "", ""},
		{"vendor", flowTo("GET", "https://www.facebook.com/tr/?id=1", "Referer", "https://www.cedarclinic.com/"), phiproxy.ThirdParty, "Meta Pixel", "advertising"},
		{"other domain", flowTo("GET", "https://cdn.example.net/x.js"), phiproxy.ThirdParty, "", ""},
		{"navigation elsewhere is still third with --site", flowTo("GET", "https://news.example.org/", "Sec-Fetch-Mode", "navigate"), phiproxy.ThirdParty, "", ""},
	}
	for _, tt := range tests {
		d, _ := in.place(tt.flow, nil)
		if d.Party != tt.party || d.Vendor != tt.vendor || d.Category != tt.category {
			t.Errorf("%s: got party %s vendor %q category %q, want %s %q %q", tt.name, d.Party, d.Vendor, d.Category, tt.party, tt.vendor, tt.category)
		}
	}
}

func TestPlaceInferred(t *testing.T) {
	in := placeOnlyInspector(t, nil, nil)
	// Order matters: the navigation teaches the inspector the site.
	steps := []struct {
		name   string
		flow   *phiproxy.Flow
		party  phiproxy.Party
		domain string
	}{
		{"unknown before any navigation", flowTo("GET", "https://api.cedarclinic.com/v1/slots"), phiproxy.UnknownParty, "cedarclinic.com"},
		{"top-level navigation", flowTo("GET", "https://www.cedarclinic.com/conditions/asthma", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document"), phiproxy.FirstParty, "cedarclinic.com"},
		{"learned site without referer", flowTo("GET", "https://api.cedarclinic.com/v1/slots"), phiproxy.FirstParty, "cedarclinic.com"},
		{"same-site referer", flowTo("GET", "https://img.cedarclinic.com/a.png", "Referer", "https://www.cedarclinic.com/"), phiproxy.FirstParty, "cedarclinic.com"},
		{"cross-site referer", flowTo("GET", "https://cdn.example.net/a.js", "Referer", "https://www.cedarclinic.com/"), phiproxy.ThirdParty, "example.net"},
		{"origin when no referer", flowTo("POST", "https://cdn.example.net/a", "Origin", "https://www.cedarclinic.com"), phiproxy.ThirdParty, "example.net"},
		{"known vendor without page", flowTo("GET", "https://www.facebook.com/tr/"), phiproxy.ThirdParty, "facebook.com"},
		{"iframe navigation is not top level", flowTo("GET", "https://widget.example.org/", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "iframe"), phiproxy.UnknownParty, "example.org"},
		{"html GET without fetch metadata", flowTo("GET", "https://www.otherclinic.org/", "Accept", "text/html,application/xhtml+xml"), phiproxy.FirstParty, "otherclinic.org"},
		{"IP host", flowTo("GET", "http://10.1.2.3:8080/x"), phiproxy.UnknownParty, "10.1.2.3"},
		{"no URL", flowTo("GET", ""), phiproxy.UnknownParty, ""},
	}
	for _, tt := range steps {
		d, _ := in.place(tt.flow, nil)
		if d.Party != tt.party || d.Domain != tt.domain {
			t.Errorf("%s: got party %s domain %q, want %s %q", tt.name, d.Party, d.Domain, tt.party, tt.domain)
		}
	}
}

func TestPlaceRoutedTrackers(t *testing.T) {
	field := func(key, value string) phiproxy.Field { return phiproxy.Field{Key: key, Value: value} }
	tests := []struct {
		name   string
		url    string
		fields []phiproxy.Field
		vendor string
	}{
		{"GA4 query", "https://www.cedarclinic.com/g/collect?v=2&tid=G-ABC", []phiproxy.Field{field("v", "2"), field("tid", "G-ABC123")}, "Google Analytics (first-party route)"},
		{"GA4 without v on collect path", "https://www.cedarclinic.com/g/collect", []phiproxy.Field{field("tid", "G-ABC123")}, "Google Analytics (first-party route)"},
		{"UA tid is not GA4", "https://www.cedarclinic.com/collect", []phiproxy.Field{field("v", "1"), field("tid", "UA-1-1")}, ""},
		{"Segment", "https://www.cedarclinic.com/cdp/v1/t", []phiproxy.Field{field("anonymousId", "x"), field("writeKey", "k"), field("type", "track")}, "Segment (first-party route)"},
		{"RudderStack", "https://dp.cedarclinic.com/v1/track", []phiproxy.Field{field("anonymousId", "x"), field("rudderId", "r")}, "RudderStack (first-party route)"},
		{"PostHog token", "https://www.cedarclinic.com/ingest/e/", []phiproxy.Field{field("token", "phc_abc")}, "PostHog (first-party route)"},
		{"PostHog compression on batch", "https://www.cedarclinic.com/ingest/batch/", []phiproxy.Field{field("compression", "gzip-js")}, "PostHog (first-party route)"},
		{"Datadog", "https://www.cedarclinic.com/api/v2/rum", []phiproxy.Field{field("ddsource", "browser")}, "Datadog RUM (first-party route)"},
		{"own API", "https://www.cedarclinic.com/api/slots", []phiproxy.Field{field("type", "slot"), field("date", "2024-01-01")}, ""},
	}
	for _, tt := range tests {
		in := placeOnlyInspector(t, []string{"cedarclinic.com"}, nil)
		d, _ := in.place(flowTo("POST", tt.url), tt.fields)
		if d.Vendor != tt.vendor {
			t.Errorf("%s: vendor got %q, want %q", tt.name, d.Vendor, tt.vendor)
		}
		wantParty := phiproxy.FirstParty
		if tt.vendor != "" {
			wantParty = phiproxy.ThirdParty
		}
		if d.Party != wantParty {
			t.Errorf("%s: party got %s, want %s", tt.name, d.Party, wantParty)
		}
	}
}

func TestPlaceBAA(t *testing.T) {
	in := placeOnlyInspector(t, []string{"cedarclinic.com"}, []string{"intercom", "SEGMENT", "google-analytics.com", "Google Analytics", "Meta"})
	tests := []struct {
		name string
		flow *phiproxy.Flow
		fs   []phiproxy.Field
		want bool
	}{
		{"by vendor name, any case", flowTo("POST", "https://api.segment.io/v1/t"), nil, true},
		{"by domain suffix", flowTo("POST", "https://region1.google-analytics.com/g/collect"), nil, true},
		{"by route vendor name", flowTo("POST", "https://www.cedarclinic.com/g/collect"), []phiproxy.Field{{Key: "tid", Value: "G-1"}, {Key: "v", Value: "2"}}, true},
		{"name is matched whole", flowTo("GET", "https://api-iam.intercom.io/ping"), nil, true},
		{"name is not a substring match", flowTo("GET", "https://www.facebook.com/tr/"), nil, false},
		{"not covered", flowTo("GET", "https://cdn.example.net/x.js"), nil, false},
	}
	for _, tt := range tests {
		d, _ := in.place(tt.flow, tt.fs)
		if d.BAA != tt.want {
			t.Errorf("%s: BAA got %v, want %v (vendor %q)", tt.name, d.BAA, tt.want, d.Vendor)
		}
	}
}

func TestPlaceAuthenticatedPage(t *testing.T) {
	in := placeOnlyInspector(t, []string{"cedarclinic.com"}, nil)
	if _, auth := in.place(flowTo("GET", "https://www.facebook.com/tr/", "Referer", "https://portal.cedarclinic.com/visits"), nil); auth {
		t.Fatal("authenticated before any credentialed request")
	}
	in.place(flowTo("GET", "https://portal.cedarclinic.com/api/me", "Cookie", "session=abc"), nil)
	tests := []struct {
		referer string
		want    bool
	}{
		{"https://portal.cedarclinic.com/visits/12", true},
		{"https://www.cedarclinic.com/", false},
		{"http://portal.cedarclinic.com/visits/12", false},
	}
	for _, tt := range tests {
		_, got := in.place(flowTo("GET", "https://www.facebook.com/tr/", "Referer", tt.referer), nil)
		if got != tt.want {
			t.Errorf("referer %s: authenticated got %v, want %v", tt.referer, got, tt.want)
		}
	}
	// Analytics cookies alone do not make a page a logged-in one.
	in.place(flowTo("GET", "https://www.cedarclinic.com/api/x", "Cookie", "_ga=GA1.1.1.2; ajs_anonymous_id=%22a%22; _fbp=fb.1.2.3"), nil)
	if _, got := in.place(flowTo("GET", "https://www.facebook.com/tr/", "Referer", "https://www.cedarclinic.com/"), nil); got {
		t.Error("visitor cookies made the page authenticated")
	}
	in.place(flowTo("GET", "https://www.cedarclinic.com/api/x", "Authorization", "Bearer x"), nil)
	if _, got := in.place(flowTo("GET", "https://www.facebook.com/tr/", "Referer", "https://www.cedarclinic.com/"), nil); !got {
		t.Error("an Authorization header did not make the page authenticated")
	}
	// Credentials sent to a third party do not make its origin a logged-in page.
	in.place(flowTo("GET", "https://www.facebook.com/tr/", "Cookie", "fr=1"), nil)
	if _, got := in.place(flowTo("GET", "https://x.example.net/", "Referer", "https://www.facebook.com/"), nil); got {
		t.Error("third-party origin remembered as authenticated")
	}
}

// A flow a signed-in crawl marks is authenticated whatever the inspector
// has seen of the site's credentials.
func TestPlaceFlowMarkedAuthenticated(t *testing.T) {
	in := placeOnlyInspector(t, []string{"cedarclinic.com"}, nil)
	f := flowTo("GET", "https://www.facebook.com/tr/", "Referer", "https://www.cedarclinic.com/appointments")
	if _, auth := in.place(f, nil); auth {
		t.Fatal("authenticated before any credentialed request or mark")
	}
	f.Authenticated = true
	if _, auth := in.place(f, nil); !auth {
		t.Fatal("a flow marked Authenticated was not placed as authenticated")
	}
}

func TestBoundedSetForgetsOldest(t *testing.T) {
	b := newBoundedSet(3)
	for i := 0; i < 5; i++ {
		b.add(fmt.Sprint(i))
	}
	if got := b.len(); got != 3 {
		t.Fatalf("len: got %d, want 3", got)
	}
	for i, want := range []bool{false, false, true, true, true} {
		if got := b.has(fmt.Sprint(i)); got != want {
			t.Errorf("has(%d): got %v, want %v", i, got, want)
		}
	}
	b.add("2") // already present: no eviction
	if !b.has("2") || !b.has("3") || !b.has("4") {
		t.Error("re-adding a member evicted another")
	}
}
