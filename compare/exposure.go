package compare

import (
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/inventory"
	"github.com/phiproxy/phiproxy/store"
)

// Exposure dates what a vendor received: one PHI kind sent to one of its
// endpoints, since when and until when, over how many runs and requests,
// from which pages. Its JSON form (`phiproxy exposure --json`, the
// bundle's exposure.json) is a public contract.
type Exposure struct {
	Vendor         string `json:"vendor"`
	VendorCategory string `json:"-"`
	Host           string `json:"host"`
	// Endpoint is method, host and path template: "GET www.facebook.com/tr/".
	Endpoint  string    `json:"endpoint"`
	Kind      string    `json:"kind"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// Runs and Flows count the distinct runs and stored requests.
	Runs  int `json:"runs"`
	Flows int `json:"flows"`
	// Pages are the pages that sent it, without query, sorted.
	Pages       []string          `json:"pages"`
	MaxSeverity phiproxy.Severity `json:"max_severity"`
}

// Exposures folds exposure rows (one per flow and kind) into one
// exposure per vendor, endpoint and kind, the most severe first, then
// the earliest.
func Exposures(rows []store.ExposureRow) []Exposure {
	type key struct{ vendor, endpoint, kind string }
	type acc struct {
		e     *Exposure
		runs  map[int64]bool
		flows map[int64]bool
	}
	groups := map[key]*acc{}
	var order []key
	for _, r := range rows {
		vendor := r.Vendor
		if vendor == "" {
			vendor = r.Domain
		}
		if vendor == "" {
			vendor = r.Host
		}
		path := "/"
		if u, err := url.Parse(r.URL); err == nil {
			path = inventory.PathTemplate(u.EscapedPath())
		}
		k := key{vendor, r.Method + " " + r.Host + path, r.Kind}
		a := groups[k]
		if a == nil {
			a = &acc{e: &Exposure{Vendor: vendor, VendorCategory: r.VendorCategory, Host: r.Host, Endpoint: k.endpoint, Kind: r.Kind, FirstSeen: r.Start, LastSeen: r.Start, Pages: []string{}},
				runs: map[int64]bool{}, flows: map[int64]bool{}}
			groups[k] = a
			order = append(order, k)
		}
		e := a.e
		if r.Start.Before(e.FirstSeen) {
			e.FirstSeen = r.Start
		}
		if r.Start.After(e.LastSeen) {
			e.LastSeen = r.Start
		}
		e.MaxSeverity = max(e.MaxSeverity, r.Severity)
		if r.RunID != 0 {
			a.runs[r.RunID] = true
		}
		a.flows[r.FlowID] = true
		if p := inventory.PageURL(r.Page); p != "" {
			e.Pages = addPages(e.Pages, []string{p})
		}
	}
	out := make([]Exposure, 0, len(order))
	for _, k := range order {
		a := groups[k]
		a.e.Runs, a.e.Flows = len(a.runs), len(a.flows)
		out = append(out, *a.e)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.MaxSeverity != b.MaxSeverity {
			return a.MaxSeverity > b.MaxSeverity
		}
		if !a.FirstSeen.Equal(b.FirstSeen) {
			return a.FirstSeen.Before(b.FirstSeen)
		}
		if a.Vendor != b.Vendor {
			return a.Vendor < b.Vendor
		}
		if a.Endpoint != b.Endpoint {
			return a.Endpoint < b.Endpoint
		}
		return a.Kind < b.Kind
	})
	return out
}

// FilterExposures keeps the exposures whose vendor or host contains
// text, case-insensitively; "" keeps all.
func FilterExposures(es []Exposure, text string) []Exposure {
	if text == "" {
		return es
	}
	t := strings.ToLower(text)
	var out []Exposure
	for _, e := range es {
		if strings.Contains(strings.ToLower(e.Vendor), t) || strings.Contains(e.Host, t) {
			out = append(out, e)
		}
	}
	return out
}
