package classify

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy/classify/persona"
	"github.com/phiproxy/phiproxy/internal/benchcpu"
)

// BenchmarkInspectBeacon inspects a typical Meta Pixel beacon (page URL,
// event, button text, eight hashed user-data fields) with the full
// dictionaries and the corpus persona loaded. Like real traffic, every
// iteration has its own event ID, timestamps, browser ID and page URL, so
// nothing is remembered from one beacon to the next that a real page would
// not repeat; building the beacon's URL is part of the measured time (about
// 1 µs).
func BenchmarkInspectBeacon(b *testing.B) {
	p, err := persona.Load(filepath.Join(evalDir, "persona.json"))
	if err != nil {
		b.Fatal(err)
	}
	in, err := New(Options{Persona: p})
	if err != nil {
		b.Fatal(err)
	}
	f, err := loadHTTPFlow(filepath.Join(evalDir, "flows", "0001-meta-get.http"))
	if err != nil {
		b.Fatal(err)
	}
	// The fixture's per-beacon values, each replaced by a fresh one.
	unique := []string{"%2Fconditions%2Fdepression%3Futm_source%3Dgoogle", "ts=1749553575712",
		"fbp=fb.1.1794511112934.719124333", "it=1784457987546"}
	// The template cut around those values, so that a beacon is one
	// concatenation.
	var pieces []string
	rest := f.Request.URL
	for _, u := range unique {
		before, after, ok := strings.Cut(rest, u)
		if !ok {
			b.Fatalf("fixture lacks %q where expected", u)
		}
		pieces = append(pieces, before)
		rest = after
	}
	pieces = append(pieces, rest)
	beacon := func(n int) string {
		s := strconv.Itoa(n)
		return pieces[0] + "%2Fconditions%2Fdepression%2Ftreatment-" + s + "%3Futm_source%3Dgoogle%26eid%3D" + s +
			pieces[1] + "ts=17495" + s +
			pieces[2] + "fbp=fb.1.17945" + s + ".7191" + s +
			pieces[3] + "it=17844" + s +
			pieces[4] + "&eid=ob3_plugin-set_" + strconv.FormatUint(uint64(n)*0x9e3779b97f4a7c15, 16)
	}
	f.Request.URL = beacon(0)
	if n := len(in.Inspect(f).Findings); n == 0 {
		b.Fatal("beacon has no findings; the benchmark would measure nothing")
	}
	b.SetBytes(int64(len(f.Request.URL) + len(f.Request.Body)))
	b.ReportAllocs()
	b.ResetTimer()
	start := benchcpu.Now()
	n := 0
	for b.Loop() {
		n++
		f.Request.URL = beacon(n)
		in.Inspect(f)
	}
	benchcpu.Report(b, start, 0)
}

// BenchmarkNew builds an Inspector: embedded dictionaries, automaton,
// vendors and a persona index.
func BenchmarkNew(b *testing.B) {
	p, err := persona.Load(filepath.Join(evalDir, "persona.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(Options{Persona: p}); err != nil {
			b.Fatal(err)
		}
	}
}
