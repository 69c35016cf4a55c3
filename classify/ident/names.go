package ident

import (
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/phiproxy/phiproxy"
)

// The given-name and surname lists are ranked, most common first, and
// carry no counts (see their header comments for the public sources).
var (
	//go:embed data/first_names.txt
	firstNamesText string
	//go:embed data/surnames.txt
	surnamesText string

	firstNames = rankList(firstNamesText)
	surnames   = rankList(surnamesText)
)

// rankList reads one name a line ('#' comments) into lower-case name →
// rank (1 for the most common).
func rankList(text string) map[string]int {
	m := make(map[string]int, 1500)
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		k := strings.ToLower(line)
		if _, dup := m[k]; !dup {
			m[k] = len(m) + 1
		}
	}
	return m
}

// wordNames are given names that are also everyday words ("Will", "May",
// "Grace", "Hope", "Mark"): alone they say nothing, so they count only
// after a context that introduces a name, and even then, after a weak
// one ("I'm"), only with a surname.
var wordNames = wordSet(`will may grace hope rose mark joy faith april june summer autumn dawn bill art gene ray
	sky destiny chance hunter mason rich frank pat sue bob chase drew cash angel crystal amber ruby pearl iris
	lily violet ivy daisy holly heather jasmine olive hazel sage river paris harmony journey king major royal
	miles bishop reed wood stone hill green white black gray grey long little price rice bell banks day lane
	west ford young love glass hall cook baker page penny sandy misty candy brandy ginger honey star melody
	charity heaven justice legend lyric blue sunny rocky dusty rusty buck eve kitty jewel august sterling
	earnest noble liberty serenity patience prudence mercy guy lance wade clay cliff glen heath dale forrest
	rod norm nick sherry brook ace max joe sam tom don jack dean van trinity carol jean ella`)

// placeNames are given names that are also US places; with a place word
// after them ("Lincoln Park", "Virginia Beach") they are the place.
var placeNames = wordSet(`virginia georgia carolina dallas austin houston phoenix savannah charlotte jackson madison
	florence orlando denver eugene helena augusta raleigh sydney victoria chelsea brooklyn london aurora lincoln
	cleveland santiago columbus tyler marion clinton franklin warren troy chester camden alexandria`)

// placeWords after a capitalised pair make it a place or an organisation:
// "Virginia Beach", "Mary Washington Hospital", "Jackson Heights".
var placeWords = wordSet(`beach springs heights city county falls rapids valley bay harbor harbour island lake creek
	village street avenue road square station airport hospital hospitals clinic clinics university college school
	church parkway boulevard garden gardens plaza mall point port center centre memorial medical health healthcare
	group foundation institute inc llc corp company pharmacy park hill hills mountain mountains river forest
	township borough district heights lodge manor court terrace way drive lane place`)

// englishWords are everyday words that end a name or disqualify a
// capitalised word after "My name is" / "Patient:" ("Patient: Stable").
var englishWords = wordSet(`a an the and or but nor so yet for of in on at to from by with without about as into onto
	over under after before since until than then there here this that these those it its it's is am are was were be
	been being have has had do does did not no yes i me my mine you your yours he him his she her hers we us our they
	them their who whom whose what which when where why how all any some each every both either neither one two three
	just only also very really too still even again already always never sometimes often today tomorrow yesterday now
	please thanks thank hi hello hey dear sorry fine good great well ok okay sure right wrong bad better worse best
	new old male female stable unknown none n/a na adult child minor self spouse mother father son daughter parent
	required optional information info details detail here below above same other another following
	feeling feel felt hurting sick tired worried anxious afraid scared happy sad glad ready able unable
	having getting going coming looking trying calling writing reaching asking wondering hoping
	currently recently still also pregnant diabetic allergic taking seeing
	treatment treatments screening care therapy options services service clinic center visit visits
	appointment appointments results result test tests testing exam office team staff portal online
	who says said told recommended prescribed`)

