package dict

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
)

// testMatcher builds a Matcher from testdata/terms.tsv.
func testMatcher(t testing.TB) *Matcher {
	t.Helper()
	d := testDict(t)
	m, err := d.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return m
}

// embeddedMatcher builds the Matcher of the shipped lists.
func embeddedMatcher(t testing.TB) *Matcher {
	t.Helper()
	d, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	m, err := d.Build()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func testDict(t testing.TB) *Dictionary {
	t.Helper()
	f, err := os.Open("testdata/terms.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := New()
	if err := d.AddTSV(f, "terms.tsv"); err != nil {
		t.Fatalf("AddTSV: %v", err)
	}
	return d
}

// render writes matches as "text=canonical/kind" for compact comparison.
func render(ms []Match) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, fmt.Sprintf("%s=%s/%s", m.Text, m.Term.Canonical, m.Term.Kind))
	}
	return strings.Join(parts, "; ")
}

func TestFind(t *testing.T) {
	m := testMatcher(t)
	tests := []struct {
		name, in, want string
	}{
		{"brand to generic", "I take Zoloft daily", "Zoloft=sertraline/medication"},
		{"upper case", "ZOLOFT 50MG", "ZOLOFT=sertraline/medication"},
		{"boundary rejects longer word", "ambient music playlist", ""},
		{"boundary rejects prefix letter", "xsertraline", ""},
		{"boundary rejects digit after", "sertraline2", ""},
		{"boundary rejects digit before", "2sertraline", ""},
		{"alias longest", "Ambien CR 12.5 mg", "Ambien CR=zolpidem/medication"},
		{"slug", "/conditions/major-depressive-disorder/", "major-depressive-disorder=major depressive disorder/condition"},
		{"snake", "major_depressive_disorder", "major_depressive_disorder=major depressive disorder/condition"},
		{"plus", "q=major+depressive+disorder", "major+depressive+disorder=major depressive disorder/condition"},
		{"dots", "page.major.depressive.disorder", "major.depressive.disorder=major depressive disorder/condition"},
		{"percent space", "major%20depressive%20disorder", "major%20depressive%20disorder=major depressive disorder/condition"},
		{"run of separators", "major -- depressive / disorder", "major -- depressive / disorder=major depressive disorder/condition"},
		{"pascal", "DepressionTreatment", "DepressionTreatment=depression treatment/procedure"},
		{"camel", "depressionTreatmentPage", "depressionTreatment=depression treatment/procedure"},
		{"acronym then word", "HIVTest", "HIVTest=hiv test/procedure"},
		{"inner capitals term", "Learn about PrEP today", "PrEP=hiv pre-exposure prophylaxis/procedure"},
		{"inner capitals lower", "prep", "prep=hiv pre-exposure prophylaxis/procedure"},
		{"inner capitals no prefix", "prepaid card", ""},
		{"plural s", "chronic migraines", "migraines=migraine/condition"},
		{"plural ies", "online therapies", "therapies=psychotherapy/procedure"},
		{"event name", "Paid: Weekly Therapy", "Therapy=psychotherapy/procedure"},
		{"overlap longest", "breast cancer screening", "breast cancer=breast cancer/condition"},
		{"overlap leftmost", "cancer of the breast cancer", "cancer=cancer/condition; breast cancer=breast cancer/condition"},
		{"cancerous", "a cancerous cell", ""},
		{"unicode case", "MÉNIÈRE'S DISEASE", "MÉNIÈRE'S DISEASE=ménière's disease/condition"},
		{"unicode alias", "meniere's disease", "meniere's disease=ménière's disease/condition"},
		{"rune that grows when lowered", "see ȺLPHA SYNDROME notes", "ȺLPHA SYNDROME=ⱥlpha syndrome/condition"},
		{"rune that grows, glued", "xⱥlpha syndrome", ""},
		{"rune that grows, camel join", "xȺlphaSyndrome", "ȺlphaSyndrome=ⱥlpha syndrome/condition"},
		{"rune that grows, camel start", "the ȺlphaSyndrome page", "ȺlphaSyndrome=ⱥlpha syndrome/condition"},
		{"curly apostrophe", "Crohn’s disease flare", "Crohn’s disease=crohn's disease/condition"},
		{"no apostrophe", "crohns disease", "crohns disease=crohn's disease/condition"},
		{"slug apostrophe", "/conditions/crohn-s-disease", "crohn-s-disease=crohn's disease/condition"},
		{"slug apostrophe at end", "/conditions/crohn-s", ""},
		{"hyphen before a word starting with s", "crohn-sdisease", ""},
		{"slug split into words", "crohn s disease", "crohn s disease=crohn's disease/condition"},
		{"hyphenated digits", "type-2-diabetes", "type-2-diabetes=type 2 diabetes/condition"},
		{"alias roman", "Type II Diabetes", "Type II Diabetes=type 2 diabetes/condition"},
		{"synonym canonical", "had a heart attack", "heart attack=myocardial infarction/condition"},
		{"several", "zoloft and ambien, then therapy", "zoloft=sertraline/medication; ambien=zolpidem/medication; therapy=psychotherapy/procedure"},
		{"json text", `{"medication":"Truvada","page":"/psychiatrist"}`, "Truvada=emtricitabine/tenofovir disoproxil/medication; psychiatrist=psychiatry/specialty"},
		{"empty", "", ""},
		{"only separators", " -_+.%20 ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := m.Find(tt.in)
			if r := render(got); r != tt.want {
				t.Fatalf("Find(%q): got %q, want %q", tt.in, r, tt.want)
			}
			for _, g := range got {
				if g.Text != tt.in[g.Start:g.End] {
					t.Fatalf("Text %q != s[%d:%d] %q", g.Text, g.Start, g.End, tt.in[g.Start:g.End])
				}
			}
		})
	}
}

