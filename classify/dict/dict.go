// Package dict holds the health-term dictionaries of phiproxy
// (medications, conditions, procedures, provider specialties, symptoms)
// and matches them in decoded field values.
//
// A Dictionary is a mutable collection of Terms loaded from the embedded
// lists, user TSV files, RxNorm RXNCONSO.RRF or the CMS ICD-10-CM order
// file. Build compiles it into an immutable Matcher that finds terms in
// text case-insensitively, on word boundaries, across slugs, snake_case,
// camelCase and percent-encoded spaces, and looks up ICD-10-CM codes.
package dict

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/phiproxy/phiproxy"
)

// Categories a term may carry. "general" is everything not especially
// sensitive.
var categories = map[string]bool{
	"mental_health": true, "substance_use": true, "reproductive": true,
	"sexual_health": true, "hiv_sti": true, "oncology": true,
	"genetic": true, "general": true,
}

// Sensitivity values.
const (
	SensitivityHigh     = "high"
	SensitivityStandard = "standard"
)

var kinds = map[string]phiproxy.Kind{
	"medication": phiproxy.KindMedication,
	"condition":  phiproxy.KindCondition,
	"procedure":  phiproxy.KindProcedure,
	"specialty":  phiproxy.KindSpecialty,
	"symptom":    phiproxy.KindSymptom,
}

// Term is one health term. Terms handed out by a Dictionary or Matcher are
// shared and must be treated as read-only.
type Term struct {
	// Term is the name as written in its source ("Zoloft").
	Term string
	// Kind is one of the health kinds (medication, condition, procedure,
	// specialty, symptom).
	Kind phiproxy.Kind
	// Canonical is the lower-case form findings report ("sertraline" for
	// "Zoloft"). Never empty: it defaults to the lower-cased Term.
	Canonical string
	// Category is one of mental_health, substance_use, reproductive,
	// sexual_health, hiv_sti, oncology, genetic, general.
	Category string
	// Sensitivity is "high" or "standard".
	Sensitivity string
	// Aliases are other spellings matched as this term.
	Aliases []string
	// Codes are ICD-10-CM codes for conditions as written in the source
	// ("F32.9"), RxNorm CUIs for medications loaded from RxNorm, or empty.
	Codes []string
	// Ambiguous is set for terms that are also ordinary words ("Plan B",
	// "stroke"): they count only with health context, which the caller
	// judges.
	Ambiguous bool
	// Source names where the term came from: "embedded:<file>" for the
	// shipped lists, otherwise the source name given to the loader.
	Source string
}

// entryKey identifies a term for de-duplication: kind plus normalised name.
type entryKey struct {
	kind phiproxy.Kind
	key  string
}

// Dictionary is a set of Terms, unique by (kind, normalised term), and of
// not-health phrases (see AddNotHealth). The zero value is not usable;
// call New or Embedded. A Dictionary is not safe for concurrent mutation;
// Build it into a Matcher to share it.
type Dictionary struct {
	terms []*Term
	index map[entryKey]int // position in terms
	// notHealth holds the normalised not-health phrases, in the order
	// added, without duplicates.
	notHealth     []string
	notHealthSeen map[string]bool
}

// New returns an empty Dictionary.
func New() *Dictionary {
	return &Dictionary{index: make(map[entryKey]int), notHealthSeen: make(map[string]bool)}
}

// Len is the number of distinct terms (aliases not counted).
func (d *Dictionary) Len() int { return len(d.terms) }

// Counts returns how many terms there are of each kind.
func (d *Dictionary) Counts() map[phiproxy.Kind]int {
	c := make(map[phiproxy.Kind]int)
	for _, t := range d.terms {
		c[t.Kind]++
	}
	return c
}

// Terms returns the terms in insertion order. The slice is a copy; the
// Terms are shared and read-only.
func (d *Dictionary) Terms() []*Term {
	return append([]*Term(nil), d.terms...)
}

// clone copies the term index so that additions to the copy leave d alone.
func (d *Dictionary) clone() *Dictionary {
	c := &Dictionary{
		terms:         append([]*Term(nil), d.terms...),
		index:         make(map[entryKey]int, len(d.index)),
		notHealth:     append([]string(nil), d.notHealth...),
		notHealthSeen: make(map[string]bool, len(d.notHealthSeen)),
	}
	for k, v := range d.index {
		c.index[k] = v
	}
	for k := range d.notHealthSeen {
		c.notHealthSeen[k] = true
	}
	return c
}

// AddNotHealth adds a phrase of ordinary language that contains a health
// term without meaning it: "Great Depression", "depression glass",
// "Cancer horoscope", "stroke of genius", "cold brew". Where such a phrase
// encloses a term in matched text, the term is not reported; the phrase
// itself is never reported. A phrase is matched like a term (case folded,
// on word boundaries, across separators). A term with exactly the same
// normalised name wins over the phrase, so a user list can take a phrase
// back as a term. Adding a phrase twice is a no-op; a phrase with no
// letters or digits is an error.
func (d *Dictionary) AddNotHealth(phrase string) error {
	key := normalizeKey(phrase)
	if key == "" {
		return fmt.Errorf("not-health phrase %q has no letters or digits", phrase)
	}
	if d.notHealthSeen == nil {
		d.notHealthSeen = make(map[string]bool)
	}
	if !d.notHealthSeen[key] {
		d.notHealthSeen[key] = true
		d.notHealth = append(d.notHealth, key)
	}
	return nil
}