// honorifics introduce a patient's or any person's name.
var honorifics = wordSet("mr", "mrs", "ms", "miss", "mx")

// providerTitles introduce a clinician's name.
var providerTitles = wordSet("dr", "doctor", "dra", "prof", "professor")

func wordSet(words ...string) map[string]bool {
	m := map[string]bool{}
	for _, s := range words {
		for _, w := range strings.Fields(s) {
			m[w] = true
		}
	}
	return m
}

// word is one word of a text: letters with inner apostrophes and
// hyphens. dot is set when a '.' follows it directly ("Dr.", "Q.");
// brk is the punctuation between it and the word before (0 for spaces
// only; ',' ':' '.' '!' '?' ';' '|' or '\n' otherwise).
type word struct {
	start, end int
	dot        bool
	brk        byte
}

// words splits v into at most max words.
func words(v string, max int, ws []word) []word {
	var brk byte = '.' // the text's start is a sentence start
	for i := 0; i < len(v) && len(ws) < max; {
		r, n := rune(v[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(v[i:])
		}
		if !isLetterRune(r) {
			switch r {
			case ',', ':', ';', '.', '!', '?', '|', '\n', '(', ')', '"', '/', '<', '>', '[', ']', '{', '}', '=', '&':
				if brk == 0 || r != '.' {
					brk = byte(r)
					if r == '\n' || r == '!' || r == '?' {
						brk = '.'
					}
				}
			case ' ', '\t', '\r', '-', '\'', '\u2019':
			default:
				if r >= '0' && r <= '9' || r == '@' || r == '_' || r == '#' || r == '$' || r == '%' {
					brk = '#' // numbers and symbols break a name
				}
			}
			i += n
			continue
		}
		j := i
		for j < len(v) {
			r, n := rune(v[j]), 1
			if r >= utf8.RuneSelf {
				r, n = utf8.DecodeRuneInString(v[j:])
			}
			if isLetterRune(r) {
				j += n
				continue
			}
			// An inner apostrophe or hyphen: O'Neil, Smith-Jones.
			if (r == '\'' || r == '\u2019' || r == '-') && j+n < len(v) {
				if r2, _ := utf8.DecodeRuneInString(v[j+n:]); isLetterRune(r2) {
					j += n
					continue
				}
			}
			break
		}
		w := word{start: i, end: j, brk: brk, dot: j < len(v) && v[j] == '.'}
		if j < len(v) && (isDigit(v[j]) || v[j] == '@' || v[j] == '_') {
			w.brk = '#' // glued to digits or an address: not a word of prose
		}
		ws = append(ws, w)
		brk = 0
		i = j
	}
	return ws
}

func isLetterRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	}
	return unicode.IsLetter(r)
}

// lowerKey lower-cases an ASCII word into buf for a map lookup
// (m[string(k)] does not allocate); ok is false for a word too long or
// with other bytes (then it is no listed name).
func lowerKey(s string, buf *[24]byte) ([]byte, bool) {
	if len(s) > len(buf) {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c == '\'', c == '-':
		default:
			return nil, false
		}
		buf[i] = c
	}
	return buf[:len(s)], true
}

// nameText is what a scan knows about one word.
type nameText struct {
	text                    string
	title                   bool // capitalised, not all capitals ("Jane", "McDonald", "O'Neil")
	lower                   bool // all small letters
	first, surname          bool // in the given-name or surname list
	common, english, filler bool // a word name ("Will"), an everyday word, a UI word
}

func readWord(v string, w word) nameText {
	t := v[w.start:w.end]
	nt := nameText{text: t}
	r, _ := utf8.DecodeRuneInString(t)
	upper := 0
	for _, c := range t {
		if unicode.IsUpper(c) {
			upper++
		}
	}
	nt.title = unicode.IsUpper(r) && (upper < utf8.RuneCountInString(t) || len(t) == 1)
	nt.lower = upper == 0
	var buf [24]byte
	if k, ok := lowerKey(t, &buf); ok {
		_, nt.first = firstNames[string(k)]
		_, nt.surname = surnames[string(k)]
		nt.common = wordNames[string(k)]
		nt.english = englishWords[string(k)]
		nt.filler = uiWords[string(k)]
	} else {
		lk := strings.ToLower(t)
		nt.english = englishWords[lk]
		nt.filler = uiWords[lk]
	}
	return nt
}

