package decode

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/benchcpu"
)

func requestSize(f *phiproxy.Flow) int {
	n := len(f.Request.URL) + len(f.Request.Body)
	for k, vs := range f.Request.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	for _, m := range f.WebSocket {
		n += len(m.Data)
	}
	return n
}

// BenchmarkDecode decodes every fixture once per op; ns/request and
// allocs/request divide by the number of fixtures.
func BenchmarkDecode(b *testing.B) {
	var flows []*phiproxy.Flow
	size := 0
	for _, p := range fixturePaths(b) {
		f, err := loadFixture(p)
		if err != nil {
			b.Fatal(err)
		}
		flows = append(flows, f)
		size += requestSize(f)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	start := benchcpu.Now()
	for b.Loop() {
		for _, f := range flows {
			Flow(f, Limits{})
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(flows)), "ns/request")
	b.ReportMetric(float64((benchcpu.Now()-start).Nanoseconds())/float64(b.N*len(flows)), "cpu-ns/request")
}

// BenchmarkDecodeFixture times each fixture alone.
func BenchmarkDecodeFixture(b *testing.B) {
	for _, p := range fixturePaths(b) {
		f, err := loadFixture(p)
		if err != nil {
			b.Fatal(err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(p, payloadDir+"/"), ".http")
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(requestSize(f)))
			b.ReportAllocs()
			for b.Loop() {
				Flow(f, Limits{})
			}
		})
	}
}

// eventJSON builds a batch of analytics events of about n bytes: nested
// objects, URLs, free text, numbers and hashes, as SDK batches carry.
func eventJSON(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"batch":[`)
	for i := 0; b.Len() < n-400; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"event":"Page Viewed","messageId":"ajs-%08d","timestamp":"2026-11-28T10:00:%02d.000Z",`+
			`"properties":{"path":"/conditions/depression","title":"Depression treatment options and support | Clinic","value":%d.5,`+
			`"text":"Talk to a licensed therapist about anxiety, sleep and medication questions today."},`+
			`"context":{"page":{"url":"https://clinic.example/conditions/depression?utm_source=news&step=%d"},"library":{"name":"analytics.js","version":"5.2.1"}},`+
			`"userId":"%s","flags":[true,false,null]}`, i, i%60, i, i, sha256Hex(fmt.Sprint(i)))
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

func BenchmarkDecodeJSON(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1KB", 1 << 10}, {"64KB", 64 << 10}, {"1MB", 1 << 20}} {
		body := eventJSON(size.n)
		f := flowWith("POST", "https://api.segment.io/v1/batch", http.Header{"Content-Type": {"application/json"}}, body)
		// Raise the field limit so the whole document is walked.
		lim := Limits{MaxFields: 1 << 20}
		b.Run(size.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			start := benchcpu.Now()
			for b.Loop() {
				Flow(f, lim)
			}
			benchcpu.Report(b, start, int64(len(body)))
		})
	}
}

// BenchmarkDecodeBeacon decodes the Meta Pixel beacon that classify's
// BenchmarkInspectBeacon inspects: a long query string of escaped URLs,
// bracketed keys and hashes, the shape of most tracker GETs.
func BenchmarkDecodeBeacon(b *testing.B) {
	f, err := loadFixture("../../testdata/eval/flows/0001-meta-get.http")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(requestSize(f)))
	b.ReportAllocs()
	start := benchcpu.Now()
	for b.Loop() {
		Flow(f, Limits{})
	}
	benchcpu.Report(b, start, int64(requestSize(f)))
}

// BenchmarkLZStringReject tries LZString on slugs and IDs of LZString's
// alphabets that are not LZString, as unwrap does for many values.
func BenchmarkLZStringReject(b *testing.B) {
	in := []string{"treatment-123456", "ajs-0000000123456", "ob3pluginset9e3779b97f4a7c15", "SessionTokenAbcdefGhijk"}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range in {
			if out, err := lzDecompress(s, lzURISafe, 1<<20); err == nil && plausibleLZ(out) {
				b.Fatalf("%s: read as LZString", s)
			}
		}
	}
}
