// Package ident finds identifiers of a person (HIPAA Safe Harbor's list)
// in decoded field values: email, phone, SSN, date of birth, ZIP, street
// address, medical record and member numbers, NPI, DEA number, payment
// card, name and IP address.
//
// Detection follows the Presidio pattern: a candidate is found by shape,
// validated (checksums, number ranges, known TLDs) and dropped if
// validation fails, then scored; the field's key ("dob", "ud[em]") or a
// context word just before the candidate ("MRN:", "date of birth") raises
// the score. Identifiers whose shape alone says nothing (a bare nine-digit
// SSN, a ZIP, an MRN, a date of birth, an NPI, a DEA number) are
// reported only with such context.
//
// Names come from name keys (each SDK's own: first_name, $name,
// displayName, traits.name...) and from free text: a name introduced by
// context ("my name is", "Patient:", "I'm", "Mrs."), or a capitalised
// given name and surname both in the embedded frequency lists
// (data/first_names.txt, data/surnames.txt) and standing alone. A name
// after "Dr." or before "MD" is a clinician's and carries Provider.
package ident

import (
	"cmp"
	"hash/maphash"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/phiproxy/phiproxy"
)

// Match is one identifier found in a value.
type Match struct {
	Kind phiproxy.Kind
	// Text is the identifier exactly as it appears: value[Start:End].
	Text string
	// Normalized is the canonical form: lower-case email, phone digits
	// with country code ("15551234567"), SSN and card digits, date of
	// birth "YYYY-MM-DD", five-digit ZIP, name in lower case, IP as
	// net/netip prints it, MRN and member ID as found.
	Normalized string
	// Start and End are byte offsets in the value.
	Start, End int
	// Score is the confidence in [0,1]: shape alone is low, a passed
	// checksum or range check higher, context highest.
	Score float64
	// Reason says in a few words why it matched ("NANP phone, separators;
	// key context").
	Reason string
	// Provider is set on a name that is a clinician's (after "Dr.", under
	// a key such as "provider_name"), not a patient's.
	Provider bool
}

// maxValue bounds the text examined: values beyond it are scanned only in
// their first maxValue bytes, so a huge field cannot stall detection.
const maxValue = 256 << 10

// Find returns the identifiers in value, in order of Start, without
// overlaps (the higher score wins). key is the field's key, used as
// context; it may be empty. Find never panics and returns nil when nothing
// is found.
func Find(key, value string) []Match {
	return FindUnder("", key, value)
}

// FindUnder is Find for a field whose key sits in a parent member:
// "name" under "traits", "user", "$set" or "user_data" is a person's
// name, where "name" alone is any thing's name. parent matters only for
// the keys NeedsParent reports.
func FindUnder(parent, key, value string) []Match {
	if value == "" {
		return nil
	}
	if len(value) > maxValue {
		value = value[:maxValue]
	}
	kc := cachedKeyContext(key)
	if parent != "" && kc.name {
		kc = underParent(kc, parent)
	}
	var out []Match
	if strings.IndexByte(value, '@') >= 0 {
		out = findEmails(value, kc, out)
	}
	// Everything but emails and names has digits: most text values
	// ("page_view", "Add to Cart") skip the rest.
	if hasDigit(value) {
		out = findNumbers(value, kc, out)
		out = findIPv6(value, kc, out)
		out = findAddresses(value, kc, out)
		out = findContextIDs(value, kc, out)
		out = findWordDates(value, kc, out)
	}
	out = findKeyed(value, kc, out)
	out = findTextNames(value, kc, out)
	return resolve(out)
}

// hasDigit reports whether s has an ASCII digit: a byte loop, where
// strings.IndexAny would build its byte set on every call.
func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			return true
		}
	}
	return false
}

