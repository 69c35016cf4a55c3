// Package pipeline carries captured flows from the proxy (or a recording)
// through classification into the store. Submit never blocks: a full queue
// drops inspection of that flow and counts it. A small worker pool
// classifies; one goroutine owns every write and batches them into
// transactions. Close drains everything accepted before it returns.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

// Config sets up a Pipeline. Zero values take the documented defaults.
type Config struct {
	Inspector phiproxy.Inspector // required
	Store     *store.Store       // required
	// RunID is the store run whose counters the pipeline updates; 0 = none.
	RunID int64
	// QueueSize bounds flows waiting for inspection; default 4096.
	QueueSize int
	// MaxBytes bounds the memory held by flows between Submit and their
	// commit, so a burst of large uploads cannot exhaust memory: the
	// captured bytes (bodies and WebSocket messages) from Submit on, and
	// from inspection on also the inspection's own result (findings with
	// their field text; see inspectionBytes). A flow that would exceed it
	// is dropped like one that finds the queue full; a worker whose result
	// would exceed it waits for the writer to commit what it holds.
	// Default DefaultMaxBytes.
	MaxBytes int64
	// Workers classify in parallel; default GOMAXPROCS.
	Workers int
	// StoreAll keeps flows without findings too; by default only flagged
	// flows are stored (all are counted).
	StoreAll bool
	// BatchSize and FlushInterval bound how long a record waits for its
	// transaction; defaults 256 and 100 ms.
	BatchSize     int
	FlushInterval time.Duration
	// RetryMin and RetryMax bound the wait between attempts to commit
	// records whose commit failed (a database locked by another process,
	// a full disk): it doubles from RetryMin up to RetryMax while the
	// failure lasts. Defaults 100 ms and 5 s.
	RetryMin, RetryMax time.Duration
	// MaxUnsaved caps the inspected records kept for another attempt
	// while commits fail; records beyond it are dropped, logged and
	// counted in Health().Lost. Their captured bytes count against
	// MaxBytes until then. Default 64 batches.
	MaxUnsaved int
	// GiveUpAfter bounds how long Close, from its call, lets the writer
	// retry a failing commit before what is left counts as lost; default
	// 1 minute.
	GiveUpAfter time.Duration
	// OnSaved, if set, is called by the writer goroutine after each commit
	// with the records just saved (IDs assigned). It must return quickly.
	OnSaved func([]store.Record)
	Logger  *slog.Logger
	// Inventory, if set, is shown every inspected flow, stored or not,
	// and drained at each commit; what it drains is saved with the run.
	Inventory Inventory
}

// Inventory aggregates what flows show a site loads and keeps (see
// package inventory). Observe is called from the workers concurrently.
type Inventory interface {
	Observe(f *phiproxy.Flow, in *phiproxy.Inspection)
	Drain() []store.InventoryRow
	// Unsaved gives back rows a failed write did not store.
	Unsaved([]store.InventoryRow)
}

// DefaultMaxBytes is Config.MaxBytes's default.
const DefaultMaxBytes = 128 << 20

// Pipeline is the running flow → inspection → store path.
type Pipeline struct {
	cfg     Config
	log     *slog.Logger
	queue   chan queued
	results chan held

	mu     sync.RWMutex // guards closed against Submit racing Close
	closed bool

	seen, inspected, flagged, dropped atomic.Int64
	heldBytes                         atomic.Int64
	// pending counts records handed to the writer and not yet committed;
	// roomMu and room let workers wait for the writer to release bytes.
	pending atomic.Int64
	roomMu  sync.Mutex
	room    *sync.Cond
	// saved* are the counters already written to the run row.
	savedStats phiproxy.Stats

	workers sync.WaitGroup
	writer  sync.WaitGroup
	// stop tells the writer to give up retrying: Close's wait ended.
	stop     chan struct{}
	stopOnce sync.Once

	// The writer's retry state, owned by the writer goroutine.
	unsaved batch // records whose commit failed, oldest first
	retryAt time.Time
	backoff time.Duration
	since   time.Time // first failure of the current streak

	// Health, readable from any goroutine.
	failing      atomic.Bool
	unsavedCount atomic.Int64
	writeErrs    atomic.Int64
	lost         atomic.Int64
	lastErr      atomic.Value // error
}

