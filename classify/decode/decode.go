// Package decode turns a captured request into the flat list of leaf fields
// that detectors search: every query parameter, path segment, cookie, header
// and body value, with each encoding undone (percent, base64, gzip, LZString,
// JWT, JSON in a string, a URL in a parameter...) and recorded in the field's
// Chain.
//
// # Chain steps
//
// Locations: "url:host", "url:userinfo", "path[N]" (1-based), "path[N] >
// words" (the segment split at '-', '_', '.', camelCase), "matrix:key",
// "query:key" (the full key, e.g. "query:cd[buttonText]"), "fragment",
// "header:Name", "cookie:name", "body", "form:key", "json:$.a.b[0]",
// "ndjson[N]" and "line[N]" (1-based lines of a newline-delimited body),
// "multipart:name" (and "filename" below it: the part's file name, not a
// decoding of its content, which is read like a body whatever its
// content type: text, CSV, JSON...), "envelope:header" and
// "envelope[N]:type" (Sentry), "xml:/a/b" and "xml:/a/b/@attr", "graphql",
// "strings" (printable runs of a binary body), "ws[N]" (index in
// Flow.WebSocket).
//
// Transformations: "percent", "html-entities", "base64", "base64url", "hex",
// "lzstring", "jwt" (leaves under "json:$.header..." and "json:$.claims..."),
// "gzip", "zlib", "deflate" (raw), "brotli", "zstd", and "url" for a URL
// parsed out of a string.
//
// # Keys
//
// A field's Key is the innermost name its value was stored under. In JSON
// name/value pairs ({"name": "zip", "value": "97403"}, GA4 {"key":
// "diagnosis", "value": {"string_value": "asthma"}}) the value's leaves
// take the pair's name as their Key; their chain keeps the written path.
//
// # Raw and decoded values
//
// When a value found at a location (a query parameter, a JSON string, a
// cookie...) is decoded further, both the raw value and the decoded leaves
// are emitted: the raw one under the location's chain, the decoded ones under
// the chain extended with every step. Detectors thus see digests and tokens in
// their raw form as well as the text hidden inside them. Intermediate forms
// (the JSON text between base64 and its leaves) are not emitted, and neither
// is a whole body that was decoded.
//
// # Sniffing
//
// A layer is accepted only when its output is plausible: mostly printable
// UTF-8 with letters, valid JSON, or a compression magic. Hex and base64
// strings exactly as long as an md5/sha1/sha256/sha384/sha512 digest stay as
// they are unless they decode to compressed data; all-digit strings are
// never decoded. Bodies are read by the decoder that fits best (content type
// and content both count: JSON sent as text/plain is read as JSON).
//
// Decoding is bounded by Limits: hostile or broken input yields the fields
// that could be read plus Notes, never a panic or a hang.
package decode

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/phiproxy/phiproxy"
)

// Limits bounds the work done on one request. A zero field means its
// default (see DefaultLimits); negative values are treated as zero.
type Limits struct {
	// MaxDepth is how many encoding layers (percent, base64, gzip, JWT...)
	// may be undone below one located value; default 4. Structural parses
	// (JSON, a URL or a form in a string) do not count here but are bounded
	// by MaxNesting.
	MaxDepth int
	// MaxBytes is the budget of decoded bytes per request, over all layers
	// including decompression; default 32 MiB.
	MaxBytes int64
	// MaxFields is the number of leaves emitted per request; default 10000.
	MaxFields int
	// MaxRatio caps decompressed size at MaxRatio times the compressed size
	// (with a 64 KiB floor so tiny inputs are not cut); default 100.
	MaxRatio int
	// MaxNesting bounds JSON/XML nesting and the recursion of values
	// decoded inside values; default 64.
	MaxNesting int
}

// DefaultLimits returns the limits used for zero fields.
func DefaultLimits() Limits {
	return Limits{MaxDepth: 4, MaxBytes: 32 << 20, MaxFields: 10000, MaxRatio: 100, MaxNesting: 64}
}

func (l Limits) withDefaults() Limits {
	def := DefaultLimits()
	if l.MaxDepth <= 0 {
		l.MaxDepth = def.MaxDepth
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = def.MaxBytes
	}
	if l.MaxFields <= 0 {
		l.MaxFields = def.MaxFields
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = def.MaxRatio
	}
	if l.MaxNesting <= 0 {
		l.MaxNesting = def.MaxNesting
	}
	return l
}

