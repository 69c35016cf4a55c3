package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/phiproxy/phiproxy/store"
)

// envDB names the database every command uses when --db is not given.
const envDB = "PHIPROXY_DB"

// dbVar registers --db on fs, storing into p. The default is $PHIPROXY_DB,
// else phiproxy.db beside the working folder. The value may be a SQLite
// file or a postgres:// URL; help prints it without a password.
func dbVar(fs *flag.FlagSet, p *string, usage string) {
	*p = cmp.Or(os.Getenv(envDB), defaultDB)
	fs.Var((*dbValue)(p), "db", usage+": a SQLite `file`, or a postgres://user@host/db URL shared by a team ($"+envDB+" sets the default)")
}

// dbValue is --db's value; it shows without a password (flag's -help
// prints defaults, which may come from $PHIPROXY_DB).
type dbValue string

func (d *dbValue) String() string {
	if d == nil {
		return ""
	}
	return store.RedactURL(string(*d))
}

func (d *dbValue) Set(v string) error { *d = dbValue(v); return nil }

// openStore opens the database a command names with --db: every command
// goes through it, whichever database it is. A read-only open never writes
// (nor migrates); a writable one creates and migrates the database.
func openStore(db string, readOnly bool) (*store.Store, error) {
	if readOnly {
		return store.OpenReadOnly(db)
	}
	return store.Open(db)
}

// openListing parses a listing command's flags, which take no arguments,
// and opens its database read-only.
func openListing(fs *flag.FlagSet, args []string, db *string) (*store.Store, error) {
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return nil, errUsage
	}
	return openStore(*db, true)
}

// writeJSONLines writes one JSON object per line, URLs left readable
// ('&' not escaped as \u0026).
func writeJSONLines[T any](w io.Writer, items []T) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// besideDB is where a file that belongs with the database goes (a log, an
// export from the review screen): beside a SQLite file, or in the working
// folder for a database on a server.
func besideDB(db, name string) string {
	if store.IsURL(db) {
		return name
	}
	return filepath.Join(filepath.Dir(db), name)
}

// dbCommand maintains a database: migrate, copy, prune.
func dbCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	subs := []struct {
		name, summary string
		run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	}{
		{"migrate", "create or migrate the schema (before a fleet of crawls starts)", dbMigrate},
		{"copy", "copy every run, flow and inventory row from one database into another", dbCopy},
		{"prune", "delete runs and flows older than a given age", dbPrune},
	}
	if len(args) > 0 {
		for _, s := range subs {
			if args[0] == s.name {
				return s.run(ctx, args[1:], stdout, stderr)
			}
		}
	}
	fmt.Fprintln(stderr, "Usage: phiproxy db COMMAND [flags]\n\nCommands:")
	for _, s := range subs {
		fmt.Fprintf(stderr, "  %-8s %s\n", s.name, s.summary)
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help") {
		return flag.ErrHelp
	}
	return errUsage
}

func dbMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("db migrate", "", stderr)
	var db string
	dbVar(fs, &db, "database to create or migrate")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(db, false)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stdout, "%s: schema version %d\n", st.Path(), store.SchemaVersion)
	return nil
}

func dbCopy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("db copy", "", stderr)
	from := fs.String("from", "", "database to copy from (read only): a SQLite `file` or postgres:// URL")
	to := os.Getenv(envDB)
	fs.Var((*dbValue)(&to), "to", "database to copy into: a SQLite `file` or postgres:// URL (default $"+envDB+")")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *from == "" || to == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "phiproxy db copy: give --from DATABASE and --to DATABASE")
		fs.Usage()
		return errUsage
	}
	src, err := openStore(*from, true)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := openStore(to, false)
	if err != nil {
		return err
	}
	defer dst.Close()
	if src.Path() == dst.Path() {
		return fmt.Errorf("--from and --to are the same database")
	}
	n, err := store.Copy(ctx, dst, src, nil)
	if err != nil {
		return fmt.Errorf("copy after %d runs, %d flows: %w", n.Runs, n.Flows, err)
	}
	fmt.Fprintf(stdout, "copied %d runs, %d flows, %d findings, %d inventory rows from %s to %s\n",
		n.Runs, n.Flows, n.Findings, n.InventoryRows, src.Path(), dst.Path())
	return nil
}

func dbPrune(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("db prune", "", stderr)
	var db string
	dbVar(fs, &db, "database to prune")
	olderThan := fs.String("older-than", "", "delete runs started longer ago than this `age` (90d, 12w, 720h)")
	if err := parse(fs, args); err != nil {
		return err
	}
	age, err := parseAge(*olderThan)
	if err != nil || fs.NArg() > 0 {
		if err != nil {
			fmt.Fprintf(stderr, "phiproxy db prune: --older-than: %v\n", err)
		}
		fs.Usage()
		return errUsage
	}
	st, err := openStore(db, false)
	if err != nil {
		return err
	}
	defer st.Close()
	cutoff := time.Now().Add(-age)
	p, err := st.Prune(ctx, cutoff)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pruned %d runs, %d flows, %d inventory rows from before %s\n", p.Runs, p.Flows, p.InventoryRows, cutoff.UTC().Format(time.RFC3339))
	return nil
}

// parseAge reads an age in days (d), weeks (w) or any Go duration.
func parseAge(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("required")
	}
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.Atoi(n)
			if err != nil || v <= 0 {
				return 0, fmt.Errorf("%q: not a positive number of %s", s, map[string]string{"d": "days", "w": "weeks"}[suffix])
			}
			return time.Duration(v) * unit, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: not an age such as 90d, 12w or 720h", s)
	}
	return d, nil
}
