package inventory

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

// Filter narrows Build.
type Filter struct {
	// Site keeps the pages of this registrable domain (and its
	// subdomains); "" keeps all.
	Site string
	// Vendor keeps items whose vendor, registrable domain or host
	// contains this text, case-insensitively; "" keeps all.
	Vendor string
}

// Build turns stored rows into items: one per run and item, over every
// page it appeared on. A cookie the browser reported is set_by "http"
// when a response of the same run set it with Set-Cookie, "js"
// otherwise; a script's and an endpoint's initiator come from the
// browser's initiator records. Items are ordered by vendor, type and
// name. Build is pure: same rows, same items.
func Build(rows []store.InventoryRow, f Filter) []Item {
	type groupKey struct {
		run       int64
		typ, item string
	}
	initiators := map[int64]map[string]string{}   // run → request URL → script
	endpointInit := map[int64]map[string]string{} // run → host+template → script
	httpCookies := map[int64]map[string]bool{}    // run → name|domain|path
	groups := map[groupKey]*Item{}
	var order []groupKey

	site := strings.Trim(strings.ToLower(f.Site), ".")
	keepPage := func(page string) bool {
		if site == "" {
			return true
		}
		h := hostOfURL(page)
		return h == site || strings.HasSuffix(h, "."+site)
	}
	// First pass: what explains other rows.
	for _, r := range rows {
		switch r.Type {
		case typeInitiator:
			var in initiator
			if json.Unmarshal(r.Attrs, &in) != nil {
				continue
			}
			if initiators[r.RunID] == nil {
				initiators[r.RunID], endpointInit[r.RunID] = map[string]string{}, map[string]string{}
			}
			initiators[r.RunID][in.URL] = in.Script
			if u, err := url.Parse(in.URL); err == nil {
				endpointInit[r.RunID][strings.ToLower(u.Hostname())+PathTemplate(u.EscapedPath())] = in.Script
			}
		case TypeCookie:
			if strings.HasSuffix(r.Item, "|"+SetByHTTP) {
				if httpCookies[r.RunID] == nil {
					httpCookies[r.RunID] = map[string]bool{}
				}
				httpCookies[r.RunID][strings.TrimSuffix(r.Item, "|"+SetByHTTP)] = true
			}
		}
	}
	for _, r := range rows {
		if r.Type == typeInitiator || !keepPage(r.Page) {
			continue
		}
		identity := r.Item
		if r.Type == TypeCookie {
			// The browser's report and the Set-Cookie header are one cookie.
			identity = r.Item[:strings.LastIndexByte(r.Item, '|')+1]
		}
		k := groupKey{r.RunID, r.Type, identity}
		it := groups[k]
		fresh := it == nil
		if fresh {
			it = &Item{Type: r.Type, RunID: r.RunID, FirstSeen: r.FirstSeen, LastSeen: r.LastSeen}
			groups[k] = it
			order = append(order, k)
		}
		if r.Page != "" {
			it.Pages = addSorted(it.Pages, r.Page, 1<<30)
		}
		latest := fresh || !r.LastSeen.Before(it.LastSeen)
		if r.FirstSeen.Before(it.FirstSeen) {
			it.FirstSeen = r.FirstSeen
		}
		if r.LastSeen.After(it.LastSeen) {
			it.LastSeen = r.LastSeen
		}
		applyRow(it, r, latest)
	}
	out := make([]Item, 0, len(order))
	for _, k := range order {
		it := groups[k]
		if it.Script == nil && it.Cookie == nil && it.Storage == nil && it.Endpoint == nil && it.Recorder == nil {
			continue // attributes unreadable
		}
		switch {
		case it.Script != nil:
			it.Script.Initiator = initiators[k.run][it.Script.URL]
		case it.Endpoint != nil:
			it.Endpoint.Initiator = endpointInit[k.run][it.Host+it.Endpoint.PathTemplate]
		case it.Cookie != nil:
			it.Cookie.SetBy = SetByJS
			if httpCookies[k.run][cookieKey(it.Cookie.Name, it.Cookie.Domain, it.Cookie.Path)] {
				it.Cookie.SetBy = SetByHTTP
			}
		}
		if it.Vendor == "" {
			it.Vendor = it.Domain
		}
		if f.Vendor != "" && !containsFold(it.Vendor, f.Vendor) && !containsFold(it.Domain, f.Vendor) && !containsFold(it.Host, f.Vendor) {
			continue
		}
		out = append(out, *it)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Vendor != b.Vendor {
			return a.Vendor < b.Vendor
		}
		if a.RunID != b.RunID {
			return a.RunID < b.RunID
		}
		if ta, tb := typeRank(a.Type), typeRank(b.Type); ta != tb {
			return ta < tb
		}
		return a.Name() < b.Name()
	})
	return out
}

