package ident

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/phiproxy/phiproxy"
)

// streetSuffixes are the USPS street suffixes (and common spellings) that
// end a street name.
var streetSuffixes = map[string]bool{
	"st": true, "street": true, "ave": true, "av": true, "avenue": true, "rd": true, "road": true,
	"blvd": true, "boulevard": true, "dr": true, "drive": true, "ln": true, "lane": true,
	"ct": true, "court": true, "way": true, "pl": true, "place": true, "ter": true, "terrace": true,
	"pkwy": true, "parkway": true, "cir": true, "circle": true, "hwy": true, "highway": true,
	"sq": true, "square": true, "trl": true, "trail": true, "plz": true, "plaza": true,
	"cres": true, "crescent": true, "aly": true, "alley": true, "pike": true, "loop": true,
	"expy": true, "expressway": true, "fwy": true, "freeway": true, "tpke": true, "turnpike": true,
}

// unitWords introduce an apartment or suite after the street.
var unitWords = map[string]bool{"apt": true, "apartment": true, "suite": true, "ste": true, "unit": true, "#": true, "fl": true, "floor": true, "rm": true, "room": true}

// token is a whitespace-separated word of a value.
type token struct {
	start, end int
	text       string
}

// tokens splits v on spaces and commas (commas end a token but are not in it).
func tokens(v string, max int, ts []token) []token {
	for i := 0; i < len(v) && len(ts) < max; {
		if v[i] == ' ' || v[i] == '\t' || v[i] == '\n' || v[i] == '\r' || v[i] == ',' {
			i++
			continue
		}
		j := i
		for j < len(v) && v[j] != ' ' && v[j] != '\t' && v[j] != '\n' && v[j] != '\r' && v[j] != ',' {
			j++
		}
		ts = append(ts, token{i, j, v[i:j]})
		i = j
	}
	return ts
}

// houseNumber: 1-6 digits, optionally one trailing letter ("12B").
func houseNumber(s string) bool {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	if n == 0 || n > 6 || s[0] == '0' {
		return false
	}
	return n == len(s) || n == len(s)-1 && isLetter(s[n])
}

// streetWord is a word of a street name: letters (with ' . -) or an
// ordinal ("5th", "42nd").
func streetWord(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return false
	}
	digits := 0
	for digits < len(s) && isDigit(s[digits]) {
		digits++
	}
	if digits > 0 {
		suf := strings.ToLower(s[digits:])
		return digits <= 3 && (suf == "st" || suf == "nd" || suf == "rd" || suf == "th")
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && r != '\'' && r != '-' && r != '.' {
			return false
		}
	}
	return true
}

// findAddresses finds street addresses: a house number, one to four
// street-name words, and a street suffix, with an optional unit
// ("742 Evergreen Terrace", "1600 Pennsylvania Ave NW, Suite 200").
func findAddresses(v string, kc keyCtx, out []Match) []Match {
	if !hasDigitSpace(v) {
		return out
	}
	var buf [32]token
	ts := tokens(v, 4096, buf[:0])
	for i := 0; i < len(ts); i++ {
		if !houseNumber(ts[i].text) || !standsAlone(v, ts[i].start) {
			continue
		}
		end := -1
		last := i
		for k := i + 1; k < len(ts) && k <= i+5; k++ {
			w := ts[k].text
			if !streetWord(w) {
				break
			}
			if streetSuffixes[strings.ToLower(strings.TrimSuffix(w, "."))] && k > i+1 {
				// The first suffix after a name word ends the street:
				// "12 Court St" reads Court as the name, St as the suffix.
				end, last = ts[k].end, k
				break
			}
		}
		if end < 0 {
			continue
		}
		// A directional after the suffix ("Ave NW").
		if last+1 < len(ts) {
			switch strings.ToUpper(strings.TrimSuffix(ts[last+1].text, ".")) {
			case "N", "S", "E", "W", "NE", "NW", "SE", "SW":
				last++
				end = ts[last].end
			}
		}
		// A unit: "Apt 4B", "Suite 200", "# 3", "#3".
		if last+1 < len(ts) {
			w := strings.ToLower(strings.TrimSuffix(ts[last+1].text, "."))
			switch {
			case unitWords[w] && last+2 < len(ts):
				last += 2
				end = ts[last].end
			case len(w) > 1 && w[0] == '#':
				last++
				end = ts[last].end
			}
		}
		start := ts[i].start
		text := strings.TrimRight(v[start:end], ".;:")
		if streetSuffixes[strings.ToLower(text[strings.LastIndexAny(text, " ")+1:])] {
			// Keep the abbreviation's dot: "St." is part of the address.
			text = v[start:end]
			if strings.HasSuffix(text, "..") {
				text = strings.TrimRight(text, ".")
			}
		}
		out = append(out, Match{Kind: phiproxy.KindAddress, Text: text, Normalized: strings.Join(strings.Fields(text), " "), Start: start, End: start + len(text),
			Score: score(0.65, kc.address), Reason: reason("house number, street name, suffix", kc.address, false)})
		i = last
	}
	return out
}

