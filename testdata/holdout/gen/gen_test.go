package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// The committed corpus must be exactly what the generator writes: edits go
// into the generator, never into the files.
func TestCommittedFilesMatchGenerator(t *testing.T) {
	want := generate()
	for name, data := range want {
		got, err := os.ReadFile(filepath.Join("..", name))
		if err != nil {
			t.Errorf("%s: %v (run `go run ./testdata/holdout/gen` from the module root)", name, err)
			continue
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s differs from the generator's output; regenerate with `go run ./testdata/holdout/gen`", name)
		}
	}
	entries, err := os.ReadDir(filepath.Join("..", "flows"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := want["flows/"+e.Name()]; !ok {
			t.Errorf("flows/%s is not written by the generator", e.Name())
		}
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := generate(), generate()
	if len(a) != len(b) {
		t.Fatalf("%d files, then %d", len(a), len(b))
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			t.Fatalf("%s differs between two runs", k)
		}
	}
}

// Every flow is a well-formed HTTP/1.1 request with an absolute URL, a
// matching Host and a Content-Length equal to the body.
func TestFlowsAreValidRequests(t *testing.T) {
	for name, data := range generate() {
		if !strings.HasPrefix(name, "flows/") {
			continue
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !req.URL.IsAbs() {
			t.Errorf("%s: request URL %q is not absolute", name, req.RequestURI)
		}
		if req.Host != req.URL.Host {
			t.Errorf("%s: Host %q, URL host %q", name, req.Host, req.URL.Host)
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			t.Errorf("%s: body: %v", name, err)
			continue
		}
		head := bytes.Index(data, []byte("\r\n\r\n")) + 4
		if !bytes.Equal(body, data[head:]) {
			t.Errorf("%s: Content-Length %d does not cover the %d body bytes", name, req.ContentLength, len(data)-head)
		}
		if req.Method == "POST" && req.Header.Get("Content-Length") == "" {
			t.Errorf("%s: POST without Content-Length", name)
		}
	}
}

var allowedKinds = map[string]bool{"email": true, "phone": true, "ssn": true, "dob": true, "zip": true, "address": true, "name": true,
	"mrn": true, "member_id": true, "npi": true, "dea": true, "card": true, "ip": true, "medication": true, "condition": true,
	"procedure": true, "specialty": true, "symptom": true, "free_text": true}

var hashTerm = regexp.MustCompile(`^(sha256|sha1|md5)\(([a-z_]+)\)$`)

type testLabel struct {
	File   string `json:"file"`
	Expect []struct {
		Kind    string   `json:"kind"`
		Term    string   `json:"term"`
		Alt     []string `json:"alt"`
		Negated *bool    `json:"negated"`
	} `json:"expect"`
	Hashed []struct {
		Kind string `json:"kind"`
		Term string `json:"term"`
	} `json:"hashed"`
	Note string `json:"note"`
}

func readLabels(t *testing.T, files map[string][]byte) []testLabel {
	t.Helper()
	var out []testLabel
	seen := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSuffix(string(files["labels.jsonl"]), "\n"), "\n") {
		var l testLabel
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("labels.jsonl:%d: %v", i+1, err)
		}
		if _, ok := files[l.File]; !ok {
			t.Errorf("labels.jsonl:%d: no file %s", i+1, l.File)
		}
		if seen[l.File] {
			t.Errorf("labels.jsonl:%d: %s labelled twice", i+1, l.File)
		}
		seen[l.File] = true
		if l.Note == "" {
			t.Errorf("%s: no note", l.File)
		}
		out = append(out, l)
	}
	for name := range files {
		if strings.HasPrefix(name, "flows/") && !seen[name] {
			t.Errorf("%s has no label", name)
		}
	}
	return out
}

