package inventory

import (
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

// contractKeys is the JSON form of an item, per type: the keys users'
// tools read (README "Inventory"). Changing it breaks them.
var contractKeys = map[string][]string{
	"common":     {"type", "vendor", "vendor_category", "host", "party", "baa", "pages", "first_seen", "last_seen", "run_id"},
	TypeScript:   {"url", "sha256", "size", "initiator"},
	TypeCookie:   {"name", "domain", "path", "expires_days", "secure", "http_only", "same_site", "partitioned", "set_by", "third_party", "value_bytes"},
	TypeStorage:  {"origin", "area", "key", "value_bytes"},
	TypeEndpoint: {"method", "path_template", "keys", "kinds", "max_severity", "count", "cookies", "initiator"},
	TypeRecorder: {"recorder", "inputs_masked", "inputs_unmasked", "text_masked", "text_unmasked", "elements_blocked", "typing_captured", "unmasked"},
}

func TestItemJSONKeys(t *testing.T) {
	for _, it := range []Item{
		{Type: TypeScript, Script: &Script{}},
		{Type: TypeCookie, Cookie: &Cookie{}},
		{Type: TypeStorage, Storage: &Storage{}},
		{Type: TypeEndpoint, Endpoint: &Endpoint{}},
		{Type: TypeRecorder, Recorder: &Recorder{}},
	} {
		b, err := json.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: invalid JSON %s: %v", it.Type, b, err)
		}
		var got []string
		for k := range m {
			got = append(got, k)
		}
		want := append(append([]string{}, contractKeys["common"]...), contractKeys[it.Type]...)
		sort.Strings(got)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s keys:\ngot  %v\nwant %v", it.Type, got, want)
		}
		// Arrays are arrays, never null; a session cookie's lifetime is null.
		if it.Type == TypeEndpoint {
			for _, k := range []string{"keys", "kinds", "cookies"} {
				if _, ok := m[k].([]any); !ok {
					t.Errorf("endpoint %s: got %v, want an array", k, m[k])
				}
			}
		}
		if it.Type == TypeCookie && m["expires_days"] != nil {
			t.Errorf("session cookie expires_days: got %v, want null", m["expires_days"])
		}
		if _, ok := m["pages"].([]any); !ok {
			t.Errorf("%s pages: got %v, want an array", it.Type, m["pages"])
		}
	}
}

// place is a stand-in for the classifier's: clinic.test is the site,
// intercom.test a known vendor.
func place(host, page string) phiproxy.Destination {
	host = strings.ToLower(host)
	d := phiproxy.Destination{Host: host, Domain: host, Party: phiproxy.ThirdParty}
	if strings.HasSuffix(host, "clinic.test") {
		d.Domain, d.Party = "clinic.test", phiproxy.FirstParty
	}
	if strings.HasSuffix(host, "intercom.test") {
		d.Domain, d.Vendor, d.Category = "intercom.test", "Intercom", "chat"
	}
	return d
}

