package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

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
}

// loadInventoryModel reads the latest run's inventory.
func loadInventoryModel(ctx context.Context, st *store.Store) (inventoryModel, error) {
	run, err := st.LatestInventoryRun(ctx)
	if err != nil || run == 0 {
		return inventoryModel{}, err
	}
	rows, err := st.Inventory(ctx, run)
	if err != nil {
		return inventoryModel{}, err
	}
	return inventoryModel{run: run, vendors: inventory.ByVendor(inventory.Build(rows, inventory.Filter{}))}, nil
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
// scripts with their hashes, cookies, storage keys and endpoints.
func vendorItemsText(v inventory.Vendor) string {
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
			fmt.Fprintf(&b, "  %s %s%s  %d requests", e.Method, esc(it.Host), esc(e.PathTemplate), e.Count)
			if len(e.Kinds) > 0 {
				fmt.Fprintf(&b, ", [red]PHI %s (%s)[-]", esc(strings.Join(e.Kinds, ",")), e.MaxSeverity)
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
		m, err := loadInventoryModel(ctx, st)
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
	for c, name := range inventoryColumns {
		t.SetCell(0, c, tview.NewTableCell(name).SetAttributes(tcell.AttrBold).SetSelectable(false))
	}
	for r, v := range m.vendors {
		for c, s := range vendorCells(v) {
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
		view.items = tview.NewTextView().SetDynamicColors(true).SetWrap(true).SetScrollable(true).SetText(vendorItemsText(v))
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