// WriteHealth says whether inspected flows reach the database.
type WriteHealth struct {
	// Failing is set from a failed commit until the next one succeeds.
	Failing bool
	// Unsaved is how many inspected records wait for a commit that
	// failed; they are retried with back-off.
	Unsaved int
	// FailedCommits counts failed commit attempts, retries included.
	FailedCommits int64
	// Lost counts inspected records given up: beyond MaxUnsaved while
	// commits failed, or still unsaved when Close gave up.
	Lost int64
	// LastErr is the last commit error; nil when none failed.
	LastErr error
}

// Health reports on the writer: safe for concurrent use.
func (p *Pipeline) Health() WriteHealth {
	err, _ := p.lastErr.Load().(error)
	return WriteHealth{Failing: p.failing.Load(), Unsaved: int(p.unsavedCount.Load()),
		FailedCommits: p.writeErrs.Load(), Lost: p.lost.Load(), LastErr: err}
}

// New starts a pipeline: workers and the writer run until Close.
func New(cfg Config) (*Pipeline, error) {
	if cfg.Inspector == nil || cfg.Store == nil {
		return nil, errors.New("pipeline: Inspector and Store are required")
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 4096
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 256
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = 100 * time.Millisecond
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = 100 * time.Millisecond
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(5*time.Second, cfg.RetryMin)
	}
	if cfg.MaxUnsaved <= 0 {
		cfg.MaxUnsaved = 64 * cfg.BatchSize
	}
	if cfg.GiveUpAfter <= 0 {
		cfg.GiveUpAfter = time.Minute
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Pipeline{
		cfg:     cfg,
		log:     log,
		queue:   make(chan queued, cfg.QueueSize),
		results: make(chan held, cfg.BatchSize),
		stop:    make(chan struct{}),
	}
	p.room = sync.NewCond(&p.roomMu)
	for i := 0; i < cfg.Workers; i++ {
		p.workers.Add(1)
		go p.work()
	}
	p.writer.Add(1)
	go p.write()
	return p, nil
}

// Submit hands a flow over for inspection and returns at once. It reports
// false when the flow was not accepted (queue full, or the pipeline is
// closing); the flow is then counted as dropped and never inspected. The
// caller must not modify f afterwards.
func (p *Pipeline) Submit(f *phiproxy.Flow) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	p.seen.Add(1)
	q := queued{f, flowBytes(f)}
	if p.closed || !p.hold(q.bytes) {
		p.dropped.Add(1)
		return false
	}
	select {
	case p.queue <- q:
		return true
	default:
		p.heldBytes.Add(-q.bytes)
		p.dropped.Add(1)
		return false
	}
}

// queued is a flow waiting for inspection with the bytes it holds in the
// budget, counted once at Submit.
type queued struct {
	f     *phiproxy.Flow
	bytes int64
}

// held is an inspected record on its way to the writer with the bytes it
// holds in the budget: its flow's and its inspection's, counted once by
// the worker and released when the writer is done with it.
type held struct {
	rec   store.Record
	bytes int64
}

// flowBytes is what a flow holds in captured payloads.
func flowBytes(f *phiproxy.Flow) int64 {
	n := int64(len(f.Request.Body))
	if f.Response != nil {
		n += int64(len(f.Response.Body))
	}
	for _, m := range f.WebSocket {
		n += int64(len(m.Data))
	}
	return n
}

// hold reserves n bytes in the budget; false when they do not fit.
func (p *Pipeline) hold(n int64) bool {
	if p.heldBytes.Add(n) > p.cfg.MaxBytes && n > 0 {
		p.heldBytes.Add(-n)
		return false
	}
	return true
}

