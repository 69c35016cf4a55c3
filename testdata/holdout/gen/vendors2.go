package main

import (
	"fmt"
	"net/url"
	"strings"
)

// ---- Segment and RudderStack ----

func (g *gen) pageCtx(f *flow, s *scene) obj {
	u := f.takeS(s.url)
	pu, _ := url.Parse(u)
	search := ""
	path := "/"
	if pu != nil {
		path = pu.Path
		if pu.RawQuery != "" {
			search = "?" + pu.RawQuery
		}
	}
	return obj{{"path", path}, {"referrer", s.ref}, {"search", search}, {"title", f.takeS(s.title)}, {"url", u}}
}

func (g *gen) segmentMsg(f *flow, s *scene, typ string) obj {
	ctx := obj{{"page", g.pageCtx(f, s)}, {"userAgent", g.pick(userAgents)}, {"locale", "en-US"},
		{"library", obj{{"name", "analytics.js"}, {"version", "npm:next-1.7" + fmt.Sprint(g.r.IntN(10)) + ".0"}}}}
	if s.has(s.ip) {
		ctx = append(ctx, kv{"ip", f.takeS(s.ip)})
	}
	m := obj{{"timestamp", g.tick().Format("2006-01-02T15:04:05.000Z")}, {"integrations", obj{}}}
	switch typ {
	case "track":
		m = append(m, kv{"event", f.takeS(s.event)}, kv{"type", "track"}, kv{"properties", g.propsObj(f, s)})
		if len(s.traits) > 0 {
			ctx = append(ctx, kv{"traits", g.traitsObj(f, s)})
		}
	case "identify":
		m = append(m, kv{"type", "identify"}, kv{"traits", append(g.traitsObj(f, s), g.propsObj(f, s)...)})
	case "page":
		m = append(m, kv{"type", "page"}, kv{"name", f.takeS(s.title)}, kv{"properties", g.propsObj(f, s)})
	}
	m = append(m, kv{"context", ctx}, kv{"messageId", "ajs-next-" + g.hex(32)}, kv{"anonymousId", g.uuid()})
	if s.who != nil && typ != "page" {
		m = append(m, kv{"userId", s.who.account})
	}
	return m
}

func segment(typ string) func(g *gen, s *scene) *flow {
	path := map[string]string{"track": "t", "identify": "i", "page": "p"}[typ]
	return func(g *gen, s *scene) *flow {
		f := g.newFlow("segment", "POST", "https://api.segment.io/v1/"+path)
		m := g.segmentMsg(f, s, typ)
		m = append(m, kv{"writeKey", g.alnum(32)}, kv{"sentAt", g.tick().Format("2006-01-02T15:04:05.000Z")})
		f.jsonBody(m)
		g.browserHeaders(f, s, false, "text/plain")
		return f
	}
}

// segmentFirstParty is analytics.js pointed at the site's own host.
func segmentFirstParty(g *gen, s *scene) *flow {
	f := g.newFlow("firstparty-segment", "POST", "https://"+s.host+"/ajs/v1/t")
	m := g.segmentMsg(f, s, "track")
	m = append(m, kv{"writeKey", g.alnum(32)}, kv{"sentAt", g.tick().Format("2006-01-02T15:04:05.000Z")})
	f.jsonBody(m)
	f.notes = append(f.notes, "Segment through the site's own domain")
	g.browserHeaders(f, s, true, "text/plain")
	return f
}

func rudderBatch(g *gen, s *scene) *flow {
	host := strings.ToLower(g.alnum(10)) + ".dataplane.rudderstack.com"
	f := g.newFlow("rudderstack", "POST", "https://"+host+"/v1/batch")
	batch := []obj{g.segmentMsg(f, s, "track")}
	if len(s.traits) > 0 {
		batch = append(batch, g.segmentMsg(f, s, "identify"))
	}
	f.jsonBody(obj{{"batch", batch}, {"sentAt", g.tick().Format("2006-01-02T15:04:05.000Z")}})
	f.header("Authorization", "Basic "+b64(g.alnum(27)+":"))
	g.browserHeaders(f, s, false, "application/json;charset=UTF-8")
	return f
}

