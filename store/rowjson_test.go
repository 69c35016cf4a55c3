package store

import (
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
)

// TestFindingRowAppendJSON holds FindingRow.AppendJSON to json.Marshal on
// rows of random strings (escapes, HTML characters, invalid UTF-8, line
// separators), scores across every float format, times in odd zones and
// the rows encoding/json refuses.
func TestFindingRowAppendJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 4))
	pieces := []string{"", "a", "Zoloft", "<script>", "&amp;", `"q"`, `\`, "\n", "\t", "\x00", "\x1f", "\x7f",
		"\u2028", "\u2029", "é", "日本", "\xff", "\xe2\x82", "😀", "/path?a=1&b=2", "e+01"}
	str := func() string {
		s := ""
		for range rng.IntN(5) {
			s += pieces[rng.IntN(len(pieces))]
		}
		return s
	}
	scores := []float64{0, math.Copysign(0, -1), 1, 0.9, 0.35, -2.5, 1e-6, 9.99e-7, 1e-7, 1.5e-10, 1e20, 1e21, 3.2e25, -1e-300, math.MaxFloat64, math.SmallestNonzeroFloat64}
	zones := []*time.Location{time.UTC, time.FixedZone("X", 5*3600+30*60), time.FixedZone("Y", -7*3600), time.FixedZone("LMT", 17*60+31)}
	times := []time.Time{
		time.Date(2026, 12, 5, 3, 4, 5, 123456789, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		{},
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	var fast, refused int
	for i := range 20000 {
		r := FindingRow{
			FlowID: rng.Int64() >> rng.IntN(63), Method: str(), URL: str(), Host: str(), Party: phiproxy.Party(str()),
			Vendor: str(), VendorCategory: str(), BAA: rng.IntN(2) == 0, Kind: phiproxy.Kind(str()), Term: str(),
			Value: str(), Path: str(), Category: str(), Severity: phiproxy.Severity(rng.IntN(7) - 1), Source: phiproxy.Source(str()),
			Score: scores[rng.IntN(len(scores))], Authenticated: rng.IntN(2) == 0, Consent: str(),
			ConsentViolation: rng.IntN(2) == 0, Field: str(), MatchStart: rng.IntN(1000) - 1, MatchEnd: rng.IntN(1 << 20), Negated: rng.IntN(2) == 0,
			Time: times[rng.IntN(len(times))].In(zones[rng.IntN(len(zones))]),
		}
		if rng.IntN(2) == 0 {
			r.Page, r.Phase = str(), str()
		}
		if rng.IntN(5) == 0 {
			r.Score = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(60)-30))
		}
		if rng.IntN(50) == 0 {
			r.Score = []float64{math.NaN(), math.Inf(1), math.Inf(-1)}[rng.IntN(3)]
		}
		want, err := json.Marshal(r)
		got, ok := r.AppendJSON([]byte("prefix"))
		if !ok {
			refused++
			if string(got) != "prefix" {
				t.Fatalf("row %d: refused, but b became %q", i, got)
			}
			if err == nil {
				if _, off := r.Time.Zone(); off%60 == 0 {
					t.Fatalf("row %d: refused a row encoding/json encodes: %s", i, want)
				}
			}
			continue
		}
		fast++
		if err != nil {
			t.Fatalf("row %d: encoded a row encoding/json refuses (%v): %s", i, err, got)
		}
		if string(got[len("prefix"):]) != string(want) {
			t.Fatalf("row %d:\n got %s\nwant %s", i, got[len("prefix"):], want)
		}
	}
	if fast < 10000 || refused == 0 {
		t.Errorf("%d rows encoded, %d refused: the cases do not cover both", fast, refused)
	}
}

// BenchmarkFindingRowJSON encodes a finding's JSON line both ways, each
// row with its own flow ID, time, URL and value:
//
//	go test ./store -run '^$' -bench FindingRowJSON
func BenchmarkFindingRowJSON(b *testing.B) {
	start := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	row := func(i int) FindingRow {
		return FindingRow{FlowID: int64(i), Time: start.Add(time.Duration(i) * 1733 * time.Microsecond),
			Method: "GET", URL: "https://www.facebook.com/tr?id=1234567890&ev=PageView&eid=" + strconv.Itoa(i*7919) + "&dl=https%3A%2F%2Fclinic.example%2Fconditions%2Fdepression",
			Host: "www.facebook.com", Party: phiproxy.ThirdParty, Vendor: "Meta Pixel", VendorCategory: "advertising",
			Kind: phiproxy.KindEmail, Term: "", Value: "patient" + strconv.Itoa(i) + "@example.com", Path: "url:query.ud[em]",
			Severity: phiproxy.Critical, Source: phiproxy.SourcePattern, Score: 0.95, Page: "https://clinic.example/conditions/depression",
			Field: "patient" + strconv.Itoa(i) + "@example.com", MatchStart: 0, MatchEnd: 19}
	}
	b.Run("encoding-json", func(b *testing.B) {
		enc := json.NewEncoder(io.Discard)
		i := 0
		for b.Loop() {
			enc.Encode(row(i))
			i++
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		var buf []byte
		i := 0
		for b.Loop() {
			buf, _ = row(i).AppendJSON(buf[:0])
			io.Discard.Write(append(buf, '\n'))
			i++
		}
	})
}