// HeldBytes is the memory held by flows not yet committed, as counted
// against Config.MaxBytes.
func (p *Pipeline) HeldBytes() int64 { return p.heldBytes.Load() }

// SubmitWait hands a flow over, waiting for room in the queue: for
// recordings, where nothing is live to protect and every flow must be
// inspected. It fails only when ctx ends or the pipeline is closed.
func (p *Pipeline) SubmitWait(ctx context.Context, f *phiproxy.Flow) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return errors.New("pipeline: closed")
	}
	p.seen.Add(1)
	// Recordings wait for room in the queue, whose bound keeps their
	// memory in check; their bytes are counted but never refused.
	q := queued{f, flowBytes(f)}
	p.heldBytes.Add(q.bytes)
	select {
	case p.queue <- q:
		return nil
	case <-ctx.Done():
		p.heldBytes.Add(-q.bytes)
		p.dropped.Add(1)
		return ctx.Err()
	}
}

// Stats returns live counters.
func (p *Pipeline) Stats() phiproxy.Stats {
	return phiproxy.Stats{Seen: p.seen.Load(), Inspected: p.inspected.Load(), Flagged: p.flagged.Load(), Dropped: p.dropped.Load()}
}

// QueueDepth is the number of flows waiting for a worker.
func (p *Pipeline) QueueDepth() int { return len(p.queue) }

// QueueCap is the queue's capacity.
func (p *Pipeline) QueueCap() int { return cap(p.queue) }

// Close stops accepting flows, waits until every accepted flow is
// inspected and committed, and writes the final counters. A failing commit
// is retried for up to GiveUpAfter, or until ctx ends; it returns an error
// when records or counters could not be saved. ctx bounds the wait.
func (p *Pipeline) Close(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.queue)
	}
	p.mu.Unlock()
	done := make(chan struct{})
	go func() {
		p.workers.Wait()
		close(p.results)
		p.writer.Wait()
		close(done)
	}()
	// GiveUpAfter bounds the retries even when ctx does not (scan's
	// Close waits as long as inspection takes).
	giveUp := time.AfterFunc(p.cfg.GiveUpAfter, p.stopRetrying)
	defer giveUp.Stop()
	select {
	case <-done:
	case <-ctx.Done():
		p.stopRetrying()
		return fmt.Errorf("pipeline: drain: %w (%d flows still queued, %d unsaved)", ctx.Err(), len(p.queue), p.unsavedCount.Load())
	}
	if h := p.Health(); h.Lost > 0 || h.Failing {
		return fmt.Errorf("pipeline: %d inspected flows not saved after %d failed commits, last: %w", h.Lost, h.FailedCommits, h.LastErr)
	}
	return nil
}

func (p *Pipeline) work() {
	defer p.workers.Done()
	for q := range p.queue {
		f := q.f
		in := p.inspect(f)
		p.inspected.Add(1)
		if p.cfg.Inventory != nil {
			p.observe(f, &in)
		}
		if in.Flagged() {
			p.flagged.Add(1)
		} else if !p.cfg.StoreAll {
			p.heldBytes.Add(-q.bytes)
			continue
		}
		p.waitForRoom()
		n := inspectionBytes(&in)
		p.heldBytes.Add(n)
		p.pending.Add(1)
		p.results <- held{store.Record{Flow: f, Inspection: in}, q.bytes + n}
	}
}

// waitForRoom blocks while the budget is spent and the writer holds
// records whose commit will free some of it. With nothing pending it
// returns at once, so one flow larger than the whole budget still passes.
func (p *Pipeline) waitForRoom() {
	p.roomMu.Lock()
	defer p.roomMu.Unlock()
	for p.heldBytes.Load() > p.cfg.MaxBytes && p.pending.Load() > 0 {
		p.room.Wait()
	}
}

// findingOverhead approximates a finding's fixed cost: the struct and its
// slice slot, the string headers and allocation rounding.
const findingOverhead = 256

