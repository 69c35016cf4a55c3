// Package tui is phiproxy's terminal interface: a live list of captured
// flows that carry PHI, the detail of one flow (which field carried what,
// through which encodings, to whom), filters, redaction for screen
// sharing, export and copy-as-curl. It reads everything from a
// store.Store and is the only package that uses tview.
package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gdamore/tcell/v2"
	"github.com/rivo/tview"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/compare"
	"github.com/phiproxy/phiproxy/store"
)

// LiveStats is what a capturing run reports about itself.
type LiveStats struct {
	phiproxy.Stats
	// QueueDepth is how many flows wait for inspection, out of QueueCap.
	QueueDepth, QueueCap int
	// WriteErr is the database's error while writes to it fail; empty
	// when they work. Unsaved is how many inspected flows wait meanwhile
	// to be saved, Lost how many were given up.
	WriteErr string
	Unsaved  int
	Lost     int64
}

// Options configures an App. Store is required; every other field may be
// left zero.
type Options struct {
	// Store is the database the views read. Required.
	Store *store.Store
	// ReadOnly marks a review of a past session (`phiproxy view`): no
	// capture runs and the header says "review".
	ReadOnly bool
	// Listen is the proxy address shown in the header; empty in view mode.
	Listen string
	// CAFingerprint is the short CA fingerprint shown in the header.
	CAFingerprint string
	// DBPath is shown in the header; empty means the store's path.
	DBPath string
	// Live reports the running capture's counters. It is called from a
	// background goroutine about once a second and must be safe for
	// concurrent use. Nil (view mode) shows the stored counters instead.
	Live func() LiveStats
	// Fields decodes a flow into its leaf fields for the detail pane. It is
	// called on the UI goroutine when a flow is opened. Nil hides that
	// section.
	Fields func(*phiproxy.Flow) []phiproxy.Field
	// Export writes evidence for the flows f selects and returns where. It
	// runs on a background goroutine; ctx is cancelled when the App quits.
	// Nil makes `e` say that export is not available.
	Export func(ctx context.Context, f store.Filter) (path string, err error)
	// Screen is drawn on; nil means the real terminal. Tests pass
	// tcell.NewSimulationScreen. Run initialises and finalises it.
	Screen tcell.Screen
	// Now is the clock (for showing times); nil means time.Now.
	Now func() time.Time
	// Baseline, if set, is what the inventory view compares the latest
	// run with: new vendors, endpoints and PHI kinds are marked NEW.
	Baseline *compare.Snapshot
}

// Timing of background work.
const (
	// minRedraw spaces redraws caused by new data: at most ~20 a second.
	minRedraw = 50 * time.Millisecond
	// statsEvery refreshes the header counters while nothing is saved.
	statsEvery = time.Second
	// queryTimeout bounds one store read.
	queryTimeout = 10 * time.Second
	// stopWait bounds how long quitting waits for background work.
	stopWait = 3 * time.Second
)

// Overlay pages.
const (
	pageMain  = "main"
	pageHelp  = "help"
	pageModal = "modal"
)

// App is the terminal interface. Create it with New and call Run once.
type App struct {
	opts Options
	now  func() time.Time

	app     *tview.Application
	pages   *tview.Pages
	layout  *tview.Flex
	header  *tview.TextView
	table   *flowTable
	detail  *tview.TextView
	footer  *tview.TextView
	input   *tview.InputField
	overlay string // front overlay page, "" when none
	// screen is the one last drawn on (UI goroutine only).
	screen tcell.Screen
	// focusBack is focused again when an overlay or the input closes.
	focusBack tview.Primitive

	// State owned by the UI goroutine.
	rows       flowRows
	query      Query
	floor      phiproxy.Severity
	follow     bool
	paused     bool
	redact     bool
	detailOpen bool
	detailID   int64
	stats      LiveStats
	pendingNew int
	message    string
	masks      map[int64]maskSet
	inventory  *inventoryView // the open inventory overlay, nil when closed
	gen        int            // bumped on every filter or floor change
	applied    int            // loader updates applied, for watching the redraw rate
	loading    bool           // a reload for a new filter is under way

	// want is what the loader should show; shared under mu.
	mu   sync.Mutex
	want loadRequest
	// kick wakes the loader after want changed.
	kick chan struct{}
	// results carries UI changes from background jobs to the loader, the
	// only goroutine that queues updates.
	results chan func()

	bgCtx      context.Context
	bgCancel   context.CancelFunc
	loaderDone chan struct{}
	started    atomic.Bool
	quitOnce   sync.Once
	jobs       sync.WaitGroup
	ran        atomic.Bool
}

