package pipeline

import (
	"context"
	"fmt"

	"github.com/phiproxy/phiproxy"
)

// observe hands an inspected flow to the inventory; a panic there is
// logged, never fatal to the worker.
func (p *Pipeline) observe(f *phiproxy.Flow, in *phiproxy.Inspection) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("inventory panicked", "url", f.Request.URL, "panic", r)
		}
	}()
	p.cfg.Inventory.Observe(f, in)
}

// saveInventory writes the inventory rows changed since the last commit.
// Rows whose write fails go back to the inventory and are written with a
// later commit (flush skips this while the database is failing and its
// retry is not yet due).
func (p *Pipeline) saveInventory() {
	if p.cfg.Inventory == nil {
		return
	}
	rows := p.cfg.Inventory.Drain()
	if len(rows) == 0 {
		return
	}
	if err := p.cfg.Store.SaveInventory(context.Background(), rows); err != nil {
		p.cfg.Inventory.Unsaved(rows)
		p.writeErrs.Add(1)
		p.lastErr.Store(fmt.Errorf("save inventory: %w", err))
		p.log.Warn("saving the inventory failed; it is kept for the next commit", "rows", len(rows), "err", err)
	}
}
