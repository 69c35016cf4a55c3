package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/phiproxy/phiproxy/store"
)

// keyHelp lists every key; the help overlay shows it.
var keyHelp = [][2]string{
	{"↑ ↓  j k", "move in the list (moving up stops follow)"},
	{"PgUp PgDn  g G", "page, first, last"},
	{"Enter", "open the detail of the selected flow"},
	{"Tab", "switch between list and detail"},
	{"Esc", "close the detail (or this help)"},
	{"/", "filter: host:… vendor:… kind:… sev:… and free text; Enter applies, Esc clears"},
	{"s", "cycle the severity floor: info → low → medium → high → critical"},
	{"f", "follow the newest flow on/off"},
	{"p", "pause display updates (capture and counts go on)"},
	{"r", "redact values on screen on/off"},
	{"e", "export the selected flow or the filtered set"},
	{"y", "copy the selected request as a curl command"},
	{"i", "inventory: each vendor's scripts, cookies, storage and endpoints; Enter opens a vendor"},
	{"?", "this help"},
	{"q  Ctrl-C", "quit"},
}

// onKey sees every key first. Keys meant for the filter input, the help
// or a modal go there; the rest are the commands of keyHelp.
func (a *App) onKey(ev *tcell.EventKey) *tcell.EventKey {
	if ev.Key() == tcell.KeyCtrlC {
		a.quit()
		return nil
	}
	switch a.overlay {
	case pageHelp:
		switch {
		case ev.Key() == tcell.KeyEscape, ev.Key() == tcell.KeyEnter, ev.Key() == tcell.KeyRune && (ev.Rune() == '?' || ev.Rune() == 'q'):
			a.closeOverlay()
			return nil
		}
		return ev // scrolling the help
	case pageModal:
		if ev.Key() == tcell.KeyEscape {
			a.closeOverlay()
			return nil
		}
		return ev
	case pageInventory:
		switch {
		case ev.Key() == tcell.KeyEscape, ev.Key() == tcell.KeyRune && (ev.Rune() == 'i' || ev.Rune() == 'q'):
			a.inventoryBack()
			return nil
		}
		return ev
	}
	focus := a.app.GetFocus()
	if focus == a.input {
		return ev
	}
	a.message = ""
	a.renderFooter()
	switch ev.Key() {
	case tcell.KeyTab, tcell.KeyBacktab:
		if a.detailOpen {
			if focus == a.detail {
				a.app.SetFocus(a.table)
			} else {
				a.app.SetFocus(a.detail)
			}
			a.markFocus()
		}
		return nil
	case tcell.KeyEscape:
		if a.detailOpen {
			a.closeDetail()
		}
		return nil
	case tcell.KeyEnter:
		if focus == a.table {
			a.openDetail()
			return nil
		}
	case tcell.KeyUp, tcell.KeyPgUp, tcell.KeyHome:
		if focus == a.table {
			a.setFollow(false)
		}
	case tcell.KeyRune:
		switch ev.Rune() {
		case 'q':
			a.quit()
			return nil
		case '?':
			a.showHelp()
			return nil
		case '/':
			a.openFilter()
			return nil
		case 's':
			a.floor = nextSeverity(a.floor)
			a.query.HasSeverity = false
			a.requestLoad()
			a.renderHeader()
			return nil
		case 'f':
			a.setFollow(!a.follow)
			if a.follow {
				a.selectRow(a.rows.len() - 1)
			}
			return nil
		case 'p':
			a.setPaused(!a.paused)
			a.renderHeader()
			return nil
		case 'r':
			a.redact = !a.redact
			a.masks = map[int64]maskSet{}
			a.renderHeader()
			a.refreshDetail()
			return nil
		case 'e':
			a.showExport()
			return nil
		case 'y':
			a.showCurl()
			return nil
		case 'i':
			a.showInventory()
			return nil
		case 'k', 'g':
			if focus == a.table {
				a.setFollow(false)
			}
		}
	}
	return ev
}

func (a *App) setFollow(on bool) {
	if a.follow == on {
		return
	}
	a.follow = on
	a.renderHeader()
}

// onSelectionChanged keeps an open detail pane on the selected flow.
func (a *App) onSelectionChanged() {
	if a.detailOpen && a.selectedID() != a.detailID {
		a.refreshDetail()
	}
}