// resolve sorts matches by Start and, where two overlap, keeps the one
// with the higher score (the longer on a tie). One pass after a sort, so
// a value full of candidates stays O(n log n).
func resolve(ms []Match) []Match {
	if len(ms) < 2 {
		return ms
	}
	slices.SortStableFunc(ms, func(a, b Match) int { return cmp.Compare(a.Start, b.Start) })
	kept := ms[:1]
	for _, m := range ms[1:] {
		last := &kept[len(kept)-1]
		if m.Start >= last.End {
			kept = append(kept, m)
			continue
		}
		if m.Score > last.Score || m.Score == last.Score && m.End-m.Start > last.End-last.Start {
			*last = m
			// The replacement may reach back over the one before it.
			for len(kept) > 1 && kept[len(kept)-2].End > kept[len(kept)-1].Start {
				prev := kept[len(kept)-2]
				if prev.Score >= kept[len(kept)-1].Score {
					kept = kept[:len(kept)-1]
				} else {
					kept[len(kept)-2] = kept[len(kept)-1]
					kept = kept[:len(kept)-1]
				}
			}
		}
	}
	return kept
}

// score adds context to a base score, capped at 1 (or 0.99 so that only
// exact persona values reach 1).
func score(base float64, context bool) float64 {
	if context {
		base += 0.15
	}
	if base > 0.99 {
		base = 0.99
	}
	return base
}

// reason appends "; key context" or "; context word" to why.
func reason(why string, key, near bool) string {
	switch {
	case key:
		return why + "; key context"
	case near:
		return why + "; context word"
	}
	return why
}

// keyCtx says which identifier kinds the field's key points at.
type keyCtx struct {
	email, phone, ssn, dob, zip, address bool
	mrn, member, npi, dea, card, ip      bool
	firstName, lastName, fullName, name  bool
	providerName                         bool // a clinician's name: "provider_name", "doctor.name"
	version                              bool // a version/build key: dotted numbers are not IPs or dates
}

// keyCache remembers keyContext per key: the same few hundred keys recur
// in every beacon. It is a direct-mapped table of immutable entries, read
// without a lock: a sync.Map costs an interface hash and compare per
// lookup, more than the keys' context is worth on the hot path. A key that
// collides replaces the one before it.
var keyCache struct {
	seed  maphash.Seed
	slots [keyCacheSlots]atomic.Pointer[keyEntry]
}

// keyCacheSlots bounds the table; keys longer than keyCacheMaxKey are
// not remembered (they are rare and mostly unique).
const (
	keyCacheSlots  = 2048
	keyCacheMaxKey = 64
)

type keyEntry struct {
	key string
	kc  keyCtx
}

func init() { keyCache.seed = maphash.MakeSeed() }

func cachedKeyContext(key string) keyCtx {
	if len(key) > keyCacheMaxKey {
		return keyContext(key)
	}
	slot := &keyCache.slots[maphash.String(keyCache.seed, key)%keyCacheSlots]
	if e := slot.Load(); e != nil && e.key == key {
		return e.kc
	}
	kc := keyContext(key)
	slot.Store(&keyEntry{key: strings.Clone(key), kc: kc})
	return kc
}

// providerRoles are the roles an NPI or DEA key names. Form builders that
// strip separators glue the role to the identifier ("referringnpi",
// "prescriberdea"), leaving one word that has("npi") cannot see; the role
// keeps a bare suffix match ("idea") out.
var providerRoles = []string{"provider", "prescriber", "prescribing", "referring", "attending", "rendering", "ordering", "billing", "physician", "doctor", "practitioner", "pharmacy"}

// gluedToRole reports whether compact is a provider role followed by id.
func gluedToRole(compact, id string) bool {
	for _, r := range providerRoles {
		if len(compact) == len(r)+len(id) && strings.HasPrefix(compact, r) && strings.HasSuffix(compact, id) {
			return true
		}
	}
	return false
}

