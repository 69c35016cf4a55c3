package tui

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/phiproxy/phiproxy/store"
)

// maxRowURL caps the URL kept per row: the list shows a short path and the
// detail pane reads the full flow from the store, so 100,000 rows of
// kilobyte-long tracker URLs need not stay in memory.
const maxRowURL = 256

// maxRowError caps the error text kept per row.
const maxRowError = 120

// maxInterned bounds the interning table; past it new strings are kept
// as they are (a long run against many hosts must not grow it forever).
const maxInterned = 50_000

// rowCompactor shrinks summaries before they are held by the view:
// repeated strings (method, host, vendor, party, kinds) share one copy and
// long strings are cut. It is owned by one goroutine (the loader).
type rowCompactor struct {
	strs map[string]string
}

func newRowCompactor() *rowCompactor { return &rowCompactor{strs: map[string]string{}} }

func (c *rowCompactor) intern(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := c.strs[s]; ok {
		return v
	}
	if len(c.strs) >= maxInterned {
		return s
	}
	// strings.Clone detaches s from whatever buffer the driver read it into.
	v := strings.Clone(s)
	c.strs[v] = v
	return v
}

// compact rewrites rows in place and returns them.
func (c *rowCompactor) compact(rows []store.FlowSummary) []store.FlowSummary {
	for i := range rows {
		r := &rows[i]
		r.Method = c.intern(r.Method)
		r.Host = c.intern(r.Host)
		r.Vendor = c.intern(r.Vendor)
		r.Party = partyOf(c.intern(string(r.Party)))
		r.Kinds = c.intern(r.Kinds)
		if len(r.URL) > maxRowURL {
			// Clone so the long original can be freed.
			r.URL = strings.Clone(cutUTF8(r.URL, maxRowURL))
		}
		if r.Error != "" {
			r.Error = c.intern(cutUTF8(r.Error, maxRowError))
		}
	}
	return rows
}

// cutUTF8 returns at most n bytes of s without splitting a rune.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// chunkRows is how many rows one chunk of the list holds. Chunks make
// appending O(new rows): a list of 100,000 flows is never copied to take
// a few more.
const chunkRows = 1024

// flowRows is the list model: summaries in ID order, newest last, held in
// fixed-size chunks. It is used only on the UI goroutine.
type flowRows struct {
	chunks [][]store.FlowSummary
	n      int
}

// reset replaces every row. The chunks share rows' backing array.
func (v *flowRows) reset(rows []store.FlowSummary) {
	v.chunks = v.chunks[:0]
	v.n = len(rows)
	for i := 0; i < len(rows); i += chunkRows {
		j := min(i+chunkRows, len(rows))
		// The capacity is clipped so that appending never writes into the
		// next chunk.
		v.chunks = append(v.chunks, rows[i:j:j])
	}
}

// appendNew adds rows newer than the last one held, in ID order, and
// reports how many it added. Rows at or below the last ID (a reload racing
// an update) are skipped so a flow never shows twice.
func (v *flowRows) appendNew(rows []store.FlowSummary) int {
	last := v.lastID()
	n := 0
	for _, r := range rows {
		if r.ID <= last {
			continue
		}
		k := len(v.chunks) - 1
		if k < 0 || len(v.chunks[k]) >= chunkRows {
			v.chunks = append(v.chunks, make([]store.FlowSummary, 0, chunkRows))
			k++
		}
		v.chunks[k] = append(v.chunks[k], r)
		v.n++
		last = r.ID
		n++
	}
	return n
}

func (v *flowRows) len() int { return v.n }

func (v *flowRows) lastID() int64 {
	if r := v.at(v.n - 1); r != nil {
		return r.ID
	}
	return 0
}

// at returns row i, or nil when i is out of range.
func (v *flowRows) at(i int) *store.FlowSummary {
	if i < 0 || i >= v.n {
		return nil
	}
	// Chunks hold chunkRows rows each, except a short last one and the
	// chunks that reset cut from a loaded slice (all full but the last).
	return &v.chunks[i/chunkRows][i%chunkRows]
}

// indexOf returns the index of the row with this ID, or the index of the
// first row after it and false when it is not held.
func (v *flowRows) indexOf(id int64) (int, bool) {
	i := sort.Search(v.n, func(i int) bool { return v.at(i).ID >= id })
	return i, i < v.n && v.at(i).ID == id
}
