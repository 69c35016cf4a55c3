package classify

import (
	"hash/maphash"
	"math/bits"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify/decode"
	"github.com/phiproxy/phiproxy/classify/dict"
	"github.com/phiproxy/phiproxy/classify/ident"
	"github.com/phiproxy/phiproxy/internal/swar"
)

// maxFindings bounds the findings of one flow: past it a hostile payload
// would only grow memory, not the evidence.
const maxFindings = 2000

// detection is a finding under construction.
type detection struct {
	phiproxy.Finding
	// hashed is set for a persona value found in a hash disguise.
	hashed bool
	// needsContext is set for ambiguous terms and ICD-10 codes, which count
	// only when the field's key or the flow says "health".
	needsContext bool
	// healthKey records whether the field's key or path announces health.
	healthKey bool
	// needsHealth is set for a hashed identifier recognised by its key
	// alone (hashkeys.go): it counts only when the flow carries health
	// information.
	needsHealth bool
}

// flowSignals is what the whole flow says about health context.
type flowSignals struct {
	// healthPath is set when a URL path of the flow (request, page,
	// or a URL inside a parameter) names a health page.
	healthPath bool
}

// detect runs every detector over fields and applies the context rules.
// It returns the findings (deduplicated per kind, term and path) and
// whether the findings limit cut it short.
//
// The detections it returns live in scratch, which the caller releases
// once it has rated them.
func (in *Inspector) detect(fields []phiproxy.Field, sig flowSignals, scratch *detectScratch) ([]detection, bool) {
	var (
		out     = scratch.detections[:0]
		seen    map[findingKey]bool // made at the first finding: most flows have none
		limited bool
	)
	defer func() { scratch.detections = out }()
	add := func(d detection) {
		if len(out) >= maxFindings {
			limited = true
			return
		}
		k := findingKey{d.Kind, d.Term, d.Path}
		if seen != nil {
			if seen[k] {
				return
			}
			seen[k] = true
		} else {
			// A flow's first findings are compared one by one, cheaper
			// than a map until there are many.
			for i := range out {
				if out[i].Kind == k.kind && out[i].Term == k.term && out[i].Path == k.path {
					return
				}
			}
			if len(out) == findingsScanned {
				seen = make(map[findingKey]bool, 2*findingsScanned)
				for i := range out {
					seen[findingKey{out[i].Kind, out[i].Term, out[i].Path}] = true
				}
				seen[k] = true
			}
		}
		out = append(out, d)
	}
	var joined decode.TextArena // the paths of persona disguises
	// Paths are joined only for fields that yield a finding.
	paths := scratch.pathsFor(len(fields))
	pathOfField := func(i int) string {
		if paths[i] == "" {
			paths[i] = fields[i].Path()
		}
		return paths[i]
	}
	containers := decodedContainers(fields, scratch.containers[:0])
	scratch.containers = containers
	// The request's host says what a generic key such as "em" means
	// (hashkeys.go).
	host := hostOfFields(fields)
	// Keys and parent keys repeat across fields (every leaf under
	// "query:dl" shares it): scan each distinct step once per flow.
	scannedSteps := scratch.scanned
	// The chain of the last field whose steps were scanned, and the
	// names of its first steps.
	var prevChain []string
	var prevNames [8]string
	for i := range fields {
		f := &fields[i]
		if f.Value == "" && f.Key == "" {
			continue
		}
		if !sig.healthPath && isURLPathField(f.Chain) && healthPathText(f.Value) {
			sig.healthPath = true
		}
		if containers[i] {
			// The raw form of a value the decoder went on to decode (a
			// base64 or LZString blob, a JSON string): its leaves carry the
			// content, while scanning the encoded text only finds noise
			// ("Cf", "MS" inside base64).
			continue
		}
		if splitFromOpaque(fields, i) {
			// The words of a path segment that was a token ("/u/Xk9fQ2...").
			continue
		}
		fc := &fieldContext{f: f, i: i, pathOf: pathOfField, text: &joined}

		found := in.leafMatches(f)
		in.detectPeople(fc, host, found, add)
		if !isHostField(f) {
			// A host name is the site's name, not a health fact about
			// the visitor: "telehealth.clinic.example".
			in.detectTerms(found.terms, f.Value, fc, false, 0.9, add)
		}
		answer := intakeAnswer(f.Key, f.Value)
		// A key scanned below names the question a yes/no value answers:
		// with a no, its terms are reported negated.
		keyAdd := add
		if answer == answerNo {
			keyAdd = func(d detection) {
				d.Negated = true
				add(d)
			}
		}
		keyInChain := false
		for j, step := range f.Chain {
			// A step the previous field's chain has at the same place
			// (the leaves of one container follow one another) has its
			// name already, and was already scanned.
			shared := j < len(prevChain) && j < len(prevNames) && step == prevChain[j]
			var name string
			if shared {
				name = prevNames[j]
			} else {
				name = stepName(step)
				if j < len(prevNames) {
					prevNames[j] = name
				}
			}
			if name == "" {
				continue
			}
			keyInChain = keyInChain || (f.Key != "" && strings.Contains(name, f.Key))
			if shared || scannedSteps[step] {
				continue
			}
			scannedSteps[step] = true
			in.detectNameTerms(name, fc, keyAdd)
		}
		prevChain = f.Chain
		if f.Key != "" && !keyInChain && !scannedSteps["key:"+f.Key] {
			scannedSteps["key:"+f.Key] = true
			in.detectNameTerms(f.Key, fc, keyAdd)
		}
		if answer != answerNone {
			in.detectKeyAnswer(fc, keyAdd)
			detectIntakeKey(fc, keyAdd)
		}
		in.detectCodes(fc, add)
	}

	healthPaths := make(map[string]bool)
	for _, d := range out {
		if d.Kind.IsHealth() {
			healthPaths[d.Path] = true
		}
	}
	findConditionPages(fields, pathOfField, healthPaths, add)

	context := sig.healthPath
	for _, d := range out {
		if d.Kind.IsHealth() && !d.needsContext {
			context = true
			break
		}
	}
	kept := out[:0]
	health := false
	for _, d := range out {
		if d.needsContext && !d.healthKey && !context {
			continue
		}
		health = health || d.Kind.IsHealth()
		kept = append(kept, d)
	}
	if !health {
		n := 0
		for _, d := range kept {
			if !d.needsHealth {
				kept[n] = d
				n++
			}
		}
		kept = kept[:n]
	}
	return kept, limited
}

