package main

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/phiproxy/phiproxy/internal/encoded"
	"github.com/phiproxy/phiproxy/internal/lzstring"
)

// Persona values as typed into forms (plain), for identify calls.
var (
	pPhonePlain = person{"phone", "(773) 291-4408", label{"phone", "+17732914408"}}
	pFirstPlain = person{"first_name", "Jordan", label{"name", "jordan"}}
	pLastPlain  = person{"last_name", "Whitfield", label{"name", "whitfield"}}
)

// plainIDs are the identifiers a flow sends in clear: the persona's when
// it carries the persona, else the scenario's.
func (s *scenario) plainIDs() []person {
	if s.persona {
		return []person{pEmail, pPhonePlain, pFirstPlain, pLastPlain, pMRN}[:1+s.rng.IntN(5)]
	}
	return s.ids
}

// metaUserData returns Meta Advanced Matching ud[...] values: the
// persona's normalised values hashed, or another person's (recognised
// by their documented keys alone: sha256(email), sha256(member_id)).
func (s *scenario) metaUserData() query {
	var q query
	if s.persona {
		for _, p := range []person{pEmail, pPhone, pFirst, pLast, pDOB, pCity, pState, pZIP} {
			q.add("ud["+p.Key+"]", sha256Hex(s.takeHashed(p)))
		}
		s.useKeyedHash(label{"email", "sha256(email)"}, label{"phone", "sha256(phone)"}, label{"name", "sha256(name)"},
			label{"dob", "sha256(dob)"}, label{"address", "sha256(address)"}, label{"zip", "sha256(zip)"})
		return q
	}
	q.add("ud[em]", sha256Hex(fmt.Sprintf("visitor%d@example.net", s.rng.IntN(100000))))
	q.add("ud[external_id]", sha256Hex(s.uuid()))
	s.useKeyedHash(label{"email", "sha256(email)"}, label{"member_id", "sha256(member_id)"})
	return q
}

