package classify

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify/persona"
)

func sha256Hex(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func sha256B64URL(s string) string {
	h := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// request is a flow from page to rawURL; a body makes it a POST of
// contentType.
func request(rawURL, page, contentType, body string) *phiproxy.Flow {
	h := http.Header{}
	if page != "" {
		h.Set("Referer", page)
	}
	method := "GET"
	if body != "" {
		method = "POST"
		h.Set("Content-Type", contentType)
	}
	return &phiproxy.Flow{Request: phiproxy.Request{Method: method, URL: rawURL, Header: h, Body: []byte(body), BodySize: int64(len(body))}}
}

// query encodes key-value pairs in order.
func query(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, url.QueryEscape(kv[i])+"="+url.QueryEscape(kv[i+1]))
	}
	return strings.Join(parts, "&")
}

func TestHashedKeysTable(t *testing.T) {
	table, err := parseHashedKeys(hashedKeysTSV)
	if err != nil {
		t.Fatalf("embedded table: %v", err)
	}
	platforms := map[string]bool{}
	for _, rows := range table {
		for _, r := range rows {
			platforms[r.platform] = true
		}
	}
	for _, p := range []string{"Meta Pixel", "Meta Conversions API", "Google Ads", "TikTok", "Pinterest", "Snapchat", "LinkedIn", "Reddit", "X"} {
		if !platforms[p] {
			t.Errorf("no row for %s", p)
		}
	}
	for _, bad := range []string{
		"Meta\t*\tud[em]\t-\temail\temail",                               // 6 columns
		"Meta\t*\tud[em]\t-\tmedication\temail\thttps://example.com/doc", // health kind
		"Meta\t*\tud[em]\t-\temail\temail\tsee the docs",                 // no URL
		"Meta\t*\t\t-\temail\temail\thttps://example.com/doc",            // empty key
		"# only a comment",
	} {
		if _, err := parseHashedKeys(bad); err == nil {
			t.Errorf("parseHashedKeys(%q): no error", bad)
		}
	}
}

