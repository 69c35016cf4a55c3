package compare

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/inventory"
	"github.com/phiproxy/phiproxy/store"
)

const (
	home  = "https://clinic.test/"
	about = "https://clinic.test/about"
)

// site is the inventory of a clinic's two pages: Intercom's widget (a
// script, a cookie on the site's domain, a storage key, a beacon) and
// Meta's pixel (a script and its /tr/ beacon carrying a phone number).
func site(runID int64, at time.Time) []inventory.Item {
	common := func(typ, vendor, cat, host, party string) inventory.Item {
		return inventory.Item{Type: typ, Vendor: vendor, VendorCategory: cat, Host: host, Party: party, Pages: []string{home, about}, FirstSeen: at, LastSeen: at.Add(time.Minute), RunID: runID}
	}
	with := func(it inventory.Item, f func(*inventory.Item)) inventory.Item { f(&it); return it }
	return []inventory.Item{
		with(common(inventory.TypeScript, "Intercom", "chat", "js.intercomcdn.com", "third"), func(it *inventory.Item) {
			it.Script = &inventory.Script{URL: "https://js.intercomcdn.com/loader.js?v=" + time.Duration(runID).String(), SHA256: strings.Repeat("a", 64), Size: 100}
		}),
		with(common(inventory.TypeCookie, "Intercom", "chat", "clinic.test", "first"), func(it *inventory.Item) {
			it.Cookie = &inventory.Cookie{Name: "intercom-id-ab12", Domain: "clinic.test", Path: "/", ValueBytes: int(runID), SetBy: "js"}
		}),
		with(common(inventory.TypeStorage, "Intercom", "chat", "clinic.test", "first"), func(it *inventory.Item) {
			it.Storage = &inventory.Storage{Origin: "https://clinic.test", Area: "local", Key: "intercom.user", ValueBytes: 40 + int(runID)}
		}),
		with(common(inventory.TypeEndpoint, "Intercom", "chat", "api-iam.intercom.io", "third"), func(it *inventory.Item) {
			it.Endpoint = &inventory.Endpoint{Method: "POST", PathTemplate: "/v1/users/{id}/events", Count: runID * 3, Keys: []string{"event"}}
		}),
		with(common(inventory.TypeScript, "Meta Pixel", "advertising", "connect.facebook.net", "third"), func(it *inventory.Item) {
			it.Script = &inventory.Script{URL: "https://connect.facebook.net/en_US/fbevents.js", SHA256: strings.Repeat("b", 64), Size: 2000}
		}),
		with(common(inventory.TypeEndpoint, "Meta Pixel", "advertising", "www.facebook.com", "third"), func(it *inventory.Item) {
			it.Endpoint = &inventory.Endpoint{Method: "GET", PathTemplate: "/tr/", Kinds: []string{"phone"}, MaxSeverity: phiproxy.Medium, Count: 2}
		}),
		with(common(inventory.TypeEndpoint, "clinic.test", "", "clinic.test", "first"), func(it *inventory.Item) {
			it.Endpoint = &inventory.Endpoint{Method: "GET", PathTemplate: "/", Count: runID}
		}),
	}
}

// changed is the site a week later: Intercom's loader has new bytes, a
// TikTok pixel script appeared, and Meta's beacon also carries the email.
func changed(runID int64, at time.Time) []inventory.Item {
	items := site(runID, at)
	for i := range items {
		it := &items[i]
		if it.Script != nil && strings.Contains(it.Script.URL, "loader.js") {
			it.Script.SHA256, it.Script.Size = strings.Repeat("c", 64), 130
		}
		if it.Endpoint != nil && it.Endpoint.PathTemplate == "/tr/" {
			it.Endpoint.Kinds = []string{"email", "phone"}
		}
	}
	return append(items, inventory.Item{Type: inventory.TypeScript, Vendor: "TikTok Pixel", VendorCategory: "advertising", Host: "analytics.tiktok.com", Party: "third",
		Pages: []string{home}, RunID: runID, Script: &inventory.Script{URL: "https://analytics.tiktok.com/i18n/pixel/events.js", SHA256: strings.Repeat("d", 64), Size: 500}})
}

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func kinds(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Change+" "+c.Vendor+" "+c.Item+" "+c.Kind)
	}
	return out
}

