package classify

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

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

// payloadKeys lists distinct payload keys, sorted; past MaxKeys distinct
// keys it keeps the first MaxKeys in the order they appear.
func TestPayloadKeys(t *testing.T) {
	field := func(chain, key string) phiproxy.Field {
		return phiproxy.Field{Chain: []string{chain}, Key: key, Value: "v"}
	}
	fields := []phiproxy.Field{
		field("header:User-Agent", "User-Agent"), field("url:host", "host"),
		field("json:$.event", "event"), field("query:ev", "ev"), field("json:$.event", "event"),
		field("cookie:sid", "sid"), field("form:app_id", "app_id"),
	}
	if got, want := payloadKeys(fields), []string{"app_id", "ev", "event"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	var many []phiproxy.Field
	for i := 99; i >= 0; i-- { // k99 first: the kept keys are k36..k99
		many = append(many, field("json:$.k", "k"+strconv.Itoa(i)), field("json:$.a", "a"))
	}
	got := payloadKeys(many)
	if len(got) != phiproxy.MaxKeys {
		t.Fatalf("%d keys, want %d", len(got), phiproxy.MaxKeys)
	}
	// "a" appears second; k99 down to k38 fill the rest.
	want := []string{"a"}
	for i := 99; i > 99-(phiproxy.MaxKeys-1); i-- {
		want = append(want, "k"+strconv.Itoa(i))
	}
	slices.Sort(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q,\nwant %q", got, want)
	}
}

// TestKeySetsSameAsPayloadKeys: remembered key lists are payloadKeys' own,
// whether a payload's keys are new, seen before, or seen in another
// order or with one more key; the lists remembered share no memory with
// the payload, and a flood of different payloads (every slot taken over
// and over) changes nothing.
func TestKeySetsSameAsPayloadKeys(t *testing.T) {
	c := newKeySets()
	rng := rand.New(rand.NewPCG(5, 8))
	chains := []string{"query:", "json:$.", "form:", "header:", "cookie:", "url:"}
	names := []string{"id", "ev", "dl", "rl", "ts", "sid", "cd[x]", "ud[em]", "event", "page", "app_id", "k", ""}
	payload := func() []phiproxy.Field {
		var fs []phiproxy.Field
		for range rng.IntN(80) {
			key := names[rng.IntN(len(names))] + strconv.Itoa(rng.IntN(3))
			ch := chains[rng.IntN(len(chains))]
			body := "prefix|" + key + "|suffix" // keys inside a larger string, as in a body
			fs = append(fs, phiproxy.Field{Chain: []string{ch + key}, Key: body[7 : 7+len(key)], Value: "v"})
		}
		return fs
	}
	var recent [][]phiproxy.Field
	for i := range 5000 {
		var fs []phiproxy.Field
		switch {
		case len(recent) > 0 && i%3 == 0: // a payload seen before
			fs = recent[rng.IntN(len(recent))]
		case len(recent) > 0 && i%3 == 1: // seen before, reordered or grown
			prev := recent[rng.IntN(len(recent))]
			more := payload()
			fs = append(slices.Clone(prev), more[:min(1, len(more))]...)
			rng.Shuffle(len(fs), func(a, b int) { fs[a], fs[b] = fs[b], fs[a] })
		default:
			fs = payload()
		}
		recent = append(recent, fs)
		if len(recent) > 50 {
			recent = recent[1:]
		}
		got, want := c.payloadKeys(fs), payloadKeys(fs)
		if !slices.Equal(got, want) {
			t.Fatalf("payload %d: remembered %q, payloadKeys %q", i, got, want)
		}
		for _, k := range got {
			for _, f := range fs {
				if len(k) > 0 && unsafe.StringData(k) == unsafe.StringData(f.Key) {
					t.Fatalf("payload %d: key %q shares the payload's bytes", i, k)
				}
			}
		}
	}
}