// ---- Mixpanel ----

func (g *gen) mixpanelEvent(f *flow, s *scene) obj {
	props := obj{{"$os", "Mac OS X"}, {"$browser", "Chrome"}, {"$current_url", f.takeS(s.url)}, {"$referrer", s.ref},
		{"$screen_height", 900}, {"$screen_width", 1440}, {"mp_lib", "web"}, {"$lib_version", "2.5" + fmt.Sprint(g.r.IntN(10)) + ".0"},
		{"distinct_id", "$device:" + g.uuid()}, {"$device_id", g.uuid()}, {"token", g.hex(32)}, {"mp_page_title", f.takeS(s.title)}}
	props = append(props, g.propsObj(f, s)...)
	for _, pr := range s.traits {
		props = append(props, kv{"$" + pr.key, f.take(pr)})
	}
	if s.has(s.ip) {
		props = append(props, kv{"ip", f.takeS(s.ip)})
	}
	return obj{{"event", f.takeS(s.event)}, {"properties", props}}
}

func mixpanelForm(g *gen, s *scene) *flow {
	f := g.newFlow("mixpanel", "POST", "https://api-js.mixpanel.com/track/?verbose=1&ip=1&_="+g.ms())
	txt := jsonText([]obj{g.mixpanelEvent(f, s)})
	f.see(txt)
	f.body = []byte("data=" + formEnc(b64(txt)))
	f.notes = append(f.notes, "data= base64(JSON), form-encoded")
	g.browserHeaders(f, s, false, "application/x-www-form-urlencoded")
	return f
}

func mixpanelEngage(g *gen, s *scene) *flow {
	f := g.newFlow("mixpanel", "GET", "")
	set := obj{}
	for _, pr := range s.traits {
		set = append(set, kv{"$" + pr.key, f.take(pr)})
	}
	set = append(set, g.propsObj(f, s)...)
	txt := jsonText(obj{{"$token", g.hex(32)}, {"$distinct_id", g.uuid()}, {"$set", set}})
	f.see(txt)
	f.url = "https://api-js.mixpanel.com/engage/?data=" + b64urlRaw(txt) + "&ip=1&_=" + g.ms()
	f.notes = append(f.notes, "data= base64url without padding in the query")
	g.browserHeaders(f, s, false, "")
	return f
}

func mixpanelJSON(g *gen, s *scene) *flow {
	f := g.newFlow("mixpanel", "POST", "https://api-js.mixpanel.com/track/?ip=1&_="+g.ms())
	f.jsonBody([]obj{g.mixpanelEvent(f, s)})
	g.browserHeaders(f, s, false, "application/json")
	return f
}

// ---- Snowplow ----

func collectorHost(s *scene) string { return "sp." + strings.TrimPrefix(s.host, "www.") }

func (g *gen) snowplowCommon(f *flow, s *scene, q *query, e string) {
	q.set("stm", g.ms())
	q.set("e", e)
	q.set("url", f.takeS(s.url))
	q.set("page", f.takeS(s.title))
	q.set("refr", s.ref)
	q.set("tv", "js-3.2"+fmt.Sprint(g.r.IntN(4))+".0")
	q.set("tna", "sp1")
	q.set("aid", strings.Split(strings.TrimPrefix(s.host, "www."), ".")[0])
	q.set("p", "web")
	q.set("tz", "America/Chicago")
	q.set("lang", "en-US")
	q.set("cs", "UTF-8")
	q.set("res", "1440x900")
	q.set("eid", g.uuid())
	q.set("dtm", g.ms())
	q.set("vid", fmt.Sprint(1+g.r.IntN(20)))
	q.set("sid", g.uuid())
	q.set("duid", g.uuid())
	for _, pr := range s.traits {
		if pr.key == "email" {
			q.set("uid", f.takeS(pr))
		}
	}
}

