package decode

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestJSONWalker(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // rendered fields, no notes
		err      string // substring of the error, "" for none
	}{
		{"escapes", `{"a":"line\nq\"b\\s\/\t\u00e9\ud83d\ude00"}`, "json:$.a\ta\t\"line\\nq\\\"b\\\\s/\\té😀\"\n", ""},
		{"lone surrogate", `{"a":"x\ud800y"}`, "json:$.a\ta\t\"x\ufffdy\"\n", ""},
		{"odd keys", `{"a b":{"":1},"x.y":[true,false,null,-1.5e3]}`,
			"json:$[\"a b\"][\"\"]\t\t\"1\"\njson:$[\"x.y\"][0]\tx.y\t\"true\"\njson:$[\"x.y\"][1]\tx.y\t\"false\"\njson:$[\"x.y\"][3]\tx.y\t\"-1.5e3\"\n", ""},
		{"empty containers", `{"a":{},"b":[],"c":[{}]}`, "", ""},
		{"top-level string", `"sertraline"`, "json:$\t\t\"sertraline\"\n", ""},
		{"bad escape", `{"a":"x\qy"}`, "", `invalid escape 'q'`},
		{"bad unicode", `{"a":"\u12G4"}`, "", `invalid \u escape`},
		{"unterminated string", `{"a":"abc`, "", "unexpected end"},
		{"missing colon", `{"a" 1}`, "", `invalid character '1'`},
		{"trailing data", `{"a":1} x`, "json:$.a\ta\t\"1\"\n", "after top-level value"},
		{"bad literal", `[tru]`, "", `invalid character 't'`},
		{"missing comma", `[1 2]`, "json:$[0]\t\t\"1\"\n", `invalid character '2'`},
		{"unquoted key", `{a:1}`, "", `invalid character 'a'`},
		{"empty", ``, "", "unexpected end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDecoder(Limits{})
			err := d.json(d.root(), tt.in, "$")
			if got := render(d.result()); got != tt.want {
				t.Errorf("fields: got\n%s\nwant\n%s", got, tt.want)
			}
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("error: got %v, want none", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("error: got %v, want one containing %q", err, tt.err)
			}
		})
	}
}

func TestJWTMalformed(t *testing.T) {
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`))
	tests := []struct{ name, in, note string }{
		{"claims not base64", hdr + ".eyJ!!!.sig", ""},
		{"claims not json", hdr + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"a":`)) + ".sig", "claims: json: unexpected end"},
		{"claims bad padding", hdr + ".eyJhIjoxfQ=x.sig", "claims: base64url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Value([]string{"v"}, "v", tt.in, Limits{})
			if !has(res, "v", tt.in) {
				t.Fatalf("raw token not kept: got\n%s", render(res))
			}
			if tt.note != "" && !hasNote(res, tt.note) {
				t.Fatalf("notes: got %q, want one containing %q", res.Notes, tt.note)
			}
			if !has(res, "v > jwt > json:$.header.alg", "none") && looksJWT(tt.in) {
				t.Fatalf("header lost: got\n%s", render(res))
			}
		})
	}
}