// Result is what decoding one request produced.
type Result struct {
	// Fields are the decoded leaves in the order they were found: URL,
	// headers, body, WebSocket messages.
	Fields []phiproxy.Field
	// Notes has one line per problem that was skipped or limit that was
	// hit, as "<path>: <what>", e.g. "body: gzip: unexpected EOF".
	Notes []string
}

// maxNotes keeps a flood of malformed values from growing Notes without
// bound; the rest are counted in a final note.
const maxNotes = 100

// Flow decodes the request of f: URL, Referer/Origin/Cookie/Authorization and
// non-standard headers, the body (after Content-Encoding), and every
// client-to-server WebSocket message. A nil f gives an empty Result. Flow
// is safe for concurrent use and does not modify f. The fields' values may
// share memory with f's body and messages, which must not change while the
// fields are in use (a Flow never changes once handed to the pipeline).
func Flow(f *phiproxy.Flow, lim Limits) (res Result) {
	return FlowInto(f, lim, nil, nil)
}

// FlowInto is Flow with the fields appended to buf[:0] when it has room
// for the request's estimated number of fields, so that a caller that
// decodes flow after flow can reuse one slice. The Result's Fields may
// then share buf's array. With chains, the fields' chains are carved from
// it rather than from blocks of their own (see Chains).
func FlowInto(f *phiproxy.Flow, lim Limits, buf []phiproxy.Field, chains *Chains) (res Result) {
	d := newDecoder(lim)
	if chains != nil {
		d.arena = &chains.a
	}
	defer d.recoverInto(&res)
	if f == nil {
		return d.result()
	}
	req := &f.Request
	d.presize(req.URL, req.Body, buf)
	if !strings.Contains(req.URL, "://") && req.Host != "" {
		// An origin-form URL (some recordings): the host is in Host.
		host := req.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		d.emit(d.root().at("url:host", ""), strings.ToLower(host))
	}
	d.url(d.root(), req.URL)
	d.headers(req.Header)
	if len(req.Body) > 0 {
		s := d.root().at("body", "")
		s.fresh = false
		if req.Truncated {
			s.trunc = true
			d.note(s, fmt.Sprintf("captured %d of %d bytes, truncated", len(req.Body), req.BodySize))
		}
		d.body(s, req.Body, req.Header)
	}
	for i, m := range f.WebSocket {
		if !m.FromClient || len(m.Data) == 0 {
			continue
		}
		s := d.root().at("ws["+strconv.Itoa(i)+"]", "")
		s.fresh, s.trunc = false, m.Truncated
		ct := ""
		if !m.Binary {
			ct = "text/plain"
		}
		d.payload(s, m.Data, ct, true)
	}
	return d.result()
}

// Value decodes one string found at chain under key, as the recursive layer
// does for every value: it emits value itself and, when a structure or layer
// applies, the decoded leaves below it. chain is copied, not kept; a nil
// chain gives fields whose chains start at the first decoding step (a plain
// value then comes back with an empty chain). Value is safe for concurrent
// use.
func Value(chain []string, key, value string, lim Limits) (res Result) {
	d := newDecoder(lim)
	defer d.recoverInto(&res)
	c := make([]string, len(chain))
	copy(c, chain)
	s := d.root()
	s.chain, s.key, s.fresh = c, key, true
	d.text(s, value)
	return d.result()
}

// decoder holds the state of one request's decoding.
type decoder struct {
	lim     Limits
	fields  []phiproxy.Field   // the chunk being filled
	chunks  [][]phiproxy.Field // filled chunks, in order
	count   int                // fields in chunks and fields
	notes   []string
	dropped int         // notes over maxNotes
	budget  int64       // decoded bytes left
	full    bool        // MaxFields reached
	chains  chainArena  // the decoder's own, kept in the pool
	arena   *chainArena // where this request's chains are carved
	steps   TextArena
	inert   inertCache
	// scratch holds trial decodes (hex, base64), reused because most
	// tries are rejected.
	scratch []byte
}

// scratchFor returns the scratch buffer with length n; it is valid until
// the next call.
func (d *decoder) scratchFor(n int) []byte {
	d.scratch = slices.Grow(d.scratch[:0], n)[:n]
	return d.scratch
}

// bytesOf reads t as bytes without copying it, for decoders that only
// read their input; nothing may write to the result.
func bytesOf(t string) []byte { return unsafe.Slice(unsafe.StringData(t), len(t)) }

// chainArena hands out chains carved from shared blocks, so a field costs
// one allocation less. A carved chain has no spare capacity: appending to
// it copies instead of overwriting a neighbour.
type chainArena struct {
	block []string // len(block) == cap(block)
	used  int      // block[:used] is handed out
}

