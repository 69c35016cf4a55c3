package classify_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify"
)

// The hold-out corpus was written without looking at the detectors or at
// testdata/eval, so its scores estimate how classification does on traffic
// nobody tuned for. TestHoldout measures; it fails only when the corpus
// itself is malformed. See testdata/devset/README.md for the labelling
// conventions. Set HOLDOUT_FILE to part of a file name to log every field
// count, decode note and finding of the matching flows.
const holdoutDir = "../testdata/devset"

// holdoutItem is one expected finding; Alt lists other acceptable terms.
type holdoutItem struct {
	Kind string   `json:"kind"`
	Term string   `json:"term"`
	Alt  []string `json:"alt"`
}

// holdoutLabel is one line of labels.jsonl. Hashed items travel only as
// hashes: without a persona they can be neither required nor penalised.
type holdoutLabel struct {
	File   string        `json:"file"`
	Expect []holdoutItem `json:"expect"`
	Hashed []holdoutItem `json:"hashed"`
	Note   string        `json:"note"`
}

var holdoutKinds = map[string]bool{}

func init() {
	for _, k := range []phiproxy.Kind{phiproxy.KindEmail, phiproxy.KindPhone, phiproxy.KindSSN, phiproxy.KindDOB,
		phiproxy.KindZIP, phiproxy.KindAddress, phiproxy.KindName, phiproxy.KindMRN, phiproxy.KindMemberID,
		phiproxy.KindNPI, phiproxy.KindDEA, phiproxy.KindCard, phiproxy.KindIP, phiproxy.KindMedication,
		phiproxy.KindCondition, phiproxy.KindProcedure, phiproxy.KindSpecialty, phiproxy.KindFreeText} {
		holdoutKinds[string(k)] = true
	}
}

// loadHoldoutLabels reads labels.jsonl and checks every line names an
// existing flow file once, with known kinds and non-empty terms, and every
// flow file has a line.
func loadHoldoutLabels(dir string) ([]holdoutLabel, error) {
	data, err := os.ReadFile(filepath.Join(dir, "labels.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("reading labels: %w", err)
	}
	var labels []holdoutLabel
	seen := map[string]bool{}
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var l holdoutLabel
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return nil, fmt.Errorf("labels.jsonl line %d: %w", i+1, err)
		}
		if l.File == "" || seen[l.File] {
			return nil, fmt.Errorf("labels.jsonl line %d: file %q empty or repeated", i+1, l.File)
		}
		seen[l.File] = true
		for _, it := range append(append([]holdoutItem{}, l.Expect...), l.Hashed...) {
			if !holdoutKinds[it.Kind] || strings.TrimSpace(it.Term) == "" {
				return nil, fmt.Errorf("labels.jsonl line %d (%s): bad item %+v", i+1, l.File, it)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(l.File))); err != nil {
			return nil, fmt.Errorf("labels.jsonl line %d: %w", i+1, err)
		}
		labels = append(labels, l)
	}
	files, err := filepath.Glob(filepath.Join(dir, "flows", "*.http"))
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if rel := "flows/" + filepath.Base(f); !seen[rel] {
			return nil, fmt.Errorf("%s has no line in labels.jsonl", rel)
		}
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("no labels in %s", dir)
	}
	return labels, nil
}

