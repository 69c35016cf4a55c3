package classify

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// healthKeyWords are key words that announce health content: an ambiguous
// term ("Plan B", "cold") or an ICD-10 code counts under such a key.
var healthKeyWords = wordSet(
	"medication", "medications", "med", "meds", "medicine", "rx", "drug", "drugs",
	"prescription", "prescriptions", "pharmacy", "refill", "dosage", "dose",
	"diagnosis", "diagnoses", "dx", "icd", "icd10", "icd10cm",
	"condition", "conditions", "symptom", "symptoms", "complaint",
	"treatment", "treatments", "therapy", "procedure", "procedures",
	"allergy", "allergies", "health", "medical", "clinical", "specialty",
	"patient", "visit", "reason", "problem", "problems", "disease", "illness",
)

// healthPathWords in a page or request URL path mark a health page
// (condition pages, booking, pharmacy), which gives ambiguous terms and
// codes elsewhere in the flow their health meaning.
var healthPathWords = wordSet(
	"condition", "conditions", "treatment", "treatments", "pharmacy", "patient",
	"patients", "appointment", "appointments", "therapy", "therapies",
	"diagnosis", "symptom", "symptoms", "medication", "medications",
	"prescription", "prescriptions", "refill", "telehealth", "clinic",
	"clinics", "doctor", "doctors", "diseases", "intake", "mychart",
)

// nonHealthKeyWords veto codes and ambiguous terms whatever the context:
// "F32.9" as a version or "Focus" as a SKU is not health information.
var nonHealthKeyWords = wordSet(
	"version", "ver", "v", "build", "release", "rev", "revision", "sku",
	"sdk", "lib", "model", "firmware", "os", "browser", "uuid", "guid",
	"order", "invoice", "sid", "cid", "tid", "session", "ts", "timestamp",
	"color", "colour", "size", "brand", "product", "item", "category",
)

func wordSet(list ...string) *words {
	ws := &words{set: make(map[string]bool, len(list))}
	for _, w := range list {
		ws.set[w] = true
		ws.sig[wordSig(w)/64] |= 1 << (wordSig(w) % 64)
	}
	return ws
}

// words is a set of lower-case ASCII words. Beside the set, sig has a bit
// for each word's length and first and last letters, so that most words
// of a key or path (IDs, slugs, numbers) are ruled out before they are
// lower-cased and hashed.
type words struct {
	set map[string]bool
	sig [16]uint64
}

// has reports whether the lower-case word w is in ws.
func (ws *words) has(w string) bool { return ws.set[w] }

// mayHold reports whether the ASCII word w, in any case, may be in ws.
func (ws *words) mayHold(w string) bool {
	h := wordSig(w)
	return ws.sig[h/64]&(1<<(h%64)) != 0
}

// wordSig is w's bit in words.sig: its length and its first and last
// bytes, ASCII letters folded to lower case.
func wordSig(w string) uint {
	if w == "" {
		return 0
	}
	return (uint(len(w))*37 + uint(asciiLower(w[0]))*11 + uint(asciiLower(w[len(w)-1]))) % 1024
}

func asciiLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// eachWord calls yield with each lower-case word of a key or path, split
// on any non letter-digit rune and on camelCase boundaries
// ("cd[buttonText]" → cd, button, text; "ep.condition_name" → ep,
// condition, name), stopping after max words or when yield returns false.
// Lower-casing allocates only for words with capitals.
func eachWord(s string, max int, yield func(w string) bool) {
	eachRawWord(s, max, func(w string, _ bool) bool { return yield(strings.ToLower(w)) })
}