const chainBlock = 256

func (a *chainArena) extend(parent []string, step string) []string {
	n := len(parent) + 1
	if a == nil {
		c := make([]string, n)
		copy(c, parent)
		c[n-1] = step
		return c
	}
	start := a.used
	if p := len(parent); p > 0 && p <= start && start < len(a.block) && &a.block[start-p] == &parent[0] {
		// parent is the last chain carved and the slot after it is free:
		// the child shares its steps instead of copying them (a URL's
		// parts, the first leaf below a location).
		a.block[start] = step
		a.used++
		return a.block[start-p : start+1 : start+1]
	}
	if len(a.block)-start < n {
		// Start small for beacons, grow for big bodies.
		a.block = make([]string, max(min(2*len(a.block), chainBlock), 32, n))
		start = 0
	}
	c := a.block[start : start+n : start+n]
	// Element by element: chains are a few steps long, too short for the
	// call and barrier setup of a bulk copy to pay off.
	for i, step := range parent {
		c[i] = step
	}
	c[n-1] = step
	a.used = start + n
	return c
}

// Chains is a chain arena that its owner resets, for a caller that
// decodes flow after flow and is done with each flow's fields before it
// decodes the next (Inspect): the flows' chains then reuse one block
// instead of each costing a share of a new one. The zero value is ready
// to use; a Chains must not be used by two decodes at once.
type Chains struct{ a chainArena }

// Reset makes the arena's block free again and forgets what it held. The
// chains of every field decoded with c since the last Reset must no
// longer be in use.
func (c *Chains) Reset() {
	clear(c.a.block[:c.a.used])
	c.a.used = 0
}

// TextArena hands out short strings built from parts in shared blocks,
// so a string costs no allocation of its own: the decoder's chain steps
// ("json:$.a[3].b", "query:key"), the inspector's derived finding paths.
// Strings are carved from a block's bytes, and bytes are only ever
// written past the last string handed out, so those stay valid and
// unchanged while later ones are written. The zero value is ready to
// use; an arena is not safe for concurrent use.
type TextArena struct {
	block []byte // block[:len(block)] is handed out
}

const textBlock = 4096

// reserve makes room for n more bytes in the current block.
func (a *TextArena) reserve(n int) {
	if cap(a.block)-len(a.block) >= n {
		return
	}
	// Start small for beacons, grow for big bodies; a fresh block leaves
	// the strings of the old one untouched.
	a.block = make([]byte, 0, max(min(2*cap(a.block), textBlock), 256, n))
}

// carved hands out the bytes written since start.
func (a *TextArena) carved(start int) string {
	if start == len(a.block) {
		return ""
	}
	return unsafe.String(&a.block[start], len(a.block)-start)
}

// fromBytes returns string(b) carved from the arena.
func (a *TextArena) fromBytes(b []byte) string {
	a.reserve(len(b))
	start := len(a.block)
	a.block = append(a.block, b...)
	return a.carved(start)
}

// Join returns the concatenation of parts carved from the arena.
func (a *TextArena) Join(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	a.reserve(n)
	start := len(a.block)
	for _, p := range parts {
		a.block = append(a.block, p...)
	}
	return a.carved(start)
}

// join2 is Join of two parts, without the variadic slice and the loops
// over it: every query, header and cookie step is a prefix and a name.
func (a *TextArena) join2(x, y string) string {
	a.reserve(len(x) + len(y))
	start := len(a.block)
	a.block = append(append(a.block, x...), y...)
	return a.carved(start)
}

// root is the empty scope of a request.
func (d *decoder) root() scope { return scope{arena: d.arena} }

// decoders keeps decoders between requests for their arenas: a beacon
// then carves its chains and steps from blocks an earlier request left
// room in, instead of allocating blocks it fills a third of. Carved
// chains and strings are never written again, so sharing a block with
// another request's fields is safe.
var decoders = sync.Pool{New: func() any { return new(decoder) }}

func newDecoder(lim Limits) *decoder {
	lim = lim.withDefaults()
	d := decoders.Get().(*decoder)
	d.lim, d.budget = lim, lim.MaxBytes
	d.arena = &d.chains
	return d
}

// maxKeptScratch bounds the trial-decode buffer a pooled decoder keeps:
// a big base64 body's would otherwise stay alive for beacons.
const maxKeptScratch = 4 << 10

