package main

import (
	"fmt"
	"strings"

	"github.com/phiproxy/phiproxy/internal/encoded"
)

// Request builders, one per tracker format, shaped after what the vendors'
// browser libraries send. Fixed identifiers keep the output deterministic.

const (
	metaPixel  = "1187453920016723"
	ga4Tag     = "G-7KQ2M4XR1B"
	adsID      = "10987654321"
	tiktokCode = "CQ4M8J3C77U6D0A1B2C3"
	fixedTS    = "1764324012345"
	fixedISO   = "2026-11-28T10:00:12.345Z"
)

func formHeader(page string) [][2]string {
	return [][2]string{
		{"Content-Type", "application/x-www-form-urlencoded"},
		{"Origin", strings.TrimSuffix(origin(page), "/")},
		{"Referer", origin(page)},
	}
}

func textHeader(page string) [][2]string {
	return [][2]string{
		{"Content-Type", "text/plain;charset=UTF-8"},
		{"Origin", strings.TrimSuffix(origin(page), "/")},
		{"Referer", origin(page)},
	}
}

func jsonHeader(page string) [][2]string {
	return [][2]string{
		{"Content-Type", "application/json"},
		{"Origin", strings.TrimSuffix(origin(page), "/")},
		{"Referer", origin(page)},
	}
}

func metaPairs(dl, rl, ev string, extra []string) []string {
	p := []string{"id", metaPixel, "ev", ev, "dl", dl, "rl", rl, "if", "false", "ts", fixedTS}
	p = append(p, extra...)
	return append(p, "sw", "1920", "sh", "1080", "v", "2.9.179", "r", "stable", "ec", "1", "o", "4126", "it", "1764324010011", "coo", "false", "rqm", "GET")
}

// metaGET is the Meta Pixel image request: facebook.com/tr/?id=..&ev=..
func metaGET(dl, rl, ev string, extra ...string) req {
	return req{method: "GET",
		url:    "https://www.facebook.com/tr/?" + q(metaPairs(dl, rl, ev, extra)...),
		header: [][2]string{{"Referer", origin(dl)}, {"Sec-Fetch-Dest", "image"}}}
}

// metaPOST is the same payload sent as a form POST (used for long payloads).
func metaPOST(dl, rl, ev string, extra ...string) req {
	return req{method: "POST", url: "https://www.facebook.com/tr/",
		header: formHeader(dl), body: []byte(q(metaPairs(dl, rl, ev, extra)...))}
}

func ga4Pairs(dl, dt, en string) []string {
	return []string{"v", "2", "tid", ga4Tag, "gtm", "45je4bk0v9183224950za200", "_p", "1764324000111",
		"gcd", "13l3l3l3l1l1", "npa", "0", "dma", "0", "cid", "1580347211.1764320001", "ul", "en-us",
		"sr", "1920x1080", "_s", "2", "sid", "1764320001", "sct", "3", "seg", "1", "dl", dl, "dt", dt, "en", en}
}

// ga4GET is one GA4 hit in the query string.
func ga4GET(host, dl, dt, en string, extra ...string) req {
	p := append(ga4Pairs(dl, dt, en), extra...)
	return req{method: "GET", url: "https://" + host + "/g/collect?" + q(p...),
		header: [][2]string{{"Referer", origin(dl)}}}
}

// ga4POST is a batched GA4 hit: shared parameters in the query, one event
// per body line.
func ga4POST(host, dl, dt string, lines ...string) req {
	p := []string{"v", "2", "tid", ga4Tag, "gtm", "45je4bk0v9183224950za200", "_p", "1764324000111",
		"cid", "1580347211.1764320001", "ul", "en-us", "sr", "1920x1080", "sid", "1764320001", "dl", dl, "dt", dt}
	return req{method: "POST", url: "https://" + host + "/g/collect?" + q(p...),
		header: textHeader(dl), body: []byte(strings.Join(lines, "\n"))}
}

