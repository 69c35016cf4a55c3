// Command gen writes the labelled evaluation corpus of phiproxy's
// classifier: raw HTTP requests (testdata/eval/flows/*.http, WebSocket
// messages in a *.ws.json sidecar) and labels.jsonl, one line per request
// with the set of findings a correct inspector reports. Labels come from
// the values the generator inserts, never from running a detector.
//
//	go run ./testdata/eval/gen            # from the module root
package main

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// record is one line of labels.jsonl.
type record struct {
	File     string     `json:"file"`
	Template string     `json:"template"`
	Expected []outLabel `json:"expected"`
	// Persona names the persona file the flow must be inspected with, or
	// is empty.
	Persona string `json:"persona,omitempty"`
	// Negative marks a hard negative: ordinary traffic built to look like
	// PHI to a naive detector.
	Negative bool `json:"negative,omitempty"`
	// Hashed lists the expected persona values the flow carries only as
	// hashes: without the persona no inspector can recognise them.
	Hashed []outLabel `json:"hashed,omitempty"`
	// Keyed lists what an inspector without the persona finds instead of
	// those hashed persona values: digests under keys the platform
	// documents (sha256(email) for Meta ud[em]), in flows with health
	// information.
	Keyed []outLabel `json:"keyed,omitempty"`
}

// wsMessage is one WebSocket message in a .ws.json sidecar.
type wsMessage struct {
	FromClient bool   `json:"from_client"`
	Binary     bool   `json:"binary"`
	Text       string `json:"text,omitempty"`
	Base64     string `json:"base64,omitempty"`
}

// request is one generated HTTP request.
type request struct {
	Method  string
	URL     string
	Headers [][2]string
	Body    []byte
	WS      []wsMessage
}

func (r *request) header(k, v string) { r.Headers = append(r.Headers, [2]string{k, v}) }

// encode writes the request in HTTP/1.1 wire form with an absolute URL.
func (r *request) encode() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", r.Method, r.URL)
	host := r.URL[strings.Index(r.URL, "://")+3:]
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	fmt.Fprintf(&b, "Host: %s\r\n", host)
	for _, h := range r.Headers {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	if len(r.Body) > 0 || r.Method == "POST" {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(r.Body))
	}
	b.WriteString("\r\n")
	b.Write(r.Body)
	return b.Bytes()
}

// scenario is what one flow carries: a page, an event, free text and
// identifiers. Each accessor registers the labels of what it returns, so
// a template's labels are exactly what it inserted.
type scenario struct {
	rng     *rand.Rand
	labels  map[label]bool
	site    string // host of the health site
	page    *health
	event   *health
	text    *health
	ids     []person
	persona bool

	// personaPlain and personaHashed record how each persona value was
	// sent.
	personaPlain, personaHashed map[label]bool

	// fullReferer sends the page URL as Referer instead of its origin.
	fullReferer bool
	cookie      bool
	// keyedHashes are the labels of identifiers hashed under a key the
	// receiving platform documents (Meta ud[em], TikTok
	// context.user.email): what an inspector without a persona finds,
	// only when the flow also carries health information. For another
	// person's values they are expected findings; for the persona's they
	// are the record's Keyed labels.
	keyedHashes map[label]bool
}

// useKeyedHash registers identifiers hashed under a documented key.
func (s *scenario) useKeyedHash(ls ...label) {
	if s.keyedHashes == nil {
		s.keyedHashes = map[label]bool{}
	}
	for _, l := range ls {
		s.keyedHashes[l] = true
	}
}

// healthKinds are the label kinds of health information.
var healthKinds = map[string]bool{"medication": true, "condition": true, "procedure": true, "specialty": true}

func (s *scenario) use(ls ...label) {
	for _, l := range ls {
		s.labels[l] = true
	}
}

func (s *scenario) origin() string { return "https://" + s.site }

func (s *scenario) pageURL() string {
	if s.page == nil {
		return s.origin() + "/"
	}
	s.use(s.page.Labels...)
	return s.origin() + s.page.Slug + "?utm_source=google&utm_medium=cpc"
}

