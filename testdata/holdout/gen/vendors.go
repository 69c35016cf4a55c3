package main

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"strings"
)

// renderer turns a scene into one tracker request.
type renderer struct {
	vendor string
	fn     func(g *gen, s *scene) *flow
}

func (g *gen) newFlow(vendor, method, u string) *flow {
	f := &flow{vendor: vendor, method: method, url: u}
	return f
}

// browserHeaders adds what a browser sends with a tracker request. Third
// parties get only the page's origin as Referer (the default
// strict-origin-when-cross-origin policy); the site's own endpoints get the
// full page URL.
func (g *gen) browserHeaders(f *flow, s *scene, firstParty bool, contentType string) {
	f.header("User-Agent", g.pick(userAgents))
	f.header("Accept", "*/*")
	f.header("Accept-Language", g.pick([]string{"en-US,en;q=0.9", "en-US", "en-US,en;q=0.9,es;q=0.8"}))
	if contentType != "" {
		f.header("Content-Type", contentType)
	}
	if f.method == "POST" {
		f.header("Origin", "https://"+s.host)
	}
	if firstParty {
		u := f.takeS(s.url)
		f.see(u)
		f.header("Referer", u)
		f.header("Cookie", "sid="+g.alnum(32)+"; _consent=1")
	} else {
		f.header("Referer", "https://"+s.host+"/")
	}
	f.header("Sec-Fetch-Site", map[bool]string{true: "same-origin", false: "cross-site"}[firstParty])
}

func (g *gen) propsObj(f *flow, s *scene) obj {
	var o obj
	for _, pr := range s.props {
		o = append(o, kv{pr.key, f.take(pr)})
	}
	if s.has(s.text) {
		o = append(o, kv{s.text.key, f.take(s.text)})
	}
	return o
}

func (g *gen) traitsObj(f *flow, s *scene) obj {
	var o obj
	for _, pr := range s.traits {
		o = append(o, kv{pr.key, f.take(pr)})
	}
	return o
}

func hashNorm(per *person, key string) (kind, plain, normalised string) {
	switch key {
	case "em":
		return "email", per.email, per.email
	case "ph":
		return "phone", per.phone, per.phone
	case "fn":
		return "name", strings.ToLower(per.first), strings.ToLower(per.first)
	case "ln":
		return "name", strings.ToLower(per.last), strings.ToLower(per.last)
	case "db":
		return "dob", per.dob, strings.ReplaceAll(per.dob, "-", "")
	case "zp":
		return "zip", per.zip, per.zip
	case "external_id":
		return "member_id", per.account, per.account
	}
	panic(key)
}

// ---- Meta Pixel ----

func (g *gen) metaQuery(f *flow, s *scene, q *query, double bool) {
	q.set("id", digits(g.r, 15))
	q.set("ev", f.takeS(s.event))
	u := f.takeS(s.url)
	if double {
		q.setRaw("dl", formEnc(formEnc(u)), u)
		f.notes = append(f.notes, "dl percent-encoded twice")
	} else {
		q.set("dl", u)
	}
	q.set("rl", s.ref)
	q.set("if", "false")
	q.set("ts", g.ms())
	if s.has(s.button) {
		bt := f.takeS(s.button)
		q.set("cd[buttonText]", bt)
		q.set("cd[buttonFeatures]", jsonText(obj{{"classList", "btn btn-primary"}, {"destination", ""}, {"id", ""}, {"imageUrl", ""}, {"innerText", bt}, {"numChildButtons", 0}, {"tag", "button"}, {"type", "submit"}, {"name", ""}}))
	}
	if g.chance(2) {
		q.set("cd[pageFeatures]", jsonText(obj{{"title", f.takeS(s.title)}}))
	}
	for _, pr := range s.props {
		q.set("cd["+pr.key+"]", valString(f.take(pr)))
	}
	if s.has(s.text) {
		q.set("cd[search_string]", f.takeS(s.text))
	}
	if s.who != nil {
		for _, k := range s.hash {
			kind, plain, norm := hashNorm(s.who, k)
			q.set("ud["+k+"]", sha256Hex(norm))
			f.addHash(kind, "sha256", plain)
		}
		if len(s.hash) > 2 {
			q.set("ud[country]", sha256Hex("us"))
			f.notes = append(f.notes, "ud[country] is a hashed country, not labelled")
		}
	}
	q.set("sw", "1440")
	q.set("sh", "900")
	q.set("v", "2.9.17"+fmt.Sprint(g.r.IntN(10)))
	q.set("r", "stable")
	q.set("ec", fmt.Sprint(g.r.IntN(6)))
	q.set("o", "4126")
	q.set("fbp", "fb.1."+g.ms()+"."+digits(g.r, 9))
	q.set("it", g.ms())
	q.set("coo", "false")
}

