package store

import (
	"encoding/json"
	"net/http"
	"testing"
)

func TestHeaderJSONMatchesEncodingJSON(t *testing.T) {
	for _, h := range []http.Header{
		nil,
		{},
		{"Content-Type": {"text/html; charset=utf-8"}},
		{"X-Nil": nil, "X-Empty": {}, "A": {"1", "2"}},
		{"Cookie": {`a="b"; c=\d`, "<script>&amp;</script>"}, "Ctl": {"\x00\x01\t\n\r\b\f\x1f\x7f"}},
		{"Utf8": {"héllo ✓ \u2028\u2029 😀", "bad \xff\xfe end", "\xe2\x82"}},
	} {
		got := headerJSON(h)
		want, _ := json.Marshal(h)
		if len(h) == 0 {
			want = []byte("{}")
		}
		if got != string(want) {
			t.Errorf("headerJSON(%q)\n got %s\nwant %s", h, got, want)
		}
	}
}

func FuzzHeaderJSON(f *testing.F) {
	f.Add("Content-Type", "text/plain", "x")
	f.Add("K\xff", "<>&\u2028", "\x00\"\\")
	f.Fuzz(func(t *testing.T, k, v1, v2 string) {
		h := http.Header{k: {v1, v2}, "Z" + k: {v2}}
		got := headerJSON(h)
		want, err := json.Marshal(h)
		if err != nil {
			t.Skip()
		}
		if got != string(want) {
			t.Fatalf("headerJSON(%q)\n got %s\nwant %s", h, got, want)
		}
	})
}
