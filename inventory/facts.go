package inventory

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

// Fact is one sighting of an item on a page.
type Fact struct {
	Page string
	Type string
	// Key is the item's identity within its type and page.
	Key   string
	Dest  phiproxy.Destination
	At    time.Time
	Attrs any // *Script, *Cookie, *Storage, *Endpoint, *Recorder or *initiator
}

// initiator is a request and the script that caused it.
type initiator struct {
	URL    string `json:"url"`
	Script string `json:"script"`
}

// Extractor takes the inventory facts out of an inspected flow.
type Extractor struct {
	// Place says where a host belongs as seen from a page (vendor, party,
	// BAA): for cookie domains and storage origins, which are not the
	// flow's own destination. Required.
	Place func(host, page string) phiproxy.Destination
	// PlaceKey, if set, is Place for a cookie or storage entry of this
	// name, which may name the vendor that wrote it on the site's domain.
	PlaceKey func(host, page, name string) phiproxy.Destination
}

func (x Extractor) placeKey(host, page, name string) phiproxy.Destination {
	if x.PlaceKey != nil {
		return x.PlaceKey(host, page, name)
	}
	return x.Place(host, page)
}

// Facts lists what f shows: a script, an endpoint, the cookies its
// response set, or, for a reading of the browser, its cookies, storage
// entries and request initiators. in is f's inspection.
func (x Extractor) Facts(f *phiproxy.Flow, in *phiproxy.Inspection) []Fact {
	if f == nil {
		return nil
	}
	page := PageOf(f)
	if f.Browser != nil {
		return x.browserFacts(f, page)
	}
	var out []Fact
	dest := in.Destination
	if dest.Host == "" {
		dest.Host = f.Request.URLHost()
	}
	u, _ := url.Parse(f.Request.URL)
	if r := f.Response; r != nil && r.SHA256 != "" {
		su := withoutFragment(f.Request.URL)
		out = append(out, Fact{Page: page, Type: TypeScript, Key: su, Dest: dest, At: f.Start,
			Attrs: &Script{URL: su, SHA256: r.SHA256, Size: r.BodySize}})
	} else if isScriptRequest(f) {
		// A script the browser revalidated (304) or did not read to the
		// end: it was on the page, its bytes are those of an earlier
		// sighting.
		su := withoutFragment(f.Request.URL)
		out = append(out, Fact{Page: page, Type: TypeScript, Key: su, Dest: dest, At: f.Start, Attrs: &Script{URL: su}})
	} else {
		path := "/"
		if u != nil {
			path = PathTemplate(u.EscapedPath())
		}
		e := &Endpoint{Method: f.Request.Method, PathTemplate: path, Keys: in.Keys, MaxSeverity: in.Severity, Count: 1}
		for _, fd := range in.Findings {
			e.Kinds = addSorted(e.Kinds, string(fd.Kind), maxSetSize)
		}
		if dest.Party == phiproxy.ThirdParty {
			for _, c := range cookieNames(f.Request.Header) {
				e.Cookies = addSorted(e.Cookies, c, maxSetSize)
			}
		}
		out = append(out, Fact{Page: page, Type: TypeEndpoint, Key: e.Method + " " + dest.Host + path, Dest: dest, At: f.Start, Attrs: e})
	}
	for _, rec := range in.Recordings {
		on := page
		if rec.Page != "" {
			on = withoutFragment(rec.Page)
		}
		r := &Recorder{Recorder: rec.Vendor}
		r.add(&Recorder{InputsMasked: rec.InputsMasked, InputsUnmasked: rec.InputsUnmasked, TextMasked: rec.TextMasked,
			TextUnmasked: rec.TextUnmasked, Blocked: rec.Blocked, Typing: rec.Typing})
		// One item per page: what a recorder masks is a property of the
		// page's markup and the recorder's settings there.
		out = append(out, Fact{Page: on, Type: TypeRecorder, Key: rec.Vendor + " " + dest.Host + " " + on, Dest: dest, At: f.Start, Attrs: r})
	}
	if r := f.Response; r != nil {
		for _, line := range r.Header.Values("Set-Cookie") {
			c, err := http.ParseSetCookie(line)
			if err != nil {
				continue
			}
			out = append(out, x.setCookieFact(f, page, dest, c))
		}
	}
	return out
}

