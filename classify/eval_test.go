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

// evalLabel is one expected finding of a corpus flow.
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

// score counts true positives, false positives and false negatives.
type score struct{ tp, fp, fn int }

func (s score) precision() float64 {
	if s.tp+s.fp == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fp)
}

func (s score) recall() float64 {
	if s.tp+s.fn == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fn)
}

func (s score) f1() float64 {
	p, r := s.precision(), s.recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// TestEval runs the inspector over the labelled corpus and scores
// (flow, kind, canonical term) tuples. It fails when overall precision or
// recall falls below 0.95. Run with -v for the per-kind table and the
// misses.
func TestEval(t *testing.T) {
	recs := loadEvalRecords(t)
	if len(recs) < 300 {
		t.Fatalf("corpus has %d flows, want at least 300", len(recs))
	}
	plain, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	inspectors := map[string]*Inspector{"": plain}
	perKind := map[string]*score{}
	var total score
	var misses []string
	for _, rec := range recs {
		in, ok := inspectors[rec.Persona]
		if !ok {
			p, err := persona.Load(filepath.Join(evalDir, rec.Persona))
			if err != nil {
				t.Fatalf("%s: persona: %v", rec.File, err)
			}
			if in, err = New(Options{Persona: p}); err != nil {
				t.Fatal(err)
			}
			inspectors[rec.Persona] = in
		}
		f, err := loadHTTPFlow(filepath.Join(evalDir, rec.File))
		if err != nil {
			t.Fatal(err)
		}
		got := map[evalLabel]phiproxy.Finding{}
		for _, fd := range in.Inspect(f).Findings {
			got[evalLabel{string(fd.Kind), fd.Term}] = fd
		}
		want := map[evalLabel]bool{}
		for _, l := range rec.Expected {
			want[l] = true
		}
		for l := range want {
			s := kindScore(perKind, l.Kind)
			if _, ok := got[l]; ok {
				s.tp++
				total.tp++
			} else {
				s.fn++
				total.fn++
				misses = append(misses, fmt.Sprintf("FN %s %s %q", rec.File, l.Kind, l.Term))
			}
		}
		for l, fd := range got {
			if !want[l] {
				kindScore(perKind, l.Kind).fp++
				total.fp++
				misses = append(misses, fmt.Sprintf("FP %s %s %q (value %q at %s, source %s)", rec.File, l.Kind, l.Term, fd.Value, fd.Path, fd.Source))
			}
		}
	}
	t.Logf("evaluation over %d flows\n%s", len(recs), evalTable(perKind, total))
	sort.Strings(misses)
	for i, m := range misses {
		if i == *evalMisses {
			t.Logf("... %d more", len(misses)-i)
			break
		}
		t.Log(m)
	}
	if total.precision() < 0.95 || total.recall() < 0.95 {
		t.Errorf("overall precision %.3f recall %.3f, want both >= 0.95", total.precision(), total.recall())
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
	fmt.Fprintf(&b, "%-12s %5s %5s %5s %9s %7s %6s\n", "kind", "tp", "fp", "fn", "precision", "recall", "f1")
	row := func(name string, s score) {
		fmt.Fprintf(&b, "%-12s %5d %5d %5d %9.3f %7.3f %6.3f\n", name, s.tp, s.fp, s.fn, s.precision(), s.recall(), s.f1())
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
			if fd.Start < 0 || fd.End > len(fd.Field) || fd.Start > fd.End {
				t.Errorf("%s: %s %q: offsets %d..%d outside field of %d bytes", rec.File, fd.Kind, fd.Term, fd.Start, fd.End, len(fd.Field))
			} else if fd.End > 0 && fd.Field[fd.Start:fd.End] != fd.Value {
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