// loadRequest is a snapshot of what the list should hold.
type loadRequest struct {
	gen    int
	filter store.Filter
	paused bool
}

// New builds the views. It does not touch the terminal; Run does.
func New(opts Options) (*App, error) {
	if opts.Store == nil {
		return nil, errors.New("tui: Options.Store is required")
	}
	a := &App{
		opts:       opts,
		now:        opts.Now,
		follow:     true,
		loading:    true,
		masks:      map[int64]maskSet{},
		kick:       make(chan struct{}, 1),
		results:    make(chan func(), 16),
		loaderDone: make(chan struct{}),
	}
	if a.now == nil {
		a.now = time.Now
	}
	a.bgCtx, a.bgCancel = context.WithCancel(context.Background())
	a.want = loadRequest{filter: a.query.Filter(a.floor)}
	terminalColours.Do(useTerminalColours)
	a.build()
	return a, nil
}

// terminalColours sets tview's theme once per process: tview.Styles is a
// global that every running Application reads while it draws, so writing
// it again for a second App would race with the first one's drawing.
var terminalColours sync.Once

// useTerminalColours makes tview draw in the terminal's own foreground and
// background, so the interface reads on dark and light themes.
func useTerminalColours() {
	tview.Styles = tview.Theme{
		PrimitiveBackgroundColor:    tcell.ColorDefault,
		ContrastBackgroundColor:     tcell.ColorDefault,
		MoreContrastBackgroundColor: tcell.ColorDefault,
		BorderColor:                 tcell.ColorDefault,
		TitleColor:                  tcell.ColorDefault,
		GraphicsColor:               tcell.ColorDefault,
		PrimaryTextColor:            tcell.ColorDefault,
		SecondaryTextColor:          tcell.ColorTeal,
		TertiaryTextColor:           tcell.ColorGreen,
		InverseTextColor:            tcell.ColorDefault,
		ContrastSecondaryTextColor:  tcell.ColorTeal,
	}
}

func (a *App) build() {
	a.app = tview.NewApplication()
	a.header = tview.NewTextView().SetDynamicColors(true).SetWrap(false)
	a.table = newFlowTable(a)
	a.detail = tview.NewTextView().SetDynamicColors(true).SetWrap(true).SetScrollable(true)
	a.detail.SetBorder(true).SetTitle(" detail ")
	a.footer = tview.NewTextView().SetDynamicColors(true).SetWrap(false)
	a.input = tview.NewInputField().SetLabel("filter: ").
		SetPlaceholder("host:example.com vendor:meta kind:email sev:high text").
		SetFieldStyle(tcell.StyleDefault.Underline(true)).
		SetPlaceholderStyle(tcell.StyleDefault.Foreground(tcell.ColorTeal))
	a.input.SetDoneFunc(a.onFilterDone)

	a.layout = tview.NewFlex().SetDirection(tview.FlexRow)
	a.relayout()
	a.pages = tview.NewPages().AddPage(pageMain, a.layout, true, true)
	a.app.SetRoot(a.pages, true).SetFocus(a.table)
	a.app.SetInputCapture(a.onKey)
	a.app.SetAfterDrawFunc(func(screen tcell.Screen) {
		a.screen = screen
		// The first draw means the screen is up and the event loop runs:
		// only now may background work queue updates.
		if a.started.CompareAndSwap(false, true) {
			go a.loader(a.bgCtx)
		}
	})
	a.renderHeader()
	a.renderFooter()
}

