// Package compare answers "what changed since the last scan?". A Snapshot
// is what one run saw of a site, per vendor: its scripts (by URL without
// the query, with their SHA-256), cookies, storage keys, endpoints with
// the PHI kinds sent to each, and its highest severity. A baseline file is
// a Snapshot written as stable JSON, so a run can be compared with another
// run or with a baseline kept in the site's repository, and Diff is a pure
// function of two values.
package compare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/inventory"
)

// FormatVersion is the baseline format this build writes and reads. A
// file of another version is refused rather than misread.
const FormatVersion = 1

// MaxPages bounds the pages kept per item: enough to say where an item
// appears, few enough that a baseline stays reviewable on a site of
// hundreds of pages. The first pages in sort order are kept, so identical
// scans keep the same ones.
const MaxPages = 10

// Snapshot is what a run saw, per vendor, without anything that varies
// between two scans of an unchanged site: no times, run IDs, request
// counts, cookie lifetimes or value sizes.
type Snapshot struct {
	// Format is FormatVersion.
	Format  int      `json:"format"`
	Vendors []Vendor `json:"vendors"`
}

// Vendor is one vendor's share of a snapshot: a known vendor by name,
// any other host by its registrable domain.
type Vendor struct {
	Name     string `json:"name"`
	Category string `json:"category"`
	// Party is "third" when any of its items is a third party's.
	Party string `json:"party"`
	BAA   bool   `json:"baa"`
	// MaxSeverity is the highest severity of what its endpoints were sent.
	MaxSeverity phiproxy.Severity `json:"max_severity"`
	Scripts     []Script          `json:"scripts"`
	Cookies     []Cookie          `json:"cookies"`
	Storage     []Storage         `json:"storage"`
	Endpoints   []Endpoint        `json:"endpoints"`
}

// Script is a script URL without its query and fragment, with the bytes
// seen under it.
type Script struct {
	URL  string `json:"url"`
	Host string `json:"host"`
	// Versions are the distinct bodies seen (several when the URL was
	// loaded with different queries), sorted by hash; empty when no body
	// was read to the end.
	Versions []ScriptVersion `json:"versions"`
	Pages    []string        `json:"pages"`
}

// ScriptVersion is one body of a script.
type ScriptVersion struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Cookie is a cookie by name, domain and path.
type Cookie struct {
	Name   string   `json:"name"`
	Domain string   `json:"domain"`
	Path   string   `json:"path"`
	Pages  []string `json:"pages"`
}

// Storage is a Web Storage key of an origin.
type Storage struct {
	Origin string   `json:"origin"`
	Area   string   `json:"area"`
	Key    string   `json:"key"`
	Pages  []string `json:"pages"`
}

// Endpoint is where data was sent, with the PHI kinds found there.
type Endpoint struct {
	Method       string            `json:"method"`
	Host         string            `json:"host"`
	PathTemplate string            `json:"path_template"`
	Kinds        []string          `json:"kinds"`
	MaxSeverity  phiproxy.Severity `json:"max_severity"`
	Pages        []string          `json:"pages"`
}

// Name is the endpoint as people read it: "GET www.facebook.com/tr/".
func (e Endpoint) Name() string { return e.Method + " " + e.Host + e.PathTemplate }

