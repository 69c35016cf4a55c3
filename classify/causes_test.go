package classify

import (
	"net/http"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
)

// embeddedInspector is an Inspector with the shipped dictionaries only.
func embeddedInspector(t testing.TB) *Inspector {
	t.Helper()
	in, err := New(Options{Sites: []string{"cedarclinic.com"}})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// postJSON is a JSON POST to a tracker from page.
func postJSON(page, body string) *phiproxy.Flow {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if page != "" {
		h.Set("Referer", page)
	}
	return &phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://tracker.example.net/v1/t",
		Header: h, Body: []byte(body), BodySize: int64(len(body))}}
}

// withHeader adds a header to f and returns it.
func withHeader(f *phiproxy.Flow, name, value string) *phiproxy.Flow {
	f.Request.Header.Set(name, value)
	return f
}

// checkTerms runs each case and checks the "kind:term" keys it must and
// must not find.
type termCase struct {
	name      string
	flow      *phiproxy.Flow
	want, not []string
}

func checkTerms(t *testing.T, in *Inspector, tests []termCase) {
	t.Helper()
	for _, tt := range tests {
		got := termsOf(in.Inspect(tt.flow))
		for _, w := range tt.want {
			if _, ok := got[w]; !ok {
				t.Errorf("%s: got %v, want %s", tt.name, keys(got), w)
			}
		}
		for _, n := range tt.not {
			if f, ok := got[n]; ok {
				t.Errorf("%s: got %s (value %q at %s), want it absent", tt.name, n, f.Value, f.Path)
			}
		}
	}
}

func TestHostNamesAreNotHealthTerms(t *testing.T) {
	in := embeddedInspector(t)
	const home = "https://www.cedarclinic.com/"
	tests := []termCase{
		{"Origin host", withHeader(beacon(home, "ev", "PageView"), "Origin", "https://telehealth.clinic.example"),
			nil, []string{"procedure:telehealth"}},
		{"Referer host", beacon("https://telehealth.clinic.example/about", "ev", "PageView"),
			nil, []string{"procedure:telehealth"}},
		{"host of a URL in a parameter", beacon(home, "dl", "https://telehealth.clinic.example/"),
			nil, []string{"procedure:telehealth"}},
		{"request host", &phiproxy.Flow{Request: phiproxy.Request{Method: "GET", URL: "https://telehealth.example.org/px?ev=PageView"}},
			nil, []string{"procedure:telehealth"}},
		{"host of a URL inside text", postJSON(home, `{"message":"Visit https://telehealth.clinic.example/start to begin"}`),
			nil, []string{"procedure:telehealth"}},
		{"bare host name under a host key", beacon(home, "dh", "telehealth.clinic.example"),
			nil, []string{"procedure:telehealth"}},
		{"path segment still counts", beacon(home, "dl", "https://www.cedarclinic.com/telehealth/start"),
			[]string{"procedure:telehealth"}, nil},
		{"text beside a URL still counts", postJSON(home, `{"message":"Book telehealth at https://a.example/"}`),
			[]string{"procedure:telehealth"}, nil},
		{"dotted name under another key", beacon(home, "label", "telehealth.signup"),
			[]string{"procedure:telehealth"}, nil},
	}
	checkTerms(t, in, tests)
}

func TestOverlappingTermsOfDifferentKinds(t *testing.T) {
	in := embeddedInspector(t)
	const home = "https://www.cedarclinic.com/"
	tests := []termCase{
		{"medication inside a procedure", beacon(home, "title", "Suboxone treatment program"),
			[]string{"procedure:suboxone treatment", "medication:buprenorphine-naloxone"}, nil},
		{"condition inside a test", beacon(home, "ev", "HIV test booked"),
			[]string{"procedure:hiv test", "condition:hiv"}, nil},
		{"same kind: the longest wins", beacon(home, "title", "breast cancer"),
			[]string{"condition:breast cancer"}, []string{"condition:cancer"}},
		{"head word is the phrase, not psychotherapy", beacon(home, "title", "Hormone therapy for menopause"),
			[]string{"procedure:hormone therapy"}, []string{"procedure:psychotherapy"}},
		{"same in a slug", beacon("https://www.cedarclinic.com/services/hormone-therapy", "ev", "PageView"),
			[]string{"procedure:hormone therapy"}, []string{"procedure:psychotherapy"}},
	}
	checkTerms(t, in, tests)
}

