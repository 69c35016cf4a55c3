package decode

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy/internal/encoded"
)

func hasNote(res Result, substr string) bool {
	for _, n := range res.Notes {
		if strings.Contains(n, substr) {
			return true
		}
	}
	return false
}

func anyTruncated(res Result) bool {
	for _, f := range res.Fields {
		if f.Truncated {
			return true
		}
	}
	return false
}

// gzipBomb concatenates gzip members of 1 MiB of zeros: about 1 KiB each,
// so n members decode to n MiB. The decoder reads multistream gzip, as
// browsers do.
func gzipBomb(members int) []byte {
	var one bytes.Buffer
	w, _ := gzip.NewWriterLevel(&one, gzip.BestCompression)
	w.Write(make([]byte, 1<<20))
	w.Close()
	return bytes.Repeat(one.Bytes(), members)
}

func nestedJSON(levels int, leaf string) string {
	return strings.Repeat(`{"a":`, levels) + `"` + leaf + `"` + strings.Repeat("}", levels)
}

// TestMalformed feeds broken input: each case must yield what could be
// read, a note saying what went wrong, and no panic.
func TestMalformed(t *testing.T) {
	doc := []byte(`{"event":"refill","medication":"sertraline","notes":"` + strings.Repeat("x", 4000) + `"}`)
	gz := encoded.Gzip(doc)
	tests := []struct {
		name      string
		ct, enc   string
		body      []byte
		note      string // substring of a note
		wantField string // a value that must still be found ("" for none)
	}{
		{"truncated gzip", "application/json", "gzip", gz[:len(gz)/2], "gzip: unexpected EOF", ""},
		{"truncated gzip sniffed", "text/plain", "", gz[:len(gz)-6], "gzip: unexpected EOF", "sertraline"},
		{"gzip declared but plain", "application/json", "gzip", doc, "not gzip", "sertraline"},
		{"invalid json", "application/json", "", []byte(`{"medication":"sertraline","dose": }`), "invalid character '}'", "sertraline"},
		{"invalid json no fields", "application/json", "", []byte(`{medication: sertraline}`), "invalid character 'm'", "{medication: sertraline}"},
		{"nested 100 levels", "application/json", "", []byte(nestedJSON(100, "sertraline")), "nesting over 64", ""},
		{"broken multipart boundary", "multipart/form-data; boundary=right", "", []byte("--wrong\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\nsertraline\r\n--wrong--\r\n"), "multipart", "--wrong"},
		{"multipart without end", "multipart/form-data; boundary=b", "", []byte("--b\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\nsertraline"), "multipart", "sertraline"},
		{"invalid utf-8 body", "text/plain", "", []byte("\xff\xfe\xfdsertraline and more\xff"), "binary data", "sertraline and more"},
		{"invalid utf-8 in json", "application/json", "", []byte("{\"a\":\"\xff\xfesertraline\"}"), "", "\xff\xfesertraline"},
		{"bad base64", "application/x-www-form-urlencoded", "", []byte("data=eyJhIjoi*bad*"), "base64", "eyJhIjoi*bad*"},
		{"truncated base64 gzip", "text/plain", "", []byte(base64.StdEncoding.EncodeToString(gz)[:len(gz)/2*4/3/4*4]), "gzip: unexpected EOF", ""},
		{"unknown encoding", "application/json", "compress", doc, "unknown content-encoding", "sertraline"},
		{"bad envelope item", "application/x-sentry-envelope", "", []byte("{\"dsn\":\"x\"}\nnot json\n"), "envelope: item 1 header", ""},
		{"envelope length beyond body", "application/x-sentry-envelope", "", []byte("{\"dsn\":\"x\"}\n{\"type\":\"event\",\"length\":999}\n{\"m\":\"anxiety\"}"), "beyond body", "anxiety"},
		{"xml unclosed", "application/xml", "", []byte("<a><b>sertraline</b><c attr='x"), "xml:", "sertraline"},
		{"empty body", "application/json", "", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Content-Type": {tt.ct}}
			if tt.enc != "" {
				h.Set("Content-Encoding", tt.enc)
			}
			res := Flow(flowWith("POST", "https://t.example/", h, tt.body), Limits{})
			if tt.note != "" && !hasNote(res, tt.note) {
				t.Errorf("notes: got %q, want one containing %q", res.Notes, tt.note)
			}
			if tt.wantField != "" {
				found := false
				for _, f := range res.Fields {
					if strings.Contains(f.Value, tt.wantField) {
						found = true
					}
				}
				if !found {
					t.Errorf("got\n%swant a field containing %q", render(res), tt.wantField)
				}
			}
			if hasNote(res, "internal error") {
				t.Errorf("recovered panic: %q", res.Notes)
			}
		})
	}
}

func TestNestedJSONKeepsText(t *testing.T) {
	res := Flow(flowWith("POST", "https://t.example/", http.Header{"Content-Type": {"application/json"}}, []byte(nestedJSON(100, "sertraline"))), Limits{})
	if len(res.Fields) != 2 {
		t.Fatalf("got\n%swant the host and one truncated field", render(res))
	}
	f := res.Fields[1]
	if !f.Truncated || !strings.Contains(f.Value, "sertraline") || strings.Count(f.Chain[1], ".a") != 64 {
		t.Fatalf("got %s = %.80q truncated=%v, want the subtree at depth 64 kept as truncated text", f.Path(), f.Value, f.Truncated)
	}
}