// ordinary reports whether a word cannot be part of a name.
func (n nameText) ordinary() bool { return n.english || n.filler }

// context is how a name is introduced.
type context int

const (
	ctxNone      context = iota
	ctxStrong            // "my name is", "Name:", "Patient:"
	ctxWeak              // "I'm", "I am", "this is"
	ctxHonorific         // "Mr.", "Mrs.", "Ms."
	ctxProvider          // "Dr.", "Doctor"
)

// findTextNames finds people's names in free text: a name introduced by
// context ("my name is Rosalind Featherstone", "Patient: J. Doe", "I'm
// Sarah", "Mrs. Okafor"), a clinician's name after "Dr." (reported with
// Provider set), and a capitalised given name + surname pair on its own
// ("Margaret Brown called") when both are in the frequency lists, the
// given name is not an everyday word, and the pair is not part of a
// longer capitalised run (a headline, a place, an organisation).
func findTextNames(v string, kc keyCtx, out []Match) []Match {
	if kc.firstName || kc.lastName || kc.fullName || kc.name || kc.providerName || len(v) < 5 || strings.IndexByte(v, ' ') < 0 || strings.Contains(v, "://") {
		return out
	}
	if !mayHoldName(v) {
		return out
	}
	var buf [64]word
	ws := words(v, 4096, buf[:0])
	if len(ws) < 2 {
		return out
	}
	for i := 0; i < len(ws); i++ {
		ctx := contextBefore(v, ws, i)
		if ctx == ctxNone {
			if m, next, ok := barePair(v, ws, i); ok {
				out = append(out, m)
				i = next - 1
			}
			continue
		}
		if m, next, ok := nameAfter(v, ws, i, ctx); ok {
			out = append(out, m)
			i = next - 1
		}
	}
	return out
}

// isAllCaps reports whether a word of two letters or more is in capitals.
func isAllCaps(w string) bool {
	if len(w) < 2 {
		return false
	}
	for _, r := range w {
		if unicode.IsLower(r) {
			return false
		}
	}
	return true
}

// mayHoldName is a cheap gate: every name found here starts with a
// capital (ASCII or not) or follows "name" ("my name is rosalind").
func mayHoldName(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c >= 'A' && c <= 'Z' || c >= 0x80 {
			return true
		}
	}
	return containsFold(v, "name")
}

// is reports whether word i of ws is w (ASCII case-insensitive, w lower).
func is(v string, ws []word, i int, w string) bool {
	if i < 0 || i >= len(ws) {
		return false
	}
	t := v[ws[i].start:ws[i].end]
	return len(t) == len(w) && equalFoldASCII(t, w)
}

// contextBefore says which context, if any, ends just before word i.
func contextBefore(v string, ws []word, i int) context {
	if i == 0 {
		return ctxNone
	}
	p := ws[i-1]
	brk := ws[i].brk
	if p.end-p.start > 9 {
		return ctxNone // every context word is shorter
	}
	var buf [24]byte
	var pt string
	if k, ok := lowerKey(v[p.start:p.end], &buf); ok {
		pt = string(k)
	} else {
		pt = strings.ToLower(v[p.start:p.end]) // "I’m" with a typographic apostrophe
	}
	switch {
	case brk == 0 && pt == "is" && is(v, ws, i-2, "name") && ws[i-1].brk == 0:
		// "my name is", "her name is", "the patient's name is"
		return ctxStrong
	case brk == 0 && (pt == "name's" || pt == "name\u2019s"):
		return ctxStrong
	case brk == ':' && (pt == "name" || pt == "patient" || pt == "pt" || pt == "member" || pt == "client" || pt == "from" || pt == "signed"):
		return ctxStrong
	case brk == 0 && (pt == "i'm" || pt == "i\u2019m" || pt == "im"):
		return ctxWeak
	case brk == 0 && pt == "am" && is(v, ws, i-2, "i") && ws[i-1].brk == 0:
		return ctxWeak
	case brk == 0 && pt == "is" && is(v, ws, i-2, "this") && ws[i-1].brk == 0:
		return ctxWeak
	case (brk == 0 || brk == '.' && p.dot) && providerTitles[pt] && !isAllCaps(v[p.start:p.end]):
		// "DR screening" and "MS treatment" are abbreviations, not titles.
		if pt == "doctor" && brk != 0 {
			return ctxNone
		}
		return ctxProvider
	case (brk == 0 || brk == '.' && p.dot) && honorifics[pt] && !isAllCaps(v[p.start:p.end]):
		return ctxHonorific
	}
	return ctxNone
}

