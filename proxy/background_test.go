package proxy

import (
	"net/http"
	"testing"
)

func TestIsBrowserBackground(t *testing.T) {
	for _, tt := range []struct {
		name    string
		headers map[string]string
		want    bool
	}{
		{"component update over https", map[string]string{"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "empty"}, true},
		{"account check with a foreign Origin", map[string]string{"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "no-cors", "Origin": "https://www.google.com"}, true},
		{"component update over http", map[string]string{"Content-Type": "application/json"}, true},
		{"the crawler's navigation", map[string]string{"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, false},
		{"a pixel on the page", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Referer": "https://www.clinic-example.org/"}, false},
		{"a same-origin fetch without Referer", map[string]string{"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"}, false},
		{"a plain-http navigation", map[string]string{"Upgrade-Insecure-Requests": "1"}, false},
		{"a plain-http beacon with Referer", map[string]string{"Referer": "http://clinic.test/"}, false},
		{"a plain-http POST with Origin", map[string]string{"Origin": "http://clinic.test"}, false},
	} {
		req, _ := http.NewRequest("GET", "https://example.test/", nil)
		for k, v := range tt.headers {
			req.Header.Set(k, v)
		}
		if got := isBrowserBackground(req); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}
