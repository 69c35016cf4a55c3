package compare

import (
	"fmt"
	"sort"
	"strings"

	"github.com/phiproxy/phiproxy"
)

// Change types: a public contract (the "change" key of `phiproxy diff
// --json`, the names --fail-on takes).
const (
	VendorAdded     = "vendor_added"
	VendorRemoved   = "vendor_removed"
	EndpointAdded   = "endpoint_added"
	EndpointRemoved = "endpoint_removed"
	ScriptAdded     = "script_added"
	ScriptRemoved   = "script_removed"
	ScriptChanged   = "script_changed"
	CookieAdded     = "cookie_added"
	CookieRemoved   = "cookie_removed"
	StorageAdded    = "storage_added"
	StorageRemoved  = "storage_removed"
	PHIAdded        = "phi_added"
	PHIRemoved      = "phi_removed"
	SeverityRaised  = "severity_raised"
	SeverityLowered = "severity_lowered"
)

// ChangeTypes lists every change type, most serious first: the order of
// changes within a vendor.
var ChangeTypes = []string{
	PHIAdded, SeverityRaised, VendorAdded, ScriptChanged, EndpointAdded, ScriptAdded, CookieAdded, StorageAdded,
	PHIRemoved, SeverityLowered, VendorRemoved, EndpointRemoved, ScriptRemoved, CookieRemoved, StorageRemoved,
}

// DefaultFailOn is the change types that fail a build unless told
// otherwise: a new vendor, a vendor's script that changed, PHI newly sent,
// a vendor's severity raised.
var DefaultFailOn = []string{VendorAdded, ScriptChanged, PHIAdded, SeverityRaised}

func rank(change string) int {
	for i, c := range ChangeTypes {
		if c == change {
			return i
		}
	}
	return len(ChangeTypes)
}

// ParseChangeTypes reads a comma-separated list of change types.
func ParseChangeTypes(list string) ([]string, error) {
	var out []string
	for _, c := range strings.Split(list, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if rank(c) == len(ChangeTypes) {
			return nil, fmt.Errorf("unknown change type %q (known: %s)", c, strings.Join(ChangeTypes, ","))
		}
		out = append(out, c)
	}
	return out, nil
}

// Change is one difference between two snapshots. Its JSON form (one
// object per line in `phiproxy diff --json`) is a public contract.
type Change struct {
	Change string `json:"change"`
	Vendor string `json:"vendor"`
	// Party is the vendor's party in the snapshot that has it (the later
	// one when both do).
	Party string `json:"party"`
	Host  string `json:"host"`
	// Item is the script URL (without query), cookie name, storage key or
	// endpoint ("GET www.facebook.com/tr/"); "" for a vendor's changes.
	Item string `json:"item"`
	// Kind is the PHI kind of phi_added and phi_removed.
	Kind string `json:"kind"`
	// Before and After say what changed: hashes of a changed script,
	// severities, the endpoint's severity for PHI, a vendor's items.
	Before string `json:"before"`
	After  string `json:"after"`
	// SizeChange is a changed script's size difference in bytes.
	SizeChange int64 `json:"size_change"`
	// Pages are pages the item appears on (up to MaxPages, sorted), in the
	// snapshot that has it.
	Pages []string `json:"pages"`
	// severity orders changes of vendors: the vendor's highest severity.
	severity phiproxy.Severity
}

// Diff lists what changed from a to b, grouped by vendor (vendors whose
// changes are most serious first), each vendor's changes most serious
// first. A vendor that appears or disappears is one vendor change, plus
// the PHI kinds its endpoints were sent, not a change per item. Diff is
// pure: same snapshots, same changes.
func Diff(a, b Snapshot) []Change {
	av, bv := byName(a), byName(b)
	var out []Change
	for _, v := range b.Vendors {
		old, ok := av[v.Name]
		if !ok {
			out = append(out, Change{Change: VendorAdded, Vendor: v.Name, Party: v.Party, Host: firstHost(v), After: summary(v), Pages: vendorPages(v), severity: v.MaxSeverity})
			out = append(out, phiChanges(v, Vendor{}, PHIAdded)...)
			continue
		}
		out = append(out, vendorDiff(old, v)...)
	}
	for _, v := range a.Vendors {
		if _, ok := bv[v.Name]; !ok {
			out = append(out, Change{Change: VendorRemoved, Vendor: v.Name, Party: v.Party, Host: firstHost(v), Before: summary(v), Pages: vendorPages(v), severity: v.MaxSeverity})
			out = append(out, phiChanges(v, Vendor{}, PHIRemoved)...)
		}
	}
	Sort(out)
	return out
}