// detectScratch holds what Inspect needs for one flow, kept between flows
// (detectScratchPool) so that a flow's inspection does not allocate them
// anew: the decoded fields, a path per field, which fields are decoded
// containers, the key steps already scanned and the detections.
type detectScratch struct {
	fields     []phiproxy.Field
	chains     decode.Chains // the fields' chains
	paths      []string
	containers []bool
	scanned    map[string]bool
	detections []detection
}

var detectScratchPool = sync.Pool{New: func() any {
	// Room for a typical flow's findings at once: detections are large,
	// and growing from one copies them over and over.
	return &detectScratch{scanned: make(map[string]bool, 64), detections: make([]detection, 0, 16)}
}}

// pathsFor returns n empty paths.
func (s *detectScratch) pathsFor(n int) []string {
	if cap(s.paths) < n {
		s.paths = make([]string, n)
	}
	s.paths = s.paths[:n]
	return s.paths
}

// release forgets the flow (its steps may point into its body) and
// returns s to the pool. A map grown by a huge flow is not kept.
func (s *detectScratch) release() {
	// Only what this flow wrote: the rest was cleared after the flow
	// that wrote it (clearing pointers costs write barriers during GC).
	clear(s.fields)
	s.chains.Reset()
	if cap(s.fields) > 4096 {
		s.fields = nil
	}
	s.fields = s.fields[:0]
	clear(s.paths)
	clear(s.detections)
	s.detections = s.detections[:0]
	if len(s.scanned) > 1024 {
		s.scanned = make(map[string]bool, 64)
	} else {
		clear(s.scanned)
	}
	if cap(s.paths) > 4096 {
		s.paths, s.containers = nil, nil
	}
	if cap(s.detections) > 256 {
		s.detections = make([]detection, 0, 16)
	}
	detectScratchPool.Put(s)
}

// hostOfFields returns the request's own host: the field the decoder emits
// first, with the chain ["url:host"].
func hostOfFields(fields []phiproxy.Field) string {
	for i := range fields {
		if c := fields[i].Chain; len(c) == 1 && c[0] == "url:host" {
			return strings.ToLower(fields[i].Value)
		}
	}
	return ""
}

// findingsScanned is how many findings of a flow are searched one by one
// for a duplicate before a map takes over.
const findingsScanned = 32

type findingKey struct {
	kind       phiproxy.Kind
	term, path string
}