// inspectionBytes estimates the memory an inspection result holds: every
// finding's strings (a finding's field text is counted in full each time,
// an overestimate when several findings share one field) and notes.
func inspectionBytes(in *phiproxy.Inspection) int64 {
	n := int64(0)
	for i := range in.Findings {
		f := &in.Findings[i]
		n += findingOverhead + int64(len(f.Term)+len(f.Value)+len(f.Path)+len(f.Field)+len(f.Category))
	}
	for _, s := range in.Notes {
		n += int64(len(s)) + 16
	}
	return n
}

// inspect runs the inspector, turning a panic into a note so one hostile
// payload never takes the proxy down.
func (p *Pipeline) inspect(f *phiproxy.Flow) (in phiproxy.Inspection) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("inspection panicked", "url", f.Request.URL, "panic", r)
			in = phiproxy.Inspection{Notes: []string{fmt.Sprintf("inspection failed: %v", r)}}
		}
	}()
	return p.cfg.Inspector.Inspect(f)
}

func (p *Pipeline) write() {
	defer p.writer.Done()
	lowerWriterPriority()
	tick := time.NewTicker(p.cfg.FlushInterval)
	defer tick.Stop()
	b := batch{recs: make([]store.Record, 0, p.cfg.BatchSize), sizes: make([]int64, 0, p.cfg.BatchSize)}
	// A batch is also committed once it holds an eighth of the budget, so
	// that large flows free their bytes soon and workers waiting for room
	// do not wait for a whole batch.
	var batchBytes int64
	for {
		select {
		case h, ok := <-p.results:
			if !ok {
				p.flush(b)
				p.retryUntilSaved()
				return
			}
			b.recs, b.sizes = append(b.recs, h.rec), append(b.sizes, h.bytes)
			batchBytes += h.bytes
			if len(b.recs) >= p.cfg.BatchSize || batchBytes >= p.cfg.MaxBytes/8 {
				p.flush(b)
				b, batchBytes = b.slice(0, 0), 0
			}
		case <-tick.C:
			p.flush(b)
			b, batchBytes = b.slice(0, 0), 0
		}
	}
}

// batch is records for one commit with, index for index, the budget
// bytes each holds.
type batch struct {
	recs  []store.Record
	sizes []int64
}

func (b batch) slice(i, j int) batch { return batch{b.recs[i:j], b.sizes[i:j]} }

// flush commits the batch together with the counters that changed since
// the last commit, so the run row catches up at every commit and the final
// one matches the stored rows exactly.
//
// A failed commit keeps its records for another attempt, after a back-off
// that doubles while failures last: a database locked by another process
// (a long read, a backup) clears up, and nothing inspected is dropped
// unless the records waiting pass MaxUnsaved or Close stops waiting.
// Records that arrive while the writer waits join the ones waiting, in
// order. Records keep their bytes in the budget until they are committed
// or dropped.
func (p *Pipeline) flush(b batch) {
	if p.failing.Load() {
		p.keep(b)
		if time.Now().Before(p.retryAt) && !p.stopped() {
			return
		}
		b = p.unsaved
	}
	recs := b.recs
	p.saveInventory()
	now := p.Stats()
	delta := phiproxy.Stats{
		Seen:      now.Seen - p.savedStats.Seen,
		Inspected: now.Inspected - p.savedStats.Inspected,
		Flagged:   now.Flagged - p.savedStats.Flagged,
		Dropped:   now.Dropped - p.savedStats.Dropped,
	}
	if len(recs) == 0 && delta == (phiproxy.Stats{}) {
		return
	}
	err := p.cfg.Store.SaveBatch(context.Background(), p.cfg.RunID, recs, delta)
	if err != nil && !store.Rejected(err) {
		p.failed(b, err)
		return
	}
	if p.failing.Load() {
		p.log.Warn("database writes recovered", "records", len(recs), "failed_commits", p.writeErrs.Load(), "after", time.Since(p.since).Round(time.Millisecond))
		p.unsaved, p.backoff = batch{}, 0
		p.unsavedCount.Store(0)
		p.failing.Store(false)
	}
	if err != nil {
		// The database refused the records themselves (a constraint, a
		// value too big): written again they would fail again, and hold
		// up every record after them.
		p.writeErrs.Add(1)
		p.lastErr.Store(err)
		p.drop(b.sizes, "database refused inspected flows; dropping them")
		return
	}
	p.settle(b.sizes)
	p.savedStats = now
	if p.cfg.OnSaved != nil && len(recs) > 0 {
		out := make([]store.Record, len(recs))
		copy(out, recs)
		p.cfg.OnSaved(out)
	}
}