func metaGET(g *gen, s *scene) *flow {
	f := g.newFlow("meta", "GET", "")
	q := newQuery(f, encURI)
	g.metaQuery(f, s, q, g.chance(3))
	q.set("rqm", "GET")
	f.url = "https://www.facebook.com/tr/?" + q.String()
	g.browserHeaders(f, s, false, "")
	return f
}

func metaPOST(g *gen, s *scene) *flow {
	f := g.newFlow("meta", "POST", "https://www.facebook.com/tr/")
	q := newQuery(f, formEnc)
	g.metaQuery(f, s, q, false)
	q.set("rqm", "formPOST")
	f.body = []byte(q.String())
	g.browserHeaders(f, s, false, "application/x-www-form-urlencoded")
	return f
}

// ---- Google Analytics 4 and Google Ads ----

func googleEM(f *flow, per *person, keys []string) string {
	v := "tv.1~em." + sha256B64URL(per.email)
	f.addHash("email", "sha256", per.email)
	for _, k := range keys {
		if k == "ph" {
			v += "~pn." + sha256B64URL("+"+per.phone)
			f.addHash("phone", "sha256", per.phone)
		}
	}
	return v
}

func ga4Name(s *scene) string {
	switch valString(s.event.val) {
	case "PageView", "ViewContent":
		return "page_view"
	case "Search":
		return "search"
	}
	return "generate_lead"
}

func (g *gen) ga4Common(f *flow, s *scene, q *query, page bool) {
	q.set("v", "2")
	q.set("tid", "G-"+g.upper(10))
	q.set("gtm", "45je4"+g.alnum(5))
	q.set("_p", g.ms())
	q.set("gcd", "13l3l3l3l1l1")
	q.set("npa", "0")
	q.set("cid", fmt.Sprintf("%d.%d", 100000000+g.r.IntN(900000000), g.tick().Unix()))
	q.set("ul", "en-us")
	q.set("sr", "1440x900")
	q.set("sid", fmt.Sprint(g.tick().Unix()))
	q.set("sct", fmt.Sprint(1+g.r.IntN(9)))
	q.set("seg", "1")
	if page {
		u := f.takeS(s.url)
		if g.chance(4) {
			q.setRaw("dl", encURI(encURI(u)), u)
			f.notes = append(f.notes, "dl percent-encoded twice")
		} else {
			q.set("dl", u)
		}
		q.set("dr", s.ref)
		q.set("dt", f.takeS(s.title))
	}
}

func (g *gen) ga4Event(f *flow, s *scene, q *query) {
	q.set("en", ga4Name(s))
	if ga4Name(s) == "generate_lead" {
		q.set("ep.event_label", f.takeS(s.event))
	}
	for _, pr := range s.props {
		v := f.take(pr)
		if b, ok := v.(bool); ok {
			q.set("ep."+pr.key, valString(b))
		} else {
			q.set("ep."+pr.key, valString(v))
		}
	}
	if s.has(s.text) {
		q.set("ep."+s.text.key, f.takeS(s.text))
	}
	for _, pr := range s.traits {
		q.set("up."+pr.key, f.takeS(pr))
	}
	if s.who != nil {
		q.set("em", googleEM(f, s.who, s.hash))
	}
	q.set("_et", fmt.Sprint(g.r.IntN(20000)))
	q.set("tfd", fmt.Sprint(g.r.IntN(90000)))
}

