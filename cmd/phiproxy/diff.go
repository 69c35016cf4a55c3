package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/phiproxy/phiproxy/compare"
	"github.com/phiproxy/phiproxy/evidence"
	"github.com/phiproxy/phiproxy/inventory"
	"github.com/phiproxy/phiproxy/store"
)

// changeList is a --fail-on list of change types.
type changeList struct{ types []string }

func (c *changeList) String() string { return strings.Join(c.types, ",") }
func (c *changeList) Set(v string) error {
	t, err := compare.ParseChangeTypes(v)
	if err != nil {
		return err
	}
	c.types = t
	return nil
}

func defaultFailOn() changeList {
	return changeList{types: append([]string(nil), compare.DefaultFailOn...)}
}

// side is one side of a comparison: a snapshot and what it is of.
type side struct {
	snap compare.Snapshot
	// name says what it is: `run 3 of phiproxy.db (crawl "staging
	// nightly", clinic.test, 2026-12-01 10:00 UTC)`, "baseline
	// ci/phi-baseline.json".
	name string
}

func diffCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("diff", "RUN_A RUN_B | A.db B.db | --baseline FILE [RUN]", stderr)
	db := new(string)
	dbVar(fs, db, "database the run IDs are in")
	baseline := fs.String("baseline", "", "compare this baseline `file` (phiproxy baseline save) with a run, by default the latest")
	asJSON := fs.Bool("json", false, "JSON Lines: one object per change (schema in README)")
	out := fs.String("out", "", "also write the comparison as an evidence `file` (.zip)")
	failOn := defaultFailOn()
	fs.Var(&failOn, "fail-on", "exit 1 when a change of these comma-separated `types` is present (the site's own hosts excepted)")
	if err := parse(fs, args); err != nil {
		return err
	}
	operands := fs.Args()
	want := 2
	if *baseline != "" {
		want = 1
		if len(operands) == 0 {
			operands = []string{""} // the latest run
		}
	}
	if len(operands) != want {
		fs.Usage()
		return errUsage
	}
	var sides []side
	if *baseline != "" {
		b, err := baselineSide(*baseline)
		if err != nil {
			return err
		}
		sides = append(sides, b)
	}
	for _, op := range operands {
		s, err := loadSide(ctx, *db, op)
		if err != nil {
			return err
		}
		sides = append(sides, s)
	}
	before, after := sides[0], sides[1]
	changes := compare.Diff(before.snap, after.snap)
	failing := compare.Failing(changes, failOn.types)
	if *out != "" {
		if err := writeDiffBundle(*out, before, after, failOn.types); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "diff: wrote %s\n", *out)
	}
	if *asJSON {
		if err := writeJSONLines(stdout, changes); err != nil {
			return err
		}
	} else if err := printChanges(stdout, before.name, after.name, changes, failing, failOn.types); err != nil {
		return err
	}
	if len(failing) > 0 {
		return errFindings
	}
	return nil
}

// loadSide reads one operand of diff: a run ID in db, a database file
// (its latest run), a baseline file (.json), or "" for db's latest run.
func loadSide(ctx context.Context, db, op string) (side, error) {
	if strings.HasSuffix(strings.ToLower(op), ".json") {
		return baselineSide(op)
	}
	var runID int64
	if op != "" {
		if id, err := strconv.ParseInt(op, 10, 64); err == nil {
			if id <= 0 {
				return side{}, fmt.Errorf("%q: a run ID is a positive number", op)
			}
			runID = id
		} else {
			db = op
		}
	}
	st, err := openStore(db, true)
	if err != nil {
		return side{}, err
	}
	defer st.Close()
	return runSide(ctx, st, runID)
}

// runSide is the snapshot of a run of st (the latest run that recorded
// an inventory when runID is 0).
func runSide(ctx context.Context, st *store.Store, runID int64) (side, error) {
	if runID == 0 {
		id, err := st.LatestInventoryRun(ctx)
		if err != nil {
			return side{}, err
		}
		if id == 0 {
			return side{}, fmt.Errorf("%s: no run recorded an inventory yet: run a crawl, the proxy or a scan first", st.Path())
		}
		runID = id
	}
	info, err := st.RunSummary(ctx, runID)
	if err != nil {
		return side{}, err
	}
	items, _, err := loadInventory(ctx, st, runID, inventory.Filter{})
	if err != nil {
		return side{}, err
	}
	return side{snap: compare.FromInventory(items), name: runName(st.Path(), info)}, nil
}

// runName is "run 3 of phiproxy.db (crawl "staging nightly", clinic.test, 2026-12-01 10:00 UTC)".
func runName(db string, r store.RunSummary) string {
	facts := []string{r.Command}
	if r.Label != "" {
		facts[0] += " " + strconv.Quote(r.Label)
	}
	if r.Site != "" {
		facts = append(facts, r.Site)
	}
	facts = append(facts, r.Started.UTC().Format("2006-01-02 15:04 UTC"))
	return fmt.Sprintf("run %d of %s (%s)", r.ID, db, strings.Join(facts, ", "))
}

