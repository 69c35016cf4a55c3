package persona

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/benchcpu"
)

func testPersona() *Persona {
	return &Persona{
		FirstName: "Jane",
		LastName:  "O'Neil",
		Email:     "Jane.Doe@Gmail.com",
		Phone:     "(617) 555-0123",
		DOB:       "1971-04-05",
		Address:   "742 Evergreen Terrace",
		City:      "New York",
		State:     "NY",
		ZIP:       "02139-4307",
		MRN:       "MRN00123456",
		MemberID:  "XJH123456789",
		FreeText:  []string{"recurring panic attacks at night"},
	}
}

func sha256hex(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
func md5hex(s string) string    { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

// TestDisguises builds each disguise with the standard library and checks
// that Find names the right key, kind and disguise.
func TestDisguises(t *testing.T) {
	ix := NewIndex(testPersona())
	s256 := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
	s512 := func(s string) []byte { h := sha512.Sum512([]byte(s)); return h[:] }
	s1 := func(s string) []byte { h := sha1.Sum([]byte(s)); return h[:] }
	tests := []struct {
		name, in, key, disguise string
		kind                    phiproxy.Kind
	}{
		// Plain text and its variants.
		{"email plain", "Jane.Doe@Gmail.com", "email", "plain", phiproxy.KindEmail},
		{"email lower in text", `{"user":"jane.doe@gmail.com"}`, "email", "lower", phiproxy.KindEmail},
		{"email upper", "JANE.DOE@GMAIL.COM", "email", "upper", phiproxy.KindEmail},
		{"email gmail normalized", "janedoe@gmail.com", "email", "normalized", phiproxy.KindEmail},
		{"email percent", "u=" + url.QueryEscape("jane.doe@gmail.com") + "&x=1", "email", "percent", phiproxy.KindEmail},
		{"email percent twice", "u=" + url.QueryEscape(url.QueryEscape("jane.doe@gmail.com")), "email", "percent(percent)", phiproxy.KindEmail},
		{"email base64", base64.StdEncoding.EncodeToString([]byte("jane.doe@gmail.com")), "email", "base64", phiproxy.KindEmail},
		{"email base64url raw", base64.RawURLEncoding.EncodeToString([]byte("Jane.Doe@Gmail.com")), "email", "base64url", phiproxy.KindEmail},
		{"email base64 query", "data=" + base64.StdEncoding.EncodeToString([]byte("jane.doe@gmail.com")) + "&v=2", "email", "base64", phiproxy.KindEmail},
		{"email sha256 in path", "/p/" + base64.RawURLEncoding.EncodeToString(s256("jane.doe@gmail.com")) + "/x", "email", "sha256-base64url", phiproxy.KindEmail},
		{"email sha256 after dash", "id-" + base64.RawStdEncoding.EncodeToString(s256("jane.doe@gmail.com")), "email", "sha256-base64", phiproxy.KindEmail},
		{"email hex", hex.EncodeToString([]byte("jane.doe@gmail.com")), "email", "hex", phiproxy.KindEmail},
		{"first name plain", "Hello Jane, welcome", "first_name", "plain", phiproxy.KindName},
		{"last name lower", "o'neil", "last_name", "lower", phiproxy.KindName},
		{"last name letters", "oneil", "last_name", "normalized", phiproxy.KindName},
		{"phone formatted", "call (617) 555-0123", "phone", "plain", phiproxy.KindPhone},
		{"phone dashes", "617-555-0123", "phone", "normalized", phiproxy.KindPhone},
		{"phone e164", "+16175550123", "phone", "normalized", phiproxy.KindPhone},
		{"phone digits cc", "ph=16175550123", "phone", "normalized", phiproxy.KindPhone},
		{"dob plain", "1971-04-05", "dob", "plain", phiproxy.KindDOB},
		{"dob meta", "19710405", "dob", "normalized", phiproxy.KindDOB},
		{"dob us", "born 04/05/1971", "dob", "normalized", phiproxy.KindDOB},
		{"dob us short", "4/5/1971", "dob", "normalized", phiproxy.KindDOB},
		{"address", "ship to 742 Evergreen Terrace, Springfield", "address", "plain", phiproxy.KindAddress},
		{"city no spaces", "ct=newyork", "city", "normalized", phiproxy.KindAddress},
		{"city plain", "New York", "city", "plain", phiproxy.KindAddress},
		{"state whole", "NY", "state", "plain", phiproxy.KindAddress},
		{"state whole lower", "ny", "state", "lower", phiproxy.KindAddress},
		{"zip plain", "02139-4307", "zip", "plain", phiproxy.KindZIP},
		{"zip5", "zip 02139 ma", "zip", "normalized", phiproxy.KindZIP},
		{"mrn", "record MRN00123456 opened", "mrn", "plain", phiproxy.KindMRN},
		{"member", "XJH123456789", "member_id", "plain", phiproxy.KindMemberID},
		{"free text", "Message: I have Recurring panic attacks at night.", "free_text", "mixed-case", phiproxy.KindFreeText},

		// Digests.
		{"email sha256 meta", sha256hex("jane.doe@gmail.com"), "email", "sha256-hex", phiproxy.KindEmail},
		{"email sha256 upper", strings.ToUpper(sha256hex("jane.doe@gmail.com")), "email", "sha256-HEX", phiproxy.KindEmail},
		{"email sha256 google", "em=tv.1~em." + base64.RawURLEncoding.EncodeToString(s256("janedoe@gmail.com")), "email", "sha256-base64url", phiproxy.KindEmail},
		{"email sha256 base64 std", base64.StdEncoding.EncodeToString(s256("jane.doe@gmail.com")), "email", "sha256-base64", phiproxy.KindEmail},
		{"email md5", "hem=" + md5hex("jane.doe@gmail.com"), "email", "md5-hex", phiproxy.KindEmail},
		{"email sha1", hex.EncodeToString(s1("jane.doe@gmail.com")), "email", "sha1-hex", phiproxy.KindEmail},
		{"email sha512", hex.EncodeToString(s512("jane.doe@gmail.com")), "email", "sha512-hex", phiproxy.KindEmail},
		{"email sha256 of raw", sha256hex("Jane.Doe@Gmail.com"), "email", "sha256-hex", phiproxy.KindEmail},
		{"email double sha256", sha256hex(sha256hex("jane.doe@gmail.com")), "email", "sha256(sha256)-hex", phiproxy.KindEmail},
		{"email md5 of sha256", md5hex(sha256hex("jane.doe@gmail.com")), "email", "md5(sha256)-hex", phiproxy.KindEmail},
		{"email sha256 of md5", sha256hex(md5hex("jane.doe@gmail.com")), "email", "sha256(md5)-hex", phiproxy.KindEmail},
		{"phone sha256 meta", sha256hex("16175550123"), "phone", "sha256-hex", phiproxy.KindPhone},
		{"phone sha256 google", base64.RawURLEncoding.EncodeToString(s256("+16175550123")), "phone", "sha256-base64url", phiproxy.KindPhone},
		{"first name sha256", "ud[fn]=" + sha256hex("jane"), "first_name", "sha256-hex", phiproxy.KindName},
		{"last name sha256 letters", sha256hex("oneil"), "last_name", "sha256-hex", phiproxy.KindName},
		{"last name sha256 lower", sha256hex("o'neil"), "last_name", "sha256-hex", phiproxy.KindName},
		{"dob sha256", sha256hex("19710405"), "dob", "sha256-hex", phiproxy.KindDOB},
		{"city sha256", sha256hex("newyork"), "city", "sha256-hex", phiproxy.KindAddress},
		{"state sha256", sha256hex("ny"), "state", "sha256-hex", phiproxy.KindAddress},
		{"zip sha256", sha256hex("02139"), "zip", "sha256-hex", phiproxy.KindZIP},
		{"address sha256", sha256hex("742 evergreen terrace"), "address", "sha256-hex", phiproxy.KindAddress},
		{"mrn md5", md5hex("MRN00123456"), "mrn", "md5-hex", phiproxy.KindMRN},
		{"member sha256", sha256hex("XJH123456789"), "member_id", "sha256-hex", phiproxy.KindMemberID},
		{"free text sha1", hex.EncodeToString(s1("recurring panic attacks at night")), "free_text", "sha1-hex", phiproxy.KindFreeText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := ix.Find(tt.in)
			var got []string
			found := false
			for _, h := range hits {
				got = append(got, fmt.Sprintf("%s/%s/%s", h.Key, h.Kind, h.Disguise))
				if h.Key == tt.key && h.Kind == tt.kind && h.Disguise == tt.disguise {
					found = true
				}
				if h.Start < 0 || h.End > len(tt.in) || h.Start >= h.End {
					t.Fatalf("bad span [%d,%d) in %q", h.Start, h.End, tt.in)
				}
			}
			if !found {
				t.Fatalf("Find(%q): got %v, want %s/%s/%s", tt.in, got, tt.key, tt.kind, tt.disguise)
			}
		})
	}
}

func TestSpans(t *testing.T) {
	ix := NewIndex(testPersona())
	in := "em=tv.1~em." + base64.RawURLEncoding.EncodeToString(func() []byte { h := sha256.Sum256([]byte("janedoe@gmail.com")); return h[:] }()) + "&x=1"
	hits := ix.Find(in)
	if len(hits) != 1 {
		t.Fatalf("hits: got %d (%+v), want 1", len(hits), hits)
	}
	if got, want := in[hits[0].Start:hits[0].End], in[11:11+43]; got != want {
		t.Fatalf("span: got %q, want %q", got, want)
	}
	whole := sha256hex("jane")
	hits = ix.Find(whole)
	if len(hits) != 1 || hits[0].Start != 0 || hits[0].End != len(whole) {
		t.Fatalf("whole-value span: got %+v, want [0,%d)", hits, len(whole))
	}
}

func TestNegatives(t *testing.T) {
	ix := NewIndex(testPersona())
	tests := []string{
		"Janet Jackson",                             // name inside a longer word
		"MaryJane",                                  // name at the end of a word
		sha256hex("john.smith@gmail.com"),           // someone else's hash
		md5hex("other@example.com"),                 // someone else's md5
		sha256hex("jane.doe@gmail.com")[:63],        // a truncated digest
		"x" + sha256hex("jane.doe@gmail.com") + "0", // digest inside a longer hex run
		"NYC is big; SUNY; any",                     // state code in text
		"6175550123456",                             // phone digits inside a longer number
		"order 171-04-05",                           // not the date
		"newyorker magazine",                        // city form inside a word
		"",                                          // nothing
	}
	for _, in := range tests {
		if hits := ix.Find(in); len(hits) != 0 {
			t.Errorf("Find(%q): got %+v, want none", in, hits)
		}
	}
	var nilIndex *Index
	if hits := nilIndex.Find("Jane"); hits != nil {
		t.Errorf("nil Index: got %+v", hits)
	}
	if hits := NewIndex(nil).Find("Jane"); hits != nil {
		t.Errorf("empty Index: got %+v", hits)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"first_name":"Jane","email":"jane@example.com","dob":"1971-04-05","member_id":"X12","free_text":["a b"]}`)
	p, err := Load(good)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if p.FirstName != "Jane" || p.MemberID != "X12" || len(p.FreeText) != 1 || p.DOB != "1971-04-05" {
		t.Fatalf("Load: got %+v", p)
	}
	bad := []struct{ name, body, want string }{
		{"unknown.json", `{"first_name":"Jane","favourite_color":"red"}`, `unknown field "favourite_color"`},
		{"dob.json", `{"dob":"04/05/1971"}`, `dob "04/05/1971": want YYYY-MM-DD`},
		{"empty.json", `{}`, "persona has no values"},
		{"trailing.json", `{"first_name":"Jane"} {}`, "trailing data"},
		{"syntax.json", `{"first_name":`, "decode JSON"},
		{"type.json", `{"free_text":"not a list"}`, "decode JSON"},
		{"email.json", `{"email":"nope"}`, "has no @"},
	}
	for _, b := range bad {
		_, err := Load(write(b.name, b.body))
		if err == nil || !strings.Contains(err.Error(), b.want) || !strings.Contains(err.Error(), b.name) {
			t.Errorf("Load(%s): got %v, want error naming the file and containing %q", b.name, err, b.want)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("Load of a missing file: got nil error")
	}
}

func FuzzFind(f *testing.F) {
	ix := NewIndex(testPersona())
	for _, s := range []string{"Jane", "jane.doe%40gmail.com", sha256hex("jane"), "tv.1~em.abc", "\xff\xfe", "NY", "02139"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, h := range ix.Find(s) {
			if h.Start < 0 || h.End > len(s) || h.Start >= h.End {
				t.Fatalf("bad span [%d,%d) in %q", h.Start, h.End, s)
			}
			if h.Key == "" || h.Kind == "" || h.Disguise == "" {
				t.Fatalf("incomplete hit %+v", h)
			}
		}
	})
}

// BenchmarkFind searches a 4 KB beacon with a full persona loaded.
func BenchmarkFind(b *testing.B) {
	ix := NewIndex(testPersona())
	var sb strings.Builder
	sb.WriteString(`{"event":"PageView","url":"https://www.example.com/products/shoes?color=blue&size=10","ud":{"em":"`)
	sb.WriteString(sha256hex("someone@example.com"))
	sb.WriteString(`"},"cid":"1234567890.1700000000","items":[`)
	for sb.Len() < 4000 {
		sb.WriteString(`{"id":"550e8400-e29b-41d4-a716-446655440000","name":"Running Shoe","price":"129.99","brand":"Acme"},`)
	}
	sb.WriteString(`{}]}`)
	beacon := sb.String()
	b.Logf("%d forms indexed; beacon %d bytes", ix.Forms(), len(beacon))
	b.SetBytes(int64(len(beacon)))
	start := benchcpu.Now()
	for b.Loop() {
		ix.Find(beacon)
	}
	benchcpu.Report(b, start, 0)
}

func BenchmarkNewIndex(b *testing.B) {
	p := testPersona()
	start := benchcpu.Now()
	for b.Loop() {
		NewIndex(p)
	}
	benchcpu.Report(b, start, 0)
}

// TestConcurrentFind shares one Index between goroutines (run with -race).
func TestConcurrentFind(t *testing.T) {
	ix := NewIndex(testPersona())
	in := "Hello Jane " + sha256hex("jane.doe@gmail.com")
	done := make(chan int, 4)
	for g := 0; g < 4; g++ {
		go func() {
			n := 0
			for i := 0; i < 200; i++ {
				n = len(ix.Find(in))
			}
			done <- n
		}()
	}
	for g := 0; g < 4; g++ {
		if got := <-done; got != 2 {
			t.Fatalf("concurrent Find: got %d hits, want 2", got)
		}
	}
}

func TestHostileInput(t *testing.T) {
	ix := NewIndex(testPersona())
	for _, in := range []string{
		strings.Repeat("a", 1<<20),
		strings.Repeat("0123456789abcdef", 1<<16),
		strings.Repeat("a-b/c+d=", 1<<17),
		strings.Repeat("jane ", 1<<16),
	} {
		for _, h := range ix.Find(in) {
			if h.Start < 0 || h.End > len(in) || h.Start >= h.End {
				t.Fatalf("bad span [%d,%d)", h.Start, h.End)
			}
		}
	}
}

func TestReadKeepsBAAPolicy(t *testing.T) {
	p, err := Read(strings.NewReader(`{"email":"jane@example.com","baa":["Intercom","chat.example.com"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.BAA, ","); got != "Intercom,chat.example.com" {
		t.Fatalf("baa: got %q", got)
	}
	// The policy is not a value to search for.
	if hits := NewIndex(p).Find("we use Intercom"); len(hits) != 0 {
		t.Fatalf("a BAA vendor was searched as a persona value: %+v", hits)
	}
}
