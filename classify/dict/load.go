package dict

import (
	"embed"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/phiproxy/phiproxy"
)

// data holds the shipped lists: every data/*.tsv file is a term list,
// every data/*.txt file a list of not-health phrases.
//
//go:embed data
var data embed.FS

var embedded struct {
	once sync.Once
	dict *Dictionary
	err  error
}

// Embedded returns a Dictionary holding the shipped term lists. The lists
// are parsed once per process; each call returns an independent copy that
// the caller may add to (the Terms themselves are shared and read-only).
func Embedded() (*Dictionary, error) {
	embedded.once.Do(func() {
		embedded.dict, embedded.err = loadFS(data, "data")
	})
	if embedded.err != nil {
		return nil, embedded.err
	}
	return embedded.dict.clone(), nil
}

// loadFS loads every *.tsv (terms) and *.txt (not-health phrases) file of
// dir in fsys, in name order so that the result does not depend on
// directory order.
func loadFS(fsys fs.FS, dir string) (*Dictionary, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("read embedded term lists: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".tsv") || strings.HasSuffix(e.Name(), ".txt")) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	d := New()
	for _, name := range names {
		f, err := fsys.Open(path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("open embedded %s: %w", name, err)
		}
		if strings.HasSuffix(name, ".txt") {
			err = d.AddNotHealthList(f, "embedded:"+name)
		} else {
			err = d.AddTSV(f, "embedded:"+name)
		}
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("load embedded term list: %w", err)
		}
	}
	return d, nil
}

// RxNorm RXNCONSO.RRF columns used here (0-based).
const (
	rrfCUI      = 0
	rrfLAT      = 1
	rrfSAB      = 11
	rrfTTY      = 12
	rrfSTR      = 14
	rrfSUPPRESS = 16
	rrfMinCols  = 17
)

// rxnormTypes are the RxNorm term types kept: ingredients, precise
// ingredients and brand names. Clinical drug strings ("sertraline 50 MG
// Oral Tablet") are left out: they never appear verbatim in web traffic
// and would only slow matching.
var rxnormTypes = map[string]bool{"IN": true, "PIN": true, "BN": true}

// maxNameLen bounds names taken from bulk files; longer ones are skipped.
const maxNameLen = 200

// AddRxNormRRF adds medications from an RxNorm RXNCONSO.RRF file
// (pipe-separated, 18 columns). Only rows with SAB=RXNORM, LAT=ENG, not
// suppressed, and TTY IN, PIN or BN are kept. Each becomes a medication
// whose canonical is its own lower-cased name (the RRF alone does not link
// a brand to its ingredient), category general, with the RXCUI as its code.
// A name the dictionary already knows as a medication is left as it is, so
// curated categories win. A row with too few columns is an error naming
// its line.
func (d *Dictionary) AddRxNormRRF(r io.Reader) error {
	return lines(r, func(n int, line string) error {
		if line == "" {
			return nil
		}
		cols := strings.Split(line, "|")
		if len(cols) < rrfMinCols {
			return fmt.Errorf("RXNCONSO.RRF:%d: got %d columns, want at least %d", n, len(cols), rrfMinCols)
		}
		if cols[rrfSAB] != "RXNORM" || cols[rrfLAT] != "ENG" || !rxnormTypes[cols[rrfTTY]] {
			return nil
		}
		if s := cols[rrfSUPPRESS]; s != "" && s != "N" {
			return nil
		}
		name := strings.TrimSpace(cols[rrfSTR])
		if name == "" || len(name) > maxNameLen || normalizeKey(name) == "" {
			return nil
		}
		if _, ok := d.lookup(phiproxy.KindMedication, name); ok {
			return nil
		}
		t := Term{
			Term:     name,
			Kind:     phiproxy.KindMedication,
			Category: "general",
			Source:   "rxnorm",
		}
		if cui := strings.TrimSpace(cols[rrfCUI]); cui != "" {
			t.Codes = []string{cui}
		}
		if err := d.Add(t); err != nil {
			return fmt.Errorf("RXNCONSO.RRF:%d: %w", n, err)
		}
		return nil
	})
}

