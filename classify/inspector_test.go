package classify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify/persona"
	"github.com/phiproxy/phiproxy/internal/benchmix"
)

// testTerms are made-up terms so the context rules are tested apart from
// what the shipped dictionaries hold.
const testTerms = "# term\tkind\tcanonical\tcategory\tsensitivity\taliases\tcodes\tflags\n" +
	"zorbalin\tmedication\tzorbalin\tmental_health\thigh\t\t\t\n" +
	"Glimmex\tmedication\tzorbalin\tmental_health\thigh\t\t\t\n" +
	"sparklequin\tmedication\tsparklequin\tgeneral\tstandard\t\t\tambiguous\n" +
	"fizzleitis\tcondition\tfizzleitis\tgeneral\tstandard\t\tU07.0\t\n"

func newTestInspector(t testing.TB, opts Options) *Inspector {
	t.Helper()
	path := filepath.Join(t.TempDir(), "terms.tsv")
	if err := os.WriteFile(path, []byte(testTerms), 0o600); err != nil {
		t.Fatal(err)
	}
	opts.DictFiles = append(opts.DictFiles, path)
	in, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// beacon is a GET to a tracker with the given query parameters, sent from
// a page of cedarclinic.com.
func beacon(page string, params ...string) *phiproxy.Flow {
	q := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		q.Add(params[i], params[i+1])
	}
	h := http.Header{}
	h.Set("Referer", page)
	return &phiproxy.Flow{Request: phiproxy.Request{Method: "GET", URL: "https://tracker.example.net/collect?" + q.Encode(), Header: h}}
}

func termsOf(ins phiproxy.Inspection) map[string]phiproxy.Finding {
	m := map[string]phiproxy.Finding{}
	for _, f := range ins.Findings {
		m[string(f.Kind)+":"+f.Term] = f
	}
	return m
}

func TestInspectContextRules(t *testing.T) {
	in := newTestInspector(t, Options{Sites: []string{"cedarclinic.com"}})
	const home = "https://www.cedarclinic.com/"
	tests := []struct {
		name string
		flow *phiproxy.Flow
		want string // "kind:term" that must be found, or ""
		not  string // "kind:term" that must not be found, or ""
	}{
		{"plain term, any key", beacon(home, "title", "Glimmex refill"), "medication:zorbalin", ""},
		{"ambiguous term without context", beacon(home, "title", "sparklequin lamp"), "", "medication:sparklequin"},
		{"ambiguous term under a health key", beacon(home, "medication", "sparklequin"), "medication:sparklequin", ""},
		{"ambiguous term under a nested health key", beacon(home, "ep.rx_name", "sparklequin"), "medication:sparklequin", ""},
		{"ambiguous term with another health term in the flow", beacon(home, "title", "sparklequin", "note", "zorbalin"), "medication:sparklequin", ""},
		{"ambiguous term on a health page", beacon("https://www.cedarclinic.com/pharmacy/refills", "title", "sparklequin"), "medication:sparklequin", ""},
		{"ambiguous term under a product key despite context", beacon(home, "sku", "sparklequin", "note", "zorbalin"), "", "medication:sparklequin"},
		{"ICD code without context", beacon(home, "ref", "U07.0"), "", "condition:fizzleitis"},
		{"ICD code under a diagnosis key", beacon(home, "dx", "U07.0"), "condition:fizzleitis", ""},
		{"ICD code as a version despite context", beacon(home, "version", "U07.0", "note", "zorbalin"), "", "condition:fizzleitis"},
		{"ICD code on a health page", beacon("https://www.cedarclinic.com/conditions/", "ref", "U07.0"), "condition:fizzleitis", ""},
		{"event name", beacon(home, "en", "Paid: Glimmex Refill"), "medication:zorbalin", ""},
		{"term in a key", beacon(home, "cd[zorbalin_dose]", "50"), "medication:zorbalin", ""},
		{"word boundary", beacon(home, "title", "zorbalinx"), "", "medication:zorbalin"},
	}
	for _, tt := range tests {
		got := termsOf(in.Inspect(tt.flow))
		if tt.want != "" {
			if _, ok := got[tt.want]; !ok {
				t.Errorf("%s: %s not found; got %v", tt.name, tt.want, keys(got))
			}
		}
		if tt.not != "" {
			if _, ok := got[tt.not]; ok {
				t.Errorf("%s: %s found, want nothing", tt.name, tt.not)
			}
		}
	}
}

