package ident

import (
	"strings"

	"github.com/phiproxy/phiproxy"
)

// group is one run of digits inside a numeric span.
type group struct{ start, end int }

func (g group) len() int { return g.end - g.start }

// isSpanByte reports whether c may appear in a numeric span: digits and
// the separators people write numbers with.
func isSpanByte(c byte) bool {
	switch c {
	case ' ', '-', '.', '(', ')', '/', '+':
		return true
	}
	return isDigit(c)
}

// findNumbers finds phone numbers, SSNs, payment cards, NPIs, dates of
// birth and ZIPs among the numeric spans of v.
func findNumbers(v string, kc keyCtx, out []Match) []Match {
	var buf [16]group
	groups := buf[:0]
	for i := 0; i < len(v); {
		c := v[i]
		if !(isDigit(c) || c == '+' || c == '(') {
			i++
			continue
		}
		j := i
		for j < len(v) && isSpanByte(v[j]) {
			j++
		}
		// A span glued to a word ("v1.2.3", "a716-4466", "ID-555") is part
		// of that word.
		if !standsAlone(v, i) {
			i = j
			continue
		}
		groups = groups[:0]
		for k := i; k < j; {
			if !isDigit(v[k]) {
				k++
				continue
			}
			e := k
			for e < j && isDigit(v[e]) {
				e++
			}
			groups = append(groups, group{k, e})
			k = e
		}
		if len(groups) > 0 {
			out = matchGroups(v, groups, kc, out)
		}
		i = j
		if i < len(v) && isAlnum(v[i]) {
			// Skip the rest of the word the span ran into.
			for i < len(v) && isAlnum(v[i]) {
				i++
			}
		}
	}
	return out
}

// standsAlone reports whether a token starting at i is not the tail of a
// word: the byte before is not a letter or digit, nor a '-', '.' or '_'
// joined to one.
func standsAlone(v string, i int) bool {
	if i == 0 {
		return true
	}
	p := v[i-1]
	if isAlnum(p) {
		return false
	}
	if (p == '-' || p == '.' || p == '_' || p == '/') && i >= 2 && isAlnum(v[i-2]) {
		return false
	}
	return true
}

// sep returns the separator text between groups a and b.
func sep(v string, a, b group) string { return v[a.end:b.start] }

// tight reports whether a separator joins two digit runs into one number
// ("-", ".", "/"), as opposed to spaces that may part two numbers.
func tight(s string) bool { return s == "-" || s == "." || s == "/" }

// endsClean reports whether the number ending at e is not glued to a
// following word. allowT lets a date run into a time ("1980-01-02T00:00").
func endsClean(v string, e int, allowT bool) bool {
	if e >= len(v) {
		return true
	}
	c := v[e]
	if allowT && c == 'T' {
		return true
	}
	if isAlnum(c) {
		return false
	}
	return true
}

// digitsOf concatenates the digits of groups.
func digitsOf(v string, gs []group) string {
	var b strings.Builder
	for _, g := range gs {
		b.WriteString(v[g.start:g.end])
	}
	return b.String()
}

// matchGroups slides over the digit groups of one span, taking at each
// position the first pattern that fits and validates.
func matchGroups(v string, gs []group, kc keyCtx, out []Match) []Match {
	for k := 0; k < len(gs); {
		// The middle of a longer dotted or dashed number is not a start.
		if k > 0 && tight(sep(v, gs[k-1], gs[k])) {
			k++
			continue
		}
		m, n, ok := matchAt(v, gs, k, kc)
		if !ok {
			k++
			continue
		}
		out = append(out, m)
		k += n
	}
	return out
}