// FromInventory builds the snapshot of inventory items (one run's, as
// inventory.Build returns them). Session-recorder items are left out:
// what a recorder captured changes with what was typed.
func FromInventory(items []inventory.Item) Snapshot {
	type vendorParts struct {
		v         *Vendor
		scripts   map[string]*Script
		cookies   map[string]*Cookie
		storage   map[string]*Storage
		endpoints map[string]*Endpoint
	}
	vendors := map[string]*vendorParts{}
	var names []string
	for _, g := range inventory.ByVendor(items) {
		p := &vendorParts{v: &Vendor{Name: g.Name, Category: g.Category, Party: g.Party, BAA: g.BAA},
			scripts: map[string]*Script{}, cookies: map[string]*Cookie{}, storage: map[string]*Storage{}, endpoints: map[string]*Endpoint{}}
		vendors[g.Name] = p
		names = append(names, g.Name)
		for _, it := range g.Items {
			switch {
			case it.Script != nil:
				u := stripQuery(it.Script.URL)
				s := p.scripts[u]
				if s == nil {
					s = &Script{URL: u, Host: it.Host}
					p.scripts[u] = s
				}
				if it.Script.SHA256 != "" {
					s.Versions = addVersion(s.Versions, ScriptVersion{SHA256: it.Script.SHA256, Size: it.Script.Size})
				}
				s.Pages = addPages(s.Pages, pageTemplates(it.Pages))
			case it.Cookie != nil:
				c := it.Cookie
				k := c.Name + "|" + c.Domain + "|" + c.Path
				if p.cookies[k] == nil {
					p.cookies[k] = &Cookie{Name: c.Name, Domain: c.Domain, Path: c.Path}
				}
				p.cookies[k].Pages = addPages(p.cookies[k].Pages, pageTemplates(it.Pages))
			case it.Storage != nil:
				s := it.Storage
				k := s.Origin + "|" + s.Area + "|" + s.Key
				if p.storage[k] == nil {
					p.storage[k] = &Storage{Origin: s.Origin, Area: s.Area, Key: s.Key}
				}
				p.storage[k].Pages = addPages(p.storage[k].Pages, pageTemplates(it.Pages))
			case it.Endpoint != nil:
				e := it.Endpoint
				k := e.Method + " " + it.Host + e.PathTemplate
				ep := p.endpoints[k]
				if ep == nil {
					ep = &Endpoint{Method: e.Method, Host: it.Host, PathTemplate: e.PathTemplate}
					p.endpoints[k] = ep
				}
				ep.Kinds = addPages(ep.Kinds, e.Kinds)
				ep.MaxSeverity = max(ep.MaxSeverity, e.MaxSeverity)
				ep.Pages = addPages(ep.Pages, pageTemplates(it.Pages))
				p.v.MaxSeverity = max(p.v.MaxSeverity, e.MaxSeverity)
			}
		}
	}
	s := Snapshot{Format: FormatVersion, Vendors: make([]Vendor, 0, len(names))}
	for _, n := range names {
		p := vendors[n]
		v := p.v
		v.Scripts = values(p.scripts)
		v.Cookies = values(p.cookies)
		v.Storage = values(p.storage)
		v.Endpoints = values(p.endpoints)
		for i := range v.Scripts {
			v.Scripts[i].Pages = capPages(v.Scripts[i].Pages)
		}
		for i := range v.Cookies {
			v.Cookies[i].Pages = capPages(v.Cookies[i].Pages)
		}
		for i := range v.Storage {
			v.Storage[i].Pages = capPages(v.Storage[i].Pages)
		}
		for i := range v.Endpoints {
			v.Endpoints[i].Pages = capPages(v.Endpoints[i].Pages)
		}
		s.Vendors = append(s.Vendors, *v)
	}
	s.normalize()
	return s
}

// values returns a map's values in key order.
func values[T any](m map[string]*T) []T {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]T, 0, len(keys))
	for _, k := range keys {
		out = append(out, *m[k])
	}
	return out
}

// stripQuery is a URL without its query and fragment: a script's
// identity, so that a cache-busting "?v=123" that changes with its bytes
// reads as the script changed rather than one removed and one added.
func stripQuery(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		return raw[:i]
	}
	return raw
}

// addVersion inserts v into the versions sorted by hash.
func addVersion(vs []ScriptVersion, v ScriptVersion) []ScriptVersion {
	i := sort.Search(len(vs), func(i int) bool { return vs[i].SHA256 >= v.SHA256 })
	if i < len(vs) && vs[i].SHA256 == v.SHA256 {
		return vs
	}
	return append(vs[:i], append([]ScriptVersion{v}, vs[i:]...)...)
}

// pageTemplates are pages as a snapshot keeps them: the path made a
// template as an endpoint's is (/patients/8812 is /patients/{id}), so that
// a baseline meant for a repository names no patient's record and a page
// reached under another ID in the next crawl is the same page.
func pageTemplates(pages []string) []string {
	out := make([]string, 0, len(pages))
	for _, p := range pages {
		u, err := url.Parse(p)
		if err != nil || u.Host == "" {
			continue
		}
		out = append(out, u.Scheme+"://"+u.Host+inventory.PathTemplate(u.EscapedPath()))
	}
	return out
}

