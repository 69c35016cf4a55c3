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
	{"cant", "cannot", "can not", "couldnt", "could not", "unable to"},
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
	return out
}
