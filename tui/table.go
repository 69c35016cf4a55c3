package tui

import (
	"context"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

// flowContent is the flows list as a virtual table: row 0 is the column
// titles, row i+1 is a.rows.at(i). Cells are made only for the rows on
// screen, so the list stays quick with 100,000 flows.
type flowContent struct {
	tview.TableContentReadOnly
	a     *App
	cols  []column
	width int // of the whole list, in cells
	// cells caches the cells made during one draw: tview asks for each
	// visible cell more than once (to size columns, then to draw).
	cells map[[2]int]*tview.TableCell
}

func (c *flowContent) GetRowCount() int    { return c.a.rows.len() + 1 }
func (c *flowContent) GetColumnCount() int { return len(c.cols) }

func (c *flowContent) GetCell(row, col int) *tview.TableCell {
	if col < 0 || col >= len(c.cols) {
		return nil
	}
	key := [2]int{row, col}
	if cell, ok := c.cells[key]; ok {
		return cell
	}
	cell := c.makeCell(row, col)
	if c.cells != nil {
		c.cells[key] = cell
	}
	return cell
}

func (c *flowContent) makeCell(row, col int) *tview.TableCell {
	if row == 0 {
		return tview.NewTableCell(c.cols[col].title).
			SetStyle(tcell.StyleDefault.Bold(true).Underline(true)).
			SetSelectable(false).
			SetMaxWidth(c.cols[col].width).
			SetExpansion(expansionOf(c.cols[col]))
	}
	r := c.a.rows.at(row - 1)
	if r == nil {
		return nil
	}
	ctx := rowContext{now: c.a.now(), redact: c.a.redact}
	if ctx.redact {
		ctx.masks = c.a.masksFor(row - 1)
	}
	text, style := c.cols[col].cell(r, ctx)
	// No column shows more runes than it has cells; cutting here spares
	// tview measuring long URLs on every draw.
	// One rune more than fits keeps tview's "…" on cut text.
	limit := c.cols[col].width
	if limit == 0 {
		limit = c.width
	}
	text = cutRunes(text, limit+1)
	return tview.NewTableCell(esc(text)).
		SetStyle(style).
		SetMaxWidth(c.cols[col].width).
		SetExpansion(expansionOf(c.cols[col]))
}

func expansionOf(c column) int {
	if c.width == 0 {
		return 1
	}
	return 0
}

// flowTable is a tview.Table that picks its columns from its width each
// time it is drawn, so resizes reflow the list.
type flowTable struct {
	*tview.Table
	content *flowContent
}

func newFlowTable(a *App) *flowTable {
	c := &flowContent{a: a}
	t := &flowTable{Table: tview.NewTable(), content: c}
	t.SetContent(c).
		SetFixed(1, 0).
		SetSelectable(true, false).
		SetSelectedStyle(tcell.StyleDefault.Reverse(true))
	t.SetSelectionChangedFunc(func(row, col int) { a.onSelectionChanged() })
	c.layout(80)
	return t
}

func (c *flowContent) layout(width int) {
	c.cols = columnsFor(width)
	c.width = width
}

// Draw lays out columns for the current width, then draws the table.
func (t *flowTable) Draw(screen tcell.Screen) {
	_, _, w, _ := t.GetInnerRect()
	t.content.layout(w)
	t.content.cells = map[[2]int]*tview.TableCell{}
	t.Table.Draw(screen)
	t.content.cells = nil // rows change between draws
}

// cutRunes returns the first n runes of s.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// masksBatch is how many rows' matched values one query loads while
// redacting.
const masksBatch = 128

// masksFor returns the matched values of row i to hide while redacting,
// loading them for a batch of rows around it when missing. It runs on the
// UI goroutine while drawing; a failed read hides the whole path instead.
func (a *App) masksFor(i int) maskSet {
	r := a.rows.at(i)
	if r == nil {
		return maskSet{}
	}
	if m, ok := a.masks[r.ID]; ok {
		return m
	}
	if len(a.masks) > 20_000 {
		a.masks = map[int64]maskSet{}
	}
	var ids []int64
	for j := max(0, i-masksBatch/4); j < a.rows.len() && len(ids) < masksBatch; j++ {
		row := a.rows.at(j)
		if _, ok := a.masks[row.ID]; !ok && row.Findings > 0 {
			ids = append(ids, row.ID)
		}
	}
	if r.Findings == 0 {
		a.masks[r.ID] = maskSet{}
		return maskSet{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	byFlow := map[int64][]phiproxy.Finding{}
	err := a.opts.Store.EachFinding(ctx, store.Filter{IDs: ids}, func(fr store.FindingRow) error {
		byFlow[fr.FlowID] = append(byFlow[fr.FlowID], phiproxy.Finding{Kind: fr.Kind, Value: fr.Value, Term: fr.Term})
		return nil
	})
	if err != nil {
		// Without the values, hide everything rather than risk showing one.
		return maskSet{all: true}
	}
	for _, id := range ids {
		a.masks[id] = newMaskSet(byFlow[id])
	}
	return a.masks[r.ID]
}
