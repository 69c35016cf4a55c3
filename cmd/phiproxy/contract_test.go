package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// jsonType is a JSON value type as README's JSON Lines table names it.
type jsonType string

const (
	jsonString jsonType = "string"
	jsonInt    jsonType = "int"
	jsonNumber jsonType = "number"
	jsonBool   jsonType = "bool"
)

// findingKey is one row of README's JSON Lines table.
type findingKey struct {
	key string
	typ jsonType
	// where says in which outputs the key appears.
	where presence
	// values lists what the key may hold, when README enumerates it.
	values []string
}

// presence is where a key appears.
type presence int

const (
	always presence = iota
	// crawlsOnly: in every finding of a crawl, and nowhere else.
	crawlsOnly
	// crawlsAndWhenKnown: in every finding of a crawl, and elsewhere when
	// the recording says (a HAR's Referer names the page).
	crawlsAndWhenKnown
)

// findingContract is README's JSON Lines table, row for row: adding a key
// to the format is one line here.
var findingContract = []findingKey{
	{key: "flow_id", typ: jsonInt},
	{key: "time", typ: jsonString},
	{key: "method", typ: jsonString},
	{key: "url", typ: jsonString},
	{key: "host", typ: jsonString},
	{key: "party", typ: jsonString, values: []string{"first", "third", "unknown"}},
	{key: "vendor", typ: jsonString},
	{key: "vendor_category", typ: jsonString, values: []string{"advertising", "analytics", "session_replay", "chat", "tag_manager", "cdn", "error_monitoring", "marketing", "consent", ""}},
	{key: "baa", typ: jsonBool},
	{key: "kind", typ: jsonString, values: []string{"email", "phone", "ssn", "dob", "zip", "address", "name", "mrn", "member_id", "npi", "dea", "card", "ip", "medication", "condition", "procedure", "specialty", "symptom", "free_text"}},
	{key: "term", typ: jsonString},
	{key: "value", typ: jsonString},
	{key: "path", typ: jsonString},
	// Empty for findings that are not health terms (an email).
	{key: "category", typ: jsonString, values: []string{"mental_health", "substance_use", "reproductive", "sexual_health", "hiv_sti", "oncology", "genetic", "general", "provider", ""}},
	{key: "severity", typ: jsonString, values: []string{"critical", "high", "medium", "low", "info"}},
	{key: "source", typ: jsonString, values: []string{"dictionary", "pattern", "persona", "shape"}},
	{key: "score", typ: jsonNumber},
	{key: "page", typ: jsonString, where: crawlsAndWhenKnown},
	{key: "phase", typ: jsonString, where: crawlsOnly, values: []string{"load", "interaction", "login"}},
	{key: "authenticated", typ: jsonBool},
	// Empty outside consent crawls.
	{key: "consent", typ: jsonString, values: []string{"none", "reject", "accept", "gpc", ""}},
	{key: "consent_violation", typ: jsonBool},
	{key: "negated", typ: jsonBool},
	{key: "field", typ: jsonString},
	{key: "match_start", typ: jsonInt},
	{key: "match_end", typ: jsonInt},
}

// checkFindingLines checks every line of a JSON Lines finding stream
// against findingContract: each documented key present (where it should
// be) with its type and, where README lists them, one of its values; no
// undocumented key; and what
// README says of the values: UTC RFC 3339 times, lower-case hosts without a
// port, scores from 0 to 1, and value found in field at its offsets (both 0
// when value is the whole field or has no position in it). crawl
// says whether the findings come from a crawl. It returns the lines it
// read, and fails the test when there are none.
func checkFindingLines(t *testing.T, out string, crawl bool) []map[string]any {
	t.Helper()
	var rows []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		var row map[string]any
		if err := dec.Decode(&row); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		checkFindingRow(t, row, crawl)
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		t.Fatalf("no JSON Lines findings in %q", out)
	}
	return rows
}

