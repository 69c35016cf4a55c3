package inventory

import (
	"net/http"
	"testing"

	"github.com/phiproxy/phiproxy"
)

// BenchmarkObserve is the inventory's cost per inspected flow on a
// pipeline worker: a beacon to an endpoint already seen on its page.
func BenchmarkObserve(b *testing.B) {
	agg := &Aggregator{RunID: 1, Extractor: Extractor{Place: place}}
	f := &phiproxy.Flow{Page: "https://www.clinic.test/book",
		Request: phiproxy.Request{Method: "POST", URL: "https://api.intercom.test/v1/users/8812/events?e=1", Header: http.Header{"Cookie": {"vid=1; ajs=2"}}}}
	in := &phiproxy.Inspection{Destination: place("api.intercom.test", f.Page), Keys: []string{"e", "email"}, Severity: phiproxy.High,
		Findings: []phiproxy.Finding{{Kind: phiproxy.KindEmail}}}
	b.ReportAllocs()
	for b.Loop() {
		agg.Observe(f, in)
	}
}