func (g *gen) snowplowCx(f *flow, s *scene) string {
	data := []obj{{{"schema", "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0"}, {"data", obj{{"id", g.uuid()}}}}}
	if props := g.propsObj(f, s); len(props) > 0 {
		data = append(data, obj{{"schema", "iglu:" + reverseHost(s.host) + "/visit_context/jsonschema/1-0-0"}, {"data", props}})
	}
	txt := jsonText(obj{{"schema", "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0"}, {"data", data}})
	f.see(txt)
	return txt
}

func reverseHost(h string) string {
	parts := strings.Split(strings.TrimPrefix(h, "www."), ".")
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, ".")
}

func snowplowPV(g *gen, s *scene) *flow {
	f := g.newFlow("snowplow", "GET", "")
	q := newQuery(f, encURI)
	g.snowplowCommon(f, s, q, "pv")
	cx := g.snowplowCx(f, s)
	q.setRaw("cx", b64urlRaw(cx), cx)
	f.url = "https://" + collectorHost(s) + "/i?" + q.String()
	f.notes = append(f.notes, "cx base64url without padding")
	g.browserHeaders(f, s, false, "")
	return f
}

func (g *gen) formElements(f *flow, s *scene) []obj {
	var els []obj
	add := func(pr part) {
		els = append(els, obj{{"name", pr.key}, {"value", valString(f.take(pr))}, {"nodeName", "INPUT"}, {"type", "text"}})
	}
	for _, pr := range s.traits {
		add(pr)
	}
	for _, pr := range s.props {
		add(pr)
	}
	if s.has(s.text) {
		els = append(els, obj{{"name", s.text.key}, {"value", f.takeS(s.text)}, {"nodeName", "TEXTAREA"}})
	}
	return els
}

func snowplowUE(g *gen, s *scene) *flow {
	f := g.newFlow("snowplow", "GET", "")
	q := newQuery(f, encURI)
	g.snowplowCommon(f, s, q, "ue")
	ev := obj{{"schema", "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0"},
		{"data", obj{{"schema", "iglu:com.snowplowanalytics.snowplow/submit_form/jsonschema/1-0-0"},
			{"data", obj{{"formId", "form-" + g.hex(6)}, {"formClasses", []string{"form", "needs-validation"}}, {"elements", g.formElements(f, s)}}}}}}
	txt := jsonText(ev)
	f.see(txt)
	q.setRaw("ue_px", b64url(txt), txt)
	f.url = "https://" + collectorHost(s) + "/i?" + q.String()
	f.notes = append(f.notes, "ue_px base64url with padding, submit_form elements")
	g.browserHeaders(f, s, false, "")
	return f
}

// snowplowPOST: tp2 payload with ue_pr as a JSON string and cx as base64.
func snowplowPOST(g *gen, s *scene) *flow {
	f := g.newFlow("snowplow", "POST", "https://"+collectorHost(s)+"/com.snowplowanalytics.snowplow/tp2")
	q := newQuery(f, encURI)
	g.snowplowCommon(f, s, q, "ue")
	ev := obj{{"schema", "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0"},
		{"data", obj{{"schema", "iglu:" + reverseHost(s.host) + "/" + keyOf(valString(s.event.val)) + "/jsonschema/1-0-0"},
			{"data", obj{{"label", f.takeS(s.event)}}}}}}
	ue := jsonText(ev)
	cx := g.snowplowCx(f, s)
	d := obj{}
	for i, k := range q.keys {
		d = append(d, kv{k, q.vals[i]})
	}
	d = append(d, kv{"ue_pr", ue}, kv{"cx", b64(cx)})
	f.jsonBody(obj{{"schema", "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4"}, {"data", []obj{d}}})
	f.notes = append(f.notes, "tp2: ue_pr JSON string inside JSON, cx standard base64")
	g.browserHeaders(f, s, false, "application/json; charset=UTF-8")
	return f
}