// setCookieFact describes a Set-Cookie of f's response.
func (x Extractor) setCookieFact(f *phiproxy.Flow, page string, dest phiproxy.Destination, c *http.Cookie) Fact {
	domain := strings.Trim(strings.ToLower(c.Domain), ".")
	if domain == "" {
		domain = dest.Host // host-only
	}
	cd := x.placeKey(domain, page, c.Name)
	path := c.Path
	if path == "" || !strings.HasPrefix(path, "/") {
		path = defaultCookiePath(f.Request.URL)
	}
	var days *float64
	switch {
	case c.MaxAge > 0:
		days = roundDays(time.Duration(c.MaxAge) * time.Second)
	case c.MaxAge < 0:
		days = roundDays(0) // deleted
	case !c.Expires.IsZero():
		days = roundDays(max(0, c.Expires.Sub(f.Start)))
	}
	ck := &Cookie{
		Name: c.Name, Domain: domain, Path: path, ExpiresDays: days, Secure: c.Secure, HTTPOnly: c.HttpOnly,
		SameSite: sameSiteName(c.SameSite), Partitioned: c.Partitioned, SetBy: SetByHTTP,
		ThirdParty: cd.Party == phiproxy.ThirdParty, ValueBytes: len(c.Value),
	}
	return Fact{Page: page, Type: TypeCookie, Key: cookieKey(ck.Name, ck.Domain, ck.Path) + "|" + SetByHTTP, Dest: cd, At: f.Start, Attrs: ck}
}

// browserFacts lists the cookies, storage entries and initiators a crawl
// read from the browser after page.
func (x Extractor) browserFacts(f *phiproxy.Flow, page string) []Fact {
	b := f.Browser
	out := make([]Fact, 0, len(b.Cookies)+len(b.Storage)+len(b.Initiators))
	for _, c := range b.Cookies {
		domain := strings.Trim(strings.ToLower(c.Domain), ".")
		d := x.placeKey(domain, page, c.Name)
		var days *float64
		if !c.Expires.IsZero() {
			days = roundDays(max(0, c.Expires.Sub(f.Start)))
		}
		path := c.Path
		if path == "" {
			path = "/"
		}
		// Who set it is decided by Build, which sees the run's Set-Cookie
		// headers; until then it is the browser's report.
		ck := &Cookie{
			Name: c.Name, Domain: domain, Path: path, ExpiresDays: days, Secure: c.Secure, HTTPOnly: c.HTTPOnly,
			SameSite: c.SameSite, Partitioned: c.Partitioned, SetBy: SetByJS,
			ThirdParty: d.Party == phiproxy.ThirdParty, ValueBytes: len(c.Value),
		}
		out = append(out, Fact{Page: page, Type: TypeCookie, Key: cookieKey(ck.Name, ck.Domain, ck.Path) + "|browser", Dest: d, At: f.Start, Attrs: ck})
	}
	for _, s := range b.Storage {
		d := x.placeKey(hostOfURL(s.Origin), page, s.Key)
		st := &Storage{Origin: s.Origin, Area: s.Area, Key: s.Key, ValueBytes: max(s.Size, len(s.Value))}
		out = append(out, Fact{Page: page, Type: TypeStorage, Key: s.Origin + "|" + s.Area + "|" + s.Key, Dest: d, At: f.Start, Attrs: st})
	}
	for _, in := range b.Initiators {
		if in.URL == "" || in.Script == "" {
			continue
		}
		u := withoutFragment(in.URL)
		d := x.Place(hostOfURL(u), page)
		out = append(out, Fact{Page: page, Type: typeInitiator, Key: u, Dest: d, At: f.Start, Attrs: &initiator{URL: u, Script: withoutFragment(in.Script)}})
	}
	return out
}

// isScriptRequest reports a request for a script whose response carried
// no hash: the browser says it wants a script (Sec-Fetch-Dest), or a .js
// or .mjs answered 304 Not Modified.
func isScriptRequest(f *phiproxy.Flow) bool {
	if f.Request.Header != nil && strings.EqualFold(f.Request.Header.Get("Sec-Fetch-Dest"), "script") {
		return true
	}
	if f.Response == nil || f.Response.Status != 304 {
		return false
	}
	p := strings.ToLower(withoutFragment(f.Request.URL))
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".mjs")
}