func TestMultipartTextFileIsScanned(t *testing.T) {
	in := embeddedInspector(t)
	body := "--q9\r\n" +
		"Content-Disposition: form-data; name=\"notes\"; filename=\"visit-notes.txt\"\r\nContent-Type: text/plain\r\n\r\n" +
		"Patient reports migraines, started sertraline\r\n" +
		"--q9\r\n" +
		"Content-Disposition: form-data; name=\"list\"; filename=\"meds.csv\"\r\nContent-Type: text/csv\r\n\r\n" +
		"drug,dose\nmetformin,500 mg\n\r\n" +
		"--q9--\r\n"
	h := http.Header{"Content-Type": {"multipart/form-data; boundary=q9"}, "Referer": {"https://www.cedarclinic.com/upload"}}
	f := &phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://forms.tracker.example.net/upload", Header: h, Body: []byte(body)}}
	got := termsOf(in.Inspect(f))
	for _, w := range []struct{ key, path string }{
		{"medication:sertraline", "body > multipart:notes"},
		{"condition:migraine", "body > multipart:notes"},
		{"medication:metformin", "body > multipart:list"},
	} {
		fd, ok := got[w.key]
		if !ok {
			t.Errorf("got %v, want %s", keys(got), w.key)
			continue
		}
		if fd.Path != w.path {
			t.Errorf("%s: path got %q, want %q", w.key, fd.Path, w.path)
		}
	}
}

func TestIntakeAnswersInKeys(t *testing.T) {
	in := embeddedInspector(t)
	const page = "https://www.cedarclinic.com/intake"
	tests := []termCase{
		{"ambiguous term, yes", postJSON(page, `{"previously_in_therapy":"yes"}`), []string{"procedure:psychotherapy"}, nil},
		{"ambiguous term, checked form box", beacon(page, "previously_in_therapy", "on"), []string{"procedure:psychotherapy"}, nil},
		{"ambiguous term, no (reported negated)", postJSON(page, `{"previously_in_therapy":"no"}`), []string{"procedure:psychotherapy"}, nil},
		{"boolean", postJSON(page, `{"has_diabetes":true}`), []string{"condition:diabetes"}, nil},
		{"one", postJSON(page, `{"hiv_positive":1}`), []string{"condition:hiv"}, nil},
		{"camelCase key", postJSON(page, `{"hasAsthma":"Y"}`), []string{"condition:asthma"}, nil},
		{"ambiguous word without a health key", postJSON(page, `{"cold_start":true,"medication":"sertraline"}`), nil, []string{"condition:common cold"}},
		{"abbreviation in lower case", postJSON(page, `{"duration_ms":1,"medication":"sertraline"}`), nil, []string{"condition:multiple sclerosis"}},
		{"no health term", postJSON(page, `{"newsletter_opt_in":true}`), nil, []string{"procedure:psychotherapy"}},
	}
	checkTerms(t, in, tests)

	// A "no" says which question was answered, not the answer.
	for _, fd := range in.Inspect(postJSON(page, `{"previously_in_therapy":"no"}`)).Findings {
		if fd.Term == "psychotherapy" && !fd.Negated {
			t.Errorf("previously_in_therapy=no: finding not negated: %+v", fd)
		}
	}

	// The finding names the key as its field.
	ins := in.Inspect(postJSON(page, `{"previously_in_therapy":"yes"}`))
	for _, fd := range ins.Findings {
		if fd.Term == "psychotherapy" {
			if fd.Field != "previously_in_therapy" || fd.Value != "therapy" || fd.Field[fd.Start:fd.End] != fd.Value {
				t.Errorf("key answer finding: field %q value %q at %d..%d, want field previously_in_therapy, value therapy", fd.Field, fd.Value, fd.Start, fd.End)
			}
		}
	}
}