// ---- PostHog ----

func (g *gen) posthogEvent(f *flow, s *scene) obj {
	u := f.takeS(s.url)
	props := obj{{"$os", "Windows"}, {"$browser", "Chrome"}, {"$current_url", u}, {"$host", s.host}, {"$referrer", s.ref},
		{"$title", f.takeS(s.title)}, {"$lib", "web"}, {"$lib_version", "1.19" + fmt.Sprint(g.r.IntN(10)) + ".2"},
		{"distinct_id", g.uuid()}, {"$session_id", g.uuid()}, {"$window_id", g.uuid()}, {"token", "phc_" + g.alnum(43)}}
	props = append(props, g.propsObj(f, s)...)
	if len(s.traits) > 0 {
		props = append(props, kv{"$set", g.traitsObj(f, s)})
	}
	if s.has(s.ip) {
		props = append(props, kv{"$ip", f.takeS(s.ip)})
	}
	name := "$pageview"
	if ga4Name(s) != "page_view" {
		name = f.takeS(s.event)
	}
	return obj{{"uuid", g.uuid()}, {"event", name}, {"properties", props}, {"timestamp", g.tick().Format("2006-01-02T15:04:05.000Z")}}
}

func (g *gen) posthogURL(s *scene, path, compression string, firstParty bool) string {
	host := "us.i.posthog.com"
	if firstParty {
		host = s.host
		path = "/ingest" + path
	}
	return "https://" + host + path + "?ip=1&_=" + g.ms() + "&ver=1.19" + fmt.Sprint(g.r.IntN(10)) + ".2&compression=" + compression
}

func posthogB64(g *gen, s *scene) *flow {
	fp := g.chance(2)
	f := g.newFlow(map[bool]string{true: "firstparty-posthog", false: "posthog"}[fp], "POST", g.posthogURL(s, "/e/", "base64", fp))
	txt := jsonText(g.posthogEvent(f, s))
	f.see(txt)
	f.body = []byte("data=" + formEnc(b64(txt)))
	f.notes = append(f.notes, "compression=base64")
	g.browserHeaders(f, s, fp, "application/x-www-form-urlencoded")
	return f
}

func posthogGzip(g *gen, s *scene) *flow {
	fp := g.chance(2)
	f := g.newFlow(map[bool]string{true: "firstparty-posthog", false: "posthog"}[fp], "POST", g.posthogURL(s, "/batch/", "gzip-js", fp))
	txt := jsonText([]obj{g.posthogEvent(f, s)})
	f.see(txt)
	f.body = gzipBytes([]byte(txt))
	f.notes = append(f.notes, "gzip-js body sent as text/plain")
	g.browserHeaders(f, s, fp, "text/plain")
	return f
}

func posthogLZ(g *gen, s *scene) *flow {
	f := g.newFlow("posthog", "POST", g.posthogURL(s, "/e/", "lz64", false))
	txt := jsonText(g.posthogEvent(f, s))
	f.see(txt)
	f.body = []byte("data=" + formEnc(lzBase64(txt)) + "&compression=lz64")
	f.notes = append(f.notes, "LZString compressToBase64")
	g.browserHeaders(f, s, false, "application/x-www-form-urlencoded")
	return f
}

// posthogLZURI carries the event in the query as LZString's URI-safe form.
func posthogLZURI(g *gen, s *scene) *flow {
	f := g.newFlow("firstparty-posthog", "GET", "")
	txt := jsonText(g.posthogEvent(f, s))
	f.see(txt)
	f.url = "https://" + s.host + "/ingest/e/?compression=lz64&data=" + lzURI(txt) + "&_=" + g.ms()
	f.notes = append(f.notes, "LZString compressToEncodedURIComponent in the query, first-party route")
	g.browserHeaders(f, s, true, "")
	return f
}

