package main

import (
	"fmt"
	"strings"
)

// selfEvidentIDs are the scenario's identifiers that need no key to be
// recognised (emails, phones), for places that send values without keys:
// chat text, session-replay argument lists, a generic uid.
func (s *scenario) selfEvidentIDs() []person {
	var out []person
	for _, p := range s.plainIDs() {
		switch p.Label.Kind {
		case "email", "phone":
			out = append(out, p)
		}
	}
	return out
}

const (
	retailSite = "www.urbantrail-outfitters.com"
	newsSite   = "www.dailyherald-news.com"
)

func slugOf(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func (s *scenario) visitorHeaders(r *request, origin string) {
	r.header("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36")
	r.header("Accept", "*/*")
	r.header("Referer", origin+"/")
	r.header("Sec-Fetch-Site", "cross-site")
	r.header("Sec-Fetch-Mode", "no-cors")
	r.header("Sec-Fetch-Dest", "empty")
}

// negatives are ordinary retail and news traffic, and health-site traffic
// whose PHI-looking parts are not PHI (versions, order numbers,
// timestamps, UUIDs, other people's hashes).
var negatives = []template{
	{"neg-retail-ga4", false, func(s *scenario) request {
		product := retailProducts[s.rng.IntN(len(retailProducts))]
		var q query
		q.add("v", "2")
		q.add("tid", "G-RT55ABCD12")
		q.add("cid", s.digits(9)+"."+s.digits(10))
		q.add("dl", "https://"+retailSite+"/products/"+slugOf(product))
		q.add("dt", product+" | Urban Trail Outfitters")
		q.add("en", "view_item")
		q.add("ep.item_name", product)
		q.add("ep.item_id", "SKU-"+s.digits(6))
		q.add("ep.order_id", s.digits(10))
		q.add("epn.value", "24.99")
		r := request{Method: "POST", URL: "https://region1.google-analytics.com/g/collect?" + q.String()}
		s.visitorHeaders(&r, "https://"+retailSite)
		return r
	}},
	{"neg-retail-meta", false, func(s *scenario) request {
		product := retailProducts[s.rng.IntN(len(retailProducts))]
		var q query
		q.add("id", "998877665544332")
		q.add("ev", "Purchase")
		q.add("dl", "https://"+retailSite+"/checkout/thank-you?order="+s.digits(10))
		q.add("cd[content_name]", product)
		q.add("cd[content_ids]", fmt.Sprintf("[\"%s\"]", s.digits(6)))
		q.add("cd[value]", "49.00")
		q.add("cd[currency]", "USD")
		q.add("cd[buttonText]", "Place order")
		q.add("ud[em]", sha256Hex(fmt.Sprintf("buyer%d@example.net", s.rng.IntN(99999))))
		q.add("ud[ph]", sha256Hex("1"+s.digits(10)))
		r := request{Method: "GET", URL: "https://www.facebook.com/tr/?" + q.String()}
		s.visitorHeaders(&r, "https://"+retailSite)
		return r
	}},
	{"neg-news-segment", false, func(s *scenario) request {
		title := newsTitles[s.rng.IntN(len(newsTitles))]
		body := map[string]any{
			"type": "page", "anonymousId": s.uuid(), "writeKey": "Nw5sK2pQ9xY4", "messageId": "ajs-" + s.uuid(),
			"name": title,
			"properties": map[string]any{"title": title, "url": "https://" + newsSite + "/2024/03/15/" + slugOf(title), "published_at": "2024-03-15T10:22:33Z",
				"article_id": s.uuid(), "word_count": 812, "section": "local"},
			"context": map[string]any{"page": map[string]any{"title": title, "path": "/2024/03/15/" + slugOf(title)}},
		}
		r := request{Method: "POST", URL: "https://api.segment.io/v1/p", Body: []byte(mustJSON(body))}
		s.visitorHeaders(&r, "https://"+newsSite)
		r.header("Content-Type", "text/plain")
		return r
	}},
	{"neg-news-meta", false, func(s *scenario) request {
		title := newsTitles[s.rng.IntN(len(newsTitles))]
		var q query
		q.add("id", "112233445566778")
		q.add("ev", "ViewContent")
		q.add("dl", "https://"+newsSite+"/2024/03/15/"+slugOf(title))
		q.add("cd[content_name]", title)
		q.add("cd[buttonText]", "Read more")
		q.add("ts", s.ts())
		r := request{Method: "GET", URL: "https://www.facebook.com/tr/?" + q.String()}
		s.visitorHeaders(&r, "https://"+newsSite)
		return r
	}},
	{"neg-versions", false, func(s *scenario) request {
		// A health site's error report: the page names a condition (a real
		// finding), and version fields that look like ICD-10 codes or IP
		// addresses must stay quiet despite that context.
		if s.rng.IntN(2) == 0 {
			p := pages[s.rng.IntN(len(pages))]
			s.page = &p
		}
		event := mustJSON(map[string]any{
			"release": "portal@F32.9",
			"contexts": map[string]any{
				"app":     map[string]any{"version": "F32.9", "build": "E11.9"},
				"os":      map[string]any{"name": "Mac OS X", "version": "10.15.7"},
				"browser": map[string]any{"name": "Chrome", "version": "124.0.6367.91"},
				"device":  map[string]any{"model": "B20", "firmware_version": "1.2.3.4"},
			},
			"request": map[string]any{"url": s.pageURL()},
			"sdk":     map[string]any{"name": "sentry.javascript.browser", "version": "7.64.0"},
		})
		body := `{"event_id":"` + strings.ReplaceAll(s.uuid(), "-", "") + `"}` + "\n" + `{"type":"event"}` + "\n" + event + "\n"
		r := request{Method: "POST", URL: "https://o450123.ingest.us.sentry.io/api/4505123456789/envelope/", Body: []byte(body)}
		s.browserHeaders(&r, "cors", "empty")
		r.header("Content-Type", "text/plain;charset=UTF-8")
		return r
	}},
	{"neg-orders", false, func(s *scenario) request {
		body := map[string]any{
			"type": "track", "event": "Order Completed", "anonymousId": s.uuid(), "writeKey": "Zk3b9Q2mXy7LpR4tVw8s",
			"properties": map[string]any{
				"order_id": s.digits(10), "checkout_id": s.digits(10), "invoice_number": "INV-" + s.digits(10),
				"tracking_number": "1Z" + strings.ToUpper(hexToken(s)[:16]), "total": 52.30, "revenue": 47.80, "coupon": "SPRING24",
				"products": []map[string]any{{"product_id": s.digits(8), "sku": "RT-" + s.digits(5), "name": retailProducts[s.rng.IntN(len(retailProducts))], "price": 24.99, "quantity": 2}},
			},
		}
		r := request{Method: "POST", URL: "https://api.segment.io/v1/t", Body: []byte(mustJSON(body))}
		s.visitorHeaders(&r, "https://"+retailSite)
		r.header("Content-Type", "text/plain")
		return r
	}},
	{"neg-timestamps", false, func(s *scenario) request {
		props := map[string]any{
			"token": "4a1b2c3d4e5f60718293a4b5c6d7e8f9", "distinct_id": s.uuid(), "time": 1710498153, "$insert_id": s.uuid(),
			"created_at": "2024-03-15T10:22:33Z", "last_seen": "03/15/2024", "date": "2024-03-15", "expires": "Fri, 15 Mar 2024 10:22:33 GMT",
			"duration_ms": s.digits(5), "$screen_height": 1080, "$screen_width": 1920, "$current_url": "https://" + newsSite + "/weather",
		}
		var q query
		q.add("data", base64Std(mustJSON(map[string]any{"event": "Session Heartbeat", "properties": props})))
		r := request{Method: "POST", URL: "https://api-js.mixpanel.com/track/?ip=1", Body: []byte(q.String())}
		s.visitorHeaders(&r, "https://"+newsSite)
		r.header("Content-Type", "application/x-www-form-urlencoded")
		return r
	}},
	{"neg-cookies", false, func(s *scenario) request {
		// Analytics cookies and IDs on a first-party route: identifiers of
		// browsers, not people.
		body := map[string]any{"type": "page", "anonymousId": s.uuid(), "writeKey": "Zk3b9Q2mXy7LpR4tVw8s", "messageId": "ajs-next-" + s.uuid(),
			"properties": map[string]any{"path": "/", "title": "Home | Brightcare Partners", "build": "2024.03.15-1842", "experiment": "hero-v2"},
			"context":    map[string]any{"page": map[string]any{"url": s.origin() + "/"}, "library": map[string]any{"name": "analytics.js", "version": "npm:next-1.70.0"}}}
		r := request{Method: "POST", URL: "https://" + s.site + "/cdp/v1/p", Body: []byte(mustJSON(body))}
		s.browserHeaders(&r, "cors", "empty")
		sameSite(&r)
		r.header("Content-Type", "text/plain")
		r.header("Cookie", "ajs_anonymous_id=%22"+s.uuid()+"%22; _ga=GA1.1."+s.digits(9)+"."+s.digits(10)+"; _fbp=fb.1."+s.ts()+"."+s.digits(10)+"; _gcl_au=1.1."+s.digits(10)+"."+s.digits(10)+"; cookieconsent_status=dismiss")
		return r
	}},
	{"neg-ids-hashes", false, func(s *scenario) request {
		// Identifiers of devices and sessions and other people's hashes on a
		// health site's home page, inspected with the persona loaded.
		var q query
		q.add("v", "2")
		q.add("tid", "G-8XK2L4M9QZ")
		q.add("cid", s.digits(9)+"."+s.digits(10))
		q.add("dl", s.origin()+"/")
		q.add("dt", "Home | Brightcare Partners")
		q.add("en", "session_start")
		q.add("ep.session_uuid", s.uuid())
		q.add("ep.device_id", strings.ToUpper(s.uuid()))
		q.add("ep.user_hash", sha256Hex(s.uuid()))
		q.add("ep.etag", md5Hex(s.uuid()))
		q.add("up.hashed_email", sha256Hex("j.whitfield@example.org"))
		r := request{Method: "POST", URL: "https://region1.google-analytics.com/g/collect?" + q.String()}
		s.browserHeaders(&r, "no-cors", "empty")
		return r
	}},
}
