package decode

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy/internal/encoded"
	"github.com/phiproxy/phiproxy/internal/lzstring"
)

var regen = flag.Bool("regen", false, "rewrite the fixtures under testdata/payloads from the specs in gen_test.go")

// Persona values planted in the fixtures so downstream detectors have
// something to find.
const (
	personaEmail = "jane.doe@example.com"
	personaPhone = "15555550123"
	conditionURL = "https://clinic.example/conditions/depression"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func sha256B64URL(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// fixture is one request to write as "<vendor>/<name>.http".
type fixture struct {
	path    string
	method  string
	target  string
	headers [][2]string
	body    []byte
	ws      []wsMessage
}

func (f fixture) bytes() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", f.method, f.target)
	for _, h := range f.headers {
		fmt.Fprintf(&b, "%s: %s\r\n", h[0], h[1])
	}
	if len(f.body) > 0 {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(f.body))
	}
	b.WriteString("\r\n")
	b.Write(f.body)
	return b.Bytes()
}

var browserHeaders = [][2]string{
	{"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"},
	{"Accept", "*/*"},
	{"Accept-Language", "en-US,en;q=0.9"},
	{"Sec-Fetch-Site", "cross-site"},
}

func hdrs(extra ...[2]string) [][2]string {
	return append(append([][2]string{}, extra...), browserHeaders...)
}

func q(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		// Keep Meta's bracketed keys readable, as browsers send them.
		k := strings.NewReplacer("%5B", "[", "%5D", "]").Replace(url.QueryEscape(pairs[i]))
		b.WriteString(k + "=" + strings.ReplaceAll(url.QueryEscape(pairs[i+1]), "+", "%20"))
	}
	return b.String()
}

