package classify

import (
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify/persona"
)

func TestPlaceHostLearnsNothing(t *testing.T) {
	in, err := New(Options{BAA: []string{"Intercom"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		host, page string
		party      phiproxy.Party
		vendor     string
		baa        bool
	}{
		{"js.intercomcdn.com", "https://www.clinic.test/book", phiproxy.ThirdParty, "Intercom", true},
		{".clinic.test", "https://www.clinic.test/book", phiproxy.FirstParty, "", false},
		{"cdn.other.test", "https://www.clinic.test/", phiproxy.ThirdParty, "", false},
		{"cdn.other.test", "", phiproxy.UnknownParty, "", false},
		{"www.googletagmanager.com", "", phiproxy.ThirdParty, "Google Tag Manager", false},
	} {
		d := in.PlaceHost(tt.host, tt.page)
		if d.Party != tt.party || d.Vendor != tt.vendor || d.BAA != tt.baa {
			t.Errorf("PlaceHost(%q, %q): got %+v, want party %s vendor %q baa %v", tt.host, tt.page, d, tt.party, tt.vendor, tt.baa)
		}
	}
	if in.learnedSites.len() != 0 {
		t.Errorf("PlaceHost learned %d sites, want none", in.learnedSites.len())
	}
}

// Storage and cookie values a crawl read are classified under their own
// paths; payload keys leave headers and cookies out.
func TestBrowserStateIsClassified(t *testing.T) {
	p, err := persona.Read(strings.NewReader(`{"email": "jordan.whitfield@example.com"}`))
	if err != nil {
		t.Fatal(err)
	}
	in, err := New(Options{Persona: p})
	if err != nil {
		t.Fatal(err)
	}
	f := &phiproxy.Flow{Page: "https://clinic.test/", Request: phiproxy.Request{Method: "STORAGE", URL: "https://clinic.test/"},
		Browser: &phiproxy.BrowserState{
			Storage: []phiproxy.StorageItem{{Origin: "https://clinic.test", Area: phiproxy.StorageSession, Key: "widget", Value: `{"user":{"email":"jordan.whitfield@example.com"}}`}},
			Cookies: []phiproxy.BrowserCookie{{Name: "ic_email", Value: "jordan.whitfield%40example.com", Domain: "clinic.test"}},
		}}
	got := in.Inspect(f)
	var storage, cookie bool
	for _, fd := range got.Findings {
		if fd.Kind != phiproxy.KindEmail {
			continue
		}
		storage = storage || strings.HasPrefix(fd.Path, "storage:sessionStorage[widget] > ")
		cookie = cookie || strings.HasPrefix(fd.Path, "cookie:ic_email")
	}
	if !storage || !cookie {
		t.Errorf("findings: storage %v cookie %v; got %+v", storage, cookie, got.Findings)
	}
	if len(got.Keys) != 0 {
		t.Errorf("a browser reading has no payload keys; got %v", got.Keys)
	}
}

func TestVendorOfKey(t *testing.T) {
	for name, want := range map[string]string{
		"_ga": "Google Analytics", "_ga_ABC123": "Google Analytics", "_gcl_au": "Google Ads", "intercom-id-x1y2": "Intercom",
		"intercom.user": "Intercom", "ajs_anonymous_id": "Segment", "_hjSessionUser_123": "Hotjar", "OptanonConsent": "OneTrust",
		"session": "", "ga": "", "mp": "",
	} {
		got, _, ok := VendorOfKey(name)
		if got != want || ok != (want != "") {
			t.Errorf("VendorOfKey(%q): got %q %v, want %q", name, got, ok, want)
		}
	}
}
