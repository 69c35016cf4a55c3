package classify

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
)

// chatFlow is a chat-widget message posted to a third-party chat vendor
// from a page of a site that is not a health site.
func chatFlow(page, text string) *phiproxy.Flow {
	form := url.Values{"app_id": {"x1y2"}, "blocks": {text}}
	h := http.Header{}
	h.Set("Referer", page)
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	return &phiproxy.Flow{Request: phiproxy.Request{
		Method: "POST", URL: "https://api-iam.intercom.io/messenger/web/messages",
		Header: h, Body: []byte(form.Encode()),
	}}
}

func TestInspectSymptomsWithoutPersona(t *testing.T) {
	in, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	msg := "Hi, my name is Rosalind Featherstone and I have been feeling hopeless and have trouble sleeping, also chest pain"
	ins := in.Inspect(chatFlow("https://www.example-shop.com/help", msg))
	got := termsOf(ins)
	for _, want := range []string{"symptom:feeling hopeless", "symptom:trouble sleeping", "condition:chest pain"} {
		f, ok := got[want]
		if !ok {
			t.Errorf("%s not found; got %v", want, keys(got))
			continue
		}
		if !f.Kind.IsHealth() || f.Severity < phiproxy.High {
			t.Errorf("%s: kind %s severity %v, want health and at least high (third-party chat)", want, f.Kind, f.Severity)
		}
	}
	if f := got["symptom:feeling hopeless"]; f.Value != "feeling hopeless" || f.Category != "mental_health" || msg[f.Start:f.End] != f.Value {
		t.Errorf("feeling hopeless: value %q category %q at %d..%d", f.Value, f.Category, f.Start, f.End)
	}
}

func TestInspectSymptomSpellings(t *testing.T) {
	in, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ text, want string }{
		{"I can't sleep at all", "symptom:can't sleep"},
		{"I cannot sleep at all", "symptom:can't sleep"},
		{"i am unable to sleep", "symptom:can't sleep"},
		{"I've been feeling hopeless", "symptom:feeling hopeless"},
		{"I have been feeling so hopeless lately", "symptom:feeling hopeless"},
		{"I felt really worthless yesterday", "symptom:feeling worthless"},
		{"there was blood in my stool this morning", "symptom:blood in my stool"},
		{"I keep having panic attacks", "condition:panic attack"},
		{"I don't want to live anymore", "symptom:don't want to live"},
		{"I do not want to live anymore", "symptom:don't want to live"},
		{"Trouble falling or staying asleep, or sleeping too much", "symptom:trouble falling or staying asleep or sleeping too much"},
		{"my period is late and I think I'm pregnant", "symptom:my period is late"}, {"I think I'm pregnant", "symptom:think i'm pregnant"},
	}
	for _, tt := range tests {
		got := termsOf(in.Inspect(chatFlow("https://www.example-shop.com/help", tt.text)))
		if _, ok := got[tt.want]; !ok {
			t.Errorf("%q: %s not found; got %v", tt.text, tt.want, keys(got))
		}
	}
	// An everyday word enclosed in a longer term takes its sense.
	if _, ok := termsOf(in.Inspect(chatFlow("https://www.example-shop.com/help", "book a visit with Pain Medicine about my sertraline")))["symptom:pain"]; ok {
		t.Error("\"Pain Medicine\": symptom:pain found, want only the specialty")
	}
	// "pain" alone is an everyday word: it needs health context.
	if got := termsOf(in.Inspect(chatFlow("https://www.example-shop.com/help", "the checkout is a pain"))); len(got) != 0 {
		t.Errorf("\"a pain\" without context: got %v, want nothing", keys(got))
	}
	if _, ok := termsOf(in.Inspect(chatFlow("https://www.example-shop.com/help", "the pain started after I took sertraline")))["symptom:pain"]; !ok {
		t.Errorf("\"pain\" next to a medication: symptom:pain not found")
	}
}