func TestAggregatedFactsBuildTheInventory(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	page := "https://www.clinic.test/book?slot=3"
	pageKey := "https://www.clinic.test/book"
	agg := &Aggregator{RunID: 7, Extractor: Extractor{Place: place}}
	widget := "https://js.intercom.test/widget.js"
	pixel := "https://js.intercom.test/pixel.js"
	script := &phiproxy.Flow{Start: t0, Page: page,
		Request:  phiproxy.Request{Method: "GET", URL: widget + "#x"},
		Response: &phiproxy.Response{Status: 200, BodySize: 1234, SHA256: "aa11", Header: http.Header{"Set-Cookie": {"vid=abc123; Domain=.intercom.test; Max-Age=86400; Secure; HttpOnly; SameSite=None; Partitioned"}}},
	}
	agg.Observe(script, &phiproxy.Inspection{Destination: place("js.intercom.test", page)})
	for i, id := range []string{"8812", "9001"} {
		beacon := &phiproxy.Flow{Start: t0.Add(time.Duration(i+1) * time.Second), Page: page,
			Request: phiproxy.Request{Method: "POST", URL: "https://api.intercom.test/v1/users/" + id + "/events?e=1",
				Header: http.Header{"Cookie": {"vid=abc123; ajs=1"}}},
		}
		in := &phiproxy.Inspection{Destination: place("api.intercom.test", page), Keys: []string{"e", "email"}, Severity: phiproxy.Severity(i + 2)}
		if i == 1 {
			in.Keys = []string{"name"}
			in.Findings = []phiproxy.Finding{{Kind: phiproxy.KindEmail}}
		}
		agg.Observe(beacon, in)
	}
	browser := &phiproxy.Flow{Start: t0.Add(time.Minute), Page: page, Source: "crawl",
		Request: phiproxy.Request{Method: "STORAGE", URL: "https://www.clinic.test/"},
		Browser: &phiproxy.BrowserState{
			Cookies: []phiproxy.BrowserCookie{
				{Name: "vid", Value: "abc123", Domain: ".intercom.test", Path: "/", Expires: t0.Add(time.Minute + 24*time.Hour), Secure: true, HTTPOnly: true, SameSite: "None", Partitioned: true},
				{Name: "ic_user", Value: "jane@example.com", Domain: "www.clinic.test", Path: "/"},
			},
			Storage: []phiproxy.StorageItem{{Origin: "https://www.clinic.test", Area: phiproxy.StorageLocal, Key: "intercom.user", Value: "jane@example.com"}},
			Initiators: []phiproxy.Initiator{
				{URL: widget, Script: page},
				{URL: pixel, Script: widget},
				{URL: "https://api.intercom.test/v1/users/77/events", Script: pixel},
			},
		},
	}
	agg.Observe(browser, &phiproxy.Inspection{Destination: place("www.clinic.test", page)})

	rows := agg.Drain()
	if again := agg.Drain(); len(again) != 0 {
		t.Fatalf("a second Drain with nothing new: got %d rows, want 0", len(again))
	}
	items := Build(rows, Filter{})
	byName := map[string]Item{}
	for _, it := range items {
		byName[it.Type+" "+it.Name()] = it
		if it.RunID != 7 || !reflect.DeepEqual(it.Pages, []string{pageKey}) {
			t.Errorf("%s %s: run %d pages %v; want run 7 pages [%s]", it.Type, it.Name(), it.RunID, it.Pages, pageKey)
		}
	}
	if len(items) != 5 {
		t.Fatalf("got %d items, want 5 (script, 2 cookies, storage, endpoint): %+v", len(items), items)
	}
	s := byName["script "+widget]
	if s.Script == nil || s.Script.SHA256 != "aa11" || s.Script.Size != 1234 || s.Script.Initiator != page || s.Vendor != "Intercom" {
		t.Errorf("script: got %+v %+v", s, s.Script)
	}
	vid := byName["cookie vid"]
	if c := vid.Cookie; c == nil || c.SetBy != SetByHTTP || c.Domain != "intercom.test" || !c.ThirdParty || !c.Partitioned || c.ExpiresDays == nil || *c.ExpiresDays != 1 || c.SameSite != "None" || c.ValueBytes != 6 {
		t.Errorf("vid cookie: got %+v", vid.Cookie)
	}
	ic := byName["cookie ic_user"]
	if c := ic.Cookie; c == nil || c.SetBy != SetByJS || c.ThirdParty || c.ExpiresDays != nil || ic.Party != "first" || ic.Vendor != "clinic.test" {
		t.Errorf("ic_user cookie: got %+v %+v", ic, ic.Cookie)
	}
	st := byName["storage intercom.user"]
	if st.Storage == nil || st.Storage.ValueBytes != len("jane@example.com") || st.Storage.Area != "local" || st.Storage.Origin != "https://www.clinic.test" {
		t.Errorf("storage: got %+v", st.Storage)
	}
	ep := byName["endpoint POST api.intercom.test/v1/users/{id}/events"]
	want := &Endpoint{Method: "POST", PathTemplate: "/v1/users/{id}/events", Keys: []string{"e", "email", "name"}, Kinds: []string{"email"},
		MaxSeverity: phiproxy.Severity(3), Count: 2, Cookies: []string{"ajs", "vid"}, Initiator: pixel}
	if !reflect.DeepEqual(ep.Endpoint, want) {
		t.Errorf("endpoint:\ngot  %+v\nwant %+v", ep.Endpoint, want)
	}
	if !ep.FirstSeen.Equal(t0.Add(time.Second)) || !ep.LastSeen.Equal(t0.Add(2*time.Second)) {
		t.Errorf("endpoint seen %v..%v, want %v..%v", ep.FirstSeen, ep.LastSeen, t0.Add(time.Second), t0.Add(2*time.Second))
	}

	if got := Build(rows, Filter{Vendor: "interCOM"}); len(got) != 3 {
		t.Errorf("--vendor intercom: got %d items, want 3", len(got))
	}
	if got := Build(rows, Filter{Site: "other.test"}); len(got) != 0 {
		t.Errorf("--site other.test: got %d items, want 0", len(got))
	}
	if got := Build(rows, Filter{Site: "clinic.test"}); len(got) != 5 {
		t.Errorf("--site clinic.test: got %d items, want 5", len(got))
	}
	vs := ByVendor(items)
	if len(vs) != 2 || vs[0].Name != "Intercom" || vs[0].Scripts != 1 || vs[0].Cookies != 1 || vs[0].Endpoints != 1 || vs[1].Name != "clinic.test" || vs[1].Storage != 1 {
		t.Errorf("by vendor: got %+v", vs)
	}
}

