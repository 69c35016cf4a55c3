package dict

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"github.com/coregx/ahocorasick"

	"github.com/phiproxy/phiproxy/internal/benchcpu"
)

// ordinaryWords are the words of retail, news and analytics payloads
// that a proxy sees most: no health terms.
var ordinaryWords = strings.Fields(`the of and to in is for on that with as at by from this be are
was it an or have not but all new more one about your our can will page view click button
product cart checkout order shipping price sale offer home search results account login sign
event pageview session user id timestamp referrer url https www com category shoes jackets
weather sports politics election market stocks travel hotel flight review rating stars news
article video share subscribe newsletter privacy cookie consent accept settings analytics
utm_source google campaign summer winter black friday deal discount coupon delivery returns
blue red green large small medium size color brand model version build release mobile desktop
browser chrome safari firefox android iphone screen width height language en-US timezone
ambient amber ample prepaid cancellation therapeutic stroller colder planet focusing`)

// foreignWords are the non-ASCII words of ordinary pages: accented
// names, CJK, emoji.
var foreignWords = strings.Fields(`café Zürich naïve São Paulo Mädchen Ålesund résumé
東京 価格 購入する 😀 👍 Москва ñandú`)

// ordinaryText returns about n bytes of deterministic ordinary text,
// shaped like JSON analytics with URL-ish and camelCase tokens, numbers,
// capitalised words and some non-ASCII.
func ordinaryText(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	for b.Len() < n {
		switch r.IntN(15) {
		case 10:
			fmt.Fprintf(&b, `","ts":%d,"id":"%x`, 1733356800000+r.IntN(1e9), r.Uint64())
		case 11:
			w := ordinaryWords[r.IntN(len(ordinaryWords))]
			b.WriteString(". " + strings.ToUpper(w[:1]) + w[1:])
		case 12:
			b.WriteString(" " + foreignWords[r.IntN(len(foreignWords))])
		case 13:
			b.WriteString("+")
		case 14:
			b.WriteString(`","`)
		case 0:
			b.WriteString(`{"event":"`)
		case 1:
			b.WriteString(`","url":"https://www.example.com/`)
		case 2:
			b.WriteString("-")
		case 3:
			b.WriteString("_")
		case 4:
			b.WriteString("ButtonClick")
		default:
			b.WriteByte(' ')
		}
		b.WriteString(ordinaryWords[r.IntN(len(ordinaryWords))])
	}
	return b.String()
}

// benchDictionary is the embedded lists plus the test list, so that the
// benchmark has content even before the shipped lists are complete.
func benchDictionary(b *testing.B) *Dictionary {
	b.Helper()
	return shippedDict(b)
}

// benchFind measures find over 64 KB of ordinary text.
func benchFind(b *testing.B, find func(string) []Match) {
	text := ordinaryText(64 << 10)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	start := benchcpu.Now()
	for b.Loop() {
		find(text)
	}
	benchcpu.Report(b, start, int64(len(text)))
}

// BenchmarkFind measures throughput over ordinary text (MB/s in the
// output); the target is at least 300 MB/s with the full dictionaries.
func BenchmarkFind(b *testing.B) {
	m, err := benchDictionary(b).Build()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d terms, %d trie nodes, automaton %d bytes", m.Len(), len(m.nodes)-1, automatonBytes(m))
	benchFind(b, m.Find)
}

// automatonBytes is the memory the Matcher's matching tables hold (the
// terms and the code map, shared with the Dictionary, left out): the part
// of the proxy's resident set that the layout decides.
func automatonBytes(m *Matcher) int {
	return int(unsafe.Sizeof(*m)) + len(m.nodes)*int(unsafe.Sizeof(node{})) +
		len(m.labels) + len(m.next)*4 + len(m.dense)*4 +
		len(m.starts)*8 + len(m.prefixes)*8
}

// BenchmarkFindReference is BenchmarkFind on the reference matcher of
// reference_test.go (folding, then walking the folded copy), to compare
// the two in one run.
func BenchmarkFindReference(b *testing.B) {
	m, err := refBuild(benchDictionary(b))
	if err != nil {
		b.Fatal(err)
	}
	benchFind(b, m.Find)
}

// BenchmarkFindShortFields is the proxy's real shape: many short values.
func BenchmarkFindShortFields(b *testing.B) {
	m, err := benchDictionary(b).Build()
	if err != nil {
		b.Fatal(err)
	}
	fields := strings.Fields(ordinaryText(4 << 10))
	total := 0
	for _, f := range fields {
		total += len(f)
	}
	b.SetBytes(int64(total))
	b.ResetTimer()
	start := benchcpu.Now()
	for b.Loop() {
		for _, f := range fields {
			m.Find(f)
		}
	}
	benchcpu.Report(b, start, int64(total))
}

// BenchmarkBuild measures compiling the embedded lists (target < 300 ms).
func BenchmarkBuild(b *testing.B) {
	d := benchDictionary(b)
	b.ResetTimer()
	start := benchcpu.Now()
	for b.Loop() {
		if _, err := d.Build(); err != nil {
			b.Fatal(err)
		}
	}
	benchcpu.Report(b, start, 0)
}

// BenchmarkCoregxOverlapping is the alternative considered: the
// coregx/ahocorasick DFA over the same folded keys. Word boundaries need
// every overlapping match (a rejected "ambien" inside "ambient" must not
// hide a later valid match), so FindAllOverlapping is the call that would
// be used; the folding is done once outside the loop, in its favour.
func BenchmarkCoregxOverlapping(b *testing.B) {
	d := benchDictionary(b)
	var keys []string
	for _, t := range d.terms {
		keys = append(keys, normalizeKey(t.Term))
		for _, a := range t.Aliases {
			keys = append(keys, normalizeKey(a))
		}
	}
	ac, err := ahocorasick.NewBuilder().AddStrings(keys).SetMatchKind(ahocorasick.LeftmostLongest).Build()
	if err != nil {
		b.Fatal(err)
	}
	var nt normText
	text := ordinaryText(64 << 10)
	nt.normalize(text, true)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	start := benchcpu.Now()
	for b.Loop() {
		ac.FindAllOverlapping(nt.b)
	}
	benchcpu.Report(b, start, int64(len(text)))
}

// BenchmarkCoregxBuild is the alternative's build time.
func BenchmarkCoregxBuild(b *testing.B) {
	d := benchDictionary(b)
	var keys []string
	for _, t := range d.terms {
		keys = append(keys, normalizeKey(t.Term))
		for _, a := range t.Aliases {
			keys = append(keys, normalizeKey(a))
		}
	}
	b.ResetTimer()
	start := benchcpu.Now()
	for b.Loop() {
		if _, err := ahocorasick.NewBuilder().AddStrings(keys).SetMatchKind(ahocorasick.LeftmostLongest).Build(); err != nil {
			b.Fatal(err)
		}
	}
	benchcpu.Report(b, start, 0)
}
