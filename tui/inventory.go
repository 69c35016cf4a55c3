package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/phiproxy/phiproxy/compare"
	"github.com/phiproxy/phiproxy/inventory"
	"github.com/phiproxy/phiproxy/store"
)

// pageInventory is the overlay listing vendors and their items.
const pageInventory = "inventory"

// inventoryModel is what the inventory view shows, computed off the UI
// goroutine from store reads; rendering it needs no screen.
type inventoryModel struct {
	run     int64
	vendors []inventory.Vendor
	// news is what is new compared with a baseline; nil without one.
	news *newness
}

// newness is what the run has that a baseline has not: vendors, and per
// vendor the endpoints ("GET host/path") and, per endpoint, PHI kinds.
type newness struct {
	vendors   map[string]bool
	endpoints map[string]map[string]bool
	kinds     map[string]map[string][]string
}

// newnessOf marks what compare.Diff finds added from base to run.
func newnessOf(base compare.Snapshot, items []inventory.Item) *newness {
	n := &newness{vendors: map[string]bool{}, endpoints: map[string]map[string]bool{}, kinds: map[string]map[string][]string{}}
	for _, c := range compare.Diff(base, compare.FromInventory(items)) {
		switch c.Change {
		case compare.VendorAdded:
			n.vendors[c.Vendor] = true
		case compare.EndpointAdded:
			if n.endpoints[c.Vendor] == nil {
				n.endpoints[c.Vendor] = map[string]bool{}
			}
			n.endpoints[c.Vendor][c.Item] = true
		case compare.PHIAdded:
			if n.kinds[c.Vendor] == nil {
				n.kinds[c.Vendor] = map[string][]string{}
			}
			n.kinds[c.Vendor][c.Item] = append(n.kinds[c.Vendor][c.Item], c.Kind)
		}
	}
	return n
}

