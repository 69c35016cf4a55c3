package classify

import (
	"hash/maphash"
	"math/bits"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify/decode"
)

// browserFields adds what a crawl read from the browser to res: every
// storage value under "storage:localStorage[KEY]" (or sessionStorage) and
// every cookie value under "cookie:NAME", decoded like any request value,
// so a widget that keeps the patient's email in localStorage is a finding.
func browserFields(res *decode.Result, b *phiproxy.BrowserState, lim decode.Limits) {
	for _, s := range b.Storage {
		r := decode.Value([]string{s.FieldPath()}, s.Key, s.Value, lim)
		res.Fields = append(res.Fields, r.Fields...)
		res.Notes = append(res.Notes, r.Notes...)
	}
	for _, c := range b.Cookies {
		r := decode.Value([]string{"cookie:" + c.Name}, c.Name, c.Value, lim)
		res.Fields = append(res.Fields, r.Fields...)
		res.Notes = append(res.Notes, r.Notes...)
	}
}

// keySets remembers the key lists of recent payloads by the keys they
// were made from, in the order the payload has them: a tracker sends the
// same keys in the same order with every beacon, and sorting them again
// was a twentieth of a beacon's inspection. Direct-mapped and lock-free;
// entries are immutable, hold copies of their strings, and their sorted
// lists are shared by the inspections that get them (Inspection.Keys is
// read-only).
type keySets struct {
	seed  maphash.Seed
	slots [256]atomic.Pointer[keySet]
}

type keySet struct {
	h      uint64
	seq    []string // the payload keys in the payload's order
	sorted []string // payloadKeys of them
}

// keySetMax bounds the payloads remembered: longer ones are rare and
// mostly unique.
const keySetMax = 64

func newKeySets() *keySets { return &keySets{seed: maphash.MakeSeed()} }

// payloadKeys is the package's payloadKeys, remembered (see keySets).
func (c *keySets) payloadKeys(fields []phiproxy.Field) []string {
	if c == nil {
		return payloadKeys(fields)
	}
	h, n := uint64(0x9e3779b97f4a7c15), 0
	for i := range fields {
		if payloadKey(fields[i]) {
			h = (bits.RotateLeft64(h, 19) ^ maphash.String(c.seed, fields[i].Key)) * 0xbf58476d1ce4e5b9
			n++
		}
	}
	if n == 0 || n > keySetMax {
		return payloadKeys(fields)
	}
	slot := &c.slots[h%uint64(len(c.slots))]
	if e := slot.Load(); e != nil && e.h == h && len(e.seq) == n && sameKeys(e.seq, fields) {
		return e.sorted
	}
	seq := make([]string, 0, n)
	for i := range fields {
		if payloadKey(fields[i]) {
			seq = append(seq, strings.Clone(fields[i].Key))
		}
	}
	sorted := slices.Compact(slices.Sorted(slices.Values(seq)))
	slot.Store(&keySet{h: h, seq: seq, sorted: sorted})
	return sorted
}

// sameKeys reports whether the payload keys of fields are seq, in order.
func sameKeys(seq []string, fields []phiproxy.Field) bool {
	j := 0
	for i := range fields {
		if payloadKey(fields[i]) {
			if j == len(seq) || seq[j] != fields[i].Key {
				return false
			}
			j++
		}
	}
	return j == len(seq)
}

// payloadKeys lists the distinct keys of the fields a request carries in
// its query, body or messages (not its headers, cookies or URL parts),
// sorted and at most phiproxy.MaxKeys.
func payloadKeys(fields []phiproxy.Field) []string {
	// Sorting every key and dropping repeats is cheapest when the payload
	// has at most MaxKeys distinct keys, as nearly every one has; beyond
	// that the first MaxKeys distinct keys in order are kept.
	n := 0
	for _, f := range fields {
		if payloadKey(f) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	keys := make([]string, 0, n)
	for _, f := range fields {
		if payloadKey(f) {
			keys = append(keys, f.Key)
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	if len(keys) <= phiproxy.MaxKeys {
		return keys
	}
	seen := make(map[string]bool, phiproxy.MaxKeys)
	keys = keys[:0]
	for _, f := range fields {
		if len(keys) == phiproxy.MaxKeys {
			break
		}
		if payloadKey(f) && !seen[f.Key] {
			seen[f.Key] = true
			keys = append(keys, f.Key)
		}
	}
	slices.Sort(keys)
	return keys
}

// payloadKey reports whether f's key is one of its request's payload
// keys: not a header's, a cookie's, a URL part's or a storage entry's.
func payloadKey(f phiproxy.Field) bool {
	if f.Key == "" || len(f.Chain) == 0 {
		return false
	}
	switch first := f.Chain[0]; {
	case strings.HasPrefix(first, "header:"), strings.HasPrefix(first, "cookie:"),
		strings.HasPrefix(first, "url:"), strings.HasPrefix(first, "storage:"):
		return false
	}
	return true
}

// PlaceHost says where host belongs as seen from page (a URL; "" when
// unknown): its registrable domain, party, vendor and BAA coverage, as
// Destination would for a request to it. Unlike Destination it learns
// nothing, so it may be asked about anything (a cookie's domain, a frame's
// origin) without changing how later flows are judged.
func (in *Inspector) PlaceHost(host, page string) phiproxy.Destination {
	host = strings.Trim(strings.ToLower(strings.TrimSpace(host)), ".[]")
	d := phiproxy.Destination{Host: host, Domain: registrableDomain(host), Party: phiproxy.UnknownParty}
	if host == "" {
		return d
	}
	v, knownVendor := in.vendors.lookup(host)
	d.Party = in.party(d.Domain, registrableDomain(parseURLParts(page).host), false, knownVendor)
	if knownVendor {
		d.Vendor, d.Category = v.Name, v.Category
	}
	d.BAA = in.coveredByBAA(d)
	return d
}

// PlaceKey is PlaceHost for a cookie or storage entry called name: one
// that a known vendor's script writes (VendorOfKey) on a host no vendor
// owns is that vendor's, though it stays on the site's party.
func (in *Inspector) PlaceKey(host, page, name string) phiproxy.Destination {
	d := in.PlaceHost(host, page)
	if d.Vendor == "" {
		if v, c, ok := VendorOfKey(name); ok {
			d.Vendor, d.Category = v, c
			d.BAA = in.coveredByBAA(d)
		}
	}
	return d
}