func (a *App) openDetail() {
	if a.selected() == nil {
		a.say("no flow selected")
		return
	}
	if !a.detailOpen {
		a.detailOpen = true
		a.relayout()
	}
	a.refreshDetail()
	a.app.SetFocus(a.detail)
	a.markFocus()
}

func (a *App) closeDetail() {
	a.detailOpen = false
	a.detailID = 0
	a.relayout()
	a.app.SetFocus(a.table)
	a.markFocus()
}

// markFocus titles the pane that has the keys.
func (a *App) markFocus() {
	if a.app.GetFocus() == a.detail {
		a.detail.SetTitle(" detail (Tab: list, Esc: close) ").SetBorderColor(tcell.ColorTeal)
	} else {
		a.detail.SetTitle(" detail (Tab: focus) ").SetBorderColor(tcell.ColorDefault)
	}
}

// refreshDetail reads the selected flow and renders it. The read is one
// indexed lookup, done on the UI goroutine with a timeout.
func (a *App) refreshDetail() {
	if !a.detailOpen {
		return
	}
	sel := a.selected()
	if sel == nil {
		a.detailID = 0
		a.detail.SetText("no flow selected")
		return
	}
	a.detailID = sel.ID
	d, err := a.loadFlow(sel.ID)
	if err != nil {
		a.detail.SetText("[red]" + esc(err.Error()) + "[-]")
		return
	}
	v := detailView{d: d, redact: a.redact, showFields: a.opts.Fields != nil}
	if v.showFields {
		v.fields = a.opts.Fields(&d.Flow)
	}
	a.detail.SetText(v.render()).ScrollToBeginning()
}

func (a *App) loadFlow(id int64) (*store.FlowDetail, error) {
	ctx, cancel := context.WithTimeout(a.bgCtx, queryTimeout)
	defer cancel()
	d, err := a.opts.Store.Flow(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read flow %d: %w", id, err)
	}
	return d, nil
}

// openFilter swaps the footer for the filter input, holding the current
// filter for editing.
func (a *App) openFilter() {
	a.focusBack = a.app.GetFocus()
	a.input.SetText(a.query.String())
	a.app.SetFocus(a.input)
	a.relayout()
}

// onFilterDone applies the filter on Enter and clears it on Esc.
func (a *App) onFilterDone(key tcell.Key) {
	switch key {
	case tcell.KeyEnter:
		q, err := ParseQuery(a.input.GetText())
		if err != nil {
			a.closeFilter()
			a.say("[red]filter: " + esc(err.Error()) + "[-]")
			return
		}
		a.setQuery(q)
	case tcell.KeyEscape:
		a.setQuery(Query{})
	default:
		return
	}
	a.closeFilter()
}

func (a *App) closeFilter() {
	back := a.focusBack
	if back == nil || (back == a.detail && !a.detailOpen) {
		back = a.table
	}
	a.app.SetFocus(back)
	a.relayout()
}

func (a *App) setQuery(q Query) {
	a.query = q
	if q.HasSeverity {
		a.floor = q.Severity
	}
	a.requestLoad()
	a.renderHeader()
}

func (a *App) showHelp() {
	var b strings.Builder
	for _, kv := range keyHelp {
		fmt.Fprintf(&b, "[::b]%-16s[::-] %s\n", tview.Escape(kv[0]), tview.Escape(kv[1]))
	}
	b.WriteString("\nSeverity colours: [red::b]critical[-:-:-] [red]high[-] [olive]medium[-] [teal]low[-] info")
	tv := tview.NewTextView().SetDynamicColors(true).SetWrap(true).SetText(b.String())
	tv.SetBorder(true).SetTitle(" keys (Esc closes) ")
	a.showOverlay(pageHelp, centered(tv, 86, 22), tv)
}

func (a *App) showOverlay(name string, p tview.Primitive, focus tview.Primitive) {
	if a.overlay == "" {
		a.focusBack = a.app.GetFocus()
	}
	a.pages.RemovePage(pageHelp).RemovePage(pageModal).RemovePage(pageInventory)
	a.pages.AddPage(name, p, true, true)
	a.overlay = name
	a.app.SetFocus(focus)
}