// applyRow folds one stored row into its item. A row whose attributes
// cannot be read adds none (an item left without any is not listed).
func applyRow(it *Item, r store.InventoryRow, latest bool) {
	if latest {
		it.Host, it.Domain, it.Party, it.Vendor, it.VendorCategory, it.BAA = r.Host, r.Domain, r.Party, r.Vendor, r.VendorCategory, r.BAA
	}
	switch r.Type {
	case TypeScript:
		var s Script
		if json.Unmarshal(r.Attrs, &s) != nil {
			return
		}
		// The latest hash wins; a sighting without one (a 304) never
		// hides a hash.
		if it.Script == nil || it.Script.SHA256 == "" && s.SHA256 != "" || latest && s.SHA256 != "" {
			it.Script = &s
		}
	case TypeCookie:
		var c Cookie
		if json.Unmarshal(r.Attrs, &c) != nil {
			return
		}
		// The browser's report has the attributes as the browser holds
		// them (Partitioned, a script's changes); a header's report is
		// the fallback.
		fromBrowser := strings.HasSuffix(r.Item, "|browser")
		if it.Cookie == nil || fromBrowser || it.Cookie.SetBy == SetByHTTP && latest {
			it.Cookie = &c
		}
	case TypeStorage:
		var s Storage
		if json.Unmarshal(r.Attrs, &s) != nil {
			return
		}
		if latest || it.Storage == nil {
			it.Storage = &s
		}
	case TypeRecorder:
		var rec Recorder
		if json.Unmarshal(r.Attrs, &rec) != nil {
			return
		}
		if it.Recorder == nil {
			it.Recorder = &Recorder{Recorder: rec.Recorder}
		}
		it.Recorder.add(&rec)
	case TypeEndpoint:
		var e Endpoint
		if json.Unmarshal(r.Attrs, &e) != nil {
			return
		}
		e.Count = r.Count
		if it.Endpoint == nil {
			it.Endpoint = &e
			return
		}
		m := merge(it.Endpoint, &e).(*Endpoint)
		m.Count = it.Endpoint.Count + r.Count
		it.Endpoint = m
	}
}

func typeRank(t string) int {
	switch t {
	case TypeScript:
		return 0
	case TypeCookie:
		return 1
	case TypeStorage:
		return 2
	case TypeRecorder:
		return 3
	}
	return 4
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// Vendor is a vendor's share of an inventory: its items and the pages
// they appeared on.
type Vendor struct {
	Name, Category, Party string
	BAA                   bool
	Pages                 []string
	Items                 []Item
	// Counts of items by type.
	Scripts, Cookies, Storage, Endpoints int
	// MaxSeverity is the highest severity of its endpoints' findings.
	MaxSeverity phiproxy.Severity
	// Kinds are the PHI kinds found in what it was sent.
	Kinds []string
}

// ByVendor groups items (as Build orders them) by vendor: a known vendor
// by name, any other host by its registrable domain. Third parties come
// first, then the site's own hosts.
func ByVendor(items []Item) []Vendor {
	var out []Vendor
	index := map[string]int{}
	for _, it := range items {
		i, ok := index[it.Vendor]
		if !ok {
			i = len(out)
			index[it.Vendor] = i
			out = append(out, Vendor{Name: it.Vendor, Category: it.VendorCategory, Party: it.Party})
		}
		v := &out[i]
		v.Items = append(v.Items, it)
		v.BAA = v.BAA || it.BAA
		if it.Party == string(phiproxy.ThirdParty) {
			v.Party = it.Party
		}
		if v.Category == "" {
			v.Category = it.VendorCategory
		}
		for _, p := range it.Pages {
			v.Pages = addSorted(v.Pages, p, 1<<30)
		}
		switch {
		case it.Script != nil:
			v.Scripts++
		case it.Cookie != nil:
			v.Cookies++
		case it.Storage != nil:
			v.Storage++
		case it.Endpoint != nil:
			v.Endpoints++
			v.MaxSeverity = max(v.MaxSeverity, it.Endpoint.MaxSeverity)
			for _, k := range it.Endpoint.Kinds {
				v.Kinds = addSorted(v.Kinds, k, 1<<30)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Party == string(phiproxy.FirstParty), out[j].Party == string(phiproxy.FirstParty)
		if a != b {
			return !a
		}
		return out[i].Name < out[j].Name
	})
	return out
}