// keyContext reads the field key. Only the innermost part counts:
// "ud[em]" → "em", "cd[buttonText]" → "buttonText".
func keyContext(key string) keyCtx {
	var kc keyCtx
	if key == "" {
		return kc
	}
	if i := strings.LastIndexByte(key, '['); i >= 0 {
		inner := strings.TrimRight(key[i+1:], "]")
		if inner != "" {
			key = inner
		}
	}
	words := splitWords(key)
	if len(words) == 0 {
		return kc
	}
	compact := strings.Join(words, "")
	has := func(ws ...string) bool {
		for _, w := range words {
			for _, x := range ws {
				if w == x {
					return true
				}
			}
		}
		return false
	}
	contains := func(parts ...string) bool {
		for _, p := range parts {
			if strings.Contains(compact, p) {
				return true
			}
		}
		return false
	}
	kc.version = has("version", "ver", "v", "build", "release", "sdk", "rev", "revision", "lib", "lv") || contains("version")
	kc.email = has("email", "mail", "em", "hem", "emails") || contains("email")
	kc.phone = has("phone", "ph", "tel", "telephone", "mobile", "cell", "fax", "msisdn", "sms") || contains("phone")
	kc.ssn = has("ssn", "ssn4") || contains("socialsecurity", "ssn")
	kc.dob = has("dob", "birthday", "birthdate", "bday", "db", "birth", "born") || contains("birth", "dob")
	kc.zip = has("zip", "zipcode", "postal", "postcode", "zp", "zip5") || contains("zipcode", "postalcode", "postcode")
	kc.address = (has("address", "addr", "street", "address1", "address2", "line1", "line2", "addr1", "addr2") || contains("streetaddress", "homeaddress", "mailingaddress", "addressline")) &&
		!has("email", "ip", "mac", "wallet", "url", "web", "server", "remote", "client")
	kc.mrn = has("mrn") || contains("medicalrecord", "patientid", "patientnumber", "chartnumber", "chartid", "patientmrn")
	kc.member = contains("memberid", "membernumber", "subscriberid", "subscribernumber", "policynumber", "policyid", "insuranceid", "beneficiaryid", "healthplanid", "memberno")
	kc.npi = has("npi") || contains("npinumber", "providernpi") || gluedToRole(compact, "npi")
	kc.dea = has("dea") || contains("deanumber") || gluedToRole(compact, "dea")
	kc.card = has("card", "cc", "pan", "ccnum", "cardnumber", "creditcard") || contains("cardnumber", "creditcard", "ccnumber")
	kc.ip = has("ip", "ipv4", "ipv6", "ipaddress", "uip", "cip") || contains("ipaddress", "clientip", "remoteaddr", "xforwardedfor", "xrealip", "ipoverride")
	switch {
	case firstNameKeys[compact]:
		kc.firstName = true
	case lastNameKeys[compact]:
		kc.lastName = true
	case providerNameKeys[compact]:
		kc.providerName = true
	case fullNameKeys[compact] || key == "$name":
		// Mixpanel's and Klaviyo's reserved "$name" is the profile's
		// person, unlike a bare "name".
		kc.fullName = true
	case compact == "name":
		kc.name = true
	}
	return kc
}

// Keys that hold a person's given name, surname or whole name, compacted
// (separators dropped, lower case): first_name, firstName, FirstName,
// $first_name and HubSpot's firstname are all "firstname". They cover the
// SDKs' reserved traits (Segment firstName/lastName/name, Mixpanel and
// Klaviyo $first_name/$last_name/$name, HubSpot firstname/lastname, Braze
// first_name/last_name, FullStory displayName, Sentry username, Zendesk
// display_name) and common form field names.
var (
	firstNameKeys = wordSet(`firstname fn fname givenname forename first given preferredname nickname
		middlename namefirst firstnm`)
	lastNameKeys = wordSet(`lastname ln lname surname familyname last maidenname namelast lastnm`)
	fullNameKeys = wordSet(`fullname patientname membername contactname customername legalname
		subscribername displayname username realname personname clientname visitorname recipientname
		cardholdername cardholder nameoncard billingname shippingname guardianname parentname insuredname
		policyholdername policyholder accountholder accountholdername sendername callername yourname
		emergencycontactname contactperson spousename beneficiaryname dependentname caregivername
		applicantname requestername respondentname participantname attendeename studentname
		employeename buyername namefull`)
	providerNameKeys = wordSet(`doctorname providername physicianname clinicianname practitionername
		therapistname prescribername drname referringphysician referringprovider pcpname
		attendingphysician nursename counselorname psychiatristname`)
)

