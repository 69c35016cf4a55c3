package classify

import (
	"hash/maphash"
	"strings"
	"sync/atomic"

	"github.com/phiproxy/phiproxy/classify/dict"
	"github.com/phiproxy/phiproxy/classify/ident"
	"github.com/phiproxy/phiproxy/classify/persona"
)

// Leaf values that really repeat (a user agent, a page title, an event
// name, the SDK's name and version, a hashed e-mail sent with every event)
// make up much of tracker traffic, within a page and from page to page.
// What the value-only detectors find in them (identifiers, persona values,
// dictionary terms) depends on the value and key alone, so it is
// remembered; whatever depends on the field's place in the flow (context
// rules, paths, severity) is still worked out for every field.
//
// The memo is small and fixed: a direct-mapped table in which a value is
// admitted only when it is seen a second time while its slot still
// remembers it. Unique values (IDs, timestamps) pass through without
// evicting the values that repeat. Entries are immutable and hold copies
// of their strings, never the flow's, so a flow's body is not kept alive.
// Each Inspector has its own memo: its dictionaries and persona are fixed.

// memoSlots is the table's size; memoMaxKey bounds what is remembered.
// Short values ("true", "1920", "en-US") are remembered too: with a
// persona loaded, searching one costs more than a look-up
// (InspectBeacon: 9% less CPU than when values under 6 bytes were not).
const (
	memoSlots  = 4096
	memoMaxKey = 512
)

// memoKey is what a memoised result depends on.
type memoKey struct{ parent, key, value string }

func (k memoKey) size() int { return len(k.parent) + len(k.key) + len(k.value) }

// clone copies the key's strings so that an entry shares no memory with
// the flow the key came from.
func (k memoKey) clone() memoKey {
	return memoKey{strings.Clone(k.parent), strings.Clone(k.key), strings.Clone(k.value)}
}

type memoEntry[V any] struct {
	h uint64 // k's hash, compared first
	k memoKey
	v V
}

// memo is a bounded, lock-free table of results by key, safe for
// concurrent use.
type memo[V any] struct {
	seed  maphash.Seed
	slots [memoSlots]memoSlot[V]
}

// memoSlot keeps an entry's hash beside it, so that a lookup of another
// key (most lookups: unique values) is settled without reading the entry.
type memoSlot[V any] struct {
	h atomic.Uint64 // hash of e's key (e is checked again on a hit)
	e atomic.Pointer[memoEntry[V]]
	// seen is the hash of the last key that missed here: a second miss
	// with the same hash admits the key.
	seen atomic.Uint64
}

func newMemo[V any]() *memo[V] { return &memo[V]{seed: maphash.MakeSeed()} }

func (m *memo[V]) hash(k memoKey) uint64 {
	h := maphash.String(m.seed, k.value)
	if k.key != "" || k.parent != "" {
		// Keys are short: mixing their hashes in is cheaper than
		// streaming all three strings through one maphash.Hash.
		h ^= maphash.String(m.seed, k.key)*0x9e3779b97f4a7c15 + maphash.String(m.seed, k.parent)*0xbf58476d1ce4e5b9
	}
	return h
}

// get returns the result for k, computing it with compute on a miss. On a
// key's second miss, compute runs on a copy of the key and the result is
// kept, so that it refers only to the copy. A nil memo remembers nothing.
func (m *memo[V]) get(k memoKey, compute func(memoKey) V) V {
	if m == nil || k.size() > memoMaxKey {
		return compute(k)
	}
	h := m.hash(k)
	sl := &m.slots[h%memoSlots]
	if sl.h.Load() == h {
		if e := sl.e.Load(); e != nil && e.h == h && e.k == k {
			return e.v
		}
	}
	// Load before storing: a write to a line another worker reads costs
	// more than the load.
	if sl.seen.Load() != h {
		sl.seen.Store(h)
		return compute(k)
	}
	c := k.clone()
	e := &memoEntry[V]{h: h, k: c, v: compute(c)}
	sl.e.Store(e)
	sl.h.Store(h)
	return e.v
}

// leafMatches are what the value-only detectors find in a leaf value:
// identifiers, persona values and dictionary terms.
type leafMatches struct {
	ids   []ident.Match
	hits  []persona.Hit
	terms []dict.Match
}

// leafMemos are an Inspector's memos: of leaf values, by value and key
// (one look-up a leaf), and of key and step names' dictionary terms.
type leafMemos struct {
	values *memo[leafMatches]
	names  *memo[[]dict.Match]
}

func newLeafMemos() leafMemos {
	return leafMemos{values: newMemo[leafMatches](), names: newMemo[[]dict.Match]()}
}