// detectPeople finds identifiers and the test persona's values, plain or
// disguised. A persona value found plain inside an email address
// ("jordan" in jordan.whitfield@example.com) is part of that email, not a
// finding of its own. Persona findings come first so that, where both
// detectors see the same value, the finding says persona.
func (in *Inspector) detectPeople(fc *fieldContext, host string, found leafMatches, add func(detection)) {
	f := fc.f
	if f.Value == "" {
		return
	}
	var emails [][2]int
	ids, hits := found.ids, found.hits
	for _, m := range ids {
		if m.Kind == phiproxy.KindEmail {
			emails = append(emails, [2]int{m.Start, m.End})
		}
	}
	if in.persona != nil {
		for _, h := range hits {
			if h.Kind == phiproxy.KindEmail && h.Start < h.End {
				emails = append(emails, [2]int{h.Start, h.End})
			}
		}
	}
	for _, h := range hits {
		if h.Kind != phiproxy.KindEmail && h.Start < h.End && within(h.Start, h.End, emails) {
			continue
		}
		path := fc.path()
		d := detection{Finding: phiproxy.Finding{
			Kind:   h.Kind,
			Term:   in.personaTerm(h.Kind, h.Value),
			Value:  f.Value,
			Path:   path,
			Field:  f.Value,
			Source: phiproxy.SourcePersona,
			Score:  1,
		}}
		if h.Start >= 0 && h.End <= len(f.Value) && h.Start < h.End {
			d.Value = f.Value[h.Start:h.End]
			if h.Start != 0 || h.End != len(f.Value) {
				d.Start, d.End = h.Start, h.End
			}
		}
		if h.Disguise != "" && h.Disguise != "plain" {
			d.Path = fc.text.Join(path, " > ", h.Disguise)
			d.hashed = isHashDisguise(h.Disguise)
		}
		add(d)
	}
	detectHashedKeys(fc, host, hits, add)
	var buf [4][2]int
	opaque := buf[:0]
	if len(ids) > 0 {
		opaque = opaqueSpans(f.Value, opaque)
	}
	for _, m := range ids {
		if !plausibleIdentifier(*f, m) {
			continue
		}
		if m.Kind != phiproxy.KindEmail && within(m.Start, m.End, opaque) {
			// Digits inside a token or hash are not a phone or a card.
			continue
		}
		if m.Kind != phiproxy.KindEmail && within(m.Start, m.End, emails) {
			continue
		}
		norm := m.Normalized
		if norm == "" {
			norm = m.Text
		}
		d := detection{Finding: phiproxy.Finding{
			Kind:   m.Kind,
			Term:   canonicalIdentifier(m.Kind, norm),
			Value:  m.Text,
			Path:   fc.path(),
			Field:  f.Value,
			Source: phiproxy.SourcePattern,
			Score:  m.Score,
		}}
		if m.Provider {
			d.Category = CategoryProvider
		}
		if m.Start >= 0 && m.End <= len(f.Value) && m.Start < m.End && (m.Start != 0 || m.End != len(f.Value)) {
			d.Start, d.End = m.Start, m.End
		}
		add(d)
	}
}

// personaTermKey is a persona value as a hit names it.
type personaTermKey struct {
	kind  phiproxy.Kind
	value string
}

// personaTerm is canonicalIdentifier for a persona hit's value. A persona
// has a few dozen values, found again in every flow that carries them, so
// their canonical forms are kept in a map that is replaced, never
// changed, when a value is first seen: readers take no lock.
func (in *Inspector) personaTerm(kind phiproxy.Kind, value string) string {
	k := personaTermKey{kind, value}
	old := in.personaTerms.Load()
	if old != nil {
		if t, ok := (*old)[k]; ok {
			return t
		}
	}
	t := canonicalIdentifier(kind, value)
	if old != nil && len(*old) >= maxRemembered {
		return t
	}
	next := make(map[personaTermKey]string, 8)
	if old != nil {
		next = make(map[personaTermKey]string, len(*old)+1)
		for ok, ov := range *old {
			next[ok] = ov
		}
	}
	next[k] = t
	// A lost race only drops an entry that the next hit adds again.
	in.personaTerms.CompareAndSwap(old, &next)
	return t
}

// CategoryProvider is the Category of a name finding that names a
// clinician ("Dr. Sarah Chen", a "provider_name" key) rather than a
// patient: rated like NPI and DEA numbers, it never makes a flow critical.
const CategoryProvider = "provider"

// memberParent names the member or parameter that holds a field: the
// JSON parent ("traits" for json:$.traits.name), or for a member at the
// root of a JSON document, the key the document was found under
// ("user_data" for form:user_data > json:$.name).
func memberParent(chain []string) string {
	if p := jsonParent(chain); p != "" {
		return p
	}
	for i := len(chain) - 2; i >= 0; i-- {
		if name := stepName(chain[i]); name != "" {
			return innerKey(name)
		}
	}
	return ""
}

// within reports whether [start,end) lies inside one of spans.
func within(start, end int, spans [][2]int) bool {
	for _, s := range spans {
		if start >= s[0] && end <= s[1] {
			return true
		}
	}
	return false
}