func TestFindAmbiguousFlag(t *testing.T) {
	m := testMatcher(t)
	got := m.Find("Buy Plan B One-Step now")
	if len(got) != 1 {
		t.Fatalf("matches: got %d (%s), want 1", len(got), render(got))
	}
	if !got[0].Term.Ambiguous || got[0].Text != "Plan B One-Step" {
		t.Fatalf("got %q ambiguous=%v, want %q ambiguous", got[0].Text, got[0].Term.Ambiguous, "Plan B One-Step")
	}
}

func TestLookupCode(t *testing.T) {
	m := testMatcher(t)
	tests := []struct{ code, want string }{
		{"F32.9", "major depressive disorder"},
		{"f329", "major depressive disorder"},
		{" F32.A ", "major depressive disorder"},
		{"I21.9", "myocardial infarction"},
		{"B20", "hiv"},
		{"F32", ""},
		{"F3.29", ""},
		{"sertraline", ""},
		{"", ""},
	}
	for _, tt := range tests {
		term, ok := m.LookupCode(tt.code)
		got := ""
		if ok {
			got = term.Canonical
		}
		if got != tt.want {
			t.Errorf("LookupCode(%q): got %q, want %q", tt.code, got, tt.want)
		}
	}
	// The preferred name answers, not the synonym listed first.
	if term, _ := m.LookupCode("I21.9"); term == nil || term.Term != "myocardial infarction" {
		t.Errorf("LookupCode(I21.9) term: got %v, want the preferred name", term)
	}
}