func (s *scenario) title() string {
	if s.page == nil {
		return "Home | Brightcare Partners"
	}
	s.use(s.page.Labels...)
	return s.page.Text + " | Brightcare Partners"
}

func (s *scenario) eventName(def string) string {
	if s.event == nil {
		return def
	}
	s.use(s.event.Labels...)
	return s.event.Text
}

func (s *scenario) freeText(def string) string {
	if s.text == nil {
		return def
	}
	s.use(s.text.Labels...)
	return s.text.Text
}

func (s *scenario) referer() string {
	if s.fullReferer {
		return s.pageURL()
	}
	return s.origin() + "/"
}

// identity returns the identifiers to send: the persona's when the flow
// uses it, else the scenario's. use registers each returned one.
func (s *scenario) take(p person) string {
	s.use(p.Label)
	s.personaPlain[p.Label] = true
	return p.Value
}

// takeHashed is take for a value the template sends hashed.
func (s *scenario) takeHashed(p person) string {
	s.use(p.Label)
	s.personaHashed[p.Label] = true
	return p.Value
}

// hashedOnly are the labels of values sent hashed and never plain.
func (s *scenario) hashedOnly() map[label]bool {
	out := map[label]bool{}
	for l := range s.personaHashed {
		if !s.personaPlain[l] {
			out[l] = true
		}
	}
	return out
}

func (s *scenario) browserHeaders(r *request, mode, dest string) {
	r.header("User-Agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36")
	r.header("Accept", "*/*")
	r.header("Accept-Language", "en-US,en;q=0.9")
	r.header("Referer", s.referer())
	r.header("Sec-Fetch-Site", "cross-site")
	r.header("Sec-Fetch-Mode", mode)
	r.header("Sec-Fetch-Dest", dest)
}

