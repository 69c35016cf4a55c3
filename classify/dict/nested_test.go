package dict

import (
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
)

// overlapList holds terms of different kinds that enclose each other.
const overlapList = "Suboxone\tmedication\tbuprenorphine-naloxone\tsubstance_use\thigh\t\t\t\n" +
	"Suboxone treatment\tprocedure\tsuboxone treatment\tsubstance_use\thigh\t\t\t\n" +
	"HIV\tcondition\thiv\thiv_sti\thigh\t\tB20\t\n" +
	"HIV test\tprocedure\thiv test\thiv_sti\thigh\tHIV testing\t\t\n" +
	"chlamydia\tcondition\tchlamydia\thiv_sti\thigh\t\t\t\n" +
	"chlamydia screening kit\tmedication\tchlamydia test kit\thiv_sti\thigh\t\t\t\n" +
	"screening\tprocedure\tscreening\tgeneral\tstandard\t\t\tambiguous\n" +
	"cancer\tcondition\tcancer\toncology\thigh\t\t\tambiguous\n" +
	"breast cancer\tcondition\tbreast cancer\toncology\thigh\t\t\t\n" +
	"breast cancer screening\tprocedure\tbreast cancer screening\toncology\thigh\t\t\t\n" +
	"therapy\tprocedure\tpsychotherapy\tmental_health\thigh\t\t\tambiguous\n" +
	"hormone therapy\tprocedure\thormone therapy\tsexual_health\thigh\t\t\t\n" +
	"gender-affirming hormone therapy\tmedication\tgender-affirming hormone therapy\tsexual_health\thigh\t\t\t\n" +
	"depression\tcondition\tdepression\tmental_health\thigh\t\t\t\n" +
	"stroke\tcondition\tcerebral infarction\tgeneral\tstandard\t\t\tambiguous\n" +
	"cold\tcondition\tcommon cold\tgeneral\tstandard\t\t\tambiguous\n"

// notHealthList is a small list of not-health phrases for the tests.
const notHealthList = "# idioms\nGreat Depression\ndepression glass\nstroke of genius\n\ncold brew\n"