// decodedContainers marks the fields whose chain is a proper prefix of
// another field's chain: values the decoder kept in their raw form and
// also decoded further. Chains are compared by a 64-bit hash of their
// steps, so no path strings are built; the decoder emits the leaves of a
// container one after another, so each field's chain is hashed from where
// it leaves the previous field's.
func decodedContainers(fields []phiproxy.Field, dst []bool) []bool {
	// The proper prefixes' hashes, sorted and searched: a flow has a few
	// dozen, fewer than a map pays for. whole is each field's chain hash.
	var pbuf, wbuf [128]uint64
	prefixes, whole := pbuf[:0], wbuf[:0]
	var prev []string          // the previous field's chain
	var hbuf, prevH [16]uint64 // hash after each step of the chain, and of prev's
	prevListed := false        // prev's proper prefixes are in prefixes
	for _, f := range fields {
		c := f.Chain
		hs := hbuf[:0]
		if len(c) > len(hbuf) {
			hs = make([]uint64, 0, len(c))
		}
		// Steps shared with the previous chain keep their hashes.
		k := 0
		for k < len(c) && k < len(prev) && k < len(prevH) && c[k] == prev[k] {
			k++
		}
		hs = append(hs, prevH[:k]...)
		h := newChainHash()
		if k > 0 {
			h = chainHash(hs[k-1])
		}
		for _, step := range c[k:] {
			h = h.add(step)
			hs = append(hs, uint64(h))
		}
		whole = append(whole, uint64(h))
		// A multipart part's file name sits below the part but is not
		// decoded from its content: the content is a leaf.
		listed := !(len(c) > 0 && c[len(c)-1] == "filename")
		if listed && len(c) > 1 {
			// prev listed its own proper prefixes, not its whole chain.
			from := 0
			if prevListed {
				from = max(min(k, len(prev)-1, len(c)-1), 0)
			}
			prefixes = append(prefixes, hs[from:len(c)-1]...)
		}
		prev, prevListed = c, listed
		copy(prevH[:], hs)
	}
	out := slices.Grow(dst[:0], len(fields))[:len(fields)]
	clear(out)
	if len(prefixes) == 0 {
		return out
	}
	slices.Sort(prefixes)
	prefixes = slices.Compact(prefixes)
	for i, f := range fields {
		if len(f.Chain) == 0 {
			continue
		}
		if _, ok := slices.BinarySearch(prefixes, whole[i]); ok {
			out[i] = true
		}
	}
	return out
}

// chainHash hashes a chain step by step: each step's maphash (fast, and
// a step's length is part of it, so ["ab","c"] and ["a","bc"] differ)
// mixed into the hash of the steps before it.
type chainHash uint64

var chainSeed = maphash.MakeSeed()

func newChainHash() chainHash { return 0x9e3779b97f4a7c15 }

func (h chainHash) add(step string) chainHash {
	return chainHash((bits.RotateLeft64(uint64(h), 23) ^ maphash.String(chainSeed, step)) * 0xbf58476d1ce4e5b9)
}

// idKeyWords name keys that hold machine or commerce identifiers: a
// number under them ("4155550134", "555-013-4221", "#ORD-415-555-0134")
// is an ID, not a card, phone or SSN, even when it passes a checksum (one
// random number in ten passes Luhn) or is shaped like a phone number.
// "order_number", "tracking_no", "confirmation_code" and "cart_id" all
// qualify by one of their words.
var idKeyWords = wordSet(
	"id", "ids", "key", "cb", "random", "rnd", "nonce", "ts", "time", "timestamp",
	"seq", "session", "sid", "cid", "order", "orders", "invoice", "tracking", "sku",
	"product", "idempotency", "page", "event", "request", "trace", "span",
	"message", "checkout", "transaction", "transactions", "txn", "cache", "version", "build",
	"confirmation", "cart", "basket", "receipt", "shipment", "parcel", "waybill",
	"upc", "ean", "gtin", "isbn", "barcode", "coupon", "voucher", "promo", "ticket",
)

// personNumberKeyWords name keys that hold a person's number: with one of
// them the key is not an ID key, whatever else it says ("order_phone",
// "tracking_sms").
var personNumberKeyWords = wordSet(
	"phone", "phones", "tel", "telephone", "mobile", "cell", "fax", "sms", "whatsapp",
	"ssn", "social", "card", "cc", "pan", "contact",
)

// objectKeyWords are parents of a "name" key that name a thing rather
// than a person: action.target.name, product.name, page.name.
var objectKeyWords = wordSet(
	"action", "target", "element", "button", "link", "event", "page", "view",
	"screen", "product", "products", "item", "items", "app", "application",
	"file", "company", "organization", "org", "library", "lib", "sdk",
	"browser", "os", "device", "form", "field", "input", "campaign", "plan",
	"category", "feature", "experiment", "variant", "step", "section",
	"schema", "os_name", "tag", "nodes", "notifier", "framework", "runtime",
	"platform", "integration", "integrations", "plugin", "plugins", "package",
	"packages", "module", "modules", "dependency", "dependencies", "engine",
	"service", "vendor", "merchant", "store", "shop", "brand",
)

// plausibleIdentifier applies the field context the identifier detectors
// do not see: the key's parents and what kind of key it is.
func plausibleIdentifier(f phiproxy.Field, m ident.Match) bool {
	whole := m.Start == 0 && m.End == len(f.Value)
	switch m.Kind {
	case phiproxy.KindCard, phiproxy.KindSSN, phiproxy.KindPhone:
		if (whole && isDigits(f.Value) || isIDShaped(f.Value)) && isIDKey(f.Key) {
			return false
		}
	case phiproxy.KindName:
		// Only a bare "name" belongs to whatever holds it (product.name,
		// sdk.name); first_name or patient_name is a person's under any
		// parent (extra.form_state.first_name). A name found in free text
		// is judged by its context, not its key.
		if !ident.NeedsParent(innerKey(f.Key)) || !whole {
			break
		}
		if parent := parentKeys(f); parent != "" && anyWordIn(parent, objectKeyWords) {
			return false
		}
	case phiproxy.KindIP:
		// A host field names a server, not the visitor:
		// https://10.0.0.5/portal leaks no one's address.
		if isHostField(&f) {
			return false
		}
	}
	return true
}

