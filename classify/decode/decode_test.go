package decode

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/encoded"
	"github.com/phiproxy/phiproxy/internal/lzstring"
)

// has reports whether res holds a field with this path and value.
func has(res Result, path, value string) bool {
	for _, f := range res.Fields {
		if f.Path() == path && f.Value == value {
			return true
		}
	}
	return false
}

func flowWith(method, rawURL string, h http.Header, body []byte) *phiproxy.Flow {
	if h == nil {
		h = http.Header{}
	}
	return &phiproxy.Flow{Request: phiproxy.Request{Method: method, URL: rawURL, Header: h, Body: body, BodySize: int64(len(body))}}
}

func zstdBytes(b []byte) []byte {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		panic(err)
	}
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

// TestValueLayers checks each string layer on its own: the decoded leaf
// appears under the expected chain, and the raw value is kept.
func TestValueLayers(t *testing.T) {
	const doc = `{"properties":{"medication":"sertraline"}}`
	jwt := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"88231","email":"jane.doe@example.com"}`)) + ".c2lnbmF0dXJl"
	tests := []struct {
		name, in  string
		path, val string
	}{
		{"percent twice", "sertraline%2520side%2520effects", "v > percent > percent", "sertraline side effects"},
		{"percent then url", url.QueryEscape(url.QueryEscape(conditionURL)), "v > percent > percent > url > path[2]", "depression"},
		{"html entities", "Sertraline &amp; Zoloft &#8211; 50&nbsp;mg", "v > html-entities", "Sertraline & Zoloft – 50\u00a0mg"},
		{"json in string", doc, "v > json:$.properties.medication", "sertraline"},
		{"url in string", conditionURL + "?q=sertraline#tab=side-effects", "v > url > query:q", "sertraline"},
		{"url fragment as query", conditionURL + "#tab=side-effects", "v > url > fragment > query:tab", "side-effects"},
		{"url fragment text", conditionURL + "#Side%20effects", "v > url > fragment", "Side effects"},
		{"relative path words", "/conditions/major-depressive_disorder", "v > url > path[2] > words", "major depressive disorder"},
		{"camel case words", "/conditions/DepressionTreatment", "v > url > path[2] > words", "Depression Treatment"},
		{"acronym words", "/tests/HIVTestResults", "v > url > path[2] > words", "HIV Test Results"},
		{"base64 padded", base64.StdEncoding.EncodeToString([]byte(doc)), "v > base64 > json:$.properties.medication", "sertraline"},
		{"base64 unpadded", base64.RawStdEncoding.EncodeToString([]byte("taking sertraline daily")), "v > base64", "taking sertraline daily"},
		{"base64url", base64.RawURLEncoding.EncodeToString([]byte(`{"q":"panic attacks???>>>"}`)), "v > base64url > json:$.q", "panic attacks???>>>"},
		{"hex", hex.EncodeToString([]byte("sertraline 50mg")), "v > hex", "sertraline 50mg"},
		{"base64 gzip", base64.StdEncoding.EncodeToString(encoded.Gzip([]byte(doc))), "v > base64 > gzip > json:$.properties.medication", "sertraline"},
		{"base64 zlib", base64.StdEncoding.EncodeToString(encoded.Zlib([]byte(doc))), "v > base64 > zlib > json:$.properties.medication", "sertraline"},
		{"lzstring base64", lzstring.Compress(doc, lzBase64[:64], true), "v > lzstring > json:$.properties.medication", "sertraline"},
		{"lzstring uri", lzstring.Compress(doc, lzURISafe[:64], false), "v > lzstring > json:$.properties.medication", "sertraline"},
		{"jwt claims", jwt, "v > jwt > json:$.claims.email", "jane.doe@example.com"},
		{"jwt header", jwt, "v > jwt > json:$.header.alg", "HS256"},
		{"form in string", "condition=depression&med=sertraline", "v > form:med", "sertraline"},
		{"base64 of percent", base64.StdEncoding.EncodeToString([]byte("a%20depression%20screening")), "v > base64 > percent", "a depression screening"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Value([]string{"v"}, "v", tt.in, Limits{})
			if !has(res, tt.path, tt.val) {
				t.Fatalf("got\n%swant %s = %q", render(res), tt.path, tt.val)
			}
			if !has(res, "v", tt.in) {
				t.Errorf("raw value not kept: got\n%s", render(res))
			}
			if len(res.Notes) > 0 {
				t.Errorf("notes: got %q, want none", res.Notes)
			}
		})
	}
}

// TestValueLeftAlone checks that tokens, hashes and ordinary words are
// not "decoded" into noise: the value comes back as the only field.
func TestValueLeftAlone(t *testing.T) {
	tests := []struct{ name, in string }{
		{"sha256 hex", sha256Hex(personaEmail)},
		{"md5 hex", "5d41402abc4b2a76b9719d911017c592"},
		{"sha1 hex", "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"},
		{"sha256 base64url", sha256B64URL(personaEmail)},
		{"sha256 base64 padded", base64.StdEncoding.EncodeToString(make([]byte, 32))},
		{"google ads em", "tv.1~em." + sha256B64URL(personaEmail)},
		{"uuid", "550e8400-e29b-41d4-a716-446655440000"},
		{"digits", "17327808000001234"},
		{"plain words", "Book a therapy appointment"},
		{"word that is base64", "Sertraline"},
		{"camel word", "viewthroughconversion"},
		{"random token", "AbC9dEf8GhI7jKl6MnO5pQr4"},
		{"measurement id", "G-ABC123XYZ"},
		{"graphql", "{ patient { medications { name } } }"},
		{"sentence with percent", "100% of patients"},
		{"lone ampersand", "Tom & Jerry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Value([]string{"v"}, "v", tt.in, Limits{})
			if len(res.Fields) != 1 || res.Fields[0].Value != tt.in || res.Fields[0].Path() != "v" {
				t.Fatalf("got\n%swant only v = %q", render(res), tt.in)
			}
		})
	}
}

// TestBase64JPEGIsNotAPath: the base64 of a JPEG starts "/9j/", and was
// read as an origin-relative path whose random segments were searched as
// words (a name finding "Ik" among 200 avatar uploads). It is left as
// one value, as other binary base64 is, while a path that merely starts
// "/9j/" is still a path.
func TestBase64JPEGIsNotAPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	for n := range 50 {
		img := image.NewGray(image.Rect(0, 0, 8+rng.IntN(40), 8+rng.IntN(40)))
		for i := range img.Pix {
			img.Pix[i] = byte(rng.IntN(256))
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 30 + rng.IntN(60)}); err != nil {
			t.Fatal(err)
		}
		in := base64.StdEncoding.EncodeToString(buf.Bytes())
		if !strings.HasPrefix(in, "/9j/") || len(in) > maxRelativeURL {
			t.Fatalf("image %d: base64 %q... (%d bytes): the test wants a JPEG under %d bytes", n, in[:8], len(in), maxRelativeURL)
		}
		res := Value([]string{"v"}, "v", in, Limits{})
		if len(res.Fields) != 1 || res.Fields[0].Value != in || res.Fields[0].Path() != "v" {
			t.Fatalf("image %d: got\n%swant only v, the base64 as it is", n, render(res))
		}
	}
	res := Value([]string{"v"}, "v", "/9j/photos/intake-form", Limits{})
	if !has(res, "v > url > path[3]", "intake-form") {
		t.Errorf("a path starting /9j/: got\n%swant its segments", render(res))
	}
}

// TestBodyEncodings round-trips a JSON body through every compression,
// declared by Content-Encoding or found by magic bytes.
func TestBodyEncodings(t *testing.T) {
	doc := []byte(`{"event":"refill","medication":"sertraline"}`)
	tests := []struct {
		name     string
		encoding string // Content-Encoding header, "" for none
		dd       string // dd-evp-encoding header
		ct       string
		body     []byte
		path     string
	}{
		{"gzip declared", "gzip", "", "application/json", encoded.Gzip(doc), "body > gzip > json:$.medication"},
		{"gzip labelled text/plain", "", "", "text/plain", encoded.Gzip(doc), "body > gzip > json:$.medication"},
		{"zlib declared as deflate", "deflate", "", "application/json", encoded.Zlib(doc), "body > zlib > json:$.medication"},
		{"raw deflate declared", "deflate", "", "application/json", encoded.RawDeflate(doc), "body > deflate > json:$.medication"},
		{"datadog deflate", "", "deflate", "text/plain", encoded.Zlib(doc), "body > zlib > json:$.medication"},
		{"brotli declared", "br", "", "application/json", encoded.Brotli(doc), "body > brotli > json:$.medication"},
		{"zstd declared", "zstd", "", "application/json", zstdBytes(doc), "body > zstd > json:$.medication"},
		{"zstd sniffed", "", "", "application/octet-stream", zstdBytes(doc), "body > zstd > json:$.medication"},
		{"gzip then br", "gzip, br", "", "application/json", encoded.Brotli(encoded.Gzip(doc)), "body > brotli > gzip > json:$.medication"},
		{"base64 gzip body", "", "", "text/plain", []byte(base64.StdEncoding.EncodeToString(encoded.Gzip(doc))), "body > base64 > gzip > json:$.medication"},
		{"json as text/plain", "", "", "text/plain", doc, "body > json:$.medication"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Content-Type": {tt.ct}}
			if tt.encoding != "" {
				h.Set("Content-Encoding", tt.encoding)
			}
			if tt.dd != "" {
				h.Set("Dd-Evp-Encoding", tt.dd)
			}
			res := Flow(flowWith("POST", "https://t.example/e", h, tt.body), Limits{})
			if !has(res, tt.path, "sertraline") {
				t.Fatalf("got\n%swant %s = sertraline", render(res), tt.path)
			}
			if len(res.Notes) > 0 {
				t.Errorf("notes: got %q, want none", res.Notes)
			}
		})
	}
}

func TestURLParts(t *testing.T) {
	res := Flow(flowWith("GET", "https://user%40x:pw@Tracker.Example:8443/p;sess=abc/conditions/depression-treatment;lang=en?cd[buttonText]=Book+now&a=1&a=2&dl=https%253A%252F%252Fclinic.example%252Fconditions%252Fanxiety&empty#step=2&q=panic", nil, nil), Limits{})
	want := []struct{ path, key, value string }{
		{"url:host", "", "tracker.example"},
		{"url:userinfo", "userinfo", "user@x:pw"},
		{"path[1] > matrix:sess", "sess", "abc"},
		{"path[2]", "", "conditions"},
		{"path[3]", "", "depression-treatment"},
		{"path[3] > words", "", "depression treatment"},
		{"path[3] > matrix:lang", "lang", "en"},
		{"query:cd[buttonText]", "cd[buttonText]", "Book now"},
		{"query:a", "a", "1"},
		{"query:a", "a", "2"},
		{"query:dl > percent > url > path[2]", "", "anxiety"},
		{"query:empty", "empty", ""},
		{"fragment > query:step", "step", "2"},
		{"fragment > query:q", "q", "panic"},
	}
	got := render(res)
	for _, w := range want {
		found := false
		for _, f := range res.Fields {
			if f.Path() == w.path && f.Key == w.key && f.Value == w.value {
				found = true
			}
		}
		if !found {
			t.Errorf("missing %s [%s] = %q; got\n%s", w.path, w.key, w.value, got)
		}
	}
}

func TestHeaders(t *testing.T) {
	jwt := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"email":"jane.doe@example.com"}`)) + "."
	h := http.Header{
		"Accept":          {"*/*"},
		"User-Agent":      {"Mozilla/5.0 sertraline"},
		"Content-Type":    {"text/plain"},
		"Sec-Fetch-Site":  {"cross-site"},
		"Referer":         {"https://clinic.example/conditions/depression?tab=meds"},
		"Origin":          {"https://clinic.example"},
		"Cookie":          {`_ga=GA1.1.123.456; user_info=%7B%22email%22%3A%22jane.doe%40example.com%22%7D; "q"`},
		"Authorization":   {"Bearer " + jwt},
		"X-Patient-Id":    {"MRN-0042"},
		"X-Custom-Search": {"depression%20support"},
	}
	res := Flow(flowWith("GET", "https://t.example/", h, nil), Limits{})
	for _, w := range []struct{ path, value string }{
		{"header:Referer", "https://clinic.example/conditions/depression?tab=meds"},
		{"header:Referer > path[2]", "depression"},
		{"header:Referer > query:tab", "meds"},
		{"header:Origin > url:host", "clinic.example"},
		{"cookie:_ga", "GA1.1.123.456"},
		{"cookie:user_info > percent > json:$.email", "jane.doe@example.com"},
		{"header:Authorization > jwt > json:$.claims.email", "jane.doe@example.com"},
		{"header:X-Patient-Id", "MRN-0042"},
		{"header:X-Custom-Search > percent", "depression support"},
	} {
		if !has(res, w.path, w.value) {
			t.Errorf("missing %s = %q; got\n%s", w.path, w.value, render(res))
		}
	}
	for _, f := range res.Fields {
		for _, skipped := range []string{"Accept", "User-Agent", "Content-Type", "Sec-Fetch-Site"} {
			if f.Chain[0] == "header:"+skipped {
				t.Errorf("standard header decoded: %s", f.Path())
			}
		}
	}
}

