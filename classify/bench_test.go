package classify

import (
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify/persona"
	"github.com/phiproxy/phiproxy/internal/benchcpu"
	"github.com/phiproxy/phiproxy/internal/benchmix"
)

// BenchmarkInspectBeacon inspects a typical Meta Pixel beacon (page URL,
// event, button text, eight hashed user-data fields) with the full
// dictionaries and the corpus persona loaded. Like real traffic, every
// iteration has its own event ID, timestamps, browser ID and page URL, so
// nothing is remembered from one beacon to the next that a real page would
// not repeat; building the beacon's URL is part of the measured time (about
// 1 µs).
func BenchmarkInspectBeacon(b *testing.B) {
	in := benchInspector(b, true)
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

// benchInspector is an Inspector with the full dictionaries and, when
// withPersona, the corpus persona.
func benchInspector(b *testing.B, withPersona bool) *Inspector {
	var opts Options
	if withPersona {
		p, err := persona.Load(filepath.Join(evalDir, "persona.json"))
		if err != nil {
			b.Fatal(err)
		}
		opts.Persona = p
	}
	in, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	return in
}

// BenchmarkInspectMix inspects the request mix proxybench sends through
// the proxy (internal/benchmix: pixel GETs, JSON event batches and form
// posts, 3 in 12 with PHI), each request with its own IDs, times and page
// URLs, as the proxy captures them, and no persona, as proxybench runs
// the proxy: so that its figures are the proxy's inspection cost per
// request under that load. Building each request is
// part of the measured time (about 3 µs: benchmix's BenchmarkRequest).
func BenchmarkInspectMix(b *testing.B) {
	in := benchInspector(b, false)
	const host = "127.0.0.1:8443"
	flow := func(i int) *phiproxy.Flow {
		e := benchmix.Request(i, 3)
		h := http.Header{"User-Agent": {"Go-http-client/1.1"}, "Accept-Encoding": {"gzip"}}
		if e.ContentType != "" {
			h.Set("Content-Type", e.ContentType)
		}
		return &phiproxy.Flow{
			Start: time.Now(), Source: "proxy", ConnectTarget: host,
			Request: phiproxy.Request{Method: e.Method, URL: "https://" + host + e.Path, Host: host,
				Proto: "HTTP/1.1", Header: h, Body: e.Body, BodySize: int64(len(e.Body))},
			Response: &phiproxy.Response{Status: 200, Proto: "HTTP/1.1", BodySize: int64(len(benchmix.GIF)),
				Header: http.Header{"Content-Type": {"image/gif"}}},
		}
	}
	flagged := 0
	for i := range 12 {
		if len(in.Inspect(flow(i)).Findings) > 0 {
			flagged++
		}
	}
	if flagged < 3 {
		b.Fatalf("%d of 12 requests of the mix flagged, want the 3 with PHI at least", flagged)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := benchcpu.Now()
	var bytes int64
	n := 0
	for b.Loop() {
		f := flow(n)
		bytes += int64(len(f.Request.URL) + len(f.Request.Body))
		n++
		in.Inspect(f)
	}
	benchcpu.Report(b, start, bytes/int64(max(n, 1)))
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
