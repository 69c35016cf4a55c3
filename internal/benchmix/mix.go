// Package benchmix builds the request mix the proxy's benchmarks send
// and inspect: what the trackers of a busy page send, with every value
// a real page would not repeat made unique per request, so that nothing in
// a proxy can be memoised across requests that a real site would not let
// it memoise.
//
// Three shapes take turns:
//
//   - a pixel GET (Meta Pixel-like) with a query string of about 600
//     bytes: pixel ID, event name and ID, page URL and referrer, timestamps,
//     screen, browser ID cookie, content name and button text;
//   - a JSON event batch (Segment-like) of about 2 KB as text/plain: three
//     events, each with its message ID, timestamp, anonymous and session
//     IDs, page URL, path, title and referrer, user agent and properties;
//   - a form post (Intercom-like) of about 1 KB: app and session IDs,
//     device ID, page URL, referrer and title, idempotency key, and
//     user_data as JSON.
//
// Unique per request: event and message IDs, timestamps, session,
// anonymous and device IDs, the browser ID cookie, page URLs (a numbered
// article or product and a campaign tag) and, in the requests that carry
// PHI, the e-mail address. What a real page repeats stays the same: the
// pixel ID, write key, app ID and user agent.
//
// phiShare of every 12 requests carry PHI (proxybench's -phi-share): a
// condition or booking page, a medication or condition name, an e-mail
// address.
package benchmix

import (
	"encoding/hex"
	"strconv"
	"sync/atomic"
	"time"
)

// GIF is the 1x1 pixel an origin answers the mix with.
var GIF = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

// Entry is one request of the mix.
type Entry struct {
	Method, Path, ContentType string
	Body                      []byte // nil for the GET
}

// mixSeq numbers every request proxybench builds, across workers and
// runs, so that no two requests share an ID or a page URL.
var mixSeq atomic.Uint64

// mixEpoch is the millisecond timestamp requests count from.
var mixEpoch = time.Now().UnixMilli()

// Method is the method of request i without building it.
func Method(i int) string {
	if i%3 == 0 {
		return "GET"
	}
	return "POST"
}

// Request builds request i of the mix: the shape is i%3, PHI when
// i%12 < phiShare, and every unique value fresh.
func Request(i, phiShare int) Entry {
	u := newUniq(mixSeq.Add(1))
	phi := i%12 < phiShare
	switch i % 3 {
	case 0:
		return Entry{Method: "GET", Path: string(pixelQuery(nil, u, phi))}
	case 1:
		return Entry{Method: "POST", Path: "/v1/batch", ContentType: "text/plain", Body: eventBatch(nil, u, phi)}
	default:
		return Entry{Method: "POST", Path: "/messenger/web/ping", ContentType: "application/x-www-form-urlencoded", Body: pingForm(nil, u, phi)}
	}
}

// uniq holds one request's unique values.
type uniq struct {
	n                      uint64
	ts                     int64
	event, session, device [16]byte // hex below
}

