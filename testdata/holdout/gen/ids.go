package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// person is a fictitious patient. Phones use the reserved 555-01xx range and
// e-mail addresses the reserved example.* domains.
type person struct {
	first, last string
	email       string
	phone       string // canonical: digits with country code
	ssn         string // canonical: nine digits
	dob         string // canonical: YYYY-MM-DD
	street      string // lower-case canonical street line
	streetAs    string // as typed
	city, state string
	zip         string
	mrn         string // as written
	mrnAlt      []string
	member      string // as written
	memberAlt   []string
	card        string // canonical digits
	ip          string
	account     string // site account ID, used as Meta/TikTok external_id
}

func (p *person) name() string { return strings.ToLower(p.first + " " + p.last) }

// provider is a fictitious prescriber with valid NPI and DEA check digits.
type provider struct {
	first, last string
	npi, dea    string
}

var firstNames = []string{"Priya", "Tomasz", "Adaeze", "Wen", "Mateo", "Siobhan", "Kwame", "Lucia", "Dmitri", "Farah",
	"Hiroshi", "Marisol", "Oluwaseun", "Greta", "Rafael", "Yasmin", "Declan", "Ngozi", "Bjorn", "Camila",
	"Anil", "Rosalind", "Tariq", "Ingrid", "Esteban", "Mei", "Cormac", "Leilani", "Viktor", "Ayesha",
	"Thaddeus", "Paloma", "Jerome", "Svetlana", "Kofi", "Delphine", "Rohan", "Maren", "Ignacio", "Odessa"}

var lastNames = []string{"Raman", "Wisniewski", "Okonkwo", "Zhao", "Villanueva", "Brennan", "Asante", "Ferraro", "Volkov", "Haddad",
	"Tanaka", "Quintero", "Adeyemi", "Lindqvist", "Carvalho", "Nasser", "Gallagher", "Eze", "Halvorsen", "Restrepo",
	"Kapoor", "Whitfield", "Mansour", "Sorensen", "Delgado", "Lin", "Fitzgerald", "Kahale", "Petrov", "Siddiqui",
	"Abernathy", "Ibarra", "Batiste", "Morozova", "Mensah", "Laurent", "Bhatt", "Ekstrom", "Zamora", "Pruitt"}

// places are real city/ZIP pairs; street names are common ones.
var places = []struct{ city, state, zip string }{
	{"Chicago", "IL", "60647"}, {"Austin", "TX", "78704"}, {"Portland", "OR", "97214"}, {"Denver", "CO", "80206"},
	{"Atlanta", "GA", "30307"}, {"Seattle", "WA", "98117"}, {"Boston", "MA", "02130"}, {"Phoenix", "AZ", "85016"},
	{"Minneapolis", "MN", "55408"}, {"Nashville", "TN", "37206"}, {"Columbus", "OH", "43214"}, {"Raleigh", "NC", "27608"},
	{"Sacramento", "CA", "95818"}, {"Tucson", "AZ", "85719"}, {"Omaha", "NE", "68104"}, {"Pittsburgh", "PA", "15217"},
	{"Albuquerque", "NM", "87106"}, {"Madison", "WI", "53703"}, {"Richmond", "VA", "23220"}, {"Tampa", "FL", "33606"},
	{"Louisville", "KY", "40204"}, {"Spokane", "WA", "99203"}, {"Baltimore", "MD", "21218"}, {"Salt Lake City", "UT", "84105"},
	{"Kansas City", "MO", "64111"}, {"Providence", "RI", "02906"}, {"Boise", "ID", "83702"}, {"Oakland", "CA", "94610"},
	{"Dayton", "OH", "45409"}, {"Burlington", "VT", "05401"}, {"Savannah", "GA", "31401"}, {"Lexington", "KY", "40502"},
}

var streetNames = []string{"Maple", "Linden", "Wabash", "Juniper", "Sycamore", "Halsted", "Magnolia", "Chestnut", "Alder", "Birchwood",
	"Greenleaf", "Prospect", "Ridgeway", "Orchard", "Cottonwood", "Hawthorne", "Kenwood", "Lakeview", "Beacon", "Fairmount"}

var streetTypes = []struct{ short, long string }{{"st", "Street"}, {"ave", "Avenue"}, {"rd", "Road"}, {"blvd", "Boulevard"}, {"ln", "Lane"}, {"dr", "Drive"}, {"ct", "Court"}, {"way", "Way"}}

var areaCodes = []string{"312", "512", "503", "720", "404", "206", "617", "602", "612", "615", "614", "919", "916", "520", "402", "412", "505", "608", "804", "813"}

var emailDomains = []string{"example.com", "example.org", "example.net"}