func TestAggregatorIsBounded(t *testing.T) {
	agg := &Aggregator{MaxItems: 3, Extractor: Extractor{Place: place}}
	for i := 0; i < 10; i++ {
		f := &phiproxy.Flow{Page: "https://clinic.test/", Request: phiproxy.Request{Method: "GET", URL: "https://x.test/p" + string(rune('a'+i))}}
		agg.Observe(f, &phiproxy.Inspection{})
	}
	if rows := agg.Drain(); len(rows) != 3 {
		t.Errorf("rows: got %d, want 3", len(rows))
	}
	if agg.Dropped() != 7 {
		t.Errorf("dropped: got %d, want 7", agg.Dropped())
	}
}

// The README documents every key of the contract.
func TestREADMEDocumentsItemKeys(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "## Inventory")
	if start < 0 {
		t.Fatal("README has no Inventory section")
	}
	end := strings.Index(doc[start+1:], "\n## ")
	section := doc[start:]
	if end > 0 {
		section = doc[start : start+1+end]
	}
	for typ, keys := range contractKeys {
		for _, k := range keys {
			if !strings.Contains(section, "`"+k+"`") {
				t.Errorf("README Inventory section does not document the %s key `%s`", typ, k)
			}
		}
	}
}

func TestUnionLeavesItsInputsAlone(t *testing.T) {
	a := []string{"b", "d"}
	b := []string{"d", "a", "c"}
	got := union(a, b)
	if !reflect.DeepEqual(got, []string{"a", "b", "c", "d"}) || !reflect.DeepEqual(a, []string{"b", "d"}) || !reflect.DeepEqual(b, []string{"d", "a", "c"}) {
		t.Errorf("union: got %v (a %v, b %v)", got, a, b)
	}
	if same := union(a, []string{"d"}); &same[0] != &a[0] {
		t.Errorf("union with nothing new should return a itself")
	}
	if n := testing.AllocsPerRun(100, func() { union(a, []string{"b"}) }); n != 0 {
		t.Errorf("union with nothing new allocates %v times", n)
	}
}

// A script revalidated with 304 on a later page is still the page's
// script, and keeps the hash of the bytes seen before.
func TestRevalidatedScriptKeepsItsHash(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	agg := &Aggregator{RunID: 1, Extractor: Extractor{Place: place}}
	u := "https://js.intercom.test/widget.js"
	in := &phiproxy.Inspection{Destination: place("js.intercom.test", "")}
	agg.Observe(&phiproxy.Flow{Start: t0, Page: "https://clinic.test/a", Request: phiproxy.Request{Method: "GET", URL: u},
		Response: &phiproxy.Response{Status: 200, BodySize: 10, SHA256: "abcd"}}, in)
	rows := agg.Drain()
	agg.Observe(&phiproxy.Flow{Start: t0.Add(time.Minute), Page: "https://clinic.test/a", Request: phiproxy.Request{Method: "GET", URL: u},
		Response: &phiproxy.Response{Status: 304}}, in)
	agg.Observe(&phiproxy.Flow{Start: t0.Add(2 * time.Minute), Page: "https://clinic.test/b", Request: phiproxy.Request{Method: "GET", URL: u + "?v=1",
		Header: http.Header{"Sec-Fetch-Dest": {"script"}}}, Response: &phiproxy.Response{Status: 304}}, in)
	agg.Observe(&phiproxy.Flow{Start: t0.Add(3 * time.Minute), Page: "https://clinic.test/b", Request: phiproxy.Request{Method: "GET", URL: u},
		Response: &phiproxy.Response{Status: 304}}, in)
	rows = append(rows, agg.Drain()...)
	// Rows come in any order.
	rows[0], rows[len(rows)-1] = rows[len(rows)-1], rows[0]
	items := Build(rows, Filter{})
	var scripts []Item
	for _, it := range items {
		if it.Endpoint != nil {
			t.Errorf("a revalidated script became an endpoint: %+v", it.Endpoint)
		}
		if it.Script != nil && it.Script.URL == u {
			scripts = append(scripts, it)
		}
	}
	if len(scripts) != 1 || scripts[0].Script.SHA256 != "abcd" || len(scripts[0].Pages) != 2 {
		t.Fatalf("got %+v, want widget.js with sha256 abcd on pages a and b", scripts)
	}
}