func newUniq(n uint64) uniq {
	u := uniq{n: n, ts: mixEpoch + int64(n)}
	s := n * 0x9e3779b97f4a7c15
	for _, dst := range []*[16]byte{&u.event, &u.session, &u.device} {
		s = splitmix(s)
		var raw [8]byte
		for k := range raw {
			raw[k] = byte(s >> (8 * k))
		}
		hex.Encode(dst[:], raw[:])
	}
	return u
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// uuid appends a UUID-shaped ID made of two of u's IDs.
func uuid(b []byte, hi, lo [16]byte) []byte {
	b = append(b, hi[:8]...)
	b = append(b, '-')
	b = append(b, hi[8:12]...)
	b = append(b, '-')
	b = append(b, hi[12:16]...)
	b = append(b, '-')
	b = append(b, lo[:4]...)
	b = append(b, '-')
	b = append(b, lo[4:16]...)
	return b
}

// pageParts are a page's site, path and title, PHI or not.
type pageParts struct{ site, path, title string }

var (
	phiPages = []pageParts{
		{"clinic.example", "/conditions/depression/treatment-options-", "Depression treatment options"},
		{"clinic.example", "/book/psychiatry/dr-lee-", "Book a psychiatry visit"},
		{"clinic.example", "/pharmacy/refill/sertraline-", "Refill your prescription"},
		{"clinic.example", "/conditions/hiv/prep-", "PrEP for HIV prevention"},
	}
	cleanPages = []pageParts{
		{"shop.example", "/collections/summer/teak-bench-", "Teak bench"},
		{"shop.example", "/blog/garden-lighting-ideas-", "Garden lighting ideas"},
		{"news.example", "/sports/league-results-", "League results"},
		{"shop.example", "/cart/review-", "Your cart"},
	}
	phiTerms   = []string{"sertraline", "Depression", "PrEP", "psychiatry"}
	cleanTerms = []string{"outdoor furniture", "lighting", "football", "checkout"}
)

func pageOf(u uniq, phi bool) (pageParts, string) {
	k := int(u.n % 4)
	if phi {
		return phiPages[k], phiTerms[k]
	}
	return cleanPages[k], cleanTerms[k]
}

// pageURL appends the page's URL: its path numbered by the request and a
// campaign tag, as article, product and campaign pages are.
func pageURL(b []byte, p pageParts, u uniq) []byte {
	b = append(b, "https://"...)
	b = append(b, p.site...)
	b = append(b, p.path...)
	b = strconv.AppendUint(b, u.n, 10)
	b = append(b, "?utm_source=newsletter&utm_campaign=c"...)
	b = append(b, u.event[:6]...)
	return b
}

// email appends a unique address for the requests that carry PHI.
func email(b []byte, u uniq) []byte {
	b = append(b, "jordan.whitfield."...)
	b = append(b, u.device[:6]...)
	return append(b, "@example.com"...)
}

// queryEscape appends s percent-encoded as a query value.
func queryEscape(b []byte, s []byte) []byte {
	const hexDigits = "0123456789ABCDEF"
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b = append(b, c)
		default:
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return b
}

// pixelQuery appends the pixel GET's path and query (about 600 bytes).
func pixelQuery(b []byte, u uniq, phi bool) []byte {
	p, term := pageOf(u, phi)
	var scratch [160]byte
	b = append(b, "/tr/?id=1234567890123456&ev="...)
	if phi {
		b = append(b, "Schedule"...)
	} else {
		b = append(b, "PageView"...)
	}
	b = append(b, "&eid=ob3_plugin-set_"...)
	b = append(b, u.event[:]...)
	b = append(b, "&dl="...)
	b = queryEscape(b, pageURL(scratch[:0], p, u))
	b = append(b, "&rl=https%3A%2F%2Fwww.google.com%2Fsearch%3Fq%3D"...)
	b = append(b, u.session[:8]...)
	b = append(b, "&if=false&ts="...)
	b = strconv.AppendInt(b, u.ts, 10)
	b = append(b, "&cd[content_name]="...)
	b = queryEscape(b, []byte(p.title))
	b = append(b, "&cd[content_category]="...)
	b = queryEscape(b, []byte(term))
	b = append(b, "&cd[buttonText]="...)
	if phi {
		b = append(b, "Book%20appointment&ud[em]="...)
		b = queryEscape(b, email(scratch[:0], u))
	} else {
		b = append(b, "Add%20to%20cart"...)
	}
	b = append(b, "&sw=1920&sh=1080&v=2.9.156&r=stable&ec=1&o=4126&fbp=fb.1."...)
	b = strconv.AppendInt(b, u.ts-86_400_000, 10)
	b = append(b, '.')
	b = append(b, u.device[:10]...)
	b = append(b, "&it="...)
	b = strconv.AppendInt(b, u.ts-1200, 10)
	b = append(b, "&coo=false&cs_est=true&rqm=GET&sid="...)
	b = uuid(b, u.session, u.device)
	return b
}

// eventBatch appends a JSON batch of three events (about 2 KB).
func eventBatch(b []byte, u uniq, phi bool) []byte {
	p, term := pageOf(u, phi)
	names := [3]string{"Page Viewed", "Product Viewed", "Button Clicked"}
	if phi {
		names = [3]string{"Page Viewed", "Appointment Booked", "Button Clicked"}
	}
	b = append(b, `{"batch":[`...)
	for k, name := range names {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":"track","event":"`...)
		b = append(b, name...)
		b = append(b, `","messageId":"ajs-next-`...)
		b = append(b, u.event[:]...)
		b = strconv.AppendInt(b, int64(k), 10)
		b = append(b, `","timestamp":"`...)
		b = time.UnixMilli(u.ts+int64(k)*37).UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
		b = append(b, `","anonymousId":"`...)
		b = uuid(b, u.device, u.session)
		b = append(b, `","properties":{"category":"`...)
		b = append(b, term...)
		b = append(b, `","position":`...)
		b = strconv.AppendInt(b, int64(k+1), 10)
		if phi && k == 1 {
			b = append(b, `,"email":"`...)
			b = email(b, u)
			b = append(b, '"')
		}
		b = append(b, `},"context":{"page":{"url":"`...)
		b = pageURL(b, p, u)
		b = append(b, `","path":"`...)
		b = append(b, p.path...)
		b = strconv.AppendUint(b, u.n, 10)
		b = append(b, `","title":"`...)
		b = append(b, p.title...)
		b = append(b, `","referrer":"https://www.google.com/"},"sessionId":`...)
		b = strconv.AppendInt(b, u.ts-90_000, 10)
		b = append(b, `,"userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36","locale":"en-US","library":{"name":"analytics.js","version":"next-1.70.0"}},"integrations":{}}`...)
	}
	b = append(b, `],"sentAt":"`...)
	b = time.UnixMilli(u.ts+200).UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, `","writeKey":"k3Jd8sZx0Qm4VbN7"}`...)
	return b
}

