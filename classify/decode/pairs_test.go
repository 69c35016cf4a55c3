package decode

import (
	"net/http"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
)

// TestNameValuePairs checks that the value of a name/value pair takes the
// pair's label as its Key, while its path stays as written.
func TestNameValuePairs(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // rendered fields
	}{
		{"name then value", `{"name":"zip","value":"97403"}`,
			"json:$.name\tname\t\"zip\"\njson:$.value\tzip\t\"97403\"\n"},
		{"value then key", `{"value":"asthma","key":"diagnosis"}`,
			"json:$.key\tkey\t\"diagnosis\"\njson:$.value\tdiagnosis\t\"asthma\"\n"},
		{"field label, number value", `{"field":"age","value":42}`,
			"json:$.field\tfield\t\"age\"\njson:$.value\tage\t\"42\"\n"},
		{"id label, boolean value", `{"id":"has_diabetes","value":true}`,
			"json:$.id\tid\t\"has_diabetes\"\njson:$.value\thas_diabetes\t\"true\"\n"},
		{"name beats id", `{"id":"q7","name":"medication","value":"sertraline"}`,
			"json:$.id\tid\t\"q7\"\njson:$.name\tname\t\"medication\"\njson:$.value\tmedication\t\"sertraline\"\n"},
		{"GA4 params", `{"params":[{"key":"condition","value":{"string_value":"asthma"}},{"key":"n","value":{"int_value":3}}]}`,
			"json:$.params[0].key\tkey\t\"condition\"\n" +
				"json:$.params[0].value.string_value\tcondition\t\"asthma\"\n" +
				"json:$.params[1].key\tkey\t\"n\"\n" +
				"json:$.params[1].value.int_value\tn\t\"3\"\n"},
		{"array value", `{"name":"symptoms","value":["cough","fever"]}`,
			"json:$.name\tname\t\"symptoms\"\njson:$.value[0]\tsymptoms\t\"cough\"\njson:$.value[1]\tsymptoms\t\"fever\"\n"},
		{"object value keeps meaningful keys", `{"name":"patient","value":{"email":"a@b.example"}}`,
			"json:$.name\tname\t\"patient\"\njson:$.value.email\temail\t\"a@b.example\"\n"},
		{"no label", `{"value":"x","other":"y"}`,
			"json:$.other\tother\t\"y\"\njson:$.value\tvalue\t\"x\"\n"},
		{"label not a string", `{"id":12,"value":"x"}`,
			"json:$.id\tid\t\"12\"\njson:$.value\tvalue\t\"x\"\n"},
		{"label too long", `{"name":"` + strings.Repeat("a", maxPairLabel+1) + `","value":"x"}`,
			"json:$.name\tname\t\"" + strings.Repeat("a", maxPairLabel+1) + "\"\njson:$.value\tvalue\t\"x\"\n"},
		{"null value", `{"value":null,"name":"zip"}`, "json:$.name\tname\t\"zip\"\n"},
		{"nested pairs stay apart", `{"name":"outer","value":{"name":"inner","value":"v"}}`,
			"json:$.name\tname\t\"outer\"\njson:$.value.name\tname\t\"inner\"\njson:$.value.value\tinner\t\"v\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDecoder(Limits{})
			if err := d.json(d.root(), tt.in, "$"); err != nil {
				t.Fatalf("json: %v", err)
			}
			if got := render(d.result()); got != tt.want {
				t.Errorf("fields: got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestNameValuePairsMalformed checks that a broken pair object gives an
// error, not a panic, and that a deferred value is not lost silently.
func TestNameValuePairsMalformed(t *testing.T) {
	for _, in := range []string{`{"value":"x"`, `{"value":`, `{"value":"x","name":}`, `{"value":tru,"name":"a"}`, `{"name":"a","value":{"string_value":`} {
		d := newDecoder(Limits{})
		if err := d.json(d.root(), in, "$"); err == nil {
			t.Errorf("json(%q): got no error", in)
		}
	}
}

// TestMultipartTextFile checks that a file part with a text content type
// is read like a body: its text is a field, its file name another.
func TestMultipartTextFile(t *testing.T) {
	body := "--b1\r\n" +
		"Content-Disposition: form-data; name=\"notes\"; filename=\"intake.txt\"\r\nContent-Type: text/plain\r\n\r\n" +
		"Diagnosed with asthma, taking albuterol\r\n" +
		"--b1\r\n" +
		"Content-Disposition: form-data; name=\"meds\"; filename=\"meds.csv\"\r\nContent-Type: text/csv\r\n\r\n" +
		"name,dose\nsertraline,50 mg\n\r\n" +
		"--b1\r\n" +
		"Content-Disposition: form-data; name=\"answers\"; filename=\"a.json\"\r\nContent-Type: application/json\r\n\r\n" +
		`{"condition":"migraine"}` + "\r\n" +
		"--b1--\r\n"
	f := &phiproxy.Flow{Request: phiproxy.Request{
		Method: "POST", URL: "https://upload.example/files",
		Header: http.Header{"Content-Type": {"multipart/form-data; boundary=b1"}},
		Body:   []byte(body),
	}}
	res := Flow(f, Limits{})
	want := map[string]string{
		"body > multipart:notes > filename":           "intake.txt",
		"body > multipart:notes":                      "Diagnosed with asthma, taking albuterol",
		"body > multipart:meds":                       "name,dose\nsertraline,50 mg\n",
		"body > multipart:answers > json:$.condition": "migraine",
		"body > multipart:answers > filename":         "a.json",
	}
	got := map[string]string{}
	for _, fd := range res.Fields {
		got[fd.Path()] = fd.Value
	}
	for path, v := range want {
		if got[path] != v {
			t.Errorf("%s: got %q, want %q\nall fields:\n%s", path, got[path], v, render(res))
		}
	}
}