// luhnDigit returns the check digit that makes digits+check pass Luhn.
func luhnDigit(digits string) byte {
	sum := 0
	double := true // the check digit will be rightmost, so the last payload digit is doubled
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}

func luhnValid(s string) bool {
	if len(s) < 2 {
		return false
	}
	return luhnDigit(s[:len(s)-1]) == s[len(s)-1]
}

func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

// npiNumber makes a 10-digit NPI whose check digit follows the Luhn rule
// over the 80840 prefix, as CMS specifies.
func npiNumber(r *rand.Rand) string {
	base := string(byte('1'+r.IntN(2))) + digits(r, 8)
	return base + string(luhnDigit("80840"+base))
}

func npiValid(s string) bool { return len(s) == 10 && luhnValid("80840"+s) }

// deaNumber makes a DEA registration number: registrant letter, the first
// letter of the last name, six digits and a check digit equal to the last
// digit of (d1+d3+d5) + 2*(d2+d4+d6).
func deaNumber(r *rand.Rand, last string) string {
	reg := "ABFGM"[r.IntN(5)]
	d := digits(r, 6)
	return string(reg) + strings.ToUpper(last[:1]) + d + string(deaCheck(d))
}

func deaCheck(d string) byte {
	n := func(i int) int { return int(d[i] - '0') }
	return byte('0' + (n(0)+n(2)+n(4)+2*(n(1)+n(3)+n(5)))%10)
}

// ssnNumber follows the SSA rules: area not 000, 666 or 900-999, group not
// 00, serial not 0000.
func ssnNumber(r *rand.Rand) string {
	area := 1 + r.IntN(898)
	for area == 666 {
		area = 1 + r.IntN(898)
	}
	return fmt.Sprintf("%03d%02d%04d", area, 1+r.IntN(99), 1+r.IntN(9999))
}

// cardNumber makes a Luhn-valid Visa, Mastercard, Amex or Discover number.
func cardNumber(r *rand.Rand) string {
	var prefix string
	n := 16
	switch r.IntN(4) {
	case 0:
		prefix = "4"
	case 1:
		prefix = fmt.Sprintf("5%d", 1+r.IntN(5))
	case 2:
		prefix = []string{"34", "37"}[r.IntN(2)]
		n = 15
	default:
		prefix = "6011"
	}
	body := prefix + digits(r, n-1-len(prefix))
	return body + string(luhnDigit(body))
}

// publicIP draws an address outside private, loopback, link-local,
// documentation, multicast and reserved ranges.
func publicIP(r *rand.Rand) string {
	firsts := []int{24, 47, 50, 67, 68, 71, 73, 76, 98, 99, 107, 108, 136, 142, 162, 166, 173, 174, 184, 209}
	return fmt.Sprintf("%d.%d.%d.%d", firsts[r.IntN(len(firsts))], r.IntN(256), r.IntN(256), 1+r.IntN(254))
}

// mbiNumber makes a Medicare Beneficiary Identifier shape:
// C A AN N A AN N A A N N, letters excluding S L O I B Z.
func mbiNumber(r *rand.Rand) string {
	const letters = "ACDEFGHJKMNPQRTUVWXY"
	l := func() byte { return letters[r.IntN(len(letters))] }
	d := func() byte { return byte('0' + r.IntN(10)) }
	an := func() byte {
		if r.IntN(2) == 0 {
			return l()
		}
		return d()
	}
	return string([]byte{byte('1' + r.IntN(9)), l(), an(), d(), l(), an(), d(), l(), l(), d(), d()})
}

