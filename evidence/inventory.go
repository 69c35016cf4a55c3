package evidence

import (
	"context"
	"encoding/json"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/phiproxy/phiproxy/inventory"
	"github.com/phiproxy/phiproxy/store"
)

// InventoryFile is the bundle's inventory: a JSON array of the items
// `phiproxy inventory --json` prints, for the runs the selected flows
// belong to.
const InventoryFile = "inventory.json"

// runSet collects the runs of the exported flows.
type runSet map[int64]bool

func (r runSet) add(id int64) {
	if id != 0 {
		r[id] = true
	}
}

// bundleInventory reads the inventory of runs and hides, in a redacted
// bundle, any matched value that a URL in it carries (a page or script
// URL may hold one in its query). Cookie and storage values are never
// in an inventory.
func bundleInventory(ctx context.Context, s *store.Store, runs runSet, red *redactor) ([]inventory.Item, error) {
	ids := make([]int64, 0, len(runs))
	for id := range runs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var rows []store.InventoryRow
	for _, id := range ids {
		r, err := s.Inventory(ctx, id)
		if err != nil {
			return nil, err
		}
		rows = append(rows, r...)
	}
	items := inventory.Build(rows, inventory.Filter{})
	if red == nil {
		return items, nil
	}
	for i := range items {
		it := &items[i]
		for j, p := range it.Pages {
			it.Pages[j] = red.Text(p)
		}
		switch {
		case it.Script != nil:
			it.Script.URL, it.Script.Initiator = red.Text(it.Script.URL), red.Text(it.Script.Initiator)
		case it.Endpoint != nil:
			it.Endpoint.Initiator = red.Text(it.Endpoint.Initiator)
		}
	}
	return items, nil
}

// writeInventoryJSON writes items as one JSON array, an empty one when
// there are none.
func writeInventoryJSON(w io.Writer, items []inventory.Item) error {
	if items == nil {
		items = []inventory.Item{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(items)
}

// inventorySection is the report's "Inventory" section: per vendor, the
// pages, scripts with their hashes, cookies, storage keys and endpoints
// with the PHI kinds sent there. It closes the flows section the report
// leaves open and opens its own, which the report's foot closes.
var inventorySection = template.Must(template.New("inventory").Funcs(template.FuncMap{
	"join": strings.Join,
	"cat":  func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	"days": func(d *float64) string {
		if d == nil {
			return "session"
		}
		if *d == 1 {
			return "1 day"
		}
		return strconv.FormatFloat(*d, 'f', -1, 64) + " days"
	},
}).Parse(`</section>
<section id="inventory">
<h2>Inventory</h2>
{{if not .}}<p>No inventory was recorded for the runs of these requests.</p>{{else}}<p>What the pages loaded and kept, by vendor: scripts (identified by the SHA-256 of their bytes), cookies, browser storage and the endpoints data was sent to. Cookie and storage values are not recorded, only their names and sizes.</p>
{{range .}}<article class="flow" id="vendor-{{.Name}}">
<h3>{{.Name}}{{if .Category}} <span class="meta">({{cat .Category}})</span>{{end}}</h3>
<p class="meta">{{.Party}} party · {{if .BAA}}covered by a BAA{{else}}no BAA{{end}} · {{len .Pages}} page{{if ne (len .Pages) 1}}s{{end}}{{if .Kinds}} · PHI sent: <strong>{{join .Kinds ", "}}</strong> <span class="sev sev-{{.MaxSeverity}}">{{.MaxSeverity}}</span>{{end}}</p>
<details><summary>Pages</summary><ul class="plain">{{range .Pages}}<li class="url">{{.}}</li>{{end}}</ul></details>
<table class="findings"><thead><tr><th>Type</th><th>Item</th><th>Details</th></tr></thead><tbody>
{{range .Items}}{{if .Script}}<tr><td>script</td><td class="url mono">{{.Script.URL}}</td><td class="mono">sha256 {{.Script.SHA256}}<br>{{.Script.Size}} bytes{{if .Script.Initiator}}<br><span class="meta">loaded by</span> <span class="url">{{.Script.Initiator}}</span>{{end}}</td></tr>
{{else if .Cookie}}<tr><td>cookie</td><td class="mono">{{.Cookie.Name}}</td><td>{{.Cookie.Domain}}{{.Cookie.Path}} · {{days .Cookie.ExpiresDays}} · set by {{.Cookie.SetBy}}{{if .Cookie.Secure}} · Secure{{end}}{{if .Cookie.HTTPOnly}} · HttpOnly{{end}}{{if .Cookie.SameSite}} · SameSite={{.Cookie.SameSite}}{{end}}{{if .Cookie.Partitioned}} · Partitioned{{end}}{{if .Cookie.ThirdParty}} · third-party{{end}}</td></tr>
{{else if .Storage}}<tr><td>storage</td><td class="mono">{{.Storage.Key}}</td><td>{{.Storage.Area}}Storage of {{.Storage.Origin}} · {{.Storage.ValueBytes}} bytes</td></tr>
{{else if .Recorder}}<tr><td>session recorder</td><td>{{.Recorder.Recorder}}</td><td>{{if .Recorder.Unmasked}}<strong>{{.Recorder.Describe}}</strong>{{else}}{{.Recorder.Describe}}{{end}}</td></tr>
{{else if .Endpoint}}<tr><td>endpoint</td><td class="url mono">{{.Endpoint.Method}} {{.Host}}{{.Endpoint.PathTemplate}}</td><td>{{.Endpoint.Count}} request{{if ne .Endpoint.Count 1}}s{{end}}{{if .Endpoint.Kinds}} · PHI: <strong>{{join .Endpoint.Kinds ", "}}</strong> <span class="sev sev-{{.Endpoint.MaxSeverity}}">{{.Endpoint.MaxSeverity}}</span>{{end}}{{if .Endpoint.Keys}}<br><span class="meta">keys</span> <span class="mono">{{join .Endpoint.Keys ", "}}</span>{{end}}{{if .Endpoint.Initiator}}<br><span class="meta">sent by</span> <span class="url">{{.Endpoint.Initiator}}</span>{{end}}</td></tr>
{{end}}{{end}}</tbody></table>
</article>
{{end}}{{end}}`))

// writeInventorySection writes the report's Inventory section.
func writeInventorySection(w io.Writer, items []inventory.Item) error {
	return inventorySection.Execute(w, inventory.ByVendor(items))
}
