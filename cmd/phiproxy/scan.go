package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"

	"golang.org/x/net/bpf"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/capture"
	"github.com/phiproxy/phiproxy/pipeline"
	"github.com/phiproxy/phiproxy/store"
)

// reportFlags shape the results of unattended commands (scan, crawl).
type reportFlags struct {
	asJSON bool
	failOn phiproxy.Severity
}

func (r *reportFlags) register(fs *flag.FlagSet) {
	r.failOn = phiproxy.High
	fs.BoolVar(&r.asJSON, "json", false, "JSON Lines on stdout, one object per finding (schema in README)")
	fs.Var(severityFlag{&r.failOn}, "fail-on", "exit 1 when a finding is at or above this `severity`")
}

// collector gathers the findings of a run for the closing table and the
// exit code, streaming them as JSON Lines when asked.
type collector struct {
	mu    sync.Mutex
	rows  []store.FindingRow
	json  *jsonLines
	worst phiproxy.Severity
	any   bool
}

func (c *collector) records(recs []store.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range recs {
		for _, fd := range r.Inspection.Findings {
			row := store.Row(r.Flow, r.Inspection.Destination, fd)
			if !c.any || row.Severity > c.worst {
				c.worst, c.any = row.Severity, true
			}
			if c.json != nil {
				c.json.row(row)
			} else {
				c.rows = append(c.rows, row)
			}
		}
	}
	if c.json != nil {
		c.json.flush()
	}
}

// finish prints the table (people) and turns the worst severity into the
// exit decision.
func (c *collector) finish(w io.Writer, rf reportFlags) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.json == nil {
		sort.SliceStable(c.rows, func(i, j int) bool { return c.rows[i].Severity > c.rows[j].Severity })
		if len(c.rows) == 0 {
			fmt.Fprintln(w, "no findings")
		} else {
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "SEVERITY\tKIND\tTERM\tHOST\tVENDOR\tPARTY\tPAGE\tPHASE\tPATH")
			for _, r := range c.rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", severityCell(r), r.Kind, clip(r.Term, 32), r.Host, dash(r.Vendor), r.Party, dash(clip(r.Page, 40)), dash(r.Phase), clip(r.Path, 70))
			}
			tw.Flush()
		}
	}
	if c.any && c.worst >= rf.failOn {
		return errFindings
	}
	return nil
}

func scanCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("scan", "FILE...", stderr)
	db := new(string)
	dbVar(fs, db, "database to store findings in")
	var cf classifyFlags
	cf.register(fs)
	var rf reportFlags
	rf.register(fs)
	var bf baselineFlags
	bf.register(fs)
	label := fs.String("label", "", "name the run, e.g. \"staging nightly\" (phiproxy runs lists it)")
	storeAll := fs.Bool("store-all", false, "store every flow, not only flows with findings")
	iface := fs.String("interface", "", "capture plaintext HTTP live from this network `interface` (Linux, root) until Ctrl-C, instead of reading files")
	port := fs.Uint("port", 0, "with --interface: only TCP traffic to or from this `port`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if (fs.NArg() == 0) == (*iface == "") {
		fmt.Fprintln(stderr, "phiproxy scan: give recorded files, or --interface for a live capture (not both)")
		fs.Usage()
		return errUsage
	}
	if *port > 65535 {
		return fmt.Errorf("--port %d: not a TCP port", *port)
	}
	if err := bf.check(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	in, err := cf.inspector()
	if err != nil {
		return err
	}
	st, err := openStore(*db, false)
	if err != nil {
		return err
	}
	defer st.Close()
	runID, err := st.BeginRun(ctx, store.Run{Command: "scan", Version: version})
	if err != nil {
		return err
	}
	if err := st.NameRun(ctx, runID, *label, strings.Join(cf.sites, ",")); err != nil {
		return err
	}
	col := &collector{}
	if rf.asJSON {
		col.json = newJSONLines(stdout)
	}
	pipe, err := pipeline.New(pipeline.Config{Inspector: in, Store: st, RunID: runID, StoreAll: *storeAll, OnSaved: col.records, Logger: log, Inventory: newInventory(runID, in)})
	if err != nil {
		return err
	}
	submit := func(f *phiproxy.Flow) error { return pipe.SubmitWait(ctx, f) }
	var readErrs []error
	sources := fs.Args()
	if *iface != "" {
		sources = []string{*iface}
	}
	for _, path := range sources {
		var sum capture.Summary
		var err error
		if *iface != "" {
			var filter []bpf.RawInstruction
			if *port != 0 {
				if filter, err = capture.PortFilter(uint16(*port)); err != nil {
					return err
				}
			}
			fmt.Fprintf(stderr, "capturing plaintext HTTP on %s; Ctrl-C stops\n", *iface)
			// The capture ends with ctx (Ctrl-C); the pipeline still drains.
			sum, err = capture.CaptureInterface(ctx, *iface, filter, func(f *phiproxy.Flow) error {
				return pipe.SubmitWait(context.WithoutCancel(ctx), f)
			})
		} else {
			sum, err = capture.ReadFile(ctx, path, submit)
		}
		fmt.Fprintf(stderr, "%s: %d requests inspected", path, sum.Flows)
		if sum.Skipped > 0 {
			fmt.Fprintf(stderr, ", %d streams skipped (not HTTP)", sum.Skipped)
		}
		fmt.Fprintln(stderr)
		for _, e := range sum.Encrypted {
			fmt.Fprintf(stderr, "%s: encrypted, not inspected: %s -> %s (SNI %s)\n", path, e.Client, e.Server, dash(e.SNI))
		}
		for _, n := range sum.Notes {
			fmt.Fprintf(stderr, "%s: %s\n", path, n)
		}
		if err != nil {
			readErrs = append(readErrs, err)
			if ctx.Err() != nil {
				break
			}
		}
	}
	closeErr := pipe.Close(context.Background())
	st.EndRun(context.Background(), runID)
	result := col.finish(stdout, rf)
	if err := errors.Join(append(readErrs, closeErr)...); err != nil {
		return err
	}
	// A live capture ends with ctx; what it saw is still compared.
	if err := bf.compareRun(context.WithoutCancel(ctx), st, runID, stderr); err != nil {
		return err
	}
	if result == nil && len(bf.failing) > 0 {
		result = errFindings
	}
	return result
}