func makePeople(r *rand.Rand, n int) []*person {
	fi := r.Perm(len(firstNames))
	li := r.Perm(len(lastNames))
	var out []*person
	for i := 0; i < n; i++ {
		p := &person{first: firstNames[fi[i%len(fi)]], last: lastNames[li[i%len(li)]]}
		fl, ll := strings.ToLower(p.first), strings.ToLower(p.last)
		dom := emailDomains[r.IntN(len(emailDomains))]
		switch r.IntN(4) {
		case 0:
			p.email = fl + "." + ll + "@" + dom
		case 1:
			p.email = fl[:1] + ll + fmt.Sprint(r.IntN(90)+10) + "@" + dom
		case 2:
			p.email = fl + "_" + ll[:3] + "@" + dom
		default:
			p.email = ll + "." + fl + fmt.Sprint(1960+r.IntN(45)) + "@" + dom
		}
		p.phone = "1" + areaCodes[r.IntN(len(areaCodes))] + "55501" + fmt.Sprintf("%02d", r.IntN(100))
		p.ssn = ssnNumber(r)
		p.dob = fmt.Sprintf("%04d-%02d-%02d", 1941+r.IntN(64), 1+r.IntN(12), 1+r.IntN(28))
		pl := places[i%len(places)]
		p.city, p.state, p.zip = pl.city, pl.state, pl.zip
		st := streetTypes[r.IntN(len(streetTypes))]
		num := fmt.Sprint(100 + r.IntN(9800))
		sn := streetNames[r.IntN(len(streetNames))]
		dir := ""
		if r.IntN(3) == 0 {
			dir = []string{"n ", "s ", "e ", "w "}[r.IntN(4)]
		}
		p.street = num + " " + dir + strings.ToLower(sn) + " " + st.short
		if r.IntN(2) == 0 {
			p.streetAs = num + " " + strings.ToUpper(dir) + sn + " " + st.long
			p.street = strings.ToLower(p.streetAs)
		} else {
			p.streetAs = num + " " + strings.ToUpper(dir) + sn + " " + strings.ToUpper(st.short[:1]) + st.short[1:]
		}
		switch r.IntN(3) {
		case 0:
			p.mrn = "MRN-" + digits(r, 8)
			p.mrnAlt = []string{p.mrn[4:]}
		case 1:
			p.mrn = "E" + digits(r, 9)
		default:
			p.mrn = digits(r, 7)
		}
		switch r.IntN(4) {
		case 0:
			p.member = "W" + digits(r, 9)
		case 1:
			m := mbiNumber(r)
			p.member = m[:4] + "-" + m[4:7] + "-" + m[7:]
			p.memberAlt = []string{m}
		case 2:
			p.member = string([]byte{"XJKYZ"[r.IntN(5)], "ABEGH"[r.IntN(5)], "PQRTW"[r.IntN(5)]}) + digits(r, 9)
		default:
			p.member = "U" + digits(r, 8) + "01"
		}
		p.card = cardNumber(r)
		p.ip = publicIP(r)
		p.account = fmt.Sprintf("%s%07d", []string{"P-", "acct_", "u"}[r.IntN(3)], r.IntN(10000000))
		out = append(out, p)
	}
	return out
}

var providerFirst = []string{"Elena", "Marcus", "Anjali", "Graham", "Noor", "Felix", "Bettina", "Omar", "Hannah", "Luis", "Keiko", "Samuel", "Ruth", "Arjun", "Celeste", "Tobias", "Imani", "Gideon", "Lorena", "Pavel", "Naomi", "Cyrus", "Ada", "Emil", "Shirin"}
var providerLast = []string{"Castellanos", "Yoon", "Ashworth", "Obi", "Varga", "Menon", "Hargrove", "Duarte", "Klein", "Sato", "Mbeki", "Rasmussen", "Oyelaran", "Pham", "Rios", "Novak", "Iyer", "Blackwood", "Achebe", "Lindgren", "Moreau", "Kowalczyk", "Vance", "Serrano", "Takahashi"}

func makeProviders(r *rand.Rand) []*provider {
	var out []*provider
	for i := range providerFirst {
		p := &provider{first: providerFirst[i], last: providerLast[i]}
		p.npi = npiNumber(r)
		p.dea = deaNumber(r, p.last)
		out = append(out, p)
	}
	return out
}

// phone renderings of a canonical 1NNNNNNNNNN number.
func phoneAs(r *rand.Rand, canon string) string {
	a, b, c := canon[1:4], canon[4:7], canon[7:]
	switch r.IntN(5) {
	case 0:
		return "(" + a + ") " + b + "-" + c
	case 1:
		return a + "-" + b + "-" + c
	case 2:
		return "+1 " + a + " " + b + " " + c
	case 3:
		return a + "." + b + "." + c
	default:
		return a + b + c
	}
}

func ssnAs(r *rand.Rand, s string) string {
	if r.IntN(3) == 0 {
		return s
	}
	return s[:3] + "-" + s[3:5] + "-" + s[5:]
}

func cardAs(r *rand.Rand, c string) string {
	switch r.IntN(3) {
	case 0:
		return c
	case 1:
		if len(c) == 15 {
			return c[:4] + " " + c[4:10] + " " + c[10:]
		}
		return c[:4] + " " + c[4:8] + " " + c[8:12] + " " + c[12:]
	default:
		if len(c) == 15 {
			return c[:4] + "-" + c[4:10] + "-" + c[10:]
		}
		return c[:4] + "-" + c[4:8] + "-" + c[8:12] + "-" + c[12:]
	}
}

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

func dobAs(r *rand.Rand, d string) string {
	y, m, day := d[:4], d[5:7], d[8:]
	switch r.IntN(4) {
	case 0:
		return m + "/" + day + "/" + y
	case 1:
		return d
	case 2:
		var mi, di int
		fmt.Sscanf(m, "%d", &mi)
		fmt.Sscanf(day, "%d", &di)
		return fmt.Sprintf("%s %d, %s", monthNames[mi-1], di, y)
	default:
		return m + "-" + day + "-" + y
	}
}
