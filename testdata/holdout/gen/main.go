// Command gen writes the blind hold-out corpus: one raw HTTP/1.1 request per
// file under flows/ and one label line per file in labels.jsonl. It is
// deterministic: the same source always writes the same bytes, which
// gen_test.go checks against the committed files.
//
// Run from the module root:
//
//	go run ./testdata/holdout/gen
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// item is one thing a careful reader would mark in a flow.
type item struct {
	Kind    string   `json:"kind"`
	Term    string   `json:"term"`
	Alt     []string `json:"alt,omitempty"`
	Negated bool     `json:"negated"`
	// surface is text that must appear in the decoded request; the
	// generator refuses to write a label whose evidence is not there.
	surface string
}

// hashedItem is the plain value behind a hash in the flow, for runs with a
// persona.
type hashedItem struct {
	Kind string `json:"kind"`
	Term string `json:"term"`
}

type labelLine struct {
	File   string       `json:"file"`
	Expect []item       `json:"expect"`
	Hashed []hashedItem `json:"hashed,omitempty"`
	Note   string       `json:"note"`
}

// flow is a request under construction together with its labels.
type flow struct {
	vendor  string
	method  string
	url     string
	headers [][2]string
	body    []byte
	expect  []item
	hashed  []hashedItem
	notes   []string
	// plain collects every decoded text the request carries (values before
	// percent-encoding, JSON before compression) for the evidence check.
	plain strings.Builder
}

func (f *flow) add(items ...item) {
	for _, it := range items {
		dup := false
		for i, e := range f.expect {
			if e.Kind == it.Kind && e.Term == it.Term {
				dup = true
				// A term seen both asserted and negated counts as asserted.
				if e.Negated && !it.Negated {
					f.expect[i].Negated = false
				}
				f.expect[i].Alt = mergeAlt(e.Alt, it.Alt)
				if e.surface == "" {
					f.expect[i].surface = it.surface
				}
				break
			}
		}
		if !dup {
			f.expect = append(f.expect, it)
		}
	}
}

func mergeAlt(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, x := range b {
		found := false
		for _, y := range out {
			if x == y {
				found = true
			}
		}
		if !found {
			out = append(out, x)
		}
	}
	return out
}

// take returns a part's value and records its labels.
func (f *flow) take(p part) any {
	f.add(p.items...)
	return p.val
}

// takeVal is take for formats that carry a value without its key
// (session-replay input events): labels whose evidence is the key name, like
// {"has_asthma": false}, do not travel and are not recorded.
func (f *flow) takeVal(p part) string {
	v := valString(p.val)
	for _, it := range p.items {
		if it.surface != "" && strings.Contains(strings.ToLower(v), strings.ToLower(it.surface)) {
			f.add(it)
		}
	}
	return v
}

// takeS is take for parts known to hold text.
func (f *flow) takeS(p part) string {
	f.add(p.items...)
	return valString(p.val)
}

func (f *flow) see(s string) { f.plain.WriteString(s); f.plain.WriteByte('\n') }

// jsonBody sets a JSON request body.
func (f *flow) jsonBody(v any) {
	txt := jsonText(v)
	f.see(txt)
	f.body = []byte(txt)
}

func (f *flow) header(k, v string) { f.headers = append(f.headers, [2]string{k, v}) }

// addHash records a hashed identifier: the no-persona label names the
// algorithm and kind, the hashed list keeps the plain value.
func (f *flow) addHash(kind, algo, plain string) {
	f.add(item{Kind: kind, Term: algo + "(" + kind + ")"})
	for _, h := range f.hashed {
		if h.Kind == kind && h.Term == plain {
			return
		}
	}
	f.hashed = append(f.hashed, hashedItem{kind, plain})
}

// part is a value a scene offers to a renderer, with the labels it carries.
type part struct {
	key   string
	val   any
	items []item
}

func valString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	default:
		return jsonText(x)
	}
}

// kv and obj give JSON objects a fixed key order, as a browser SDK writes them.
type kv struct {
	k string
	v any
}

type obj []kv

func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(jsonText(e.k))
		b.WriteByte(':')
		b.WriteString(jsonText(e.v))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func jsonText(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// render writes the raw request.
func (f *flow) render() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", f.method, f.url)
	host := hostOf(f.url)
	fmt.Fprintf(&b, "Host: %s\r\n", host)
	for _, h := range f.headers {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	if f.method != "GET" || len(f.body) > 0 {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(f.body))
	}
	b.WriteString("\r\n")
	b.Write(f.body)
	return b.Bytes()
}

func hostOf(u string) string {
	s := u[strings.Index(u, "://")+3:]
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	return s
}

// generate builds the whole corpus in memory: relative path -> bytes.
func generate() map[string][]byte {
	g := newGen(20261204)
	flows := g.corpus()
	out := map[string][]byte{}
	var labels bytes.Buffer
	for i, f := range flows {
		name := fmt.Sprintf("flows/%04d-%s.http", i+1, f.vendor)
		out[name] = f.render()
		if err := f.checkEvidence(); err != nil {
			panic(fmt.Sprintf("%s: %v", name, err))
		}
		sort.SliceStable(f.expect, func(a, b int) bool {
			if f.expect[a].Kind != f.expect[b].Kind {
				return f.expect[a].Kind < f.expect[b].Kind
			}
			return f.expect[a].Term < f.expect[b].Term
		})
		exp := f.expect
		if exp == nil {
			exp = []item{}
		}
		for i := range exp {
			exp[i].Alt = dropSelf(exp[i].Term, exp[i].Alt)
		}
		line := labelLine{File: name, Expect: exp, Hashed: f.hashed, Note: strings.Join(f.notes, "; ")}
		labels.WriteString(jsonText(line))
		labels.WriteByte('\n')
	}
	out["labels.jsonl"] = labels.Bytes()
	return out
}

func dropSelf(term string, alt []string) []string {
	var out []string
	for _, a := range alt {
		if a != term {
			out = append(out, a)
		}
	}
	return out
}

// checkEvidence verifies that each plain-text label has its surface form in
// the decoded request, so no label describes something the request lacks.
func (f *flow) checkEvidence() error {
	text := strings.ToLower(f.plain.String())
	for _, it := range f.expect {
		if strings.Contains(it.Term, "(") && strings.HasSuffix(it.Term, ")") && len(f.hashed) > 0 {
			continue
		}
		if it.surface == "" {
			return fmt.Errorf("label %s %q has no surface", it.Kind, it.Term)
		}
		if !strings.Contains(text, strings.ToLower(it.surface)) {
			return fmt.Errorf("label %s %q: surface %q not in request", it.Kind, it.Term, it.surface)
		}
	}
	return nil
}

func main() {
	root := filepath.Join("testdata", "holdout")
	if _, err := os.Stat(filepath.Join(root, "gen")); err != nil {
		log.Fatalf("run from the module root: %v", err)
	}
	files := generate()
	if err := os.RemoveAll(filepath.Join(root, "flows")); err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "flows"), 0o755); err != nil {
		log.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(root, name), data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("wrote %d flows and labels.jsonl under %s\n", len(files)-1, root)
}