// matchAt tries every pattern at group k; n is how many groups it took.
func matchAt(v string, gs []group, k int, kc keyCtx) (m Match, n int, ok bool) {
	rest := gs[k:]
	// A pattern of n groups must not be followed by a tightly joined group.
	fits := func(n int) bool {
		if n > len(rest) {
			return false
		}
		if n < len(rest) && tight(sep(v, rest[n-1], rest[n])) {
			return false
		}
		return true
	}
	lens := func(ls ...int) bool {
		if !fits(len(ls)) {
			return false
		}
		for i, l := range ls {
			if rest[i].len() != l {
				return false
			}
		}
		return true
	}
	start := rest[0].start
	openParen := start > 0 && v[start-1] == '('
	plus := start > 0 && v[start-1] == '+'
	if openParen {
		start--
	}
	if plus {
		start--
	}

	// E.164: "+" and 8 to 15 digits in groups parted by short separators.
	if plus {
		digits, n := 0, 0
		for i, g := range rest {
			if i > 0 {
				if s := sep(v, rest[i-1], g); len(s) > 2 || strings.ContainsAny(s, "/+") {
					break
				}
			}
			if digits+g.len() > 15 {
				break
			}
			digits += g.len()
			n = i + 1
		}
		if n > 0 && digits >= 8 {
			gs := rest[:n]
			last := gs[n-1]
			d := digitsOf(v, gs)
			joined := n < len(rest) && tight(sep(v, last, rest[n]))
			valid := !joined && endsClean(v, last.end, false) && d[0] != '0' &&
				(d[0] != '1' || len(d) == 11 && validNANP(d[1:]))
			if valid {
				near := nearby(v, start, "phone", "tel", "call", "mobile", "cell", "fax")
				return Match{Kind: phiproxy.KindPhone, Text: v[start:last.end], Normalized: d, Start: start, End: last.end,
					Score: score(0.8, kc.phone || near), Reason: reason("E.164 phone", kc.phone, near)}, n, true
			}
		}
	}

	// IPv4: four dotted octets.
	if lens4 := fits(4); lens4 && !kc.version {
		if m, ok := matchIPv4(v, rest[:4], kc); ok {
			return m, 4, true
		}
	}

	// NANP with separators: (AAA) EEE-SSSS, AAA-EEE-SSSS, AAA.EEE.SSSS,
	// AAA EEE SSSS, optionally after "1-" or "1 ".
	tryNANP := func(gs3 []group, lead int) (Match, bool) {
		s1, s2 := sep(v, gs3[0], gs3[1]), sep(v, gs3[1], gs3[2])
		paren := gs3[0].start > 0 && v[gs3[0].start-1] == '(' && (s1 == ")" || s1 == ") " || s1 == ")-" || s1 == ").") && (s2 == "-" || s2 == " " || s2 == ".")
		plain := (s1 == "-" || s1 == "." || s1 == " ") && s2 == s1
		if !paren && !plain {
			return Match{}, false
		}
		d := digitsOf(v, gs3)
		if !validNANP(d) || !endsClean(v, gs3[2].end, false) {
			return Match{}, false
		}
		st := gs3[0].start
		if paren {
			st--
		}
		if lead >= 0 {
			st = lead
		}
		near := nearby(v, st, "phone", "tel", "call", "mobile", "cell", "fax", "text")
		// Space-parted digits are common in other numbers: they need context.
		if s1 == " " && !kc.phone && !near {
			return Match{}, false
		}
		why := "NANP phone, separators"
		if strings.HasPrefix(d[3:], "55501") {
			why = "NANP phone (555-01xx fictional range), separators"
		}
		return Match{Kind: phiproxy.KindPhone, Text: v[st:gs3[2].end], Normalized: "1" + d, Start: st, End: gs3[2].end,
			Score: score(0.75, kc.phone || near), Reason: reason(why, kc.phone, near)}, true
	}
	if lens(3, 3, 4) && !kc.version {
		if m, ok := tryNANP(rest[:3], -1); ok {
			return m, 3, true
		}
	}
	if lens(1, 3, 3, 4) && v[rest[0].start] == '1' && !kc.version {
		if s := sep(v, rest[0], rest[1]); s == "-" || s == " " || s == "." || s == " (" {
			if m, ok := tryNANP(rest[1:4], start); ok {
				return m, 4, true
			}
		}
	}

	// SSN: AAA-GG-SSSS.
	if lens(3, 2, 4) {
		s1, s2 := sep(v, rest[0], rest[1]), sep(v, rest[1], rest[2])
		d := digitsOf(v, rest[:3])
		near := nearby(v, start, "ssn", "social security", "social security number", "ss")
		if s1 == s2 && (s1 == "-" || s1 == " " && (kc.ssn || near)) && validSSN(d) && endsClean(v, rest[2].end, false) {
			return Match{Kind: phiproxy.KindSSN, Text: v[rest[0].start:rest[2].end], Normalized: d, Start: rest[0].start, End: rest[2].end,
				Score: score(0.8, kc.ssn || near), Reason: reason("SSN, valid area/group/serial", kc.ssn, near)}, 3, true
		}
	}

	// Dates, only as a date of birth with context.
	if fits(3) {
		if m, ok := matchDate(v, rest[:3], kc); ok {
			return m, 3, true
		}
	}

	// Grouped card numbers: 4-4-4-4, 4-6-5, 4-6-4, 4-4-4-4-3.
	for _, pat := range [][]int{{4, 4, 4, 4, 3}, {4, 4, 4, 4}, {4, 6, 5}, {4, 6, 4}} {
		if !lens(pat...) {
			continue
		}
		gs := rest[:len(pat)]
		s0 := sep(v, gs[0], gs[1])
		same := s0 == " " || s0 == "-"
		for i := 2; i < len(gs) && same; i++ {
			same = sep(v, gs[i-1], gs[i]) == s0
		}
		d := digitsOf(v, gs)
		if same && endsClean(v, gs[len(gs)-1].end, false) && luhn(d) {
			if brand := cardBrand(d); brand != "" {
				near := nearby(v, rest[0].start, "card", "credit", "visa", "mastercard", "amex", "cc")
				return Match{Kind: phiproxy.KindCard, Text: v[rest[0].start:gs[len(gs)-1].end], Normalized: d, Start: rest[0].start, End: gs[len(gs)-1].end,
					Score: score(0.8, kc.card || near), Reason: reason(brand+" card, Luhn ok, grouped", kc.card, near)}, len(gs), true
			}
		}
	}

	// ZIP+4 with context.
	if lens(5, 4) && sep(v, rest[0], rest[1]) == "-" {
		if m, ok := matchZIP(v, rest[0].start, rest[1].end, kc); ok {
			return m, 2, true
		}
	}

	// A single run of digits.
	if !fits(1) {
		return m, 0, false
	}
	g := rest[0]
	// "(" or "+" before a lone run makes it something else.
	if openParen || plus || !endsClean(v, g.end, false) {
		return m, 0, false
	}
	d := v[g.start:g.end]
	switch n := len(d); {
	case n >= 13 && n <= 19:
		if luhn(d) {
			if brand := cardBrand(d); brand != "" {
				near := nearby(v, g.start, "card", "credit", "visa", "mastercard", "amex", "cc")
				return Match{Kind: phiproxy.KindCard, Text: d, Normalized: d, Start: g.start, End: g.end,
					Score: score(0.6, kc.card || near), Reason: reason(brand+" card, Luhn ok", kc.card, near)}, 1, true
			}
		}
	case n == 10 || n == 11:
		if n == 10 && (kc.npi || nearby(v, g.start, "npi")) {
			if validNPI(d) {
				return Match{Kind: phiproxy.KindNPI, Text: d, Normalized: d, Start: g.start, End: g.end,
					Score: score(0.8, true), Reason: reason("NPI, Luhn ok with prefix 80840", kc.npi, !kc.npi)}, 1, true
			}
			return m, 0, false
		}
		near := nearby(v, g.start, "phone", "tel", "call", "mobile", "cell", "fax", "text")
		if kc.phone || near {
			p := d
			if n == 11 {
				if d[0] != '1' {
					return m, 0, false
				}
				p = d[1:]
			}
			if validNANP(p) {
				return Match{Kind: phiproxy.KindPhone, Text: d, Normalized: "1" + p, Start: g.start, End: g.end,
					Score: score(0.6, true), Reason: reason("NANP phone, bare digits", kc.phone, near)}, 1, true
			}
		}
	case n == 9:
		if kc.zip {
			if m, ok := matchZIP(v, g.start, g.end, kc); ok {
				return m, 1, true
			}
		}
		near := nearby(v, g.start, "ssn", "social security", "social security number")
		if (kc.ssn || near) && validSSN(d) {
			return Match{Kind: phiproxy.KindSSN, Text: d, Normalized: d, Start: g.start, End: g.end,
				Score: score(0.7, true), Reason: reason("SSN, bare digits, valid area/group/serial", kc.ssn, near)}, 1, true
		}
	case n == 8:
		if y, mo, dd, ok := ymd(d[:4], d[4:6], d[6:]); ok && (kc.dob || nearby(v, g.start, dobWords...)) && !kc.version {
			return Match{Kind: phiproxy.KindDOB, Text: d, Normalized: isoDate(y, mo, dd), Start: g.start, End: g.end,
				Score: score(0.7, true), Reason: reason("date YYYYMMDD", kc.dob, !kc.dob)}, 1, true
		}
	case n == 5:
		if m, ok := matchZIP(v, g.start, g.end, kc); ok {
			return m, 1, true
		}
	}
	return m, 0, false
}

