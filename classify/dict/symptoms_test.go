package dict

import (
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/benchcpu"
)

// TestSymptomList checks the shipped symptom list: its size, its
// categories, and that no phrase is also a term of another kind (a
// condition such as "chest pain" stays a condition).
func TestSymptomList(t *testing.T) {
	d, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	perCategory := map[string]int{}
	names := map[string]phiproxy.Kind{}
	for _, term := range d.Terms() {
		if term.Kind != phiproxy.KindSymptom {
			names[normalizeKey(term.Term)] = term.Kind
			for _, a := range term.Aliases {
				names[normalizeKey(a)] = term.Kind
			}
		}
	}
	total := 0
	for _, term := range d.Terms() {
		if term.Kind != phiproxy.KindSymptom {
			continue
		}
		total++
		perCategory[term.Category]++
		if term.Source != "embedded:symptoms.tsv" {
			t.Errorf("symptom %q from %s, want embedded:symptoms.tsv", term.Term, term.Source)
		}
		// A plural on either side would let one steal the other's match
		// ("hot flash" + s against the condition "hot flashes").
		key := normalizeKey(term.Term)
		for _, form := range []string{key, key + "s", key + "es", strings.TrimSuffix(key, "s"), strings.TrimSuffix(key, "es")} {
			if k, ok := names[form]; ok {
				t.Errorf("symptom %q is also a %s as %q", term.Term, k, form)
				break
			}
		}
	}
	if total < 600 {
		t.Errorf("symptoms: got %d, want at least 600", total)
	}
	for _, c := range []string{"mental_health", "substance_use", "reproductive", "hiv_sti", "oncology", "genetic", "general"} {
		if perCategory[c] == 0 {
			t.Errorf("no symptom in category %s", c)
		}
	}
	head, err := fs.ReadFile(data, "data/symptoms.tsv")
	if err != nil {
		t.Fatal(err)
	}
	for _, source := range []string{"MedlinePlus", "ICD-10-CM", "PHQ-9", "GAD-7"} {
		if !strings.Contains(string(head[:min(len(head), 2000)]), source) {
			t.Errorf("symptoms.tsv source note does not name %s", source)
		}
	}
}

func TestSymptomVariants(t *testing.T) {
	tests := []struct {
		key  string
		want []string
		not  []string
	}{
		{"cant sleep", []string{"cannot sleep", "can not sleep", "unable to sleep", "couldnt sleep", "could not sleep"}, nil},
		{"feeling hopeless", []string{"feel hopeless", "felt hopeless", "feels hopeless", "feeling so hopeless", "felt really hopeless", "feel a bit hopeless"}, nil},
		{"trouble sleeping", []string{"difficulty sleeping", "problems sleeping"}, []string{"trouble sleep", "trouble slept"}},
		{"dont want to live", []string{"do not want to live"}, nil},
		{"feeling like im going crazy", []string{"feeling like i am going crazy", "felt like im going crazy"}, nil},
		{"hopelessness", nil, []string{"hopelessness"}},
		{"swollen joints", []string{"joints are swollen", "joints have been swollen", "joints feel swollen"}, []string{"joints were swollen", "joints keep swollen"}},
		{"swollen feet", []string{"feet are swelling", "feet are swelling up"}, nil},
		{"blurry vision", []string{"vision is blurry", "vision has been blurry"}, []string{"vision was blurry"}},
		{"bleeding gums", []string{"gums bleed", "gums bled", "gums are bleeding"}, nil},
		{"hair falling out", []string{"hair is falling out", "hair keeps falling out"}, nil},
		{"trouble sleeping", nil, []string{"trouble is sleeping"}},
		{"vaginal bleeding", nil, []string{"vaginal is bleeding", "bleeding is vaginal"}},
		{"feeling dizzy", []string{"get dizzy", "gets dizzy", "got dizzy"}, nil},
		{"feeling like a failure", nil, []string{"get like a failure"}},
		{"wetting the bed", []string{"wet the bed", "wets the bed"}, nil},
		{"pain when urinating", []string{"pain when i urinate", "pain when i pee", "pain when peeing"}, nil},
		{"cant stop worrying", []string{"not being able to stop worrying", "not able to stop worrying"}, nil},
	}
	for _, tt := range tests {
		got := symptomVariants(tt.key)
		for _, w := range tt.want {
			if !slices.Contains(got, w) {
				t.Errorf("symptomVariants(%q) lacks %q: %q", tt.key, w, got)
			}
		}
		for _, n := range tt.not {
			if slices.Contains(got, n) {
				t.Errorf("symptomVariants(%q) has %q", tt.key, n)
			}
		}
		if slices.Contains(got, tt.key) {
			t.Errorf("symptomVariants(%q) repeats the key", tt.key)
		}
	}
	many := strings.Repeat("cant dont ", 20) + "sleep"
	if n := len(symptomVariants(many)); n > maxVariants {
		t.Errorf("variants of a key full of contractions: %d, want at most %d", n, maxVariants)
	}
}