// replayItem is a Sentry replay recording: a JSON header line, then the
// zlib-compressed rrweb events.
var replayItem = "{\"segment_id\":0}\n" + string(encoded.Zlib([]byte(`[{"type":3,"data":{"text":"Refill sertraline"}}]`)))

func TestBodies(t *testing.T) {
	tests := []struct {
		name, ct, body string
		path, value    string
	}{
		{"ndjson", "application/x-ndjson", "{\"a\":1}\n{\"en\":\"page_view\"}\n", "body > ndjson[2] > json:$.en", "page_view"},
		{"ndjson sniffed", "text/plain", "{\"a\":1}\r\n{\"en\":\"page_view\"}", "body > ndjson[2] > json:$.en", "page_view"},
		{"ga4 lines", "text/plain;charset=UTF-8", "en=page_view&_et=1\nen=lead&ep.med=sertraline", "body > line[2] > form:ep.med", "sertraline"},
		{"form", "application/x-www-form-urlencoded", "a=1&q=panic+attacks", "body > form:q", "panic attacks"},
		{"form sniffed", "", "a=1&q=panic+attacks", "body > form:q", "panic attacks"},
		{"graphql json", "application/json", `{"query":"query Meds($id: ID!) { patient(id: $id) { medications } }","variables":{"id":"88231","condition":"depression"}}`, "body > json:$.variables.condition", "depression"},
		{"graphql text", "application/graphql", "{ search(term: \"sertraline\") { id } }", "body > graphql", "{ search(term: \"sertraline\") { id } }"},
		{"xml text node", "application/xml", `<event><medication dose="50 mg">sertraline</medication></event>`, "body > xml:/event/medication", "sertraline"},
		{"xml attribute", "application/xml", `<event><medication dose="50 mg">sertraline</medication></event>`, "body > xml:/event/medication/@dose", "50 mg"},
		{"html", "text/html", `<html><body><p>Diagnosed with <b>depression</b><br>on sertraline</p><input value="jane.doe@example.com"></body></html>`, "body > xml:/html/body/p/b", "depression"},
		{"html attribute", "text/html", `<html><body><input value="jane.doe@example.com"></body></html>`, "body > xml:/html/body/input/@value", "jane.doe@example.com"},
		{"multipart without content type", "", "--b0undary\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\nsertraline\r\n--b0undary--\r\n", "body > multipart:q", "sertraline"},
		{"plain text", "text/plain", "I have been feeling depressed", "body", "I have been feeling depressed"},
		{"sentry envelope", "application/x-sentry-envelope", "{\"dsn\":\"https://k@o1.ingest.sentry.io/2\"}\n{\"type\":\"event\",\"length\":21}\n{\"message\":\"anxiety\"}\n", "body > envelope[1]:event > json:$.message", "anxiety"},
		{"sentry replay item", "application/x-sentry-envelope", "{\"event_id\":\"1\"}\n{\"type\":\"replay_recording\",\"length\":" + fmt.Sprint(len(replayItem)) + "}\n" + replayItem + "\n", "body > envelope[1]:replay_recording > zlib > json:$[0].data.text", "Refill sertraline"},
		{"binary strings", "application/octet-stream", "\x0a\x12\xff\xfesertraline 50mg\x00\x01\xffjane.doe@example.com\x02", "body > strings", "sertraline 50mg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.ct != "" {
				h.Set("Content-Type", tt.ct)
			}
			res := Flow(flowWith("POST", "https://t.example/", h, []byte(tt.body)), Limits{})
			if !has(res, tt.path, tt.value) {
				t.Fatalf("got\n%swant %s = %q", render(res), tt.path, tt.value)
			}
		})
	}
}