// eachRawWord is eachWord without the lower-casing: it yields each word as
// it is in s, and whether it is all ASCII.
func eachRawWord(s string, max int, yield func(w string, ascii bool) bool) {
	start := -1
	prevLower := false
	ascii := true // the current word's runes so far
	n := 0
	emit := func(end int) bool {
		if start < 0 || end <= start {
			start = -1
			return true
		}
		w, a := s[start:end], ascii
		start, ascii = -1, true
		n++
		return yield(w, a) && n < max
	}
	for i, r := range s {
		var isWord, isUpper, isLowerOrDigit bool
		if r < utf8.RuneSelf {
			// ASCII, nearly every key and path: no table look-ups.
			c := byte(r)
			isUpper = 'A' <= c && c <= 'Z'
			isLowerOrDigit = 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
			isWord = isUpper || isLowerOrDigit
		} else {
			isWord = unicode.IsLetter(r) || unicode.IsDigit(r)
			isUpper = unicode.IsUpper(r)
			isLowerOrDigit = unicode.IsLower(r) || unicode.IsDigit(r)
		}
		switch {
		case !isWord:
			if !emit(i) {
				return
			}
			prevLower = false
			continue
		case isUpper && prevLower:
			if !emit(i) {
				return
			}
		}
		if start < 0 {
			start = i
		}
		if r >= utf8.RuneSelf {
			ascii = false
		}
		prevLower = isLowerOrDigit
	}
	emit(len(s))
}

// splitWords returns the words eachWord yields, at most max of them.
func splitWords(s string, max int) []string {
	var words []string
	eachWord(s, max, func(w string) bool {
		words = append(words, w)
		return true
	})
	return words
}

// anyWordIn reports whether one of the words of s (eachWord's first 64)
// is in set. An ASCII word set's signature rules out is not lower-cased
// or looked up; a word with other runes always is, since lower-casing
// can change its length or make it ASCII (U+0130, the Kelvin sign).
func anyWordIn(s string, set *words) bool {
	found := false
	eachRawWord(s, 64, func(w string, ascii bool) bool {
		if ascii && !set.mayHold(w) {
			return true
		}
		found = set.set[strings.ToLower(w)]
		return !found
	})
	return found
}

// stepName returns the key part of a location step ("json:$.a.b" →
// "a.b", "query:cd[x]" → "cd[x]"), or "" for transformations and
// headers, whose names say nothing about health.
func stepName(step string) string {
	kind, name, ok := strings.Cut(step, ":")
	if !ok || kind == "header" {
		return ""
	}
	name = strings.TrimPrefix(name, "$")
	return strings.TrimPrefix(name, ".")
}

// chainKeys returns the key names along a decoding chain, dropping step
// kinds and transformations: ["query:data", "base64",
// "json:$.patient.medications[0]"] → "data patient.medications[0]".
// Header names are dropped: "Referer" says nothing about health.
func chainKeys(chain []string) string {
	var b strings.Builder
	for _, step := range chain {
		name := stepName(step)
		if name == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(name)
	}
	return b.String()
}

// isURLPathField reports whether a field is a path segment of some URL
// (the request's, the Referer's, or one inside a parameter such as dl).
func isURLPathField(chain []string) bool {
	for i := len(chain) - 1; i >= 0; i-- {
		step := chain[i]
		if strings.HasPrefix(step, "path[") || step == "path" || strings.HasPrefix(step, "path:") {
			return true
		}
		if strings.Contains(step, ":") {
			// A location below the path (a query key, a JSON member)
			// means the field is not the path itself.
			return false
		}
	}
	return false
}

// healthPathText reports whether a URL path text names a health page.
func healthPathText(s string) bool {
	return mentionsHealthLibrary(s) || anyWordIn(s, healthPathWords)
}

// mentionsHealthLibrary reports whether strings.ToLower(s) contains
// "health-library" or "health library", in one pass over ASCII s that
// folds its letters in place. Other text is lower-cased first, since two
// runes lower-case to ASCII letters (U+0130 to 'i', the Kelvin sign to
// 'k').
func mentionsHealthLibrary(s string) bool {
	const phrase = "health library" // its space may also be '-'
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			lower := strings.ToLower(s)
			return strings.Contains(lower, "health-library") || strings.Contains(lower, phrase)
		}
		if i+len(phrase) > len(s) || asciiLower(s[i]) != 'h' {
			continue
		}
		j := 1
		for j < len(phrase) && (asciiLower(s[i+j]) == phrase[j] || phrase[j] == ' ' && s[i+j] == '-') {
			j++
		}
		if j == len(phrase) {
			return true
		}
	}
	return false
}
