package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/phiproxy/phiproxy/compare"
	"github.com/phiproxy/phiproxy/evidence"
	"github.com/phiproxy/phiproxy/store"
)

func exportCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", "", stderr)
	var sel selectionFlags
	sel.register(fs)
	out := fs.String("out", "", "write the bundle to this zip `file`")
	dir := fs.String("dir", "", "write the bundle into this `folder` instead of a zip")
	var ids listFlag
	fs.Var(&ids, "flow", "export this flow `ID` (repeatable); default: every flow with findings")
	redact := fs.Bool("redact", false, "replace matched values with their kind and a salted hash, in every file")
	operator := fs.String("operator", "", "`name` of the person producing the bundle, for the manifest")
	note := fs.String("note", "", "free `text` recorded in the manifest")
	diffRuns := fs.String("diff", "", "add the comparison of two runs `RUN_A,RUN_B` (diff.json and a Changes section)")
	caDir := fs.String("ca-dir", "", "CA `folder`, to record its fingerprint in the manifest (default: the usual CA folder if it exists)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if (*out == "") == (*dir == "") {
		fmt.Fprintln(stderr, "phiproxy export: give exactly one of --out FILE.zip or --dir FOLDER")
		return errUsage
	}
	f := sel.filter()
	for _, s := range ids {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("--flow %q: not a flow ID", s)
		}
		f.IDs = append(f.IDs, id)
	}
	if len(f.IDs) > 0 {
		f.Flagged = false
	}
	st, err := openStore(sel.db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	opts := evidence.Options{Filter: f, Redact: *redact, Operator: *operator, Note: *note, Version: version}
	if *diffRuns != "" {
		if opts.Diff, err = exportDiff(ctx, st, *diffRuns); err != nil {
			return err
		}
	}
	if ca, err := loadExistingCA(*caDir); err == nil {
		opts.CAFingerprint = ca
	}
	var m *evidence.Manifest
	target := *out
	if *dir != "" {
		target = *dir
		m, err = evidence.WriteDir(ctx, st, *dir, opts)
	} else {
		m, err = evidence.WriteZip(ctx, st, *out, opts)
	}
	if errors.Is(err, evidence.ErrEmptySelection) {
		return fmt.Errorf("nothing to export: %w", err)
	}
	if err != nil {
		return err
	}
	_ = m
	fmt.Fprintf(stdout, "%s\n", target)
	return nil
}

// exportDiff compares the runs "A,B" of st for a bundle.
func exportDiff(ctx context.Context, st *store.Store, runs string) (*evidence.Diff, error) {
	a, b, ok := strings.Cut(runs, ",")
	ida, errA := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	idb, errB := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	if !ok || errA != nil || errB != nil || ida <= 0 || idb <= 0 {
		return nil, fmt.Errorf("--diff %q: want two run IDs, RUN_A,RUN_B", runs)
	}
	before, err := runSide(ctx, st, ida)
	if err != nil {
		return nil, err
	}
	after, err := runSide(ctx, st, idb)
	if err != nil {
		return nil, err
	}
	return diffReport(before, after, compare.DefaultFailOn), nil
}

// diffReport is the comparison of two sides as a bundle carries it.
func diffReport(before, after side, failOn []string) *evidence.Diff {
	return &evidence.Diff{Before: before.name, After: after.name, BeforeSnapshot: before.snap, AfterSnapshot: after.snap,
		Changes: compare.Diff(before.snap, after.snap), FailOn: failOn}
}
