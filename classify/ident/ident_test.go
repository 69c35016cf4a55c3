package ident

import (
	"fmt"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/benchcpu"
)

// render writes matches as "kind:text=normalized" for compact comparison.
func render(ms []Match) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, fmt.Sprintf("%s:%s=%s", m.Kind, m.Text, m.Normalized))
	}
	return strings.Join(parts, "; ")
}

func TestFind(t *testing.T) {
	tests := []struct {
		name, key, value, want string
	}{
		// Email.
		{"email", "", "contact jane.doe+test@Example.COM today", "email:jane.doe+test@Example.COM=jane.doe+test@example.com"},
		{"email end of sentence", "", "write to a@b-c.org.", "email:a@b-c.org=a@b-c.org"},
		{"email country tld", "em", "x_y@mail.co.uk", "email:x_y@mail.co.uk=x_y@mail.co.uk"},
		{"neg retina asset", "src", "logo@2x.png", ""},
		{"neg package version", "", "sentry@7.119.0", ""},
		{"neg unknown tld", "", "user@host.invalidtld", ""},
		{"neg no domain dot", "", "user@localhost", ""},
		{"neg double dot local", "", "a..b@example.com", ""},

		// Phone.
		{"phone dashes", "", "call 617-555-0123 now", "phone:617-555-0123=16175550123"},
		{"phone parens", "", "(212) 867-5309", "phone:(212) 867-5309=12128675309"},
		{"phone dots", "", "tel 415.555.2671", "phone:415.555.2671=14155552671"},
		{"phone leading 1", "", "1-800-273-8255", "phone:1-800-273-8255=18002738255"},
		{"phone e164 us", "", "+1 415 555 2671", "phone:+1 415 555 2671=14155552671"},
		{"phone e164 uk", "", "+44 20 7946 0958", "phone:+44 20 7946 0958=442079460958"},
		{"phone e164 compact", "ph", "+14155552671", "phone:+14155552671=14155552671"},
		{"phone bare with key", "phone", "4155552671", "phone:4155552671=14155552671"},
		{"phone bare with word", "", "my cell 4155552671", "phone:4155552671=14155552671"},
		{"phone spaces with key", "mobileNumber", "415 555 2671", "phone:415 555 2671=14155552671"},
		{"neg phone bare no context", "order_id", "4155552671", ""},
		{"neg phone spaces no context", "", "415 555 2671", ""},
		{"neg area code 0", "", "015-555-2671", ""},
		{"neg exchange 1", "", "415-155-2671", ""},
		{"neg N11 area", "", "911-555-2671", ""},
		{"neg longer number", "", "415-555-2671-99", ""},
		{"neg in uuid", "", "123e4567-e89b-12d3-a456-426614174000", ""},
		{"neg order number", "", "Order #4155552671 confirmed", ""},
		{"neg e164 leading 0", "", "+0123456789", ""},

		// SSN.
		{"ssn dashed", "", "SSN 123-45-6788", "ssn:123-45-6788=123456788"},
		{"ssn dashed no context", "", "id 219-09-9990", "ssn:219-09-9990=219099990"},
		{"ssn bare key", "ssn", "219099990", "ssn:219099990=219099990"},
		{"ssn bare word", "", "social security number 219099990", "ssn:219099990=219099990"},
		{"ssn spaced key", "social_security_number", "219 09 9990", "ssn:219 09 9990=219099990"},
		{"neg ssn area 000", "ssn", "000-12-3456", ""},
		{"neg ssn area 666", "", "666-12-3456", ""},
		{"neg ssn area 9xx", "", "912-12-3456", ""},
		{"neg ssn group 00", "", "123-00-3456", ""},
		{"neg ssn serial 0000", "", "123-45-0000", ""},
		{"neg ssn bare no context", "amount", "219099990", ""},
		{"neg ssn spaced no context", "", "219 09 9990", ""},

		// Date of birth.
		{"dob iso key", "dob", "1980-01-02", "dob:1980-01-02=1980-01-02"},
		{"dob us key", "date_of_birth", "01/02/1980", "dob:01/02/1980=1980-01-02"},
		{"dob dmy key", "birthDate", "31.12.1975", "dob:31.12.1975=1975-12-31"},
		{"dob meta db", "ud[db]", "19800102", "dob:19800102=1980-01-02"},
		{"dob timestamp key", "birthday", "1980-01-02T00:00:00Z", "dob:1980-01-02=1980-01-02"},
		{"dob word", "", "my date of birth is 3/14/1962 thanks", "dob:3/14/1962=1962-03-14"},
		{"dob written", "", "I was born on March 14, 1962.", "dob:March 14, 1962=1962-03-14"},
		{"dob written dmy key", "dob", "14 Mar 1962", "dob:14 Mar 1962=1962-03-14"},
		{"neg plain date", "created_at", "2024-01-15", ""},
		{"neg timestamp", "ts", "2024-01-15T10:22:33Z", ""},
		{"neg date text", "", "Sale ends 12/31/2024", ""},
		{"neg dob invalid day", "dob", "1980-02-30", ""},
		{"neg dob version key", "version", "2024.01.15", ""},
		{"neg epoch millis", "dob_updated", "1700000000000", ""},

		// ZIP.
		{"zip key", "zip", "02139", "zip:02139=02139"},
		{"zip plus4 key", "postalCode", "02139-4307", "zip:02139-4307=02139"},
		{"zip meta", "ud[zp]", "94103", "zip:94103=94103"},
		{"zip nine bare", "zip_code", "021394307", "zip:021394307=02139"},
		{"zip word", "", "ZIP code: 10001", "zip:10001=10001"},
		{"neg zip no context", "qty", "02139", ""},
		{"neg zip zeros", "zip", "00000", ""},

		// Address.
		{"address", "", "ship to 742 Evergreen Terrace, Springfield", "address:742 Evergreen Terrace=742 Evergreen Terrace"},
		{"address unit", "address", "1600 Pennsylvania Ave NW Suite 200", "address:1600 Pennsylvania Ave NW Suite 200=1600 Pennsylvania Ave NW Suite 200"},
		{"address abbrev dot", "", "12B W. 42nd St. apt", "address:12B W. 42nd St.=12B W. 42nd St."},
		{"neg address no street name", "", "2 Way radio", ""},
		{"neg address no suffix", "", "3 items in your cart", ""},

		// MRN and member IDs.
		{"mrn key", "mrn", "00123456", "mrn:00123456=00123456"},
		{"mrn key camel", "patientId", "PT-0098123", "mrn:PT-0098123=PT-0098123"},
		{"mrn text", "blocks", "hi, my MRN: 00123456 thanks", "mrn:00123456=00123456"},
		{"member key", "member_id", "XJH123456789", "member_id:XJH123456789=XJH123456789"},
		{"member key compact", "memberid", "W123456789", "member_id:W123456789=W123456789"},
		{"subscriber key", "subscriberId", "ABC12345", "member_id:ABC12345=ABC12345"},
		{"member text", "", "Member ID is XJH123456789.", "member_id:XJH123456789=XJH123456789"},
		{"neg mrn no digits", "mrn", "unknown", ""},
		{"neg member no context", "sku", "XJH123456789", ""},

		// NPI and DEA.
		{"npi key", "npi", "1245319599", "npi:1245319599=1245319599"},
		{"npi word", "", "Provider NPI 1245319599", "npi:1245319599=1245319599"},
		{"neg npi checksum", "npi", "1245319598", ""},
		{"neg npi no context", "order", "1245319599", ""},
		{"npi key glued to role", "referringnpi", "1245319599", "npi:1245319599=1245319599"},
		{"dea key", "dea", "AB1234563", "dea:AB1234563=AB1234563"},
		{"dea text", "", "DEA # BJ6125341", "dea:BJ6125341=BJ6125341"},
		{"neg dea checksum", "dea", "AB1234567", ""},
		{"neg dea no context", "sku", "AB1234563", ""},

		// Payment cards.
		{"card visa grouped", "", "4111 1111 1111 1111", "card:4111 1111 1111 1111=4111111111111111"},
		{"card amex grouped", "", "3782-822463-10005", "card:3782-822463-10005=378282246310005"},
		{"card bare mastercard", "", "5555555555554444", "card:5555555555554444=5555555555554444"},
		{"card 2-series", "pan", "2223003122003222", "card:2223003122003222=2223003122003222"},
		{"neg card luhn", "", "4111111111111112", ""},
		{"neg card unknown iin", "", "9111111111111110", ""},
		{"neg epoch millis", "", "1700000000000", ""},

		// Names.
		{"first name", "first_name", "María", "name:María=maría"},
		{"meta fn", "ud[fn]", "jane", "name:jane=jane"},
		{"last name", "lastName", "O'Neil-Smith", "name:O'Neil-Smith=o'neil-smith"},
		{"full name", "full_name", "Jane Q. Public", "name:Jane Q. Public=jane q. public"},
		{"generic name", "name", "Margaret Hamilton", "name:Margaret Hamilton=margaret hamilton"},
		{"neg generic name event", "name", "Add to Cart", ""},
		{"neg generic name single", "name", "Checkout", ""},
		{"neg generic name ui", "name", "Page View", ""},
		{"neg generic name caps", "name", "SUBMIT FORM", ""},
		{"neg first name placeholder", "fn", "First Name", ""},
		{"neg first name hash", "fn", "2c70e12b7a0646f92279f427c7b38e7334d8e5389cff167a1dc30e73f826b683", ""},
		{"neg first name digits", "first_name", "user123", ""},
		{"neg placeholder", "full_name", "John Doe", ""},

		// IP addresses.
		{"ipv4", "", "client 203.0.113.77 connected", "ip:203.0.113.77=203.0.113.77"},
		{"ipv4 key", "ip", "8.8.8.8", "ip:8.8.8.8=8.8.8.8"},
		{"ipv6", "", "from 2001:db8::8a2e:370:7334", "ip:2001:db8::8a2e:370:7334=2001:db8::8a2e:370:7334"},
		{"ipv6 full", "uip", "2001:0db8:0000:0000:0000:ff00:0042:8329", "ip:2001:0db8:0000:0000:0000:ff00:0042:8329=2001:db8::ff00:42:8329"},
		{"neg version key", "version", "10.2.33.4", ""},
		{"neg version-like", "", "sdk 1.2.3.4", ""},
		{"neg v prefix", "", "v10.2.33.4", ""},
		{"neg five parts", "", "10.2.33.4.5", ""},
		{"neg octet range", "", "300.1.1.1", ""},
		{"neg leading zero", "", "10.02.33.4", ""},
		{"neg time", "", "10:00:00", ""},
		{"neg mac", "", "00:1a:2b:3c:4d:5e", ""},
		{"neg user agent", "ua", "Chrome/120.0.6099.109 Safari/537.36", ""},

		// Hard negatives of ordinary analytics.
		{"neg price", "price", "1299.99", ""},
		{"neg uuid", "event_id", "550e8400-e29b-41d4-a716-446655440000", ""},
		{"neg cid", "cid", "1234567890.1700000000", ""},
		{"neg empty", "email", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Find(tt.key, tt.value)
			if r := render(got); r != tt.want {
				t.Fatalf("Find(%q, %q): got %q, want %q", tt.key, tt.value, r, tt.want)
			}
			for _, m := range got {
				if m.Text != tt.value[m.Start:m.End] {
					t.Fatalf("Text %q != value[%d:%d] %q", m.Text, m.Start, m.End, tt.value[m.Start:m.End])
				}
				if m.Score <= 0 || m.Score > 1 || m.Reason == "" {
					t.Fatalf("score %v reason %q: want score in (0,1] and a reason", m.Score, m.Reason)
				}
			}
		})
	}
}

