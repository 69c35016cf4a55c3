package decode

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/encoded"
)

// TestChainArena carves chains from random parents across many blocks and
// checks that every chain keeps its steps and that appending to one never
// overwrites another.
func TestChainArena(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var a chainArena
	type carved struct{ got, want []string }
	chains := []carved{{got: nil, want: nil}}
	for i := range 5000 {
		p := chains[rng.IntN(len(chains))]
		if len(p.want) > 12 {
			p = chains[0]
		}
		step := "s" + strconv.Itoa(i)
		c := a.extend(p.got, step)
		if cap(c) != len(c) {
			t.Fatalf("chain %d: cap %d, want len %d", i, cap(c), len(c))
		}
		chains = append(chains, carved{c, append(slices.Clone(p.want), step)})
		if rng.IntN(10) == 0 {
			_ = append(c, "appended") // must copy, not write into the arena
		}
	}
	for i, c := range chains {
		if !slices.Equal(c.got, c.want) {
			t.Fatalf("chain %d: got %q, want %q", i, c.got, c.want)
		}
	}
}

// TestTextArena checks that steps handed out stay unchanged while later
// ones fill and replace the blocks.
func TestTextArena(t *testing.T) {
	var a TextArena
	var got, want []string
	for i := range 3000 {
		w := strings.Repeat(strconv.Itoa(i), 1+i%40)
		switch i % 4 {
		case 0:
			got = append(got, a.fromBytes([]byte(w)))
		case 1:
			got = append(got, a.Join(w[:len(w)/2], "", w[len(w)/2:]))
		case 2:
			got = append(got, a.join2(w[:len(w)/3], w[len(w)/3:]))
		default:
			got = append(got, a.unescape(url.QueryEscape(w+"/ "+w), true))
			w += "/ " + w
		}
		want = append(want, w)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("step %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

// TestInertCacheSameFields decodes a batch big enough to use the cache of
// sniffing verdicts, with every candidate repeated as a JSON string and as
// a query value, and checks each item gives exactly the fields and notes it
// gives decoded alone (where the cache is not used).
func TestInertCacheSameFields(t *testing.T) {
	candidates := []string{
		"conditions", "depression", "ajs-00000001", "c2VydHJhbGluZQ", "c2VydHJh bGluZQ",
		"Hello%20World", "%41%42%43%44", "eyJ!!!!!", "H4sIAAAA", "deadbeefcafe", "73657274",
		"MTIzNDU2Nzg5", "abcdefgh", "a+b+c+d+e", "  spaced  ", "12345678901",
	}
	// A value whose '+' arrives as a space: left alone outside a query
	// string, decoded inside one, so a cache mixing the two would show.
	candidates = append(candidates, spacedBase64(t))
	// Each candidate alternates as a JSON string and a query value, then
	// repeats as one kind in a row, so verdicts are both reused and
	// replaced.
	var items []string
	for range 2 {
		for _, c := range candidates {
			items = append(items, strconv.Quote(c), strconv.Quote("https://x.example/p?q="+url.QueryEscape(c)))
		}
	}
	for range 2 {
		for _, c := range candidates {
			items = append(items, strconv.Quote(c))
		}
	}
	for range 2 {
		for _, c := range candidates {
			items = append(items, strconv.Quote("https://x.example/p?q="+url.QueryEscape(c)))
		}
	}
	const target = "https://t.example/collect"
	flow := func(body string) *phiproxy.Flow {
		return flowWith("POST", target, http.Header{"Content-Type": {"application/json"}}, []byte(body))
	}
	lim := Limits{MaxFields: 1 << 16}
	batch := Flow(flow("["+strings.Join(items, ",")+"]"), lim)
	urlFields := len(Flow(flowWith("POST", target, nil, nil), lim).Fields)
	if len(batch.Fields) < inertAfter+urlFields {
		t.Fatalf("batch gave %d fields, too few to use the cache", len(batch.Fields))
	}

	var want []phiproxy.Field
	var wantNotes []string
	for i, item := range items {
		alone := Flow(flow(item), lim)
		at := fmt.Sprintf("json:$[%d]", i)
		for _, f := range alone.Fields[urlFields:] {
			f.Chain = slices.Clone(f.Chain)
			f.Chain[1] = at
			want = append(want, f)
		}
		for _, n := range alone.Notes {
			wantNotes = append(wantNotes, strings.Replace(n, "json:$", at, 1))
		}
	}
	got := batch.Fields[urlFields:]
	if len(got) != len(want) {
		t.Fatalf("fields: got %d, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Path() != want[i].Path() || got[i].Key != want[i].Key || got[i].Value != want[i].Value || got[i].Truncated != want[i].Truncated {
			t.Fatalf("field %d: got %s %q %q %v, want %s %q %q %v", i,
				got[i].Path(), got[i].Key, got[i].Value, got[i].Truncated,
				want[i].Path(), want[i].Key, want[i].Value, want[i].Truncated)
		}
	}
	if !slices.Equal(batch.Notes, wantNotes) {
		t.Fatalf("notes: got %q, want %q", batch.Notes, wantNotes)
	}
}

// spacedBase64 returns unpadded-length-12 base64 of printable text with a
// '+' in it, the '+' replaced by a space.
func spacedBase64(t *testing.T) string {
	for a := byte(' '); a < 0x7f; a++ {
		for b := byte(' '); b < 0x7f; b++ {
			enc := base64.StdEncoding.EncodeToString([]byte{'m', 'e', a, b, 'd', 's', 'x', 'y'})
			if strings.Contains(enc, "+") && strings.HasSuffix(enc, "=") {
				return strings.ReplaceAll(enc, "+", " ")
			}
		}
	}
	t.Fatal("no base64 with '+' found")
	return ""
}

// TestInertCacheKeys checks the cache keeps query and non-query verdicts
// apart and leaves out strings whose verdict depends on more than their
// bytes.
func TestInertCacheKeys(t *testing.T) {
	d := newDecoder(Limits{})
	d.count = inertAfter
	s := d.root().at("v", "v")
	d.text(s, "conditions")
	if !d.inert.has("conditions", false) {
		t.Errorf("conditions: not remembered")
	}
	if d.inert.has("conditions", true) {
		t.Errorf("conditions: remembered for query values too")
	}
	for _, v := range []string{"abcdefghijklmnopq", "eyJ!!!!!", "H4sIAAAA"} {
		d.text(s, v)
		if d.inert.has(v, false) {
			t.Errorf("%s: remembered, want left out", v)
		}
	}
}

// TestDigestHidingCompression checks that a digest-long hex string is
// still decoded when its bytes are compressed data.
func TestDigestHidingCompression(t *testing.T) {
	gz := encoded.Gzip([]byte("sertraline"))
	n := 32
	for n < len(gz) {
		n += 16
	}
	if !isHashHexLen(2 * n) {
		t.Fatalf("gzip of %d bytes does not fit a digest length", len(gz))
	}
	in := hex.EncodeToString(append(gz, make([]byte, n-len(gz))...))
	res := Value([]string{"v"}, "v", in, Limits{})
	if !has(res, "v > hex > gzip", "sertraline") {
		t.Fatalf("got\n%swant v > hex > gzip = sertraline", render(res))
	}
	plainDigest := sha256Hex("sertraline")
	if res := Value([]string{"v"}, "v", plainDigest, Limits{}); len(res.Fields) != 1 || res.Fields[0].Value != plainDigest {
		t.Fatalf("digest: got\n%swant it alone", render(res))
	}
}

// TestJSONFieldEstimate checks the reservation follows the members of a
// document and stays bounded when colons are not members.
func TestJSONFieldEstimate(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want int
	}{
		{"members", `{"a":1,"b":"x","c":{"d":true,"e":null},"f":"g","h":2,"i":3,"j":4}`, 11},
		{"colons in a string", `"` + strings.Repeat(":", 4000) + `"`, 1000},
		{"no members", `[1,2,3]`, 0},
		{"huge", strings.Repeat(`{"a":1},`, 1<<17), maxFieldReserve},
	}
	for _, tt := range tests {
		if got := jsonFieldEstimate([]byte(tt.doc)); got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, got, tt.want)
		}
	}
}