// release returns d to the pool once its result is built. It drops
// everything the result or the request owns (fields, notes, cached
// strings) and keeps the arenas, the scratch buffer and the inert cache's
// table.
func (d *decoder) release() {
	d.fields, d.chunks, d.notes, d.arena = nil, nil, nil, nil
	d.count, d.dropped, d.full = 0, 0, false
	if d.inert.slots != nil {
		// Kept, emptied: an empty entry matches no value.
		clear(d.inert.slots[:])
	}
	if cap(d.scratch) > maxKeptScratch {
		d.scratch = nil
	}
	if cap(d.steps.block) > textBlock {
		// One string longer than a block got a block of its own.
		d.steps = TextArena{}
	}
	decoders.Put(d)
}

// presize reserves room for the fields a request typically yields: one
// per 32 bytes of URL and body, or per JSON member for a JSON body (which
// jsonBody would otherwise reserve after the fact, wasting this slice).
func (d *decoder) presize(url string, body []byte, buf []phiproxy.Field) {
	var n int
	if c := firstByte(body); c == '{' || c == '[' {
		n = min(d.lim.MaxFields, 16+len(url)/32+jsonFieldEstimate(body))
	} else {
		n = min(d.lim.MaxFields, 16+(len(url)+len(body))/32, fieldChunk)
	}
	if cap(buf) >= n {
		d.fields = buf[:0]
	} else {
		d.fields = make([]phiproxy.Field, 0, n)
	}
	// Chains average about two steps: one block fits a beacon's. A pooled
	// decoder carves on from the block it has, which extend replaces once
	// it is full.
	if d.arena.block == nil {
		d.arena.block = make([]string, min(2*cap(d.fields), chainBlock))
	}
}

// reserve makes room for about n more fields in the current chunk, so the
// fields of a big document land in one slice that result returns without
// copying.
func (d *decoder) reserve(n int) {
	n = min(n, d.lim.MaxFields-d.count)
	if cap(d.fields)-len(d.fields) >= n {
		return
	}
	grown := make([]phiproxy.Field, len(d.fields), len(d.fields)+n)
	copy(grown, d.fields)
	d.fields = grown
}

func (d *decoder) result() Result {
	if d.dropped > 0 {
		d.notes = append(d.notes, fmt.Sprintf("%d more notes omitted", d.dropped))
		d.dropped = 0
	}
	fields := d.fields
	if len(d.chunks) > 0 {
		fields = make([]phiproxy.Field, 0, d.count)
		for _, c := range d.chunks {
			fields = append(fields, c...)
		}
		fields = append(fields, d.fields...)
		d.chunks = nil
	}
	return Result{Fields: fields, Notes: d.notes}
}

// recoverInto is the last resort promised by Flow and Value: a bug must
// cost one request's fields, not the proxy. A decoder that panicked is
// not reused.
func (d *decoder) recoverInto(res *Result) {
	if r := recover(); r != nil {
		d.notes = append(d.notes, fmt.Sprintf("decode: internal error: %v", r))
		*res = d.result()
		return
	}
	d.release()
}

// scope is where a value sits: its chain, its key, and how deep decoding
// has gone. Scopes are values; extending one carves a new chain without
// spare capacity, so no field's chain is ever appended to in place.
type scope struct {
	chain []string
	key   string
	depth int  // encoding layers undone so far
	nest  int  // values decoded inside values so far
	trunc bool // a limit cut something above this value
	// fresh marks a value as found at a location (a parameter, a JSON
	// string) rather than produced by a layer: its raw form is emitted too
	// when it is decoded further.
	fresh bool
	// query says '+' means space here (query strings and forms).
	query bool
	arena *chainArena // nil allocates each chain on its own
}

// at moves to a location below s: a parameter, a JSON path, a path segment.
func (s scope) at(step, key string) scope {
	s.chain = s.arena.extend(s.chain, step)
	s.key = key
	s.fresh = true
	s.query = false
	return s
}

// via records a transformation undone on s's value (base64, gzip...).
func (s scope) via(step string) scope {
	s.chain = s.arena.extend(s.chain, step)
	s.depth++
	s.fresh = false
	return s
}

// inner records a structural parse (JSON, URL, form in a string).
func (s scope) inner(step string) scope {
	if step != "" {
		s = s.via(step)
		s.depth--
	}
	s.nest++
	s.fresh = false
	return s
}

func (s scope) path() string { return strings.Join(s.chain, " > ") }

// stopped reports whether no more fields may be emitted.
func (d *decoder) stopped() bool { return d.full }