func (s *scenario) uuid() string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(s.rng.IntN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (s *scenario) digits(n int) string {
	var b strings.Builder
	b.WriteByte(byte('1' + s.rng.IntN(9)))
	for i := 1; i < n; i++ {
		b.WriteByte(byte('0' + s.rng.IntN(10)))
	}
	return b.String()
}

func (s *scenario) ts() string { return fmt.Sprintf("17%s", s.digits(11)) }

// query builds an ordered query string with encodeURIComponent escaping.
type query [][2]string

func (q *query) add(k, v string) { *q = append(*q, [2]string{k, v}) }

func (q query) String() string {
	parts := make([]string, len(q))
	for i, kv := range q {
		parts[i] = uriComponent(kv[0]) + "=" + uriComponent(kv[1])
	}
	return strings.Join(parts, "&")
}

// uriComponent is JavaScript's encodeURIComponent.
func uriComponent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func sha256Hex(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
func md5Hex(s string) string    { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
func sha1Hex(s string) string   { h := sha1.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
func sha256B64URL(s string) string {
	h := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// template builds one request from a scenario.
type template struct {
	name string
	// persona is true when the template can carry persona values (hashed
	// user data, identify calls).
	persona bool
	build   func(s *scenario) request
}

var sites = []string{"www.brightcarepartners.com", "www.lakeviewclinicgroup.org", "portal.northwindmed.com", "www.evergreenfamilydocs.com"}

func main() {
	out := flag.String("out", "testdata/eval", "corpus directory")
	perTemplate := flag.Int("n", 10, "positive flows per template")
	flag.Parse()
	if err := generate(*out, *perTemplate); err != nil {
		log.Fatal(err)
	}
}

func generate(dir string, perTemplate int) error {
	flowsDir := filepath.Join(dir, "flows")
	if err := os.RemoveAll(flowsDir); err != nil {
		return err
	}
	if err := os.MkdirAll(flowsDir, 0o755); err != nil {
		return err
	}
	pj, _ := json.MarshalIndent(personaFile, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "persona.json"), append(pj, '\n'), 0o644); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(20240315, 42))
	var records []record
	rot := rotation{}
	n := 0
	write := func(tname string, s *scenario, r request, negative bool) error {
		n++
		name := fmt.Sprintf("%04d-%s", n, tname)
		if err := os.WriteFile(filepath.Join(flowsDir, name+".http"), r.encode(), 0o644); err != nil {
			return err
		}
		if len(r.WS) > 0 {
			b, _ := json.MarshalIndent(r.WS, "", "  ")
			if err := os.WriteFile(filepath.Join(flowsDir, name+".ws.json"), append(b, '\n'), 0o644); err != nil {
				return err
			}
		}
		health := false
		for l := range s.labels {
			health = health || healthKinds[l.Kind]
		}
		if health && !s.persona {
			for h := range s.keyedHashes {
				s.labels[h] = true
			}
		}
		rec := record{File: "flows/" + name + ".http", Template: tname, Expected: sortedLabels(s.labels), Negative: negative}
		if s.persona {
			rec.Persona = "persona.json"
			if health && len(s.keyedHashes) > 0 {
				rec.Keyed = sortedLabels(s.keyedHashes)
			}
		}
		if h := s.hashedOnly(); len(h) > 0 {
			rec.Hashed = sortedLabels(h)
		}
		records = append(records, rec)
		return nil
	}
	for _, t := range templates {
		for i := 0; i < perTemplate; i++ {
			s := newScenario(rng, rot)
			s.persona = t.persona && i%3 == 0
			if err := write(t.name, s, t.build(s), false); err != nil {
				return err
			}
		}
	}
	for _, t := range negatives {
		for i := 0; i < 6; i++ {
			s := &scenario{rng: rng, labels: map[label]bool{}, personaPlain: map[label]bool{}, personaHashed: map[label]bool{}, site: sites[rng.IntN(len(sites))], persona: i%2 == 0}
			if err := write(t.name, s, t.build(s), true); err != nil {
				return err
			}
		}
	}
	var buf bytes.Buffer
	for _, r := range records {
		b, _ := json.Marshal(r)
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return os.WriteFile(filepath.Join(dir, "labels.jsonl"), buf.Bytes(), 0o644)
}

// rotation hands out the values of each pool in turn, so every value of
// a pool appears in the corpus (random draws would leave some out).
type rotation map[string]int

func (r rotation) next(pool string, n int) int {
	i := r[pool] % n
	r[pool]++
	return i
}

func newScenario(rng *rand.Rand, rot rotation) *scenario {
	s := &scenario{rng: rng, labels: map[label]bool{}, personaPlain: map[label]bool{}, personaHashed: map[label]bool{}, site: sites[rng.IntN(len(sites))]}
	pick := func(name string, hs []health) *health { h := hs[rot.next(name, len(hs))]; return &h }
	if rng.IntN(10) < 8 {
		s.page = pick("pages", pages)
	}
	if rng.IntN(10) < 5 {
		s.event = pick("events", events)
	}
	if rng.IntN(10) < 5 {
		s.text = pick("texts", texts)
	}
	if rng.IntN(2) == 0 {
		s.ids = append(s.ids, emails[rot.next("emails", len(emails))])
	}
	if rng.IntN(3) == 0 {
		s.ids = append(s.ids, phones[rot.next("phones", len(phones))])
	}
	for n := 1 + rng.IntN(3); n > 0; n-- {
		s.ids = append(s.ids, others[rot.next("others", len(others))])
	}
	s.fullReferer = rng.IntN(3) == 0
	s.cookie = rng.IntN(2) == 0
	return s
}

// outLabel is a label as labels.jsonl writes it, with its alternative.
type outLabel struct {
	Kind string `json:"kind"`
	Term string `json:"term"`
	Alt  string `json:"alt,omitempty"`
}

func sortedLabels(m map[label]bool) []outLabel {
	out := make([]outLabel, 0, len(m))
	for l := range m {
		out = append(out, outLabel{l.Kind, l.Term, alts[l]})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Term < out[j].Term
	})
	return out
}
