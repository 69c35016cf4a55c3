package tui

import (
	"strings"
	"time"

	"github.com/gdamore/tcell/v2"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

func partyOf(s string) phiproxy.Party { return phiproxy.Party(s) }

// severityStyle colours a severity with named terminal colours that read on
// dark and light backgrounds alike.
func severityStyle(s phiproxy.Severity) tcell.Style {
	st := tcell.StyleDefault
	switch s {
	case phiproxy.Critical:
		return st.Foreground(tcell.ColorRed).Bold(true)
	case phiproxy.High:
		return st.Foreground(tcell.ColorRed)
	case phiproxy.Medium:
		return st.Foreground(tcell.ColorOlive)
	case phiproxy.Low:
		return st.Foreground(tcell.ColorTeal)
	}
	return st
}

// severityTag is severityStyle as a tview colour tag.
func severityTag(s phiproxy.Severity) string {
	switch s {
	case phiproxy.Critical:
		return "[red::b]"
	case phiproxy.High:
		return "[red]"
	case phiproxy.Medium:
		return "[olive]"
	case phiproxy.Low:
		return "[teal]"
	}
	return ""
}

// rowContext is what drawing a row needs besides the row.
type rowContext struct {
	now    time.Time
	redact bool
	// masks hides known values of this row's findings while redacting.
	masks maskSet
}

// column is one column of the flows list.
type column struct {
	title string
	// width is the most screen cells the column takes; 0 means it takes
	// what the others leave.
	width int
	cell  func(r *store.FlowSummary, c rowContext) (string, tcell.Style)
}

var (
	colTime = column{"TIME", 8, func(r *store.FlowSummary, c rowContext) (string, tcell.Style) {
		return formatRowTime(r.Start, c.now), tcell.StyleDefault
	}}
	colSeverity = column{"SEV", 8, func(r *store.FlowSummary, c rowContext) (string, tcell.Style) {
		if r.Findings == 0 {
			return "-", tcell.StyleDefault
		}
		return r.Severity.String(), severityStyle(r.Severity)
	}}
	colMethod = column{"METHOD", 6, func(r *store.FlowSummary, c rowContext) (string, tcell.Style) {
		return r.Method, tcell.StyleDefault
	}}
	colVendor = column{"VENDOR", 18, func(r *store.FlowSummary, c rowContext) (string, tcell.Style) {
		return r.Vendor, tcell.StyleDefault
	}}
	colParty = column{"PARTY", 7, func(r *store.FlowSummary, c rowContext) (string, tcell.Style) {
		st := tcell.StyleDefault
		if r.Party == phiproxy.ThirdParty {
			st = st.Foreground(tcell.ColorPurple)
		}
		return string(r.Party), st
	}}
	colPath = column{"PATH", 0, func(r *store.FlowSummary, c rowContext) (string, tcell.Style) {
		if r.Error != "" && r.Status == 0 {
			msg := r.Error
			if c.redact {
				msg = c.masks.apply(msg)
			}
			return shortPath(r.URL, c) + "  ! " + msg, tcell.StyleDefault
		}
		return shortPath(r.URL, c), tcell.StyleDefault
	}}
	colKinds = column{"KINDS", 24, func(r *store.FlowSummary, c rowContext) (string, tcell.Style) {
		return strings.ReplaceAll(r.Kinds, ",", ", "), tcell.StyleDefault
	}}
)

func hostColumn(width int) column {
	return column{"HOST", width, func(r *store.FlowSummary, c rowContext) (string, tcell.Style) {
		return r.Host, tcell.StyleDefault
	}}
}

// columnsFor picks the columns that fit a list this many cells wide:
// vendor and then party are dropped first on narrow screens. The path
// comes last and takes what remains.
func columnsFor(width int) []column {
	switch {
	case width >= 150:
		return []column{colTime, colSeverity, colMethod, hostColumn(32), colVendor, colParty, colKinds, colPath}
	case width >= 115:
		return []column{colTime, colSeverity, colMethod, hostColumn(28), colVendor, colKinds, colPath}
	case width >= 60:
		k := colKinds
		k.width = 14
		return []column{colTime, colSeverity, colMethod, hostColumn(20), k, colPath}
	default:
		return []column{colTime, colSeverity, hostColumn(18), colPath}
	}
}

// formatRowTime shows the clock time for today's flows and the date too
// for older ones (a review of a past session).
func formatRowTime(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	t = t.Local()
	n := now.Local()
	if t.Year() == n.Year() && t.YearDay() == n.YearDay() {
		return t.Format("15:04:05")
	}
	return t.Format("01-02 15:04")
}

// shortPath is the path and query of a URL without scheme and host,
// cleaned for one line and redacted when asked.
func shortPath(raw string, c rowContext) string {
	p := raw
	if i := strings.Index(p, "://"); i >= 0 {
		p = p[i+3:]
		if j := strings.IndexAny(p, "/?#"); j >= 0 {
			p = p[j:]
		} else {
			p = "/"
		}
	}
	if c.redact {
		p = redactURL(p, c.masks)
	}
	return singleLine(p)
}