// adsGET is a Google Ads view-through conversion.
func adsGET(page, ref, tiba string, extra ...string) req {
	p := []string{"random", "1764324012345", "cv", "11", "fst", "1764324012345", "bg", "ffffff", "guid", "ON",
		"async", "1", "gtm", "45be4bk0v9183224950za200", "u_w", "1920", "u_h", "1080", "url", page, "ref", ref,
		"hn", "www.googleadservices.com", "frm", "0", "tiba", tiba}
	p = append(p, extra...)
	p = append(p, "rfmt", "3", "fmt", "4")
	return req{method: "GET", url: "https://googleads.g.doubleclick.net/pagead/viewthroughconversion/" + adsID + "/?" + q(p...),
		header: [][2]string{{"Referer", origin(page)}}}
}

// tiktok is a TikTok pixel event; user is the context.user JSON object.
func tiktok(page, ref, event, user, props string) req {
	body := js(fmt.Sprintf(`{"event":%s,"message_id":"messageId-1764324012345-5812309417-%s","event_id":"","is_onsite":false,"timestamp":%s,"context":{"ad":{"sdk_env":"external","jsb_status":2},"user":%s,"pixel":{"code":%s,"runtime":"1"},"page":{"url":%s,"referrer":%s},"library":{"name":"pixel.js","version":"2.2.1"},"device":{"platform":"pc"},"session_id":"a1b2c3d4-0000-4000-8000-1764324012::x9Qk2"},"_inspection":{},"properties":%s}`,
		jstr(event), tiktokCode, jstr(fixedISO), user, jstr(tiktokCode), jstr(page), jstr(ref), props))
	return req{method: "POST", url: "https://analytics.tiktok.com/api/v2/pixel", header: jsonHeader(page), body: []byte(body)}
}

// linkedinCollect is the Insight tag's GET beacon.
func linkedinCollect(page, title string, extra ...string) req {
	p := []string{"v", "2", "fmt", "js", "pid", "4412871", "time", fixedTS, "url", page, "pageTitle", title}
	p = append(p, extra...)
	return req{method: "GET", url: "https://px.ads.linkedin.com/collect?" + q(p...),
		header: [][2]string{{"Referer", origin(page)}}}
}

// linkedinWA is the website-actions upload: base64(gzip(JSON)) as text.
func linkedinWA(page, payload string) req {
	body := b64(string(encoded.Gzip([]byte(js(payload)))))
	return req{method: "POST", url: "https://px.ads.linkedin.com/wa/", header: textHeader(page), body: []byte(body)}
}

// intercom posts a messenger form; fields after app_id are given in order.
func intercom(endpoint, page string, fields ...string) req {
	p := []string{"app_id", "q7rw2xkd", "v", "3", "g", "8c1a73b9", "s", "b5a4e1f0-6a2e-4d3b-9f1c-1764324012aa", "r", "", "platform", "web", "installation_type", "js-snippet", "Idempotency-Key", "7f3e9a0b2c1d4e5f"}
	p = append(p, fields...)
	p = append(p, "internal", "{}", "is_intersection_booted", "null", "user_active_company_id", "undefined")
	return req{method: "POST", url: "https://api-iam.intercom.io/messenger/web/" + endpoint,
		header: formHeader(page), body: []byte(q(p...))}
}

// segment posts one Segment call as text/plain JSON.
func segment(kind, page, msg string) req {
	return req{method: "POST", url: "https://api.segment.io/v1/" + kind, header: textHeader(page), body: []byte(js(msg))}
}

// rudder posts to a RudderStack data plane.
func rudder(host, path, page, msg string) req {
	h := append(jsonHeader(page), [2]string{"Authorization", "Basic MnBQeTlLaFZ3QzRmWlRyM2JNa0pqN1hOcWU6"}, [2]string{"AnonymousId", "OGQ0ZjJhMWMtM2I1ZS00ZDZmLThhOWItMGMxZDJlM2Y0YTVi"})
	return req{method: "POST", url: "https://" + host + path, header: h, body: []byte(js(msg))}
}

// mixpanelPOST sends data=base64(JSON) as a form.
func mixpanelPOST(endpoint, page, payload string) req {
	return req{method: "POST", url: "https://api-js.mixpanel.com/" + endpoint + "/?verbose=1&ip=1&_=" + fixedTS,
		header: formHeader(page), body: []byte(q("data", b64(js(payload))))}
}

// mixpanelGET sends data=base64url(JSON) without padding in the query.
func mixpanelGET(endpoint, page, payload string) req {
	return req{method: "GET", url: "https://api-js.mixpanel.com/" + endpoint + "/?" + q("data", b64url(js(payload)), "ip", "1", "_", fixedTS),
		header: [][2]string{{"Referer", origin(page)}}}
}