func TestHoldoutCorpusChecks(t *testing.T) {
	const okFlow = "GET https://www.facebook.com/tr/?id=1 HTTP/1.1\r\nHost: www.facebook.com\r\n\r\n"
	tests := []struct {
		name    string
		labels  string
		flows   map[string]string
		wantErr string // empty: the corpus must load and every flow parse
	}{
		{"valid", `{"file":"flows/0001-meta.http","expect":[{"kind":"condition","term":"hiv"}],"note":"n"}`,
			map[string]string{"0001-meta.http": okFlow}, ""},
		{"bad json", `{"file":`, map[string]string{"0001-meta.http": okFlow}, "line 1"},
		{"unknown kind", `{"file":"flows/0001-meta.http","expect":[{"kind":"disease","term":"hiv"}],"note":"n"}`,
			map[string]string{"0001-meta.http": okFlow}, "bad item"},
		{"unknown field", `{"file":"flows/0001-meta.http","expect":[],"notes":"n"}`,
			map[string]string{"0001-meta.http": okFlow}, "unknown field"},
		{"missing file", `{"file":"flows/0002-meta.http","expect":[],"note":"n"}`,
			map[string]string{"0001-meta.http": okFlow}, "0002-meta.http"},
		{"unlabelled file", `{"file":"flows/0001-meta.http","expect":[],"note":"n"}`,
			map[string]string{"0001-meta.http": okFlow, "0002-meta.http": okFlow}, "no line"},
		{"repeated file", `{"file":"flows/0001-meta.http","expect":[],"note":"n"}` + "\n" + `{"file":"flows/0001-meta.http","expect":[],"note":"n"}`,
			map[string]string{"0001-meta.http": okFlow}, "repeated"},
		{"relative url", `{"file":"flows/0001-meta.http","expect":[],"note":"n"}`,
			map[string]string{"0001-meta.http": "GET /tr/?id=1 HTTP/1.1\r\nHost: www.facebook.com\r\n\r\n"}, "not absolute"},
		{"short body", `{"file":"flows/0001-meta.http","expect":[],"note":"n"}`,
			map[string]string{"0001-meta.http": "POST https://api.segment.io/v1/t HTTP/1.1\r\nHost: api.segment.io\r\nContent-Length: 10\r\n\r\n{}"}, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "flows"), 0o700); err != nil {
				t.Fatal(err)
			}
			for name, body := range tt.flows {
				if err := os.WriteFile(filepath.Join(dir, "flows", name), []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, "labels.jsonl"), []byte(tt.labels+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			labels, err := loadHoldoutLabels(dir)
			for _, l := range labels {
				if err != nil {
					break
				}
				_, err = readHoldoutFlow(filepath.Join(dir, filepath.FromSlash(l.File)))
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("got error %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// readHoldoutFlow parses a raw HTTP/1.1 request file into a Flow.
func readHoldoutFlow(path string) (*phiproxy.Flow, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		return nil, fmt.Errorf("parsing request: %w", err)
	}
	if !req.URL.IsAbs() {
		return nil, fmt.Errorf("request URI %q is not absolute", req.RequestURI)
	}
	if req.Host == "" {
		return nil, fmt.Errorf("no Host header")
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	if req.ContentLength >= 0 && int64(len(body)) != req.ContentLength {
		return nil, fmt.Errorf("body has %d bytes, Content-Length says %d", len(body), req.ContentLength)
	}
	return &phiproxy.Flow{
		Source: "holdout",
		Request: phiproxy.Request{
			Method:   req.Method,
			URL:      req.RequestURI,
			Host:     req.Host,
			Proto:    req.Proto,
			Header:   req.Header.Clone(),
			Body:     body,
			BodySize: int64(len(body)),
		},
	}, nil
}

// Kinds compared by containment either way, because their canonical names
// vary ("depression" vs "major depression"; "marcus lee" vs "marcus").
var holdoutLooseKinds = map[string]bool{"medication": true, "condition": true, "procedure": true, "specialty": true, "name": true, "address": true}

// Kinds compared on letters and digits only, so "536-22-8714" equals
// "536228714" and "1985-03-14" equals "19850314".
var holdoutDigitKinds = map[string]bool{"phone": true, "ssn": true, "card": true, "npi": true, "dob": true, "zip": true, "mrn": true, "member_id": true, "dea": true}

func holdoutNorm(kind, term string) string {
	s := strings.ToLower(strings.TrimSpace(term))
	if holdoutDigitKinds[kind] {
		var b strings.Builder
		for _, r := range s {
			if (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') {
				b.WriteRune(r)
			}
		}
		s = b.String()
		if kind == "phone" && len(s) == 10 {
			s = "1" + s // a US number written without its country code
		}
	}
	return s
}

// holdoutMatch reports whether a finding (kind, term) matches an expected
// item: same kind, and equal terms (case-insensitive), or for the loose
// kinds one term containing the other (the shorter at least 3 bytes, so a
// stray letter matches nothing).
func holdoutMatch(kind, term string, want holdoutItem) bool {
	if kind != want.Kind {
		return false
	}
	got := holdoutNorm(kind, term)
	if got == "" {
		return false
	}
	for _, w := range append([]string{want.Term}, want.Alt...) {
		w = holdoutNorm(kind, w)
		if got == w {
			return true
		}
		if holdoutLooseKinds[kind] && min(len(got), len(w)) >= 3 && (strings.Contains(got, w) || strings.Contains(w, got)) {
			return true
		}
	}
	return false
}

func TestHoldoutMatch(t *testing.T) {
	tests := []struct {
		kind, term string
		want       holdoutItem
		match      bool
	}{
		{"medication", "Sertraline", holdoutItem{Kind: "medication", Term: "sertraline"}, true},
		{"medication", "zoloft", holdoutItem{Kind: "medication", Term: "sertraline", Alt: []string{"zoloft"}}, true},
		{"condition", "major depression", holdoutItem{Kind: "condition", Term: "depression"}, true},
		{"condition", "hiv", holdoutItem{Kind: "condition", Term: "hiv infection"}, true},
		{"condition", "ad", holdoutItem{Kind: "condition", Term: "adhd"}, false},
		{"medication", "depression", holdoutItem{Kind: "condition", Term: "depression"}, false},
		{"phone", "4155550134", holdoutItem{Kind: "phone", Term: "14155550134"}, true},
		{"phone", "+1 (415) 555-0134", holdoutItem{Kind: "phone", Term: "14155550134"}, true},
		{"phone", "14155550135", holdoutItem{Kind: "phone", Term: "14155550134"}, false},
		{"ssn", "536-22-8714", holdoutItem{Kind: "ssn", Term: "536228714"}, true},
		{"dob", "19850314", holdoutItem{Kind: "dob", Term: "1985-03-14"}, true},
		{"email", "Jane.Doe@example.com", holdoutItem{Kind: "email", Term: "jane.doe@example.com"}, true},
		{"email", "doe@example.com", holdoutItem{Kind: "email", Term: "jane.doe@example.com"}, false},
		{"name", "marcus", holdoutItem{Kind: "name", Term: "marcus lee"}, true},
		{"zip", "9411", holdoutItem{Kind: "zip", Term: "94110"}, false},
	}
	for _, tt := range tests {
		if got := holdoutMatch(tt.kind, tt.term, tt.want); got != tt.match {
			t.Errorf("holdoutMatch(%q, %q, %+v) = %v, want %v", tt.kind, tt.term, tt.want, got, tt.match)
		}
	}
}

// holdoutCount accumulates one kind's score.
type holdoutCount struct {
	tp, fp        int // distinct findings that matched / matched nothing
	found, expect int // expected items found / expected items
}

func TestHoldout(t *testing.T) {
	labels, err := loadHoldoutLabels(holdoutDir)
	if err != nil {
		t.Fatalf("hold-out corpus: %v", err)
	}
	in, err := classify.New(classify.Options{})
	if err != nil {
		t.Fatalf("classify.New: %v", err)
	}

	counts := map[string]*holdoutCount{}
	count := func(kind string) *holdoutCount {
		if counts[kind] == nil {
			counts[kind] = &holdoutCount{}
		}
		return counts[kind]
	}
	var fps, fns, unscored []string
	negatives, flaggedNegatives := 0, 0

	for _, l := range labels {
		flow, err := readHoldoutFlow(filepath.Join(holdoutDir, filepath.FromSlash(l.File)))
		if err != nil {
			t.Fatalf("%s: %v", l.File, err)
		}
		insp := in.Inspect(flow)
		if debug := os.Getenv("HOLDOUT_FILE"); debug != "" && strings.Contains(l.File, debug) {
			t.Logf("%s: %d fields, notes %q", l.File, insp.Fields, insp.Notes)
			for _, f := range insp.Findings {
				t.Logf("  %s %q value %q score %.2f at %s", f.Kind, f.Term, holdoutClip(f.Value), f.Score, f.Path)
			}
		}

		// One row per distinct (kind, term): a term found in five fields
		// is one finding for scoring.
		type key struct{ kind, term string }
		distinct := map[key]phiproxy.Finding{}
		var order []key
		for _, f := range insp.Findings {
			k := key{string(f.Kind), strings.ToLower(f.Term)}
			if _, ok := distinct[k]; !ok {
				distinct[k] = f
				order = append(order, k)
			}
		}

		scored := 0
		for _, k := range order {
			f := distinct[k]
			matched := false
			for _, w := range l.Expect {
				if holdoutMatch(k.kind, f.Term, w) {
					matched = true
					break
				}
			}
			switch {
			case matched:
				count(k.kind).tp++
				scored++
			case k.kind == string(phiproxy.KindFreeText):
				// Free text has no canonical term to label; it is listed,
				// not scored.
				unscored = append(unscored, fmt.Sprintf("%s: free_text %q at %s", l.File, holdoutClip(f.Value), f.Path))
			case holdoutMatchesAny(k.kind, f.Term, l.Hashed):
				// Recovered a hashed identifier without a persona: neither
				// credit nor penalty.
				unscored = append(unscored, fmt.Sprintf("%s: hashed %s %q at %s", l.File, k.kind, f.Term, f.Path))
			default:
				count(k.kind).fp++
				scored++
				fps = append(fps, fmt.Sprintf("FP %s: %s %q (value %q, score %.2f) at %s", l.File, k.kind, f.Term, holdoutClip(f.Value), f.Score, f.Path))
			}
		}
		if len(l.Expect) == 0 && len(l.Hashed) == 0 {
			negatives++
			if scored > 0 {
				flaggedNegatives++
			}
		}

		for _, w := range l.Expect {
			c := count(w.Kind)
			c.expect++
			found := false
			for _, k := range order {
				if holdoutMatch(k.kind, distinct[k].Term, w) {
					found = true
					break
				}
			}
			if found {
				c.found++
			} else {
				fns = append(fns, fmt.Sprintf("FN %s: %s %q (%s)", l.File, w.Kind, w.Term, l.Note))
			}
		}
	}

	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var total holdoutCount
	var b strings.Builder
	fmt.Fprintf(&b, "hold-out corpus: %d flows, %d hard negatives (%d flagged)\n", len(labels), negatives, flaggedNegatives)
	fmt.Fprintf(&b, "%-11s %5s %5s %5s %5s %6s %6s %6s\n", "kind", "exp", "found", "tp", "fp", "prec", "recall", "f1")
	row := func(name string, c holdoutCount) {
		p, r := holdoutRatio(c.tp, c.tp+c.fp), holdoutRatio(c.found, c.expect)
		f1 := 0.0
		if p+r > 0 {
			f1 = 2 * p * r / (p + r)
		}
		fmt.Fprintf(&b, "%-11s %5d %5d %5d %5d %6.2f %6.2f %6.2f\n", name, c.expect, c.found, c.tp, c.fp, p, r, f1)
	}
	for _, k := range kinds {
		c := *counts[k]
		row(k, c)
		total.tp += c.tp
		total.fp += c.fp
		total.found += c.found
		total.expect += c.expect
	}
	row("ALL", total)
	t.Log("\n" + b.String())
	for _, s := range fns {
		t.Log(s)
	}
	for _, s := range fps {
		t.Log(s)
	}
	for _, s := range unscored {
		t.Log("unscored " + s)
	}
}

func holdoutMatchesAny(kind, term string, items []holdoutItem) bool {
	for _, w := range items {
		if holdoutMatch(kind, term, w) {
			return true
		}
	}
	return false
}

// holdoutRatio is n/d, or 0 when d is 0 (nothing expected or nothing found).
func holdoutRatio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// holdoutClip shortens a value for a one-line report.
func holdoutClip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
