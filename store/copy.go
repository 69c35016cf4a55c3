package store

import (
	"context"
	"fmt"
	"time"

	"github.com/phiproxy/phiproxy"
)

// ImportRun records a run copied from another database, with its times,
// counters, label and site as they were, and returns its ID here.
func (s *Store) ImportRun(ctx context.Context, r RunSummary) (int64, error) {
	if s.ro {
		return 0, ErrReadOnly
	}
	var ended any
	if !r.Ended.IsZero() {
		ended = formatTime(r.Ended)
	}
	var id int64
	err := s.write.QueryRowContext(ctx, `INSERT INTO runs (command, started, ended, listen, ca_fingerprint, version, seen, inspected, flagged, dropped, label, site)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.Command, formatTime(r.Started), ended, RedactText(r.Listen), r.CAFingerprint, r.Version,
		int64(r.Stats.Seen), int64(r.Stats.Inspected), int64(r.Stats.Flagged), int64(r.Stats.Dropped),
		RedactText(r.Label), RedactText(r.Site)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("import run %d: %w", r.ID, err)
	}
	return id, nil
}

// Copied counts what Copy wrote.
type Copied struct {
	Runs, Flows, Findings, InventoryRows int
}

// copyBatchSize is how many flows Copy saves per transaction.
const copyBatchSize = 256

// Copy writes every run, flow (with its findings and WebSocket messages)
// and inventory row of src into dst, as new rows with new IDs: a tester's
// local session imported into the team's database. Nothing in dst is
// changed or replaced. progress, when not nil, is called after each batch.
func Copy(ctx context.Context, dst, src *Store, progress func(Copied)) (Copied, error) {
	var n Copied
	runs, err := src.RunSummaries(ctx)
	if err != nil {
		return n, err
	}
	runIDs := map[int64]int64{0: 0}
	for _, r := range runs {
		id, err := dst.ImportRun(ctx, r)
		if err != nil {
			return n, err
		}
		runIDs[r.ID] = id
		n.Runs++
	}
	var batch []Record
	batchRun := int64(0)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := dst.SaveBatch(ctx, batchRun, batch, phiproxy.Stats{}); err != nil {
			return fmt.Errorf("copy flows: %w", err)
		}
		n.Flows += len(batch)
		for _, r := range batch {
			n.Findings += len(r.Inspection.Findings)
		}
		batch = batch[:0]
		if progress != nil {
			progress(n)
		}
		return nil
	}
	err = src.EachFlow(ctx, Filter{}, func(d *FlowDetail) error {
		run, ok := runIDs[d.RunID]
		if !ok {
			run = 0 // a flow whose run is gone keeps no run, as in src
		}
		if run != batchRun || len(batch) == copyBatchSize {
			if err := flush(); err != nil {
				return err
			}
			batchRun = run
		}
		batch = append(batch, Record{Flow: &d.Flow, Inspection: d.Inspection})
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return n, err
	}
	inv, err := src.Inventory(ctx, 0)
	if err != nil {
		return n, err
	}
	for i := range inv {
		if id, ok := runIDs[inv[i].RunID]; ok {
			inv[i].RunID = id
		}
	}
	for len(inv) > 0 {
		k := min(len(inv), 1000)
		if err := dst.SaveInventory(ctx, inv[:k]); err != nil {
			return n, err
		}
		n.InventoryRows += k
		inv = inv[k:]
	}
	return n, nil
}

// Pruned counts what Prune deleted.
type Pruned struct {
	Runs, Flows, InventoryRows int64
}

// Prune deletes runs that started before cutoff, with their flows,
// findings, WebSocket messages and inventory, and flows of no run older
// than cutoff (and inventory of no run last seen before it), in one
// transaction. A run that still wrote a flow at or
// after cutoff (a long session still going) is kept whole.
func (s *Store) Prune(ctx context.Context, cutoff time.Time) (Pruned, error) {
	var p Pruned
	if s.ro {
		return p, ErrReadOnly
	}
	c := formatTime(cutoff)
	t, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return p, fmt.Errorf("prune: %w", err)
	}
	defer t.Rollback()
	const old = `SELECT r.id FROM runs r WHERE r.started < ? AND NOT EXISTS (SELECT 1 FROM flows f WHERE f.run_id = r.id AND f.start >= ?)`
	for _, step := range []struct {
		q    string
		args []any
		n    *int64
	}{
		{`DELETE FROM inventory WHERE run_id IN (` + old + `) OR (run_id = 0 AND last_seen < ?)`, []any{c, c, c}, &p.InventoryRows},
		{`DELETE FROM flows WHERE run_id IN (` + old + `) OR (run_id IS NULL AND start < ?)`, []any{c, c, c}, &p.Flows},
		{`DELETE FROM runs WHERE id IN (` + old + `)`, []any{c, c}, &p.Runs},
	} {
		res, err := t.ExecContext(ctx, step.q, step.args...)
		if err != nil {
			return p, fmt.Errorf("prune: %w", err)
		}
		if *step.n, err = res.RowsAffected(); err != nil {
			return p, fmt.Errorf("prune: %w", err)
		}
	}
	if err := t.Commit(); err != nil {
		return p, fmt.Errorf("prune: commit: %w", err)
	}
	return p, nil
}