// relayout arranges the panes: header, list, detail when open, then the
// footer or the filter input.
func (a *App) relayout() {
	a.layout.Clear()
	a.layout.AddItem(a.header, 3, 0, false)
	if a.detailOpen {
		a.layout.AddItem(a.table, 0, 1, true)
		a.layout.AddItem(a.detail, 0, 2, false)
	} else {
		a.layout.AddItem(a.table, 0, 1, true)
	}
	if a.app.GetFocus() == a.input {
		a.layout.AddItem(a.input, 1, 0, false)
	} else {
		a.layout.AddItem(a.footer, 1, 0, false)
	}
}

// Run shows the interface until `q`, Ctrl-C or ctx is done, then restores
// the terminal. It returns nil on a normal quit and the terminal's error
// otherwise. Run may be called once.
func (a *App) Run(ctx context.Context) error {
	if !a.ran.CompareAndSwap(false, true) {
		return errors.New("tui: Run called twice")
	}
	defer a.bgCancel()
	if err := ctx.Err(); err != nil {
		return nil
	}
	if a.opts.Screen != nil {
		a.app.SetScreen(a.opts.Screen)
	}
	watchDone := make(chan struct{})
	defer close(watchDone)
	go func() {
		select {
		case <-ctx.Done():
			a.quit()
		case <-watchDone:
		}
	}()
	err := a.app.Run()
	a.bgCancel()
	// Background work saw the cancel; give it a bounded moment so that an
	// export does not outlive the store the caller closes next.
	idle := make(chan struct{})
	go func() {
		if a.started.Load() {
			<-a.loaderDone
		}
		a.jobs.Wait()
		close(idle)
	}()
	select {
	case <-idle:
	case <-time.After(stopWait):
	}
	if err != nil {
		return fmt.Errorf("terminal: %w", err)
	}
	return nil
}

// quit stops background work, waits (bounded) for it to finish so that
// nothing queues an update into a stopped event loop, then stops the
// application. It may be called from any goroutine.
func (a *App) quit() {
	a.quitOnce.Do(func() {
		a.bgCancel()
		go func() {
			if a.started.Load() {
				select {
				case <-a.loaderDone:
				case <-time.After(stopWait):
				}
			}
			a.app.Stop()
		}()
	})
}

// loader runs off the UI goroutine: it waits for store change signals, a
// ticker and requests from the UI, reads new rows and counters, and hands
// them to the UI goroutine in one QueueUpdateDraw, at most once per
// minRedraw.
func (a *App) loader(ctx context.Context) {
	defer close(a.loaderDone)
	changes, unsubscribe := a.opts.Store.Subscribe()
	defer unsubscribe()
	tick := time.NewTicker(statsEvery)
	defer tick.Stop()
	compactor := newRowCompactor()
	loadedGen, lastID := -1, int64(0)
	dirty, first := true, true
	var lastDraw time.Time
	for {
		var jobs []func()
		if !first {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-changes:
				if !ok {
					changes = nil // store closed; keep serving the UI
				}
				dirty = true
			case <-a.kick:
				dirty = true
			case fn := <-a.results:
				jobs = append(jobs, fn)
			case <-tick.C:
				// A review may watch a database another process writes;
				// its commits send no signal here.
				dirty = dirty || a.opts.ReadOnly
			}
		}
		first = false
		if wait := minRedraw - time.Since(lastDraw); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		for more := true; more; {
			select {
			case fn := <-a.results:
				jobs = append(jobs, fn)
			default:
				more = false
			}
		}

		a.mu.Lock()
		want := a.want
		a.mu.Unlock()
		u := listUpdate{gen: want.gen}
		qctx, cancel := context.WithTimeout(ctx, queryTimeout)
		var err error
		switch {
		case want.gen != loadedGen:
			u.full = true
			u.rows, err = a.opts.Store.Flows(qctx, want.filter)
			if err == nil {
				loadedGen, lastID = want.gen, lastIDOf(u.rows, 0)
			}
		case dirty && !want.paused:
			f := want.filter
			f.AfterID = lastID
			u.rows, err = a.opts.Store.Flows(qctx, f)
			lastID = lastIDOf(u.rows, lastID)
		case want.paused:
			f := want.filter
			f.AfterID = lastID
			u.pending, err = a.opts.Store.CountFlows(qctx, f)
		}
		u.err = err
		u.stats, u.statsErr = a.readStats(qctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		compactor.compact(u.rows)
		if u.full && cap(u.rows) > len(u.rows)+len(u.rows)/8 {
			// Drop the slack the driver's appends left; the list keeps
			// this array for as long as the filter stays.
			u.rows = append(make([]store.FlowSummary, 0, len(u.rows)), u.rows...)
		}
		if err == nil {
			dirty = false
		}
		a.app.QueueUpdateDraw(func() {
			a.apply(u)
			for _, fn := range jobs {
				fn()
			}
		})
		lastDraw = time.Now()
	}
}

