package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/phiproxy/phiproxy/classify"
	"github.com/phiproxy/phiproxy/inventory"
	"github.com/phiproxy/phiproxy/store"
)

// newInventory is the aggregate a session or scan feeds its inventory
// through: the classifier says where each cookie domain and storage
// origin belongs.
func newInventory(runID int64, in *classify.Inspector) *inventory.Aggregator {
	return &inventory.Aggregator{RunID: runID, Extractor: inventory.Extractor{Place: in.PlaceHost, PlaceKey: in.PlaceKey}}
}

func inventoryCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("inventory", "", stderr)
	db := new(string)
	dbVar(fs, db, "database")
	run := fs.Int64("run", 0, "the run `ID` to list (default: the latest run that recorded an inventory)")
	site := fs.String("site", "", "only pages of this registrable `domain`")
	vendor := fs.String("vendor", "", "only vendors whose name or domain contains `text`")
	asJSON := fs.Bool("json", false, "JSON Lines: one object per item (schema in README)")
	st, err := openListing(fs, args, db)
	if err != nil {
		return err
	}
	defer st.Close()
	items, runID, err := loadInventory(ctx, st, *run, inventory.Filter{Site: *site, Vendor: *vendor})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSONLines(stdout, items)
	}
	if runID == 0 {
		fmt.Fprintln(stdout, "no inventory recorded yet: run a crawl, the proxy or a scan first")
		return nil
	}
	return printInventory(stdout, runID, inventory.ByVendor(items))
}

// loadInventory reads a run's inventory (the latest one's when runID is 0)
// and builds its items; it returns the run it read, 0 when there is none.
func loadInventory(ctx context.Context, st *store.Store, runID int64, f inventory.Filter) ([]inventory.Item, int64, error) {
	if runID == 0 {
		id, err := st.LatestInventoryRun(ctx)
		if err != nil || id == 0 {
			return nil, 0, err
		}
		runID = id
	}
	rows, err := st.Inventory(ctx, runID)
	if err != nil {
		return nil, 0, err
	}
	return inventory.Build(rows, f), runID, nil
}

func printInventory(w io.Writer, runID int64, vendors []inventory.Vendor) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "Inventory of run %d: %d vendors and domains\n", runID, len(vendors))
	for _, v := range vendors {
		fmt.Fprintf(bw, "\n%s\n", vendorHeading(v))
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		for _, it := range v.Items {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", it.Type, it.Name(), itemDetails(it))
		}
		tw.Flush()
	}
	return bw.Flush()
}

// vendorHeading is "Intercom — chat, third party, no BAA, 3 pages: 2
// scripts, 1 cookie, ...".
func vendorHeading(v inventory.Vendor) string {
	var facts []string
	if v.Category != "" {
		facts = append(facts, strings.ReplaceAll(v.Category, "_", " "))
	}
	facts = append(facts, v.Party+" party")
	if v.BAA {
		facts = append(facts, "BAA")
	} else {
		facts = append(facts, "no BAA")
	}
	facts = append(facts, plural(len(v.Pages), "page"))
	counts := []string{plural(v.Scripts, "script"), plural(v.Cookies, "cookie"), plural(v.Storage, "storage key"), plural(v.Endpoints, "endpoint")}
	h := fmt.Sprintf("%s (%s): %s", v.Name, strings.Join(facts, ", "), strings.Join(counts, ", "))
	if len(v.Kinds) > 0 {
		h += fmt.Sprintf("; PHI sent: %s, up to %s", strings.Join(v.Kinds, ","), v.MaxSeverity)
	}
	return h
}

// itemDetails is the rest of an item's line.
func itemDetails(it inventory.Item) string {
	var d []string
	switch {
	case it.Script != nil:
		d = append(d, "sha256 "+it.Script.SHA256, fmt.Sprintf("%d bytes", it.Script.Size))
		if it.Script.Initiator != "" {
			d = append(d, "loaded by "+it.Script.Initiator)
		}
	case it.Cookie != nil:
		c := it.Cookie
		d = append(d, "domain "+c.Domain+" path "+c.Path)
		if c.ExpiresDays == nil {
			d = append(d, "session")
		} else {
			d = append(d, fmt.Sprintf("%g days", *c.ExpiresDays))
		}
		for _, a := range []struct {
			on   bool
			name string
		}{{c.Secure, "Secure"}, {c.HTTPOnly, "HttpOnly"}, {c.Partitioned, "Partitioned"}, {c.ThirdParty, "third-party"}} {
			if a.on {
				d = append(d, a.name)
			}
		}
		if c.SameSite != "" {
			d = append(d, "SameSite="+c.SameSite)
		}
		d = append(d, "set by "+c.SetBy, fmt.Sprintf("%d bytes", c.ValueBytes))
	case it.Storage != nil:
		s := it.Storage
		d = append(d, s.Area+"Storage of "+s.Origin, fmt.Sprintf("%d bytes", s.ValueBytes))
	case it.Recorder != nil:
		d = append(d, "session recorder "+it.Recorder.Recorder, it.Recorder.Describe())
	case it.Endpoint != nil:
		e := it.Endpoint
		d = append(d, fmt.Sprintf("%d requests", e.Count))
		if len(e.Keys) > 0 {
			d = append(d, "keys "+strings.Join(e.Keys, ","))
		}
		if len(e.Kinds) > 0 {
			d = append(d, fmt.Sprintf("PHI %s (%s)", strings.Join(e.Kinds, ","), e.MaxSeverity))
		}
		if len(e.Cookies) > 0 {
			d = append(d, "cookies "+strings.Join(e.Cookies, ","))
		}
		if e.Initiator != "" {
			d = append(d, "sent by "+e.Initiator)
		}
	}
	d = append(d, plural(len(it.Pages), "page"))
	return strings.Join(d, "  ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
