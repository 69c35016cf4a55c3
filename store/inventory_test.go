package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestInventoryUpsertAndRead(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		run, err := s.BeginRun(ctx, Run{Command: "crawl"})
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		row := InventoryRow{
			RunID: run, Page: "https://clinic.test/", Type: "script", Item: "https://cdn.vendor.test/a.js",
			Host: "cdn.vendor.test", Domain: "vendor.test", Party: "third", Vendor: "Vendor", VendorCategory: "chat", BAA: true,
			Attrs: []byte(`{"sha256":"ab","size":3}`), Count: 1, FirstSeen: t0, LastSeen: t0,
		}
		if err := s.SaveInventory(ctx, []InventoryRow{row}); err != nil {
			t.Fatal(err)
		}
		// The running aggregate replaces the row; the first sighting stays.
		row2 := row
		row2.Count, row2.Attrs, row2.FirstSeen, row2.LastSeen = 3, []byte(`{"sha256":"cd","size":4}`), t0.Add(time.Minute), t0.Add(2*time.Minute)
		other := row
		other.RunID, other.Item = 0, "https://cdn.vendor.test/b.js"
		if err := s.SaveInventory(ctx, []InventoryRow{row2, other}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Inventory(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		want := row2
		want.FirstSeen = t0
		if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Fatalf("inventory of run %d:\ngot  %+v\nwant %+v", run, got, want)
		}
		all, err := s.Inventory(ctx, 0)
		if err != nil || len(all) != 2 {
			t.Fatalf("every run: got %d rows (%v), want 2", len(all), err)
		}
		if id, err := s.LatestInventoryRun(ctx); err != nil || id != run {
			t.Fatalf("latest inventory run: got %d, %v; want %d", id, err, run)
		}
	})
}

// olderDatabase creates, at a fresh path, a database of the schema
// before the migration named by file (e.g. "005_inventory.sql"), with
// rows written by stmts in that schema.
func olderDatabase(t *testing.T, file string, stmts ...string) string {
	t.Helper()
	version := slices.Index(mustMigrations(), "migrations/"+file)
	if version < 0 {
		t.Fatalf("no migration %s", file)
	}
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := migrateTo(db, version); err != nil {
		t.Fatalf("build a version %d database: %v", version, err)
	}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("in a version %d database: %v", version, err)
		}
	}
	if _, err := OpenReadOnly(path); err == nil {
		t.Fatalf("a read-only open of an older database should ask for a migration")
	}
	return path
}

func TestOlderDatabaseGainsInventory(t *testing.T) {
	s, err := Open(olderDatabase(t, "005_inventory.sql"))
	if err != nil {
		t.Fatalf("open older database: %v", err)
	}
	defer s.Close()
	if err := s.SaveInventory(context.Background(), []InventoryRow{{Type: "cookie", Item: "sid", FirstSeen: time.Now(), LastSeen: time.Now()}}); err != nil {
		t.Fatalf("the migrated database has no working inventory: %v", err)
	}
}