// nameAfter reads the name that starts at word i after a context.
func nameAfter(v string, ws []word, i int, ctx context) (Match, int, bool) {
	w := readWord(v, ws[i])
	if w.ordinary() || utf8.RuneCountInString(w.text) < 2 && !(w.title && ws[i].dot) {
		return Match{}, 0, false
	}
	switch ctx {
	case ctxStrong:
		// After "my name is", a listed given name counts in any case
		// ("my name is rosalind"); another word only capitalised.
		if !(w.first && !w.common) && !w.title {
			return Match{}, 0, false
		}
	case ctxWeak:
		// "I'm fine", "I'm Sorry", "this is Great": only a capitalised
		// listed given name; a word name ("I'm Will") needs a surname.
		if !w.title || !w.first && !w.common {
			return Match{}, 0, false
		}
		if w.common && !(i+1 < len(ws) && ws[i+1].brk == 0 && readWord(v, ws[i+1]).title && readWord(v, ws[i+1]).surname) {
			return Match{}, 0, false
		}
	case ctxHonorific, ctxProvider:
		if !w.title {
			return Match{}, 0, false
		}
		// "Doctor" and "Dr" without the abbreviation's dot are words too
		// ("Plague Doctor Skin"): only a listed name after them counts.
		if ctx == ctxProvider && !ws[i-1].dot && !w.first && !w.surname {
			return Match{}, 0, false
		}
	}
	end := i + 1
	lowerStart := w.lower
	for end < len(ws) && end < i+4 {
		nw := ws[end]
		if nw.brk != 0 && !(nw.brk == '.' && ws[end-1].dot && ws[end-1].end-ws[end-1].start == 1) {
			break // punctuation ends the name, except after an initial ("Jane Q. Public")
		}
		n := readWord(v, nw)
		if n.ordinary() {
			break
		}
		if lowerStart {
			if !n.lower || !n.surname || n.common {
				break
			}
		} else if !n.title {
			break
		}
		end++
	}
	// A trailing initial is a sentence's end, not a name's part.
	for end > i+1 && ws[end-1].end-ws[end-1].start == 1 {
		end--
	}
	start, stop := ws[i].start, ws[end-1].end
	if ws[end-1].dot && ws[end-1].end-ws[end-1].start == 1 {
		stop++
	}
	text := v[start:stop]
	base, why := 0.8, "name after \""+contextWord(ctx)+"\""
	switch ctx {
	case ctxWeak, ctxHonorific:
		base = 0.7
	case ctxProvider:
		base = 0.7
	}
	return Match{Kind: phiproxy.KindName, Text: text, Normalized: normalizeName(text), Start: start, End: stop,
		Score: score(base, false), Reason: why, Provider: ctx == ctxProvider || credentialAfter(v, stop)}, end, true
}

// credentials are the degrees and licences written after a clinician's
// name: "Sarah Chen, MD", "Alan Chu DO", "Maria Lopez, PsyD".
var credentials = wordSet(`md do np pa pa-c rn phd psyd lcsw lmft lpc lmhc dds dmd od dpm fnp aprn cnm msw dnp
	facp mbbs crnp lcpc ma-cp pharmd ccc-slp dc`)