func keys(m map[string]phiproxy.Finding) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestInspectFindingFields(t *testing.T) {
	in := newTestInspector(t, Options{Sites: []string{"cedarclinic.com"}})
	ins := in.Inspect(beacon("https://www.cedarclinic.com/", "en", "Paid: Glimmex Refill", "dup", "Glimmex and Glimmex again"))
	var en []phiproxy.Finding
	perPath := map[string]int{}
	for _, f := range ins.Findings {
		if f.Term == "zorbalin" {
			perPath[f.Path]++
			if f.Field == "Paid: Glimmex Refill" {
				en = append(en, f)
			}
		}
	}
	for p, n := range perPath {
		if n != 1 {
			t.Errorf("path %s: %d findings of zorbalin, want 1 (deduplicated)", p, n)
		}
	}
	if len(en) != 1 {
		t.Fatalf("event-name finding: got %d, want 1: %+v", len(en), ins.Findings)
	}
	f := en[0]
	if f.Value != "Glimmex" || f.Start != 6 || f.End != 13 {
		t.Errorf("value/offsets: got %q %d..%d, want \"Glimmex\" 6..13", f.Value, f.Start, f.End)
	}
	if f.Source != phiproxy.SourceDictionary || f.Category != "mental_health" || f.Kind != phiproxy.KindMedication {
		t.Errorf("source/category/kind: got %s %s %s", f.Source, f.Category, f.Kind)
	}
	if !strings.Contains(f.Path, "en") {
		t.Errorf("path %q does not name the field", f.Path)
	}
	if f.Score <= 0 || f.Score > 1 {
		t.Errorf("score %v out of (0,1]", f.Score)
	}
}

func sha256hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestInspectPersonaAndSeverity(t *testing.T) {
	p := &persona.Persona{FirstName: "Jordan", Email: "Jordan.Whitfield@example.com"}
	in := newTestInspector(t, Options{Sites: []string{"cedarclinic.com"}, Persona: p})
	flow := beacon("https://www.cedarclinic.com/", "ud[em]", sha256hex("jordan.whitfield@example.com"), "cd[content_name]", "Glimmex")
	flow.Request.URL = strings.Replace(flow.Request.URL, "tracker.example.net", "www.facebook.com", 1)
	ins := in.Inspect(flow)
	got := termsOf(ins)
	em, ok := got["email:jordan.whitfield@example.com"]
	if !ok {
		t.Fatalf("hashed persona email not found: %v", keys(got))
	}
	if em.Source != phiproxy.SourcePersona || !strings.HasSuffix(em.Path, "> sha256-hex") {
		t.Errorf("persona finding: source %s path %q, want persona and a sha256-hex disguise", em.Source, em.Path)
	}
	if ins.Destination.Vendor == "" || ins.Destination.Party != phiproxy.ThirdParty {
		t.Errorf("destination: got %+v, want a third-party vendor", ins.Destination)
	}
	for _, f := range ins.Findings {
		if f.Severity != phiproxy.Critical {
			t.Errorf("%s %s: severity %v, want critical (identifier + health to a third party)", f.Kind, f.Term, f.Severity)
		}
	}
	if ins.Severity != phiproxy.Critical {
		t.Errorf("inspection severity: got %v, want critical", ins.Severity)
	}

	// The same flow to the site itself is first party: info.
	flow.Request.URL = strings.Replace(flow.Request.URL, "www.facebook.com", "www.cedarclinic.com", 1)
	if ins := in.Inspect(flow); ins.Severity != phiproxy.Info || !ins.Flagged() {
		t.Errorf("first party: severity %v flagged %v, want info and flagged", ins.Severity, ins.Flagged())
	}
}

func TestInspectBAA(t *testing.T) {
	in := newTestInspector(t, Options{Sites: []string{"cedarclinic.com"}, BAA: []string{"example.net"}})
	ins := in.Inspect(beacon("https://www.cedarclinic.com/", "note", "zorbalin"))
	if !ins.Destination.BAA || ins.Severity != phiproxy.Low {
		t.Errorf("BAA: got BAA %v severity %v, want true and low", ins.Destination.BAA, ins.Severity)
	}
}

