package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/phiproxy/phiproxy/compare"
)

func baselineCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "save" {
		fmt.Fprintln(stderr, "Usage: phiproxy baseline save [--db FILE] [--run ID] FILE")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	fs := newFlagSet("baseline save", "FILE", stderr)
	db := new(string)
	dbVar(fs, db, "database")
	run := fs.Int64("run", 0, "the run `ID` to save (default: the latest run that recorded an inventory)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 || *run < 0 {
		fs.Usage()
		return errUsage
	}
	st, err := openStore(*db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := runSide(ctx, st, *run)
	if err != nil {
		return err
	}
	if err := writeBaseline(fs.Arg(0), s.snap); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "baseline of %s written to %s: %s\n", s.name, fs.Arg(0), plural(len(s.snap.Vendors), "vendor"))
	return nil
}

// writeBaseline writes a snapshot to path: whole or not at all (a
// temporary file renamed over it), readable by all (0644), since it is
// meant to be committed with the site's code and holds no value a
// visitor typed, only names of hosts, pages, scripts, cookies and keys.
func writeBaseline(path string, s compare.Snapshot) error {
	b, err := compare.Marshal(s)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write baseline: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write baseline %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write baseline %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write baseline %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write baseline %s: %w", path, err)
	}
	return nil
}