func baselineSide(path string) (side, error) {
	f, err := os.Open(path)
	if err != nil {
		return side{}, fmt.Errorf("baseline: %w", err)
	}
	defer f.Close()
	s, err := compare.Read(f)
	if err != nil {
		return side{}, fmt.Errorf("%s: %w", path, err)
	}
	return side{snap: s, name: "baseline " + path}, nil
}

// printChanges writes the changes for people: grouped by vendor, most
// serious first, "!" marking those --fail-on lists.
func printChanges(w io.Writer, before, after string, changes, failing []compare.Change, failOn []string) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "from %s\nto   %s\n", before, after)
	if len(changes) == 0 {
		fmt.Fprintln(bw, "no changes")
		return bw.Flush()
	}
	fmt.Fprintf(bw, "%s, %d listed in --fail-on %s (marked !)\n", plural(len(changes), "change"), len(failing), strings.Join(failOn, ","))
	var tw *tabwriter.Writer
	vendor := ""
	for i := range changes {
		c := &changes[i]
		if tw == nil || c.Vendor != vendor {
			if tw != nil {
				tw.Flush()
			}
			vendor = c.Vendor
			fmt.Fprintf(bw, "\n%s (%s party)\n", c.Vendor, c.Party)
			tw = tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		}
		mark := " "
		if c.FailsOn(failOn) {
			mark = "!"
		}
		pages := ""
		if len(c.Pages) > 0 {
			pages = "on " + c.Pages[0]
			if len(c.Pages) > 1 {
				pages += fmt.Sprintf(" and %d more", len(c.Pages)-1)
			}
		}
		fmt.Fprintf(tw, "%s %s\t%s\t%s\n", mark, c.Change, c.Describe(), pages)
	}
	tw.Flush()
	return bw.Flush()
}

// errNoBaseline is a --baseline file that does not exist yet, which
// --update-baseline creates.
var errNoBaseline = errors.New("no baseline file yet")

// baselineFlags are crawl's and scan's comparison with a baseline at the
// end of the run.
type baselineFlags struct {
	path   string
	update bool
	failOn changeList
	// failing are the changes compareRun found that --fail-on-change
	// lists: the run then exits 1.
	failing []compare.Change
}

func (b *baselineFlags) register(fs *flag.FlagSet) {
	b.failOn = defaultFailOn()
	fs.StringVar(&b.path, "baseline", "", "compare the run with this baseline `file` at the end (phiproxy baseline save)")
	fs.BoolVar(&b.update, "update-baseline", false, "with --baseline: write the run's baseline to the file (created if missing); its changes are accepted and do not fail")
	fs.Var(&b.failOn, "fail-on-change", "with --baseline: exit 1 when a change of these comma-separated `types` is present (the site's own hosts excepted)")
}

// check reads the baseline before the run starts, so a missing or broken
// file fails at once rather than after a long crawl.
func (b *baselineFlags) check() error {
	if b.path == "" {
		if b.update {
			return errors.New("--update-baseline needs --baseline FILE")
		}
		return nil
	}
	_, err := b.read()
	if errors.Is(err, errNoBaseline) && b.update {
		return nil
	}
	return err
}

func (b *baselineFlags) read() (side, error) {
	if _, err := os.Stat(b.path); errors.Is(err, os.ErrNotExist) {
		return side{}, fmt.Errorf("--baseline %s: %w (--update-baseline creates it)", b.path, errNoBaseline)
	}
	return baselineSide(b.path)
}

// compareRun compares run runID of st with the baseline, prints the
// changes to w, rewrites the file when asked, and records in b.failing
// the changes --fail-on-change lists (none when the file was rewritten:
// its changes are accepted).
func (b *baselineFlags) compareRun(ctx context.Context, st *store.Store, runID int64, w io.Writer) error {
	if b.path == "" {
		return nil
	}
	now, err := runSide(ctx, st, runID)
	if err != nil {
		return err
	}
	base, err := b.read()
	if errors.Is(err, errNoBaseline) && b.update {
		base, err = side{snap: compare.Snapshot{Format: compare.FormatVersion}, name: "no baseline"}, nil
	}
	if err != nil {
		return err
	}
	changes := compare.Diff(base.snap, now.snap)
	failing := compare.Failing(changes, b.failOn.types)
	if err := printChanges(w, base.name, now.name, changes, failing, b.failOn.types); err != nil {
		return err
	}
	if b.update {
		if err := writeBaseline(b.path, now.snap); err != nil {
			return err
		}
		fmt.Fprintf(w, "baseline %s updated\n", b.path)
		return nil
	}
	b.failing = failing
	return nil
}

func writeDiffBundle(path string, before, after side, failOn []string) error {
	return evidence.WriteDiffZip(path, *diffReport(before, after, failOn), version, time.Now())
}

// snapshot is the side's snapshot, nil for no side.
func (s *side) snapshot() *compare.Snapshot {
	if s == nil {
		return nil
	}
	return &s.snap
}