func TestFindCodes(t *testing.T) {
	m := testMatcher(t)
	tests := []struct{ in, want string }{
		{"dx=F32.9&v=1", "F32.9=major depressive disorder/condition"},
		{"codes: E11.9, I21.9", "E11.9=type 2 diabetes/condition; I21.9=myocardial infarction/condition"},
		{"icd=b20", "b20=hiv/condition"},
		{"version 2.F32.9", ""},
		{"F32.9.1", ""},
		{"XF32.9", ""},
		{"F32.91x", ""},
		{"Z99.9", ""},
	}
	for _, tt := range tests {
		if got := render(m.FindCodes(tt.in)); got != tt.want {
			t.Errorf("FindCodes(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAddTSVErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"columns", "# header\nsertraline\tmedication\tsertraline\n", "src.tsv:2: got 3 columns"},
		{"kind", "x\tpill\tx\tgeneral\tstandard\t\t\t\n", "src.tsv:1: unknown kind \"pill\""},
		{"category", "x\tmedication\tx\tsad\tstandard\t\t\t\n", "src.tsv:1: term \"x\": unknown category \"sad\""},
		{"sensitivity", "x\tmedication\tx\tgeneral\tvery\t\t\t\n", "src.tsv:1: term \"x\": unknown sensitivity \"very\""},
		{"flag", "x\tmedication\tx\tgeneral\tstandard\t\t\tweird\n", "src.tsv:1: unknown flag \"weird\""},
		{"no letters", "--\tmedication\tx\tgeneral\tstandard\t\t\t\n", "src.tsv:1: term \"--\" has no letters or digits"},
		{"empty term", "\tmedication\tx\tgeneral\tstandard\t\t\t\n", "src.tsv:1: empty term"},
		{"long line", strings.Repeat("a", maxLine+10) + "\n", "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New().AddTSV(strings.NewReader(tt.in), "src.tsv")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("AddTSV error: got %v, want containing %q", err, tt.want)
			}
		})
	}
}

func TestAddOverridesAndCounts(t *testing.T) {
	d := testDict(t)
	before := d.Len()
	counts := d.Counts()
	if got, want := counts[phiproxy.KindMedication], 5; got != want {
		t.Errorf("medications: got %d, want %d", got, want)
	}
	if got, want := counts[phiproxy.KindSpecialty], 1; got != want {
		t.Errorf("specialties: got %d, want %d", got, want)
	}
	// A later list overrides a term of the same kind and name.
	user := "ZOLOFT\tmedication\tsertraline\tgeneral\tstandard\t\t\t\n"
	if err := d.AddTSV(strings.NewReader(user), "user.tsv"); err != nil {
		t.Fatal(err)
	}
	if d.Len() != before {
		t.Fatalf("Len after override: got %d, want %d", d.Len(), before)
	}
	m, err := d.Build()
	if err != nil {
		t.Fatal(err)
	}
	got := m.Find("zoloft")
	if len(got) != 1 || got[0].Term.Category != "general" || got[0].Term.Source != "user.tsv" {
		t.Fatalf("override: got %+v, want category general from user.tsv", got)
	}
	// Defaults: canonical from the term, sensitivity from the category.
	if err := d.Add(Term{Term: "Lexapro", Kind: phiproxy.KindMedication, Category: "mental_health"}); err != nil {
		t.Fatal(err)
	}
	term, ok := d.lookup(phiproxy.KindMedication, "lexapro")
	if !ok || term.Canonical != "lexapro" || term.Sensitivity != SensitivityHigh {
		t.Fatalf("defaults: got %+v", term)
	}
	if err := d.Add(Term{Term: "x", Kind: phiproxy.KindEmail}); err == nil {
		t.Fatal("Add of an identifier kind: got nil error")
	}
}

func TestEmbeddedIsIndependent(t *testing.T) {
	a, err := Embedded()
	if err != nil {
		t.Fatalf("Embedded: %v", err)
	}
	n := a.Len()
	if err := a.Add(Term{Term: "phiproxytestonlyterm", Kind: phiproxy.KindCondition}); err != nil {
		t.Fatal(err)
	}
	b, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != n {
		t.Fatalf("second Embedded Len: got %d, want %d (copies must be independent)", b.Len(), n)
	}
	for _, term := range b.Terms() {
		if !strings.HasPrefix(term.Source, "embedded:") {
			t.Fatalf("embedded term %q source: got %q", term.Term, term.Source)
		}
	}
}

