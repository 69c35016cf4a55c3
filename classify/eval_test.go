package classify

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify/persona"
)

// evalMisses is how many misses TestEval logs.
var evalMisses = flag.Int("eval.misses", 60, "TestEval: how many false positives and negatives to log")

// evalDir is the labelled corpus written by `go run ./testdata/eval/gen`.
const evalDir = "../testdata/eval"

// evalLabel is one expected finding: kind and canonical term.
type evalLabel struct {
	Kind string `json:"kind"`
	Term string `json:"term"`
}

// evalRecord is one line of labels.jsonl.
type evalRecord struct {
	File     string      `json:"file"`
	Template string      `json:"template"`
	Expected []evalLabel `json:"expected"`
	Persona  string      `json:"persona"`
	Negative bool        `json:"negative"`
	// Hashed are the expected persona values the flow sends only hashed.
	Hashed []evalLabel `json:"hashed"`
	// Keyed are what an inspector without the persona finds in their
	// place: digests under documented keys ("sha256(email)").
	Keyed []evalLabel `json:"keyed"`
	// Alt gives, for an expected item that has one, another term as
	// correct as its own (the item's "alt" in labels.jsonl).
	Alt map[evalLabel]string `json:"-"`
}

// UnmarshalJSON reads a record and gathers the items' alternatives.
func (r *evalRecord) UnmarshalJSON(b []byte) error {
	type plain evalRecord
	var alts struct {
		Expected []struct {
			Kind, Term, Alt string
		} `json:"expected"`
	}
	if err := json.Unmarshal(b, (*plain)(r)); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &alts); err != nil {
		return err
	}
	for _, e := range alts.Expected {
		if e.Alt != "" {
			if r.Alt == nil {
				r.Alt = map[evalLabel]string{}
			}
			r.Alt[evalLabel{e.Kind, e.Term}] = e.Alt
		}
	}
	return nil
}

// evalWSMessage is one message of a .ws.json sidecar.
type evalWSMessage struct {
	FromClient bool   `json:"from_client"`
	Binary     bool   `json:"binary"`
	Text       string `json:"text"`
	Base64     string `json:"base64"`
}