// Sort orders changes by vendor, vendors with the most serious change
// first (then the highest severity, then name), and within a vendor most
// serious first.
func Sort(cs []Change) {
	best := map[string]int{}
	sev := map[string]phiproxy.Severity{}
	for _, c := range cs {
		if r, ok := best[c.Vendor]; !ok || rank(c.Change) < r {
			best[c.Vendor] = rank(c.Change)
		}
		sev[c.Vendor] = max(sev[c.Vendor], c.severity)
	}
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.Vendor != b.Vendor {
			if best[a.Vendor] != best[b.Vendor] {
				return best[a.Vendor] < best[b.Vendor]
			}
			if sev[a.Vendor] != sev[b.Vendor] {
				return sev[a.Vendor] > sev[b.Vendor]
			}
			return a.Vendor < b.Vendor
		}
		if ra, rb := rank(a.Change), rank(b.Change); ra != rb {
			return ra < rb
		}
		if a.Item != b.Item {
			return a.Item < b.Item
		}
		return a.Kind < b.Kind
	})
}

func byName(s Snapshot) map[string]Vendor {
	m := make(map[string]Vendor, len(s.Vendors))
	for _, v := range s.Vendors {
		m[v.Name] = v
	}
	return m
}

// vendorDiff lists the changes of a vendor both snapshots have.
func vendorDiff(a, b Vendor) []Change {
	var out []Change
	c := func(change, host, item string, pages []string) Change {
		return Change{Change: change, Vendor: b.Name, Party: b.Party, Host: host, Item: item, Pages: nonNil(pages), severity: max(a.MaxSeverity, b.MaxSeverity)}
	}
	// Scripts.
	as := map[string]Script{}
	for _, s := range a.Scripts {
		as[s.URL] = s
	}
	bs := map[string]bool{}
	for _, s := range b.Scripts {
		bs[s.URL] = true
		old, ok := as[s.URL]
		switch {
		case !ok:
			ch := c(ScriptAdded, s.Host, s.URL, s.Pages)
			ch.After = hashes(s.Versions)
			out = append(out, ch)
		case len(old.Versions) > 0 && len(s.Versions) > 0 && hashes(old.Versions) != hashes(s.Versions):
			ch := c(ScriptChanged, s.Host, s.URL, s.Pages)
			ch.Before, ch.After = hashes(old.Versions), hashes(s.Versions)
			ch.SizeChange = size(s.Versions) - size(old.Versions)
			out = append(out, ch)
		}
	}
	for _, s := range a.Scripts {
		if !bs[s.URL] {
			ch := c(ScriptRemoved, s.Host, s.URL, s.Pages)
			ch.Before = hashes(s.Versions)
			out = append(out, ch)
		}
	}
	// Cookies and storage: present or not.
	out = append(out, presence(a.Cookies, b.Cookies, cookieKey, func(x Cookie, change string) Change {
		ch := c(change, x.Domain, x.Name, x.Pages)
		return ch
	}, CookieAdded, CookieRemoved)...)
	out = append(out, presence(a.Storage, b.Storage, storageKey, func(x Storage, change string) Change {
		ch := c(change, hostOf(x.Origin), x.Key, x.Pages)
		if change == StorageAdded {
			ch.After = x.Area + "Storage of " + x.Origin
		} else {
			ch.Before = x.Area + "Storage of " + x.Origin
		}
		return ch
	}, StorageAdded, StorageRemoved)...)
	out = append(out, presence(a.Endpoints, b.Endpoints, Endpoint.Name, func(x Endpoint, change string) Change {
		ch := c(change, x.Host, x.Name(), x.Pages)
		if change == EndpointAdded {
			ch.After = strings.Join(x.Kinds, ",")
		} else {
			ch.Before = strings.Join(x.Kinds, ",")
		}
		return ch
	}, EndpointAdded, EndpointRemoved)...)
	out = append(out, phiChanges(b, a, PHIAdded)...)
	out = append(out, phiChanges(a, b, PHIRemoved)...)
	if a.MaxSeverity != b.MaxSeverity {
		change := SeverityRaised
		if b.MaxSeverity < a.MaxSeverity {
			change = SeverityLowered
		}
		ch := c(change, firstHost(b), "", vendorPages(b))
		ch.Before, ch.After = a.MaxSeverity.String(), b.MaxSeverity.String()
		out = append(out, ch)
	}
	return out
}

// presence lists the items of b missing from a (added) and of a missing
// from b (removed).
func presence[T any](a, b []T, key func(T) string, mk func(T, string) Change, added, removed string) []Change {
	ak := make(map[string]bool, len(a))
	for _, x := range a {
		ak[key(x)] = true
	}
	bk := make(map[string]bool, len(b))
	var out []Change
	for _, x := range b {
		bk[key(x)] = true
		if !ak[key(x)] {
			out = append(out, mk(x, added))
		}
	}
	for _, x := range a {
		if !bk[key(x)] {
			out = append(out, mk(x, removed))
		}
	}
	return out
}