// emit appends one leaf.
func (d *decoder) emit(s scope, value string) {
	if d.full {
		return
	}
	if d.count >= d.lim.MaxFields { // MaxFields >= 1, so a field exists
		d.full = true
		d.last().Truncated = true
		d.note(s, fmt.Sprintf("field limit %d reached, rest skipped", d.lim.MaxFields))
		return
	}
	if len(d.fields) == cap(d.fields) {
		if len(d.fields) == 0 { // Value does not presize
			d.fields = make([]phiproxy.Field, 0, 8)
		} else {
			// Start a new chunk instead of regrowing: big bodies then copy
			// their fields once, in result, not at every doubling.
			d.chunks = append(d.chunks, d.fields)
			d.fields = make([]phiproxy.Field, 0, min(max(2*len(d.fields), 64), fieldChunk))
		}
	}
	// Set field by field: appending a whole Field copies it with a bulk
	// write barrier, which costs more while the collector runs.
	d.fields = d.fields[:len(d.fields)+1]
	f := &d.fields[len(d.fields)-1]
	f.Chain, f.Key, f.Value, f.Truncated = s.chain, s.key, value, s.trunc
	d.count++
}

// fieldChunk is the size of the blocks fields are collected in.
const fieldChunk = 4096

// last returns the most recent field; only called when count > 0.
func (d *decoder) last() *phiproxy.Field {
	if len(d.fields) > 0 {
		return &d.fields[len(d.fields)-1]
	}
	c := d.chunks[len(d.chunks)-1]
	return &c[len(c)-1]
}

// note records one skipped problem at s.
func (d *decoder) note(s scope, msg string) {
	if len(d.notes) >= maxNotes {
		d.dropped++
		return
	}
	p := s.path()
	if p == "" {
		p = "request"
	}
	d.notes = append(d.notes, p+": "+msg)
}

// spend takes n bytes from the budget, reporting false (and noting it
// once per call site) when the budget cannot cover them.
func (d *decoder) spend(n int) bool {
	if int64(n) > d.budget {
		return false
	}
	d.budget -= int64(n)
	return true
}

// standardHeader reports the headers that carry protocol plumbing, not
// payload, which are skipped. A switch, not a map: it runs for every
// header of every request.
func standardHeader(canon string) bool {
	switch canon {
	case "Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language",
		"Access-Control-Request-Headers", "Access-Control-Request-Method",
		"Cache-Control", "Connection", "Content-Encoding", "Content-Language",
		"Content-Length", "Content-Type", "Date", "Dnt", "Expect",
		"Host", "If-Match", "If-Modified-Since", "If-None-Match",
		"If-Range", "If-Unmodified-Since", "Keep-Alive", "Pragma",
		"Priority", "Proxy-Authorization", "Proxy-Connection", "Purpose",
		"Range", "Save-Data", "Te", "Trailer", "Transfer-Encoding",
		"Upgrade", "Upgrade-Insecure-Requests", "User-Agent", "Via",
		"Dd-Evp-Encoding":
		return true
	}
	return strings.HasPrefix(canon, "Sec-")
}

// headers decodes the request headers that can carry data, in sorted order
// so results are stable.
func (d *decoder) headers(h http.Header) {
	// The few that carry data are picked out before sorting; on the stack
	// for the dozen headers a browser sends.
	names := make([]string, 0, 16)
	for k := range h {
		if !standardHeader(http.CanonicalHeaderKey(k)) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		canon := http.CanonicalHeaderKey(name)
		for _, v := range h[name] {
			if d.stopped() {
				return
			}
			s := d.root().at(d.steps.join2("header:", canon), canon)
			switch canon {
			case "Referer", "Origin":
				if v == "null" { // opaque origin
					continue
				}
				d.emit(s, v)
				d.url(s.inner(""), strings.TrimSpace(v))
			case "Cookie":
				d.cookies(v)
			case "Authorization":
				// "Bearer <token>": the token is the value; the scheme is
				// not data.
				if scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " "); ok && !strings.ContainsAny(scheme, "=,") {
					v = strings.TrimSpace(cred)
				}
				d.text(s, v)
			default:
				d.text(s, v)
			}
		}
	}
}

func (d *decoder) cookies(v string) {
	for part := range strings.SplitSeq(v, ";") {
		if d.stopped() {
			return
		}
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, _ := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		val = strings.Trim(strings.TrimSpace(val), `"`)
		d.text(d.root().at(d.steps.join2("cookie:", name), name), val)
	}
}
