package classify

import (
	"path/filepath"
	"testing"

	"github.com/phiproxy/phiproxy/classify/persona"
)

// BenchmarkInspectBeacon inspects a typical Meta Pixel beacon (page URL,
// event, button text, eight hashed user-data fields) with the full
// dictionaries and the corpus persona loaded.
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
	if n := len(in.Inspect(f).Findings); n == 0 {
		b.Fatal("beacon has no findings; the benchmark would measure nothing")
	}
	b.SetBytes(int64(len(f.Request.URL) + len(f.Request.Body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		in.Inspect(f)
	}
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