// matchZIP accepts a five or nine digit ZIP when the key says zip or a
// context word precedes it.
func matchZIP(v string, start, end int, kc keyCtx) (Match, bool) {
	near := nearby(v, start, "zip", "zipcode", "zip code", "postal code", "postcode")
	if !kc.zip && !near {
		return Match{}, false
	}
	if v[start:start+5] == "00000" {
		return Match{}, false
	}
	return Match{Kind: phiproxy.KindZIP, Text: v[start:end], Normalized: v[start : start+5], Start: start, End: end,
		Score: score(0.7, true), Reason: reason("ZIP code", kc.zip, near)}, true
}

// validNANP checks a ten-digit North American number: area code and
// exchange start 2-9 and are not N11 service codes.
func validNANP(d string) bool {
	if len(d) != 10 {
		return false
	}
	if d[0] < '2' || d[3] < '2' {
		return false
	}
	if d[1] == '1' && d[2] == '1' || d[4] == '1' && d[5] == '1' {
		return false
	}
	return true
}

// validSSN applies the SSA rules: area not 000, 666 or 9xx; group not 00;
// serial not 0000; and not the numbers known from advertising and
// documentation.
func validSSN(d string) bool {
	if len(d) != 9 {
		return false
	}
	area, grp, serial := d[:3], d[3:5], d[5:]
	if area == "000" || area == "666" || area[0] == '9' || grp == "00" || serial == "0000" {
		return false
	}
	switch d {
	case "078051120", "219099999", "123456789":
		return false
	}
	return true
}