func TestWebSocket(t *testing.T) {
	f := flowWith("GET", "wss://ws.example/chat", nil, nil)
	f.WebSocket = []phiproxy.WSMessage{
		{FromClient: true, Data: []byte(`{"text":"I need help with my anxiety"}`)},
		{FromClient: false, Data: []byte(`{"text":"server says depression"}`)},
		{FromClient: true, Binary: true, Data: encoded.Gzip([]byte(`{"text":"sertraline"}`))},
		{FromClient: true, Binary: true, Data: zstdBytes([]byte(`{"text":"zoloft"}`))},
		{FromClient: true, Truncated: true, Data: []byte(`plain chat text`)},
	}
	res := Flow(f, Limits{})
	for _, w := range []struct{ path, value string }{
		{"ws[0] > json:$.text", "I need help with my anxiety"},
		{"ws[2] > gzip > json:$.text", "sertraline"},
		{"ws[3] > zstd > json:$.text", "zoloft"},
		{"ws[4]", "plain chat text"},
	} {
		if !has(res, w.path, w.value) {
			t.Errorf("missing %s = %q; got\n%s", w.path, w.value, render(res))
		}
	}
	for _, fl := range res.Fields {
		if strings.HasPrefix(fl.Path(), "ws[1]") {
			t.Errorf("server message decoded: %s", fl.Path())
		}
		if strings.HasPrefix(fl.Path(), "ws[4]") && !fl.Truncated {
			t.Errorf("field of a truncated message not marked: %s", fl.Path())
		}
	}
}