// TestContextRaisesScore checks the Presidio-style ordering: the same
// value scores higher with a context key than without.
func TestContextRaisesScore(t *testing.T) {
	tests := []struct{ key, value string }{
		{"email", "jane@example.com"},
		{"phone", "617-555-0123"},
		{"ip", "203.0.113.77"},
		{"card_number", "4111 1111 1111 1111"},
		{"address1", "742 Evergreen Terrace"},
	}
	for _, tt := range tests {
		with, without := Find(tt.key, tt.value), Find("x", tt.value)
		if len(with) != 1 || len(without) != 1 {
			t.Fatalf("%s: got %d and %d matches, want 1 and 1", tt.key, len(with), len(without))
		}
		if with[0].Score <= without[0].Score {
			t.Errorf("%s: score with key %v, without %v: want higher with key", tt.key, with[0].Score, without[0].Score)
		}
		if !strings.Contains(with[0].Reason, "context") {
			t.Errorf("%s: reason %q should mention context", tt.key, with[0].Reason)
		}
	}
}

func TestSeveral(t *testing.T) {
	v := "Patient Jane, DOB 04/05/1971, phone (617) 555-0123, email jane@example.org, MRN 00123456, lives at 12 Oak St"
	got := Find("message", v)
	kinds := map[phiproxy.Kind]bool{}
	for _, m := range got {
		kinds[m.Kind] = true
	}
	for _, k := range []phiproxy.Kind{phiproxy.KindDOB, phiproxy.KindPhone, phiproxy.KindEmail, phiproxy.KindMRN, phiproxy.KindAddress} {
		if !kinds[k] {
			t.Errorf("kind %s missing from %s", k, render(got))
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i].Start < got[i-1].End {
			t.Fatalf("overlap: %s", render(got))
		}
	}
}