func ga4GET(g *gen, s *scene) *flow {
	f := g.newFlow("ga4", "GET", "")
	q := newQuery(f, encURI)
	g.ga4Common(f, s, q, true)
	g.ga4Event(f, s, q)
	f.url = "https://region1.google-analytics.com/g/collect?" + q.String()
	g.browserHeaders(f, s, false, "")
	return f
}

// ga4POST batches events, one query-string line per event in the body.
func ga4POST(g *gen, s *scene) *flow {
	f := g.newFlow("ga4", "POST", "")
	q := newQuery(f, encURI)
	g.ga4Common(f, s, q, true)
	f.url = "https://region1.google-analytics.com/g/collect?" + q.String()
	var lines []string
	l1 := newQuery(f, encURI).set("en", "page_view").set("_et", fmt.Sprint(g.r.IntN(9000)))
	lines = append(lines, l1.String())
	l2 := newQuery(f, encURI)
	g.ga4Event(f, s, l2)
	lines = append(lines, l2.String())
	l3 := newQuery(f, encURI).set("en", "scroll").set("epn.percent_scrolled", "90").set("_et", fmt.Sprint(g.r.IntN(9000)))
	lines = append(lines, l3.String())
	f.body = []byte(strings.Join(lines, "\r\n"))
	g.browserHeaders(f, s, false, "text/plain;charset=UTF-8")
	return f
}

// ga4FirstParty is GA4 routed through the site's own tagging server.
func ga4FirstParty(g *gen, s *scene) *flow {
	f := g.newFlow("firstparty-ga4", "POST", "")
	q := newQuery(f, encURI)
	g.ga4Common(f, s, q, true)
	g.ga4Event(f, s, q)
	if s.has(s.ip) {
		q.set("_uip", f.takeS(s.ip))
	}
	f.url = "https://" + s.host + "/metrics/g/collect?" + q.String()
	f.notes = append(f.notes, "GA4 through the site's own domain")
	g.browserHeaders(f, s, true, "text/plain;charset=UTF-8")
	return f
}

func gadsGET(g *gen, s *scene) *flow {
	f := g.newFlow("gads", "GET", "")
	q := newQuery(f, encURI)
	q.set("random", digits(g.r, 10))
	q.set("cv", "11")
	q.set("fst", g.ms())
	q.set("bg", "ffffff")
	q.set("guid", "ON")
	q.set("async", "1")
	q.set("gtm", "45be4"+g.alnum(5))
	q.set("u_w", "1440")
	q.set("u_h", "900")
	q.set("url", f.takeS(s.url))
	q.set("ref", s.ref)
	q.set("label", g.alnum(20))
	q.set("hn", "www.googleadservices.com")
	q.set("frm", "0")
	q.set("tiba", f.takeS(s.title))
	var data []string
	data = append(data, "event=conversion")
	for _, pr := range s.props {
		if str, ok := pr.val.(string); ok && !strings.ContainsAny(str, ";=") {
			data = append(data, pr.key+"="+valString(f.take(pr)))
		}
	}
	q.set("data", strings.Join(data, ";"))
	if s.who != nil {
		q.set("em", googleEM(f, s.who, s.hash))
	}
	q.set("rfmt", "3")
	q.set("fmt", "4")
	conv := fmt.Sprint(10000000000 + g.r.Int64N(900000000))
	f.url = "https://googleads.g.doubleclick.net/pagead/viewthroughconversion/" + conv + "/?" + q.String()
	g.browserHeaders(f, s, false, "")
	return f
}

// ---- TikTok, LinkedIn, Pinterest, Snapchat ----