func TestInspectHostileInputs(t *testing.T) {
	in := newTestInspector(t, Options{})
	deep := strings.Repeat(`{"a":`, 5000) + `"zorbalin"` + strings.Repeat("}", 5000)
	flows := []*phiproxy.Flow{
		nil,
		{},
		{Request: phiproxy.Request{URL: "::::"}},
		{Request: phiproxy.Request{Method: "POST", URL: "https://x.example.net/", Body: []byte(deep)}},
		{Request: phiproxy.Request{Method: "POST", URL: "https://x.example.net/", Body: []byte{0x1f, 0x8b, 8, 0, 0, 0}}},
		{Request: phiproxy.Request{Method: "POST", URL: "https://x.example.net/?" + strings.Repeat("a=%zz&", 2000)}},
		{Request: phiproxy.Request{URL: "https://x.example.net/", Header: http.Header{"Referer": {"%%%"}}}},
		{WebSocket: []phiproxy.WSMessage{{FromClient: true, Binary: true, Data: []byte{0xff, 0xfe}}}},
	}
	for i, f := range flows {
		done := make(chan phiproxy.Inspection, 1)
		go func() { done <- in.Inspect(f) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("flow %d: Inspect did not return within 10s", i)
		}
	}
}

func TestInspectConcurrent(t *testing.T) {
	in := newTestInspector(t, Options{})
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				nav := flowTo("GET", "https://www.cedarclinic.com/", "Sec-Fetch-Mode", "navigate")
				in.Inspect(nav)
				ins := in.Inspect(beacon("https://www.cedarclinic.com/", "note", "zorbalin"))
				if _, ok := termsOf(ins)["medication:zorbalin"]; !ok {
					errs <- "zorbalin not found"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestInspectConcurrentSameAsAlone inspects the benchmark mix (pixels,
// JSON batches and forms, a quarter with PHI) from eight goroutines at
// once and holds every result to the one the same flow gave alone: the
// pooled decoders, fields and scratch buffers must not leak one flow into
// another.
func TestInspectConcurrentSameAsAlone(t *testing.T) {
	in := newTestInspector(t, Options{})
	const host = "127.0.0.1:8443"
	flows := make([]*phiproxy.Flow, 96)
	for i := range flows {
		e := benchmix.Request(i, 3)
		h := http.Header{}
		if e.ContentType != "" {
			h.Set("Content-Type", e.ContentType)
		}
		flows[i] = &phiproxy.Flow{Source: "proxy", ConnectTarget: host, Request: phiproxy.Request{
			Method: e.Method, URL: "https://" + host + e.Path, Host: host, Header: h, Body: e.Body, BodySize: int64(len(e.Body))}}
	}
	// A first pass settles what the inspector remembers (memos, pages).
	for _, f := range flows {
		in.Inspect(f)
	}
	alone := make([]phiproxy.Inspection, len(flows))
	flagged := 0
	for i, f := range flows {
		alone[i] = in.Inspect(f)
		if len(alone[i].Findings) > 0 {
			flagged++
		}
	}
	if flagged < len(flows)/4 {
		t.Fatalf("%d of %d flows flagged alone, want at least the quarter with PHI", flagged, len(flows))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 3 * len(flows) {
				i := (g*37 + k*(2*g+1)) % len(flows)
				if got := in.Inspect(flows[i]); !reflect.DeepEqual(got, alone[i]) {
					errs <- fmt.Sprintf("flow %d inspected beside others: %+v\nalone: %+v", i, got, alone[i])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestCanonicalIdentifier(t *testing.T) {
	tests := []struct {
		kind     phiproxy.Kind
		in, want string
	}{
		{phiproxy.KindEmail, " Jane.Doe@Example.COM ", "jane.doe@example.com"},
		{phiproxy.KindPhone, "(312) 847-2291", "+13128472291"},
		{phiproxy.KindPhone, "+1 312 847 2291", "+13128472291"},
		{phiproxy.KindPhone, "+44 20 7946 0958", "+442079460958"},
		{phiproxy.KindSSN, "512447812", "512-44-7812"},
		{phiproxy.KindDOB, "19791103", "1979-11-03"},
		{phiproxy.KindDOB, "11/03/1979", "1979-11-03"},
		{phiproxy.KindZIP, "606141234", "60614-1234"},
		{phiproxy.KindName, "  Jordan   Whitfield ", "jordan whitfield"},
		{phiproxy.KindIP, "2601:0646:8d00:01a2:0000:0000:0000:003f", "2601:646:8d00:1a2::3f"},
		{phiproxy.KindMRN, "mrn-77", "MRN-77"},
	}
	for _, tt := range tests {
		if got := canonicalIdentifier(tt.kind, tt.in); got != tt.want {
			t.Errorf("canonicalIdentifier(%s, %q): got %q, want %q", tt.kind, tt.in, got, tt.want)
		}
	}
}

func TestSplitWords(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"cd[buttonText]", "cd button text"},
		{"ep.condition_name", "ep condition name"},
		{"$current_url", "current url"},
		{"HTMLParser", "htmlparser"},
		{"dateOfBirth", "date of birth"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := strings.Join(splitWords(tt.in, 64), " "); got != tt.want {
			t.Errorf("splitWords(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := len(splitWords(strings.Repeat("a b ", 1000), 10)); got != 10 {
		t.Errorf("splitWords bound: got %d words, want 10", got)
	}
	// The ASCII fast path splits as the rune tables do, mixed text too.
	alphabet := []rune("aZq09_-. [$]ÉéßĞğ日本ǅ\u0301\t")
	rng := rand.New(rand.NewPCG(3, 5))
	for range 5000 {
		r := make([]rune, rng.IntN(24))
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		in := string(r)
		if got, want := splitWords(in, 64), splitWordsByRunes(in); !slices.Equal(got, want) {
			t.Fatalf("splitWords(%q) = %q, by the rune tables %q", in, got, want)
		}
	}
}

// TestAnyWordInFiltered holds anyWordIn, which rules words out by their
// signature before lower-casing them, and healthPathText, which folds
// ASCII instead of lower-casing, to their definitions (every word
// lower-cased and looked up; strings.ToLower and Contains) on keys and
// paths built from each set's words in every case, with the runes that
// lower-case to ASCII letters (U+0130, the Kelvin sign) among them.
func TestAnyWordInFiltered(t *testing.T) {
	sets := map[string]*words{"healthKey": healthKeyWords, "healthPath": healthPathWords, "nonHealthKey": nonHealthKeyWords,
		"idKey": idKeyWords, "personNumberKey": personNumberKeyWords, "objectKey": objectKeyWords, "quantityKey": quantityKeyWords,
		"hostKey": hostKeyWords, "codeKey": codeKeyWords, "conditionIndex": conditionIndexWords, "genericPage": genericPageWords}
	var vocab []string
	for _, ws := range sets {
		for w := range ws.set {
			vocab = append(vocab, w, strings.ToUpper(w), strings.ToUpper(w[:1])+w[1:])
		}
	}
	slices.Sort(vocab)
	vocab = append(vocab, "health-library", "Health Library", "HEALTH-LİBRARY", "health-lİbrary", "hea", "lth", "\u212aey",
		"İd", "sKu", "\u212a", "x1f", "2026", "é", "日本", "_", "-", ".", "/", "[", "]", " ", "a", "Z", "ß")
	rng := rand.New(rand.NewPCG(7, 9))
	for range 30000 {
		var b strings.Builder
		for range rng.IntN(6) {
			b.WriteString(vocab[rng.IntN(len(vocab))])
			if rng.IntN(2) == 0 {
				b.WriteString([]string{"_", "/", ".", "-", "[", " "}[rng.IntN(6)])
			}
		}
		in := b.String()
		for name, ws := range sets {
			want := false
			eachWord(in, 64, func(w string) bool {
				want = ws.set[w]
				return !want
			})
			if got := anyWordIn(in, ws); got != want {
				t.Fatalf("anyWordIn(%q, %s) = %v, each word looked up: %v", in, name, got, want)
			}
		}
		lower := strings.ToLower(in)
		want := strings.Contains(lower, "health-library") || strings.Contains(lower, "health library") || anyWordIn(in, healthPathWords)
		if got := healthPathText(in); got != want {
			t.Fatalf("healthPathText(%q) = %v, by strings.ToLower: %v", in, got, want)
		}
	}
}

// splitWordsByRunes is splitWords with unicode's tables for every rune:
// the definition the ASCII fast path is held to.
func splitWordsByRunes(s string) []string {
	var words []string
	start, prevLower := -1, false
	emit := func(end int) {
		if start >= 0 && end > start {
			words = append(words, strings.ToLower(s[start:end]))
		}
		start = -1
	}
	for i, r := range s {
		switch {
		case !(unicode.IsLetter(r) || unicode.IsDigit(r)):
			emit(i)
			prevLower = false
			continue
		case unicode.IsUpper(r) && prevLower:
			emit(i)
		}
		if start < 0 {
			start = i
		}
		prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
	}
	emit(len(s))
	return words
}

// FuzzInspect feeds arbitrary URLs, bodies and headers through the whole
// inspector: it must return, never panic.
func FuzzInspect(f *testing.F) {
	f.Add("https://www.facebook.com/tr/?ev=Paid%3A%20Therapy&cd[buttonText]=zorbalin", []byte(""), "https://www.cedarclinic.com/conditions/")
	f.Add("https://api.segment.io/v1/t", []byte(`{"type":"track","event":"x","anonymousId":"a","properties":{"medication":"sparklequin"}}`), "")
	f.Add("https://x.example.net/e/?compression=gzip-js", []byte{0x1f, 0x8b, 8, 0}, "%zz")
	f.Add("https://x.example.net/?dx=U07.0&version=F32.9", []byte("H4sIAAAA"), "")
	in := newTestInspector(f, Options{Persona: &persona.Persona{Email: "a@example.com", Phone: "312-847-2291"}})
	f.Fuzz(func(t *testing.T, u string, body []byte, referer string) {
		fl := &phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: u, Body: body, Header: http.Header{"Referer": {referer}}}}
		ins := in.Inspect(fl)
		for _, fd := range ins.Findings {
			if fd.Start < 0 || fd.End > len(fd.Field) || fd.Start > fd.End {
				t.Fatalf("finding offsets %d..%d outside field of %d bytes", fd.Start, fd.End, len(fd.Field))
			}
			if fd.Severity > ins.Severity {
				t.Fatalf("finding severity %v above inspection severity %v", fd.Severity, ins.Severity)
			}
		}
	})
}

func TestInnerKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ep.first_name", "first_name"},
		{"cd[email]", "email"},
		{"ud[em]", "em"},
		{"user.traits.phone", "phone"},
		{"phone", "phone"},
		{"a.", "a."},
		{"", ""},
		{"x[]", "x[]"},
	}
	for _, tt := range tests {
		if got := innerKey(tt.in); got != tt.want {
			t.Errorf("innerKey(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestInspectSeverityByContext walks the flow-level cases end to end:
// logged-in pages, ad platforms, unknown destinations.
func TestInspectSeverityByContext(t *testing.T) {
	in := newTestInspector(t, Options{})
	nav := flowTo("GET", "https://portal.cedarclinic.com/visits", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document", "Cookie", "sid=1")
	if ins := in.Inspect(nav); ins.Destination.Party != phiproxy.FirstParty {
		t.Fatalf("navigation: party %s, want first", ins.Destination.Party)
	}
	ads := func(page string) *phiproxy.Flow {
		f := beacon(page, "cd[content_name]", "zorbalin")
		f.Request.URL = strings.Replace(f.Request.URL, "tracker.example.net", "www.facebook.com", 1)
		return f
	}
	tests := []struct {
		name string
		flow *phiproxy.Flow
		want phiproxy.Severity
	}{
		{"health from a logged-in page to an ad platform", ads("https://portal.cedarclinic.com/visits/2"), phiproxy.Critical},
		{"health from a public page to an ad platform", ads("https://www.cedarclinic.com/blog"), phiproxy.High},
		{"health to an unknown destination", &phiproxy.Flow{Request: phiproxy.Request{Method: "GET", URL: "https://api.unplaced.example.org/x?note=zorbalin"}}, phiproxy.Medium},
		{"health to the site itself", &phiproxy.Flow{Request: phiproxy.Request{Method: "GET", URL: "https://api.cedarclinic.com/x?note=zorbalin"}}, phiproxy.Info},
	}
	for _, tt := range tests {
		ins := in.Inspect(tt.flow)
		if !ins.Flagged() {
			t.Errorf("%s: nothing found", tt.name)
			continue
		}
		if ins.Severity != tt.want {
			t.Errorf("%s: severity got %v, want %v (destination %+v)", tt.name, ins.Severity, tt.want, ins.Destination)
		}
	}
}

// TestNewDictFiles checks each user dictionary format is routed to its
// parser by file name and that its terms are found.
func TestNewDictFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rrf := write("RXNCONSO.RRF", "9999901|ENG||||||||||RXNORM|IN|9999901|quorvexatin||N||\n")
	icdLine := "99999 V9733XA 1 " + padRight("Glarbonic syndrome", 60) + " Glarbonic syndrome of the left elbow\n"
	icd := write("icd10cm_order_2025.txt", icdLine)
	tsv := write("clinic-terms.tsv", "# term\tkind\tcanonical\tcategory\tsensitivity\taliases\tcodes\tflags\nblorptherapy\tprocedure\tblorptherapy\tgeneral\tstandard\t\t\t\n")
	in, err := New(Options{Sites: []string{"cedarclinic.com"}, DictFiles: []string{rrf, icd, tsv}})
	if err != nil {
		t.Fatal(err)
	}
	got := termsOf(in.Inspect(beacon("https://www.cedarclinic.com/", "a", "quorvexatin", "b", "glarbonic syndrome of the left elbow", "c", "blorptherapy")))
	for _, want := range []string{"medication:quorvexatin", "condition:glarbonic syndrome of the left elbow", "procedure:blorptherapy"} {
		if _, ok := got[want]; !ok {
			t.Errorf("%s not found; got %v", want, keys(got))
		}
	}

	// A not-health list cancels the term inside its phrases.
	notHealth := write("clinic_not_health.txt", "# ours\nblorptherapy lounge\n")
	in, err = New(Options{Sites: []string{"cedarclinic.com"}, DictFiles: []string{tsv, notHealth}})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range in.Inspect(beacon("https://www.cedarclinic.com/", "a", "the blorptherapy lounge is open", "b", "book blorptherapy")).Findings {
		if f.Term == "blorptherapy" {
			paths = append(paths, f.Path)
		}
	}
	if len(paths) != 1 || paths[0] != "query:b" {
		t.Errorf("with the not-health phrase: findings at %v, want only query:b", paths)
	}

	for _, tt := range []struct{ name, path, want string }{
		{"missing file", filepath.Join(dir, "nope.tsv"), "nope.tsv"},
		{"bad TSV row", write("bad.tsv", "onlyone\tcolumn\n"), "bad.tsv"},
	} {
		_, err := New(Options{DictFiles: []string{tt.path}})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got error %v, want one naming %q", tt.name, err, tt.want)
		}
	}
}

func padRight(s string, n int) string {
	for len(s) < n {
		s += " "
	}
	return s
}

// TestIPInURLHostIsTheServer: an address written as a URL's host (the
// request's, the Referer's, a dl= page URL) names a server; an address in
// a value is the visitor's.
func TestIPInURLHostIsTheServer(t *testing.T) {
	in := newTestInspector(t, Options{})
	h := http.Header{}
	h.Set("Referer", "https://10.20.30.40/portal/")
	f := &phiproxy.Flow{Request: phiproxy.Request{Method: "GET", Header: h,
		URL: "https://198.51.100.7:8443/collect?dl=" + url.QueryEscape("https://192.0.2.10/book") + "&uip=203.0.113.9"}}
	got := termsOf(in.Inspect(f))
	if _, ok := got["ip:203.0.113.9"]; !ok {
		t.Errorf("visitor address under uip= not found; findings %v", got)
	}
	for _, server := range []string{"198.51.100.7", "10.20.30.40", "192.0.2.10"} {
		if fd, ok := got["ip:"+server]; ok {
			t.Errorf("server address %s reported at %s", server, fd.Path)
		}
	}
}
