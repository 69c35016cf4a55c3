package ident

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/phiproxy/phiproxy"
	"golang.org/x/net/publicsuffix"
)

// dobWords are the words that make a nearby date a date of birth.
var dobWords = []string{"dob", "birth", "born", "birthday", "birthdate", "bday", "d.o.b"}

// ymd parses year, month and day strings into a plausible date of birth:
// year 1900-2100, a real day of that month.
func ymd(ys, ms, ds string) (y, m, d int, ok bool) {
	var err error
	if y, err = strconv.Atoi(ys); err != nil || y < 1900 || y > 2100 {
		return 0, 0, 0, false
	}
	if m, err = strconv.Atoi(ms); err != nil || m < 1 || m > 12 {
		return 0, 0, 0, false
	}
	if d, err = strconv.Atoi(ds); err != nil || d < 1 || d > daysIn(y, m) {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func isoDate(y, m, d int) string { return fmt.Sprintf("%04d-%02d-%02d", y, m, d) }

// matchDate reads three digit groups as a date of birth: YYYY-MM-DD,
// MM/DD/YYYY (or DD/MM/YYYY when the first part is over 12). Only with a
// date-of-birth key or a nearby context word: plain dates and timestamps
// are everywhere.
func matchDate(v string, gs []group, kc keyCtx) (Match, bool) {
	if kc.version {
		return Match{}, false
	}
	s1, s2 := sep(v, gs[0], gs[1]), sep(v, gs[1], gs[2])
	if s1 != s2 || (s1 != "-" && s1 != "/" && s1 != ".") {
		return Match{}, false
	}
	start, end := gs[0].start, gs[2].end
	if !endsClean(v, end, true) {
		return Match{}, false
	}
	near := !kc.dob && nearby(v, start, dobWords...)
	if !kc.dob && !near {
		return Match{}, false
	}
	p := func(i int) string { return v[gs[i].start:gs[i].end] }
	l0, l1, l2 := gs[0].len(), gs[1].len(), gs[2].len()
	var y, m, d int
	var ok bool
	switch {
	case l0 == 4 && l1 <= 2 && l2 <= 2:
		y, m, d, ok = ymd(p(0), p(1), p(2))
	case l0 <= 2 && l1 <= 2 && l2 == 4:
		y, m, d, ok = ymd(p(2), p(0), p(1))
		if !ok {
			y, m, d, ok = ymd(p(2), p(1), p(0))
		}
	}
	if !ok {
		return Match{}, false
	}
	return Match{Kind: phiproxy.KindDOB, Text: v[start:end], Normalized: isoDate(y, m, d), Start: start, End: end,
		Score: score(0.7, true), Reason: reason("date", kc.dob, near)}, true
}

var monthDate = regexp.MustCompile(`(?i)\b(?:(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})|(\d{1,2})(?:st|nd|rd|th)?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+(\d{4}))\b`)

var monthNumber = map[string]string{"jan": "1", "feb": "2", "mar": "3", "apr": "4", "may": "5", "jun": "6",
	"jul": "7", "aug": "8", "sep": "9", "sept": "9", "oct": "10", "nov": "11", "dec": "12"}

// findWordDates finds "January 2, 1980" and "2 Jan 1980" as dates of
// birth, only under a date-of-birth key or after a context word.
func findWordDates(v string, kc keyCtx, out []Match) []Match {
	if kc.version {
		return out
	}
	if !hasMonthName(v) {
		return out
	}
	if !kc.dob && !containsFold(v, "birth") && !containsFold(v, "dob") && !containsFold(v, "born") {
		return out
	}
	for _, loc := range monthDate.FindAllStringSubmatchIndex(v, 16) {
		part := func(i int) string {
			if loc[2*i] < 0 {
				return ""
			}
			return strings.ToLower(v[loc[2*i]:loc[2*i+1]])
		}
		mon, day, year := part(1), part(2), part(3)
		if mon == "" {
			mon, day, year = part(5), part(4), part(6)
		}
		y, m, d, ok := ymd(year, monthNumber[mon], day)
		if !ok {
			continue
		}
		near := !kc.dob && nearby(v, loc[0], dobWords...)
		if !kc.dob && !near {
			continue
		}
		out = append(out, Match{Kind: phiproxy.KindDOB, Text: v[loc[0]:loc[1]], Normalized: isoDate(y, m, d), Start: loc[0], End: loc[1],
			Score: score(0.7, true), Reason: reason("written date", kc.dob, near)})
	}
	return out
}

// hasMonthName is a cheap gate before the month-date expression: a word
// starting with a month abbreviation.
func hasMonthName(v string) bool {
	for i := 0; i+3 <= len(v); i++ {
		if !isLetter(v[i]) || i > 0 && isLetter(v[i-1]) {
			continue
		}
		// The three bytes lower-cased by setting 0x20, which makes a
		// lower-case letter of an upper-case one and of no other byte,
		// packed for one integer switch.
		w := uint32(v[i]|0x20) | uint32(v[i+1]|0x20)<<8 | uint32(v[i+2]|0x20)<<16
		switch w {
		case 'j' | 'a'<<8 | 'n'<<16, 'f' | 'e'<<8 | 'b'<<16, 'm' | 'a'<<8 | 'r'<<16, 'a' | 'p'<<8 | 'r'<<16,
			'm' | 'a'<<8 | 'y'<<16, 'j' | 'u'<<8 | 'n'<<16, 'j' | 'u'<<8 | 'l'<<16, 'a' | 'u'<<8 | 'g'<<16,
			's' | 'e'<<8 | 'p'<<16, 'o' | 'c'<<8 | 't'<<16, 'n' | 'o'<<8 | 'v'<<16, 'd' | 'e'<<8 | 'c'<<16:
			return true
		}
	}
	return false
}

// containsFold reports whether v contains lower-case w, ignoring ASCII case.
func containsFold(v, w string) bool {
	for i := 0; i+len(w) <= len(v); i++ {
		if equalFoldASCII(v[i:i+len(w)], w) {
			return true
		}
	}
	return false
}

// matchIPv4 checks four dotted digit groups as an IPv4 address. Dotted
// numbers whose parts are all single digits ("1.2.3.4") read as versions
// and need an IP key.
func matchIPv4(v string, gs []group, kc keyCtx) (Match, bool) {
	small := true
	for i, g := range gs {
		if g.len() > 3 {
			return Match{}, false
		}
		if i > 0 && sep(v, gs[i-1], g) != "." {
			return Match{}, false
		}
		if g.len() > 1 && v[g.start] == '0' {
			return Match{}, false
		}
		if g.len() > 1 {
			small = false
		}
	}
	start, end := gs[0].start, gs[3].end
	if !endsClean(v, end, false) || small && !kc.ip {
		return Match{}, false
	}
	addr, err := netip.ParseAddr(v[start:end])
	if err != nil || !addr.Is4() {
		return Match{}, false
	}
	if v[start] == '0' || addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return Match{}, false
	}
	base, why := 0.7, "IPv4 address"
	if addr.IsPrivate() || addr.IsLoopback() || addr.IsLinkLocalUnicast() {
		base, why = 0.4, "IPv4 address (private range)"
	}
	return Match{Kind: phiproxy.KindIP, Text: v[start:end], Normalized: addr.String(), Start: start, End: end,
		Score: score(base, kc.ip), Reason: reason(why, kc.ip, false)}, true
}

func isHexByte(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// findIPv6 finds IPv6 addresses: runs of hex digits and colons with at
// least two colons that net/netip parses. Times ("10:00:00") and MAC
// addresses do not parse.
func findIPv6(v string, kc keyCtx, out []Match) []Match {
	if strings.IndexByte(v, ':') < 0 || kc.version {
		return out
	}
	for i := 0; i < len(v); {
		if !isHexByte(v[i]) && v[i] != ':' {
			i++
			continue
		}
		j := i
		colons := 0
		for j < len(v) && (isHexByte(v[j]) || v[j] == ':' || v[j] == '.') {
			if v[j] == ':' {
				colons++
			}
			j++
		}
		start := i
		i = j
		if colons < 2 || j-start > 45 || start > 0 && isAlnum(v[start-1]) || j < len(v) && isAlnum(v[j]) {
			continue
		}
		text := strings.TrimRight(v[start:j], ".")
		if !strings.Contains(text, "::") && colons != 7 && !(colons == 6 && strings.Contains(text, ".")) {
			continue
		}
		addr, err := netip.ParseAddr(text)
		if err != nil || !addr.Is6() || addr.IsUnspecified() {
			continue
		}
		base, why := 0.7, "IPv6 address"
		if addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() {
			base, why = 0.4, "IPv6 address (local range)"
		}
		out = append(out, Match{Kind: phiproxy.KindIP, Text: text, Normalized: addr.String(), Start: start, End: start + len(text),
			Score: score(base, kc.ip), Reason: reason(why, kc.ip, false)})
	}
	return out
}

// isLocalByte is allowed in the local part of an address (dot-atom, less
// the rare symbols that mostly appear in non-email text).
func isLocalByte(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func isDomainByte(c byte) bool { return isAlnum(c) || c == '.' || c == '-' }

// findEmails finds addresses around each '@': a dot-atom local part and a
// domain whose labels are well formed and whose top-level domain is in
// the public suffix list (so "logo@2x.png" and "sdk@7.1.0" are not).
func findEmails(v string, kc keyCtx, out []Match) []Match {
	for off := 0; off < len(v); {
		at := strings.IndexByte(v[off:], '@')
		if at < 0 {
			break
		}
		at += off
		off = at + 1
		s := at
		for s > 0 && isLocalByte(v[s-1]) && at-s < 64 {
			s--
		}
		e := at + 1
		for e < len(v) && isDomainByte(v[e]) && e-at < 254 {
			e++
		}
		// Trailing dots and hyphens end a sentence, not the domain.
		for e > at+1 && (v[e-1] == '.' || v[e-1] == '-') {
			e--
		}
		for s < at && (v[s] == '.') {
			s++
		}
		local, domain := v[s:at], v[at+1:e]
		if local == "" || strings.Contains(local, "..") || strings.HasSuffix(local, ".") || !validDomain(domain) {
			continue
		}
		norm := strings.ToLower(v[s:e])
		out = append(out, Match{Kind: phiproxy.KindEmail, Text: v[s:e], Normalized: norm, Start: s, End: e,
			Score: score(0.85, kc.email), Reason: reason("email syntax, known TLD", kc.email, false)})
		off = e
	}
	return out
}

// validDomain checks label syntax and that the TLD is a real one.
func validDomain(d string) bool {
	if len(d) < 4 || len(d) > 253 {
		return false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
	}
	tld := strings.ToLower(labels[len(labels)-1])
	if !strings.HasPrefix(tld, "xn--") {
		for i := 0; i < len(tld); i++ {
			if !isLetter(tld[i]) {
				return false
			}
		}
	}
	_, icann := publicsuffix.PublicSuffix(tld)
	return icann
}