func tiktok(g *gen, s *scene) *flow {
	f := g.newFlow("tiktok", "POST", "https://analytics.tiktok.com/api/v2/pixel")
	user := obj{{"anonymous_id", g.alnum(27)}}
	if s.who != nil {
		user = append(user, kv{"email", sha256Hex(s.who.email)})
		f.addHash("email", "sha256", s.who.email)
		for _, k := range s.hash {
			switch k {
			case "ph":
				user = append(user, kv{"phone_number", sha256Hex("+" + s.who.phone)})
				f.addHash("phone", "sha256", s.who.phone)
			case "external_id":
				user = append(user, kv{"external_id", sha256Hex(s.who.account)})
				f.addHash("member_id", "sha256", s.who.account)
			}
		}
	}
	ctx := obj{
		{"ad", obj{{"sdk_env", "external"}, {"jsb_status", 2}}},
		{"device", obj{{"platform", "pc"}}},
		{"library", obj{{"name", "pixel.js"}, {"version", "2.2.1"}}},
		{"page", obj{{"url", f.takeS(s.url)}, {"referrer", s.ref}}},
		{"pixel", obj{{"code", "C" + g.upper(19)}}},
		{"session_id", g.uuid()},
		{"user", user},
		{"userAgent", g.pick(userAgents)},
	}
	if s.has(s.ip) {
		ctx = append(ctx, kv{"ip", f.takeS(s.ip)})
	}
	props := g.propsObj(f, s)
	if s.has(s.title) {
		props = append(props, kv{"description", f.takeS(s.title)})
	}
	body := obj{
		{"event", f.takeS(s.event)},
		{"message_id", "messageId-" + g.ms() + "-" + digits(g.r, 13)},
		{"event_id", ""},
		{"is_onsite", false},
		{"timestamp", g.tick().Format("2006-01-02T15:04:05.000Z")},
		{"context", ctx},
		{"properties", props},
	}
	f.jsonBody(body)
	g.browserHeaders(f, s, false, "application/json")
	return f
}

func linkedinCollect(g *gen, s *scene) *flow {
	f := g.newFlow("linkedin", "GET", "")
	q := newQuery(f, encURI)
	q.set("v", "2")
	q.set("fmt", "js")
	q.set("pid", digits(g.r, 7))
	q.set("time", g.ms())
	q.set("url", f.takeS(s.url))
	if g.chance(2) {
		q.set("pageTitle", f.takeS(s.title))
	}
	if s.who != nil {
		q.set("hem", sha256Hex(s.who.email))
		f.addHash("email", "sha256", s.who.email)
	}
	q.set("cookiesTest", "true")
	q.set("liSync", "true")
	f.url = "https://px.ads.linkedin.com/collect?" + q.String()
	g.browserHeaders(f, s, false, "")
	return f
}

// linkedinWA sends the page and form signals as base64(gzip(JSON)).
func linkedinWA(g *gen, s *scene) *flow {
	f := g.newFlow("linkedin", "POST", "https://px.ads.linkedin.com/wa/")
	var signals []obj
	for _, pr := range s.props {
		signals = append(signals, obj{{"name", pr.key}, {"value", valString(f.take(pr))}})
	}
	body := obj{
		{"pids", []int{1000000 + g.r.IntN(8000000)}},
		{"scriptVersion", 177},
		{"time", g.tick().UnixMilli()},
		{"domain", strings.TrimPrefix(s.host, "www.")},
		{"url", f.takeS(s.url)},
		{"pageTitle", f.takeS(s.title)},
		{"websiteSignalRequestId", g.uuid()},
		{"isTranslated", false},
		{"liFatId", ""},
		{"misc", obj{{"psbState", -4}}},
		{"signalType", "FORM_SUBMIT"},
		{"formSignals", signals},
	}
	if s.who != nil {
		body = append(body, kv{"hem", sha256Hex(s.who.email)})
		f.addHash("email", "sha256", s.who.email)
	}
	txt := jsonText(body)
	f.see(txt)
	f.body = []byte(b64(string(gzipBytes([]byte(txt)))))
	f.notes = append(f.notes, "body base64(gzip(JSON))")
	g.browserHeaders(f, s, false, "text/plain;charset=UTF-8")
	return f
}

