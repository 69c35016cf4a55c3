package pipeline

import (
	"context"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/inventory"
	"github.com/phiproxy/phiproxy/store"
)

// Unflagged flows are not stored, but what they show about the site is:
// the inventory reaches the database through the writer, aggregated.
func TestInventoryOfUnstoredFlowsIsSaved(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	run, _ := s.BeginRun(ctx, store.Run{Command: "run"})
	agg := &inventory.Aggregator{RunID: run, Extractor: inventory.Extractor{Place: func(host, page string) phiproxy.Destination {
		return phiproxy.Destination{Host: host, Domain: host, Party: phiproxy.ThirdParty}
	}}}
	p, err := New(Config{Inspector: flagEmails, Store: s, RunID: run, Workers: 2, Inventory: agg})
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	for i := 0; i < n; i++ {
		f := flow("https://px.vendor.test/v1/u/" + string(rune('0'+i%10)) + "/e")
		f.Page = "https://clinic.test/"
		if err := p.SubmitWait(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	js := flow("https://cdn.vendor.test/tag.js")
	js.Page = "https://clinic.test/"
	js.Response = &phiproxy.Response{Status: 200, BodySize: 10, SHA256: "ff"}
	p.SubmitWait(ctx, js)
	closeCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := p.Close(closeCtx); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Stats(ctx); st.Flagged != 0 {
		t.Fatalf("flagged: got %d, want 0 (nothing stored)", st.Flagged)
	}
	rows, err := s.Inventory(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	items := inventory.Build(rows, inventory.Filter{})
	if len(items) != 2 {
		t.Fatalf("items: got %d (%+v), want one script and one endpoint", len(items), items)
	}
	for _, it := range items {
		switch {
		case it.Endpoint != nil:
			if it.Endpoint.Count != n || it.Endpoint.PathTemplate != "/v1/u/{id}/e" {
				t.Errorf("endpoint: got %+v, want %d requests to /v1/u/{id}/e", it.Endpoint, n)
			}
		case it.Script != nil:
			if it.Script.SHA256 != "ff" {
				t.Errorf("script: got %+v", it.Script)
			}
		}
	}
}