func TestFindSymptoms(t *testing.T) {
	m := embeddedMatcher(t)
	tests := []struct{ in, want, text string }{
		{"I have been feeling hopeless lately", "feeling hopeless", "feeling hopeless"},
		{"I've been feeling so hopeless", "feeling hopeless", "feeling so hopeless"},
		{"I can't sleep", "can't sleep", "can't sleep"},
		{"I cannot sleep", "can't sleep", "cannot sleep"},
		{"I CAN’T SLEEP", "can't sleep", "CAN’T SLEEP"},
		{"having trouble-sleeping", "trouble sleeping", "trouble-sleeping"},
		{"symptoms=TroubleSleeping", "trouble sleeping", "TroubleSleeping"},
		{"blood in my stool", "blood in my stool", "blood in my stool"},
		{"I keep seeing things that aren't there", "seeing things that aren't there", "seeing things that aren't there"},
		{"Little interest or pleasure in doing things", "little interest or pleasure in doing things", "Little interest or pleasure in doing things"},
		{"Feeling nervous, anxious, or on edge", "feeling nervous anxious or on edge", "Feeling nervous, anxious, or on edge"},
		{"I felt so dizzy", "feeling dizzy", "felt so dizzy"},
		{"My feet have been swollen all week", "swollen feet", "feet have been swollen"},
		{"her gums are bleeding again", "bleeding gums", "gums are bleeding"},
		{"He gets dizzy on the stairs", "feeling dizzy", "gets dizzy"},
		{"my son still wets the bed", "wetting the bed", "wets the bed"},
		{"it stings when I pee", "", ""},
		{"pain when I pee", "pain when urinating", "pain when I pee"},
		{"my thoughts are racing at night", "racing thoughts", "thoughts are racing"},
		{"I saw flashing lights", "seeing flashing lights", "saw flashing lights"},
	}
	for _, tt := range tests {
		var found *Match
		for _, mt := range m.Find(tt.in) {
			if mt.Term.Kind == phiproxy.KindSymptom {
				found = &mt
				break
			}
		}
		if tt.want == "" {
			if found != nil {
				t.Errorf("Find(%q): got symptom %q, want none", tt.in, found.Term.Canonical)
			}
			continue
		}
		if found == nil {
			t.Errorf("Find(%q): no symptom; got %s", tt.in, render(m.Find(tt.in)))
			continue
		}
		if found.Term.Canonical != tt.want || found.Text != tt.text {
			t.Errorf("Find(%q): got %q as %q, want %q as %q", tt.in, found.Text, found.Term.Canonical, tt.text, tt.want)
		}
	}
	// An ambiguous symptom is flagged so the caller asks for context.
	if got := m.Find("the pain"); len(got) != 1 || !got[0].Term.Ambiguous || got[0].Term.Kind != phiproxy.KindSymptom {
		t.Errorf("pain: got %s, want one ambiguous symptom", render(got))
	}
	// A told story is not a complaint: the past tense is not turned round.
	for _, in := range []string{"his heart was racing", "the ankles were swollen"} {
		for _, mt := range m.Find(in) {
			if mt.Term.Kind == phiproxy.KindSymptom && !mt.Term.Ambiguous {
				t.Errorf("Find(%q): got symptom %q", in, mt.Term.Canonical)
			}
		}
	}
	// Word boundaries hold for generated spellings too.
	if got := m.Find("feelhopelessness unablesleep"); len(got) != 0 {
		t.Errorf("run-on words: got %s, want none", render(got))
	}
	// A symptom's ICD-10-CM code answers only where no condition has it.
	if term, ok := m.LookupCode("R45.2"); !ok || term.Kind != phiproxy.KindSymptom {
		t.Errorf("LookupCode(R45.2): got %v, %v; want the symptom", term, ok)
	}
	if term, ok := m.LookupCode("R07.9"); !ok || term.Kind != phiproxy.KindCondition {
		t.Errorf("LookupCode(R07.9): got %v, %v; want the condition chest pain", term, ok)
	}
}

// BenchmarkFindChat measures matching over chat-like text full of symptom
// phrasing, where the generated spellings are walked most.
func BenchmarkFindChat(b *testing.B) {
	m, err := benchDictionary(b).Build()
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("Hi, I have been feeling really tired and I can't sleep; also my order 1234 never shipped, can you check the delivery? ", 256)
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	start := benchcpu.Now()
	for b.Loop() {
		m.Find(text)
	}
	benchcpu.Report(b, start, int64(len(text)))
}