// personParentWords name the members whose "name" is a person's: Segment
// traits, Sentry and Datadog user/usr, PostHog and Mixpanel $set,
// Amplitude user_properties, Intercom user_data, identify calls.
var personParentWords = wordSet(`user users usr traits identity identify profile person people customer
	customers patient patients member members contact contacts visitor visitors lead leads subscriber
	recipient sender requester caller applicant insured policyholder guardian spouse dependent
	beneficiary cardholder billing shipping set setonce guest`)

// providerParentWords name the members whose "name" is a clinician's.
var providerParentWords = wordSet(`doctor doctors provider providers physician physicians clinician clinicians
	practitioner practitioners therapist therapists prescriber pcp nurse counselor psychiatrist`)

// NeedsParent reports whether FindUnder reads the parent member for key:
// only a bare "name" depends on what holds it.
//
// It is called for every field, so it reads the key itself rather than
// the key cache: a bare "name" is four letters among separators ("name",
// "Name", "_name").
func NeedsParent(key string) bool {
	if len(key) < 4 || len(key) > 8 {
		return false
	}
	n := 0
	for i := 0; i < len(key); i++ {
		c := key[i]
		if isAlnum(c) {
			if n == 4 || c|0x20 != "name"[n] {
				return false
			}
			n++
		}
	}
	return n == 4
}

// underParent turns a bare "name" key into a person's or clinician's
// name key when its parent member says so.
func underParent(kc keyCtx, parent string) keyCtx {
	ws := splitWords(parent)
	if len(ws) == 0 {
		return kc
	}
	for _, w := range ws {
		if providerParentWords[w] {
			kc.name, kc.providerName = false, true
			return kc
		}
	}
	// The nearest word decides: "user_data" and "$set" are people,
	// "user_agent"... is not a member that holds a "name".
	for _, w := range ws {
		if personParentWords[w] {
			kc.name, kc.fullName = false, true
			return kc
		}
	}
	return kc
}

// splitWords splits a key into lower-case words on separators and camel
// joins: "dateOfBirth" → [date of birth], "member_id" → [member id].
func splitWords(s string) []string {
	var words []string
	var cur []byte
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			cur = append(cur, c)
		case c >= 'A' && c <= 'Z':
			if len(cur) > 0 {
				prev := s[i-1]
				nextLower := i+1 < len(s) && s[i+1] >= 'a' && s[i+1] <= 'z'
				if prev >= 'a' && prev <= 'z' || prev >= '0' && prev <= '9' || prev >= 'A' && prev <= 'Z' && nextLower {
					flush()
				}
			}
			cur = append(cur, c+('a'-'A'))
		default:
			flush()
		}
	}
	flush()
	return words
}

// nearby reports whether one of words ends within the 40 bytes before
// start in value, as a whole word (ASCII case-insensitive): "MRN: 1234567",
// "date of birth 01/02/1980". words must be lower case.
func nearby(value string, start int, words ...string) bool {
	from := start - 40
	if from < 0 {
		from = 0
	}
	window := value[from:start]
	for _, w := range words {
		for i := 0; i+len(w) <= len(window); i++ {
			if !equalFoldASCII(window[i:i+len(w)], w) {
				continue
			}
			before := i == 0 || !isAlnum(window[i-1])
			after := i+len(w) == len(window) || !isAlnum(window[i+len(w)])
			if before && after {
				return true
			}
		}
	}
	return false
}

// equalFoldASCII compares s to lower-case w ignoring ASCII case.
func equalFoldASCII(s, w string) bool {
	for i := 0; i < len(w); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[i] {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
