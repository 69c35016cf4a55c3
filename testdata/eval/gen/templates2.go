package main

import (
	"bytes"
	"encoding/base64"
	"html"
	"mime/multipart"
	"strings"
	"unicode"
)

// camelSlug turns "/conditions/major-depressive-disorder" into
// "/conditions/majorDepressiveDisorder", as single-page apps route.
func camelSlug(path string) string {
	i := strings.LastIndexByte(path, '/')
	parts := strings.Split(path[i+1:], "-")
	for j := 1; j < len(parts); j++ {
		if parts[j] != "" {
			r := []rune(parts[j])
			r[0] = unicode.ToUpper(r[0])
			parts[j] = string(r)
		}
	}
	return path[:i+1] + strings.Join(parts, "")
}

// jwt builds an unsigned-looking JWT (the signature is opaque bytes): the
// claims travel readable to whoever receives the header.
func jwt(claims map[string]any) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc.EncodeToString([]byte(mustJSON(claims))) + "." +
		enc.EncodeToString([]byte("sig-0123456789abcdef0123456789ab"))
}

func init() {
	templates = append(templates, moreTemplates...)
}

// moreTemplates cover the remaining encodings: double percent-encoding,
// SPA fragments with camelCase routes, JWT claims, multipart forms and
// HTML-escaped rich text.
var moreTemplates = []template{
	{"bing-uet-double", false, func(s *scenario) request {
		var q query
		q.add("ti", "187654321")
		q.add("tm", "gtm002")
		q.add("Ver", "2")
		q.add("mid", s.uuid())
		q.add("sid", s.digits(8)[:8]+"0")
		q.add("vid", s.uuid())
		q.add("evt", "custom")
		q.add("ea", s.eventName("submit"))
		q.add("el", s.freeText("form"))
		// UET encodes the page URL, then the whole query again.
		q.add("p", uriComponent(s.pageURL()))
		q.add("r", "")
		q.add("tl", s.title())
		q.add("lg", "en-US")
		q.add("sw", "1920")
		q.add("sh", "1080")
		r := request{Method: "GET", URL: "https://bat.bing.com/action/0?" + q.String()}
		s.browserHeaders(&r, "no-cors", "image")
		return r
	}},
	{"ga4-spa-fragment", false, func(s *scenario) request {
		q := ga4Common(s)
		page := s.origin() + "/app/"
		if s.page != nil {
			s.use(s.page.Labels...)
			page += "#" + camelSlug(s.page.Slug)
		}
		for i := range q {
			if q[i][0] == "dl" {
				q[i][1] = page
			}
		}
		q.add("en", s.eventName("screen_view"))
		for _, p := range s.plainIDs() {
			q.add("up."+p.Key, s.take(p))
		}
		r := request{Method: "POST", URL: "https://region1.google-analytics.com/g/collect?" + q.String()}
		s.browserHeaders(&r, "no-cors", "empty")
		return r
	}},
	{"hubspot-chat-jwt", true, func(s *scenario) request {
		claims := map[string]any{"sub": s.uuid(), "iat": 1736871611, "exp": 1736958011}
		for _, p := range s.selfEvidentIDs() {
			claims[p.Key] = s.take(p)
		}
		body := map[string]any{"threadId": s.digits(10), "text": s.freeText("Hello"), "pageUrl": s.pageURL()}
		r := request{Method: "POST", URL: "https://api.hubapi.com/livechat-public/v1/message/public?portalId=" + s.digits(8), Body: []byte(mustJSON(body))}
		s.browserHeaders(&r, "cors", "empty")
		r.header("Content-Type", "application/json")
		r.header("Authorization", "Bearer "+jwt(claims))
		r.header("Origin", s.origin())
		return r
	}},
	{"hubspot-form-multipart", true, func(s *scenario) request {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		w.SetBoundary("----WebKitFormBoundary7MA4YWxkTrZu0gW")
		for _, p := range s.plainIDs() {
			key := strings.ReplaceAll(p.Key, "_", "")
			w.WriteField(key, s.take(p))
		}
		if s.text != nil {
			w.WriteField("message", s.freeText(""))
		}
		w.WriteField("hs_context", mustJSON(map[string]any{"pageUrl": s.pageURL(), "pageName": s.title(), "hutk": hexToken(s)}))
		w.Close()
		r := request{Method: "POST", URL: "https://forms.hubspot.com/uploads/form/v2/" + s.digits(8) + "/" + s.uuid(), Body: buf.Bytes()}
		s.browserHeaders(&r, "cors", "empty")
		r.header("Content-Type", w.FormDataContentType())
		r.header("Origin", s.origin())
		return r
	}},
	{"zendesk-html", false, func(s *scenario) request {
		requester := map[string]any{"name": "Website visitor"}
		for _, p := range s.selfEvidentIDs() {
			requester[p.Key] = s.take(p)
		}
		body := map[string]any{"request": map[string]any{
			"subject":   "Question from " + strings.TrimPrefix(s.site, "www."),
			"comment":   map[string]any{"html_body": "<p>" + html.EscapeString(s.freeText("When are you open on Saturdays?")) + "</p><p><br></p>"},
			"requester": requester,
			"metadata":  map[string]any{"page": s.pageURL()},
		}}
		r := request{Method: "POST", URL: "https://brightcare.zendesk.com/api/v2/requests.json", Body: []byte(mustJSON(body))}
		s.browserHeaders(&r, "cors", "empty")
		r.header("Content-Type", "application/json")
		r.header("Origin", s.origin())
		return r
	}},
	{"segment-route-cookie", false, func(s *scenario) request {
		r := segment(s, "https://"+s.site+"/cdp/v1/p", "page", true)
		traits := map[string]any{}
		for _, p := range s.selfEvidentIDs() {
			traits[p.Key] = s.take(p)
		}
		cookie := "ajs_anonymous_id=%22" + s.uuid() + "%22; _ga=GA1.1." + s.digits(9) + "." + s.digits(10)
		if len(traits) > 0 {
			cookie += "; ajs_user_traits=" + uriComponent(mustJSON(traits))
		}
		r.header("Cookie", cookie)
		return r
	}},
}