func overlapMatcher(t testing.TB) *Matcher {
	t.Helper()
	d := New()
	if err := d.AddTSV(strings.NewReader(overlapList), "overlap.tsv"); err != nil {
		t.Fatal(err)
	}
	if err := d.AddNotHealthList(strings.NewReader(notHealthList), "not_health.txt"); err != nil {
		t.Fatal(err)
	}
	m, err := d.Build()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// renderNested is render with enclosed matches marked "+".
func renderNested(ms []Match) string {
	var parts []string
	for _, m := range ms {
		p := render([]Match{m})
		if m.Enclosed {
			p = "+" + p
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

func TestFindNested(t *testing.T) {
	m := overlapMatcher(t)
	tests := []struct{ name, in, want string }{
		{"medication inside procedure", "Start Suboxone treatment today",
			"Suboxone treatment=suboxone treatment/procedure; +Suboxone=buprenorphine-naloxone/medication"},
		{"condition inside procedure", "book an HIV test",
			"HIV test=hiv test/procedure; +HIV=hiv/condition"},
		{"alias encloses too", "free HIV-testing near you",
			"HIV-testing=hiv test/procedure; +HIV=hiv/condition"},
		{"camel join", "HIVTestBooked",
			"HIVTest=hiv test/procedure; +HIV=hiv/condition"},
		{"longest enclosed, not its own inner terms", "breast cancer screening",
			"breast cancer screening=breast cancer screening/procedure; +breast cancer=breast cancer/condition"},
		{"same kind only: longest wins", "breast cancer", "breast cancer=breast cancer/condition"},
		{"head word names the phrase", "hormone therapy for menopause", "hormone therapy=hormone therapy/procedure"},
		{"head word of another kind", "gender-affirming hormone therapy",
			"gender-affirming hormone therapy=gender-affirming hormone therapy/medication"},
		{"enclosed in the middle", "chlamydia screening kit ordered",
			"chlamydia screening kit=chlamydia test kit/medication; +chlamydia=chlamydia/condition; +screening=screening/procedure"},
		{"not-health phrase encloses nothing", "The Great Depression era", ""},
		{"plain word", "depression", "depression=depression/condition"},
	}
	for _, tt := range tests {
		if got := renderNested(m.FindNested(tt.in)); got != tt.want {
			t.Errorf("%s: FindNested(%q):\n got  %s\n want %s", tt.name, tt.in, got, tt.want)
		}
	}
	// Find keeps its contract: no enclosed matches.
	if got, want := render(m.Find("book an HIV test")), "HIV test=hiv test/procedure"; got != want {
		t.Errorf("Find: got %s, want %s", got, want)
	}
}

func TestNotHealthPhrases(t *testing.T) {
	m := overlapMatcher(t)
	tests := []struct{ name, in, want string }{
		{"idiom", "a stroke of genius", ""},
		{"title case, in a sentence", "Books about The Great Depression", ""},
		{"slug", "/shop/depression-glass-bowls", ""},
		{"plural", "Depression Glasses for sale", ""},
		{"product", "ColdBrew concentrate", ""},
		{"phrase elsewhere does not hide a real term", "cold brew, then my depression got worse",
			"depression=depression/condition"},
		{"partial phrase is no phrase", "great stroke risk", "stroke=cerebral infarction/condition"},
		{"term before the phrase", "depression and depression glass", "depression=depression/condition"},
	}
	for _, tt := range tests {
		if got := render(m.Find(tt.in)); got != tt.want {
			t.Errorf("%s: Find(%q): got %q, want %q", tt.name, tt.in, got, tt.want)
		}
		if got := renderNested(m.FindNested(tt.in)); got != tt.want {
			t.Errorf("%s: FindNested(%q): got %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestNotHealthLoading(t *testing.T) {
	d := New()
	if err := d.AddNotHealthList(strings.NewReader("cold brew\nCold-Brew\n# c\n\nstroke of luck\n"), "list"); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(d.NotHealth(), "|"), "cold brew|stroke of luck"; got != want {
		t.Errorf("NotHealth: got %q, want %q", got, want)
	}
	err := d.AddNotHealthList(strings.NewReader("ok phrase\n--\n"), "bad.txt")
	if err == nil || !strings.Contains(err.Error(), "bad.txt:2") {
		t.Errorf("bad line: got %v, want an error naming bad.txt:2", err)
	}
	// A term of exactly the phrase's name wins over the phrase.
	if err := d.AddTSV(strings.NewReader("cold brew\tcondition\tcold brew\tgeneral\tstandard\t\t\t\n"), "user.tsv"); err != nil {
		t.Fatal(err)
	}
	m, err := d.Build()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := render(m.Find("cold brew")), "cold brew=cold brew/condition"; got != want {
		t.Errorf("term over phrase: got %q, want %q", got, want)
	}
	// Copies from Embedded do not share phrases.
	e1, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	n := len(e1.NotHealth())
	if n == 0 {
		t.Fatal("embedded not-health phrases: got none")
	}
	if err := e1.AddNotHealth("only in this copy"); err != nil {
		t.Fatal(err)
	}
	e2, _ := Embedded()
	if got := len(e2.NotHealth()); got != n {
		t.Errorf("second Embedded copy has %d phrases, want %d", got, n)
	}
}

// TestEmbeddedOverlapsAndIdioms pins the shipped lists' handling of
// overlapping terms, idioms and contraception.
func TestEmbeddedOverlapsAndIdioms(t *testing.T) {
	m := embeddedMatcher(t)
	type found struct {
		canonical string
		kind      phiproxy.Kind
	}
	tests := []struct {
		in   string
		want []found // as FindNested reports them, in order
	}{
		{"Suboxone treatment near me", []found{{"suboxone treatment", phiproxy.KindProcedure}, {"buprenorphine-naloxone", phiproxy.KindMedication}}},
		{"hormone therapy", []found{{"hormone therapy", phiproxy.KindProcedure}}},
		{"breast cancer", []found{{"breast cancer", phiproxy.KindCondition}}},
		{"birth control", []found{{"contraception", phiproxy.KindMedication}}},
		{"Contraception options", []found{{"contraception", phiproxy.KindMedication}}},
		{"depression glass", nil},
		{"the Great Depression", nil},
		{"Cancer horoscope, weekly", nil},
		{"a stroke of genius", nil},
		{"cold brew", nil},
		{"lithium-ion battery", nil},
		{"depression screening", []found{{"depression screening", phiproxy.KindProcedure}, {"depression", phiproxy.KindCondition}}},
	}
	for _, tt := range tests {
		got := m.FindNested(tt.in)
		var gotF []found
		for _, g := range got {
			gotF = append(gotF, found{g.Term.Canonical, g.Term.Kind})
		}
		if len(gotF) != len(tt.want) {
			t.Errorf("FindNested(%q): got %v, want %v", tt.in, gotF, tt.want)
			continue
		}
		for i := range gotF {
			if gotF[i] != tt.want[i] {
				t.Errorf("FindNested(%q)[%d]: got %v, want %v", tt.in, i, gotF[i], tt.want[i])
			}
		}
		for _, g := range got {
			if g.Term.Canonical == "contraception" && g.Term.Category != "reproductive" {
				t.Errorf("contraception category: got %q, want reproductive", g.Term.Category)
			}
		}
	}
}

func FuzzFindNested(f *testing.F) {
	for _, s := range []string{"Suboxone treatment", "HIVTestBooked", "breast cancer screening", "The Great Depression", "chlamydia screening kit", "\xffHIV  test", "cold brewing cold"} {
		f.Add(s)
	}
	m := overlapMatcher(f)
	f.Fuzz(func(t *testing.T, s string) {
		ms := m.FindNested(s)
		outerEnd := -1
		for i, x := range ms {
			if x.Start < 0 || x.End > len(s) || x.Start >= x.End || x.Text != s[x.Start:x.End] {
				t.Fatalf("FindNested(%q)[%d]: bad offsets %d..%d text %q", s, i, x.Start, x.End, x.Text)
			}
			if !x.Enclosed {
				outerEnd = x.End
				continue
			}
			if i == 0 || x.End > outerEnd {
				t.Fatalf("FindNested(%q)[%d]: enclosed match %q not inside the previous match", s, i, x.Text)
			}
		}
	})
}