// NotHealth returns the normalised not-health phrases in the order added.
// The slice is a copy.
func (d *Dictionary) NotHealth() []string {
	return append([]string(nil), d.notHealth...)
}

// AddNotHealthList reads not-health phrases, one a line ('#' lines are
// comments; blank lines are skipped). source names the list in errors;
// the first bad line stops loading with "source:line: reason", and the
// lines before it stay added.
func (d *Dictionary) AddNotHealthList(r io.Reader, source string) error {
	return lines(r, func(n int, line string) error {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			return nil
		}
		if err := d.AddNotHealth(line); err != nil {
			return fmt.Errorf("%s:%d: %w", source, n, err)
		}
		return nil
	})
}

// Add inserts t. A term with the same kind and normalised name already in
// the dictionary is replaced, so lists loaded later (a user's) override
// earlier ones (the embedded lists). Add fills in Canonical and
// Sensitivity when they are empty and rejects a term with no letters or
// digits, an unknown kind or an unknown category.
func (d *Dictionary) Add(t Term) error {
	key := normalizeKey(t.Term)
	if key == "" {
		return fmt.Errorf("term %q has no letters or digits", t.Term)
	}
	if !t.Kind.IsHealth() {
		return fmt.Errorf("term %q: kind %q is not a health kind", t.Term, t.Kind)
	}
	if t.Category == "" {
		t.Category = "general"
	}
	if !categories[t.Category] {
		return fmt.Errorf("term %q: unknown category %q", t.Term, t.Category)
	}
	if t.Canonical == "" {
		t.Canonical = strings.ToLower(strings.TrimSpace(t.Term))
	}
	switch t.Sensitivity {
	case SensitivityHigh, SensitivityStandard:
	case "":
		t.Sensitivity = SensitivityStandard
		if t.Category != "general" {
			t.Sensitivity = SensitivityHigh
		}
	default:
		return fmt.Errorf("term %q: unknown sensitivity %q (want high or standard)", t.Term, t.Sensitivity)
	}
	k := entryKey{t.Kind, key}
	if i, ok := d.index[k]; ok {
		d.terms[i] = &t
		return nil
	}
	d.index[k] = len(d.terms)
	d.terms = append(d.terms, &t)
	return nil
}

// lookup returns the term of that kind and name, if present.
func (d *Dictionary) lookup(kind phiproxy.Kind, name string) (*Term, bool) {
	i, ok := d.index[entryKey{kind, normalizeKey(name)}]
	if !ok {
		return nil, false
	}
	return d.terms[i], true
}

// maxLine bounds one line of any input list; longer lines are an error
// rather than an unbounded allocation.
const maxLine = 64 << 10

// lines calls fn for every line of r with its 1-based number, stopping at
// the first error fn returns.
func lines(r io.Reader, fn func(n int, line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	n := 0
	for sc.Scan() {
		n++
		if err := fn(n, strings.TrimRight(sc.Text(), "\r")); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("line %d: longer than %d bytes", n+1, maxLine)
		}
		return fmt.Errorf("line %d: %w", n+1, err)
	}
	return nil
}

// AddTSV reads terms in the eight-column format of the embedded lists
// (term, kind, canonical, category, sensitivity, aliases, codes, flags;
// '#' lines are comments; blank lines are skipped). source names the list
// in errors and in Term.Source. The first bad row stops loading with an
// error "source:line: reason"; rows before it stay added.
func (d *Dictionary) AddTSV(r io.Reader, source string) error {
	return lines(r, func(n int, line string) error {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			return nil
		}
		t, err := parseRow(line)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", source, n, err)
		}
		t.Source = source
		if err := d.Add(t); err != nil {
			return fmt.Errorf("%s:%d: %w", source, n, err)
		}
		return nil
	})
}

// parseRow parses one eight-column TSV row.
func parseRow(line string) (Term, error) {
	cols := strings.Split(line, "\t")
	if len(cols) != 8 {
		return Term{}, fmt.Errorf("got %d columns, want 8 (term, kind, canonical, category, sensitivity, aliases, codes, flags)", len(cols))
	}
	for i := range cols {
		cols[i] = strings.TrimSpace(cols[i])
	}
	if cols[0] == "" {
		return Term{}, errors.New("empty term")
	}
	kind, ok := kinds[strings.ToLower(cols[1])]
	if !ok {
		return Term{}, fmt.Errorf("unknown kind %q (want medication, condition, procedure, specialty or symptom)", cols[1])
	}
	t := Term{
		Term:        cols[0],
		Kind:        kind,
		Canonical:   strings.ToLower(cols[2]),
		Category:    strings.ToLower(cols[3]),
		Sensitivity: strings.ToLower(cols[4]),
		Aliases:     splitList(cols[5]),
		Codes:       splitList(cols[6]),
	}
	if t.Category == "" {
		return Term{}, errors.New("empty category")
	}
	for _, f := range splitList(cols[7]) {
		switch strings.ToLower(f) {
		case "ambiguous":
			t.Ambiguous = true
		default:
			return Term{}, fmt.Errorf("unknown flag %q (want ambiguous)", f)
		}
	}
	return t, nil
}

// splitList splits a '|'-separated column, dropping empty items.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