// randomToken returns n bytes from crypto/rand.
func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpaqueTokensGiveNoFindings(t *testing.T) {
	in, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	page := "https://www.example-shop.com/"
	post := func(ctype string, body []byte) *phiproxy.Flow {
		h := http.Header{}
		h.Set("Referer", page)
		h.Set("Content-Type", ctype)
		return &phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://collector.tracker.example/upload", Header: h, Body: body, BodySize: int64(len(body))}}
	}
	std := base64.StdEncoding.EncodeToString(randomBytes(t, 6<<20)) // 8 MiB of base64
	hexBody := hex.EncodeToString(randomBytes(t, 1<<20))
	var ids strings.Builder
	for i := 0; i < 20000; i++ {
		u := randomBytes(t, 16)
		fmt.Fprintf(&ids, "%x-%x-%x-%x-%x %s %s\n", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16],
			base64.RawURLEncoding.EncodeToString(u), hex.EncodeToString(u[:12]))
	}
	// Bare decimal numbers are not opaque (a card or phone number is
	// digits too); under an ID key they are IDs.
	items := make([]map[string]string, 0, 3000)
	for i := 0; i < 3000; i++ {
		n, err := rand.Int(rand.Reader, big.NewInt(1e16))
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, map[string]string{
			"id":       base64.RawURLEncoding.EncodeToString(randomBytes(t, 24)),
			"token":    base64.StdEncoding.EncodeToString(randomBytes(t, 48)),
			"hash":     hex.EncodeToString(randomBytes(t, 32)),
			"event_id": n.String(),
		})
	}
	js, err := json.Marshal(map[string]any{"events": items})
	if err != nil {
		t.Fatal(err)
	}
	flows := map[string]*phiproxy.Flow{
		"base64 body":    post("application/octet-stream", []byte(std)),
		"base64 as text": post("text/plain", []byte(std)),
		// Each few megabytes of base64 hold a stretch like these by chance.
		"short words in base64": post("text/plain", []byte(std[:4096]+"/ibs+qrt/"+std[4096:8192]+"/qrt+adhd/"+std[8192:12288])),
		// One in 64 begins with '/', which must not make it a URL path.
		"base64 after a slash": post("text/plain", []byte("/"+std[:4096]+"/ibs+qrt/"+std[4096:8192]+"/qrt+adhd/"+std[8192:1<<20])),
		"hex body":             post("text/plain", []byte(hexBody)),
		"ID lines":             post("text/plain", []byte(ids.String())),
		"JSON of tokens":       post("application/json", js),
		"form of tokens":       post("application/x-www-form-urlencoded", []byte("blob="+url.QueryEscape(std[:1<<20])+"&sig="+hexBody[:4096])),
	}
	for name, f := range flows {
		ins := in.Inspect(f)
		if len(ins.Findings) != 0 {
			var sample []string
			for i, fd := range ins.Findings {
				if i == 5 {
					break
				}
				lo, hi := max(fd.Start-40, 0), min(fd.End+40, len(fd.Field))
				sample = append(sample, fmt.Sprintf("%s:%s %q at %s in …%s…", fd.Kind, fd.Term, fd.Value, fd.Path, fd.Field[lo:hi]))
			}
			t.Errorf("%s: %d findings, want none: %v", name, len(ins.Findings), sample)
		}
	}
	// Prose around the tokens is still searched.
	mixed := "token=" + std[:4096] + " I have been feeling hopeless id=" + hexBody[:64]
	if _, ok := termsOf(in.Inspect(post("text/plain", []byte(mixed))))["symptom:feeling hopeless"]; !ok {
		t.Error("prose between opaque tokens: symptom:feeling hopeless not found")
	}
}

func TestOpaqueSpans(t *testing.T) {
	tests := []struct {
		s      string
		opaque []string
	}{
		{"feeling-hopeless-and-trouble-sleeping-today", nil},
		{"haveTroubleSleepingCheckboxChecked", nil},
		{"/conditions/depression/treatment-options-for-adults", nil},
		{"id 8f14e45f-ceea-467f-a0e6-3b5d1c2a9e7d done", []string{"8f14e45f-ceea-467f-a0e6-3b5d1c2a9e7d"}},
		{"/users/8f14e45f-ceea-467f-a0e6-3b5d1c2a9e7d/symptoms/feeling-hopeless", []string{"8f14e45f-ceea-467f-a0e6-3b5d1c2a9e7d"}},
		{"sig=5d41402abc4b2a76b9719d911017c592", []string{"5d41402abc4b2a76b9719d911017c592"}},
		{"x Q0Ff3kZ9/ADHDaP1x+Lm7T2qRvW8yBn4Kc0= y", []string{"Q0Ff3kZ9/ADHDaP1x+Lm7T2qRvW8yBn4Kc0="}},
		// Lower-case stretches joined by '+' inside base64 are chance, not a slug.
		{"x Q0Ff3kZ9aP1xLm7T2qRvW8yBn4Kc0/ibs+qrt/W8yBn4Kc0Q0Ff3kZ9aP1xLm7T2q y", []string{"Q0Ff3kZ9aP1xLm7T2qRvW8yBn4Kc0/ibs+qrt/W8yBn4Kc0Q0Ff3kZ9aP1xLm7T2q"}},
		{"/users/8f14e45f-ceea-467f-a0e6-3b5d1c2a9e7d/ibs_diet-plan", []string{"8f14e45f-ceea-467f-a0e6-3b5d1c2a9e7d"}},
	}
	for _, tt := range tests {
		var got []string
		for _, sp := range opaqueSpans(tt.s, nil) {
			got = append(got, tt.s[sp[0]:sp[1]])
		}
		if strings.Join(got, "|") != strings.Join(tt.opaque, "|") {
			t.Errorf("opaqueSpans(%q): got %q, want %q", tt.s, got, tt.opaque)
		}
	}
}