// summary is the vendor's cell of the "vs baseline" column.
func (n *newness) summary(vendor string) string {
	if n.vendors[vendor] {
		return "NEW vendor"
	}
	var parts []string
	if e := len(n.endpoints[vendor]); e > 0 {
		parts = append(parts, plural(e, "endpoint"))
	}
	var kinds []string
	for _, ks := range n.kinds[vendor] {
		for _, k := range ks {
			if !slices.Contains(kinds, k) {
				kinds = append(kinds, k)
			}
		}
	}
	if len(kinds) > 0 {
		slices.Sort(kinds)
		parts = append(parts, "PHI "+strings.Join(kinds, ","))
	}
	if len(parts) == 0 {
		return ""
	}
	return "NEW " + strings.Join(parts, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// loadInventoryModel reads the latest run's inventory, and compares it
// with base when one is given.
func loadInventoryModel(ctx context.Context, st *store.Store, base *compare.Snapshot) (inventoryModel, error) {
	run, err := st.LatestInventoryRun(ctx)
	if err != nil || run == 0 {
		return inventoryModel{}, err
	}
	rows, err := st.Inventory(ctx, run)
	if err != nil {
		return inventoryModel{}, err
	}
	items := inventory.Build(rows, inventory.Filter{})
	m := inventoryModel{run: run, vendors: inventory.ByVendor(items)}
	if base != nil {
		m.news = newnessOf(*base, items)
	}
	return m, nil
}

// inventoryColumns head the vendor table.
var inventoryColumns = []string{"vendor", "category", "party", "BAA", "pages", "scripts", "cookies", "storage", "endpoints", "PHI"}

// vendorCells is one vendor's row of the vendor table.
func vendorCells(v inventory.Vendor) []string {
	baa := "no"
	if v.BAA {
		baa = "yes"
	}
	phi := "-"
	if len(v.Kinds) > 0 {
		phi = strings.Join(v.Kinds, ",") + " (" + v.MaxSeverity.String() + ")"
	}
	return []string{v.Name, orDash(strings.ReplaceAll(v.Category, "_", " ")), v.Party, baa,
		fmt.Sprint(len(v.Pages)), fmt.Sprint(v.Scripts), fmt.Sprint(v.Cookies), fmt.Sprint(v.Storage), fmt.Sprint(v.Endpoints), phi}
}

// vendorItemsText is the vendor's items as tview text: pages, then
// scripts with their hashes, cookies, storage keys and endpoints, NEW
// marking what news says the baseline did not have.
func vendorItemsText(v inventory.Vendor, news *newness) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[::b]%s[::-]  %s, %s party\n\n[teal]pages[-]\n", esc(v.Name), esc(orDash(v.Category)), esc(v.Party))
	for _, p := range v.Pages {
		fmt.Fprintf(&b, "  %s\n", esc(p))
	}
	section := ""
	for _, it := range v.Items {
		if it.Type != section {
			section = it.Type
			fmt.Fprintf(&b, "\n[teal]%ss[-]\n", section)
		}
		switch {
		case it.Script != nil:
			fmt.Fprintf(&b, "  %s\n    sha256 %s, %d bytes", esc(it.Script.URL), it.Script.SHA256, it.Script.Size)
			if it.Script.Initiator != "" {
				fmt.Fprintf(&b, ", loaded by %s", esc(it.Script.Initiator))
			}
		case it.Cookie != nil:
			c := it.Cookie
			life := "session"
			if c.ExpiresDays != nil {
				life = fmt.Sprintf("%g days", *c.ExpiresDays)
			}
			fmt.Fprintf(&b, "  %s  %s%s, %s, set by %s", esc(c.Name), esc(c.Domain), esc(c.Path), life, c.SetBy)
			for _, a := range []struct {
				on   bool
				name string
			}{{c.Secure, "Secure"}, {c.HTTPOnly, "HttpOnly"}, {c.Partitioned, "Partitioned"}, {c.ThirdParty, "third-party"}} {
				if a.on {
					b.WriteString(", " + a.name)
				}
			}
		case it.Storage != nil:
			fmt.Fprintf(&b, "  %s  %sStorage of %s, %d bytes", esc(it.Storage.Key), it.Storage.Area, esc(it.Storage.Origin), it.Storage.ValueBytes)
		case it.Recorder != nil:
			color := "green"
			if it.Recorder.Unmasked {
				color = "red"
			}
			fmt.Fprintf(&b, "  session recorder %s  [%s]%s[-]", esc(it.Recorder.Recorder), color, esc(it.Recorder.Describe()))
		case it.Endpoint != nil:
			e := it.Endpoint
			name := e.Method + " " + it.Host + e.PathTemplate
			b.WriteString("  ")
			if news != nil && (news.vendors[v.Name] || news.endpoints[v.Name][name]) {
				b.WriteString("[yellow::b]NEW[-::-] ")
			}
			fmt.Fprintf(&b, "%s  %d requests", esc(name), e.Count)
			if len(e.Kinds) > 0 {
				fmt.Fprintf(&b, ", [red]PHI %s (%s)[-]", esc(strings.Join(e.Kinds, ",")), e.MaxSeverity)
			}
			if news != nil && len(news.kinds[v.Name][name]) > 0 {
				fmt.Fprintf(&b, ", [yellow::b]NEW PHI %s[-::-]", esc(strings.Join(news.kinds[v.Name][name], ",")))
			}
			if len(e.Keys) > 0 {
				fmt.Fprintf(&b, "\n    keys %s", esc(strings.Join(e.Keys, ", ")))
			}
			if e.Initiator != "" {
				fmt.Fprintf(&b, "\n    sent by %s", esc(e.Initiator))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// inventoryView is the open overlay: the vendor table, or one vendor's
// items. UI goroutine only.
type inventoryView struct {
	model   inventoryModel
	table   *tview.Table
	items   *tview.TextView
	showing bool // the items of a vendor are shown
}

// showInventory reads the inventory in the background and opens it.
func (a *App) showInventory() {
	a.say("reading the inventory…")
	st := a.opts.Store
	a.runJob(func(ctx context.Context) func() {
		ctx, cancel := context.WithTimeout(ctx, queryTimeout)
		defer cancel()
		m, err := loadInventoryModel(ctx, st, a.opts.Baseline)
		return func() {
			a.message = ""
			a.renderFooter()
			switch {
			case err != nil:
				a.showMessage("Inventory: " + singleLine(err.Error()))
			case m.run == 0:
				a.showMessage("No inventory recorded yet.")
			default:
				a.openInventory(m)
			}
		}
	})
}

func (a *App) openInventory(m inventoryModel) {
	t := tview.NewTable().SetSelectable(true, false).SetFixed(1, 1)
	t.SetBorder(true).SetTitle(fmt.Sprintf(" inventory of run %d: %d vendors (Enter: items, Esc: close) ", m.run, len(m.vendors)))
	t.SetSelectedStyle(tcell.StyleDefault.Reverse(true))
	columns := inventoryColumns
	if m.news != nil {
		columns = append(columns[:len(columns):len(columns)], "vs baseline")
	}
	for c, name := range columns {
		t.SetCell(0, c, tview.NewTableCell(name).SetAttributes(tcell.AttrBold).SetSelectable(false))
	}
	for r, v := range m.vendors {
		cells := vendorCells(v)
		if m.news != nil {
			cells = append(cells, m.news.summary(v.Name))
		}
		for c, s := range cells {
			cell := tview.NewTableCell(tview.Escape(s))
			if c == 0 {
				cell.SetExpansion(1)
			}
			t.SetCell(r+1, c, cell)
		}
	}
	view := &inventoryView{model: m, table: t}
	t.SetSelectedFunc(func(row, _ int) {
		if row < 1 || row > len(m.vendors) {
			return
		}
		v := m.vendors[row-1]
		view.items = tview.NewTextView().SetDynamicColors(true).SetWrap(true).SetScrollable(true).SetText(vendorItemsText(v, m.news))
		view.items.SetBorder(true).SetTitle(" " + tview.Escape(v.Name) + ": items (Esc: vendors) ")
		view.showing = true
		a.pages.AddPage(pageInventory, centered(view.items, 160, 50), true, true)
		a.app.SetFocus(view.items)
	})
	if len(m.vendors) > 0 {
		t.Select(1, 0)
	}
	a.inventory = view
	a.showOverlay(pageInventory, centered(t, 160, 50), t)
}

// inventoryBack goes from a vendor's items to the vendor table, or
// closes the view.
func (a *App) inventoryBack() {
	v := a.inventory
	if v != nil && v.showing {
		v.showing = false
		a.pages.AddPage(pageInventory, centered(v.table, 160, 50), true, true)
		a.app.SetFocus(v.table)
		return
	}
	a.inventory = nil
	a.pages.RemovePage(pageInventory)
	a.closeOverlay()
}