func TestChecksums(t *testing.T) {
	if !luhn("79927398713") || luhn("79927398710") {
		t.Error("luhn: known vector")
	}
	if !validNPI("1234567893") || validNPI("1234567890") {
		t.Error("validNPI: CMS example 1234567893")
	}
	if !validDEA("AB1234563") || validDEA("IB1234563") {
		t.Error("validDEA: AB1234563 valid, I is not a registrant type")
	}
}

func TestKeyContext(t *testing.T) {
	tests := []struct {
		key  string
		want func(keyCtx) bool
	}{
		{"ud[em]", func(k keyCtx) bool { return k.email }},
		{"dateOfBirth", func(k keyCtx) bool { return k.dob }},
		{"MemberID", func(k keyCtx) bool { return k.member }},
		{"medical_record_number", func(k keyCtx) bool { return k.mrn }},
		{"ip_address", func(k keyCtx) bool { return k.ip && !k.address }},
		{"email_address", func(k keyCtx) bool { return k.email && !k.address }},
		{"app_version", func(k keyCtx) bool { return k.version }},
		{"event_name", func(k keyCtx) bool { return !k.name && !k.fullName }},
		{"referringnpi", func(k keyCtx) bool { return k.npi }},
		{"prescriberdea", func(k keyCtx) bool { return k.dea }},
		{"bigidea", func(k keyCtx) bool { return !k.dea }},
		{"addressline1", func(k keyCtx) bool { return k.address }},
	}
	for _, tt := range tests {
		if !tt.want(keyContext(tt.key)) {
			t.Errorf("keyContext(%q): got %+v", tt.key, keyContext(tt.key))
		}
	}
}

