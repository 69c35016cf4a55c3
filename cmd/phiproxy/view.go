package main

import (
	"context"
	"io"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/tui"
)

func viewCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("view", "", stderr)
	db := new(string)
	dbVar(fs, db, "database to review")
	var cf classifyFlags
	cf.register(fs)
	baselinePath := fs.String("baseline", "", "mark in the inventory view (key i) what the latest run has that this baseline `file` has not")
	if err := parse(fs, args); err != nil {
		return err
	}
	var base *side
	if *baselinePath != "" {
		b, err := baselineSide(*baselinePath)
		if err != nil {
			return err
		}
		base = &b
	}
	st, err := openStore(*db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	// The inspector only rebuilds the decoded field tree for the detail view.
	in, err := cf.inspector()
	if err != nil {
		return err
	}
	app, err := tui.New(tui.Options{
		Store: st, ReadOnly: true, DBPath: st.Path(),
		Fields:   func(f *phiproxy.Flow) []phiproxy.Field { return in.Fields(f).Fields },
		Export:   exportFromView(st, *db, ""),
		Baseline: base.snapshot(),
	})
	if err != nil {
		return err
	}
	return app.Run(ctx)
}