// typedValues is what a visitor typed into the page's fields, in order,
// as session recorders see it: values without field names. Checkboxes
// (booleans) are not typed text.
func typedValues(f *flow, s *scene) []string {
	var out []string
	for _, pr := range s.traits {
		out = append(out, f.takeVal(pr))
	}
	for _, pr := range s.props {
		if _, ok := pr.val.(bool); !ok {
			out = append(out, f.takeVal(pr))
		}
	}
	if s.has(s.text) {
		out = append(out, f.takeS(s.text))
	}
	return out
}

// rrweb incremental input events (type 3, source 5) carry typed values.
func (g *gen) replayInputs(f *flow, s *scene) []obj {
	var evs []obj
	evs = append(evs, obj{{"type", 4}, {"data", obj{{"href", f.takeS(s.url)}, {"width", 1440}, {"height", 900}}}, {"timestamp", g.tick().UnixMilli()}})
	id := 40 + g.r.IntN(200)
	add := func(v string) {
		id += 1 + g.r.IntN(5)
		evs = append(evs, obj{{"type", 3}, {"data", obj{{"source", 5}, {"text", v}, {"isChecked", false}, {"id", id}}}, {"timestamp", g.tick().UnixMilli()}})
	}
	for _, v := range typedValues(f, s) {
		add(v)
	}
	return evs
}

func posthogReplay(g *gen, s *scene) *flow {
	f := g.newFlow("posthog", "POST", g.posthogURL(s, "/s/", "gzip-js", false))
	ev := obj{{"event", "$snapshot"}, {"properties", obj{{"$snapshot_data", g.replayInputs(f, s)}, {"$session_id", g.uuid()}, {"$window_id", g.uuid()}, {"distinct_id", g.uuid()}}}}
	txt := jsonText([]obj{ev})
	f.see(txt)
	f.body = gzipBytes([]byte(txt))
	f.notes = append(f.notes, "session replay input events, gzip")
	g.browserHeaders(f, s, false, "text/plain")
	return f
}

// ---- Hotjar, FullStory ----

func hotjar(g *gen, s *scene) *flow {
	f := g.newFlow("hotjar", "POST", fmt.Sprintf("https://content.hotjar.io/api/v2/client/sites/%d/recordings/content?v=%s", 1000000+g.r.IntN(5000000), g.hex(8)))
	var evs []obj
	for _, e := range g.replayInputs(f, s) {
		evs = append(evs, obj{{"t", "input"}, {"d", e}})
	}
	txt := jsonText(obj{{"session_id", g.uuid()}, {"page_url", f.takeS(s.url)}, {"events", evs}})
	f.see(txt)
	f.body = gzipBytes([]byte(txt))
	f.notes = append(f.notes, "gzip body as text/plain")
	g.browserHeaders(f, s, false, "text/plain; charset=UTF-8")
	return f
}

func fullstory(g *gen, s *scene) *flow {
	q := fmt.Sprintf("OrgId=o-%s-na1&UserId=%s&SessionId=%s&PageId=%s&Seq=%d&ClientTime=%s&PageStart=%s", g.upper(5), digits(g.r, 19), digits(g.r, 19), digits(g.r, 19), 2+g.r.IntN(30), g.ms(), g.ms())
	f := g.newFlow("fullstory", "POST", "https://rs.fullstory.com/rec/bundle/v2?"+q)
	var evts []obj
	when := 100 + g.r.IntN(2000)
	evts = append(evts, obj{{"When", when}, {"Kind", 37}, {"Args", []any{f.takeS(s.url), f.takeS(s.title)}}})
	node := 50 + g.r.IntN(300)
	add := func(v string) {
		when += 200 + g.r.IntN(4000)
		node += 2
		evts = append(evts, obj{{"When", when}, {"Kind", 16}, {"Args", []any{node, v, false}}})
	}
	for _, v := range typedValues(f, s) {
		add(v)
	}
	f.jsonBody(obj{{"Seq", 3}, {"When", g.tick().UnixMilli()}, {"Evts", evts}})
	g.browserHeaders(f, s, false, "text/plain")
	return f
}