// isIDKey reports whether a key names a machine or commerce identifier
// (see idKeyWords) and not a person's number.
func isIDKey(key string) bool {
	return key != "" && anyWordIn(key, idKeyWords) && !anyWordIn(key, personNumberKeyWords)
}

// isIDShaped reports whether a whole value reads as a reference number:
// an optional '#', an optional short capitals prefix ("ORD-", "INV"), then
// digits with at most separators ('-', ' ', '.', '/') between them, six
// digits or more. Such a value under an ID key is the ID itself.
func isIDShaped(v string) bool {
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(v, "#")
	i := 0
	for i < len(v) && i < 6 && v[i] >= 'A' && v[i] <= 'Z' {
		i++
	}
	if i < len(v) && (v[i] == '-' || v[i] == ':' || v[i] == '#') {
		i++
	}
	digits := 0
	for ; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '-' || c == ' ' || c == '.' || c == '/':
		default:
			return false
		}
	}
	return digits >= 6
}

// parentKeys returns the chain's keys above the field's own key.
func parentKeys(f phiproxy.Field) string {
	keys := chainKeys(f.Chain)
	if i := strings.LastIndex(keys, f.Key); i >= 0 && f.Key != "" {
		keys = keys[:i]
	}
	return keys
}

// innerKey is the innermost name of a compound key: "ep.first_name" →
// "first_name", "cd[email]" → "email", "user.traits.phone" → "phone".
// Tracker prefixes (GA4 ep./up., Meta cd[]/ud[]) say nothing about the
// value; the last part does.
func innerKey(key string) string {
	k := strings.TrimRight(key, "]")
	// A byte loop: LastIndexAny builds its byte set on every call, and
	// every leaf's key comes through here.
	for i := len(k) - 1; i >= 0; i-- {
		if k[i] == '[' || k[i] == '.' {
			if i+1 < len(k) {
				return k[i+1:]
			}
			break
		}
	}
	return key
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// leafMatches returns what the value-only detectors find in f's value:
// identifiers (which also depend on the key), persona values and
// dictionary terms, in one memo look-up, since a leaf that repeats
// repeats under its key.
func (in *Inspector) leafMatches(f *phiproxy.Field) leafMatches {
	if f.Value == "" {
		return leafMatches{}
	}
	key := innerKey(f.Key)
	parent := ""
	if ident.NeedsParent(key) {
		parent = memberParent(f.Chain)
	}
	return in.memos.values.get(memoKey{parent, key, f.Value}, func(k memoKey) leafMatches {
		lm := leafMatches{ids: ident.FindUnder(k.parent, k.key, k.value), terms: in.termMatches(k)}
		if in.persona != nil {
			lm.hits = in.persona.Find(k.value)
		}
		return lm
	})
}

// detectNameTerms finds dictionary terms in a key or step name (names
// repeat across flows, so their terms are remembered too).
func (in *Inspector) detectNameTerms(name string, fc *fieldContext, add func(detection)) {
	if name == "" {
		return
	}
	// Keys are short and abbreviated ("pid", "duration_ms"): an
	// ambiguous term in a key is almost never health, so only
	// unambiguous terms count there.
	in.detectTerms(in.memos.names.get(memoKey{value: name}, in.termMatches), name, fc, true, 0.7, add)
}

// detectTerms reports the dictionary terms matched in text (a value, or
// a key along the field's path). Ambiguous terms are skipped under a
// vetoing key or when skipAmbiguous is set, and otherwise wait for
// context.
func (in *Inspector) detectTerms(matches []dict.Match, field string, fc *fieldContext, skipAmbiguous bool, score float64, add func(detection)) {
	for _, m := range matches {
		t := m.Term
		if t.Ambiguous && (skipAmbiguous || fc.vetoKey()) {
			continue
		}
		if t.Ambiguous && m.Enclosed && t.Kind == phiproxy.KindSymptom {
			// An everyday symptom word takes the sense of the term
			// around it: "Pain Medicine" is a specialty, not pain.
			continue
		}
		if isAbbreviation(t.Term) && isMixedCase(m.Text) {
			// "Ed", "Cf", "Tb" are names, units and encoding noise, not
			// ED, CF, TB.
			continue
		}
		d := termDetection(t, t.Kind, m.Text, field, m.Start, m.End, fc.path(), score)
		d.needsContext = t.Ambiguous
		if t.Ambiguous {
			d.healthKey = fc.healthKey()
			d.Score = score - 0.3
		}
		add(d)
	}
}

// termMatches are the dictionary terms of k.value, with offsets in it,
// outside opaque tokens (random base64, hex, UUIDs; see opaqueSpans) and
// the host names of URLs written in it. It depends on the text alone, so
// detectTerms memoises it.
func (in *Inspector) termMatches(k memoKey) []dict.Match {
	text := k.value
	var hosts [][2]int
	if strings.Contains(text, "://") {
		hosts = hostSpans(text)
	}
	var buf [4][2]int
	opaque := opaqueSpans(text, buf[:0])
	var out []dict.Match
	at := 0
	for _, sp := range append(opaque, [2]int{len(text), len(text)}) {
		if sp[0] > at {
			for _, m := range in.matcher.FindNested(text[at:sp[0]]) {
				m.Start += at
				m.End += at
				if m.Term == nil || len(hosts) > 0 && within(m.Start, m.End, hosts) {
					continue
				}
				out = append(out, m)
			}
		}
		at = sp[1]
	}
	return out
}

// termDetection builds the finding of a dictionary term matched as text
// at [start, end) of field. The offsets are kept only when they mark part
// of the field, as Finding documents.
func termDetection(t *dict.Term, kind phiproxy.Kind, text, field string, start, end int, path string, score float64) detection {
	term := t.Canonical
	if term == "" {
		term = strings.ToLower(t.Term)
	}
	d := detection{Finding: phiproxy.Finding{
		Kind: kind, Term: term, Value: text, Path: path, Field: field,
		Category: t.Category, Source: phiproxy.SourceDictionary, Score: score,
	}}
	if start >= 0 && start < end && end <= len(field) && (start != 0 || end != len(field)) {
		d.Start, d.End = start, end
	}
	return d
}

// answer is what a yes/no value says.
type answer int

const (
	answerNone answer = iota // not a yes/no value
	answerYes
	answerNo
)

// intakeAnswer reads a field as a yes/no intake answer: a yes-like or
// no-like value under a key, or a count under a key that asks how much
// ("alcohol_per_week": "3" is a yes, "0" a no).
func intakeAnswer(key, v string) answer {
	if key == "" {
		return answerNone
	}
	v = strings.TrimSpace(v)
	if len(v) > 9 {
		return answerNone
	}
	// The answers a form or SDK sends for a ticked box or a "yes", and
	// for an unticked box or a "no" (a switch: every field with a key
	// comes through here).
	switch strings.ToLower(v) {
	case "yes", "y", "true", "1", "checked", "on", "selected":
		return answerYes
	case "no", "n", "false", "0", "unchecked", "none", "off":
		return answerNo
	}
	if isDigits(v) && len(v) <= 3 && anyWordIn(key, quantityKeyWords) {
		return answerYes
	}
	return answerNone
}

// quantityKeyWords mark a key that asks for a count.
var quantityKeyWords = wordSet("per", "week", "weekly", "day", "daily", "month", "count", "amount", "frequency", "times", "drinks", "packs")

// intakeTerm is what a health question named by a key word is about.
type intakeTerm struct {
	term, category string
}

// intakeKeyWords are words of intake-form keys that ask a health
// question without naming a dictionary term: "smoker", "pregnant",
// "tobacco_use", "alcohol_per_week". They count only with a yes/no answer.
var intakeKeyWords = map[string]intakeTerm{
	"smoker": {"tobacco use", "substance_use"}, "smokers": {"tobacco use", "substance_use"},
	"smoking": {"tobacco use", "substance_use"}, "smokes": {"tobacco use", "substance_use"},
	"tobacco": {"tobacco use", "substance_use"}, "cigarettes": {"tobacco use", "substance_use"},
	"nicotine": {"tobacco use", "substance_use"}, "vape": {"tobacco use", "substance_use"},
	"vaping": {"tobacco use", "substance_use"}, "vapes": {"tobacco use", "substance_use"},
	"alcohol": {"alcohol use", "substance_use"}, "drinker": {"alcohol use", "substance_use"},
	"drinking": {"alcohol use", "substance_use"}, "drinks": {"alcohol use", "substance_use"},
	"cannabis": {"cannabis use", "substance_use"}, "marijuana": {"cannabis use", "substance_use"},
	"pregnant": {"pregnancy", "reproductive"}, "pregnancy": {"pregnancy", "reproductive"},
	"breastfeeding": {"breastfeeding", "reproductive"}, "lactating": {"breastfeeding", "reproductive"},
	"sexually": {"sexual activity", "sexual_health"},
}

// detectIntakeKey reports the health question a yes/no answer's key asks
// when the key names no dictionary term: smoker=no, {"pregnant": true}.
// The finding is a condition with the key as its field.
func detectIntakeKey(fc *fieldContext, add func(detection)) {
	key := innerKey(fc.f.Key)
	if fc.vetoKey() {
		return
	}
	eachWord(key, 16, func(w string) bool {
		it, ok := intakeKeyWords[w]
		if !ok {
			return true
		}
		add(detection{Finding: phiproxy.Finding{
			Kind: phiproxy.KindCondition, Term: it.term, Value: key, Path: fc.path(), Field: key,
			Category: it.category, Source: phiproxy.SourceDictionary, Score: 0.7,
		}})
		return false
	})
}

// detectKeyAnswer reads an intake answer carried in a key name:
// previously_in_therapy=yes, has_diabetes=true, {"hiv_positive": 1}. The
// key's health terms are reported with the key as the field. Keys are
// always searched for unambiguous terms (detect); a yes-like answer also
// lets ambiguous ones count, provided the key or a parent key announces
// health ("previously_in_therapy", "symptoms.cold"): "cold_start=1" or
// "stroke=true" in a chart config stay quiet. Short capitals terms count
// only when written in capitals ("ms=1" is milliseconds).
func (in *Inspector) detectKeyAnswer(fc *fieldContext, add func(detection)) {
	key := innerKey(fc.f.Key)
	for _, m := range in.matcher.FindNested(key) {
		t := m.Term
		if t == nil || isAbbreviation(t.Term) && m.Text != strings.ToUpper(m.Text) {
			continue
		}
		if t.Ambiguous && (fc.vetoKey() || !fc.healthKey()) {
			continue
		}
		d := termDetection(t, t.Kind, m.Text, key, m.Start, m.End, fc.path(), 0.7)
		d.needsContext, d.healthKey = t.Ambiguous, t.Ambiguous
		add(d)
	}
}

// isHostField reports whether a field is the host name of a URL (the
// request's, a Referer's or Origin's, or one inside a value), or a bare
// host name under a key that says so ("hostname", GA4 "dh").
func isHostField(f *phiproxy.Field) bool {
	if n := len(f.Chain); n > 0 && f.Chain[n-1] == "url:host" {
		return true
	}
	// The value's shape first: it rules out nearly every field without
	// lower-casing the key.
	return f.Key != "" && looksHostName(f.Value) && hostKeyWords.has(strings.ToLower(innerKey(f.Key)))
}

// hostKeyWords are keys whose value is a host name.
var hostKeyWords = wordSet("host", "hostname", "host_name", "domain", "dh", "site_domain", "page_host", "server_name")

// looksHostName reports whether v is a dotted DNS name ("telehealth.clinic.example").
func looksHostName(v string) bool {
	if len(v) < 3 || len(v) > 253 || !strings.Contains(v, ".") || v[0] == '.' || v[len(v)-1] == '.' {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// hostSpans returns the byte spans of the authorities (user info, host,
// port) of URLs written inside text: "see https://telehealth.example/x"
// → the span of "telehealth.example".
func hostSpans(text string) [][2]int {
	var spans [][2]int
	for off := 0; off < len(text) && len(spans) < 64; {
		i := strings.Index(text[off:], "://")
		if i < 0 {
			break
		}
		start := off + i + 3
		end := start
		for end < len(text) {
			c := text[end]
			if c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' || c == '<' || c == '>' || c <= ' ' {
				break
			}
			end++
		}
		if end > start {
			spans = append(spans, [2]int{start, end})
		}
		off = end
	}
	return spans
}

// detectCodes finds ICD-10-CM codes. A dotted code ("F32.9") is a
// candidate anywhere; an undotted one ("F329", "B20") only under a key
// that says diagnosis, since short letter-digit tokens are everywhere.
// Either counts only with health context.
func (in *Inspector) detectCodes(fc *fieldContext, add func(detection)) {
	f := fc.f
	if f.Value == "" || len(f.Value) > 64*1024 || !mayHoldCode(f.Value) || fc.vetoKey() {
		return
	}
	codeKey := fc.healthKey() && anyWordIn(f.Key, codeKeyWords)
	v := f.Value
	for i := 0; i < len(v); {
		if !isCodeByte(v[i]) {
			i++
			continue
		}
		j := i
		for j < len(v) && isCodeByte(v[j]) {
			j++
		}
		tok := strings.TrimRight(v[i:j], ".")
		start := i
		i = j
		if len(tok) < 3 || len(tok) > 8 {
			continue
		}
		if !(tok[0] >= 'A' && tok[0] <= 'Z') || !(tok[1] >= '0' && tok[1] <= '9') {
			continue
		}
		if !strings.Contains(tok, ".") && !codeKey {
			continue
		}
		t, ok := in.matcher.LookupCode(tok)
		if !ok || t == nil {
			continue
		}
		kind := t.Kind
		if kind == "" {
			kind = phiproxy.KindCondition
		}
		d := termDetection(t, kind, tok, v, start, start+len(tok), fc.path(), 0.8)
		d.needsContext, d.healthKey = true, fc.healthKey()
		add(d)
	}
}

// mayHoldCode is a cheap test for an upper-case letter followed by a
// digit, which every ICD-10-CM code starts with. It runs on every value,
// and a tracker's values include whole page URLs, so it reads eight bytes
// at a time: a mask of the upper-case letters, moved up a byte, meets the
// mask of the digits where a letter is followed by a digit; the last byte
// of each word carries over to the next.
func mayHoldCode(s string) bool {
	var carry uint64 // the previous word's last byte was upper-case: its high bit
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := swar.Word(s, i)
		upper, digit := swar.In(x, 'A', 'Z'), swar.In(x, '0', '9')
		if (upper<<8|carry)&digit != 0 {
			return true
		}
		carry = upper >> 56
	}
	for ; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' && (i > 0 && s[i-1] >= 'A' && s[i-1] <= 'Z') {
			return true
		}
	}
	return false
}