func TestHugeValue(t *testing.T) {
	v := strings.Repeat("1-", maxValue) + " jane@example.com"
	_ = Find("x", v) // must return, bounded by maxValue
	long := strings.Repeat("a", 100) + "@" + strings.Repeat("b", 300) + ".com"
	if got := Find("", long); len(got) != 0 {
		t.Fatalf("over-long address: got %s", render(got))
	}
}

func FuzzFind(f *testing.F) {
	seeds := [][2]string{
		{"", "call 617-555-0123"}, {"dob", "1980-01-02"}, {"", "+44 20 7946 0958"},
		{"", "4111 1111 1111 1111"}, {"", "2001:db8::1"}, {"mrn", "00123456"}, {"", "MRN: 0012"},
		{"", "742 Evergreen Terrace"}, {"name", "Jane Doe"}, {"", "a@b.co"}, {"", "((((1"}, {"", "+"},
		{"", "born March 14, 1962"}, {"dea", "AB1234563"}, {"", "\xff@\xfe.com"},
		{"", "my name is Rosalind Featherstone and I"}, {"", "Dr. J. Smith."}, {"", "I’m Will Brown"},
		{"", "Patient: Jane Q. Public"}, {"provider_name", "Dr. "}, {"", "Mrs. \xc3"}, {"", "Margaret J. "},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		got := Find(key, value)
		for i, m := range got {
			if m.Start < 0 || m.End > len(value) || m.Start >= m.End {
				t.Fatalf("bad span [%d,%d) in %q", m.Start, m.End, value)
			}
			if m.Text != value[m.Start:m.End] {
				t.Fatalf("Text %q != value[%d:%d]", m.Text, m.Start, m.End)
			}
			if i > 0 && m.Start < got[i-1].End {
				t.Fatalf("overlapping matches %s", render(got))
			}
		}
	})
}