// settle releases the budget held by records the writer is done with,
// committed or dropped, given their sizes, and wakes workers waiting for
// room.
func (p *Pipeline) settle(sizes []int64) {
	if len(sizes) > 0 {
		var n int64
		for _, s := range sizes {
			n += s
		}
		p.heldBytes.Add(-n)
		p.pending.Add(-int64(len(sizes)))
		p.roomMu.Lock()
		p.room.Broadcast()
		p.roomMu.Unlock()
	}
}

// failed records a failed commit of batch and schedules the next attempt.
// Once Close has stopped waiting, what is left is given up instead.
func (p *Pipeline) failed(b batch, err error) {
	p.writeErrs.Add(1)
	p.lastErr.Store(err)
	if !p.failing.Load() {
		p.failing.Store(true)
		p.since = time.Now()
		p.keep(b)
		p.log.Error("database writes failing; keeping inspected flows to retry", "unsaved", len(p.unsaved.recs), "err", err)
	}
	p.backoff = min(max(2*p.backoff, p.cfg.RetryMin), p.cfg.RetryMax)
	p.retryAt = time.Now().Add(p.backoff)
	if p.stopped() {
		p.drop(p.unsaved.sizes, "database writes failed; giving up")
		p.unsaved = batch{}
		p.unsavedCount.Store(0)
	}
}

// keep adds records to those waiting for a commit, dropping, counting and
// logging the ones past MaxUnsaved.
//
// The count waiting is updated before the count lost, so that whoever
// sees the loss in Health also sees what was kept.
func (p *Pipeline) keep(b batch) {
	room := max(p.cfg.MaxUnsaved-len(p.unsaved.recs), 0)
	k := min(room, len(b.recs))
	p.unsaved.recs = append(p.unsaved.recs, b.recs[:k]...)
	p.unsaved.sizes = append(p.unsaved.sizes, b.sizes[:k]...)
	p.unsavedCount.Store(int64(len(p.unsaved.recs)))
	if over := b.sizes[k:]; len(over) > 0 {
		p.drop(over, "database writes failing: inspected flows dropped, too many waiting to be saved")
	}
}

// drop gives records up: their budget is released, they are counted in
// Lost, and the log says why. Nothing inspected is dropped silently.
func (p *Pipeline) drop(sizes []int64, why string) {
	p.settle(sizes)
	n := p.lost.Add(int64(len(sizes)))
	p.log.Error(why, "dropped", len(sizes), "lost_total", n, "err", p.lastErr.Load())
}

// stopRetrying tells the writer that Close waits no longer: a failing
// commit is then tried once more and its records given up.
func (p *Pipeline) stopRetrying() { p.stopOnce.Do(func() { close(p.stop) }) }

func (p *Pipeline) stopped() bool {
	select {
	case <-p.stop:
		return true
	default:
		return false
	}
}

// retryUntilSaved runs once no more records come: it keeps retrying a
// failing commit until it succeeds or Close stops waiting.
func (p *Pipeline) retryUntilSaved() {
	for p.failing.Load() && !p.stopped() {
		wait := time.NewTimer(time.Until(p.retryAt))
		select {
		case <-wait.C:
		case <-p.stop:
			wait.Stop()
		}
		p.flush(batch{})
	}
}