// everydaySentences are ordinary, non-medical sentences of the kinds a
// chat widget, a search box or a page title carries on shops, travel,
// software and news sites.
var everydaySentences = []string{
	"Hi, I ordered a blue sweater last week and the tracking number still shows nothing.",
	"Can you tell me whether the hotel has free parking and a late check-out?",
	"The quarterly report is due on Friday, so please send your numbers by Wednesday.",
	"We are feeling great about the launch and the team worked really hard.",
	"The kids had trouble finding the museum entrance, it was behind the cafe.",
	"My flight was delayed by three hours and I missed the connection to Denver.",
	"The build is failing again because the cache is stale; flushing it fixed it.",
	"I can't log in to my account, the password reset email never arrives.",
	"Traffic was moving slowly on the bridge after the accident this morning.",
	"The economy slowed down in the second half of the year, analysts said.",
	"She felt the pressure of the deadline but finished the design on time.",
	"Our dog is a pain to walk in the rain, he refuses to leave the porch.",
	"The team lost hope in the last minutes when the other side scored twice.",
	"Please cancel my subscription; I have no time to read the magazine.",
	"The recipe calls for two cups of flour, a pinch of salt and cold butter.",
	"Is the black jacket available in a smaller size, and does it run large?",
	"We are hiring a senior engineer to work on the data pipeline.",
	"The garden needs watering twice a week during the dry months.",
	"Thank you for your patience while we resolve the billing issue.",
	"The hard drive crashed and we lost a week of photos from the trip.",
	"The concert was sold out, but we found two tickets in the back row.",
	"I'm so tired of waiting on hold with the cable company.",
	"Markets were under pressure as investors worried about rates.",
	"He was feeling down after his team lost the final on penalties.",
	"The printer keeps jamming whenever I print double-sided pages.",
	"The movie has a lot of flashbacks, which made the plot confusing.",
	"We spent the afternoon hiking and came back completely exhausted.",
	"Can I change the delivery address after the order has shipped?",
	"The new phone has a better camera but the battery drains fast.",
	"Our server had a cold start and the first request timed out.",
	"The bakery on the corner sells the best sourdough in town.",
	"I'm worried the paint color will look too dark in the living room.",
	"Please find attached the invoice for the consulting work in March.",
	"The ferry runs every hour from the harbor to the island.",
	"A lump sum payment is due when the lease is signed.",
	"The stock price took a hit after the earnings call.",
	"The campaign for the council seat reached a fever pitch in the final week.",
	"The novel follows a family through the Great Depression.",
	"We had a blast at the beach; the kids built a huge sandcastle.",
	"Her heart was racing as the roller coaster climbed the first hill.",
}

// publicDomainTexts returns long ordinary texts found on this machine:
// the licence texts Debian ships and git's release notes.
func publicDomainTexts(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	var paths []string
	for _, pattern := range []string{"/usr/share/common-licenses/*", "/usr/share/doc/git/RelNotes/2.*.txt"} {
		m, _ := filepath.Glob(pattern)
		paths = append(paths, m...)
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = string(b)
	}
	return out
}

func TestOrdinaryProseGivesNoSymptomOrName(t *testing.T) {
	in, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	page := "https://www.example-shop.com/help"
	check := func(name, text string) {
		for _, fd := range in.Inspect(chatFlow(page, text)).Findings {
			if (fd.Kind == phiproxy.KindSymptom || fd.Kind == phiproxy.KindName) && fd.Severity > phiproxy.Low {
				t.Errorf("%s: %s %q (%q) rated %v, want none above low", name, fd.Kind, fd.Term, fd.Value, fd.Severity)
			}
		}
	}
	for i, s := range everydaySentences {
		check(fmt.Sprintf("sentence %d", i), s)
	}
	check("all sentences", strings.Join(everydaySentences, " "))
	texts := publicDomainTexts(t)
	words := 0
	for name, text := range texts {
		// One chat message per paragraph, as a widget would send them.
		for i, para := range strings.Split(text, "\n\n") {
			if strings.TrimSpace(para) != "" {
				words += len(strings.Fields(para))
				check(fmt.Sprintf("%s paragraph %d", name, i), para)
			}
		}
	}
	t.Logf("%d texts, %d words besides %d sentences", len(texts), words, len(everydaySentences))
}