// mixpanelJSON sends plain JSON (newer SDKs with api_payload_format json).
func mixpanelJSON(page, payload string) req {
	return req{method: "POST", url: "https://api-js.mixpanel.com/track/?verbose=1&ip=1&_=" + fixedTS,
		header: jsonHeader(page), body: []byte(js(payload))}
}

const snowplowContexts = "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0"

// snowplowGET is the tracker's /i pixel; cx is base64url of a contexts JSON.
func snowplowGET(host, page, title, refr string, extra ...string) req {
	p := []string{"e", "pv", "url", page, "page", title, "refr", refr, "tv", "js-3.24.2", "tna", "sp1", "aid", "web",
		"p", "web", "tz", "America/Chicago", "lang", "en-US", "cs", "UTF-8", "res", "1920x1080", "cd", "24",
		"cookie", "1", "eid", "5b1d7c1e-2f3a-4b4c-8d9e-0f1a2b3c4d5e", "dtm", fixedTS, "vp", "1903x961",
		"duid", "0c7d5e2b-9a4f-4e0e-b2a1-6f3d8c9e1a2b", "vid", "4", "sid", "1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b"}
	p = append(p, extra...)
	return req{method: "GET", url: "https://" + host + "/i?" + q(p...), header: [][2]string{{"Referer", origin(page)}}}
}

// snowplowPOST is the tp2 batch endpoint.
func snowplowPOST(host, page, payload string) req {
	return req{method: "POST", url: "https://" + host + "/com.snowplowanalytics.snowplow/tp2",
		header: [][2]string{{"Content-Type", "application/json; charset=UTF-8"}, {"Origin", strings.TrimSuffix(origin(page), "/")}, {"Referer", origin(page)}},
		body:   []byte(js(payload))}
}

// posthogB64 posts data=base64(JSON) with compression=base64.
func posthogB64(host, path, page, payload string) req {
	return req{method: "POST", url: "https://" + host + path + "?ip=1&_=" + fixedTS + "&ver=1.194.2&compression=base64",
		header: formHeader(page), body: []byte(q("data", b64(js(payload))))}
}

// posthogGzip posts gzip(JSON) with compression=gzip-js, as text/plain.
func posthogGzip(host, path, page, payload string) req {
	return req{method: "POST", url: "https://" + host + path + "?ip=1&_=" + fixedTS + "&ver=1.194.2&compression=gzip-js",
		header: textHeader(page), body: encoded.Gzip([]byte(js(payload)))}
}

// posthogJSON posts plain JSON.
func posthogJSON(host, path, page, payload string) req {
	return req{method: "POST", url: "https://" + host + path + "?ip=1&_=" + fixedTS + "&ver=1.194.2",
		header: jsonHeader(page), body: []byte(js(payload))}
}

// datadog posts RUM events as NDJSON, deflated (zlib) when deflate is set.
func datadog(page string, deflate bool, events ...string) req {
	for _, e := range events {
		js(e)
	}
	body := []byte(strings.Join(events, "\n"))
	u := "https://browser-intake-datadoghq.com/api/v2/rum?ddsource=browser&ddtags=" +
		"sdk_version%3A5.35.0%2Capi%3Afetch%2Cenv%3Aprod%2Cservice%3Aweb&dd-api-key=pub3f1c9a7e5b2d4c6e8f0a1b2c3d4e5f6a" +
		"&dd-evp-origin-version=5.35.0&dd-evp-origin=browser&dd-request-id=6c1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a&batch_time=" + fixedTS
	if deflate {
		body = encoded.Zlib(body)
		u += "&dd-evp-encoding=deflate"
	}
	return req{method: "POST", url: u, header: textHeader(page), body: body}
}

// sentry posts an envelope: header line, item header, item payload.
func sentry(page, event string) req {
	ev := js(event)
	body := js(`{"event_id":"9f8e7d6c5b4a49382716a5b4c3d2e1f0","sent_at":"`+fixedISO+`","sdk":{"name":"sentry.javascript.browser","version":"8.42.0"}}`) + "\n" +
		fmt.Sprintf(`{"type":"event","length":%d}`, len(ev)) + "\n" + ev + "\n"
	return req{method: "POST", url: "https://o448123.ingest.us.sentry.io/api/5583021/envelope/?sentry_version=7&sentry_key=3b9f1a2c4d5e6f708192a3b4c5d6e7f8&sentry_client=sentry.javascript.browser%2F8.42.0",
		header: textHeader(page), body: []byte(body)}
}