func BenchmarkFind(b *testing.B) {
	fields := [][2]string{
		{"en", "page_view"}, {"dl", "https://www.example.com/products/shoes?color=blue&size=10"},
		{"dt", "Summer Sale - 30% off"}, {"cid", "1234567890.1700000000"}, {"ts", "2024-01-15T10:22:33Z"},
		{"ua", "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.6099.109 Safari/537.36"},
		{"ud[em]", "2c70e12b7a0646f92279f427c7b38e7334d8e5389cff167a1dc30e73f826b683"},
		{"email", "jane@example.com"}, {"phone", "617-555-0123"}, {"name", "Add to Cart"},
		{"blocks", "Hi, my MRN: 00123456 and I was born 04/05/1971, call me at (617) 555-0123."},
	}
	total := 0
	for _, f := range fields {
		total += len(f[1])
	}
	b.SetBytes(int64(total))
	start := benchcpu.Now()
	for b.Loop() {
		for _, f := range fields {
			Find(f[0], f[1])
		}
	}
	benchcpu.Report(b, start, 0)
}

// TestConcurrentFind exercises the key cache from several goroutines
// (run with -race).
func TestConcurrentFind(t *testing.T) {
	done := make(chan string, 4)
	for g := 0; g < 4; g++ {
		go func(g int) {
			var got string
			for i := 0; i < 200; i++ {
				got = render(Find(fmt.Sprintf("phone%d", i%50), "617-555-0123"))
			}
			done <- got
		}(g)
	}
	for g := 0; g < 4; g++ {
		if got, want := <-done, "phone:617-555-0123=16175550123"; got != want {
			t.Fatalf("concurrent Find: got %q, want %q", got, want)
		}
	}
}

func TestHostileInput(t *testing.T) {
	for _, in := range []string{
		strings.Repeat("1 ", maxValue/2),
		strings.Repeat("a@", maxValue/2),
		strings.Repeat("::1", maxValue/3),
		strings.Repeat("MRN: ", maxValue/5),
		strings.Repeat("12 Oak ", maxValue/7),
	} {
		got := Find("dob", in)
		for i, m := range got {
			if m.Text != in[m.Start:m.End] || i > 0 && m.Start < got[i-1].End {
				t.Fatalf("bad match %+v", m)
			}
		}
	}
}

// TestHasMonthName holds the packed comparison to the word list, in every
// case mix and beside bytes that 0x20 does not turn into letters.
func TestHasMonthName(t *testing.T) {
	months := []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	for _, m := range months {
		for _, v := range []string{m, strings.ToUpper(m), strings.ToUpper(m[:1]) + m[1:], "on " + m + " 3", "3-" + m + "-2020"} {
			if !hasMonthName(v) {
				t.Errorf("hasMonthName(%q) = false", v)
			}
		}
	}
	for _, v := range []string{"", "ja", "jab", "xjan", "J@N", "j\x01n", "JA\x0e", "[an", "jun\x80"[1:], "@pr", "Ma\x19"} {
		if hasMonthName(v) {
			t.Errorf("hasMonthName(%q) = true", v)
		}
	}
}