// The corpus meets its brief: size, share of hard negatives, breadth of
// vocabulary and of identifiers, and well-formed label items.
func TestLabelsCoverTheBrief(t *testing.T) {
	files := generate()
	labels := readLabels(t, files)
	if len(labels) < 200 {
		t.Errorf("%d flows, want at least 200", len(labels))
	}
	distinct := map[string]map[string]bool{}
	hashedKinds := map[string]bool{}
	negatives, negatedItems := 0, 0
	for _, l := range labels {
		if len(l.Expect) == 0 {
			negatives++
		}
		pairs := map[string]bool{}
		for _, e := range l.Expect {
			if !allowedKinds[e.Kind] {
				t.Errorf("%s: kind %q not allowed", l.File, e.Kind)
			}
			if e.Negated == nil {
				t.Errorf("%s: %s %q has no negated field", l.File, e.Kind, e.Term)
			} else if *e.Negated {
				negatedItems++
			}
			if e.Term != strings.ToLower(e.Term) && e.Kind != "mrn" && e.Kind != "member_id" && e.Kind != "dea" {
				t.Errorf("%s: term %q is not lower-case", l.File, e.Term)
			}
			if pairs[e.Kind+"\x00"+e.Term] {
				t.Errorf("%s: %s %q listed twice", l.File, e.Kind, e.Term)
			}
			pairs[e.Kind+"\x00"+e.Term] = true
			if m := hashTerm.FindStringSubmatch(e.Term); m != nil {
				if m[2] != e.Kind {
					t.Errorf("%s: hashed term %q under kind %s", l.File, e.Term, e.Kind)
				}
				hashedKinds[e.Kind] = true
				found := false
				for _, h := range l.Hashed {
					found = found || h.Kind == e.Kind
				}
				if !found {
					t.Errorf("%s: %s has no plain value in hashed", l.File, e.Term)
				}
				continue
			}
			if distinct[e.Kind] == nil {
				distinct[e.Kind] = map[string]bool{}
			}
			distinct[e.Kind][e.Term] = true
		}
	}
	share := float64(negatives) / float64(len(labels))
	if share < 0.28 || share > 0.40 {
		t.Errorf("hard negatives are %.0f%% of the corpus, want about a third", share*100)
	}
	if negatedItems < 20 {
		t.Errorf("%d negated items, want at least 20", negatedItems)
	}
	min := map[string]int{"medication": 60, "condition": 60, "procedure": 50, "specialty": 50, "symptom": 60}
	for _, k := range []string{"email", "phone", "ssn", "dob", "zip", "address", "name", "mrn", "member_id", "npi", "dea", "card", "ip"} {
		min[k] = 20
	}
	var kinds []string
	for k := range min {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		if n := len(distinct[k]); n < min[k] {
			t.Errorf("%d distinct %s terms, want at least %d", n, k, min[k])
		}
	}
	for _, k := range []string{"email", "phone", "name", "dob", "zip", "member_id"} {
		if !hashedKinds[k] {
			t.Errorf("no hashed %s item", k)
		}
	}
}

func deaValid(s string) bool {
	if len(s) != 9 {
		return false
	}
	d := s[2:]
	for _, c := range d {
		if c < '0' || c > '9' {
			return false
		}
	}
	return deaCheck(d[:6]) == d[6]
}

func ssnValid(s string) bool {
	if len(s) != 9 {
		return false
	}
	area, _ := strconv.Atoi(s[:3])
	return area != 0 && area != 666 && area < 900 && s[3:5] != "00" && s[5:] != "0000"
}

// Labelled identifiers are valid of their kind, and fictitious people use
// reserved phone numbers and e-mail domains.
func TestIdentifiersAreValid(t *testing.T) {
	phone := regexp.MustCompile(`^1\d{3}55501\d{2}$`)
	email := regexp.MustCompile(`^[a-z0-9._]+@example\.(com|org|net)$`)
	for _, l := range readLabels(t, generate()) {
		for _, e := range l.Expect {
			if hashTerm.MatchString(e.Term) {
				continue
			}
			ok := true
			switch e.Kind {
			case "card":
				ok = luhnValid(e.Term)
			case "npi":
				ok = npiValid(e.Term)
			case "dea":
				ok = deaValid(e.Term)
			case "ssn":
				ok = ssnValid(e.Term)
			case "phone":
				ok = phone.MatchString(e.Term)
			case "email":
				ok = email.MatchString(e.Term)
			case "zip":
				ok = regexp.MustCompile(`^\d{5}$`).MatchString(e.Term)
			case "dob":
				ok = regexp.MustCompile(`^(19[4-9]\d|200\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d)$`).MatchString(e.Term)
			}
			if !ok {
				t.Errorf("%s: invalid %s %q", l.File, e.Kind, e.Term)
			}
		}
	}
}

