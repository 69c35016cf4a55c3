package phiproxy

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestRedactSecret(t *testing.T) {
	const secret = `Tr0ub4dor&3 "x"/y`
	basic := base64.StdEncoding.EncodeToString([]byte(secret))
	f := &Flow{
		Page: "https://portal.test/login?pw=" + url.QueryEscape(secret),
		Request: Request{
			URL:    "https://portal.test/session?p=" + url.PathEscape(secret),
			Header: http.Header{"Authorization": {"Basic " + basic}, "Cookie": {"pw=" + url.QueryEscape(secret)}},
			Body:   []byte(`{"password":"Tr0ub4dor&3 \"x\"/y"}&form=` + url.QueryEscape(secret) + "&raw=" + secret),
		},
		Response:  &Response{Header: http.Header{"X-Echo": {secret}}, Body: []byte("echo " + secret)},
		WebSocket: []WSMessage{{Data: []byte("typed " + secret)}},
	}
	f.RedactSecret(secret, "[password]")
	all := strings.Join([]string{f.Page, f.Request.URL, strings.Join(f.Request.Header["Authorization"], ""), strings.Join(f.Request.Header["Cookie"], ""),
		string(f.Request.Body), strings.Join(f.Response.Header["X-Echo"], ""), string(f.Response.Body), string(f.WebSocket[0].Data)}, "\n")
	for _, spelling := range secretSpellings(secret) {
		if strings.Contains(all, spelling) {
			t.Errorf("secret still present as %q in:\n%s", spelling, all)
		}
	}
	if got := strings.Count(all, "[password]"); got != 10 {
		t.Errorf("masks: got %d, want 10 in:\n%s", got, all)
	}
	if !strings.Contains(string(f.Request.Body), `{"password":"[password]"}`) {
		t.Errorf("JSON body: got %s", f.Request.Body)
	}
	// An empty secret leaves the flow alone.
	before := f.Request.URL
	f.RedactSecret("", "[x]")
	if f.Request.URL != before {
		t.Errorf("empty secret changed the URL: %q", f.Request.URL)
	}
}
