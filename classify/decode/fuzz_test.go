package decode

import (
	"encoding/base64"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/encoded"
	"github.com/phiproxy/phiproxy/internal/lzstring"
)

// checkResult asserts the invariants every Result keeps, whatever the
// input: no recovered panic, limits respected, well-formed fields.
func checkResult(t *testing.T, res Result, lim Limits) {
	t.Helper()
	lim = lim.withDefaults()
	for _, n := range res.Notes {
		// The decoder's own note for a recovered panic. Libraries word
		// some errors on corrupt input the same way: a pooled flate
		// reader, reset after another stream, reports a bad code-length
		// symbol as "flate: internal error: unexpected length code",
		// where a new one says "corrupt input".
		if strings.HasPrefix(n, "decode: internal error") {
			t.Fatalf("panic recovered: %s", n)
		}
	}
	if len(res.Fields) > lim.MaxFields {
		t.Fatalf("fields: got %d, limit %d", len(res.Fields), lim.MaxFields)
	}
	if len(res.Notes) > maxNotes+1 {
		t.Fatalf("notes: got %d, limit %d", len(res.Notes), maxNotes+1)
	}
	for _, f := range res.Fields {
		if len(f.Chain) == 0 {
			t.Fatalf("field %q has an empty chain", f.Value)
		}
		if len(f.Chain) > 4*lim.MaxNesting+lim.MaxDepth+8 {
			t.Fatalf("chain of %d steps: %s", len(f.Chain), f.Path())
		}
	}
}

func FuzzValue(f *testing.F) {
	for _, s := range []string{
		"", "sertraline", "%252Fconditions%252Fdepression", "&amp;&#x41;&#65;",
		`{"a":[1,"b",{"c":null}]}`, `{"a":"\ud83d\ude00\u00e9\"\\"}`, `[`, `{"a":`,
		"https://a.example/p;x=1/q?x=1&y=%zz#f=1", "/conditions/DepressionTreatment",
		base64.StdEncoding.EncodeToString(encoded.Gzip([]byte(`{"m":"sertraline"}`))),
		lzstring.Compress(`{"m":"sertraline"}`, lzBase64[:64], true),
		lzstring.Compress(`{"m":"sertraline"}`, lzURISafe[:64], false),
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "eyJ!!", "H4sIAAAA",
		"73657274726160696e65", "a=1&b=2&c=%7B%22d%22%3A1%7D", strings.Repeat("[", 100),
		`{"value":"97403","name":"zip"}`, `{"params":[{"key":"dx","value":{"string_value":"asthma"}}]}`,
		`{"name":"a","value":{"value":{"name":"b","value":[1,{"value":null}]}}}`, `{"value":"x","id":`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lim := Limits{MaxBytes: 1 << 20, MaxFields: 500}
		checkResult(t, Value([]string{"v"}, "v", s, lim), lim)
	})
}

func FuzzFlow(f *testing.F) {
	paths, _ := fixturePathsNoT()
	for _, p := range paths {
		fl, err := loadFixture(p)
		if err != nil {
			continue
		}
		f.Add(fl.Request.URL, fl.Request.Header.Get("Content-Type"), fl.Request.Header.Get("Content-Encoding"), fl.Request.Header.Get("Cookie"), fl.Request.Body)
	}
	f.Add("https://t.example/?a", "multipart/form-data; boundary=b", "", "a=b", []byte("--b\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\nx\r\n--b--"))
	f.Add("https://t.example/", "application/x-sentry-envelope", "", "", []byte("{\"dsn\":1}\n{\"type\":\"x\",\"length\":3}\nabc\n"))
	f.Add("https://t.example/", "text/html", "", "", []byte("<a href='x'>y<b>z</a>"))
	f.Add("https://t.example/", "application/json", "br", "", []byte{0x1b, 0x03, 0x00})
	f.Add("https://t.example/", "", "zstd", "", zstdBytes([]byte("{}")))
	f.Fuzz(func(t *testing.T, rawURL, ct, enc, cookie string, body []byte) {
		if !utf8.ValidString(ct + enc + cookie) {
			return
		}
		h := http.Header{}
		h.Set("Content-Type", ct)
		h.Set("Content-Encoding", enc)
		h.Set("Cookie", cookie)
		h.Set("Authorization", "Bearer "+cookie)
		fl := &phiproxy.Flow{Request: phiproxy.Request{URL: rawURL, Header: h, Body: body}}
		fl.WebSocket = []phiproxy.WSMessage{{FromClient: true, Binary: true, Data: body}}
		lim := Limits{MaxBytes: 1 << 20, MaxFields: 500}
		checkResult(t, Flow(fl, lim), lim)
	})
}

// fixturePathsNoT lists the fixtures for seeding, where no *testing.T is
// at hand.
func fixturePathsNoT() ([]string, error) {
	entries, err := os.ReadDir(payloadDir)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		files, _ := os.ReadDir(payloadDir + "/" + e.Name())
		for _, f := range files {
			if strings.HasSuffix(f.Name(), ".http") {
				paths = append(paths, payloadDir+"/"+e.Name()+"/"+f.Name())
			}
		}
	}
	return paths, nil
}

// TestMutatedFixtures flips, cuts and splices bytes of every fixture body
// with a fixed seed: a cheap, deterministic slice of what the fuzzers do,
// run on every test run.
func TestMutatedFixtures(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var slowest time.Duration
	for _, p := range fixturePaths(t) {
		f, err := loadFixture(p)
		if err != nil {
			t.Fatal(err)
		}
		for range 40 {
			g := *f
			body := append([]byte(nil), f.Request.Body...)
			switch rng.IntN(4) {
			case 0:
				if len(body) > 0 {
					body = body[:rng.IntN(len(body))]
				}
			case 1:
				for range 1 + rng.IntN(8) {
					if len(body) > 0 {
						body[rng.IntN(len(body))] ^= byte(1 << rng.IntN(8))
					}
				}
			case 2:
				if len(body) > 2 {
					i := rng.IntN(len(body))
					body = append(body[:i:i], append(body[i:], body[rng.IntN(len(body)):]...)...)
				}
			case 3:
				g.Request.URL = g.Request.URL[:rng.IntN(len(g.Request.URL)+1)]
			}
			g.Request.Body = body
			start := time.Now()
			lim := Limits{MaxBytes: 1 << 20, MaxFields: 500}
			checkResult(t, Flow(&g, lim), lim)
			slowest = max(slowest, time.Since(start))
		}
	}
	t.Logf("slowest mutated request: %v", slowest)
}
