package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/phiproxy/phiproxy/store"
)

// runJSON is one line of `phiproxy runs --json`: a public contract.
type runJSON struct {
	ID       int64     `json:"run_id"`
	Label    string    `json:"label"`
	Command  string    `json:"command"`
	Site     string    `json:"site"`
	Started  time.Time `json:"started"`
	Ended    *string   `json:"ended"`
	Seen     int64     `json:"seen"`
	Flagged  int64     `json:"flagged"`
	Flows    int64     `json:"flows"`
	Findings int64     `json:"findings"`
	Version  string    `json:"version"`
}

func runsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("runs", "", stderr)
	db := new(string)
	dbVar(fs, db, "database")
	asJSON := fs.Bool("json", false, "JSON Lines: one object per run (schema in README)")
	st, err := openListing(fs, args, db)
	if err != nil {
		return err
	}
	defer st.Close()
	runs, err := st.RunSummaries(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]runJSON, 0, len(runs))
		for _, r := range runs {
			j := runJSON{ID: r.ID, Label: r.Label, Command: r.Command, Site: runSite(r), Started: r.Started.UTC(), Seen: r.Stats.Seen,
				Flagged: r.Stats.Flagged, Flows: r.Flows, Findings: r.Findings, Version: r.Version}
			if !r.Ended.IsZero() {
				e := r.Ended.UTC().Format(time.RFC3339Nano)
				j.Ended = &e
			}
			out = append(out, j)
		}
		return writeJSONLines(stdout, out)
	}
	bw := bufio.NewWriter(stdout)
	if len(runs) == 0 {
		fmt.Fprintln(bw, "no runs recorded yet")
		return bw.Flush()
	}
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tLABEL\tCOMMAND\tSITE\tSTARTED\tENDED\tSEEN\tFLAGGED\tFINDINGS")
	for _, r := range runs {
		ended := "running or stopped"
		if !r.Ended.IsZero() {
			ended = r.Ended.UTC().Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\n", r.ID, dash(r.Label), r.Command, dash(runSite(r)),
			r.Started.UTC().Format("2006-01-02 15:04:05"), ended, r.Stats.Seen, r.Stats.Flagged, r.Findings)
	}
	tw.Flush()
	return bw.Flush()
}

// runSite is the site a run was told (a crawl's seeds, --site), else the
// host of a page its stored flows came from.
func runSite(r store.RunSummary) string {
	if r.Site != "" {
		return r.Site
	}
	if u, err := url.Parse(r.FirstPage); err == nil {
		return strings.ToLower(u.Hostname())
	}
	return ""
}
