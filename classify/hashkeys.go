package classify

import (
	_ "embed"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify/persona"
)

// hashedKeysTSV lists the keys under which advertising platforms document
// a hashed identifier of the visitor (Meta ud[em], TikTok context.user.email,
// Snap u_hem...), one row per key with the page documenting it.
//
//go:embed data/hashed_keys.tsv
var hashedKeysTSV string

// hashedKey is one row of data/hashed_keys.tsv.
type hashedKey struct {
	platform string
	// hosts are the host suffixes the key applies to; nil means any host.
	hosts []string
	// key is the field's Key as the decoder reports it; parent, when set,
	// is the JSON member the key must sit in.
	key, parent string
	kind        phiproxy.Kind
	// field says what the key carries ("first_name", "city"); the
	// finding's term names the kind: "sha256(name)".
	field string
	doc   string
}

// hashedKeyTable indexes the rows by key.
type hashedKeyTable map[string][]hashedKey

// parseHashedKeys reads the 7-column TSV: platform, hosts (comma-separated
// suffixes or *), key, parent (- for none), kind, field, documentation.
func parseHashedKeys(src string) (hashedKeyTable, error) {
	const source = "hashed_keys.tsv"
	t := hashedKeyTable{}
	err := eachTSVRow(strings.NewReader(src), source, func(line int, cols []string) error {
		if len(cols) != 7 {
			return fmt.Errorf("%s:%d: %d columns, want 7", source, line, len(cols))
		}
		for i, c := range cols {
			if strings.TrimSpace(c) == "" {
				return fmt.Errorf("%s:%d: column %d empty", source, line, i+1)
			}
		}
		k := hashedKey{platform: cols[0], key: cols[2], kind: phiproxy.Kind(cols[4]), field: cols[5], doc: cols[6]}
		if cols[1] != "*" {
			k.hosts = strings.Split(cols[1], ",")
		}
		if cols[3] != "-" {
			k.parent = cols[3]
		}
		if k.kind.IsHealth() || !knownIdentifierKinds[k.kind] {
			return fmt.Errorf("%s:%d: kind %q is not a person identifier", source, line, k.kind)
		}
		if !strings.HasPrefix(k.doc, "https://") {
			return fmt.Errorf("%s:%d: documentation %q is not an https URL", source, line, k.doc)
		}
		t[k.key] = append(t[k.key], k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(t) == 0 {
		return nil, fmt.Errorf("hashed_keys.tsv: no rows")
	}
	return t, nil
}

var knownIdentifierKinds = map[phiproxy.Kind]bool{
	phiproxy.KindEmail: true, phiproxy.KindPhone: true, phiproxy.KindName: true, phiproxy.KindDOB: true,
	phiproxy.KindZIP: true, phiproxy.KindAddress: true, phiproxy.KindMemberID: true,
}

// hashedKeys is the embedded table, parsed once. TestHashedKeysTable pins
// that it parses; were it ever broken, no hashed-key finding is made
// rather than a crash.
var hashedKeys = sync.OnceValue(func() hashedKeyTable {
	t, _ := parseHashedKeys(hashedKeysTSV)
	return t
})

// lookup returns the row for a field's key on host, with the parent
// member read from the field's chain only when a row asks for one.
func (t hashedKeyTable) lookup(host string, f *phiproxy.Field) (hashedKey, bool) {
	rows := t[f.Key]
	if len(rows) == 0 {
		return hashedKey{}, false
	}
	parent, parentRead := "", false
	for _, r := range rows {
		if r.hosts != nil && !anyHostSuffix(host, r.hosts) {
			continue
		}
		if r.parent != "" {
			if !parentRead {
				parent, parentRead = jsonParent(f.Chain), true
			}
			if parent != r.parent {
				continue
			}
		}
		return r, true
	}
	return hashedKey{}, false
}

func anyHostSuffix(host string, suffixes []string) bool {
	for _, s := range suffixes {
		if hostSuffixMatch(host, s) {
			return true
		}
	}
	return false
}

// jsonParent returns the name of the JSON member that holds a field:
// "json:$.data[0].user_data.em[0]" → "user_data",
// "json:$.context.user.email" → "user". Empty when the field is not in a
// JSON object below the root.
func jsonParent(chain []string) string {
	if len(chain) == 0 {
		return ""
	}
	p, ok := strings.CutPrefix(chain[len(chain)-1], "json:$")
	if !ok {
		return ""
	}
	p = trimIndexes(p)
	// Drop the field's own member, then read the one above it.
	p = trimIndexes(p[:lastMemberStart(p)])
	i := lastMemberStart(p)
	name := p[i:]
	name = strings.TrimPrefix(name, ".")
	if strings.HasPrefix(name, `["`) && strings.HasSuffix(name, `"]`) {
		name = name[2 : len(name)-2]
	}
	return name
}

// trimIndexes drops trailing array indexes: "a.em[0][1]" → "a.em".
func trimIndexes(p string) string {
	for strings.HasSuffix(p, "]") && !strings.HasSuffix(p, `"]`) {
		i := strings.LastIndexByte(p, '[')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return p
}

// lastMemberStart is the offset of the last ".name" or `["name"]` in p.
func lastMemberStart(p string) int {
	if strings.HasSuffix(p, `"]`) {
		if i := strings.LastIndex(p, `["`); i >= 0 {
			return i
		}
	}
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return i
	}
	return 0
}

// hashedValue is one digest found in a field value.
type hashedValue struct {
	start, end int
	alg, form  string // "sha256", "hex" | "base64" | "base64url"
	kind       phiproxy.Kind
}

// googleSegments maps the codes of Google's user-provided data parameter
// ("tv.1~em.<hash>~pn.<hash>") to kinds. The country ("co") is no
// identifier.
var googleSegments = map[string]phiproxy.Kind{
	"em": phiproxy.KindEmail,
	"pn": phiproxy.KindPhone,
	"fn": phiproxy.KindName,
	"ln": phiproxy.KindName,
	"sa": phiproxy.KindAddress,
	"ct": phiproxy.KindAddress,
	"rg": phiproxy.KindAddress,
	"pc": phiproxy.KindZIP,
}

// minDigestLen is the shortest digest digestShape accepts: an MD5 in
// unpadded base64, 22 characters.
const minDigestLen = 22

// hashedValues appends to out the digests in a value under a
// hashed-identifier key: the whole value, or each segment of Google's
// "tv.1~em.<hash>~pn.<hash>".
func hashedValues(row hashedKey, v string, out []hashedValue) []hashedValue {
	if len(v) > 1024 {
		return out
	}
	if strings.HasPrefix(v, "tv.") && strings.Contains(v, "~") {
		off := 0
		for _, seg := range strings.Split(v, "~") {
			start := off
			off += len(seg) + 1
			code, h, ok := strings.Cut(seg, ".")
			kind, known := googleSegments[code]
			if !ok || !known || code == "tv" {
				continue
			}
			if alg, form, ok := digestShape(h); ok {
				s := start + len(code) + 1
				out = append(out, hashedValue{start: s, end: s + len(h), alg: alg, form: form, kind: kind})
			}
		}
		return out
	}
	t := strings.TrimSpace(v)
	alg, form, ok := digestShape(t)
	if !ok {
		return out
	}
	s := strings.Index(v, t)
	return append(out, hashedValue{start: s, end: s + len(t), alg: alg, form: form, kind: row.kind})
}

// digestShape reports whether s has the shape of an MD5, SHA-1, SHA-256 or
// SHA-512 digest, in hex or in base64/base64url (padded or not), and
// names the algorithm and the form. A hex digest has both digits and
// letters, as any real one of this length does; a base64 one decodes to
// the digest's length and mixes capitals and small letters.
func digestShape(s string) (alg, form string, ok bool) {
	if n := len(s); n == 32 || n == 40 || n == 64 || n == 128 {
		digits, letters := 0, 0
		hex := true
		for i := 0; i < n && hex; i++ {
			switch c := s[i]; {
			case c >= '0' && c <= '9':
				digits++
			case c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
				letters++
			default:
				hex = false
			}
		}
		if hex {
			if digits == 0 || letters == 0 {
				return "", "", false
			}
			return digestAlg(n / 2), "hex", true
		}
	}
	raw := strings.TrimRight(s, "=")
	if len(raw) < minDigestLen || len(raw) > 86 {
		return "", "", false
	}
	upper, lower, url, std := false, false, false, false
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= '0' && c <= '9':
		case c == '-' || c == '_':
			url = true
		case c == '+' || c == '/':
			std = true
		default:
			return "", "", false
		}
	}
	if !upper || !lower || url && std {
		return "", "", false
	}
	enc, form := base64.RawStdEncoding, "base64"
	if url {
		enc, form = base64.RawURLEncoding, "base64url"
	}
	b, err := enc.DecodeString(raw)
	if err != nil {
		return "", "", false
	}
	a := digestAlg(len(b))
	if a == "" {
		return "", "", false
	}
	return a, form, true
}

// digestAlg names the digest of n bytes, or "" for another length.
func digestAlg(n int) string {
	switch n {
	case 16:
		return "md5"
	case 20:
		return "sha1"
	case 32:
		return "sha256"
	case 64:
		return "sha512"
	}
	return ""
}

// detectHashedKeys reports digests under keys that the receiving platform
// documents as hashed identifiers (see data/hashed_keys.tsv): a finding of
// that identifier's kind, Source shape, Term "<algorithm>(<kind>)"
// ("sha256(email)", "sha256(name)" for ud[fn] and ud[ln]), the digest as
// Value. A digest a persona hit already covers is the persona's
// finding, which says whose value it is. The findings wait for health
// information in the same flow (see detect): a hash says nothing about the
// visitor's health, and ad pixels send one on every page of every site.
func detectHashedKeys(fc *fieldContext, host string, hits []persona.Hit, add func(detection)) {
	f := fc.f
	table := hashedKeys()
	if table == nil || f.Key == "" || len(f.Value) < minDigestLen {
		// Most leaves: no digest fits in them, whatever their key.
		return
	}
	row, ok := table.lookup(host, f)
	if !ok {
		return
	}
	for _, h := range hits {
		if h.Start == 0 && h.End == len(f.Value) {
			return // the whole value is a persona value: the persona's finding
		}
	}
	var buf [8]hashedValue // one per Google segment code
	for _, h := range hashedValues(row, f.Value, buf[:0]) {
		if overlapsHit(h.start, h.end, hits) {
			continue
		}
		d := detection{Finding: phiproxy.Finding{
			Kind:   h.kind,
			Term:   h.alg + "(" + string(h.kind) + ")",
			Value:  f.Value[h.start:h.end],
			Path:   fc.path() + " > " + h.alg + "-" + h.form,
			Field:  f.Value,
			Source: phiproxy.SourceShape,
			Score:  0.8,
		}, needsHealth: true}
		if h.start != 0 || h.end != len(f.Value) {
			d.Start, d.End = h.start, h.end
		}
		add(d)
	}
}

// overlapsHit reports whether [start,end) meets a persona hit.
func overlapsHit(start, end int, hits []persona.Hit) bool {
	for _, h := range hits {
		if start < h.End && h.Start < end {
			return true
		}
	}
	return false
}
