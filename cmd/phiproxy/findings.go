package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

// selectionFlags choose flows and findings from a database.
type selectionFlags struct {
	db          string
	minSeverity phiproxy.Severity
	host        string
	vendor      string
	kind        string
}

func (s *selectionFlags) register(fs *flag.FlagSet) {
	dbVar(fs, &s.db, "database")
	fs.Var(severityFlag{&s.minSeverity}, "min-severity", "only findings at or above this `severity` (info, low, medium, high, critical)")
	fs.StringVar(&s.host, "host", "", "only flows to this `host` or its subdomains")
	fs.StringVar(&s.vendor, "vendor", "", "only flows to vendors whose name contains `text`")
	fs.StringVar(&s.kind, "kind", "", "only findings of this `kind` (email, medication, ...)")
}

func (s *selectionFlags) filter() store.Filter {
	return store.Filter{MinSeverity: s.minSeverity, Host: s.host, Vendor: s.vendor, Kind: phiproxy.Kind(s.kind), Flagged: true}
}

func findingsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("findings", "", stderr)
	var sel selectionFlags
	sel.register(fs)
	asJSON := fs.Bool("json", false, "JSON Lines: one object per finding (schema in README)")
	failOn := phiproxy.Severity(-1)
	fs.Var(severityFlag{&failOn}, "fail-on", "exit 1 when a listed finding is at or above this `severity`")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(sel.db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	worst := phiproxy.Severity(-1)
	note := func(r store.FindingRow) {
		if r.Severity > worst {
			worst = r.Severity
		}
	}
	if *asJSON {
		out := newJSONLines(stdout)
		err = st.EachFinding(ctx, sel.filter(), func(r store.FindingRow) error { note(r); return out.row(r) })
		if ferr := out.flush(); err == nil {
			err = ferr
		}
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "FLOW\tTIME\tSEVERITY\tKIND\tTERM\tHOST\tVENDOR\tPARTY\tPATH")
		n := 0
		err = st.EachFinding(ctx, sel.filter(), func(r store.FindingRow) error {
			note(r)
			n++
			_, err := fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.FlowID, r.Time.Local().Format("2006-01-02 15:04:05"),
				severityCell(r), r.Kind, clip(r.Term, 40), r.Host, dash(r.Vendor), r.Party, clip(r.Path, 80))
			return err
		})
		tw.Flush()
		if err == nil && n == 0 {
			fmt.Fprintln(stderr, "no findings match")
		}
	}
	if err != nil {
		return err
	}
	if failOn >= 0 && worst >= failOn {
		return errFindings
	}
	return nil
}

func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// severityCell is a finding's severity for tables, marked "!consent" when
// it went to a third party against the visitor's consent choice.
func severityCell(r store.FindingRow) string {
	if r.ConsentViolation {
		return r.Severity.String() + " !consent"
	}
	return r.Severity.String()
}