func fixtures() []fixture {
	emailHash := sha256Hex(personaEmail)
	phoneHash := sha256Hex(personaPhone)
	referer := [2]string{"Referer", conditionURL + "?tab=medications"}
	origin := [2]string{"Origin", "https://clinic.example"}

	var fs []fixture

	fs = append(fs, fixture{path: "meta/pixel-get", method: "GET",
		target: "https://www.facebook.com/tr/?" + q("id", "1234567890123456", "ev", "PageView",
			"dl", conditionURL+"?utm_source=newsletter", "rl", "https://www.google.com/",
			"if", "false", "ts", "1732780800000",
			"cd[buttonText]", "Book a therapy appointment",
			"cd[buttonFeatures]", `{"classList":"btn btn-book","destination":"https://clinic.example/book?service=therapy","innerText":"Book a therapy appointment"}`,
			"cd[pageFeatures]", `{"title":"Depression Treatment | Clinic"}`,
			"sw", "1920", "sh", "1080", "v", "2.9.176", "r", "stable",
			"fbp", "fb.1.1732780000000.123456789",
			"ud[em]", emailHash, "ud[ph]", phoneHash, "rqm", "GET"),
		headers: hdrs([2]string{"Host", "www.facebook.com"}, referer, [2]string{"Cookie", "fr=0abcDEF1234.AWX; datr=AbCdEfGhIjKl"})})

	fs = append(fs, fixture{path: "meta/pixel-post", method: "POST", target: "https://www.facebook.com/tr/",
		headers: hdrs([2]string{"Host", "www.facebook.com"}, [2]string{"Content-Type", "application/x-www-form-urlencoded"}, origin, referer),
		body: []byte(q("id", "1234567890123456", "ev", "Lead", "dl", conditionURL,
			"cd[content_name]", "Sertraline refill request",
			"cd[formFeatures]", `[{"id":"medication","name":"medication","tag":"input","inputType":"text","placeholder":"Current medication"},{"id":"dob","name":"date_of_birth","tag":"input","inputType":"date"}]`,
			"ud[em]", emailHash, "ud[fn]", sha256Hex("jane"), "ud[db]", sha256Hex("19850214")))})

	fs = append(fs, fixture{path: "ga4/collect-get", method: "GET",
		target: "https://region1.google-analytics.com/g/collect?" + q("v", "2", "tid", "G-ABC123XYZ", "gtm", "45je4b20v",
			"_p", "1732780800", "cid", "1234567890.1732780000", "ul", "en-us", "sr", "1920x1080",
			"en", "page_view", "dl", conditionURL+"?q=sertraline%20side%20effects",
			"dr", "https://clinic.example/", "dt", "Depression Treatment | Clinic",
			"ep.medication", "sertraline", "uid", "patient-88231", "_s", "1"),
		headers: hdrs([2]string{"Host", "region1.google-analytics.com"}, referer)})

	fs = append(fs, fixture{path: "ga4/collect-batch", method: "POST",
		target: "https://region1.google-analytics.com/g/collect?" + q("v", "2", "tid", "G-ABC123XYZ", "cid", "1234567890.1732780000",
			"uid", "patient-88231", "dl", "https://clinic.example/book/psychiatry?condition=anxiety", "dt", "Book a psychiatry visit"),
		headers: hdrs([2]string{"Host", "region1.google-analytics.com"}, [2]string{"Content-Type", "text/plain;charset=UTF-8"}, origin),
		body: []byte(q("en", "page_view", "_et", "12", "ep.page_type", "booking") + "\r\n" +
			q("en", "form_start", "_et", "2000", "ep.form_id", "intake", "ep.reason", "panic attacks") + "\r\n" +
			q("en", "generate_lead", "ep.medication", "sertraline", "em", emailHash))})

	fs = append(fs, fixture{path: "googleads/viewthrough", method: "GET",
		target: "https://googleads.g.doubleclick.net/pagead/viewthroughconversion/987654321/?" + q("random", "1732780800",
			"cv", "11", "fst", "1732780800000", "guid", "ON", "async", "1",
			"url", "https://clinic.example/conditions/hiv-prep?step=2", "ref", "https://clinic.example/",
			"tiba", "HIV PrEP consultation | Clinic", "data", "event=conversion;value=0",
			"em", "tv.1~em."+sha256B64URL(personaEmail), "rfmt", "3", "fmt", "4"),
		headers: hdrs([2]string{"Host", "googleads.g.doubleclick.net"}, [2]string{"Referer", "https://clinic.example/conditions/hiv-prep?step=2"})})

	fs = append(fs, fixture{path: "tiktok/pixel", method: "POST", target: "https://analytics.tiktok.com/api/v2/pixel",
		headers: hdrs([2]string{"Host", "analytics.tiktok.com"}, [2]string{"Content-Type", "application/json"}, origin, referer),
		body: mustJSON(map[string]any{
			"event": "SubmitForm", "event_id": "1732780800123-abc", "timestamp": "2026-11-28T10:00:00.000Z",
			"context": map[string]any{
				"pixel": map[string]any{"code": "C1234567890ABCDEFGHI"},
				"page":  map[string]any{"url": conditionURL + "?utm=x", "referrer": "https://clinic.example/"},
				"user":  map[string]any{"email": emailHash, "phone_number": phoneHash, "external_id": sha256Hex("patient-88231")},
			},
			"properties": map[string]any{"content_name": "Sertraline refill", "content_category": "mental health", "value": 0, "currency": "USD"},
		})})

	liJSON := mustJSON(map[string]any{"pids": []int{1234567}, "scriptVersion": 190, "time": 1732780800000,
		"domain": "clinic.example", "url": conditionURL, "pageTitle": "Depression treatment | Clinic",
		"signals": map[string]any{"hem": emailHash}, "isTranslated": false})
	fs = append(fs, fixture{path: "linkedin/wa", method: "POST", target: "https://px.ads.linkedin.com/wa/",
		headers: hdrs([2]string{"Host", "px.ads.linkedin.com"}, [2]string{"Content-Type", "text/plain;charset=UTF-8"}, origin),
		body:    []byte(base64.StdEncoding.EncodeToString(encoded.Gzip(liJSON)))})

	fs = append(fs, fixture{path: "intercom/ping", method: "POST", target: "https://api-iam.intercom.io/messenger/web/ping",
		headers: hdrs([2]string{"Host", "api-iam.intercom.io"}, [2]string{"Content-Type", "application/x-www-form-urlencoded"}, origin),
		body: []byte(q("app_id", "abc123de", "v", "3", "s", "8f1c2e4a-0b1d-4c5e-9f00-123456789abc", "r", "", "platform", "web",
			"page_title", "Depression Treatment | Clinic", "referer", conditionURL+"?tab=medications",
			"user_data", `{"email":"`+personaEmail+`","name":"Jane Doe","user_id":"patient-88231","custom_attributes":{"last_condition_viewed":"depression"}}`,
			"source", "apiUpdate"))})

	fs = append(fs, fixture{path: "intercom/conversation", method: "POST", target: "https://api-iam.intercom.io/messenger/web/conversations",
		headers: hdrs([2]string{"Host", "api-iam.intercom.io"}, [2]string{"Content-Type", "application/x-www-form-urlencoded"}, origin),
		body: []byte(q("app_id", "abc123de", "v", "3", "referer", "https://clinic.example/portal/messages",
			"blocks", `[{"type":"paragraph","text":"Hi, I need a refill of my sertraline 50mg, my anxiety is getting worse"}]`,
			"user_data", `{"email":"`+personaEmail+`"}`))})

	fs = append(fs, fixture{path: "segment/track", method: "POST", target: "https://api.segment.io/v1/t",
		headers: hdrs([2]string{"Host", "api.segment.io"}, [2]string{"Content-Type", "text/plain"}, origin),
		body: mustJSON(map[string]any{"event": "Appointment Booked", "type": "track", "userId": "patient-88231",
			"anonymousId": "5b0f1a3c-2d4e-4f60-8a9b-0c1d2e3f4a5b",
			"properties":  map[string]any{"specialty": "psychiatry", "reason": "depression", "provider": "Dr. Alan Smith"},
			"context": map[string]any{"page": map[string]any{"path": "/book/psychiatry", "search": "?condition=depression",
				"title": "Book | Clinic", "url": "https://clinic.example/book/psychiatry?condition=depression"},
				"traits": map[string]any{"email": personaEmail}},
			"writeKey": "wk_abc123", "messageId": "ajs-next-1732780800000-abc"})})

	fs = append(fs, fixture{path: "rudderstack/track", method: "POST", target: "https://clinicrjq.dataplane.rudderstack.com/v1/track",
		headers: hdrs([2]string{"Host", "clinicrjq.dataplane.rudderstack.com"}, [2]string{"Content-Type", "text/plain;charset=UTF-8"}, origin),
		body: mustJSON(map[string]any{"event": "Symptom Checker Completed", "type": "track",
			"properties": map[string]any{"answers": []string{"low mood for 3 weeks", "trouble sleeping"}, "result": "possible depression"},
			"context":    map[string]any{"page": map[string]any{"url": "https://clinic.example/symptom-checker/results"}}})})

	mpJSON := mustJSON(map[string]any{"event": "Viewed Condition", "properties": map[string]any{
		"$current_url": "https://clinic.example/conditions/bipolar-disorder", "distinct_id": "18c0ffee-1234",
		"token": "mp_token_abc", "condition": "bipolar disorder", "$email": personaEmail}})
	fs = append(fs, fixture{path: "mixpanel/track", method: "POST", target: "https://api-js.mixpanel.com/track/?verbose=1&ip=1&_=1732780800000",
		headers: hdrs([2]string{"Host", "api-js.mixpanel.com"}, [2]string{"Content-Type", "application/x-www-form-urlencoded"}, origin),
		body:    []byte(q("data", base64.StdEncoding.EncodeToString(mpJSON)))})

	spContexts := mustJSON(map[string]any{"schema": "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0",
		"data": []any{map[string]any{"schema": "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0",
			"data": map[string]any{"id": "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"}},
			map[string]any{"schema": "iglu:com.clinic/patient/jsonschema/1-0-0", "data": map[string]any{"email": personaEmail, "condition": "depression"}}}})
	fs = append(fs, fixture{path: "snowplow/get", method: "GET",
		target: "https://collector.clinic-analytics.example/i?" + q("e", "pv", "url", conditionURL, "page", "Depression Treatment",
			"refr", "https://www.google.com/", "tv", "js-3.24.0", "tna", "sp", "aid", "clinic", "p", "web",
			"tz", "America/New_York", "uid", personaEmail, "cx", base64.RawURLEncoding.EncodeToString(spContexts)),
		headers: hdrs([2]string{"Host", "collector.clinic-analytics.example"}, referer)})

	uePx := mustJSON(map[string]any{"schema": "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0",
		"data": map[string]any{"schema": "iglu:com.snowplowanalytics.snowplow/submit_form/jsonschema/1-0-0",
			"data": map[string]any{"formId": "intake", "elements": []any{
				map[string]any{"name": "current_medication", "value": "sertraline 50 mg", "nodeName": "INPUT"},
				map[string]any{"name": "previously_in_therapy", "value": "yes", "nodeName": "SELECT"}}}}})
	fs = append(fs, fixture{path: "snowplow/tp2", method: "POST", target: "https://collector.clinic-analytics.example/com.snowplowanalytics.snowplow/tp2",
		headers: hdrs([2]string{"Host", "collector.clinic-analytics.example"}, [2]string{"Content-Type", "application/json; charset=UTF-8"}, origin),
		body: mustJSON(map[string]any{"schema": "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4",
			"data": []any{map[string]any{"e": "ue", "url": "https://clinic.example/intake", "page": "Intake form",
				"ue_px": base64.RawURLEncoding.EncodeToString(uePx), "cx": base64.StdEncoding.EncodeToString(spContexts)}}})})

	phEvents := mustJSON([]any{map[string]any{"event": "$pageview", "properties": map[string]any{
		"$current_url": conditionURL, "$pathname": "/conditions/depression", "distinct_id": "0190abcd-ef01",
		"$set": map[string]any{"email": personaEmail}, "medication": "sertraline"}}})
	fs = append(fs, fixture{path: "posthog/gzip-js", method: "POST", target: "https://us.i.posthog.com/e/?compression=gzip-js&ip=1&_=1732780800000&ver=1.180.0",
		headers: hdrs([2]string{"Host", "us.i.posthog.com"}, [2]string{"Content-Type", "text/plain"}, origin),
		body:    encoded.Gzip(phEvents)})
	fs = append(fs, fixture{path: "posthog/base64", method: "POST", target: "https://us.i.posthog.com/e/?ip=1&_=1732780800000&ver=1.180.0",
		headers: hdrs([2]string{"Host", "us.i.posthog.com"}, [2]string{"Content-Type", "application/x-www-form-urlencoded"}, origin),
		body:    []byte(q("data", base64.StdEncoding.EncodeToString(phEvents), "compression", "base64"))})
	fs = append(fs, fixture{path: "posthog/lz64", method: "POST", target: "https://us.i.posthog.com/e/?compression=lz64&ip=1&_=1732780800000&ver=1.180.0",
		headers: hdrs([2]string{"Host", "us.i.posthog.com"}, [2]string{"Content-Type", "application/x-www-form-urlencoded"}, origin),
		body:    []byte(q("data", lzstring.Compress(string(phEvents), lzBase64[:64], true), "compression", "lz64"))})

	ddLines := string(mustJSON(map[string]any{"type": "view", "date": 1732780800000,
		"view": map[string]any{"url": "https://portal.clinic.example/patients/88231/medications", "referrer": conditionURL, "name": "/patients/?/medications"},
		"usr":  map[string]any{"id": "patient-88231", "email": personaEmail}})) + "\n" +
		string(mustJSON(map[string]any{"type": "action", "date": 1732780801000,
			"action": map[string]any{"type": "click", "target": map[string]any{"name": "Refill sertraline 50 mg"}},
			"view":   map[string]any{"url": "https://portal.clinic.example/patients/88231/medications"}})) + "\n"
	fs = append(fs, fixture{path: "datadog/rum-deflate", method: "POST",
		target:  "https://browser-intake-datadoghq.com/api/v2/rum?" + q("ddsource", "browser", "ddtags", "sdk_version:5.35.0,env:prod,service:portal", "dd-api-key", "pub0123456789abcdef", "dd-evp-origin", "browser", "dd-request-id", "3f0c8f7e-1c2b-4a5d-9e6f-7a8b9c0d1e2f"),
		headers: hdrs([2]string{"Host", "browser-intake-datadoghq.com"}, [2]string{"Content-Type", "text/plain;charset=UTF-8"}, [2]string{"Dd-Evp-Encoding", "deflate"}, origin),
		body:    encoded.Zlib([]byte(ddLines))})

	attachment := "Patient note: continue sertraline, follow up on depression in 4 weeks."
	fs = append(fs, fixture{path: "sentry/envelope", method: "POST",
		target:  "https://o123456.ingest.sentry.io/api/4504567/envelope/?sentry_key=0123456789abcdef0123456789abcdef&sentry_version=7",
		headers: hdrs([2]string{"Host", "o123456.ingest.sentry.io"}, [2]string{"Content-Type", "text/plain;charset=UTF-8"}, origin),
		body: []byte(`{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","sent_at":"2026-11-28T10:00:00.000Z","sdk":{"name":"sentry.javascript.browser","version":"8.40.0"}}` + "\n" +
			`{"type":"event"}` + "\n" +
			string(mustJSON(map[string]any{"exception": map[string]any{"values": []any{map[string]any{"type": "TypeError", "value": "Cannot read properties of undefined (reading 'dosage') in SertralineDoseForm"}}},
				"request": map[string]any{"url": "https://portal.clinic.example/conditions/depression/medications"},
				"user":    map[string]any{"email": personaEmail, "ip_address": "{{auto}}"}})) + "\n" +
			fmt.Sprintf(`{"type":"attachment","length":%d,"filename":"notes.txt","content_type":"text/plain"}`, len(attachment)) + "\n" +
			attachment + "\n")})

	hotjarSnapshot := mustJSON(map[string]any{"type": "mutations", "data": []any{
		map[string]any{"text": "Have you been diagnosed with depression?"}, map[string]any{"value": "Yes, I take sertraline"}}})
	fs = append(fs, fixture{path: "hotjar/ws", method: "GET", target: "https://ws.hotjar.com/api/v2/client/ws",
		headers: hdrs([2]string{"Host", "ws.hotjar.com"}, [2]string{"Upgrade", "websocket"}, [2]string{"Connection", "Upgrade"},
			[2]string{"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}, [2]string{"Sec-WebSocket-Version", "13"}, origin),
		ws: []wsMessage{
			{FromClient: true, Data: `{"action":"identify_user","data":{"site_id":1234567,"url":"https://clinic.example/intake?step=2","title":"Intake - mental health history"}}`},
			{FromClient: false, Data: `{"ok":true,"note":"server messages are not decoded"}`},
			{FromClient: true, Binary: true, Data: base64.StdEncoding.EncodeToString(encoded.Gzip(hotjarSnapshot))},
		}})

	fs = append(fs, fixture{path: "fullstory/bundle", method: "POST",
		target:  "https://rs.fullstory.com/rec/bundle/v2?OrgId=o-1ABC2D-na1&UserId=5629499534213120&SessionId=4785074604081152&PageId=1234&Seq=3&ClientTime=1732780800000",
		headers: hdrs([2]string{"Host", "rs.fullstory.com"}, [2]string{"Content-Type", "text/plain"}, origin),
		body: mustJSON(map[string]any{"Seq": 3, "When": 1732780800000, "Evts": []any{
			map[string]any{"When": 120, "Kind": 2, "Args": []any{[]any{[]any{"/html/body/main/form/label", 17, "Current medication"}}}},
			map[string]any{"When": 130, "Kind": 18, "Args": []any{27, "sertraline 50 mg"}},
			map[string]any{"When": 140, "Kind": 37, "Args": []any{"https://clinic.example/conditions/depression#section=side-effects"}},
		}})})

	form := "--XyZboundary42\r\n" +
		"Content-Disposition: form-data; name=\"email\"\r\n\r\n" + personaEmail + "\r\n" +
		"--XyZboundary42\r\n" +
		"Content-Disposition: form-data; name=\"reason\"\r\n\r\nFollow-up for depression, sertraline dose\r\n" +
		"--XyZboundary42\r\n" +
		"Content-Disposition: form-data; name=\"context\"\r\nContent-Type: application/json\r\n\r\n" +
		`{"hs_context":{"pageUrl":"https://clinic.example/book/psychiatry","pageName":"Book psychiatry"}}` + "\r\n" +
		"--XyZboundary42\r\n" +
		"Content-Disposition: form-data; name=\"upload\"; filename=\"insurance-card-jane-doe.txt\"\r\nContent-Type: text/plain\r\n\r\n" +
		"Member ID: XJH123456789\r\n" +
		"--XyZboundary42--\r\n"
	fs = append(fs, fixture{path: "hubspot/form-multipart", method: "POST",
		target:  "https://forms.hubspot.com/uploads/form/v2/1234567/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
		headers: hdrs([2]string{"Host", "forms.hubspot.com"}, [2]string{"Content-Type", "multipart/form-data; boundary=XyZboundary42"}, origin, referer),
		body:    []byte(form)})

	return fs
}

// TestFixturesMatchTheirSpecs checks that every file under
// testdata/payloads is what its spec above generates, so the specs stay the
// fixtures' source of truth. With -regen it rewrites the files instead:
//
//	go test ./classify/decode -run TestFixturesMatchTheirSpecs -regen
//	go test ./classify/decode -run TestFixtures -update
func TestFixturesMatchTheirSpecs(t *testing.T) {
	for _, f := range fixtures() {
		path := filepath.Join(payloadDir, filepath.FromSlash(f.path)+".http")
		files := map[string][]byte{path: f.bytes()}
		if len(f.ws) > 0 {
			var b bytes.Buffer
			for _, m := range f.ws {
				b.Write(mustJSON(m))
				b.WriteByte('\n')
			}
			files[strings.TrimSuffix(path, ".http")+".ws.jsonl"] = b.Bytes()
		}
		for name, want := range files {
			if *regen {
				if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(name, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(name)
			if err != nil {
				t.Errorf("%v (run with -regen to create it)", err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from its spec in gen_test.go (run with -regen if the spec is right)", name)
			}
		}
	}
}
