package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/phiproxy/phiproxy/compare"
	"github.com/phiproxy/phiproxy/store"
)

func exposureCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("exposure", "", stderr)
	db := new(string)
	dbVar(fs, db, "database")
	vendor := fs.String("vendor", "", "only vendors whose name or host contains `text`")
	asJSON := fs.Bool("json", false, "JSON Lines: one object per vendor, endpoint and PHI kind (schema in README)")
	st, err := openListing(fs, args, db)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := st.Exposure(ctx, store.Filter{})
	if err != nil {
		return err
	}
	es := compare.FilterExposures(compare.Exposures(rows), *vendor)
	if *asJSON {
		return writeJSONLines(stdout, es)
	}
	bw := bufio.NewWriter(stdout)
	if len(es) == 0 {
		fmt.Fprintln(bw, "no PHI sent to a third party in any stored run")
		return bw.Flush()
	}
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tVENDOR\tKIND\tENDPOINT\tFIRST SEEN\tLAST SEEN\tRUNS\tREQUESTS\tPAGES")
	for _, e := range es {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\n", e.MaxSeverity, e.Vendor, e.Kind, clip(e.Endpoint, 60),
			e.FirstSeen.UTC().Format("2006-01-02 15:04"), e.LastSeen.UTC().Format("2006-01-02 15:04"), e.Runs, e.Flows, len(e.Pages))
	}
	tw.Flush()
	return bw.Flush()
}