func TestChecksums(t *testing.T) {
	// Published examples: the CMS NPI check-digit example and a test card.
	if !npiValid("1234567893") || npiValid("1234567890") {
		t.Error("NPI check digit rule")
	}
	if !luhnValid("4111111111111111") || luhnValid("4111111111111112") {
		t.Error("Luhn rule")
	}
	if !deaValid("AB1234563") || deaValid("AB1234564") {
		t.Error("DEA check digit rule")
	}
	if got := sha256B64URL("jane.doe@example.com"); len(got) != 43 || strings.ContainsAny(got, "+/=") {
		t.Errorf("sha256 base64url %q", got)
	}
}

// lzDecompress is the inverse of lz-string's compress, written from the
// same description, to prove the corpus's LZString payloads decode.
func lzDecompress(in string, alphabet string) (string, bool) {
	next := func(i int) int {
		if i >= len(in) {
			return 0
		}
		return strings.IndexByte(alphabet, in[i])
	}
	const reset = 32
	val, pos, idx := next(0), reset, 1
	read := func(n int) int {
		bits := 0
		for power := 1; power != 1<<n; power <<= 1 {
			b := val & pos
			pos >>= 1
			if pos == 0 {
				pos = reset
				val = next(idx)
				idx++
			}
			if b > 0 {
				bits |= power
			}
		}
		return bits
	}
	dict := map[int][]uint16{}
	enlargeIn, dictSize, numBits := 4, 4, 3
	var c []uint16
	switch read(2) {
	case 0:
		c = []uint16{uint16(read(8))}
	case 1:
		c = []uint16{uint16(read(16))}
	default:
		return "", true
	}
	dict[3] = c
	w := c
	result := append([]uint16{}, c...)
	for {
		if idx > len(in)+1 {
			return "", false
		}
		cc := read(numBits)
		switch cc {
		case 0, 1:
			n := 8
			if cc == 1 {
				n = 16
			}
			dict[dictSize] = []uint16{uint16(read(n))}
			cc = dictSize
			dictSize++
			enlargeIn--
		case 2:
			return string(utf16.Decode(result)), true
		}
		if enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}
		var entry []uint16
		if e, ok := dict[cc]; ok {
			entry = e
		} else if cc == dictSize {
			entry = append(append([]uint16{}, w...), w[0])
		} else {
			return "", false
		}
		result = append(result, entry...)
		dict[dictSize] = append(append([]uint16{}, w...), entry[0])
		dictSize++
		enlargeIn--
		w = entry
		if enlargeIn == 0 {
			enlargeIn = 1 << numBits
			numBits++
		}
	}
}

func TestLZStringRoundTrip(t *testing.T) {
	inputs := []string{
		"a",
		"hello hello hello hello",
		`{"event":"$pageview","properties":{"$current_url":"https://www.example.org/conditions/ptsd/"}}`,
		"naïve café — ünïcödé ✓ 😀",
		strings.Repeat("abcabcabd", 300),
	}
	for _, in := range inputs {
		b := lzBase64(in)
		if len(b)%4 != 0 {
			t.Errorf("base64 form of %.20q has length %d", in, len(b))
		}
		if got, ok := lzDecompress(strings.TrimRight(b, "="), lzAlphaB64); !ok || got != in {
			t.Errorf("base64 round trip of %.20q: got %.40q ok=%v", in, got, ok)
		}
		u := lzURI(in)
		if strings.ContainsAny(u, "/=") {
			t.Errorf("URI form %q has characters outside its alphabet", u)
		}
		if got, ok := lzDecompress(u, lzAlphaURI); !ok || got != in {
			t.Errorf("URI round trip of %.20q: got %.40q ok=%v", in, got, ok)
		}
	}
	// Outputs of the reference implementation, lz-string 1.5.0.
	if got := lzBase64("hello"); got != "BYUwNmD2Q===" {
		t.Errorf(`compressToBase64("hello") = %q`, got)
	}
	if got := lzURI("naïve café — ünïcödé ✓ 😀"); got != "HYQw9wbgpgBAxiAZgS5oFAIYB-hjgN4BNVBkchkF4NwAD2g" {
		t.Errorf("compressToEncodedURIComponent = %q", got)
	}
	if got := lzBase64(strings.Repeat("abcabcabd", 300)); !strings.HasPrefix(got, "IYIwxqEgJpc/Ktz2VJjRtZhL/YG6Eb6npbFVmU14X050m0MuNHPVvdM9cD+Q") {
		t.Errorf("compressToBase64 of a long repeat = %.60q", got)
	}
}