func TestIntakeAnswersThatSayNo(t *testing.T) {
	in, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	post := func(body string) phiproxy.Inspection {
		h := http.Header{}
		h.Set("Referer", "https://www.example-shop.com/intake")
		h.Set("Content-Type", "application/json")
		return in.Inspect(&phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://api.segment.io/v1/t", Header: h, Body: []byte(body)}})
	}
	tests := []struct {
		body    string
		want    string // kind:term
		negated bool
	}{
		{`{"properties":{"has_diabetes":false}}`, "condition:diabetes", true},
		{`{"properties":{"has_diabetes":true}}`, "condition:diabetes", false},
		{`{"properties":{"has_diabetes":"unchecked"}}`, "condition:diabetes", true},
		{`{"properties":{"smoker":"no"}}`, "condition:tobacco use", true},
		{`{"properties":{"smoker":"yes"}}`, "condition:tobacco use", false},
		{`{"properties":{"pregnant":0}}`, "condition:pregnancy", true},
		{`{"properties":{"tobacco_use":"n"}}`, "condition:tobacco use", true},
		{`{"properties":{"alcohol_per_week":"0"}}`, "condition:alcohol use", true},
		{`{"properties":{"alcohol_per_week":"4"}}`, "condition:alcohol use", false},
	}
	for _, tt := range tests {
		ins := post(tt.body)
		got := termsOf(ins)
		f, ok := got[tt.want]
		if !ok {
			t.Errorf("%s: %s not found; got %v", tt.body, tt.want, keys(got))
			continue
		}
		if f.Negated != tt.negated {
			t.Errorf("%s: negated %v, want %v", tt.body, f.Negated, tt.negated)
		}
	}
	// One level lower than the same term answered yes.
	yes := termsOf(post(`{"properties":{"has_diabetes":true}}`))["condition:diabetes"]
	no := termsOf(post(`{"properties":{"has_diabetes":false}}`))["condition:diabetes"]
	if no.Severity != yes.Severity-1 {
		t.Errorf("severity: no %v, yes %v, want no one level below yes", no.Severity, yes.Severity)
	}
	// Keys that ask nothing about health stay quiet whatever the answer.
	for _, body := range []string{`{"smoke_test":false,"newsletter":"no","dark_mode":"off"}`, `{"drink_menu":"no","dayCount":"3"}`} {
		if got := post(body).Findings; len(got) != 0 {
			t.Errorf("%s: got %d findings, want none", body, len(got))
		}
	}
}

// FuzzOpaqueSpans: on any text the spans are in order, inside the text,
// apart from each other, and each ends a token run.
func FuzzOpaqueSpans(f *testing.F) {
	for _, s := range []string{"", "id 8f14e45f-ceea-467f-a0e6-3b5d1c2a9e7d", "x Q0Ff3kZ9/ADHDaP1x+Lm7T2qRvW8yBn4Kc0= y", "/a/b/c//", "====", "aB1aB1aB1aB1aB1aB1aB1/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		at := 0
		for _, sp := range opaqueSpans(s, nil) {
			if sp[0] < at || sp[1] <= sp[0] || sp[1] > len(s) {
				t.Fatalf("opaqueSpans(%q): span %v after %d out of order or bounds", s, sp, at)
			}
			at = sp[1]
		}
	})
}

// TestBase64TokenReadAsPathGivesNoFindings: a base64 token starts with
// '/' one time in 64 and is read as a relative path; its segments' words
// are noise even where a segment is too short to look opaque alone
// ("wgMsDv" read "wg Ms Dv", a name, which made
// TestOpaqueTokensGiveNoFindings fail a run in 30 or so). A path around
// an ID keeps its words.
func TestBase64TokenReadAsPathGivesNoFindings(t *testing.T) {
	in, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	inspect := func(v string) phiproxy.Inspection {
		body, _ := json.Marshal(map[string]string{"token": v})
		return in.Inspect(&phiproxy.Flow{Request: phiproxy.Request{Method: "POST", URL: "https://collector.tracker.example/upload",
			Header: http.Header{"Content-Type": {"application/json"}}, Body: body, BodySize: int64(len(body))}})
	}
	for _, tok := range []string{
		"/wgMsDv/q8ZfK3pL0vXy7TbNc2HdRm5GsWj9Ue4AoIk1BhYt6EnVr+PxQ3Lz0CaFbMdS",
		"/Tmr+GIG/StLn8vXy7TbNc2HdRm5GsWj9Ue4AoIk1BhYt6EnVr+PxQ3Lz0CaFbMdSq8Zf",
	} {
		if got := inspect(tok).Findings; len(got) != 0 {
			t.Errorf("token %q: %d findings, want none: %+v", tok, len(got), got)
		}
	}
	found := false
	for _, fd := range inspect("/patients/550e8400-e29b-41d4-a716-446655440000/depression").Findings {
		found = found || fd.Kind == phiproxy.KindCondition && strings.EqualFold(fd.Value, "depression")
	}
	if !found {
		t.Error("a path around an ID lost its words: no depression finding")
	}
}