// fieldContext answers, lazily and once, what a field's key and path say:
// most fields never need it.
type fieldContext struct {
	f            *phiproxy.Field
	i            int                // index of f in the flow's fields
	pathOf       func(i int) string // the flow's path cache
	text         *decode.TextArena  // the flow's arena for derived paths
	done         bool
	health, veto bool
}

// path is the field's Path, joined once.
func (c *fieldContext) path() string { return c.pathOf(c.i) }

func (c *fieldContext) compute() {
	if c.done {
		return
	}
	c.done = true
	c.veto = c.f.Key != "" && anyWordIn(c.f.Key, nonHealthKeyWords)
	c.health = anyWordIn(c.f.Key, healthKeyWords)
	for _, step := range c.f.Chain {
		if c.health {
			break
		}
		if name := stepName(step); name != "" {
			c.health = anyWordIn(name, healthKeyWords)
		}
	}
}

// healthKey reports whether the field's key or a parent key announces
// health ("medication", "rx_name", "diagnosis").
func (c *fieldContext) healthKey() bool { c.compute(); return c.health }

// vetoKey reports whether the key says the value is something else
// (a version, SKU, order number).
func (c *fieldContext) vetoKey() bool { c.compute(); return c.veto }

var codeKeyWords = wordSet("icd", "icd10", "icd10cm", "dx", "diagnosis", "diagnoses", "code", "codes")

