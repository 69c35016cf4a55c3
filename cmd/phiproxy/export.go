package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

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
	st, err := store.OpenReadOnly(sel.db)
	if err != nil {
		return err
	}
	defer st.Close()
	opts := evidence.Options{Filter: f, Redact: *redact, Operator: *operator, Note: *note, Version: version}
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