var templates = []template{
	{"meta-get", true, func(s *scenario) request {
		var q query
		q.add("id", "1234567890123456")
		q.add("ev", s.eventName("PageView"))
		q.add("dl", s.pageURL())
		q.add("rl", "https://www.google.com/")
		q.add("if", "false")
		q.add("ts", s.ts())
		if s.text != nil || s.rng.IntN(2) == 0 {
			q.add("cd[buttonText]", s.freeText("Learn more"))
		}
		q.add("cd[content_name]", s.title())
		for _, p := range s.plainIDs() {
			q.add("cd["+p.Key+"]", s.take(p))
		}
		q = append(q, s.metaUserData()...)
		q.add("sw", "1920")
		q.add("sh", "1080")
		q.add("v", "2.9.156")
		q.add("r", "stable")
		q.add("ec", "0")
		q.add("o", "4126")
		q.add("fbp", "fb.1."+s.ts()+"."+s.digits(9))
		q.add("it", s.ts())
		q.add("coo", "false")
		r := request{Method: "GET", URL: "https://www.facebook.com/tr/?" + q.String()}
		s.browserHeaders(&r, "no-cors", "image")
		return r
	}},
	{"meta-post", true, func(s *scenario) request {
		var q query
		q.add("id", "1234567890123456")
		q.add("ev", s.eventName("Lead"))
		q.add("dl", s.pageURL())
		q.add("rl", "")
		q.add("if", "false")
		q.add("ts", s.ts())
		q.add("cd[buttonFeatures]", mustJSON(map[string]any{"classList": "btn btn-primary", "innerText": s.freeText("Submit"), "tag": "button"}))
		q.add("cd[formFeatures]", mustJSON([]map[string]string{{"id": "intake-email", "name": "email", "tag": "input", "inputType": "email"}}))
		q.add("cd[pageFeatures]", mustJSON(map[string]string{"title": s.title()}))
		q = append(q, s.metaUserData()...)
		for _, p := range s.plainIDs() {
			q.add("cd["+p.Key+"]", s.take(p))
		}
		q.add("v", "2.9.156")
		r := request{Method: "POST", URL: "https://www.facebook.com/tr/", Body: []byte(q.String())}
		s.browserHeaders(&r, "no-cors", "empty")
		r.header("Content-Type", "application/x-www-form-urlencoded")
		return r
	}},
	{"ga4-get", false, func(s *scenario) request {
		q := ga4Common(s)
		q.add("en", s.eventName("page_view"))
		if s.text != nil {
			q.add("ep.search_term", s.freeText(""))
		}
		for _, p := range s.plainIDs() {
			q.add("up."+p.Key, s.take(p))
		}
		r := request{Method: "POST", URL: "https://region1.google-analytics.com/g/collect?" + q.String()}
		s.browserHeaders(&r, "no-cors", "empty")
		return r
	}},
	{"ga4-post", false, func(s *scenario) request {
		r := request{Method: "POST", URL: "https://www.google-analytics.com/g/collect?" + ga4Common(s).String()}
		r.Body = []byte(ga4Batch(s))
		s.browserHeaders(&r, "no-cors", "empty")
		r.header("Content-Type", "text/plain;charset=UTF-8")
		return r
	}},
	{"ga4-route", false, func(s *scenario) request {
		r := request{Method: "POST", URL: "https://" + s.site + "/g/collect?" + ga4Common(s).String()}
		r.Body = []byte(ga4Batch(s))
		s.browserHeaders(&r, "no-cors", "empty")
		sameSite(&r)
		r.header("Content-Type", "text/plain;charset=UTF-8")
		return r
	}},
	{"google-ads", true, func(s *scenario) request {
		var q query
		q.add("random", s.digits(10))
		q.add("cv", "11")
		q.add("fst", s.ts())
		q.add("num", "1")
		q.add("label", "AbC-D_efGhIjKlMnOp")
		q.add("guid", "ON")
		q.add("u_h", "1080")
		q.add("u_w", "1920")
		q.add("url", s.pageURL())
		q.add("ref", "https://www.google.com/")
		q.add("tiba", s.title())
		if s.persona {
			q.add("em", "tv.1~em."+sha256B64URL(s.takeHashed(pEmail)))
			s.useKeyedHash(label{"email", "sha256(email)"})
		} else {
			q.add("em", "tv.1~em."+sha256B64URL(fmt.Sprintf("shopper%d@example.org", s.rng.IntN(9999))))
			s.useKeyedHash(label{"email", "sha256(email)"})
		}
		q.add("data", "event=conversion;value="+s.eventName("purchase"))
		r := request{Method: "GET", URL: "https://googleads.g.doubleclick.net/pagead/viewthroughconversion/987654321/?" + q.String()}
		s.browserHeaders(&r, "no-cors", "image")
		return r
	}},
	{"tiktok", true, func(s *scenario) request {
		user := map[string]any{}
		if s.persona {
			user["email"] = sha256Hex(s.takeHashed(pEmail))
			user["phone_number"] = sha256Hex("+" + s.takeHashed(pPhone))
			user["external_id"] = sha256Hex(s.takeHashed(pMember))
			s.useKeyedHash(label{"email", "sha256(email)"}, label{"phone", "sha256(phone)"}, label{"member_id", "sha256(member_id)"})
		} else {
			user["email"] = sha256Hex(s.uuid() + "@example.net")
			s.useKeyedHash(label{"email", "sha256(email)"})
		}
		props := map[string]any{"content_name": s.title(), "currency": "USD", "value": 49}
		if s.text != nil {
			props["description"] = s.freeText("")
		}
		for _, p := range s.plainIDs() {
			if !s.persona {
				props[p.Key] = s.take(p)
			}
		}
		body := map[string]any{
			"event":     s.eventName("CompletePayment"),
			"event_id":  s.uuid(),
			"timestamp": "2025-01-14T16:20:11.482Z",
			"context": map[string]any{
				"page":    map[string]any{"url": s.pageURL(), "referrer": "https://www.google.com/"},
				"user":    user,
				"library": map[string]any{"name": "pixel.js", "version": "2.2.1"},
				"ad":      map[string]any{"callback": "E.C.P." + s.digits(12)},
			},
			"properties": props,
			"pixel_code": "C4A1B2C3D4E5F6G7H8I9",
		}
		r := request{Method: "POST", URL: "https://analytics.tiktok.com/api/v2/pixel", Body: []byte(mustJSON(body))}
		s.browserHeaders(&r, "cors", "empty")
		r.header("Content-Type", "application/json")
		r.header("Origin", s.origin())
		return r
	}},
	{"linkedin-wa", true, func(s *scenario) request {
		body := map[string]any{
			"pids":                   []int{4812345},
			"scriptVersion":          178,
			"time":                   1736871611482,
			"domain":                 s.site,
			"url":                    s.pageURL(),
			"pageTitle":              s.title(),
			"websiteSignalRequestId": s.uuid(),
			"isTranslated":           false,
			"liFatId":                "",
			"signalType":             "CLICK",
			"href":                   s.pageURL(),
			"domAttributes":          map[string]any{"elementSemanticType": "BUTTON", "elementValue": s.eventName("Contact us"), "innerText": s.freeText("Contact us")},
		}
		if s.persona {
			body["hem"] = sha256Hex(s.takeHashed(pEmail))
			s.useKeyedHash(label{"email", "sha256(email)"})
		}
		payload := base64.StdEncoding.EncodeToString(encoded.Gzip([]byte(mustJSON(body))))
		r := request{Method: "POST", URL: "https://px.ads.linkedin.com/wa/", Body: []byte(payload)}
		s.browserHeaders(&r, "cors", "empty")
		r.header("Content-Type", "text/plain;charset=UTF-8")
		r.header("Origin", s.origin())
		return r
	}},
	{"linkedin-collect", false, func(s *scenario) request {
		var q query
		q.add("v", "2")
		q.add("fmt", "js")
		q.add("pid", "4812345")
		q.add("time", "1736871611482")
		q.add("url", s.pageURL())
		q.add("pageTitle", s.title())
		q.add("conversionId", s.digits(8))
		r := request{Method: "GET", URL: "https://px.ads.linkedin.com/collect?" + q.String()}
		s.browserHeaders(&r, "no-cors", "image")
		return r
	}},
	{"intercom-ping", true, func(s *scenario) request {
		var q query
		q.add("app_id", "qx7c2abc")
		q.add("v", "3")
		q.add("g", sha1Hex(s.uuid()))
		q.add("s", s.uuid())
		q.add("r", "")
		q.add("platform", "web")
		q.add("Idempotency-Key", s.digits(16)[:16])
		q.add("page_title", s.title())
		q.add("user_data", mustJSON(intercomUser(s)))
		q.add("source", "apiUpdate")
		q.add("referer", s.pageURL())
		q.add("device_identifier", s.uuid())
		return intercomPost(s, "ping", q)
	}},
	{"intercom-conversation", true, func(s *scenario) request {
		var q query
		q.add("app_id", "qx7c2abc")
		q.add("v", "3")
		q.add("s", s.uuid())
		q.add("platform", "web")
		q.add("page_title", s.title())
		q.add("user_data", mustJSON(intercomUser(s)))
		blocks := []map[string]string{{"type": "paragraph", "text": s.freeText("Hi, what are your opening hours?")}}
		if s.persona && s.rng.IntN(2) == 0 {
			blocks = append(blocks, map[string]string{"type": "paragraph", "text": s.take(pFree)})
		}
		q.add("blocks", mustJSON(blocks))
		q.add("referer", s.pageURL())
		return intercomPost(s, "conversations", q)
	}},
	{"segment-track", false, func(s *scenario) request {
		return segment(s, "https://api.segment.io/v1/t", "track", false)
	}},
	{"segment-identify", true, func(s *scenario) request {
		return segment(s, "https://api.segment.io/v1/i", "identify", false)
	}},
	{"segment-route", false, func(s *scenario) request {
		return segment(s, "https://"+s.site+"/cdp/v1/t", "track", true)
	}},
	{"rudderstack-route", true, func(s *scenario) request {
		body := map[string]any{
			"channel":           "web",
			"type":              "track",
			"event":             s.eventName("Button Clicked"),
			"rudderId":          s.uuid(),
			"messageId":         s.uuid(),
			"anonymousId":       s.uuid(),
			"properties":        map[string]any{"label": s.freeText("Get started"), "path": strings.TrimPrefix(s.pageURL(), s.origin())},
			"context":           map[string]any{"page": map[string]any{"title": s.title(), "url": s.pageURL()}, "traits": traits(s)},
			"originalTimestamp": "2025-01-14T16:20:11.482Z",
		}
		r := request{Method: "POST", URL: "https://dataplane." + strings.TrimPrefix(s.site, "www.") + "/v1/track", Body: []byte(mustJSON(body))}
		s.browserHeaders(&r, "cors", "empty")
		r.header("Content-Type", "application/json;charset=UTF-8")
		r.header("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("2Hf8wKq9:")))
		r.header("Origin", s.origin())
		return r
	}},
	{"mixpanel-get", false, func(s *scenario) request {
		props := map[string]any{
			"token": "4a1b2c3d4e5f60718293a4b5c6d7e8f9", "distinct_id": "$device:" + s.uuid(),
			"$current_url": s.pageURL(), "$referrer": "https://www.google.com/", "mp_lib": "web", "$lib_version": "2.55.1",
			"button": s.freeText("Sign up"),
		}
		for _, p := range s.plainIDs() {
			props[p.Key] = s.take(p)
		}
		data := base64.StdEncoding.EncodeToString([]byte(mustJSON(map[string]any{"event": s.eventName("Page Viewed"), "properties": props})))
		var q query
		q.add("data", data)
		q.add("ip", "1")
		q.add("_", s.ts())
		r := request{Method: "GET", URL: "https://api-js.mixpanel.com/track/?" + q.String()}
		s.browserHeaders(&r, "cors", "empty")
		return r
	}},
	{"mixpanel-engage", true, func(s *scenario) request {
		set := map[string]any{"$browser": "Chrome", "plan": "monthly"}
		for _, p := range s.plainIDs() {
			set["$"+p.Key] = s.take(p)
		}
		if s.page != nil {
			set["last_page"] = s.pageURL()
		}
		events := []map[string]any{{"$token": "4a1b2c3d4e5f60718293a4b5c6d7e8f9", "$distinct_id": s.uuid(), "$set": set}}
		var q query
		q.add("data", base64.StdEncoding.EncodeToString([]byte(mustJSON(events))))
		r := request{Method: "POST", URL: "https://api-js.mixpanel.com/engage/?verbose=1&ip=1&_=" + s.ts(), Body: []byte(q.String())}
		s.browserHeaders(&r, "cors", "empty")
		r.header("Content-Type", "application/x-www-form-urlencoded")
		return r
	}},
	{"snowplow-get", false, func(s *scenario) request {
		var q query
		q.add("e", "ue")
		q.add("url", s.pageURL())
		q.add("page", s.title())
		q.add("refr", "https://www.google.com/")
		q.add("tv", "js-3.17.0")
		q.add("tna", "sp1")
		q.add("aid", "brightcare-web")
		q.add("p", "web")
		q.add("tz", "America/Chicago")
		q.add("lang", "en-US")
		q.add("res", "1920x1080")
		q.add("eid", s.uuid())
		q.add("dtm", s.ts())
		q.add("vid", "3")
		q.add("sid", s.uuid())
		q.add("duid", s.uuid())
		for _, p := range s.selfEvidentIDs()[:min(1, len(s.selfEvidentIDs()))] {
			q.add("uid", s.take(p))
		}
		ue := map[string]any{"schema": "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0",
			"data": map[string]any{"schema": "iglu:com.brightcare/cta_click/jsonschema/1-0-0", "data": map[string]any{"label": s.eventName("Learn more"), "note": s.freeText("")}}}
		q.add("ue_px", base64.RawURLEncoding.EncodeToString([]byte(mustJSON(ue))))
		cx := map[string]any{"schema": "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0",
			"data": []map[string]any{{"schema": "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0", "data": map[string]any{"id": s.uuid()}}}}
		q.add("cx", base64.RawURLEncoding.EncodeToString([]byte(mustJSON(cx))))
		r := request{Method: "GET", URL: "https://sp." + strings.TrimPrefix(s.site, "www.") + "/i?" + q.String()}
		s.browserHeaders(&r, "no-cors", "image")
		return r
	}},
	{"snowplow-post", false, func(s *scenario) request {
		cx := map[string]any{"schema": "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0",
			"data": []map[string]any{{"schema": "iglu:com.brightcare/page_context/jsonschema/1-0-0", "data": map[string]any{"title": s.title(), "cta": s.eventName("none")}}}}
		ev := map[string]string{"e": "pv", "url": s.pageURL(), "page": "Brightcare", "tv": "js-3.17.0", "eid": s.uuid(), "dtm": s.ts(), "stm": s.ts(),
			"cx": base64.StdEncoding.EncodeToString([]byte(mustJSON(cx)))}
		for _, p := range s.selfEvidentIDs()[:min(1, len(s.selfEvidentIDs()))] {
			ev["uid"] = s.take(p)
		}
		body := map[string]any{"schema": "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4", "data": []any{ev}}
		r := request{Method: "POST", URL: "https://collector." + strings.TrimPrefix(s.site, "www.") + "/com.snowplowanalytics.snowplow/tp2", Body: []byte(mustJSON(body))}
		s.browserHeaders(&r, "cors", "empty")
		r.header("Content-Type", "application/json; charset=UTF-8")
		return r
	}},
	{"posthog-gzip", false, func(s *scenario) request {
		body := encoded.Gzip([]byte(mustJSON(posthogEvents(s))))
		r := request{Method: "POST", URL: "https://us.i.posthog.com/e/?ip=1&_=" + s.ts() + "&ver=1.160.0&compression=gzip-js", Body: body}
		s.browserHeaders(&r, "cors", "empty")
		r.header("Content-Type", "text/plain")
		return r
	}},
	{"posthog-base64", false, func(s *scenario) request {
		var q query
		q.add("data", base64.StdEncoding.EncodeToString([]byte(mustJSON(posthogEvents(s)))))
		r := request{Method: "POST", URL: "https://us.i.posthog.com/batch/?ip=1&_=" + s.ts() + "&ver=1.160.0&compression=base64", Body: []byte(q.String())}
		s.browserHeaders(&r, "cors", "empty")
		r.header("Content-Type", "application/x-www-form-urlencoded")
		return r
	}},
	{"posthog-lz64", false, func(s *scenario) request {
		var q query
		q.add("data", lzstring.CompressToBase64(mustJSON(posthogEvents(s))))
		r := request{Method: "POST", URL: "https://eu.i.posthog.com/e/?ip=1&_=" + s.ts() + "&ver=1.96.0&compression=lz64", Body: []byte(q.String())}
		s.browserHeaders(&r, "cors", "empty")
		r.header("Content-Type", "application/x-www-form-urlencoded")
		return r
	}},
	{"posthog-route", false, func(s *scenario) request {
		body := encoded.Gzip([]byte(mustJSON(posthogEvents(s))))
		r := request{Method: "POST", URL: "https://" + s.site + "/ingest/e/?ip=1&_=" + s.ts() + "&ver=1.160.0&compression=gzip-js", Body: body}
		s.browserHeaders(&r, "cors", "empty")
		sameSite(&r)
		r.header("Content-Type", "text/plain")
		return r
	}},
	{"datadog-rum", false, func(s *scenario) request {
		usr := map[string]any{"id": s.uuid()}
		for _, p := range s.plainIDs() {
			usr[p.Key] = s.take(p)
		}
		lines := []string{
			mustJSON(map[string]any{"type": "view", "date": 1736871611482, "application": map[string]any{"id": s.uuid()}, "session": map[string]any{"id": s.uuid(), "type": "user"},
				"view": map[string]any{"id": s.uuid(), "url": s.pageURL(), "referrer": "https://www.google.com/", "name": s.title()}, "usr": usr, "_dd": map[string]any{"format_version": 2}}),
			mustJSON(map[string]any{"type": "action", "date": 1736871612001, "action": map[string]any{"type": "click", "target": map[string]any{"name": s.eventName("Continue")}},
				"view": map[string]any{"url": s.pageURL()}}),
		}
		if s.text != nil {
			lines = append(lines, mustJSON(map[string]any{"type": "error", "error": map[string]any{"message": "validation failed for input: " + s.freeText(""), "source": "console"}}))
		}
		body := encoded.Zlib([]byte(strings.Join(lines, "\n")))
		r := request{Method: "POST", URL: "https://browser-intake-datadoghq.com/api/v2/rum?ddsource=browser&ddtags=sdk_version%3A5.35.0%2Cenv%3Aprod&dd-api-key=pub0123456789abcdef0123456789abcdef&dd-evp-origin-version=5.35.0&dd-evp-origin=browser&dd-request-id=" + s.uuid() + "&dd-evp-encoding=deflate", Body: body}
		s.browserHeaders(&r, "cors", "empty")
		r.header("Content-Type", "text/plain;charset=UTF-8")
		return r
	}},
	{"sentry", false, func(s *scenario) request {
		user := map[string]any{"id": s.uuid()}
		for _, p := range s.plainIDs() {
			user[p.Key] = s.take(p)
		}
		if s.rng.IntN(2) == 0 {
			ip := ips[s.rng.IntN(len(ips))]
			user["ip_address"] = s.take(ip)
		}
		header := mustJSON(map[string]any{"event_id": strings.ReplaceAll(s.uuid(), "-", ""), "sent_at": "2025-01-14T16:20:11.482Z", "sdk": map[string]any{"name": "sentry.javascript.react", "version": "7.119.0"}})
		event := mustJSON(map[string]any{
			"level":       "error",
			"platform":    "javascript",
			"release":     "portal@2.14.3",
			"exception":   map[string]any{"values": []map[string]any{{"type": "TypeError", "value": "Cannot read properties of undefined (reading 'map')"}}},
			"request":     map[string]any{"url": s.pageURL(), "headers": map[string]string{"Referer": "https://www.google.com/"}},
			"user":        user,
			"breadcrumbs": map[string]any{"values": []map[string]any{{"category": "ui.click", "message": "button.cta[aria-label=\"" + s.eventName("Continue") + "\"]"}}},
			"extra":       map[string]any{"formValue": s.freeText("")},
		})
		body := header + "\n" + mustJSON(map[string]any{"type": "event", "length": len(event)}) + "\n" + event + "\n"
		r := request{Method: "POST", URL: "https://o450123.ingest.us.sentry.io/api/4505123456789/envelope/?sentry_key=0123456789abcdef0123456789abcdef&sentry_version=7&sentry_client=sentry.javascript.react%2F7.119.0", Body: []byte(body)}
		s.browserHeaders(&r, "cors", "empty")
		r.header("Content-Type", "text/plain;charset=UTF-8")
		return r
	}},
	{"fullstory", false, func(s *scenario) request {
		evts := []map[string]any{
			{"When": 12, "Kind": 37, "Args": []any{s.pageURL(), s.title()}},
			{"When": 840, "Kind": 16, "Args": []any{120, s.eventName("Next")}},
		}
		for _, p := range s.selfEvidentIDs() {
			evts = append(evts, map[string]any{"When": 1200, "Kind": 38, "Args": []any{88, s.take(p)}})
		}
		if s.text != nil {
			evts = append(evts, map[string]any{"When": 1900, "Kind": 38, "Args": []any{91, "reason", s.freeText("")}})
		}
		body := map[string]any{"Visibility": "visible", "Evts": evts, "StartTime": 1736871611482, "Seq": 2}
		r := request{Method: "POST", URL: "https://rs.fullstory.com/rec/bundle/v2?OrgId=o-1ABCD-na1&UserId=" + s.digits(19) + "&SessionId=" + s.digits(19) + "&PageId=" + s.digits(19) + "&Seq=2&ClientTime=" + s.ts(), Body: []byte(mustJSON(body))}
		s.browserHeaders(&r, "cors", "empty")
		r.header("Content-Type", "text/plain")
		return r
	}},
	{"ws-chat", true, func(s *scenario) request {
		r := request{Method: "GET", URL: "https://nexus-websocket-a.intercom.io/pubsub/5-qx7c2abc?X-Nexus-New-Client=true&X-Nexus-Version=0.14.0&user_role=visitor"}
		wsHeaders(&r, s)
		r.WS = append(r.WS, wsMessage{FromClient: true, Text: mustJSON(map[string]any{"eventName": "Subscribe", "nx.Topics": []string{"*"}})})
		r.WS = append(r.WS, wsMessage{FromClient: false, Text: `{"eventName":"Ack"}`})
		msg := map[string]any{"eventName": "UserContentSeenByAdmin", "eventData": map[string]any{"conversationId": s.digits(12), "body": s.freeText("hello, is anyone there?")}}
		r.WS = append(r.WS, wsMessage{FromClient: true, Text: mustJSON(msg)})
		for _, p := range s.selfEvidentIDs() {
			r.WS = append(r.WS, wsMessage{FromClient: true, Text: mustJSON(map[string]any{"eventName": "UserTyping", "eventData": map[string]any{"text": "you can reach me at " + s.take(p)}})})
			break
		}
		if s.page != nil {
			r.WS = append(r.WS, wsMessage{FromClient: true, Text: mustJSON(map[string]any{"eventName": "PageChange", "eventData": map[string]any{"url": s.pageURL()}})})
		}
		return r
	}},
	{"hotjar-ws", false, func(s *scenario) request {
		r := request{Method: "GET", URL: "https://ws.hotjar.com/api/v2/client/ws"}
		wsHeaders(&r, s)
		snapshot := map[string]any{"type": "mutation", "page_url": s.pageURL(), "nodes": []map[string]any{{"id": 41, "tag": "h1", "text": s.title()}, {"id": 42, "tag": "button", "text": s.eventName("Book now")}}}
		r.WS = append(r.WS, wsMessage{FromClient: true, Binary: true, Base64: base64.StdEncoding.EncodeToString(encoded.Gzip([]byte(mustJSON(snapshot))))})
		if s.text != nil {
			r.WS = append(r.WS, wsMessage{FromClient: true, Text: mustJSON(map[string]any{"type": "input", "id": 57, "value": s.freeText("")})})
		}
		return r
	}},
	{"intake-form", false, func(s *scenario) request {
		// A first-party form post: findings are still reported (severity
		// info), so the evaluation counts them.
		var q query
		q.add("csrf_token", hexToken(s))
		for _, p := range s.plainIDs() {
			q.add(p.Key, s.take(p))
		}
		if s.text != nil {
			q.add("reason_for_visit", s.freeText(""))
		}
		if s.rng.IntN(2) == 0 {
			c := codes[s.rng.IntN(len(codes))]
			s.use(c.Labels...)
			q.add("diagnosis_code", c.Text)
		}
		q.add("consent", "on")
		r := request{Method: "POST", URL: s.origin() + "/patient/intake/submit", Body: []byte(q.String())}
		r.header("User-Agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36")
		r.header("Content-Type", "application/x-www-form-urlencoded")
		r.header("Origin", s.origin())
		r.header("Referer", s.origin()+"/patient/intake")
		r.header("Cookie", "session="+hexToken(s))
		return r
	}},
	{"pixel-md5", true, func(s *scenario) request {
		var q query
		q.add("tag_id", "99812")
		q.add("page", s.pageURL())
		if s.persona {
			q.add("uid_md5", md5Hex(s.takeHashed(pEmail)))
			q.add("uid_sha1", sha1Hex(s.takeHashed(pEmail)))
		} else {
			q.add("uid_md5", md5Hex(s.uuid()))
		}
		q.add("cb", s.digits(13))
		r := request{Method: "GET", URL: "https://ct.pinterest.com/v3/?" + q.String()}
		s.browserHeaders(&r, "no-cors", "image")
		return r
	}},
}

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func hexToken(s *scenario) string { return sha1Hex(s.uuid())[:32] }

func sameSite(r *request) {
	for i, h := range r.Headers {
		if h[0] == "Sec-Fetch-Site" {
			r.Headers[i][1] = "same-origin"
		}
	}
}

func wsHeaders(r *request, s *scenario) {
	r.header("User-Agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36")
	r.header("Origin", s.origin())
	r.header("Connection", "Upgrade")
	r.header("Upgrade", "websocket")
	r.header("Sec-WebSocket-Version", "13")
	r.header("Sec-WebSocket-Key", base64.StdEncoding.EncodeToString([]byte(s.uuid()[:16])))
}

func ga4Common(s *scenario) query {
	var q query
	q.add("v", "2")
	q.add("tid", "G-8XK2L4M9QZ")
	q.add("gtm", "45je4ca0v9175000012za200")
	q.add("_p", s.digits(10))
	q.add("cid", s.digits(9)+"."+s.digits(10))
	q.add("ul", "en-us")
	q.add("sr", "1920x1080")
	q.add("_s", "1")
	q.add("sid", s.digits(10))
	q.add("sct", "3")
	q.add("seg", "1")
	q.add("dl", s.pageURL())
	q.add("dr", "https://www.google.com/")
	q.add("dt", s.title())
	return q
}

// ga4Batch is a GA4 POST body: one event per line.
func ga4Batch(s *scenario) string {
	lines := []string{"en=page_view&_et=12&_ee=1"}
	var q query
	q.add("en", s.eventName("click"))
	q.add("_et", "3410")
	if s.text != nil || s.rng.IntN(2) == 0 {
		q.add("ep.button_text", s.freeText("Learn more"))
	}
	for _, p := range s.plainIDs() {
		q.add("ep."+p.Key, s.take(p))
	}
	lines = append(lines, q.String())
	return strings.Join(lines, "\r\n")
}

// intercomPost is a Messenger form POST to one of its endpoints.
func intercomPost(s *scenario, endpoint string, q query) request {
	r := request{Method: "POST", URL: "https://api-iam.intercom.io/messenger/web/" + endpoint, Body: []byte(q.String())}
	s.browserHeaders(&r, "cors", "empty")
	r.header("Content-Type", "application/x-www-form-urlencoded")
	r.header("Origin", s.origin())
	return r
}

func intercomUser(s *scenario) map[string]any {
	u := map[string]any{"anonymous_id": s.uuid()}
	for _, p := range s.plainIDs() {
		if p.Key == "first_name" || p.Key == "last_name" {
			continue // Intercom sends one "name"
		}
		u[p.Key] = s.take(p)
	}
	return u
}

func traits(s *scenario) map[string]any {
	t := map[string]any{}
	for _, p := range s.plainIDs() {
		t[camel(p.Key)] = s.take(p)
	}
	return t
}

func camel(k string) string {
	parts := strings.Split(k, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

func segment(s *scenario, url, kind string, routed bool) request {
	body := map[string]any{
		"timestamp":    "2025-01-14T16:20:11.482Z",
		"integrations": map[string]any{},
		"type":         kind,
		"messageId":    "ajs-next-" + strings.ReplaceAll(s.uuid(), "-", ""),
		"anonymousId":  s.uuid(),
		"writeKey":     "Zk3b9Q2mXy7LpR4tVw8s",
		"sentAt":       "2025-01-14T16:20:11.490Z",
		"context": map[string]any{
			"page":    map[string]any{"path": strings.SplitN(strings.TrimPrefix(s.pageURL(), s.origin()), "?", 2)[0], "referrer": "https://www.google.com/", "title": s.title(), "url": s.pageURL()},
			"locale":  "en-US",
			"library": map[string]any{"name": "analytics.js", "version": "npm:next-1.70.0"},
		},
	}
	switch kind {
	case "identify":
		body["traits"] = traits(s)
		body["userId"] = s.digits(7)
	default:
		body["event"] = s.eventName("CTA Clicked")
		props := map[string]any{"location": "hero"}
		if s.text != nil {
			props["label"] = s.freeText("")
		}
		body["properties"] = props
	}
	r := request{Method: "POST", URL: url, Body: []byte(mustJSON(body))}
	s.browserHeaders(&r, "cors", "empty")
	if routed {
		sameSite(&r)
	}
	r.header("Content-Type", "text/plain")
	return r
}

func posthogEvents(s *scenario) []map[string]any {
	props := map[string]any{
		"$current_url": s.pageURL(), "$host": s.site, "$pathname": "/", "$browser": "Chrome", "$lib": "web", "$lib_version": "1.160.0",
		"token": "phc_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v", "distinct_id": s.uuid(), "$session_id": s.uuid(),
		"$el_text": s.eventName("Book now"), "title": s.title(),
	}
	for _, p := range s.plainIDs() {
		props[p.Key] = s.take(p)
	}
	evs := []map[string]any{{"uuid": s.uuid(), "event": "$autocapture", "properties": props, "timestamp": "2025-01-14T16:20:11.482Z"}}
	if s.text != nil {
		evs = append(evs, map[string]any{"uuid": s.uuid(), "event": "survey sent", "properties": map[string]any{"$survey_response": s.freeText(""), "token": props["token"]}})
	}
	return evs
}
