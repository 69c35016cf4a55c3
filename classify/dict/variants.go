package dict

import "strings"

// Symptoms are written the way people talk, so one listed phrase stands for
// many spellings: "can't sleep", "cannot sleep", "unable to sleep"; "feeling
// hopeless", "I feel hopeless", "felt so hopeless". Listing each by hand
// would bloat the lists and still miss some, so Build generates the
// spellings of every symptom key from the tables below. They work on
// normalised keys (lower case, apostrophes dropped, one space between
// words), so "can't" is "cant" here.

// wordGroups are interchangeable spellings anywhere in a phrase:
// contractions and their long forms.
var wordGroups = [][]string{
	{"cant", "cannot", "can not", "couldnt", "could not", "unable to", "not able to", "not being able to"},
	// Intake forms say "when urinating", people "when I pee".
	{"when urinating", "when i urinate", "when i pee", "when peeing"},
	{"dont", "do not"},
	{"doesnt", "does not"},
	{"didnt", "did not"},
	{"wont", "will not"},
	{"isnt", "is not"},
	{"arent", "are not"},
	{"wasnt", "was not"},
	{"havent", "have not"},
	{"hasnt", "has not"},
	{"im", "i am"},
	{"ive", "i have"},
}

// leadForms are the inflections of a phrase's first word: "feeling
// hopeless" is also "feel", "feels" and "felt hopeless". Only the first
// word changes: "trouble sleeping" must not become "trouble slept".
var leadForms = [][]string{
	{"feeling", "feel", "feels", "felt"},
	{"having", "have", "has", "had"},
	{"hearing", "hear", "hears", "heard"},
	{"seeing", "see", "sees", "saw"},
	{"losing", "lose", "loses", "lost"},
	{"gaining", "gain", "gains", "gained"},
	{"coughing", "cough", "coughs", "coughed"},
	{"throwing", "throw", "throws", "threw"},
	{"waking", "wake", "wakes", "woke"},
	{"thinking", "think", "thinks", "thought"},
	{"getting", "get", "gets", "got"},
	{"bleeding", "bleed", "bleeds", "bled"},
	{"sleeping", "sleep", "sleeps", "slept"},
	{"crying", "cry", "cries", "cried"},
	{"wetting", "wet", "wets"},
	{"worrying", "worry", "worries", "worried"},
	{"shaking", "shake", "shakes", "shook"},
	{"passing", "pass", "passes", "passed"},
	{"hurting", "hurt", "hurts"},
	{"wanting", "want", "wants", "wanted"},
	{"making", "make", "makes", "made"},
	{"drinking", "drink", "drinks", "drank"},
	{"craving", "crave", "craves", "craved"},
	{"starving", "starve", "starves", "starved"},
	{"skipping", "skip", "skips", "skipped"},
	{"isolating", "isolate", "isolates", "isolated"},
	{"withdrawing", "withdraw", "withdraws", "withdrew"},
	{"picking", "pick", "picks", "picked"},
	{"pulling", "pull", "pulls", "pulled"},
	{"cutting", "cut", "cuts"},
	{"burning", "burn", "burns", "burned", "burnt"},
	{"reliving", "relive", "relives", "relived"},
	{"ending", "end", "ends", "ended"},
	{"taking", "take", "takes", "took"},
	{"using", "use", "uses", "used"},
	{"smoking", "smoke", "smokes", "smoked"},
	{"vaping", "vape", "vapes", "vaped"},
	{"struggling", "struggle", "struggles", "struggled"},
	{"becoming", "become", "becomes", "became"},
	{"trouble", "difficulty", "problems"},
}

// degreeWords may stand between a form of "feel" and the rest: "feeling
// so hopeless", "I feel really worthless".
// Every word here multiplies the phrases that start with "feel", so the
// list keeps to the common ones.
var degreeWords = []string{"very", "so", "really", "extremely", "a bit", "a little", "kind of", "always"}

// getForms stand for "feeling" before a single word: "I get dizzy", "he
// gets irritable" say what "feeling dizzy" and "feeling irritable" say.
var getForms = []string{"get", "gets", "getting", "got"}

// linkVerbs join a subject to what is said of it: "swollen joints" is
// also "joints are swollen", "blurry vision" "vision has been blurry",
// "yellow eyes" "eyes look yellow". The past tense is left out: "his
// heart was racing" tells a story far more often than a complaint. The
// possessive before the subject
// ("my joints") needs no spelling of its own: the inner phrase matches.
var linkVerbs = []string{"is", "are", "has been", "have been", "look", "looks", "feel", "feels"}

// predicateForms are further ways to say an adjective after a link verb:
// swollen ankles are also "swelling".
var predicateForms = map[string][]string{
	"swollen":  {"swelling", "swelling up"},
	"swelling": {"swollen"},
}

// adjectiveWords are common symptom adjectives that the suffix test of
// isAdjective does not catch.
var adjectiveWords = map[string]bool{
	"stiff": true, "sore": true, "swollen": true, "yellow": true, "red": true,
	"numb": true, "weak": true, "pale": true, "cold": true, "hot": true,
	"tender": true, "dry": true, "sensitive": true, "painful": true, "bloodshot": true,
}

