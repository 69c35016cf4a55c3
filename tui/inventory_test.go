package tui

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gdamore/tcell/v2"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/compare"
	"github.com/phiproxy/phiproxy/inventory"
	"github.com/phiproxy/phiproxy/store"
)

// saveInventory stores the inventory of a page that loads a chat widget
// and a pixel, as a run would.
func saveInventory(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	run, err := st.BeginRun(ctx, store.Run{Command: "crawl"})
	if err != nil {
		t.Fatal(err)
	}
	place := func(host, page string) phiproxy.Destination {
		d := phiproxy.Destination{Host: host, Domain: host, Party: phiproxy.ThirdParty}
		if strings.HasSuffix(host, "intercom.io") {
			d.Domain, d.Vendor, d.Category = "intercom.io", "Intercom", "chat"
		}
		return d
	}
	agg := &inventory.Aggregator{RunID: run, Extractor: inventory.Extractor{Place: place}}
	page := "https://clinic.example/book"
	agg.Observe(&phiproxy.Flow{Start: fixedNow, Page: page,
		Request:  phiproxy.Request{Method: "GET", URL: "https://widget.intercom.io/widget.js"},
		Response: &phiproxy.Response{Status: 200, BodySize: 2048, SHA256: "5978c3e563a64712", Header: http.Header{"Set-Cookie": {"intercom-id=abc; Max-Age=864000"}}},
	}, &phiproxy.Inspection{Destination: place("widget.intercom.io", page)})
	agg.Observe(&phiproxy.Flow{Start: fixedNow, Page: page,
		Request: phiproxy.Request{Method: "POST", URL: "https://api-iam.intercom.io/messenger/web/ping"},
	}, &phiproxy.Inspection{Destination: place("api-iam.intercom.io", page), Keys: []string{"email"}, Severity: phiproxy.High,
		Findings: []phiproxy.Finding{{Kind: phiproxy.KindEmail}}})
	agg.Observe(&phiproxy.Flow{Start: fixedNow, Page: page,
		Request: phiproxy.Request{Method: "GET", URL: "https://px.adnet.example/tr/77"},
	}, &phiproxy.Inspection{Destination: place("px.adnet.example", page)})
	if err := st.SaveInventory(ctx, agg.Drain()); err != nil {
		t.Fatal(err)
	}
}

func TestInventoryModel(t *testing.T) {
	st := openStore(t)
	saveInventory(t, st)
	m, err := loadInventoryModel(context.Background(), st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.vendors) != 2 {
		t.Fatalf("vendors: got %d, want Intercom and px.adnet.example", len(m.vendors))
	}
	got := strings.Join(vendorCells(m.vendors[0]), "|")
	if want := "Intercom|chat|third|no|1|1|1|0|1|email (high)"; got != want {
		t.Errorf("Intercom row: got %q, want %q", got, want)
	}
	text := vendorItemsText(m.vendors[0], nil)
	for _, want := range []string{"https://clinic.example/book", "sha256 5978c3e563a64712, 2048 bytes", "intercom-id", "10 days, set by http",
		"POST api-iam.intercom.io/messenger/web/ping", "PHI email (high)", "keys email"} {
		if !strings.Contains(text, want) {
			t.Errorf("items text lacks %q:\n%s", want, text)
		}
	}
}

func TestInventoryViewOnKeyI(t *testing.T) {
	st := openStore(t)
	saveInventory(t, st)
	hs := startApp(t, Options{Store: st}, 140, 40)
	hs.keys("i")
	scr := hs.waitText("inventory of run 1: 2 vendors")
	for _, want := range []string{"Intercom", "px.adnet.example", "email (high)"} {
		if !strings.Contains(scr, want) {
			t.Errorf("vendor table lacks %q:\n%s", want, scr)
		}
	}
	hs.key(tcell.KeyEnter) // the first vendor, Intercom
	scr = hs.waitText("Intercom: items (Esc: vendors)")
	if !strings.Contains(scr, "sha256 5978c3e563a64712") || !strings.Contains(scr, "intercom-id") {
		t.Errorf("Intercom's items lack its script or cookie:\n%s", scr)
	}
	hs.key(tcell.KeyEscape)
	hs.waitText("inventory of run 1")
	hs.waitGone("items (Esc: vendors)")
	hs.key(tcell.KeyDown)
	hs.key(tcell.KeyEnter)
	scr = hs.waitText("px.adnet.example: items")
	if !strings.Contains(scr, "GET px.adnet.example/tr/{id}") {
		t.Errorf("the second vendor's endpoint is missing:\n%s", scr)
	}
	hs.key(tcell.KeyEscape)
	hs.key(tcell.KeyEscape)
	hs.waitGone("inventory of run 1")
	// The list has the keys again.
	hs.keys("?")
	hs.waitText("keys (Esc closes)")
}

func TestInventoryViewWithoutInventory(t *testing.T) {
	st := openStore(t)
	hs := startApp(t, Options{Store: st}, 120, 30)
	hs.keys("i")
	hs.waitText("No inventory recorded yet.")
}

// TestInventoryViewMarksNewAgainstBaseline: with a baseline in which
// Intercom only loaded its widget, the view marks the new pixel vendor,
// Intercom's new endpoint and the email it now receives.
func TestInventoryViewMarksNewAgainstBaseline(t *testing.T) {
	st := openStore(t)
	saveInventory(t, st)
	base := compare.Snapshot{Format: compare.FormatVersion, Vendors: []compare.Vendor{{Name: "Intercom", Category: "chat", Party: "third",
		Scripts: []compare.Script{{URL: "https://widget.intercom.io/widget.js", Host: "widget.intercom.io", Versions: []compare.ScriptVersion{{SHA256: "5978c3e563a64712", Size: 2048}}}}}}}
	hs := startApp(t, Options{Store: st, Baseline: &base}, 160, 40)
	hs.keys("i")
	scr := hs.waitText("vs baseline")
	for _, want := range []string{"NEW vendor", "NEW 1 endpoint, PHI email"} {
		if !strings.Contains(scr, want) {
			t.Errorf("vendor table lacks %q:\n%s", want, scr)
		}
	}
	hs.key(tcell.KeyEnter) // Intercom
	scr = hs.waitText("Intercom: items (Esc: vendors)")
	if !strings.Contains(scr, "NEW POST api-iam.intercom.io/messenger/web/ping") || !strings.Contains(scr, "NEW PHI email") {
		t.Errorf("Intercom's new endpoint and PHI are not marked:\n%s", scr)
	}
	if strings.Contains(scr, "NEW https://widget") {
		t.Errorf("the widget script the baseline has is marked new:\n%s", scr)
	}

	// Without a baseline, nothing is marked.
	st2 := openStore(t)
	saveInventory(t, st2)
	hs2 := startApp(t, Options{Store: st2}, 160, 40)
	hs2.keys("i")
	if scr := hs2.waitText("inventory of run 1"); strings.Contains(scr, "NEW") || strings.Contains(scr, "vs baseline") {
		t.Errorf("marks without a baseline:\n%s", scr)
	}
}