// phiChanges lists, per endpoint of v and PHI kind sent there, the kinds
// other's same endpoint was not sent: PHI added when v is the later
// vendor, removed when it is the earlier. For PHI added, Before and After
// are the endpoint's severity in the earlier and later snapshot.
func phiChanges(v, other Vendor, change string) []Change {
	known := map[string]Endpoint{}
	for _, e := range other.Endpoints {
		known[e.Name()] = e
	}
	var out []Change
	for _, e := range v.Endpoints {
		o, had := known[e.Name()]
		for _, k := range e.Kinds {
			if had && contains(o.Kinds, k) {
				continue
			}
			ch := Change{Change: change, Vendor: v.Name, Party: v.Party, Host: e.Host, Item: e.Name(), Kind: k, Pages: nonNil(e.Pages), severity: max(v.MaxSeverity, other.MaxSeverity)}
			sev, otherSev := e.MaxSeverity.String(), ""
			if had {
				otherSev = o.MaxSeverity.String()
			}
			if change == PHIAdded {
				ch.Before, ch.After = otherSev, sev
			} else {
				ch.Before, ch.After = sev, otherSev
			}
			out = append(out, ch)
		}
	}
	return out
}

func contains(s []string, v string) bool {
	i := sort.SearchStrings(s, v)
	return i < len(s) && s[i] == v
}

func hashes(vs []ScriptVersion) string {
	h := make([]string, len(vs))
	for i, v := range vs {
		h[i] = v.SHA256
	}
	return strings.Join(h, ",")
}

func size(vs []ScriptVersion) int64 {
	var n int64
	for _, v := range vs {
		n += v.Size
	}
	return n
}

// summary is what a vendor brings or took away: "2 scripts, 1 cookie,
// 0 storage keys, 1 endpoint".
func summary(v Vendor) string {
	return fmt.Sprintf("%s, %s, %s, %s", count(len(v.Scripts), "script"), count(len(v.Cookies), "cookie"), count(len(v.Storage), "storage key"), count(len(v.Endpoints), "endpoint"))
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// firstHost is the first host a vendor's items name, in the order
// scripts, endpoints, cookies, storage.
func firstHost(v Vendor) string {
	for _, s := range v.Scripts {
		return s.Host
	}
	for _, e := range v.Endpoints {
		return e.Host
	}
	for _, c := range v.Cookies {
		return c.Domain
	}
	for _, s := range v.Storage {
		return hostOf(s.Origin)
	}
	return ""
}

// vendorPages is the union of a vendor's items' pages, the first MaxPages.
func vendorPages(v Vendor) []string {
	var p []string
	for _, s := range v.Scripts {
		p = addPages(p, s.Pages)
	}
	for _, c := range v.Cookies {
		p = addPages(p, c.Pages)
	}
	for _, s := range v.Storage {
		p = addPages(p, s.Pages)
	}
	for _, e := range v.Endpoints {
		p = addPages(p, e.Pages)
	}
	return nonNil(capPages(p))
}

// Failing returns the changes that FailsOn types.
func Failing(cs []Change, types []string) []Change {
	var out []Change
	for _, c := range cs {
		if c.FailsOn(types) {
			out = append(out, c)
		}
	}
	return out
}

// FailsOn reports whether c is of one of types and not the site's own: a
// deploy changes the site's own bundles every week, and only what third
// parties run and receive fails a build.
func (c Change) FailsOn(types []string) bool {
	if c.Party == string(phiproxy.FirstParty) {
		return false
	}
	for _, t := range types {
		if c.Change == t {
			return true
		}
	}
	return false
}

// Describe says a change in words for people: "now receives email at GET
// www.facebook.com/tr/ (severity medium)".
func (c Change) Describe() string {
	switch c.Change {
	case VendorAdded:
		return "new vendor: " + c.After
	case VendorRemoved:
		return "vendor gone: " + c.Before
	case PHIAdded:
		return fmt.Sprintf("now receives %s at %s", c.Kind, c.Item)
	case PHIRemoved:
		return fmt.Sprintf("no longer receives %s at %s", c.Kind, c.Item)
	case SeverityRaised, SeverityLowered:
		return "severity " + c.Before + " → " + c.After
	case ScriptChanged:
		return fmt.Sprintf("%s changed: %s → %s (%+d bytes)", c.Item, short(c.Before), short(c.After), c.SizeChange)
	case ScriptAdded, ScriptRemoved, EndpointAdded, EndpointRemoved:
		d := c.Item
		if extra := c.After + c.Before; extra != "" && strings.HasPrefix(c.Change, "script") {
			d += " sha256 " + short(extra)
		} else if extra != "" {
			d += " (PHI " + extra + ")"
		}
		return d
	case CookieAdded, CookieRemoved:
		return c.Item + " on " + c.Host
	case StorageAdded, StorageRemoved:
		return c.Item + " in " + c.After + c.Before
	}
	return c.Item
}

// short is the first 12 hex digits of each comma-separated hash.
func short(hs string) string {
	parts := strings.Split(hs, ",")
	for i, h := range parts {
		if len(h) > 12 {
			parts[i] = h[:12] + "…"
		}
	}
	return strings.Join(parts, ",")
}