func TestDiffUnchangedSiteIsEmpty(t *testing.T) {
	// Different runs, times, counts, cookie and storage sizes, script
	// query: nothing a person would call a change.
	a, b := FromInventory(site(1, t0)), FromInventory(site(2, t0.Add(7*24*time.Hour)))
	if got := Diff(a, b); len(got) != 0 {
		t.Fatalf("diff of an unchanged site: got %v, want none", kinds(got))
	}
	ma, err := Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := Marshal(b)
	if !bytes.Equal(ma, mb) {
		t.Errorf("baselines of an unchanged site differ:\n%s\n---\n%s", ma, mb)
	}
}

func TestDiffChanges(t *testing.T) {
	a, b := FromInventory(site(1, t0)), FromInventory(changed(2, t0.Add(time.Hour)))
	got := Diff(a, b)
	want := []string{
		"phi_added Meta Pixel GET www.facebook.com/tr/ email",
		"vendor_added TikTok Pixel  ",
		"script_changed Intercom https://js.intercomcdn.com/loader.js ",
	}
	if !reflect.DeepEqual(kinds(got), want) {
		t.Fatalf("changes:\ngot  %q\nwant %q", kinds(got), want)
	}
	phi := got[0]
	if phi.Host != "www.facebook.com" || phi.Before != "medium" || phi.After != "medium" || phi.Party != "third" || !reflect.DeepEqual(phi.Pages, []string{home, about}) {
		t.Errorf("phi_added: got %+v", phi)
	}
	if got := phi.Describe(); got != "now receives email at GET www.facebook.com/tr/" {
		t.Errorf("phi_added described: got %q", got)
	}
	sc := got[2]
	if sc.Before != strings.Repeat("a", 64) || sc.After != strings.Repeat("c", 64) || sc.SizeChange != 30 || sc.Host != "js.intercomcdn.com" {
		t.Errorf("script_changed: got %+v", sc)
	}
	va := got[1]
	if va.After != "1 script, 0 cookies, 0 storage keys, 0 endpoints" || va.Host != "analytics.tiktok.com" || !reflect.DeepEqual(va.Pages, []string{home}) {
		t.Errorf("vendor_added: got %+v", va)
	}

	// Backwards, each change has its opposite; a changed script is more
	// serious than PHI no longer sent.
	back := Diff(b, a)
	wantBack := []string{
		"script_changed Intercom https://js.intercomcdn.com/loader.js ",
		"phi_removed Meta Pixel GET www.facebook.com/tr/ email",
		"vendor_removed TikTok Pixel  ",
	}
	if !reflect.DeepEqual(kinds(back), wantBack) {
		t.Fatalf("backwards:\ngot  %q\nwant %q", kinds(back), wantBack)
	}
}

func TestDiffItemsAndSeverity(t *testing.T) {
	before := site(1, t0)
	after := site(2, t0)
	var kept []inventory.Item
	for _, it := range after {
		switch {
		case it.Cookie != nil, it.Storage != nil:
			continue // removed
		case it.Endpoint != nil && it.Vendor == "Intercom":
			it.Endpoint = &inventory.Endpoint{Method: "POST", PathTemplate: "/v2/messages", Kinds: []string{"condition", "email"}, MaxSeverity: phiproxy.Critical}
		}
		kept = append(kept, it)
	}
	kept = append(kept,
		inventory.Item{Type: inventory.TypeCookie, Vendor: "Meta Pixel", Host: "clinic.test", Party: "first", Cookie: &inventory.Cookie{Name: "_fbp", Domain: "clinic.test", Path: "/"}},
		inventory.Item{Type: inventory.TypeStorage, Vendor: "Meta Pixel", Host: "clinic.test", Party: "first", Storage: &inventory.Storage{Origin: "https://clinic.test", Area: "session", Key: "fb.session"}},
	)
	got := Diff(FromInventory(before), FromInventory(kept))
	want := []string{
		"phi_added Intercom POST api-iam.intercom.io/v2/messages condition",
		"phi_added Intercom POST api-iam.intercom.io/v2/messages email",
		"severity_raised Intercom  ",
		"endpoint_added Intercom POST api-iam.intercom.io/v2/messages ",
		"endpoint_removed Intercom POST api-iam.intercom.io/v1/users/{id}/events ",
		"cookie_removed Intercom intercom-id-ab12 ",
		"storage_removed Intercom intercom.user ",
		"cookie_added Meta Pixel _fbp ",
		"storage_added Meta Pixel fb.session ",
	}
	if !reflect.DeepEqual(kinds(got), want) {
		t.Fatalf("changes:\ngot  %q\nwant %q", kinds(got), want)
	}
	for _, c := range got {
		if c.Change == SeverityRaised && (c.Before != "info" || c.After != "critical") {
			t.Errorf("severity_raised: got %s → %s, want info → critical", c.Before, c.After)
		}
		if c.Change == StorageAdded && (c.After != "sessionStorage of https://clinic.test" || c.Host != "clinic.test") {
			t.Errorf("storage_added: got %+v", c)
		}
	}
}