func (a *App) closeOverlay() {
	a.pages.RemovePage(pageHelp).RemovePage(pageModal).RemovePage(pageInventory)
	a.overlay = ""
	back := a.focusBack
	if back == nil || back == a.input || (back == a.detail && !a.detailOpen) {
		back = a.table
	}
	a.app.SetFocus(back)
}

// centered shows p in the middle of the screen, at most w by h cells and
// never larger than the screen less a margin.
func centered(p tview.Primitive, w, h int) tview.Primitive {
	return &overlayBox{Primitive: p, maxW: w, maxH: h}
}

type overlayBox struct {
	tview.Primitive
	maxW, maxH int
}

// Draw places the overlay for the current screen size, then draws it.
func (o *overlayBox) Draw(screen tcell.Screen) {
	sw, sh := screen.Size()
	w, h := max(min(o.maxW, sw-2), 1), max(min(o.maxH, sh-2), 1)
	o.Primitive.SetRect((sw-w)/2, (sh-h)/2, w, h)
	o.Primitive.Draw(screen)
}

// showMessage opens a modal with text and one OK button.
func (a *App) showMessage(text string) {
	m := tview.NewModal().SetText(text).AddButtons([]string{"OK"}).
		SetDoneFunc(func(int, string) { a.closeOverlay() })
	styleModal(m)
	a.showOverlay(pageModal, m, m)
}

func styleModal(m *tview.Modal) {
	m.SetBackgroundColor(tcell.ColorDefault)
	m.SetTextColor(tcell.ColorDefault)
	m.SetButtonStyle(tcell.StyleDefault.Reverse(true))
	m.SetButtonActivatedStyle(tcell.StyleDefault.Reverse(true).Bold(true).Underline(true))
	m.SetBorder(true)
}

// showExport asks whether to export the selected flow or the filtered set.
func (a *App) showExport() {
	if a.opts.Export == nil {
		a.showMessage("Export is not available in this build.")
		return
	}
	filter := a.query.Filter(a.floor)
	sel := a.selected()
	buttons := []string{fmt.Sprintf("Filtered set (%d)", a.rows.len()), "Cancel"}
	if sel != nil {
		buttons = append([]string{fmt.Sprintf("Selected flow #%d", sel.ID)}, buttons...)
	}
	m := tview.NewModal().SetText("Export evidence for…").AddButtons(buttons)
	m.SetDoneFunc(func(_ int, label string) {
		a.closeOverlay()
		var f store.Filter
		switch {
		case strings.HasPrefix(label, "Selected") && sel != nil:
			f = store.Filter{IDs: []int64{sel.ID}}
		case strings.HasPrefix(label, "Filtered"):
			f = filter
		default:
			return
		}
		a.say("exporting…")
		export := a.opts.Export
		a.runJob(func(ctx context.Context) func() {
			path, err := export(ctx, f)
			return func() {
				a.message = ""
				a.renderFooter()
				if err != nil {
					a.showMessage("Export failed: " + singleLine(err.Error()))
					return
				}
				a.showMessage("Exported to " + singleLine(path))
			}
		})
	})
	styleModal(m)
	a.showOverlay(pageModal, m, m)
}

// showCurl copies the selected request as a curl command (OSC 52 on
// terminals that allow it) and shows it so it can be selected by hand.
func (a *App) showCurl() {
	sel := a.selected()
	if sel == nil {
		a.say("no flow selected")
		return
	}
	d, err := a.loadFlow(sel.ID)
	if err != nil {
		a.say("[red]" + esc(err.Error()) + "[-]")
		return
	}
	cmd := curlCommand(&d.Flow.Request)
	a.copyToClipboard(cmd)
	title := " curl: copied where the terminal allows; Esc closes "
	shown := cmd
	if a.redact {
		shown = curlCommand(redactedRequest(&d.Flow.Request, newMaskSet(d.Inspection.Findings)))
		title = " curl, redacted here; the clipboard has it whole; Esc closes "
	}
	tv := tview.NewTextView().SetWrap(true).SetText(printable(shown, true))
	tv.SetBorder(true).SetTitle(title)
	a.showOverlay(pageModal, centered(tv, 120, strings.Count(shown, "\n")+4), tv)
}

func (a *App) copyToClipboard(s string) {
	if a.screen != nil {
		a.screen.SetClipboard([]byte(s))
	}
}