func TestIDKeysSuppressIdentifiers(t *testing.T) {
	in := embeddedInspector(t)
	const home = "https://www.cedarclinic.com/"
	kinds := func(ins phiproxy.Inspection) string {
		var ks []string
		for _, f := range ins.Findings {
			switch f.Kind {
			case phiproxy.KindPhone, phiproxy.KindSSN, phiproxy.KindCard:
				ks = append(ks, string(f.Kind)+":"+f.Term)
			}
		}
		return strings.Join(ks, ",")
	}
	tests := []struct {
		key, value string
		want       string // phone/ssn/card findings, "" for none
	}{
		{"order_number", "4155550134", ""},
		{"order_id", "415-555-0134", ""},
		{"orderId", "415.555.0134", ""},
		// Parentheses are a phone's formatting, not a reference number's.
		{"orderId", "(415) 555-0134", "phone:+14155550134"},
		{"tracking", "4155550134", ""},
		{"tracking_no", "415 555 0134", ""},
		{"sku", "4155550134", ""},
		{"invoice", "INV-415-555-0134", ""},
		{"transaction_id", "4111111111111111", ""},
		{"confirmation", "219-09-9999", ""},
		{"confirmation_code", "#4155550134", ""},
		{"cart", "4155550134", ""},
		{"cart_token", "4111-1111-1111-1111", ""},
		// A person's number keeps its meaning.
		{"phone", "415-555-0134", "phone:+14155550134"},
		{"order_phone", "415-555-0134", "phone:+14155550134"},
		{"card_number", "4111111111111111", "card:4111111111111111"},
	}
	for _, tt := range tests {
		got := kinds(in.Inspect(beacon(home, tt.key, tt.value)))
		if got != tt.want {
			t.Errorf("%s=%q: got %q, want %q", tt.key, tt.value, got, tt.want)
		}
	}
}

func TestIsIDShaped(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"4155550134", true}, {"415-555-0134", true}, {"#ORD-4155550134", true}, {"INV 415.555.0134", true}, {"ord-4155550134", false},
		{"12345", false}, {"call 4155550134", false}, {"(415) 555-0134", false}, {"4155550134x", false}, {"", false},
	}
	for _, tt := range tests {
		if got := isIDShaped(tt.in); got != tt.want {
			t.Errorf("isIDShaped(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNameValuePairsGiveContext(t *testing.T) {
	in := embeddedInspector(t)
	const home = "https://www.cedarclinic.com/"
	tests := []termCase{
		{"form analytics pair", postJSON(home, `{"fields":[{"name":"diagnosis","value":"cold"}]}`),
			[]string{"condition:common cold"}, nil},
		{"GA4 params", postJSON(home, `{"events":[{"params":[{"key":"diagnosis","value":{"string_value":"cold"}}]}]}`),
			[]string{"condition:common cold"}, nil},
		{"value before name", postJSON(home, `[{"value":"cold","key":"symptom"}]`),
			[]string{"condition:common cold"}, nil},
		{"pair of another subject", postJSON(home, `{"fields":[{"name":"beverage","value":"cold"}]}`),
			nil, []string{"condition:common cold"}},
		{"ID-keyed pair", postJSON(home, `{"fields":[{"name":"order_number","value":"4155550134"}]}`),
			nil, []string{"phone:+14155550134"}},
		{"answer pair", postJSON(home, `{"answers":[{"id":"previously_in_therapy","value":true}]}`),
			[]string{"procedure:psychotherapy"}, nil},
	}
	checkTerms(t, in, tests)
}

func TestContraceptionIsAMedication(t *testing.T) {
	in := embeddedInspector(t)
	const home = "https://www.cedarclinic.com/"
	checkTerms(t, in, []termCase{
		{"birth control", beacon(home, "title", "Birth control options"),
			[]string{"medication:contraception"}, []string{"condition:contraception"}},
		{"contraception", beacon(home, "title", "Contraception"),
			[]string{"medication:contraception"}, []string{"condition:contraception"}},
	})
	ins := in.Inspect(beacon(home, "title", "Birth control options"))
	for _, f := range ins.Findings {
		if f.Term == "contraception" && f.Category != "reproductive" {
			t.Errorf("contraception category: got %q, want reproductive", f.Category)
		}
	}
}

func TestNotHealthPhrasesInFlows(t *testing.T) {
	in := embeddedInspector(t)
	// A health page gives ambiguous words their context, so only the
	// phrase list keeps these quiet.
	const page = "https://www.cedarclinic.com/conditions/"
	tests := []termCase{
		{"antiques", beacon(page, "title", "Depression glass collectors guide"), nil, []string{"condition:depression"}},
		{"history", beacon(page, "title", "Life during the Great Depression"), nil, []string{"condition:depression"}},
		{"zodiac", beacon(page, "title", "Cancer horoscope"), nil, []string{"condition:cancer"}},
		{"idiom", beacon(page, "title", "A stroke of genius"), nil, []string{"condition:cerebral infarction"}},
		{"coffee", beacon(page, "title", "Cold brew"), nil, []string{"condition:common cold"}},
		{"real term still found", beacon(page, "title", "Depression screening"), []string{"condition:depression"}, nil},
	}
	checkTerms(t, in, tests)
}