// PageOf is the top-level page of a flow without its query and fragment
// (the page a crawl was on, else the Referer), so that one page with many
// query strings stays one page.
func PageOf(f *phiproxy.Flow) string {
	p := f.Page
	if p == "" && f.Request.Header != nil {
		p = f.Request.Header.Get("Referer")
	}
	return PageURL(p)
}

// PageURL is a page URL as the inventory names pages: without query,
// fragment and user info; "" when it is not an absolute URL.
func PageURL(p string) string {
	if p == "" {
		return ""
	}
	u, err := url.Parse(p)
	if err != nil || u.Host == "" {
		return ""
	}
	u.RawQuery, u.Fragment, u.RawFragment, u.User = "", "", "", nil
	return u.String()
}

func withoutFragment(s string) string {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		return s[:i]
	}
	return s
}

func hostOfURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

func cookieKey(name, domain, path string) string { return name + "|" + domain + "|" + path }

// cookieNames lists the names in a request's Cookie headers.
func cookieNames(h http.Header) []string {
	var names []string
	for _, line := range h.Values("Cookie") {
		for _, part := range strings.Split(line, ";") {
			name, _, _ := strings.Cut(strings.TrimSpace(part), "=")
			if name != "" {
				names = append(names, name)
			}
		}
	}
	return names
}

// defaultCookiePath is RFC 6265 §5.1.4's default-path of a request URL.
func defaultCookiePath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || !strings.HasPrefix(u.Path, "/") {
		return "/"
	}
	i := strings.LastIndexByte(u.Path, '/')
	if i <= 0 {
		return "/"
	}
	return u.Path[:i]
}

func roundDays(d time.Duration) *float64 {
	v := math.Round(d.Hours()/24*100) / 100
	return &v
}

func sameSiteName(s http.SameSite) string {
	switch s {
	case http.SameSiteLaxMode:
		return "Lax"
	case http.SameSiteStrictMode:
		return "Strict"
	case http.SameSiteNoneMode:
		return "None"
	}
	return ""
}

// maxSetSize bounds the keys, kinds and cookie names kept per endpoint.
const maxSetSize = phiproxy.MaxKeys

// addSorted inserts v into the sorted set s, unless s holds max values.
func addSorted(s []string, v string, max int) []string {
	i := sort.SearchStrings(s, v)
	if i < len(s) && s[i] == v {
		return s
	}
	if len(s) >= max {
		return s
	}
	s = append(s, "")
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}

// union is the sorted set a ∪ b, at most maxSetSize values. It returns a
// itself when b adds nothing, the common case of an endpoint seen again,
// and never changes a or b.
func union(a, b []string) []string {
	if sameSlice(a, b) {
		// An endpoint's keys are the list its first sighting had, and
		// inspection hands out one shared list for payloads with the
		// same keys.
		return a
	}
	var out []string
	for _, v := range b {
		src := a
		if out != nil {
			src = out
		}
		i := sort.SearchStrings(src, v)
		if i < len(src) && src[i] == v {
			continue
		}
		if out == nil {
			out = append(make([]string, 0, len(a)+len(b)), a...)
		}
		out = addSorted(out, v, maxSetSize)
	}
	if out == nil {
		return a
	}
	return out
}

// DefaultMaxItems is Aggregator's default bound on the items it holds.
const DefaultMaxItems = 50000

// Aggregator holds each item's running aggregate for one run, per page,
// so that however many requests a page makes, the store gets one row per
// item. It is safe for concurrent use: pipeline workers Observe, the
// writer Drains.
type Aggregator struct {
	// RunID is stamped on every row.
	RunID int64
	// MaxItems bounds the items held; facts about further items are
	// dropped and counted. 0 means DefaultMaxItems.
	MaxItems  int
	Extractor Extractor

	mu      sync.Mutex
	items   map[aggKey]*aggItem
	dirty   []*aggItem
	dropped int64
}

type aggKey struct{ page, typ, key string }