// hasDigitSpace is a cheap gate: an address needs a digit and a space.
func hasDigitSpace(v string) bool {
	return strings.IndexByte(v, ' ') >= 0 && hasDigit(v)
}

// idToken reports whether s looks like a record or member number: 4 to
// 40 characters of letters, digits and '-', with at least two digits.
func idToken(s string) bool {
	if len(s) < 4 || len(s) > 40 {
		return false
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			digits++
		case isLetter(c), c == '-':
		default:
			return false
		}
	}
	return digits >= 2 && s[0] != '-' && s[len(s)-1] != '-'
}

// findKeyed reads whole values whose key names the identifier: names,
// MRNs, member IDs, DEA numbers.
func findKeyed(v string, kc keyCtx, out []Match) []Match {
	t := strings.TrimSpace(v)
	if t == "" || len(t) > 80 {
		return out
	}
	start := strings.Index(v, t)
	end := start + len(t)
	switch {
	case kc.mrn && idToken(t):
		out = append(out, Match{Kind: phiproxy.KindMRN, Text: t, Normalized: t, Start: start, End: end,
			Score: score(0.75, true), Reason: reason("record number shape", true, false)})
	case kc.member && idToken(t):
		out = append(out, Match{Kind: phiproxy.KindMemberID, Text: t, Normalized: t, Start: start, End: end,
			Score: score(0.75, true), Reason: reason("member ID shape", true, false)})
	case kc.dea && validDEA(t):
		out = append(out, Match{Kind: phiproxy.KindDEA, Text: t, Normalized: strings.ToUpper(t), Start: start, End: end,
			Score: score(0.8, true), Reason: reason("DEA number, checksum ok", true, false)})
	case kc.firstName || kc.lastName:
		if looksLikeName(t, 1, 3, false) {
			out = append(out, nameMatch(t, start, end, 0.7))
		}
	case kc.fullName:
		if looksLikeName(t, 1, 4, false) {
			out = append(out, nameMatch(t, start, end, 0.7))
		}
	case kc.providerName:
		t = strings.TrimSpace(trimTitle(t))
		if looksLikeName(t, 1, 4, false) {
			start = strings.Index(v, t)
			m := nameMatch(t, start, start+len(t), 0.7)
			m.Provider = true
			out = append(out, m)
		}
	case kc.name:
		// "name" is the most generic key there is ("name":"Add to Cart",
		// {"notifier":{"name":"Bugsnag JavaScript"}}): only two or three
		// capitalised words that are not UI words, one of them a listed
		// given name or surname.
		if looksLikeName(t, 2, 3, true) && hasListedName(t) {
			out = append(out, nameMatch(t, start, end, 0.5))
		}
	}
	return out
}

// trimTitle drops a leading "Dr." or "Doctor" from a clinician's name.
func trimTitle(t string) string {
	for _, p := range []string{"Dr. ", "Dr ", "DR. ", "dr. ", "Doctor "} {
		if strings.HasPrefix(t, p) {
			return t[len(p):]
		}
	}
	return t
}

// hasListedName reports whether a word of t is a listed given name or
// surname.
func hasListedName(t string) bool {
	var buf [24]byte
	for _, w := range strings.Fields(t) {
		if k, ok := lowerKey(strings.Trim(w, ".,"), &buf); ok {
			if _, f := firstNames[string(k)]; f {
				return true
			}
			if _, s := surnames[string(k)]; s {
				return true
			}
		}
	}
	return false
}

func nameMatch(t string, start, end int, base float64) Match {
	return Match{Kind: phiproxy.KindName, Text: t, Normalized: strings.ToLower(strings.Join(strings.Fields(t), " ")), Start: start, End: end,
		Score: score(base, true), Reason: reason("name-shaped value", true, false)}
}

// uiWords are values a name key often holds that are not names: labels,
// placeholders, defaults and the words of event names.
var uiWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`name names first last full middle your my enter type submit button undefined null none nil
		true false test testing anonymous anon guest user username unknown default home click tap search login logout
		signin signup sign register n/a na other select page view cart checkout add to remove product item items form contact
		us about menu close open next previous prev back continue ok cancel yes no placeholder example sample admin
		customer patient member doctor provider the and or of for in on at with new old complete completed purchase order
		success started start step event scroll video play pause download share subscribe newsletter account profile
		settings screen app web mobile desktop main header footer link banner modal popup dialog error warning info
		value label title text field input email phone address city state zip country date time none empty blank
		hello world lorem ipsum foo bar baz website site visitor visitors friend someone somebody client
		support team agent bot system service staff care help desk live chat unknown anonymous`) {
		uiWords[w] = true
	}
}

// placeholders are whole values that stand for no one.
var placeholders = map[string]bool{"john doe": true, "jane doe": true, "first last": true, "firstname lastname": true, "test user": true}

