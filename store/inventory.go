package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// InventoryRow is one aggregated inventory item of a run and page, as
// stored. The store does not interpret Type, Item or Attrs: the inventory
// package owns their meaning.
type InventoryRow struct {
	RunID int64
	// Page is the top-level page the item appeared on; "" when unknown.
	Page string
	// Type is "script", "cookie", "storage", "endpoint" or "initiator";
	// Item is the item's identity within its type.
	Type, Item string
	// Host and the destination the item belongs to.
	Host, Domain, Party, Vendor, VendorCategory string
	BAA                                         bool
	// Attrs is the type's attributes as a JSON object.
	Attrs []byte
	// Count is how many times the item was seen on the page.
	Count               int64
	FirstSeen, LastSeen time.Time
}

const upsertInventorySQL = `INSERT INTO inventory (
		run_id, page, type, item, host, domain, party, vendor, vendor_category, baa, attrs, count, first_seen, last_seen
	) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
	ON CONFLICT (run_id, page, type, item) DO UPDATE SET
		host = excluded.host, domain = excluded.domain, party = excluded.party, vendor = excluded.vendor,
		vendor_category = excluded.vendor_category, baa = excluded.baa, attrs = excluded.attrs,
		count = excluded.count,
		first_seen = CASE WHEN excluded.first_seen < inventory.first_seen THEN excluded.first_seen ELSE inventory.first_seen END,
		last_seen = CASE WHEN excluded.last_seen > inventory.last_seen THEN excluded.last_seen ELSE inventory.last_seen END`

// SaveInventory writes rows in one transaction. A row replaces the stored
// row of the same run, page, type and item: the caller holds each item's
// running aggregate and writes it whole.
func (s *Store) SaveInventory(ctx context.Context, rows []InventoryRow) error {
	if s.ro {
		return ErrReadOnly
	}
	if len(rows) == 0 {
		return nil
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save inventory: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, upsertInventorySQL)
	if err != nil {
		return fmt.Errorf("save inventory: prepare: %w", err)
	}
	defer st.Close()
	for _, r := range rows {
		attrs := string(r.Attrs)
		if attrs == "" {
			attrs = "{}"
		}
		if _, err := st.ExecContext(ctx, r.RunID, r.Page, r.Type, r.Item, r.Host, r.Domain, nonEmpty(r.Party, "unknown"),
			r.Vendor, r.VendorCategory, r.BAA, attrs, r.Count, formatTime(r.FirstSeen), formatTime(r.LastSeen)); err != nil {
			return fmt.Errorf("save inventory %s %s: %w", r.Type, r.Item, err)
		}
	}
	if s.dialect == postgresDialect {
		// Readers in other processes learn of the rows on commit.
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify(?, ?)`, changesChannel, strconv.FormatInt(rows[0].RunID, 10)); err != nil {
			return fmt.Errorf("save inventory: notify: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save inventory: commit: %w", err)
	}
	s.notify()
	return nil
}

// Inventory returns the inventory rows of a run (every run when runID is
// 0), ordered by vendor, type, item and page.
func (s *Store) Inventory(ctx context.Context, runID int64) ([]InventoryRow, error) {
	q := `SELECT run_id, page, type, item, host, domain, party, vendor, vendor_category, baa, attrs, count, first_seen, last_seen
		FROM inventory`
	var args []any
	if runID != 0 {
		q += ` WHERE run_id = ?`
		args = append(args, runID)
	}
	q += ` ORDER BY vendor, domain, type, item, page`
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read inventory: %w", err)
	}
	defer rows.Close()
	var out []InventoryRow
	for rows.Next() {
		var r InventoryRow
		var attrs, first, last string
		if err := rows.Scan(&r.RunID, &r.Page, &r.Type, &r.Item, &r.Host, &r.Domain, &r.Party, &r.Vendor, &r.VendorCategory,
			&r.BAA, &attrs, &r.Count, &first, &last); err != nil {
			return nil, fmt.Errorf("read inventory: %w", err)
		}
		r.Attrs = []byte(attrs)
		r.FirstSeen, r.LastSeen = parseTime(first), parseTime(last)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read inventory: %w", err)
	}
	return out, nil
}

// LatestInventoryRun is the newest run that recorded an inventory, 0 when
// none did.
func (s *Store) LatestInventoryRun(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	if err := s.read.QueryRowContext(ctx, `SELECT max(run_id) FROM inventory`).Scan(&id); err != nil {
		return 0, fmt.Errorf("latest inventory run: %w", err)
	}
	return id.Int64, nil
}