func TestDigestShape(t *testing.T) {
	md5Hex := func(s string) string { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
	sha1Hex := func(s string) string { h := sha1.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
	sum := sha256.Sum256([]byte("a@example.com"))
	tests := []struct {
		in, alg, form string
	}{
		{sha256Hex("a@example.com"), "sha256", "hex"},
		{strings.ToUpper(sha256Hex("a@example.com")), "sha256", "hex"},
		{md5Hex("a@example.com"), "md5", "hex"},
		{sha1Hex("a@example.com"), "sha1", "hex"},
		{sha256B64URL("a@example.com"), "sha256", "base64url"},
		{base64.StdEncoding.EncodeToString(sum[:]), "sha256", "base64"},
		{"0123456789012345678901234567890123456789012345678901234567890123", "", ""}, // 64 digits: a number
		{"abcdefabcdefabcdefabcdefabcdefab", "", ""},                                 // hex letters only
		{"hello", "", ""},
		{sha256Hex("a")[:63], "", ""},
	}
	for _, tt := range tests {
		alg, form, ok := digestShape(tt.in)
		if tt.alg == "" {
			if ok {
				t.Errorf("digestShape(%q) = %s %s, want no digest", tt.in, alg, form)
			}
			continue
		}
		if !ok || alg != tt.alg || form != tt.form {
			t.Errorf("digestShape(%q) = %s %s %v, want %s %s", tt.in, alg, form, ok, tt.alg, tt.form)
		}
	}
}

func TestJSONParent(t *testing.T) {
	tests := []struct{ chain, want string }{
		{"json:$.data[0].user_data.em[0]", "user_data"},
		{"json:$.context.user.email", "user"},
		{`json:$["$set"].name`, "$set"},
		{`json:$.properties["$set"]["$name"]`, "$set"},
		{"json:$.name", ""},
		{"json:$[0].name", ""},
		{"query:ud[em]", ""},
	}
	for _, tt := range tests {
		if got := jsonParent([]string{tt.chain}); got != tt.want {
			t.Errorf("jsonParent(%q) = %q, want %q", tt.chain, got, tt.want)
		}
	}
}

// hashCase is one request and the "kind:term" findings it must and must
// not give.
type hashCase struct {
	name      string
	flow      *phiproxy.Flow
	want, not []string
}

const conditionPage = "https://www.cedarclinic.com/conditions/depression"

// TestHashedKeysPerPlatform sends each platform's documented hashed
// fields, with health information in the same flow, and no persona.
func TestHashedKeysPerPlatform(t *testing.T) {
	in := embeddedInspector(t)
	em, ph := sha256Hex("rosalind@example.org"), sha256Hex("14155550134")
	tests := []hashCase{
		{"Meta Pixel ud[..]", request("https://www.facebook.com/tr/?"+query("id", "1", "ev", "PageView", "dl", conditionPage,
			"ud[em]", em, "ud[ph]", ph, "ud[fn]", sha256Hex("rosalind"), "ud[ln]", sha256Hex("featherstone"),
			"ud[db]", sha256Hex("19800102"), "ud[ge]", sha256Hex("f"), "ud[ct]", sha256Hex("chicago"), "ud[st]", sha256Hex("il"),
			"ud[zp]", sha256Hex("60614"), "ud[country]", sha256Hex("us"), "ud[external_id]", sha256Hex("u-1")), conditionPage, "", ""),
			[]string{"email:sha256(email)", "phone:sha256(phone)", "name:sha256(name)", "dob:sha256(dob)",
				"address:sha256(address)", "zip:sha256(zip)", "member_id:sha256(member_id)"}, nil},
		{"Meta Conversions API user_data arrays", request("https://graph.facebook.com/v19.0/1234/events", "", "application/json",
			`{"data":[{"event_name":"Lead","custom_data":{"content_name":"Depression treatment"},"user_data":{"em":["`+em+`"],"ph":["`+ph+`"],"external_id":"`+sha256Hex("u-1")+`","client_user_agent":"Mozilla/5.0"}}]}`),
			[]string{"email:sha256(email)", "phone:sha256(phone)", "member_id:sha256(member_id)"}, nil},
		{"Google Ads em=tv.1~em.", request("https://googleads.g.doubleclick.net/pagead/viewthroughconversion/1/?"+query("url", conditionPage,
			"em", "tv.1~em."+sha256B64URL("rosalind@example.org")+"~pn."+sha256B64URL("+14155550134")), conditionPage, "", ""),
			[]string{"email:sha256(email)", "phone:sha256(phone)"}, nil},
		{"Google user_data sha256 members", request("https://www.google.com/ccm/collect", conditionPage, "application/json",
			`{"tiba":"Depression care","user_data":{"sha256_email_address":"`+em+`","sha256_phone_number":"`+ph+`"}}`),
			[]string{"email:sha256(email)", "phone:sha256(phone)"}, nil},
		{"TikTok context.user", request("https://analytics.tiktok.com/api/v2/pixel", conditionPage, "application/json",
			`{"event":"SubmitForm","context":{"page":{"url":"`+conditionPage+`"},"user":{"email":"`+em+`","phone_number":"`+ph+`","external_id":"`+sha256Hex("u-1")+`"}}}`),
			[]string{"email:sha256(email)", "phone:sha256(phone)", "member_id:sha256(member_id)"}, nil},
		{"Pinterest pd em", request("https://ct.pinterest.com/v3/?"+query("event", "lead", "pd", `{"em":"`+em+`"}`, "ad", `{"loc":"`+conditionPage+`"}`), conditionPage, "", ""),
			[]string{"email:sha256(email)"}, nil},
		{"Snap Pixel u_hem u_hpn", request("https://tr.snapchat.com/p", conditionPage, "application/x-www-form-urlencoded",
			query("pid", "abc", "ev", "PAGE_VIEW", "pl", conditionPage, "u_hem", em, "u_hpn", ph)),
			[]string{"email:sha256(email)", "phone:sha256(phone)"}, nil},
		{"LinkedIn hem", request("https://px.ads.linkedin.com/collect?"+query("pid", "1", "url", conditionPage, "hem", em), conditionPage, "", ""),
			[]string{"email:sha256(email)"}, nil},
		{"Reddit Conversions API user", request("https://ads-api.reddit.com/api/v2.0/conversions/events/t2_x", "", "application/json",
			`{"events":[{"event_type":{"tracking_type":"Lead"},"event_metadata":{"item":"Depression treatment"},"user":{"email":"`+em+`","external_id":"`+sha256Hex("u-1")+`"}}]}`),
			[]string{"email:sha256(email)", "member_id:sha256(member_id)"}, nil},
		{"X Conversions API identifiers", request("https://ads-api.x.com/12/measurement/conversions/o8z6j", "", "application/json",
			`{"conversions":[{"event_id":"tw-1","description":"Depression screening","identifiers":[{"hashed_email":"`+em+`"},{"hashed_phone_number":"`+ph+`"}]}]}`),
			[]string{"email:sha256(email)", "phone:sha256(phone)"}, nil},
		{"MD5 under a documented key", request("https://www.facebook.com/tr/?"+query("dl", conditionPage, "ud[em]", "5d41402abc4b2a76b9719d911017c592"), conditionPage, "", ""),
			[]string{"email:md5(email)"}, nil},

		// Keys that mean something else elsewhere, or values that are not digests.
		{"em on a host that is not Google or Pinterest", request("https://tracker.example.net/c?"+query("dl", conditionPage, "em", em), conditionPage, "", ""),
			nil, []string{"email:sha256(email)"}},
		{"user.email hash off TikTok and Reddit", request("https://api.example.net/v1/t", conditionPage, "application/json",
			`{"title":"Depression","user":{"email":"`+em+`"}}`), nil, []string{"email:sha256(email)"}},
		{"em outside user_data on Meta", request("https://graph.facebook.com/v19.0/1234/events", "", "application/json",
			`{"data":[{"custom_data":{"content_name":"Depression","em":"`+em+`"}}]}`), nil, []string{"email:sha256(email)"}},
		{"not a digest", request("https://www.facebook.com/tr/?"+query("dl", conditionPage, "ud[em]", "pending", "ud[ph]", em[:40]+"zz"), conditionPage, "", ""),
			nil, []string{"email:sha256(email)", "phone:sha1(phone)"}},
		{"no health information in the flow", request("https://www.facebook.com/tr/?"+query("ev", "Purchase", "dl", "https://shop.example.com/checkout", "ud[em]", em, "ud[ph]", ph), "https://shop.example.com/checkout", "", ""),
			nil, []string{"email:sha256(email)", "phone:sha256(phone)"}},
	}
	for _, tt := range tests {
		got := termsOf(in.Inspect(tt.flow))
		for _, w := range tt.want {
			f, ok := got[w]
			if !ok {
				t.Errorf("%s: got %v, want %s", tt.name, keys(got), w)
				continue
			}
			if f.Source != phiproxy.SourceShape || !strings.Contains(f.Field, f.Value) || len(f.Value) < 22 {
				t.Errorf("%s: %s: source %s, value %q in field %q: want the digest, source shape", tt.name, w, f.Source, f.Value, f.Field)
			}
		}
		for _, n := range tt.not {
			if f, ok := got[n]; ok {
				t.Errorf("%s: got %s (value %q at %s), want it absent", tt.name, n, f.Value, f.Path)
			}
		}
	}
}

// TestMetaPixelHashedNoPersona is the Advanced Matching beacon of a
// condition page, inspected without a persona: the hashed email and phone
// are found by their keys, and with the condition page the flow is
// critical.
func TestMetaPixelHashedNoPersona(t *testing.T) {
	in, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	page := "https://www.cedarclinic.com/conditions/bipolar-disorder"
	em, ph := sha256Hex("rosalind@example.org"), sha256Hex("14155550134")
	f := request("https://www.facebook.com/tr/?"+query("id", "1234567890", "ev", "PageView", "dl", page, "rl", "https://www.google.com/",
		"ud[em]", em, "ud[ph]", ph), page, "", "")
	ins := in.Inspect(f)
	got := termsOf(ins)
	for w, value := range map[string]string{"email:sha256(email)": em, "phone:sha256(phone)": ph} {
		fd, ok := got[w]
		switch {
		case !ok:
			t.Errorf("got %v, want %s", keys(got), w)
		case fd.Value != value || fd.Source != phiproxy.SourceShape || fd.Severity != phiproxy.Critical:
			t.Errorf("%s: value %q source %s severity %v, want %q shape critical", w, fd.Value, fd.Source, fd.Severity, value)
		case !strings.HasSuffix(fd.Path, "> sha256-hex"):
			t.Errorf("%s: path %q, want it to name the digest", w, fd.Path)
		}
	}
	if ins.Severity != phiproxy.Critical {
		t.Errorf("flow severity: got %v, want critical", ins.Severity)
	}
	if ins.Destination.Category != "advertising" {
		t.Errorf("destination category: got %q, want advertising", ins.Destination.Category)
	}
}

// TestHashedKeyPersonaNotTwice: a digest of a persona value is the
// persona's finding only; a digest of someone else's value beside it is
// still found by its key.
func TestHashedKeyPersonaNotTwice(t *testing.T) {
	in := evalPersonaInspector(t, "persona.json")
	p, err := persona.Load(filepath.Join(evalDir, "persona.json"))
	if err != nil {
		t.Fatal(err)
	}
	f := request("https://www.facebook.com/tr/?"+query("dl", conditionPage, "ud[em]", sha256Hex(p.Email), "ud[ph]", sha256Hex("14155550134")), conditionPage, "", "")
	var emails, phones []phiproxy.Finding
	for _, fd := range in.Inspect(f).Findings {
		switch fd.Kind {
		case phiproxy.KindEmail:
			emails = append(emails, fd)
		case phiproxy.KindPhone:
			phones = append(phones, fd)
		}
	}
	if len(emails) != 1 || emails[0].Source != phiproxy.SourcePersona || emails[0].Term != strings.ToLower(p.Email) {
		t.Errorf("email findings: got %+v, want one persona finding for %s", emails, p.Email)
	}
	if len(phones) != 1 || phones[0].Source != phiproxy.SourceShape || phones[0].Term != "sha256(phone)" {
		t.Errorf("phone findings: got %+v, want one shape finding sha256(phone)", phones)
	}
}

// TestEvalNegativesStayClean: the hard negatives of the evaluation corpus
// (retail and news pages with other people's hashes, versions, order
// numbers...) give nothing beyond their labels, with or without persona.
func TestEvalNegativesStayClean(t *testing.T) {
	plain, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	withPersona := evalPersonaInspector(t, "persona.json")
	n := 0
	for _, rec := range loadEvalRecords(t) {
		if !rec.Negative {
			continue
		}
		n++
		in := plain
		if rec.Persona != "" {
			in = withPersona
		}
		f, err := loadHTTPFlow(filepath.Join(evalDir, rec.File))
		if err != nil {
			t.Fatal(err)
		}
		want := map[evalLabel]bool{}
		for _, l := range rec.Expected {
			want[l] = true
		}
		for _, fd := range in.Inspect(f).Findings {
			if !want[evalLabel{string(fd.Kind), fd.Term}] {
				t.Errorf("%s: %s %q (value %q at %s, source %s)", rec.File, fd.Kind, fd.Term, fd.Value, fd.Path, fd.Source)
			}
		}
	}
	if n < 50 {
		t.Fatalf("%d negatives in the corpus, want at least 50", n)
	}
}

// FuzzHashedValues: whatever the value under a documented key, the
// digests read from it lie inside it and have a digest's shape.
func FuzzHashedValues(f *testing.F) {
	for _, s := range []string{sha256Hex("a"), "tv.1~em." + sha256B64URL("a") + "~pn.", "tv.~", "tv.1~~em.~pn." + sha256Hex("b"), " " + sha256Hex("c") + " ", "=="} {
		f.Add(s)
	}
	row := hashedKey{kind: phiproxy.KindEmail, field: "email"}
	f.Fuzz(func(t *testing.T, v string) {
		for _, h := range hashedValues(row, v, nil) {
			if h.start < 0 || h.end > len(v) || h.start >= h.end {
				t.Fatalf("span [%d,%d) outside %q", h.start, h.end, v)
			}
			if _, _, ok := digestShape(v[h.start:h.end]); !ok {
				t.Fatalf("%q is not a digest", v[h.start:h.end])
			}
		}
	})
}