func lastIDOf(rows []store.FlowSummary, def int64) int64 {
	if len(rows) == 0 {
		return def
	}
	return rows[len(rows)-1].ID
}

func (a *App) readStats(ctx context.Context) (LiveStats, error) {
	if a.opts.Live != nil {
		return a.opts.Live(), nil
	}
	st, err := a.opts.Store.Stats(ctx)
	return LiveStats{Stats: st}, err
}

// listUpdate is one batch of work from the loader for the UI goroutine.
type listUpdate struct {
	gen     int
	full    bool // rows replace the list
	rows    []store.FlowSummary
	pending int   // rows waiting while paused
	err     error // reading rows failed; rows are not to be applied
	stats   LiveStats
	// statsErr is set when the counters could not be read; stats is then
	// not to be shown.
	statsErr error
}

// apply runs on the UI goroutine.
func (a *App) apply(u listUpdate) {
	a.applied++
	if err := errors.Join(u.err, u.statsErr); err != nil {
		a.message = "[red]read database: " + esc(err.Error()) + "[-]"
	}
	if u.statsErr == nil {
		a.stats = u.stats
	}
	if u.gen == a.gen {
		selected := a.selectedID()
		switch {
		case u.err != nil:
			// Keep what is shown; the loader retries on its next tick.
		case u.full:
			a.loading = false
			a.rows.reset(u.rows)
			a.pendingNew = 0
			a.restoreSelection(selected)
		case len(u.rows) > 0:
			a.rows.appendNew(u.rows)
			if a.follow {
				a.selectRow(a.rows.len() - 1)
			} else {
				// Stay where the user is: tview would otherwise keep
				// tracking the end once the list had fitted the screen.
				offset, _ := a.table.GetOffset()
				a.table.SetOffset(offset, 0)
			}
		}
		if a.paused {
			a.pendingNew = u.pending
		}
	}
	a.renderHeader()
	a.renderFooter()
}

// restoreSelection selects the newest row when following, else the row
// with this ID or the nearest one after a reload.
func (a *App) restoreSelection(id int64) {
	if a.rows.len() == 0 {
		a.table.Select(1, 0)
		return
	}
	if a.follow || id == 0 {
		a.selectRow(a.rows.len() - 1)
		return
	}
	i, _ := a.rows.indexOf(id)
	a.selectRow(min(i, a.rows.len()-1))
}

func (a *App) selectRow(i int) {
	if i < 0 {
		return
	}
	a.table.Select(i+1, 0)
}

// selectedID is the flow under the cursor, 0 when none.
func (a *App) selectedID() int64 {
	row, _ := a.table.GetSelection()
	if r := a.rows.at(row - 1); r != nil {
		return r.ID
	}
	return 0
}

func (a *App) selected() *store.FlowSummary {
	row, _ := a.table.GetSelection()
	return a.rows.at(row - 1)
}

// requestLoad tells the loader that the filter or floor changed.
func (a *App) requestLoad() {
	a.gen++
	a.loading = true
	a.masks = map[int64]maskSet{}
	a.mu.Lock()
	a.want = loadRequest{gen: a.gen, filter: a.query.Filter(a.floor), paused: a.paused}
	a.mu.Unlock()
	a.poke()
}