func TestFailing(t *testing.T) {
	cs := []Change{
		{Change: ScriptChanged, Vendor: "clinic.test", Party: "first"},
		{Change: ScriptChanged, Vendor: "Intercom", Party: "third"},
		{Change: CookieAdded, Vendor: "Meta Pixel", Party: "third"},
		{Change: VendorAdded, Vendor: "cdn.example", Party: "unknown"},
	}
	got := Failing(cs, DefaultFailOn)
	if len(got) != 2 || got[0].Vendor != "Intercom" || got[1].Vendor != "cdn.example" {
		t.Errorf("failing with the defaults: got %v, want Intercom's script and the unknown vendor", got)
	}
	if got := Failing(cs, []string{CookieAdded}); len(got) != 1 || got[0].Vendor != "Meta Pixel" {
		t.Errorf("failing on cookie_added: got %v", got)
	}
	if got := Failing(cs, nil); len(got) != 0 {
		t.Errorf("failing on nothing: got %v", got)
	}
	if _, err := ParseChangeTypes("vendor_added, script_changed"); err != nil {
		t.Errorf("parse: %v", err)
	}
	if _, err := ParseChangeTypes("vendor_added,script_moved"); err == nil || !strings.Contains(err.Error(), "script_moved") {
		t.Errorf("parse of an unknown type: got %v, want an error naming it", err)
	}
}

func TestBaselineRoundTrip(t *testing.T) {
	s := FromInventory(changed(3, t0))
	b, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, banned := range []string{"2026-", "run_id", "count", "value_bytes", "expires", "?v="} {
		if strings.Contains(string(b), banned) {
			t.Errorf("baseline holds %q, which varies between identical scans:\n%s", banned, b)
		}
	}
	if !strings.HasPrefix(string(b), "{\n  \"format\": 1,\n") || !strings.HasSuffix(string(b), "}\n") {
		t.Errorf("baseline is not pretty-printed with its format first:\n%s", b)
	}
	back, err := Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("round trip:\ngot  %+v\nwant %+v", back, s)
	}
	if d := Diff(back, s); len(d) != 0 {
		t.Errorf("diff of a snapshot and its baseline: %v", kinds(d))
	}
	again, _ := Marshal(back)
	if !bytes.Equal(again, b) {
		t.Errorf("re-encoding a read baseline changes its bytes")
	}
}

func TestReadRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"empty":          ``,
		"not json":       `vendors: []`,
		"other format":   `{"format": 2, "vendors": []}`,
		"no format":      `{"vendors": []}`,
		"unknown key":    `{"format": 1, "vendors": [], "run_id": 4}`,
		"two values":     `{"format": 1, "vendors": []} {}`,
		"nameless":       `{"format": 1, "vendors": [{"name": ""}]}`,
		"bad severity":   `{"format": 1, "vendors": [{"name": "x", "max_severity": "dire"}]}`,
		"wrong type":     `{"format": 1, "vendors": {}}`,
		"truncated file": `{"format": 1, "vendors": [{"name": "x"`,
	} {
		if _, err := Read(strings.NewReader(in)); err == nil {
			t.Errorf("%s: read without an error", name)
		}
	}
	s, err := Read(strings.NewReader(`{"format": 1, "vendors": [{"name": "b"}, {"name": "a", "endpoints": [{"method": "GET", "host": "h", "path_template": "/", "kinds": ["phone", "email"]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Vendors[0].Name != "a" || !reflect.DeepEqual(s.Vendors[0].Endpoints[0].Kinds, []string{"email", "phone"}) || s.Vendors[1].Scripts == nil {
		t.Errorf("a hand-written baseline is not normalised: %+v", s)
	}
}

// changeContract is README's table of `phiproxy diff --json` keys.
var changeContract = []string{"change", "vendor", "party", "host", "item", "kind", "before", "after", "size_change", "pages"}

func TestChangeJSONKeys(t *testing.T) {
	checkKeys(t, "change", Change{Change: VendorAdded}, changeContract)
}

// checkKeys checks that v's JSON object has exactly the keys of contract.
func checkKeys(t *testing.T, what string, v any, contract []string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var got []string
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	want := append([]string(nil), contract...)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s keys:\ngot  %v\nwant %v", what, got, want)
	}
}

func FuzzRead(f *testing.F) {
	b, _ := Marshal(FromInventory(changed(1, t0)))
	f.Add(b)
	f.Add([]byte(`{"format": 1, "vendors": [{"name": "x", "scripts": [{"url": "u", "versions": [{"sha256": "", "size": -1}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		// What reads, re-encodes to what reads the same.
		out, err := Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Read(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("re-read: %v\n%s", err, out)
		}
		if d := Diff(s, back); len(d) != 0 {
			t.Fatalf("a baseline differs from itself re-read: %v", kinds(d))
		}
	})
}

// exposureContract is README's table of `phiproxy exposure --json` keys.
var exposureContract = []string{"vendor", "host", "endpoint", "kind", "first_seen", "last_seen", "runs", "flows", "pages", "max_severity"}

func TestExposureJSONKeys(t *testing.T) {
	checkKeys(t, "exposure", Exposure{Pages: []string{}}, exposureContract)
}

// The README documents every change type and every key of both contracts.
func TestREADMEDocumentsComparison(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "## Comparing scans")
	if start < 0 {
		t.Fatal("README has no Comparing scans section")
	}
	section := doc[start:]
	if end := strings.Index(section[1:], "\n## "); end > 0 {
		section = section[:end+1]
	}
	for _, k := range append(append(append([]string{}, changeContract...), exposureContract...), ChangeTypes...) {
		if !strings.Contains(section, "`"+k+"`") {
			t.Errorf("README Comparing scans section does not document `%s`", k)
		}
	}
}

func TestExposures(t *testing.T) {
	row := func(flow, run int64, at time.Time, url, page, kind string, sev phiproxy.Severity) store.ExposureRow {
		return store.ExposureRow{FlowID: flow, RunID: run, Start: at, Method: "GET", URL: url, Host: hostOf(url), Page: page, Vendor: "Meta Pixel", Domain: "facebook.com", Party: "third", Kind: kind, Severity: sev}
	}
	day := 24 * time.Hour
	rows := []store.ExposureRow{
		// Out of time order, as rows of runs imported later would be.
		row(7, 3, t0.Add(20*day), "https://www.facebook.com/tr/?id=1&em=x", "https://clinic.test/book?step=2", "email", phiproxy.Medium),
		row(1, 1, t0, "https://www.facebook.com/tr/?id=1", "https://clinic.test/", "email", phiproxy.Critical),
		row(1, 1, t0, "https://www.facebook.com/tr/?id=1", "https://clinic.test/", "condition", phiproxy.High),
		row(4, 2, t0.Add(10*day), "https://www.facebook.com/tr/?id=2", "https://clinic.test/book", "email", phiproxy.Medium),
		row(5, 2, t0.Add(10*day), "https://api.chat.test/v1/users/8812/events", "", "email", phiproxy.Medium),
	}
	rows[4].Vendor, rows[4].Domain = "", "chat.test"
	got := Exposures(rows)
	if len(got) != 3 {
		t.Fatalf("exposures: got %+v, want email and condition at /tr/, email at chat.test", got)
	}
	e := got[0]
	if e.Vendor != "Meta Pixel" || e.Kind != "email" || e.Endpoint != "GET www.facebook.com/tr/" || !e.FirstSeen.Equal(t0) || !e.LastSeen.Equal(t0.Add(20*day)) ||
		e.Runs != 3 || e.Flows != 3 || e.MaxSeverity != phiproxy.Critical || !reflect.DeepEqual(e.Pages, []string{"https://clinic.test/", "https://clinic.test/book"}) {
		t.Errorf("email at /tr/: got %+v", e)
	}
	if got[1].Kind != "condition" || got[1].Runs != 1 || got[1].Flows != 1 {
		t.Errorf("condition at /tr/: got %+v", got[1])
	}
	if c := got[2]; c.Vendor != "chat.test" || c.Endpoint != "GET api.chat.test/v1/users/{id}/events" || len(c.Pages) != 0 || c.Pages == nil {
		t.Errorf("unknown vendor: got %+v", c)
	}
	if f := FilterExposures(got, "CHAT"); len(f) != 1 || f[0].Vendor != "chat.test" {
		t.Errorf("filter by vendor: got %+v", f)
	}
}

// A script loaded under several queries has one entry with each body; a
// sighting without bytes (a 304, a download cut short) changes nothing.
func TestScriptVersions(t *testing.T) {
	script := func(url, sum string, size int64) inventory.Item {
		return inventory.Item{Type: inventory.TypeScript, Vendor: "Google Tag Manager", Host: "www.googletagmanager.com", Party: "third", Pages: []string{home},
			Script: &inventory.Script{URL: url, SHA256: sum, Size: size}}
	}
	const gtm = "https://www.googletagmanager.com/gtag/js"
	a := FromInventory([]inventory.Item{script(gtm+"?id=G-1", "b1", 10), script(gtm+"?id=G-2", "a2", 20)})
	if v := a.Vendors[0].Scripts; len(v) != 1 || v[0].URL != gtm || !reflect.DeepEqual(v[0].Versions, []ScriptVersion{{"a2", 20}, {"b1", 10}}) {
		t.Fatalf("scripts: got %+v, want one URL with both bodies sorted by hash", v)
	}
	same := FromInventory([]inventory.Item{script(gtm+"?id=G-2", "a2", 20), script(gtm+"?id=G-1#x", "b1", 10)})
	if d := Diff(a, same); len(d) != 0 {
		t.Errorf("the same bodies in another order: got %v", kinds(d))
	}
	if d := Diff(a, FromInventory([]inventory.Item{script(gtm+"?id=G-1", "", 0)})); len(d) != 0 {
		t.Errorf("a sighting without bytes: got %v, want no change", kinds(d))
	}
	d := Diff(a, FromInventory([]inventory.Item{script(gtm+"?id=G-1", "b1", 10), script(gtm+"?id=G-2", "c3", 25)}))
	if len(d) != 1 || d[0].Change != ScriptChanged || d[0].Before != "a2,b1" || d[0].After != "b1,c3" || d[0].SizeChange != 5 {
		t.Errorf("one body of two changed: got %+v", d)
	}
}

// Pages are kept as templates: no record number reaches a baseline, and a
// page reached under another ID is the same page.
func TestPagesAreTemplates(t *testing.T) {
	item := func(page string) inventory.Item {
		return inventory.Item{Type: inventory.TypeCookie, Vendor: "Intercom", Host: "portal.clinic.test", Party: "first", Pages: []string{page},
			Cookie: &inventory.Cookie{Name: "intercom-id", Domain: "portal.clinic.test", Path: "/"}}
	}
	a := FromInventory([]inventory.Item{item("https://portal.clinic.test/patients/8812/visits/2026-11-30")})
	b := FromInventory([]inventory.Item{item("https://portal.clinic.test/patients/9031/visits/2026-12-04")})
	if got := a.Vendors[0].Cookies[0].Pages; !reflect.DeepEqual(got, []string{"https://portal.clinic.test/patients/{id}/visits/{id}"}) {
		t.Errorf("pages: got %v", got)
	}
	ma, _ := Marshal(a)
	mb, _ := Marshal(b)
	if !bytes.Equal(ma, mb) || bytes.Contains(ma, []byte("8812")) {
		t.Errorf("baselines of the same pages under other IDs:\n%s\n%s", ma, mb)
	}
}