func checkFindingRow(t testing.TB, row map[string]any, crawl bool) {
	t.Helper()
	documented := map[string]bool{}
	for _, k := range findingContract {
		documented[k.key] = true
		v, ok := row[k.key]
		if !ok {
			if k.where == always || crawl {
				t.Errorf("line lacks %q: %v", k.key, row)
			}
			continue
		}
		if k.where == crawlsOnly && !crawl {
			t.Errorf("%q outside a crawl: %v", k.key, row)
		}
		if got := typeOf(v); got != k.typ && !(k.typ == jsonNumber && got == jsonInt) {
			t.Errorf("%q: got %s %v, want %s", k.key, got, v, k.typ)
			continue
		}
		if k.values != nil && !slices.Contains(k.values, v.(string)) {
			t.Errorf("%q: got %q, want one of %q", k.key, v, k.values)
		}
	}
	for k := range row {
		if !documented[k] {
			t.Errorf("undocumented key %q (document it in README and add it to findingContract): %v", k, row)
		}
	}
	if tm, err := time.Parse(time.RFC3339Nano, str(row["time"])); err != nil || tm.Location() != time.UTC {
		t.Errorf("time: got %v, want RFC 3339 in UTC", row["time"])
	}
	if h := str(row["host"]); h == "" || h != strings.ToLower(h) || strings.Contains(h, ":") {
		t.Errorf("host: got %q, want it lower-case without a port", h)
	}
	if n, ok := row["flow_id"].(json.Number); ok {
		if id, _ := n.Int64(); id <= 0 {
			t.Errorf("flow_id: got %v, want a stored flow's ID", n)
		}
	}
	if n, ok := row["score"].(json.Number); ok {
		if s, _ := n.Float64(); s < 0 || s > 1 {
			t.Errorf("score: got %v, want 0 to 1", n)
		}
	}
	start, okStart := row["match_start"].(json.Number)
	end, okEnd := row["match_end"].(json.Number)
	if okStart && okEnd {
		field := str(row["field"])
		s, _ := start.Int64()
		e, _ := end.Int64()
		value := str(row["value"])
		switch {
		case s == 0 && e == 0:
			// No offsets: the match is the whole field, or has no position
			// in it (a persona value found hashed).
			if value != field && row["source"] != "persona" {
				t.Errorf("match_start and match_end 0 but value %q is not the field %q", value, field)
			}
		case s < 0 || s > e || e > int64(len(field)) || field[s:e] != value:
			t.Errorf("field[%d:%d] of %q is not value %q", s, e, field, value)
		}
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// typeOf names the JSON type of a value decoded with UseNumber.
func typeOf(v any) jsonType {
	switch v := v.(type) {
	case string:
		return jsonString
	case bool:
		return jsonBool
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return jsonInt
		}
		return jsonNumber
	}
	return jsonType("other")
}

// errorsOf records the failures a check reports instead of failing.
type errorsOf struct {
	testing.TB
	got []string
}

func (e *errorsOf) Helper() {}
func (e *errorsOf) Errorf(format string, args ...any) {
	e.got = append(e.got, fmt.Sprintf(format, args...))
}

// TestFindingContractRejects feeds checkFindingRow a line that keeps the
// contract, then lines that each break it in one way.
func TestFindingContractRejects(t *testing.T) {
	good := `{"flow_id":7,"time":"2026-11-28T10:00:00.123Z","method":"GET","url":"https://t.test/p?e=a@b.co","host":"t.test",
		"party":"third","vendor":"","vendor_category":"","baa":false,"kind":"email","term":"a@b.co","value":"a@b.co",
		"path":"query:e","category":"","severity":"medium","source":"pattern","score":0.9,"authenticated":false,"consent":"","consent_violation":false,"negated":false,"field":"x a@b.co","match_start":2,"match_end":8}`
	parse := func(s string) map[string]any {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	rec := &errorsOf{TB: t}
	checkFindingRow(rec, parse(good), false)
	if len(rec.got) != 0 {
		t.Fatalf("a line that keeps the contract was rejected: %q", rec.got)
	}
	for name, edit := range map[string]func(map[string]any){
		"missing key":        func(m map[string]any) { delete(m, "vendor_category") },
		"string for bool":    func(m map[string]any) { m["baa"] = "false" },
		"float for int":      func(m map[string]any) { m["flow_id"] = json.Number("7.5") },
		"undocumented key":   func(m map[string]any) { m["extra"] = "x" },
		"unlisted value":     func(m map[string]any) { m["severity"] = "severe" },
		"crawl key in run":   func(m map[string]any) { m["phase"] = "load" },
		"local time":         func(m map[string]any) { m["time"] = "2026-11-28T10:00:00+01:00" },
		"host with port":     func(m map[string]any) { m["host"] = "t.test:443" },
		"score above 1":      func(m map[string]any) { m["score"] = json.Number("1.5") },
		"offsets off target": func(m map[string]any) { m["match_start"] = json.Number("1") },
	} {
		row := parse(good)
		edit(row)
		rec := &errorsOf{TB: t}
		checkFindingRow(rec, row, false)
		if len(rec.got) == 0 {
			t.Errorf("%s: accepted %v", name, row)
		}
	}
	rec = &errorsOf{TB: t}
	checkFindingRow(rec, parse(good), true)
	if len(rec.got) != 2 {
		t.Errorf("crawl line without page and phase: got %q, want both reported", rec.got)
	}
}