// looksLikeName reports whether t reads as a person's name: 2-40
// characters of letters, spaces, hyphens, apostrophes and dots, with
// minWords to maxWords words, none of them a UI word; titleCase also
// requires every word to start with a capital.
func looksLikeName(t string, minWords, maxWords int, titleCase bool) bool {
	if utf8.RuneCountInString(t) < 2 || len(t) > 40 {
		return false
	}
	letters := 0
	for _, r := range t {
		switch {
		case unicode.IsLetter(r):
			letters++
		case r == ' ' || r == '-' || r == '\'' || r == '.' || r == '\u2019':
		default:
			return false
		}
	}
	if letters < 2 {
		return false
	}
	words := strings.Fields(t)
	if len(words) < minWords || len(words) > maxWords {
		return false
	}
	if placeholders[strings.ToLower(strings.Join(words, " "))] {
		return false
	}
	for _, w := range words {
		lw := strings.ToLower(strings.Trim(w, ".-'"))
		if uiWords[lw] {
			return false
		}
		if titleCase {
			r, _ := utf8.DecodeRuneInString(w)
			if !unicode.IsUpper(r) {
				return false
			}
			// ALL-CAPS words are labels and acronyms more often than names.
			if len(w) > 1 && strings.ToUpper(w) == w {
				return false
			}
		}
	}
	return true
}

// deaFirst are the registrant-type letters a DEA number starts with.
const deaFirst = "ABCDEFGHJKLMPRSTUX"

// validDEA checks a DEA registration number: two letters, seven digits,
// (d1+d3+d5) + 2*(d2+d4+d6) ending in d7.
func validDEA(s string) bool {
	if len(s) != 9 {
		return false
	}
	u := strings.ToUpper(s)
	if !strings.ContainsRune(deaFirst, rune(u[0])) || !(isLetter(u[1]) || u[1] == '9') {
		return false
	}
	var d [7]int
	for i := 0; i < 7; i++ {
		c := u[2+i]
		if !isDigit(c) {
			return false
		}
		d[i] = int(c - '0')
	}
	sum := d[0] + d[2] + d[4] + 2*(d[1]+d[3]+d[5])
	return sum%10 == d[6]
}

// contextIDs are phrases that introduce an identifier in free text, with
// the kind of what follows.
var contextIDs = []struct {
	phrase string
	kind   phiproxy.Kind
}{
	{"medical record number", phiproxy.KindMRN},
	{"medical record no", phiproxy.KindMRN},
	{"medical record", phiproxy.KindMRN},
	{"mrn", phiproxy.KindMRN},
	{"patient id", phiproxy.KindMRN},
	{"member id", phiproxy.KindMemberID},
	{"member number", phiproxy.KindMemberID},
	{"member no", phiproxy.KindMemberID},
	{"subscriber id", phiproxy.KindMemberID},
	{"policy number", phiproxy.KindMemberID},
	{"dea number", phiproxy.KindDEA},
	{"dea", phiproxy.KindDEA},
}

// findContextIDs finds identifiers introduced by a phrase in free text:
// "MRN: 00123456", "member ID is XJH123456789", "DEA # AB1234563". One
// pass over the value, trying the phrases only at word starts.
func findContextIDs(v string, kc keyCtx, out []Match) []Match {
	// Every identifier introduced here has at least two digits.
	if len(v) < 7 || !hasDigit(v) {
		return out
	}
	for i := 0; i < len(v); i++ {
		if !isLetter(v[i]) || i > 0 && isAlnum(v[i-1]) {
			continue
		}
		first := v[i] | 0x20
		for _, c := range contextIDs {
			if c.phrase[0] != first || i+len(c.phrase) > len(v) || !equalFoldASCII(v[i:i+len(c.phrase)], c.phrase) {
				continue
			}
			off := i + len(c.phrase)
			if off < len(v) && isAlnum(v[off]) {
				continue
			}
			m, ok := idAfter(v, off, c.phrase, c.kind)
			if !ok {
				continue
			}
			out = append(out, m)
			i = m.End - 1
			break
		}
	}
	return out
}

// idAfter reads the identifier after a context phrase ending at off,
// skipping the glue between them (":", "#", "=", "is", "number", "no").
func idAfter(v string, off int, phrase string, kind phiproxy.Kind) (Match, bool) {
	j := off
	for steps := 0; j < len(v) && steps < 6; steps++ {
		for j < len(v) && (v[j] == ' ' || v[j] == ':' || v[j] == '#' || v[j] == '=' || v[j] == '-' || v[j] == '.') {
			j++
		}
		glue := false
		for _, g := range []string{"is ", "number ", "no ", "num "} {
			if j+len(g) <= len(v) && equalFoldASCII(v[j:j+len(g)], g) {
				j += len(g)
				glue = true
				break
			}
		}
		if !glue {
			break
		}
	}
	e := j
	for e < len(v) && (isAlnum(v[e]) || v[e] == '-') {
		e++
	}
	tok := strings.TrimRight(v[j:e], "-")
	e = j + len(tok)
	norm := tok
	switch kind {
	case phiproxy.KindDEA:
		if !validDEA(tok) {
			return Match{}, false
		}
		norm = strings.ToUpper(tok)
	default:
		if !idToken(tok) {
			return Match{}, false
		}
	}
	return Match{Kind: kind, Text: tok, Normalized: norm, Start: j, End: e,
		Score: score(0.75, true), Reason: reason("introduced by \""+phrase+"\"", false, true)}, true
}