// ---- Datadog RUM ----

func (g *gen) datadogNDJSON(f *flow, s *scene) string {
	app, sess, view := g.uuid(), g.uuid(), g.uuid()
	u := f.takeS(s.url)
	viewObj := obj{{"id", view}, {"url", u}, {"referrer", s.ref}, {"name", f.takeS(s.title)}}
	line1 := obj{{"type", "view"}, {"date", g.tick().UnixMilli()}, {"application", obj{{"id", app}}}, {"session", obj{{"id", sess}, {"type", "user"}}}, {"view", viewObj}, {"_dd", obj{{"format_version", 2}}}}
	if len(s.traits) > 0 {
		line1 = append(line1, kv{"usr", g.traitsObj(f, s)})
	}
	if s.has(s.ip) {
		line1 = append(line1, kv{"context", obj{{"client_ip", f.takeS(s.ip)}}})
	}
	target := f.takeS(s.event)
	if s.has(s.button) {
		target = f.takeS(s.button)
	}
	line2 := obj{{"type", "action"}, {"date", g.tick().UnixMilli()}, {"application", obj{{"id", app}}}, {"session", obj{{"id", sess}}}, {"view", obj{{"id", view}, {"url", u}}},
		{"action", obj{{"id", g.uuid()}, {"type", "click"}, {"target", obj{{"name", target}}}}}, {"context", g.propsObj(f, s)}}
	txt := jsonText(line1) + "\n" + jsonText(line2)
	f.see(txt)
	return txt
}

func (g *gen) datadogQuery(enc string) string {
	q := "ddsource=browser&ddtags=sdk_version%3A5.2" + fmt.Sprint(g.r.IntN(10)) + ".0%2Capi%3Afetch%2Cenv%3Aprod%2Cservice%3Aweb&dd-api-key=pub" + g.hex(32) +
		"&dd-evp-origin-version=5.2" + fmt.Sprint(g.r.IntN(10)) + ".0&dd-evp-origin=browser&dd-request-id=" + g.uuid() + "&batch_time=" + g.ms()
	if enc != "" {
		q += "&dd-evp-encoding=" + enc
	}
	return q
}

func datadogPlain(g *gen, s *scene) *flow {
	f := g.newFlow("datadog", "POST", "https://browser-intake-datadoghq.com/api/v2/rum?"+g.datadogQuery(""))
	f.body = []byte(g.datadogNDJSON(f, s))
	f.notes = append(f.notes, "NDJSON")
	g.browserHeaders(f, s, false, "text/plain;charset=UTF-8")
	return f
}

func datadogZlib(g *gen, s *scene) *flow {
	f := g.newFlow("datadog", "POST", "https://browser-intake-us5-datadoghq.com/api/v2/rum?"+g.datadogQuery("deflate"))
	f.body = zlibBytes([]byte(g.datadogNDJSON(f, s)))
	f.notes = append(f.notes, "NDJSON compressed with zlib (dd-evp-encoding=deflate)")
	g.browserHeaders(f, s, false, "text/plain;charset=UTF-8")
	return f
}

// datadogProxy is RUM sent through the site's own proxy endpoint, body raw
// deflate without the zlib wrapper.
func datadogProxy(g *gen, s *scene) *flow {
	fwd := "/api/v2/rum?" + g.datadogQuery("deflate")
	f := g.newFlow("firstparty-datadog", "POST", "https://"+s.host+"/rum-proxy?ddforward="+encURI(fwd))
	f.body = deflateRaw([]byte(g.datadogNDJSON(f, s)))
	f.notes = append(f.notes, "Datadog via ddforward proxy, raw deflate body")
	g.browserHeaders(f, s, true, "text/plain;charset=UTF-8")
	return f
}