// luhn reports whether the digit string passes the Luhn check.
func luhn(d string) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		c := d[i]
		if !isDigit(c) {
			return false
		}
		n := int(c - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return len(d) > 0 && sum%10 == 0
}

// validNPI checks a National Provider Identifier: ten digits starting 1
// or 2 whose Luhn check, with the card-issuer prefix 80840, passes.
func validNPI(d string) bool {
	return len(d) == 10 && (d[0] == '1' || d[0] == '2') && luhn("80840"+d)
}

// cardBrand returns the network of a card number by its issuer prefix and
// length, or "" when no known range fits.
func cardBrand(d string) string {
	n := len(d)
	p := func(k int) int {
		if k > n {
			return -1
		}
		v := 0
		for i := 0; i < k; i++ {
			v = v*10 + int(d[i]-'0')
		}
		return v
	}
	switch {
	case d[0] == '4' && (n == 13 || n == 16 || n == 19):
		return "Visa"
	case (p(2) >= 51 && p(2) <= 55 || p(4) >= 2221 && p(4) <= 2720) && n == 16:
		return "Mastercard"
	case (p(2) == 34 || p(2) == 37) && n == 15:
		return "American Express"
	case (p(4) == 6011 || p(3) >= 644 && p(3) <= 649 || p(2) == 65) && n >= 16 && n <= 19:
		return "Discover"
	case p(4) >= 3528 && p(4) <= 3589 && n >= 16 && n <= 19:
		return "JCB"
	case (p(3) >= 300 && p(3) <= 305 || p(2) == 36 || p(2) == 38 || p(2) == 39) && n >= 14 && n <= 19:
		return "Diners Club"
	case p(2) == 62 && n >= 16 && n <= 19:
		return "UnionPay"
	}
	return ""
}