func pinterest(g *gen, s *scene) *flow {
	f := g.newFlow("pinterest", "GET", "")
	q := newQuery(f, encURI)
	q.set("event", map[string]string{"page_view": "pagevisit", "search": "search", "generate_lead": "lead"}[ga4Name(s)])
	ed := obj{}
	for _, pr := range s.props {
		ed = append(ed, kv{pr.key, f.take(pr)})
	}
	q.set("ed", jsonText(ed))
	q.set("tid", digits(g.r, 13))
	if s.who != nil {
		q.set("pd", jsonText(obj{{"em", sha256Hex(s.who.email)}, {"np", "gtm"}}))
		f.addHash("email", "sha256", s.who.email)
	}
	q.set("ad", jsonText(obj{{"loc", f.takeS(s.url)}, {"ref", s.ref}, {"if", false}, {"sh", 900}, {"sw", 1440}, {"mh", g.hex(8)}, {"dep", "2,PAGE_LOAD"}}))
	q.set("cb", g.ms())
	f.url = "https://ct.pinterest.com/v3/?" + q.String()
	g.browserHeaders(f, s, false, "")
	return f
}

func snapchat(g *gen, s *scene) *flow {
	f := g.newFlow("snapchat", "POST", "https://tr.snapchat.com/p")
	q := newQuery(f, formEnc)
	q.set("pid", g.uuid())
	ev := "PAGE_VIEW"
	if ga4Name(s) != "page_view" {
		ev = "SIGN_UP"
	}
	q.set("ev", ev)
	q.set("pl", f.takeS(s.url))
	q.set("rf", s.ref)
	q.set("ts", g.ms())
	q.set("v", "1.5")
	if s.who != nil {
		q.set("u_hem", sha256Hex(s.who.email))
		f.addHash("email", "sha256", s.who.email)
		for _, k := range s.hash {
			if k == "ph" {
				q.set("u_hpn", sha256Hex(s.who.phone))
				f.addHash("phone", "sha256", s.who.phone)
			}
		}
	}
	if len(s.props) > 0 && g.chance(2) {
		q.set("e_desc", valString(f.take(s.props[0])))
	}
	q.set("m_sl", fmt.Sprint(g.r.IntN(3000)))
	f.body = []byte(q.String())
	g.browserHeaders(f, s, false, "application/x-www-form-urlencoded")
	return f
}

// criteo carries an MD5 of the e-mail in its hashed-email event.
func criteo(g *gen, s *scene) *flow {
	f := g.newFlow("criteo", "GET", "")
	q := newQuery(f, encURI)
	q.set("a", digits(g.r, 5))
	q.set("v", "5.23.0")
	q.set("otl", "1")
	q.set("p0", "e=exd&site_type=d")
	q.set("p1", "e=vh&tms=gtm-template")
	if s.who != nil {
		q.set("p2", "e=ce&m=["+md5Hex(s.who.email)+"]&h=md5")
		f.addHash("email", "md5", s.who.email)
	}
	q.set("adce", "1")
	q.set("tld", strings.TrimPrefix(s.host, "www."))
	q.set("fu", f.takeS(s.url))
	q.set("ceid", g.uuid())
	q.set("dtycbr", digits(g.r, 5))
	f.url = "https://sslwidget.criteo.com/event?" + q.String()
	g.browserHeaders(f, s, false, "")
	return f
}