func loadEvalRecords(t testing.TB) []evalRecord {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(evalDir, "labels.jsonl"))
	if err != nil {
		t.Fatalf("read labels (run `go run ./testdata/eval/gen`): %v", err)
	}
	var recs []evalRecord
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r evalRecord
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("labels.jsonl:%d: %v", i+1, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// loadHTTPFlow reads a raw HTTP/1.1 request (absolute-form request line)
// and its optional WebSocket sidecar into a Flow.
func loadHTTPFlow(path string) (*phiproxy.Flow, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: body: %w", path, err)
	}
	// The request line's target as written, not as net/url re-escapes it.
	line, _, _ := bytes.Cut(raw, []byte("\r\n"))
	parts := strings.Fields(string(line))
	if len(parts) != 3 {
		return nil, fmt.Errorf("%s: bad request line %q", path, line)
	}
	target := parts[1]
	if !strings.Contains(target, "://") {
		target = "https://" + req.Host + target
	}
	f := &phiproxy.Flow{
		Source: "eval",
		Request: phiproxy.Request{
			Method: req.Method, URL: target, Host: req.Host, Proto: req.Proto,
			Header: req.Header, Body: body, BodySize: int64(len(body)),
		},
	}
	sidecar := strings.TrimSuffix(path, ".http") + ".ws.json"
	if b, err := os.ReadFile(sidecar); err == nil {
		var msgs []evalWSMessage
		if err := json.Unmarshal(b, &msgs); err != nil {
			return nil, fmt.Errorf("%s: %w", sidecar, err)
		}
		for _, m := range msgs {
			data := []byte(m.Text)
			if m.Base64 != "" {
				if data, err = base64.StdEncoding.DecodeString(m.Base64); err != nil {
					return nil, fmt.Errorf("%s: %w", sidecar, err)
				}
			}
			f.WebSocket = append(f.WebSocket, phiproxy.WSMessage{FromClient: m.FromClient, Binary: m.Binary, Data: data})
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return f, nil
}

// score is one kind's figures. Recall counts expected items (one credit
// each, however many findings name it); precision counts distinct
// (kind, term) findings.
type score struct {
	found, fn int // expected items found / missed
	hit, fp   int // distinct findings that name an expected item / none
}

func (s score) precision() float64 {
	if s.hit+s.fp == 0 {
		return 1
	}
	return float64(s.hit) / float64(s.hit+s.fp)
}

func (s score) recall() float64 {
	if s.found+s.fn == 0 {
		return 1
	}
	return float64(s.found) / float64(s.found+s.fn)
}

func (s score) f1() float64 {
	p, r := s.precision(), s.recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func (s *score) add(o score) {
	s.found += o.found
	s.fn += o.fn
	s.hit += o.hit
	s.fp += o.fp
}

// evalGate is the per-kind floor of precision and recall.
const evalGate = 0.95

// evalMinDistinct is how many distinct expected terms a kind needs in the
// corpus for its own gate to mean something: one SSN cannot show that
// SSNs are found.
var evalMinDistinct = map[string]int{
	"ssn": 20, "npi": 20, "dea": 20, "card": 20, "phone": 20, "email": 20, "mrn": 20,
	"member_id": 20, "dob": 20, "zip": 20, "address": 20, "name": 20,
	"medication": 50, "condition": 50, "procedure": 50, "specialty": 50, "symptom": 50,
}

// noPersonaKinds are left out of the evaluation without a persona: record
// and member numbers and free text are what a persona declares.
var noPersonaKinds = map[string]bool{"mrn": true, "member_id": true, "free_text": true}

// evalRun is the outcome of scoring the corpus once.
type evalRun struct {
	flows   int
	perKind map[string]*score
	total   score
	misses  []string
}

// scoreEval inspects every corpus flow and scores the findings. With
// withPersona set, each flow is inspected with the persona its label names;
// without, every flow is inspected plainly and the expected items only a
// persona can reveal (noPersonaKinds, values sent only hashed) are
// neither required nor penalised.
func scoreEval(t *testing.T, recs []evalRecord, withPersona bool) evalRun {
	t.Helper()
	plain, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	inspectors := map[string]*Inspector{"": plain}
	run := evalRun{flows: len(recs), perKind: map[string]*score{}}
	type key struct{ kind, term string }
	for _, rec := range recs {
		name := rec.Persona
		if !withPersona {
			name = ""
		}
		in, ok := inspectors[name]
		if !ok {
			in = evalPersonaInspector(t, name)
			inspectors[name] = in
		}
		f, err := loadHTTPFlow(filepath.Join(evalDir, rec.File))
		if err != nil {
			t.Fatal(err)
		}
		got := map[key]phiproxy.Finding{}
		for _, fd := range in.Inspect(f).Findings {
			if k := (key{string(fd.Kind), fd.Term}); got[k].Term == "" {
				got[k] = fd
			}
		}
		// Without a persona, what only a persona reveals is ignored:
		// neither required nor, when found, penalised.
		ignored := map[key]bool{}
		var want []evalLabel
		for _, l := range rec.Expected {
			if !withPersona && (noPersonaKinds[l.Kind] || slices.Contains(rec.Hashed, l)) {
				ignored[key{l.Kind, l.Term}] = true
				if alt := rec.Alt[l]; alt != "" {
					ignored[key{l.Kind, alt}] = true
				}
				continue
			}
			want = append(want, l)
		}
		for _, l := range rec.Keyed {
			switch {
			case withPersona:
				ignored[key{l.Kind, l.Term}] = true
			case !noPersonaKinds[l.Kind]:
				want = append(want, l)
			}
		}
		named := map[key]bool{}
		for _, l := range want {
			s := kindScore(run.perKind, l.Kind)
			named[key{l.Kind, l.Term}] = true
			_, ok := got[key{l.Kind, l.Term}]
			if alt := rec.Alt[l]; alt != "" {
				named[key{l.Kind, alt}] = true
				_, okAlt := got[key{l.Kind, alt}]
				ok = ok || okAlt
			}
			if ok {
				s.found++
			} else {
				s.fn++
				run.misses = append(run.misses, fmt.Sprintf("FN %s %s %q", rec.File, l.Kind, l.Term))
			}
		}
		for k, fd := range got {
			switch {
			case named[k]:
				kindScore(run.perKind, k.kind).hit++
			case ignored[k] || !withPersona && noPersonaKinds[k.kind]:
			default:
				kindScore(run.perKind, k.kind).fp++
				run.misses = append(run.misses, fmt.Sprintf("FP %s %s %q (value %q at %s, source %s)", rec.File, k.kind, k.term, fd.Value, fd.Path, fd.Source))
			}
		}
	}
	for _, s := range run.perKind {
		run.total.add(*s)
	}
	sort.Strings(run.misses)
	return run
}

func evalPersonaInspector(t *testing.T, name string) *Inspector {
	t.Helper()
	p, err := persona.Load(filepath.Join(evalDir, name))
	if err != nil {
		t.Fatalf("persona %s: %v", name, err)
	}
	in, err := New(Options{Persona: p})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// logEval logs the table and the first misses.
func logEval(t *testing.T, title string, run evalRun) {
	t.Logf("%s over %d flows\n%s", title, run.flows, evalTable(run.perKind, run.total))
	for i, m := range run.misses {
		if i == *evalMisses {
			t.Logf("... %d more", len(run.misses)-i)
			break
		}
		t.Log(m)
	}
}

// TestEval runs the inspector over the labelled corpus, each flow with
// the persona its label names, and scores (flow, kind, canonical term)
// exactly. It fails when any kind's precision or recall falls below
// evalGate, or when a kind has too few distinct values in the corpus for
// its figures to mean anything. Run with -v for the per-kind table and
// the misses.
func TestEval(t *testing.T) {
	recs := loadEvalRecords(t)
	if len(recs) < 300 {
		t.Fatalf("corpus has %d flows, want at least 300", len(recs))
	}
	distinct := map[string]map[string]bool{}
	for _, rec := range recs {
		for _, l := range rec.Expected {
			if distinct[l.Kind] == nil {
				distinct[l.Kind] = map[string]bool{}
			}
			distinct[l.Kind][l.Term] = true
		}
	}
	var counts []string
	for kind, terms := range distinct {
		counts = append(counts, fmt.Sprintf("%s %d", kind, len(terms)))
	}
	sort.Strings(counts)
	t.Logf("distinct expected terms: %s", strings.Join(counts, ", "))
	for kind, n := range evalMinDistinct {
		if got := len(distinct[kind]); got < n {
			t.Errorf("corpus has %d distinct %s values, want at least %d", got, kind, n)
		}
	}
	run := scoreEval(t, recs, true)
	logEval(t, "evaluation with the persona", run)
	gateEval(t, run)
}

// TestEvalNoPersona scores the same corpus with no persona loaded, as a
// user who configured none would run: every kind but noPersonaKinds must
// still reach evalGate recall from the values sent in clear.
func TestEvalNoPersona(t *testing.T) {
	run := scoreEval(t, loadEvalRecords(t), false)
	logEval(t, "evaluation without a persona", run)
	for kind, s := range run.perKind {
		if s.recall() < evalGate {
			t.Errorf("%s: recall %.3f without a persona, want >= %.2f", kind, s.recall(), evalGate)
		}
	}
}

// gateEval fails the test for every kind below evalGate.
func gateEval(t *testing.T, run evalRun) {
	t.Helper()
	kinds := make([]string, 0, len(run.perKind))
	for k := range run.perKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		s := run.perKind[k]
		if s.precision() < evalGate || s.recall() < evalGate {
			t.Errorf("%s: precision %.3f recall %.3f, want both >= %.2f", k, s.precision(), s.recall(), evalGate)
		}
	}
}

func kindScore(m map[string]*score, kind string) *score {
	s, ok := m[kind]
	if !ok {
		s = &score{}
		m[kind] = s
	}
	return s
}

func evalTable(perKind map[string]*score, total score) string {
	kinds := make([]string, 0, len(perKind))
	for k := range perKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s %5s %5s %5s %5s %9s %7s %6s\n", "kind", "found", "fn", "hit", "fp", "precision", "recall", "f1")
	row := func(name string, s score) {
		fmt.Fprintf(&b, "%-12s %5d %5d %5d %5d %9.3f %7.3f %6.3f\n", name, s.found, s.fn, s.hit, s.fp, s.precision(), s.recall(), s.f1())
	}
	for _, k := range kinds {
		row(k, *perKind[k])
	}
	row("overall", total)
	return b.String()
}

// TestCorpusInvariants checks, over every corpus flow, what each finding
// promises: one finding per (kind, term, path), offsets that locate Value
// in Field, a known source, a score in (0,1], a category on health
// findings, and an inspection severity equal to the highest finding's.
func TestCorpusInvariants(t *testing.T) {
	p, err := persona.Load(filepath.Join(evalDir, "persona.json"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := New(Options{Persona: p})
	if err != nil {
		t.Fatal(err)
	}
	sources := map[phiproxy.Source]bool{phiproxy.SourceDictionary: true, phiproxy.SourcePattern: true, phiproxy.SourcePersona: true, phiproxy.SourceShape: true}
	for _, rec := range loadEvalRecords(t) {
		f, err := loadHTTPFlow(filepath.Join(evalDir, rec.File))
		if err != nil {
			t.Fatal(err)
		}
		ins := in.Inspect(f)
		seen := map[string]bool{}
		max := phiproxy.Info
		for _, fd := range ins.Findings {
			k := string(fd.Kind) + "\x00" + fd.Term + "\x00" + fd.Path
			if seen[k] {
				t.Errorf("%s: duplicate finding %s %q at %s", rec.File, fd.Kind, fd.Term, fd.Path)
			}
			seen[k] = true
			// Finding documents both offsets zero for a match that is the
			// whole field; any other pair must locate Value in Field.
			switch {
			case fd.Field == "":
			case fd.Start < 0 || fd.End > len(fd.Field) || fd.Start > fd.End:
				t.Errorf("%s: %s %q: offsets %d..%d outside field of %d bytes", rec.File, fd.Kind, fd.Term, fd.Start, fd.End, len(fd.Field))
			case fd.Start == 0 && fd.End == 0:
				if fd.Value != fd.Field {
					t.Errorf("%s: %s %q: no offsets, but Value %q is not the whole field %q", rec.File, fd.Kind, fd.Term, fd.Value, fd.Field)
				}
			case fd.Field[fd.Start:fd.End] != fd.Value:
				t.Errorf("%s: %s: Field[%d:%d] = %q, Value %q", rec.File, fd.Kind, fd.Start, fd.End, fd.Field[fd.Start:fd.End], fd.Value)
			}
			if !sources[fd.Source] {
				t.Errorf("%s: %s: unknown source %q", rec.File, fd.Kind, fd.Source)
			}
			if fd.Score <= 0 || fd.Score > 1 {
				t.Errorf("%s: %s: score %v outside (0,1]", rec.File, fd.Kind, fd.Score)
			}
			if fd.Kind.IsHealth() && fd.Category == "" {
				t.Errorf("%s: health finding %q without category", rec.File, fd.Term)
			}
			if fd.Term == "" || fd.Value == "" || fd.Path == "" {
				t.Errorf("%s: finding with empty term, value or path: %+v", rec.File, fd)
			}
			if fd.Severity > max {
				max = fd.Severity
			}
		}
		if ins.Severity != max {
			t.Errorf("%s: inspection severity %v, highest finding %v", rec.File, ins.Severity, max)
		}
	}
}