func (a *App) poke() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

func (a *App) setPaused(p bool) {
	a.paused = p
	a.pendingNew = 0
	a.mu.Lock()
	a.want.paused = p
	a.mu.Unlock()
	a.poke()
}

// runJob runs fn off the UI goroutine; the func it returns is applied on
// the UI goroutine by the loader.
func (a *App) runJob(fn func(ctx context.Context) func()) {
	a.jobs.Add(1)
	go func() {
		defer a.jobs.Done()
		apply := fn(a.bgCtx)
		select {
		case a.results <- apply:
		case <-a.bgCtx.Done():
		}
		a.poke()
	}()
}

func (a *App) renderHeader() {
	var b strings.Builder
	db := a.opts.DBPath
	if db == "" {
		db = a.opts.Store.Path()
	}
	if a.opts.ReadOnly {
		fmt.Fprintf(&b, "[::b]phiproxy[::-] [teal]review[-]  [teal]db[-] %s\n", esc(db))
	} else {
		ca := a.opts.CAFingerprint
		if len(ca) > 23 {
			ca = ca[:23] + "…"
		}
		fmt.Fprintf(&b, "[::b]phiproxy[::-] [green]live[-] %s  [teal]CA[-] %s  [teal]db[-] %s\n",
			esc(orDash(a.opts.Listen)), esc(orDash(ca)), esc(db))
	}
	st := a.stats
	fmt.Fprintf(&b, "[teal]seen[-] %d  [teal]inspected[-] %d  [teal]flagged[-] [::b]%d[::-]  [teal]not inspected[-] %d",
		st.Seen, st.Inspected, st.Flagged, st.Dropped)
	if st.Dropped > 0 {
		b.WriteString(" [red]![-]")
	}
	if st.QueueCap > 0 {
		fmt.Fprintf(&b, "  [teal]queue[-] %d/%d", st.QueueDepth, st.QueueCap)
	}
	if st.Lost > 0 {
		fmt.Fprintf(&b, "  [red]not saved[-] %d [red]![-]", st.Lost)
	}
	b.WriteByte('\n')
	// Indicators lead the last line so a narrow screen never cuts them.
	if st.WriteErr != "" {
		// An error's end says what went wrong ("database is locked");
		// its start is the context a narrow header can spare.
		msg := []rune(st.WriteErr)
		if len(msg) > 48 {
			msg = append([]rune("…"), msg[len(msg)-47:]...)
		}
		fmt.Fprintf(&b, "[red::b]DB WRITES FAILING[-:-:-] %d unsaved: %s  ", st.Unsaved, esc(string(msg)))
	}
	if a.follow {
		b.WriteString("[green::b]FOLLOW[-:-:-]  ")
	}
	if a.paused {
		fmt.Fprintf(&b, "[red::b]PAUSED[-:-:-] +%d  ", a.pendingNew)
	}
	if a.redact {
		b.WriteString("[purple::b]REDACTED[-:-:-]  ")
	}
	q := a.query.String()
	if q == "" {
		q = "none"
	}
	if a.loading {
		b.WriteString("[olive]loading…[-]  ")
	}
	fmt.Fprintf(&b, "[teal]showing[-] %d  [teal]floor[-] %s≥%s[-:-:-]  [teal]filter[-] %s",
		a.rows.len(), severityTag(a.floor), a.floor, esc(q))
	a.header.SetText(b.String())
}

const keyHints = "[::b]?[::-] help [::b]/[::-] filter [::b]s[::-] severity [::b]f[::-] follow [::b]p[::-] pause [::b]r[::-] redact [::b]e[::-] export [::b]y[::-] curl [::b]q[::-] quit"

func (a *App) renderFooter() {
	if a.message != "" {
		a.footer.SetText(a.message)
		return
	}
	a.footer.SetText(keyHints)
}

// say shows a one-line message in the footer until the next key.
func (a *App) say(msg string) {
	a.message = msg
	a.renderFooter()
}