// emailClick is an e-mail campaign click redirect that names the recipient
// by SHA-1.
func emailClick(g *gen, s *scene) *flow {
	f := g.newFlow("emailclick", "GET", "")
	q := newQuery(f, encURI)
	q.set("upn", g.alnum(40))
	q.set("r", f.takeS(s.url))
	if s.who != nil {
		q.set("email_sha1", sha1Hex(s.who.email))
		f.addHash("email", "sha1", s.who.email)
	}
	q.set("cid", digits(g.r, 6))
	f.url = "https://click.mailrelay-mx.com/ls/click?" + q.String()
	f.header("User-Agent", g.pick(userAgents))
	f.header("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	return f
}

// ---- Intercom ----

func (g *gen) intercomForm(f *flow, s *scene, q *query) {
	q.set("app_id", strings.ToLower(g.alnum(8)))
	q.set("v", "3")
	q.set("g", g.hex(40))
	q.set("s", g.uuid())
	q.set("r", "")
	q.set("platform", "web")
	q.set("installation_type", "js-snippet")
	q.set("Idempotency-Key", g.hex(16))
	q.set("internal", "{}")
	q.set("is_intersection_booted", "null")
	q.set("page_title", f.takeS(s.title))
	q.set("user_active_company_id", "undefined")
	ud := obj{{"anonymous_id", g.uuid()}}
	ud = append(ud, g.traitsObj(f, s)...)
	q.set("user_data", jsonText(ud))
	q.set("source", "apiUpdate")
	q.set("sampling", "false")
	q.set("referer", f.takeS(s.url))
	q.set("device_identifier", g.uuid())
}

func intercomPing(g *gen, s *scene) *flow {
	f := g.newFlow("intercom", "POST", "https://api-iam.intercom.io/messenger/web/ping")
	q := newQuery(f, formEnc)
	g.intercomForm(f, s, q)
	if len(s.props) > 0 {
		var o obj
		for _, pr := range s.props {
			o = append(o, kv{pr.key, f.take(pr)})
		}
		q.set("custom_attributes", jsonText(o))
	}
	f.body = []byte(q.String())
	g.browserHeaders(f, s, false, "application/x-www-form-urlencoded")
	return f
}

func chatText(f *flow, s *scene) string {
	if s.has(s.text) {
		return f.takeS(s.text)
	}
	var parts []string
	for _, pr := range s.props {
		if str, ok := pr.val.(string); ok {
			parts = append(parts, valString(f.take(pr)))
			_ = str
		}
	}
	return strings.Join(parts, ", ")
}

func intercomMessage(g *gen, s *scene) *flow {
	f := g.newFlow("intercom", "POST", "https://api-iam.intercom.io/messenger/web/conversations")
	q := newQuery(f, formEnc)
	g.intercomForm(f, s, q)
	q.set("blocks", jsonText([]obj{{{"type", "paragraph"}, {"text", chatText(f, s)}}}))
	q.set("composer_suggestions", "false")
	f.body = []byte(q.String())
	g.browserHeaders(f, s, false, "application/x-www-form-urlencoded")
	return f
}

func intercomEvents(g *gen, s *scene) *flow {
	f := g.newFlow("intercom", "POST", "https://api-iam.intercom.io/messenger/web/events")
	q := newQuery(f, formEnc)
	g.intercomForm(f, s, q)
	md := g.propsObj(f, s)
	q.set("event_list", jsonText([]obj{{{"event_name", f.takeS(s.event)}, {"created", g.tick().Unix()}, {"metadata", md}}}))
	f.body = []byte(q.String())
	g.browserHeaders(f, s, false, "application/x-www-form-urlencoded")
	return f
}

// intercomUpload is a multipart/form-data message with an attachment.
func intercomUpload(g *gen, s *scene) *flow {
	f := g.newFlow("intercom", "POST", "https://api-iam.intercom.io/messenger/web/conversations")
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.SetBoundary("----WebKitFormBoundary" + g.alnum(16))
	field := func(k, v string) {
		w.WriteField(k, v)
		f.see(v)
	}
	field("app_id", strings.ToLower(g.alnum(8)))
	field("v", "3")
	ud := obj{{"anonymous_id", g.uuid()}}
	ud = append(ud, g.traitsObj(f, s)...)
	field("user_data", jsonText(ud))
	field("page_title", f.takeS(s.title))
	field("referer", f.takeS(s.url))
	field("blocks", jsonText([]obj{{{"type", "paragraph"}, {"text", chatText(f, s)}}}))
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="upload"; filename="IMG_`+digits(g.r, 4)+`.jpg"`)
	h.Set("Content-Type", "image/jpeg")
	pw, _ := w.CreatePart(h)
	img := []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00}
	for i := 0; i < 180; i++ {
		img = append(img, byte(g.r.IntN(256)))
	}
	pw.Write(append(img, 0xff, 0xd9))
	w.Close()
	f.body = buf.Bytes()
	f.notes = append(f.notes, "multipart/form-data with a binary attachment")
	g.browserHeaders(f, s, false, "multipart/form-data; boundary="+w.Boundary())
	return f
}