func isCodeByte(c byte) bool {
	return c == '.' || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
}

// canonicalIdentifier gives an identifier one spelling whatever detector
// found it, so a persona hit and a pattern hit of the same email or phone
// share a Term: emails lower-case, phones "+<country><number>", SSNs
// "ddd-dd-dddd", dates "YYYY-MM-DD", names and addresses lower-case with
// single spaces, IP addresses in netip form.
func canonicalIdentifier(kind phiproxy.Kind, s string) string {
	s = strings.TrimSpace(s)
	switch kind {
	case phiproxy.KindEmail:
		return strings.ToLower(s)
	case phiproxy.KindPhone:
		d := digitsOf(s)
		switch {
		case len(d) == 10:
			return "+1" + d
		case d != "":
			return "+" + d
		}
	case phiproxy.KindSSN:
		if d := digitsOf(s); len(d) == 9 {
			return d[:3] + "-" + d[3:5] + "-" + d[5:]
		}
	case phiproxy.KindCard:
		if d := digitsOf(s); d != "" {
			return d
		}
	case phiproxy.KindDOB:
		for _, layout := range []string{"2006-01-02", "20060102", "01/02/2006", "1/2/2006", "2006/01/02", "01-02-2006", "2006-1-2"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.Format("2006-01-02")
			}
		}
	case phiproxy.KindZIP:
		if d := digitsOf(s); len(d) == 9 {
			return d[:5] + "-" + d[5:]
		} else if len(d) == 5 {
			return d
		}
	case phiproxy.KindIP:
		if a, err := netip.ParseAddr(s); err == nil {
			return a.String()
		}
	case phiproxy.KindName, phiproxy.KindAddress, phiproxy.KindFreeText:
		return lowerSingleSpaced(s)
	case phiproxy.KindMRN, phiproxy.KindMemberID, phiproxy.KindNPI, phiproxy.KindDEA:
		return strings.ToUpper(s)
	}
	return s
}

