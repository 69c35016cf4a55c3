package evidence

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/inventory"
	"github.com/phiproxy/phiproxy/store"
)

func TestBundleCarriesTheInventory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "phiproxy.db")
	w, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run, _ := w.BeginRun(ctx, store.Run{Command: "crawl"})
	other, _ := w.BeginRun(ctx, store.Run{Command: "crawl"})
	if err := w.SaveBatch(ctx, run, fixtureRecords(t), phiproxy.Stats{}); err != nil {
		t.Fatal(err)
	}
	place := func(host, page string) phiproxy.Destination {
		return phiproxy.Destination{Host: host, Domain: "intercom.io", Party: phiproxy.ThirdParty, Vendor: "Intercom", Category: "chat"}
	}
	page := "https://clinic.example/book"
	for _, r := range []int64{run, other} {
		agg := &inventory.Aggregator{RunID: r, Extractor: inventory.Extractor{Place: place}}
		agg.Observe(&phiproxy.Flow{Start: fixedNow(), Page: page,
			Request:  phiproxy.Request{Method: "GET", URL: "https://widget.intercom.io/widget.js"},
			Response: &phiproxy.Response{Status: 200, BodySize: 99, SHA256: "c0ffee", Header: http.Header{"Set-Cookie": {"intercom-id=x; Max-Age=86400"}}},
		}, &phiproxy.Inspection{Destination: place("widget.intercom.io", page)})
		agg.Observe(&phiproxy.Flow{Start: fixedNow(), Page: page, Request: phiproxy.Request{Method: "POST", URL: "https://api-iam.intercom.io/v1/users/5/ping"}},
			&phiproxy.Inspection{Destination: place("api-iam.intercom.io", page), Severity: phiproxy.High, Findings: []phiproxy.Finding{{Kind: phiproxy.KindEmail}}})
		if err := w.SaveInventory(ctx, agg.Drain()); err != nil {
			t.Fatal(err)
		}
	}
	rows, _ := w.Inventory(ctx, run)
	want := inventory.Build(rows, inventory.Filter{})
	w.Close()
	s, err := store.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := filepath.Join(t.TempDir(), "bundle")
	m, err := WriteDir(ctx, s, dir, Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	listed := false
	for _, f := range m.Files {
		listed = listed || f.Name == InventoryFile
	}
	if !listed {
		t.Errorf("manifest does not list %s: %+v", InventoryFile, m.Files)
	}
	b, err := os.ReadFile(filepath.Join(dir, InventoryFile))
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("inventory.json is not a JSON array: %v\n%s", err, b)
	}
	// The same objects as `phiproxy inventory --json`, for the bundle's run only.
	wb, _ := json.Marshal(want)
	var wantObjs []map[string]any
	json.Unmarshal(wb, &wantObjs)
	if len(got) != 3 || !reflect.DeepEqual(got, wantObjs) {
		t.Errorf("inventory.json:\ngot  %v\nwant %v", got, wantObjs)
	}
	report, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	html := string(report)
	for _, s := range []string{`<section id="inventory">`, "<h2>Inventory</h2>", "Intercom", "sha256 c0ffee", "intercom-id", "1 day ·",
		"POST api-iam.intercom.io/v1/users/{id}/ping", "<strong>email</strong>", "https://clinic.example/book"} {
		if !strings.Contains(html, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	if strings.Count(html, "<section") != strings.Count(html, "</section>") {
		t.Errorf("report sections are not balanced")
	}
}