func TestCategoryForICD10(t *testing.T) {
	tests := []struct{ code, want string }{
		{"F32.9", "mental_health"},
		{"F11.20", "substance_use"},
		{"F64.0", "sexual_health"},
		{"N52.9", "sexual_health"},
		{"C50.911", "oncology"},
		{"D05.10", "oncology"},
		{"D12.6", "general"},
		{"O09.90", "reproductive"},
		{"O9A.119", "reproductive"},
		{"Z33.1", "reproductive"},
		{"B20", "hiv_sti"},
		{"A54.9", "hiv_sti"},
		{"R45.851", "mental_health"},
		{"R45.0", "general"},
		{"Q90.9", "genetic"},
		{"E84.0", "genetic"},
		{"I10", "general"},
	}
	for _, tt := range tests {
		if got := CategoryForICD10(tt.code); got != tt.want {
			t.Errorf("CategoryForICD10(%q): got %q, want %q", tt.code, got, tt.want)
		}
	}
}

// icdLine writes one line of a CMS order file.
func icdLine(order int, code string, billable bool, short, long string) string {
	flag := "0"
	if billable {
		flag = "1"
	}
	return fmt.Sprintf("%05d %-7s %s %-60s %s", order, code, flag, short, long)
}

func TestAddICD10Order(t *testing.T) {
	d := testDict(t)
	file := strings.Join([]string{
		icdLine(1, "F32", false, "Major depressive disorder, single episode", "Major depressive disorder, single episode"),
		icdLine(2, "F329", true, "Major depressive disorder, single episode, unspecified", "Major depressive disorder, single episode, unspecified"),
		icdLine(3, "F1120", true, "Opioid dependence, uncomplicated", "Opioid dependence, uncomplicated"),
		icdLine(4, "O0990", true, "Suprvsn of high risk preg, unsp, unsp trimester", "Supervision of high risk pregnancy, unspecified, unspecified trimester"),
		icdLine(5, "I10", true, "Essential (primary) hypertension", "Essential (primary) hypertension"),
	}, "\r\n") + "\r\n"
	if err := d.AddICD10Order(strings.NewReader(file)); err != nil {
		t.Fatalf("AddICD10Order: %v", err)
	}
	m, err := d.Build()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ code, canonical, category string }{
		{"F32.9", "major depressive disorder", "mental_health"}, // curated term kept
		{"F32", "major depressive disorder, single episode", "mental_health"},
		{"F11.20", "opioid dependence, uncomplicated", "substance_use"},
		{"O09.90", "supervision of high risk pregnancy, unspecified, unspecified trimester", "reproductive"},
		{"I10", "essential (primary) hypertension", "general"},
	}
	for _, tt := range tests {
		term, ok := m.LookupCode(tt.code)
		if !ok {
			t.Errorf("LookupCode(%q): not found", tt.code)
			continue
		}
		if term.Canonical != tt.canonical || term.Category != tt.category {
			t.Errorf("LookupCode(%q): got %q/%s, want %q/%s", tt.code, term.Canonical, term.Category, tt.canonical, tt.category)
		}
	}
	if got := render(m.Find("history of opioid dependence, uncomplicated.")); got != "opioid dependence, uncomplicated=opioid dependence, uncomplicated/condition" {
		t.Errorf("Find long description: got %q", got)
	}

	bad := []struct{ in, want string }{
		{"00001 F32     0 short\n", "icd10cm_order:1: line is"},
		{icdLine(1, "12345", true, "x", "y") + "\n", `"12345" is not an ICD-10-CM code`},
		{icdLine(1, "F32", true, "x", "y") + "\n" + strings.Replace(icdLine(2, "F329", true, "x", "y"), " 1 ", " 7 ", 1) + "\n", "icd10cm_order:2: header flag"},
	}
	for _, b := range bad {
		err := New().AddICD10Order(strings.NewReader(b.in))
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("AddICD10Order(%q): got %v, want error containing %q", b.in, err, b.want)
		}
	}
}