// TestDeepNesting checks that a million levels cost neither the stack nor
// quadratic time: JSON is skipped iteratively past MaxNesting, and values
// decoded inside values stop at MaxNesting too.
func TestDeepNesting(t *testing.T) {
	deep := strings.Repeat("[", 1_000_000) + strings.Repeat("]", 1_000_000)
	res := Flow(flowWith("POST", "https://t.example/", http.Header{"Content-Type": {"application/json"}}, []byte(deep)), Limits{})
	if !hasNote(res, "nesting over 64") {
		t.Fatalf("notes: got %q, want a nesting note", res.Notes)
	}
	unclosed := strings.Repeat(`{"a":[`, 200_000)
	res = Flow(flowWith("POST", "https://t.example/", http.Header{"Content-Type": {"application/json"}}, []byte(unclosed)), Limits{})
	if !hasNote(res, "unexpected end") {
		t.Fatalf("notes: got %q, want an unexpected end note", res.Notes)
	}
	// A URL inside a parameter of a URL inside a parameter...: each level
	// is a value decoded inside a value.
	u := "https://a.example/" + strings.Repeat("?u=https://a.example/", 10_000)
	res = Value([]string{"v"}, "v", u, Limits{})
	if !hasNote(res, "nesting limit 64") || !anyTruncated(res) {
		t.Fatalf("notes: got %q, want the nesting limit noted and a truncated field", res.Notes)
	}
}

// TestGzipBomb sends about 10 MB of gzip that would inflate to 10 GB. The
// decoder must stop at the byte budget; memory stays bounded by it.
func TestGzipBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10 MB body")
	}
	bomb := gzipBomb(10 << 10)
	lim := DefaultLimits()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := Flow(flowWith("POST", "https://t.example/", http.Header{"Content-Type": {"text/plain"}, "Content-Encoding": {"gzip"}}, bomb), lim)
	runtime.ReadMemStats(&after)
	if !hasNote(res, "gzip: decoded-byte budget 33554432 exhausted, truncated") {
		t.Fatalf("notes: got %q, want the budget note", res.Notes)
	}
	total := 0
	for _, f := range res.Fields {
		if f.Chain[0] == "body" {
			total += len(f.Value)
		}
	}
	if int64(total) > lim.MaxBytes {
		t.Fatalf("decoded %d bytes, over the budget %d", total, lim.MaxBytes)
	}
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(8*lim.MaxBytes); got > limit {
		t.Fatalf("allocated %d bytes, want at most %d (8x the budget)", got, limit)
	}
}

func TestDecompressionRatio(t *testing.T) {
	bomb := gzipBomb(4) // 4 KiB in, 4 MiB out
	res := Flow(flowWith("POST", "https://t.example/", http.Header{"Content-Type": {"text/plain"}}, bomb), Limits{})
	if !hasNote(res, "body: gzip: decompression ratio over 100, truncated") {
		t.Fatalf("notes: got %q, want the ratio note", res.Notes)
	}
	if !anyTruncated(res) {
		t.Fatalf("got\n%swant truncated fields", render(res))
	}
}

func TestLimits(t *testing.T) {
	var many strings.Builder
	many.WriteString("[")
	for i := range 100 {
		if i > 0 {
			many.WriteString(",")
		}
		fmt.Fprintf(&many, `"v%d"`, i)
	}
	many.WriteString("]")
	t.Run("fields", func(t *testing.T) {
		res := Value([]string{"v"}, "v", many.String(), Limits{MaxFields: 5})
		if len(res.Fields) != 5 || !res.Fields[4].Truncated || !hasNote(res, "field limit 5 reached") {
			t.Fatalf("got\n%swant 5 fields, the last truncated, and a note", render(res))
		}
	})
	t.Run("depth", func(t *testing.T) {
		in := base64.StdEncoding.EncodeToString([]byte(base64.StdEncoding.EncodeToString([]byte("sertraline 50 mg daily dose"))))
		res := Value([]string{"v"}, "v", in, Limits{MaxDepth: 1})
		if !hasNote(res, "depth limit 1 reached") || !anyTruncated(res) {
			t.Fatalf("got\n%swant a depth note and a truncated field", render(res))
		}
		if res = Value([]string{"v"}, "v", in, Limits{}); !has(res, "v > base64 > base64", "sertraline 50 mg daily dose") {
			t.Fatalf("default depth: got\n%swant two base64 layers undone", render(res))
		}
	})
	t.Run("bytes", func(t *testing.T) {
		in := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("sertraline ", 100)))
		res := Value([]string{"v"}, "v", in, Limits{MaxBytes: 100})
		if !hasNote(res, "budget 100 exhausted") || !anyTruncated(res) {
			t.Fatalf("got\n%swant a budget note and a truncated field", render(res))
		}
	})
	t.Run("captured body truncated", func(t *testing.T) {
		f := flowWith("POST", "https://t.example/", http.Header{"Content-Type": {"application/json"}}, []byte(`{"a":"sertraline"}`))
		f.Request.Truncated, f.Request.BodySize = true, 1<<20
		res := Flow(f, Limits{})
		if !has(res, "body > json:$.a", "sertraline") || !res.Fields[len(res.Fields)-1].Truncated || !hasNote(res, "captured 18 of 1048576 bytes") {
			t.Fatalf("got\n%swant the body field marked truncated and a note", render(res))
		}
	})
	t.Run("notes capped", func(t *testing.T) {
		var b strings.Builder
		for i := range 500 {
			fmt.Fprintf(&b, "{\"n\":%d,}\n", i)
		}
		res := Flow(flowWith("POST", "https://t.example/", http.Header{"Content-Type": {"application/x-ndjson"}}, []byte(b.String())), Limits{})
		if len(res.Notes) != maxNotes+1 || !hasNote(res, "400 more notes omitted") {
			t.Fatalf("got %d notes ending %q, want %d and a count of the rest", len(res.Notes), res.Notes[len(res.Notes)-1], maxNotes+1)
		}
	})
}