// credentialAfter reports whether a clinical credential follows the name
// ending at end: ", MD", " DO", ", PsyD".
func credentialAfter(v string, end int) bool {
	i := end
	for i < len(v) && (v[i] == ',' || v[i] == ' ') && i < end+3 {
		i++
	}
	j := i
	for j < len(v) && (isLetter(v[j]) || v[j] == '-' || v[j] == '.') {
		j++
	}
	if j == i || j-i > 8 {
		return false
	}
	tok := strings.ToLower(strings.ReplaceAll(v[i:j], ".", ""))
	// Capitals as written: "do" and "od" are words, "DO" and "OD" titles.
	return credentials[tok] && v[i] >= 'A' && v[i] <= 'Z' && (len(tok) > 2 || strings.ToUpper(v[i:j]) == v[i:j])
}

func contextWord(c context) string {
	switch c {
	case ctxStrong:
		return "my name is"
	case ctxWeak:
		return "I'm"
	case ctxHonorific:
		return "Mr./Mrs./Ms."
	case ctxProvider:
		return "Dr."
	}
	return ""
}

// barePair reads a capitalised given name and surname at word i, with an
// optional middle initial, standing alone.
func barePair(v string, ws []word, i int) (Match, int, bool) {
	if i+1 >= len(ws) || ws[i+1].brk != 0 && ws[i+1].brk != '.' {
		return Match{}, 0, false
	}
	if c := v[ws[i].start]; c < 'A' || c > 'Z' && c < utf8.RuneSelf {
		return Match{}, 0, false // not capitalised: the common case, decided without reading the word
	}
	f := readWord(v, ws[i])
	if !f.title || !f.first || f.common || f.ordinary() {
		return Match{}, 0, false
	}
	last := i + 1
	if ws[last].end-ws[last].start == 1 && ws[last].dot && last+1 < len(ws) && ws[last].brk == 0 {
		last++ // "Margaret J. Brown"
		if ws[last].brk != '.' {
			return Match{}, 0, false
		}
	} else if ws[last].brk != 0 {
		return Match{}, 0, false
	}
	s := readWord(v, ws[last])
	if !s.title || !s.surname || s.ordinary() || placeWords[strings.ToLower(s.text)] && placeNames[strings.ToLower(f.text)] {
		return Match{}, 0, false
	}
	// Part of a longer capitalised run: a headline ("Local Nurse Mary
	// Jones Wins"), a place or an organisation ("Mary Washington
	// Hospital").
	if i > 0 && ws[i].brk == 0 && readWord(v, ws[i-1]).title && !greeting(v, ws[i-1]) {
		return Match{}, 0, false
	}
	if last+1 < len(ws) && ws[last+1].brk == 0 && !credentialAfter(v, ws[last].end) {
		n := readWord(v, ws[last+1])
		if n.title || placeWords[strings.ToLower(n.text)] {
			return Match{}, 0, false
		}
	}
	if placeWords[strings.ToLower(s.text)] {
		return Match{}, 0, false
	}
	start, stop := ws[i].start, ws[last].end
	text := v[start:stop]
	return Match{Kind: phiproxy.KindName, Text: text, Normalized: normalizeName(text), Start: start, End: stop,
		Score: score(0.6, false), Reason: "listed given name and surname", Provider: credentialAfter(v, stop)}, last + 1, true
}

// greeting reports whether w is a word that may precede a name in
// capitals without being part of it ("Hi Margaret Brown", "Dear ...").
func greeting(v string, w word) bool {
	switch strings.ToLower(v[w.start:w.end]) {
	case "hi", "hello", "hey", "dear", "thanks", "thank", "sincerely", "regards", "cc", "from", "to", "with", "and", "by", "for", "i", "my", "our", "the", "a":
		return true
	}
	return false
}

func normalizeName(t string) string {
	return strings.ToLower(strings.Join(strings.Fields(t), " "))
}
