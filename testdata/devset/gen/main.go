// Command gen writes the hold-out evaluation corpus: one raw HTTP/1.1
// request per file under flows/, and labels.jsonl with what a classifier
// should report for each. Output is deterministic (fixed timestamps, no
// randomness, gzip headers without names or times), so re-running it only
// changes files whose definitions changed.
//
// Run from the module root:
//
//	go run ./testdata/devset/gen
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// item is one expected finding. Alt lists other acceptable canonical
// terms (an ICD-10 code and its condition name, a brand and its generic).
type item struct {
	Kind string   `json:"kind"`
	Term string   `json:"term"`
	Alt  []string `json:"alt,omitempty"`
}

// label is one line of labels.jsonl. Hashed lists identifiers that travel
// only as hashes: they are recoverable only with a persona, so a scorer that
// runs without one must neither require nor penalise them.
type label struct {
	File   string `json:"file"`
	Expect []item `json:"expect"`
	Hashed []item `json:"hashed,omitempty"`
	Note   string `json:"note"`
}

// req is one outbound request before rendering.
type req struct {
	method string
	url    string
	header [][2]string
	body   []byte
}

// corpus accumulates the rendered files and their labels in order.
type corpus struct {
	labels []*label
	files  map[string][]byte
}

func (c *corpus) add(vendor string, r req, note string, expect ...item) *label {
	name := fmt.Sprintf("flows/%04d-%s.http", len(c.labels)+1, vendor)
	if expect == nil {
		expect = []item{}
	}
	l := &label{File: name, Expect: expect, Note: note}
	c.labels = append(c.labels, l)
	c.files[name] = render(r)
	return l
}

// hashed records identifiers present only as hashes.
func (l *label) hashed(items ...item) *label {
	l.Hashed = append(l.Hashed, items...)
	return l
}

const userAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// render writes r as an HTTP/1.1 request with an absolute URL, Host first
// and Content-Length computed from the body.
func render(r req) []byte {
	u, err := url.Parse(r.url)
	if err != nil || u.Host == "" {
		log.Fatalf("bad url %q: %v", r.url, err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", r.method, r.url)
	fmt.Fprintf(&b, "Host: %s\r\n", u.Host)
	fmt.Fprintf(&b, "User-Agent: %s\r\n", userAgent)
	fmt.Fprintf(&b, "Accept: */*\r\n")
	fmt.Fprintf(&b, "Accept-Language: en-US,en;q=0.9\r\n")
	for _, h := range r.header {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	if r.method != "GET" || len(r.body) > 0 {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(r.body))
	}
	b.WriteString("\r\n")
	b.Write(r.body)
	return b.Bytes()
}

// q encodes ordered key/value pairs as a query string.
func q(pairs ...string) string {
	if len(pairs)%2 != 0 {
		log.Fatalf("odd pairs: %q", pairs)
	}
	var parts []string
	for i := 0; i < len(pairs); i += 2 {
		parts = append(parts, url.QueryEscape(pairs[i])+"="+url.QueryEscape(pairs[i+1]))
	}
	return strings.Join(parts, "&")
}

// js checks that s is valid JSON and returns it, so a typo in a corpus
// definition stops generation instead of producing an unlabelled defect.
func js(s string) string {
	if !json.Valid([]byte(s)) {
		log.Fatalf("invalid JSON: %s", s)
	}
	return s
}

// jstr quotes s as a JSON string.
func jstr(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func sha256hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func sha256b64url(s string) string {
	h := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

func b64(s string) string    { return base64.StdEncoding.EncodeToString([]byte(s)) }
func b64url(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// origin returns scheme://host/ of a page URL: what a browser sends as the
// Referer of a cross-origin request under strict-origin-when-cross-origin.
func origin(page string) string {
	u, err := url.Parse(page)
	if err != nil {
		log.Fatalf("bad page %q", page)
	}
	return u.Scheme + "://" + u.Host + "/"
}

// Item constructors.
func it(kind, term string, alt ...string) item { return item{Kind: kind, Term: term, Alt: alt} }
func med(term string, alt ...string) item      { return it("medication", term, alt...) }
func cond(term string, alt ...string) item     { return it("condition", term, alt...) }
func proc(term string, alt ...string) item     { return it("procedure", term, alt...) }
func spec(term string, alt ...string) item     { return it("specialty", term, alt...) }
func email(term string) item                   { return it("email", term) }
func phone(term string) item                   { return it("phone", term) }

func main() {
	_, self, _, _ := runtime.Caller(0)
	out := flag.String("out", filepath.Dir(filepath.Dir(self)), "corpus folder to write (flows/ and labels.jsonl)")
	flag.Parse()

	c := &corpus{files: map[string][]byte{}}
	build(c)

	flows := filepath.Join(*out, "flows")
	if err := os.MkdirAll(flows, 0o755); err != nil {
		log.Fatal(err)
	}
	// Remove files from an earlier run that the definitions no longer make.
	old, _ := filepath.Glob(filepath.Join(flows, "*.http"))
	for _, p := range old {
		if _, ok := c.files["flows/"+filepath.Base(p)]; !ok {
			os.Remove(p)
		}
	}
	names := make([]string, 0, len(c.files))
	for n := range c.files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(*out, n), c.files[n], 0o644); err != nil {
			log.Fatal(err)
		}
	}
	var lb bytes.Buffer
	for _, l := range c.labels {
		line, err := json.Marshal(l)
		if err != nil {
			log.Fatal(err)
		}
		lb.Write(line)
		lb.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(*out, "labels.jsonl"), lb.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	pos := 0
	for _, l := range c.labels {
		if len(l.Expect) > 0 {
			pos++
		}
	}
	fmt.Printf("wrote %d flows (%d with expected findings, %d negatives) to %s\n", len(c.labels), pos, len(c.labels)-pos, *out)
}