// lowerSingleSpaced lower-cases s and joins its space-separated words
// with single spaces, like
// strings.Join(strings.FieldsFunc(strings.ToLower(s), unicode.IsSpace), " ")
// but without the word slice when s is already single-spaced ASCII, as
// names nearly always are.
func lowerSingleSpaced(s string) string {
	simple := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || (c != ' ' && asciiSpace(c)) || (c == ' ' && (i == 0 || i == len(s)-1 || s[i-1] == ' ')) {
			simple = false
			break
		}
	}
	if !simple {
		return strings.Join(strings.FieldsFunc(strings.ToLower(s), unicode.IsSpace), " ")
	}
	return strings.ToLower(s)
}

// asciiSpace reports the ASCII bytes unicode.IsSpace accepts.
func asciiSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// digitsOf returns the ASCII digits of s, in one allocation at most (none
// when s is all digits).
func digitsOf(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			n++
		}
	}
	if n == len(s) {
		return s
	}
	if n == 0 {
		return ""
	}
	b := make([]byte, 0, n)
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// isAbbreviation reports whether a dictionary term is a short all-capitals
// abbreviation ("MS", "CF", "ECG").
func isAbbreviation(term string) bool {
	if len(term) < 2 || len(term) > 5 {
		return false
	}
	letters := 0
	for i := 0; i < len(term); i++ {
		c := term[i]
		switch {
		case c >= 'A' && c <= 'Z':
			letters++
		case c >= '0' && c <= '9', c == '-':
		default:
			return false
		}
	}
	return letters >= 2
}

// isMixedCase reports whether s has both upper- and lower-case letters.
func isMixedCase(s string) bool {
	var upper, lower bool
	for _, r := range s {
		upper = upper || unicode.IsUpper(r)
		lower = lower || unicode.IsLower(r)
	}
	return upper && lower
}