func TestNilFlowAndZeroLimits(t *testing.T) {
	if res := Flow(nil, Limits{}); len(res.Fields) != 0 || len(res.Notes) != 0 {
		t.Fatalf("nil flow: got %+v, want empty", res)
	}
	if got, want := (Limits{}).withDefaults(), DefaultLimits(); got != want {
		t.Fatalf("zero limits: got %+v, want %+v", got, want)
	}
	if got, want := (Limits{MaxDepth: -3, MaxFields: 7}).withDefaults(), (Limits{4, 32 << 20, 7, 100, 64}); got != want {
		t.Fatalf("partial limits: got %+v, want %+v", got, want)
	}
}

func TestOriginFormURL(t *testing.T) {
	f := flowWith("GET", "/conditions/depression?q=sertraline", http.Header{"Origin": {"null"}}, nil)
	f.Request.Host = "Tracker.Example:8080"
	res := Flow(f, Limits{})
	for _, w := range []struct{ path, value string }{
		{"url:host", "tracker.example"},
		{"path[2]", "depression"},
		{"query:q", "sertraline"},
	} {
		if !has(res, w.path, w.value) {
			t.Errorf("missing %s = %q; got\n%s", w.path, w.value, render(res))
		}
	}
	for _, fl := range res.Fields {
		if fl.Chain[0] == "header:Origin" {
			t.Errorf("opaque origin decoded: %s = %q", fl.Path(), fl.Value)
		}
	}
}

// TestQueryPlusInBase64 covers base64 sent in a query string without
// escaping '+', which the query reading turns into spaces.
func TestQueryPlusInBase64(t *testing.T) {
	enc := base64.StdEncoding.EncodeToString([]byte(`{"q":"sertraline>>>?"}`))
	if !strings.Contains(enc, "+") {
		t.Fatalf("test input %q has no '+'", enc)
	}
	res := Flow(flowWith("GET", "https://t.example/i?data="+enc, nil, nil), Limits{})
	if !has(res, "query:data > base64 > json:$.q", "sertraline>>>?") {
		t.Fatalf("got\n%swant the base64 decoded despite '+' read as space", render(res))
	}
}