// addPages is the sorted union of a sorted set and more values.
func addPages(set, more []string) []string {
	for _, p := range more {
		i := sort.SearchStrings(set, p)
		if i < len(set) && set[i] == p {
			continue
		}
		set = append(set, "")
		copy(set[i+1:], set[i:])
		set[i] = p
	}
	return set
}

func capPages(p []string) []string {
	if len(p) > MaxPages {
		return p[:MaxPages:MaxPages]
	}
	return p
}

// normalize sorts everything and replaces nil lists by empty ones, so
// that equal snapshots encode to equal bytes whether built from a run or
// read from a file.
func (s *Snapshot) normalize() {
	if s.Vendors == nil {
		s.Vendors = []Vendor{}
	}
	sort.SliceStable(s.Vendors, func(i, j int) bool { return s.Vendors[i].Name < s.Vendors[j].Name })
	for i := range s.Vendors {
		v := &s.Vendors[i]
		v.Scripts = nonNil(v.Scripts)
		v.Cookies = nonNil(v.Cookies)
		v.Storage = nonNil(v.Storage)
		v.Endpoints = nonNil(v.Endpoints)
		sort.SliceStable(v.Scripts, func(a, b int) bool { return v.Scripts[a].URL < v.Scripts[b].URL })
		sort.SliceStable(v.Cookies, func(a, b int) bool { return cookieKey(v.Cookies[a]) < cookieKey(v.Cookies[b]) })
		sort.SliceStable(v.Storage, func(a, b int) bool { return storageKey(v.Storage[a]) < storageKey(v.Storage[b]) })
		sort.SliceStable(v.Endpoints, func(a, b int) bool { return v.Endpoints[a].Name() < v.Endpoints[b].Name() })
		for j := range v.Scripts {
			sc := &v.Scripts[j]
			sc.Versions, sc.Pages = nonNil(sc.Versions), sortedStrings(sc.Pages)
			sort.SliceStable(sc.Versions, func(a, b int) bool { return sc.Versions[a].SHA256 < sc.Versions[b].SHA256 })
		}
		for j := range v.Cookies {
			v.Cookies[j].Pages = sortedStrings(v.Cookies[j].Pages)
		}
		for j := range v.Storage {
			v.Storage[j].Pages = sortedStrings(v.Storage[j].Pages)
		}
		for j := range v.Endpoints {
			e := &v.Endpoints[j]
			e.Kinds, e.Pages = sortedStrings(e.Kinds), sortedStrings(e.Pages)
		}
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func sortedStrings(s []string) []string {
	s = nonNil(s)
	sort.Strings(s)
	return s
}

func cookieKey(c Cookie) string   { return c.Name + "|" + c.Domain + "|" + c.Path }
func storageKey(s Storage) string { return s.Origin + "|" + s.Area + "|" + s.Key }

// Marshal writes s as a baseline: pretty-printed, sorted JSON ending in a
// newline, the same bytes for the same snapshot.
func Marshal(s Snapshot) ([]byte, error) {
	s.Format = FormatVersion
	s.normalize()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("encode baseline: %w", err)
	}
	return buf.Bytes(), nil
}

// maxBaselineBytes bounds what Read accepts; a baseline of 50,000
// inventory items is a few MiB.
const maxBaselineBytes = 256 << 20

// Read reads a baseline. A file of another format version, with unknown
// keys or with anything after the object is refused.
func Read(r io.Reader) (Snapshot, error) {
	var s Snapshot
	dec := json.NewDecoder(io.LimitReader(r, maxBaselineBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Snapshot{}, fmt.Errorf("read baseline: %w", err)
	}
	if dec.More() {
		return Snapshot{}, fmt.Errorf("read baseline: more than one JSON value")
	}
	if s.Format != FormatVersion {
		return Snapshot{}, fmt.Errorf("read baseline: format %d, this phiproxy reads format %d", s.Format, FormatVersion)
	}
	for _, v := range s.Vendors {
		if v.Name == "" {
			return Snapshot{}, fmt.Errorf("read baseline: a vendor without a name")
		}
	}
	s.normalize()
	return s, nil
}

// hostOf is the lower-case host of a URL or origin, "" when it has none.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
