package crawl

import (
	"context"
	"sync"
	"time"

	"github.com/chromedp/cdproto/network"
)

// netWatch counts the tab's requests in flight from the browser's network
// events, so the crawler can wait until a page has stopped talking: the
// trackers that leak typically fire after the load event, and a form's
// beacon after the click that submits it.
type netWatch struct {
	// staleAfter is how long a request may stay in flight before it no
	// longer holds the page open (long polls, server-sent events, hung
	// beacons); waits are bounded anyway, this keeps them short.
	staleAfter time.Duration
	now        func() time.Time

	mu       sync.Mutex
	inflight map[network.RequestID]time.Time // start time
	last     time.Time                       // last network event
}

func newNetWatch(staleAfter time.Duration) *netWatch {
	return &netWatch{staleAfter: staleAfter, now: time.Now, inflight: map[network.RequestID]time.Time{}, last: time.Now()}
}

// event is given every event of the tab, in order, from the tab's
// reading loop (chromedp.Listen): it must return fast.
func (w *netWatch) event(ev any) {
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		w.mu.Lock()
		// A redirect reuses the request ID; the request stays in flight
		// and its start time is kept.
		if _, ok := w.inflight[ev.RequestID]; !ok {
			w.inflight[ev.RequestID] = w.now()
		}
		w.last = w.now()
		w.mu.Unlock()
	case *network.EventLoadingFinished:
		w.done(ev.RequestID)
	case *network.EventLoadingFailed:
		w.done(ev.RequestID)
	case *network.EventResponseReceived, *network.EventDataReceived:
		w.mu.Lock()
		w.last = w.now()
		w.mu.Unlock()
	}
}

func (w *netWatch) done(id network.RequestID) {
	w.mu.Lock()
	delete(w.inflight, id)
	w.last = w.now()
	w.mu.Unlock()
}

// reset forgets every request, before a new top-level navigation: the old
// document's requests are cancelled with it.
func (w *netWatch) reset() {
	w.mu.Lock()
	clear(w.inflight)
	w.last = w.now()
	w.mu.Unlock()
}

// quietFor reports how long the network has been quiet (no request in
// flight that is not stale, no event), zero when it is busy.
func (w *netWatch) quietFor() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	for id, start := range w.inflight {
		if now.Sub(start) < w.staleAfter {
			return 0
		}
		// Stale: it no longer holds the page open, and forgetting it keeps
		// the map small on pages that poll forever.
		delete(w.inflight, id)
	}
	return now.Sub(w.last)
}

// waitQuiet returns nil once the network has been quiet for quiet, or the
// context's error when it ends first.
func (w *netWatch) waitQuiet(ctx context.Context, quiet time.Duration) error {
	poll := min(quiet/5, 50*time.Millisecond)
	if poll <= 0 {
		poll = time.Millisecond
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if w.quietFor() >= quiet {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