// AddICD10Order adds conditions from a CMS ICD-10-CM order file
// (icd10cm_order_YYYY.txt): fixed width, code in columns 7-13 without its
// dot, header flag in column 15 (0 = category header, 1 = billable), short
// description in 17-76, long description from 78. Every code, header or
// billable, becomes looked up by LookupCode. A code already carried by a
// condition in the dictionary keeps that term; otherwise the long
// description becomes a condition (canonical: its lower-cased text) with a
// category derived from the code's chapter (see CategoryForICD10). A short
// or malformed line is an error naming its line.
func (d *Dictionary) AddICD10Order(r io.Reader) error {
	known := make(map[string]bool)
	for _, t := range d.terms {
		if t.Kind == phiproxy.KindCondition {
			for _, c := range t.Codes {
				known[codeKey(c)] = true
			}
		}
	}
	return lines(r, func(n int, line string) error {
		if strings.TrimSpace(line) == "" {
			return nil
		}
		if len(line) < 78 {
			return fmt.Errorf("icd10cm_order:%d: line is %d bytes, want at least 78 (code 7-13, flag 15, descriptions 17-76 and 78+)", n, len(line))
		}
		raw := strings.TrimSpace(line[6:13])
		flag := line[14]
		long := strings.TrimSpace(line[77:])
		if !validICDCode(raw) {
			return fmt.Errorf("icd10cm_order:%d: %q is not an ICD-10-CM code", n, raw)
		}
		if flag != '0' && flag != '1' {
			return fmt.Errorf("icd10cm_order:%d: header flag %q, want 0 or 1", n, flag)
		}
		if long == "" {
			long = strings.TrimSpace(line[16:76])
		}
		key := codeKey(raw)
		if known[key] {
			return nil
		}
		known[key] = true
		code := dottedCode(key)
		if len(long) > maxNameLen || normalizeKey(long) == "" {
			return nil
		}
		if old, ok := d.lookup(phiproxy.KindCondition, long); ok {
			// Several codes can share one description; keep them all on
			// a copy, since Terms are shared read-only.
			t := *old
			t.Codes = append(append([]string(nil), old.Codes...), code)
			return d.Add(t)
		}
		cat := CategoryForICD10(code)
		return d.Add(Term{
			Term:      long,
			Kind:      phiproxy.KindCondition,
			Canonical: strings.ToLower(long),
			Category:  cat,
			Codes:     []string{code},
			Source:    "icd10cm_order",
		})
	})
}

// codeKey is the form codes are indexed by: upper case, no dot, no spaces.
func codeKey(c string) string {
	c = strings.ToUpper(strings.TrimSpace(c))
	return strings.ReplaceAll(c, ".", "")
}

// dottedCode writes an undotted code the way ICD-10-CM prints it.
func dottedCode(key string) string {
	if len(key) > 3 {
		return key[:3] + "." + key[3:]
	}
	return key
}

// validICDCode reports whether s (dotted or not) has ICD-10-CM shape: a
// letter, a digit, a digit or letter, then up to four letters or digits.
func validICDCode(s string) bool {
	k := codeKey(s)
	if len(k) < 3 || len(k) > 7 {
		return false
	}
	if !isUpper(k[0]) || !isDigit(k[1]) || !(isDigit(k[2]) || isUpper(k[2])) {
		return false
	}
	for i := 3; i < len(k); i++ {
		if !isDigit(k[i]) && !isUpper(k[i]) {
			return false
		}
	}
	if d := strings.IndexByte(s, '.'); d >= 0 && d != 3 {
		return false
	}
	return true
}

func isUpper(b byte) bool { return b >= 'A' && b <= 'Z' }
func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// icdRange is an inclusive range of three-character ICD-10-CM categories
// (or longer prefixes) mapped to a sensitivity category.
type icdRange struct {
	from, to string
	category string
}

// icdCategories maps code ranges to sensitivity categories, most specific
// first: the first range that contains a code wins.
var icdCategories = []icdRange{
	{"F64", "F64", "sexual_health"},       // gender identity disorders
	{"F52", "F52", "sexual_health"},       // sexual dysfunction
	{"N52", "N52", "sexual_health"},       // male erectile dysfunction
	{"F10", "F19", "substance_use"},       // mental disorders due to substance use
	{"F01", "F99", "mental_health"},       // mental and behavioural disorders
	{"R45851", "R45851", "mental_health"}, // suicidal ideations
	{"B20", "B20", "hiv_sti"},             // HIV disease
	{"Z21", "Z21", "hiv_sti"},             // asymptomatic HIV infection status
	{"A50", "A64", "hiv_sti"},             // infections with a predominantly sexual mode of transmission
	{"B16", "B19", "hiv_sti"},             // viral hepatitis
	{"C00", "D09", "oncology"},            // malignant and in situ neoplasms
	{"D37", "D49", "oncology"},            // neoplasms of uncertain or unspecified behaviour
	{"O00", "O9A", "reproductive"},        // pregnancy, childbirth and the puerperium
	{"Z30", "Z39", "reproductive"},        // contraception, procreation, pregnancy
	{"N46", "N46", "reproductive"},        // male infertility
	{"N97", "N98", "reproductive"},        // female infertility, complications of assisted fertilisation
	{"Q90", "Q99", "genetic"},             // chromosomal abnormalities
	{"E84", "E84", "genetic"},             // cystic fibrosis
	{"D57", "D57", "genetic"},             // sickle-cell disorders
	{"G10", "G10", "genetic"},             // Huntington's disease
	{"Z15", "Z15", "genetic"},             // genetic susceptibility to disease
}

// CategoryForICD10 returns the sensitivity category of an ICD-10-CM code
// (dotted or not, any case) by its chapter and block: "F32.9" →
// "mental_health", "F11.20" → "substance_use", "C50.911" → "oncology",
// "Z33.1" → "reproductive", "B20" → "hiv_sti". Codes outside the sensitive
// blocks are "general".
func CategoryForICD10(code string) string {
	k := codeKey(code)
	for _, r := range icdCategories {
		n := len(r.from)
		if len(k) < n {
			continue
		}
		p := k[:n]
		if p >= r.from && p <= r.to {
			return r.category
		}
	}
	return "general"
}