// rrfRow writes one RXNCONSO.RRF row with the columns that matter.
func rrfRow(cui, lat, sab, tty, str, suppress string) string {
	cols := make([]string, 18)
	cols[rrfCUI], cols[rrfLAT], cols[rrfSAB], cols[rrfTTY], cols[rrfSTR], cols[rrfSUPPRESS] = cui, lat, sab, tty, str, suppress
	cols[13] = cui
	return strings.Join(cols, "|") + "|"
}

func TestAddRxNormRRF(t *testing.T) {
	d := testDict(t)
	file := strings.Join([]string{
		rrfRow("36437", "ENG", "RXNORM", "IN", "sertraline", "N"),    // known: curated kept
		rrfRow("321988", "ENG", "RXNORM", "IN", "escitalopram", "N"), // new ingredient
		rrfRow("352741", "ENG", "RXNORM", "BN", "Lexapro", "N"),      // new brand
		rrfRow("999", "ENG", "RXNORM", "SCD", "escitalopram 10 MG Oral Tablet", "N"),
		rrfRow("998", "ENG", "MTHSPL", "IN", "splonlydrug", "N"),
		rrfRow("997", "ENG", "RXNORM", "IN", "obsoletedrug", "O"),
		rrfRow("996", "SPA", "RXNORM", "IN", "espanoldrug", "N"),
	}, "\n") + "\n"
	if err := d.AddRxNormRRF(strings.NewReader(file)); err != nil {
		t.Fatalf("AddRxNormRRF: %v", err)
	}
	m, err := d.Build()
	if err != nil {
		t.Fatal(err)
	}
	got := render(m.Find("sertraline escitalopram Lexapro splonlydrug obsoletedrug espanoldrug oral tablet"))
	want := "sertraline=sertraline/medication; escitalopram=escitalopram/medication; Lexapro=lexapro/medication"
	if got != want {
		t.Fatalf("Find after RxNorm: got %q, want %q", got, want)
	}
	sert, _ := d.lookup(phiproxy.KindMedication, "sertraline")
	if sert.Category != "mental_health" || sert.Source != "terms.tsv" {
		t.Errorf("curated sertraline replaced: got %+v", sert)
	}
	lex, _ := d.lookup(phiproxy.KindMedication, "lexapro")
	if lex.Source != "rxnorm" || len(lex.Codes) != 1 || lex.Codes[0] != "352741" {
		t.Errorf("Lexapro: got %+v, want source rxnorm, code 352741", lex)
	}
	err = New().AddRxNormRRF(strings.NewReader("1|ENG|x\n"))
	if err == nil || !strings.Contains(err.Error(), "RXNCONSO.RRF:1: got 3 columns") {
		t.Errorf("short row: got %v", err)
	}
}

func TestEmptyMatcher(t *testing.T) {
	m, err := New().Build()
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Find("zoloft"); got != nil {
		t.Fatalf("empty matcher Find: got %v, want nil", got)
	}
	var zero Matcher
	if got := zero.Find("zoloft"); got != nil {
		t.Fatalf("zero matcher Find: got %v, want nil", got)
	}
	if _, ok := zero.LookupCode("F32.9"); ok {
		t.Fatal("zero matcher LookupCode: got ok")
	}
}

// checkMatches asserts the invariants every Find result keeps.
func checkMatches(t *testing.T, s string, ms []Match) {
	t.Helper()
	last := 0
	for _, m := range ms {
		if m.Start < last || m.End <= m.Start || m.End > len(s) {
			t.Fatalf("Find(%q): bad span [%d,%d) after %d", s, m.Start, m.End, last)
		}
		if m.Text != s[m.Start:m.End] {
			t.Fatalf("Find(%q): Text %q != s[%d:%d]", s, m.Text, m.Start, m.End)
		}
		if m.Term == nil {
			t.Fatalf("Find(%q): nil Term", s)
		}
		if !spellsTerm(m.Text, m.Term) {
			t.Fatalf("Find(%q): %q at [%d,%d) does not spell %q or an alias", s, m.Text, m.Start, m.End, m.Term.Term)
		}
		last = m.End
	}
}

