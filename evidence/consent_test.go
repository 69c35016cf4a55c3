package evidence

import (
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
)

func TestConsentMatrix(t *testing.T) {
	tally := NewConsentTally()
	add := func(consent, host, vendor string, violation bool, kinds ...phiproxy.Kind) {
		f := &phiproxy.Flow{Consent: consent, Request: phiproxy.Request{URL: "https://" + host + "/tr"}}
		in := &phiproxy.Inspection{Destination: phiproxy.Destination{Host: host, Vendor: vendor}}
		for _, k := range kinds {
			in.Findings = append(in.Findings, phiproxy.Finding{Kind: k, ConsentViolation: violation})
		}
		tally.Add(f, in)
	}
	add("none", "px.bad.example", "", true, phiproxy.KindEmail, phiproxy.KindCondition)
	add("reject", "px.bad.example", "", true, phiproxy.KindEmail)
	add("reject", "px.bad.example", "", true, phiproxy.KindCondition)
	add("accept", "px.bad.example", "", false, phiproxy.KindEmail)
	add("accept", "www.google-analytics.com", "Google Analytics", false, phiproxy.KindCondition)
	add("", "outside.example", "", false, phiproxy.KindEmail) // not a consent crawl
	add("gpc", "clean.example", "", false)                    // no findings

	m := tally.Matrix()
	if got := strings.Join(m.States, ","); got != "none,reject,accept" {
		t.Fatalf("states: got %s, want none,reject,accept", got)
	}
	if len(m.Rows) != 2 || m.Rows[0].Receiver != "px.bad.example" || m.Rows[1].Receiver != "Google Analytics" {
		t.Fatalf("rows: got %+v, want the violating pixel first, then Google Analytics", m.Rows)
	}
	var b strings.Builder
	if err := m.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1: condition, email !", "2: condition, email !", "1: email", "Google Analytics  -"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("matrix text lacks %q:\n%s", want, b.String())
		}
	}
}
