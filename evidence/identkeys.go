package evidence

import (
	"strings"
	"unicode"
)

// Keys that name a person identifier. Under --redact every value stored
// under such a key is replaced, found or not: a detector may reject a
// value on purpose (a placeholder SSN such as 123-45-6789, a test card
// number), but the value still looks personal to whoever reads the bundle.
//
// A key is split into lower-case words at separators and camelCase
// boundaries ("ud[em]" reads as the innermost bracket, "em"). It names an
// identifier when its words joined are one of identifierExact, when one of
// its words is in identifierWords, or when its joined words contain one of
// identifierJoined. A bare "name" is not enough: it names events, pages
// and form fields far more often than people.
var (
	identifierExact = setOf(
		// Meta Advanced Matching and LinkedIn/TikTok short keys.
		"em", "ph", "fn", "ln", "db", "zp", "hem",
		"tel", "cc", "ccnum", "pan", "cvv", "mrn", "ssn", "dob", "zip", "sin", "nhs",
	)
	identifierWords = setOf(
		"email", "emails", "phone", "phones", "telephone", "mobile", "cellphone", "fax",
		"ssn", "dob", "birthdate", "birthday", "birth", "zip", "zipcode", "postal", "postcode",
		"address", "street", "city", "surname", "mrn", "patient", "subscriber", "iban",
	)
	identifierJoined = []string{
		"firstname", "lastname", "fullname", "givenname", "familyname", "middlename", "maidenname",
		"patientname", "username", "displayname", "contactname", "customername", "membername", "legalname",
		"emailaddress", "phonenumber", "dateofbirth", "socialsecurity", "medicalrecord", "streetaddress",
		"memberid", "membernumber", "memberno", "subscriberid", "policynumber", "policyid", "insuranceid",
		"beneficiary", "cardnumber", "creditcard", "debitcard", "accountnumber", "licensenumber",
		"licencenumber", "driverslicense", "passport", "licenseplate", "externalid",
	}
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// identifierKey reports whether key names a person identifier. Answers
// are cached per redactor: keys repeat across flows.
func (r *redactor) identifierKey(key string) bool {
	if key == "" {
		return false
	}
	if v, ok := r.keyCache[key]; ok {
		return v
	}
	v := isIdentifierKey(key)
	if len(r.keyCache) < 1<<16 {
		r.keyCache[key] = v
	}
	return v
}

func isIdentifierKey(key string) bool {
	// "ud[em]", "user[email]": the innermost bracket names the value.
	if i := strings.LastIndexByte(key, '['); i >= 0 {
		if j := strings.IndexByte(key[i:], ']'); j > 1 {
			key = key[i+1 : i+j]
		}
	}
	words := keyWords(key)
	joined := strings.Join(words, "")
	if identifierExact[joined] {
		return true
	}
	for _, w := range words {
		if identifierWords[w] {
			return true
		}
	}
	for _, j := range identifierJoined {
		if strings.Contains(joined, j) {
			return true
		}
	}
	return false
}

// keyWords splits a key into lower-case words at non-alphanumerics and
// camelCase boundaries ("patientDOB" -> patient, dob).
func keyWords(key string) []string {
	var words []string
	var cur []rune
	var prev rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for _, c := range key {
		switch {
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			flush()
		case unicode.IsUpper(c) && unicode.IsLower(prev):
			flush()
			cur = append(cur, c)
		default:
			cur = append(cur, c)
		}
		prev = c
	}
	flush()
	return words
}