// spellsTerm reports whether text, folded with its spaces removed, is the
// term or one of its aliases (or a plural of one), folded the same way:
// the offsets of a match must cover exactly the term.
func spellsTerm(text string, t *Term) bool {
	compact := func(s string) string { return strings.ReplaceAll(normalizeKey(s), " ", "") }
	got := compact(text)
	for _, name := range append([]string{t.Term}, t.Aliases...) {
		k := compact(name)
		if got == k || got == k+"s" || got == k+"es" || strings.HasSuffix(k, "y") && got == k[:len(k)-1]+"ies" {
			return true
		}
	}
	return false
}

func FuzzFind(f *testing.F) {
	for _, s := range []string{"ȺLPHA SYNDROME", "aȺLPHAȺ syndrome", "Zoloft", "major-depressive-disorder", "DepressionTreatment", "MÉNIÈRE'S", "ambient", "HIVTest", "%2", "\xff\xfeZoloft", "İstanbul PrEP", "dx=F32.9.1"} {
		f.Add(s)
	}
	m := testMatcher(f)
	f.Fuzz(func(t *testing.T, s string) {
		checkMatches(t, s, m.Find(s))
		for _, c := range m.FindCodes(s) {
			if c.Text != s[c.Start:c.End] {
				t.Fatalf("FindCodes(%q): Text %q != s[%d:%d]", s, c.Text, c.Start, c.End)
			}
		}
	})
}

func FuzzAddTSV(f *testing.F) {
	f.Add("Zoloft\tmedication\tsertraline\tmental_health\thigh\t\t\t\n")
	f.Add("# c\nx\tcondition\t\tgeneral\t\ta|b\tF32.9\tambiguous\n")
	f.Add("\t\t\t\t\t\t\t\n")
	f.Fuzz(func(t *testing.T, in string) {
		d := New()
		_ = d.AddTSV(strings.NewReader(in), "fuzz")
		m, err := d.Build()
		if err != nil {
			t.Fatalf("Build after AddTSV: %v", err)
		}
		for _, term := range d.Terms() {
			checkMatches(t, term.Term, m.Find(term.Term))
		}
	})
}

func FuzzAddICD10Order(f *testing.F) {
	f.Add(icdLine(1, "F329", true, "Major depressive disorder", "Major depressive disorder, single episode, unspecified") + "\n")
	f.Add("00001 F32     0 x\n")
	f.Fuzz(func(t *testing.T, in string) {
		d := New()
		_ = d.AddICD10Order(strings.NewReader(in))
		if _, err := d.Build(); err != nil {
			t.Fatalf("Build: %v", err)
		}
	})
}

func FuzzAddRxNormRRF(f *testing.F) {
	f.Add(rrfRow("36437", "ENG", "RXNORM", "IN", "sertraline", "N") + "\n")
	f.Add("||||||||||||||||||\n")
	f.Fuzz(func(t *testing.T, in string) {
		d := New()
		_ = d.AddRxNormRRF(strings.NewReader(in))
		if _, err := d.Build(); err != nil {
			t.Fatalf("Build: %v", err)
		}
	})
}