// fullstory posts a recording bundle; evts is the Evts JSON array.
func fullstory(page, evts string) req {
	body := js(fmt.Sprintf(`{"Visibility":"visible","Evts":%s,"When":4187,"PreviousBundleTime":2011,"Seq":7}`, evts))
	return req{method: "POST", url: "https://rs.fullstory.com/rec/bundle/v2?OrgId=o-1QX7PZ-na1&UserId=5612483906449408&SessionId=5039846120456192&PageId=7715230462734336&Seq=7&ClientTime=" + fixedTS + "&CompiledVersion=4d2e8b1f7a&CompiledTimestamp=1764100000",
		header: textHeader(page), body: []byte(body)}
}

// hotjar posts a gzip snapshot body as text/plain.
func hotjar(page, payload string) req {
	return req{method: "POST", url: "https://content.hotjar.io/api/v2/client/sites/3918274/visit-data?sv=7",
		header: textHeader(page), body: encoded.Gzip([]byte(js(payload)))}
}

// segmentTrack builds a Segment track message around props.
func segmentTrack(page, title, event, props, extraContext string) string {
	ctx := fmt.Sprintf(`"page":{"path":"","referrer":"","search":"","title":%s,"url":%s},"userAgent":%s,"locale":"en-US","library":{"name":"analytics.js","version":"next-1.72.0"}%s`,
		jstr(title), jstr(page), jstr(userAgent), extraContext)
	return fmt.Sprintf(`{"timestamp":%s,"integrations":{},"type":"track","event":%s,"properties":%s,"context":{%s},"messageId":"ajs-next-1764324012345-a1b2c3d4","anonymousId":"2f9d3a1c-7b4e-4c6d-9e8f-0a1b2c3d4e5f","writeKey":"hT5kP2qR9sV1wX3yZ7aB4cD6eF8gJ0mN","userId":null,"sentAt":%s,"_metadata":{"bundled":["Segment.io"],"unbundled":[],"bundledIds":[]}}`,
		jstr(fixedISO), jstr(event), props, ctx, jstr(fixedISO))
}

// segmentIdentify builds a Segment identify message.
func segmentIdentify(page, userID, traits string) string {
	return fmt.Sprintf(`{"timestamp":%s,"integrations":{},"type":"identify","userId":%s,"traits":%s,"context":{"page":{"url":%s},"userAgent":%s,"library":{"name":"analytics.js","version":"next-1.72.0"}},"messageId":"ajs-next-1764324012999-e5f6a7b8","anonymousId":"2f9d3a1c-7b4e-4c6d-9e8f-0a1b2c3d4e5f","writeKey":"hT5kP2qR9sV1wX3yZ7aB4cD6eF8gJ0mN","sentAt":%s}`,
		jstr(fixedISO), jstr(userID), traits, jstr(page), jstr(userAgent), jstr(fixedISO))
}

// multipart builds a multipart/form-data body from ordered parts; a part
// with a filename is sent as a text/plain file.
func multipart(boundary string, parts ...[3]string) []byte {
	var b strings.Builder
	for _, p := range parts {
		fmt.Fprintf(&b, "--%s\r\n", boundary)
		if p[1] != "" {
			fmt.Fprintf(&b, "Content-Disposition: form-data; name=%q; filename=%q\r\nContent-Type: text/plain\r\n\r\n%s\r\n", p[0], p[1], p[2])
		} else {
			fmt.Fprintf(&b, "Content-Disposition: form-data; name=%q\r\n\r\n%s\r\n", p[0], p[2])
		}
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return []byte(b.String())
}

// jwt builds an unsigned-looking HS256 token around claims (the signature
// is a fixed filler: nothing verifies it).
func jwt(claims string) string {
	return b64url(js(`{"alg":"HS256","typ":"JWT"}`)) + "." + b64url(js(claims)) + ".Qm9ndXNTaWduYXR1cmVGb3JUZXN0aW5nT25seTAxMjM0NTY"
}