// Rows a database holds are input like any other: unreadable ones are
// left out, never a crash.
func TestBuildSurvivesBadRows(t *testing.T) {
	rows := []store.InventoryRow{
		{Type: TypeScript, Item: "x", Attrs: []byte("{")},
		{Type: TypeCookie, Item: "no-separator", Attrs: []byte(`{"name":"a"}`)},
		{Type: typeInitiator, Item: "u", Attrs: []byte("[]")},
		{Type: "mystery", Item: "m", Attrs: []byte(`{}`)},
		{Type: TypeEndpoint, Item: "GET h/", Attrs: []byte(`{"method":"GET","path_template":"/","keys":null}`), Count: 2},
	}
	items := Build(rows, Filter{Site: "x", Vendor: ""})
	if len(items) != 0 {
		t.Errorf("with a site filter and no pages: got %d items, want 0", len(items))
	}
	items = Build(rows, Filter{})
	if len(items) != 2 {
		t.Errorf("got %d items (%+v), want the cookie and the endpoint", len(items), items)
	}
	for _, it := range items {
		if _, err := json.Marshal(it); err != nil {
			t.Errorf("marshal %+v: %v", it, err)
		}
	}
}

// TestRecordersPerPageWithMasking: session recorders are listed per page
// with what they masked, summed over the recordings of the run.
func TestRecordersPerPageWithMasking(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	agg := &Aggregator{RunID: 3, Extractor: Extractor{Place: place}}
	segment := func(at time.Duration, page string, rec phiproxy.Recording) {
		rec.Vendor, rec.Page = "Sentry Replay", page
		agg.Observe(&phiproxy.Flow{Start: t0.Add(at), Page: page, Request: phiproxy.Request{Method: "POST", URL: "https://o1.ingest.sentry.test/api/2/envelope/"}},
			&phiproxy.Inspection{Destination: place("o1.ingest.sentry.test", page), Recordings: []phiproxy.Recording{rec}})
	}
	// /book: two segments, the second with typed, unmasked input.
	segment(0, "https://www.clinic.test/book", phiproxy.Recording{TextMasked: 4})
	segment(time.Second, "https://www.clinic.test/book", phiproxy.Recording{InputsUnmasked: 3, Typing: true})
	// /portal: everything masked.
	segment(2*time.Second, "https://www.clinic.test/portal", phiproxy.Recording{InputsMasked: 2, TextMasked: 9, Blocked: 1})

	items := Build(agg.Drain(), Filter{})
	byPage := map[string]*Recorder{}
	for _, it := range items {
		if it.Type != TypeRecorder {
			continue
		}
		if it.Recorder == nil || len(it.Pages) != 1 {
			t.Fatalf("recorder item %+v: want one page and its masking", it)
		}
		byPage[it.Pages[0]] = it.Recorder
	}
	book, portal := byPage["https://www.clinic.test/book"], byPage["https://www.clinic.test/portal"]
	if book == nil || portal == nil {
		t.Fatalf("recorders by page: got %v, want /book and /portal", byPage)
	}
	if !book.Unmasked || book.InputsUnmasked != 3 || book.TextMasked != 4 || !book.Typing || book.Recorder != "Sentry Replay" {
		t.Errorf("/book recorder: got %+v, want Sentry Replay, 3 unmasked inputs, 4 masked text nodes, typing", *book)
	}
	if got, want := book.Describe(), "records unmasked input (3 fields); typing captured keystroke by keystroke"; got != want {
		t.Errorf("/book: got %q, want %q", got, want)
	}
	if portal.Unmasked || portal.Describe() != "inputs and text masked; 1 elements blocked" {
		t.Errorf("/portal recorder: got %+v (%q), want masked", *portal, portal.Describe())
	}
}