// TestEmbeddedContent pins a few public facts the shipped lists must keep,
// with the full pipeline: embedded TSV → Build → Find / LookupCode.
func TestEmbeddedContent(t *testing.T) {
	d, err := Embedded()
	if err != nil {
		t.Fatalf("Embedded: %v", err)
	}
	counts := d.Counts()
	for _, k := range []phiproxy.Kind{phiproxy.KindMedication, phiproxy.KindCondition, phiproxy.KindProcedure, phiproxy.KindSpecialty, phiproxy.KindSymptom} {
		if counts[k] == 0 {
			t.Errorf("embedded %s terms: got 0", k)
		}
	}
	m, err := d.Build()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, canonical, category string }{
		{"I was prescribed Zoloft", "sertraline", "mental_health"},
		{"truvada-prep", "", "hiv_sti"},
		{"/conditions/major-depressive-disorder", "major depressive disorder", "mental_health"},
		{"BreastCancerScreening", "breast cancer", "oncology"},
		{"find a psychiatrist near you", "psychiatry", "mental_health"},
		{"/find-a-doctor/sports-medicine", "sports medicine", "general"},
		{"Colorectal Surgery | Find a Doctor", "colorectal surgery", "general"},
		{"Nuclear Medicine", "nuclear medicine", "general"},
		{"our urogynecologist", "urogynecology", "general"},
		{"Oral Surgery", "oral and maxillofacial surgery", "general"},
		{"schedule a prostate biopsy", "prostate biopsy", "oncology"},
		{"/find-a-doctor/critical-care-medicine", "critical care medicine", "general"},
		{"Vascular Medicine", "vascular medicine", "general"},
	}
	for _, tt := range tests {
		got := m.Find(tt.in)
		if len(got) == 0 {
			t.Errorf("Find(%q): no match", tt.in)
			continue
		}
		if tt.canonical != "" && got[0].Term.Canonical != tt.canonical || got[0].Term.Category != tt.category {
			t.Errorf("Find(%q): got %s/%s, want %s/%s", tt.in, got[0].Term.Canonical, got[0].Term.Category, tt.canonical, tt.category)
		}
	}
	if got := m.Find("ambient lighting for the living room"); len(got) != 0 {
		t.Errorf("ordinary text: got %s, want none", render(got))
	}
	if term, ok := m.LookupCode("F32.9"); !ok || term.Category != "mental_health" {
		t.Errorf("LookupCode(F32.9): got %v, %v; want a mental_health condition", term, ok)
	}
	if plan := m.Find("Plan B"); len(plan) != 1 || !plan[0].Term.Ambiguous {
		t.Errorf("Plan B: got %s, want one ambiguous match", render(plan))
	}
}

// TestConcurrentFind shares one Matcher between goroutines (run with -race).
func TestConcurrentFind(t *testing.T) {
	m := testMatcher(t)
	done := make(chan string, 4)
	for g := 0; g < 4; g++ {
		go func() {
			var got string
			for i := 0; i < 200; i++ {
				got = render(m.Find("DepressionTreatment with Zoloft and ȺLPHA SYNDROME"))
			}
			done <- got
		}()
	}
	want := "DepressionTreatment=depression treatment/procedure; Zoloft=sertraline/medication; ȺLPHA SYNDROME=ⱥlpha syndrome/condition"
	for g := 0; g < 4; g++ {
		if got := <-done; got != want {
			t.Fatalf("concurrent Find: got %q, want %q", got, want)
		}
	}
}

// TestHostileInputGivesWellFormedMatches feeds Find inputs built to make
// it branch: every letter a camel join, huge words, separators only, a term
// repeated, invalid UTF-8. Its matches must stay well-formed. It does not
// check that Find's work is linear: the matcher exposes no count of its
// steps, and its pooled buffers make allocation growth vary from run to
// run. BenchmarkFind measures its speed on ordinary text.
func TestHostileInputGivesWellFormedMatches(t *testing.T) {
	m := testMatcher(t)
	for _, in := range []string{
		strings.Repeat("aB", 1<<18),
		strings.Repeat("major", 1<<17),
		strings.Repeat("%20", 1<<17),
		strings.Repeat("Zoloft ", 1<<15),
		strings.Repeat("\xff", 1<<18),
	} {
		checkMatches(t, in, m.Find(in))
	}
}