// isAdjective guesses whether the first word of a two-word symptom
// describes the second: "swollen", "blurry", "racing", "yellowish",
// "cracked". A wrong guess only adds a spelling nobody writes.
func isAdjective(w string) bool {
	if adjectiveWords[w] {
		return true
	}
	if len(w) < 4 || leadFormOf[w] != nil && !strings.HasSuffix(w, "ing") {
		return false
	}
	for _, suf := range []string{"y", "en", "ing", "ed", "ish", "ful"} {
		if strings.HasSuffix(w, suf) {
			return true
		}
	}
	return false
}

// isNoun guesses whether w can be the subject of "w is ...ing": "hair
// falling out", "heart racing", not "vaginal bleeding" or "trouble
// sleeping".
func isNoun(w string) bool {
	if len(w) < 3 || leadFormOf[w] != nil || wordGroupOf[w] != nil {
		return false
	}
	for _, suf := range []string{"al", "ic", "ing", "ed", "y", "ous", "ive", "ar", "ful", "ish", "en"} {
		if strings.HasSuffix(w, suf) {
			return false
		}
	}
	return !adjectiveWords[w]
}

// clauseVariants returns the sentence spellings of a phrase that names a
// thing by what is wrong with it: "swollen joints" → "joints are swollen",
// "bleeding gums" → "gums bleed", "hair falling out" → "hair is falling
// out". Only two-word "ADJ NOUN" phrases and "NOUN VERB-ing ..." phrases
// are turned round; anything longer says too much to reorder safely.
func clauseVariants(words []string) []string {
	var out []string
	switch {
	case len(words) == 2 && isAdjective(words[0]):
		adj, noun := words[0], words[1]
		preds := append([]string{adj}, predicateForms[adj]...)
		for _, v := range linkVerbs {
			for _, p := range preds {
				out = append(out, noun+" "+v+" "+p)
			}
		}
		// "bleeding gums": the gums bleed, bleed, bled.
		if g := leadFormOf[adj]; g != nil && strings.HasSuffix(adj, "ing") {
			for _, f := range g[1:] {
				out = append(out, noun+" "+f)
			}
		}
	case len(words) >= 2 && strings.HasSuffix(words[1], "ing") && isNoun(words[0]):
		rest := strings.Join(words[1:], " ")
		for _, v := range []string{"is", "are", "keeps", "keep", "has been", "have been"} {
			out = append(out, words[0]+" "+v+" "+rest)
		}
	}
	return out
}

// maxVariants bounds the spellings of one key, so that a user's phrase
// full of contractions cannot blow the automaton up.
const maxVariants = 128

var (
	wordGroupOf = groupIndex(wordGroups)
	leadFormOf  = groupIndex(leadForms)
	feelForms   = map[string]bool{"feeling": true, "feel": true, "feels": true, "felt": true}
)

// groupIndex maps each spelling to its group.
func groupIndex(groups [][]string) map[string][]string {
	m := make(map[string][]string)
	for _, g := range groups {
		for _, w := range g {
			m[w] = g
		}
	}
	return m
}

// symptomVariants returns the other spellings of a normalised symptom key
// (not key itself): every combination of the word groups' spellings, each
// with every form of its first word, and, after a form of "feel", each
// degree word. At most maxVariants are returned.
func symptomVariants(key string) []string {
	words := strings.Fields(key)
	if len(words) == 0 {
		return nil
	}
	// Read multi-word spellings ("can not", "i am") as one slot.
	var slots [][]string
	for i := 0; i < len(words); {
		if i+1 < len(words) {
			if g, ok := wordGroupOf[words[i]+" "+words[i+1]]; ok {
				slots = append(slots, g)
				i += 2
				continue
			}
		}
		if g, ok := wordGroupOf[words[i]]; ok {
			slots = append(slots, g)
		} else {
			slots = append(slots, []string{words[i]})
		}
		i++
	}
	if len(words) > 1 {
		if g, ok := leadFormOf[words[0]]; ok && len(slots[0]) == 1 {
			slots[0] = g
		}
	}
	seen := map[string]bool{key: true}
	var out []string
	emit := func(v string) bool {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
		return len(out) < maxVariants
	}
	var walk func(i int, prefix string) bool
	walk = func(i int, prefix string) bool {
		if i == len(slots) {
			return emit(prefix)
		}
		for _, w := range slots[i] {
			p := w
			if i > 0 {
				p = prefix + " " + w
			}
			if !walk(i+1, p) {
				return false
			}
			if i == 0 && feelForms[w] && len(slots) > 1 {
				for _, d := range degreeWords {
					if !walk(i+1, w+" "+d) {
						return false
					}
				}
			}
		}
		return true
	}
	walk(0, "")
	if len(words) == 2 && feelForms[words[0]] {
		for _, g := range getForms {
			if !emit(g + " " + words[1]) {
				return out
			}
		}
	}
	for _, c := range clauseVariants(words) {
		if !emit(c) {
			return out
		}
	}
	return out
}