// ---- Sentry ----

var jsErrors = []string{
	"TypeError: Cannot read properties of undefined (reading 'length')",
	"Error: Request failed with status code 422",
	"ChunkLoadError: Loading chunk 841 failed.",
	"TypeError: Failed to fetch",
	"Error: ResizeObserver loop completed with undelivered notifications.",
}

func sentry(g *gen, s *scene) *flow {
	proj := digits(g.r, 7)
	key := g.hex(32)
	f := g.newFlow("sentry", "POST", "https://o"+digits(g.r, 6)+".ingest.us.sentry.io/api/"+proj+"/envelope/?sentry_key="+key+"&sentry_version=7&sentry_client=sentry.javascript.react%2F8.4"+fmt.Sprint(g.r.IntN(10))+".0")
	evID := g.hex(32)
	u := f.takeS(s.url)
	user := obj{{"id", g.uuid()}}
	for _, pr := range s.traits {
		user = append(user, kv{pr.key, f.take(pr)})
	}
	if s.has(s.ip) {
		user = append(user, kv{"ip_address", f.takeS(s.ip)})
	}
	crumbs := []obj{
		{{"timestamp", float64(g.tick().Unix())}, {"category", "navigation"}, {"data", obj{{"from", "/"}, {"to", u}}}},
		{{"timestamp", float64(g.tick().Unix())}, {"category", "ui.click"}, {"message", "button.btn-primary > span[" + f.takeS(s.event) + "]"}},
	}
	errText := g.pick(jsErrors)
	ev := obj{{"event_id", evID}, {"level", "error"}, {"platform", "javascript"},
		{"exception", obj{{"values", []obj{{{"type", strings.Split(errText, ":")[0]}, {"value", strings.TrimSpace(strings.SplitN(errText, ":", 2)[1])}}}}}},
		{"request", obj{{"url", u}, {"headers", obj{{"Referer", s.ref}, {"User-Agent", g.pick(userAgents)}}}}},
		{"user", user}, {"breadcrumbs", obj{{"values", crumbs}}}, {"extra", g.propsObj(f, s)},
		{"transaction", f.takeS(s.title)}, {"environment", "production"}}
	evTxt := jsonText(ev)
	env := jsonText(obj{{"event_id", evID}, {"sent_at", g.tick().Format("2006-01-02T15:04:05.000Z")}, {"sdk", obj{{"name", "sentry.javascript.react"}, {"version", "8.40.0"}}}}) + "\n" +
		jsonText(obj{{"type", "event"}, {"length", len(evTxt)}}) + "\n" + evTxt + "\n"
	f.see(env)
	f.body = []byte(env)
	f.notes = append(f.notes, "Sentry envelope (newline-delimited)")
	g.browserHeaders(f, s, false, "text/plain;charset=UTF-8")
	return f
}

// ---- first-party collector with a JWT ----

func jwtCollect(g *gen, s *scene) *flow {
	f := g.newFlow("firstparty-jwt", "POST", "https://"+s.host+"/api/events")
	claims := obj{{"sub", g.uuid()}}
	claims = append(claims, g.traitsObj(f, s)...)
	claims = append(claims, kv{"iat", g.tick().Unix()}, kv{"exp", g.tick().Unix() + 3600})
	ct := jsonText(claims)
	f.see(ct)
	tok := b64urlRaw(`{"alg":"HS256","typ":"JWT"}`) + "." + b64urlRaw(ct) + "." + b64urlRaw(g.alnum(32))
	body := obj{{"session_token", tok}, {"event", f.takeS(s.event)}, {"page", f.takeS(s.url)}, {"properties", g.propsObj(f, s)}}
	f.jsonBody(body)
	f.notes = append(f.notes, "identifiers inside a JWT payload")
	g.browserHeaders(f, s, true, "application/json")
	return f
}