type aggItem struct {
	k           aggKey
	dest        phiproxy.Destination
	attrs       any
	count       int64
	first, last time.Time
	dirty       bool
}

// Observe records the facts of an inspected flow.
func (a *Aggregator) Observe(f *phiproxy.Flow, in *phiproxy.Inspection) {
	a.Add(a.Extractor.Facts(f, in))
}

// Add records facts.
func (a *Aggregator) Add(facts []Fact) {
	if len(facts) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.items == nil {
		a.items = map[aggKey]*aggItem{}
	}
	limit := a.MaxItems
	if limit <= 0 {
		limit = DefaultMaxItems
	}
	for _, fc := range facts {
		k := aggKey{fc.Page, fc.Type, fc.Key}
		it := a.items[k]
		if it == nil {
			if len(a.items) >= limit {
				a.dropped++
				continue
			}
			it = &aggItem{k: k, dest: fc.Dest, attrs: fc.Attrs, first: fc.At, last: fc.At}
			a.items[k] = it
		} else {
			it.attrs = merge(it.attrs, fc.Attrs)
			it.dest = fc.Dest
			if fc.At.Before(it.first) {
				it.first = fc.At
			}
			if fc.At.After(it.last) {
				it.last = fc.At
			}
		}
		it.count++
		if !it.dirty {
			it.dirty = true
			a.dirty = append(a.dirty, it)
		}
	}
}

// merge folds a new sighting into an item's attributes: an endpoint
// gathers every key, kind and cookie name and its highest severity; other
// items take the latest sighting's attributes.
func merge(old, nu any) any {
	if s, ok := nu.(*Script); ok && s.SHA256 == "" {
		if _, had := old.(*Script); had {
			return old // a sighting without bytes keeps the hash seen before
		}
	}
	if r, ok := nu.(*Recorder); ok {
		if o, had := old.(*Recorder); had {
			m := *o
			m.add(r)
			return &m
		}
	}
	o, ok1 := old.(*Endpoint)
	n, ok2 := nu.(*Endpoint)
	if !ok1 || !ok2 {
		return nu
	}
	keys, kinds, cookies := union(o.Keys, n.Keys), union(o.Kinds, n.Kinds), union(o.Cookies, n.Cookies)
	if sameSlice(keys, o.Keys) && sameSlice(kinds, o.Kinds) && sameSlice(cookies, o.Cookies) && n.MaxSeverity <= o.MaxSeverity {
		// Nothing new, as for most requests to an endpoint: the copy
		// would equal o, which no one changes.
		return o
	}
	m := *o
	m.Keys, m.Kinds, m.Cookies = keys, kinds, cookies
	m.MaxSeverity = max(m.MaxSeverity, n.MaxSeverity)
	return &m
}

// sameSlice reports whether a and b are the same slice (union returns its
// first argument when it adds nothing).
func sameSlice(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// Drain returns the rows of the items changed since the last Drain.
func (a *Aggregator) Drain() []store.InventoryRow {
	a.mu.Lock()
	dirty := a.dirty
	a.dirty = nil
	rows := make([]store.InventoryRow, 0, len(dirty))
	for _, it := range dirty {
		it.dirty = false
		attrs, err := json.Marshal(it.attrs)
		if err != nil {
			continue
		}
		rows = append(rows, store.InventoryRow{
			RunID: a.RunID, Page: it.k.page, Type: it.k.typ, Item: it.k.key,
			Host: it.dest.Host, Domain: it.dest.Domain, Party: string(it.dest.Party), Vendor: it.dest.Vendor,
			VendorCategory: it.dest.Category, BAA: it.dest.BAA, Attrs: attrs, Count: it.count,
			FirstSeen: it.first, LastSeen: it.last,
		})
	}
	a.mu.Unlock()
	return rows
}

// Unsaved marks rows a failed write did not store as changed again, so
// the next Drain returns them (with whatever arrived since).
func (a *Aggregator) Unsaved(rows []store.InventoryRow) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range rows {
		if it := a.items[aggKey{r.Page, r.Type, r.Item}]; it != nil && !it.dirty {
			it.dirty = true
			a.dirty = append(a.dirty, it)
		}
	}
}

// Dropped counts facts about items beyond MaxItems.
func (a *Aggregator) Dropped() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dropped
}