// pingForm appends an Intercom-like form post (about 1 KB).
func pingForm(b []byte, u uniq, phi bool) []byte {
	p, _ := pageOf(u, phi)
	var scratch [256]byte
	b = append(b, "app_id=abc12def&v=3&g="...)
	b = append(b, u.event[:]...)
	b = append(b, "&s="...)
	b = uuid(b, u.session, u.event)
	b = append(b, "&r=https%3A%2F%2Fwww.google.com%2F&platform=web&installation_type=js-snippet&Idempotency-Key="...)
	b = append(b, u.device[:]...)
	b = append(b, "&internal=%7B%7D&is_intersection_booted=false&page_title="...)
	b = queryEscape(b, []byte(p.title))
	b = append(b, "&user_active_company_id=undefined&user_data="...)
	ud := append(scratch[:0], `{"anonymous_id":"`...)
	ud = uuid(ud, u.device, u.event)
	if phi {
		ud = append(ud, `","email":"`...)
		ud = email(ud, u)
	}
	ud = append(ud, `","last_request_at":`...)
	ud = strconv.AppendInt(ud, u.ts/1000, 10)
	ud = append(ud, '}')
	b = queryEscape(b, ud)
	b = append(b, "&referer="...)
	b = queryEscape(b, pageURL(scratch[:0], p, u))
	b = append(b, "&device_identifier="...)
	b = uuid(b, u.device, u.session)
	b = append(b, "&is_mobile=false&locale=en&screen=1920x1080&timezone=America%2FChicago&sdk_version=1.0.0-"...)
	b = append(b, u.event[:4]...)
	b = append(b, "&client_time="...)
	b = strconv.AppendInt(b, u.ts, 10)
	b = append(b, "&user_agent=Mozilla%2F5.0%20(Macintosh%3B%20Intel%20Mac%20OS%20X%2010_15_7)%20AppleWebKit%2F537.36%20(KHTML%2C%20like%20Gecko)%20Chrome%2F124.0.0.0%20Safari%2F537.36"...)
	b = append(b, "&blocks=%5B%5D&source=page"...)
	return b
}
