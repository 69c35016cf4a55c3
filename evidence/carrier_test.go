package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify/decode"
	"github.com/phiproxy/phiproxy/internal/encoded"
)

const (
	tcEmail = "jane.doe@example.com"
	tcPhone = "+1 617 555 0134"
)

func carrierRedactor(t testing.TB) *redactor {
	t.Helper()
	r, err := newRedactor()
	if err != nil {
		t.Fatal(err)
	}
	r.add(phiproxy.KindEmail, tcEmail, tcEmail)
	r.add(phiproxy.KindPhone, tcPhone, "+16175550134")
	r.build()
	return r
}

// leaks decodes s under key and returns the leaves that still hold the
// email or phone in any case.
func leaks(key, s string) []string {
	var out []string
	for _, f := range decode.Value(nil, key, s, decode.Limits{MaxDepth: 8}).Fields {
		low := strings.ToLower(f.Value)
		if strings.Contains(low, tcEmail) || strings.Contains(low, "617 555 0134") || strings.Contains(low, "6175550134") {
			out = append(out, f.Path()+"="+f.Value)
		}
	}
	return out
}

func TestRedactValue(t *testing.T) {
	r := carrierRedactor(t)
	email := r.Placeholder(tcEmail)
	b64json := base64.StdEncoding.EncodeToString([]byte(`{"event":"Booked","properties":{"email":"` + strings.ToUpper(tcEmail) + `","plan":"gold"}}`))
	sum := sha256.Sum256([]byte(tcEmail))
	// Base64 exactly as long as a digest (44 or 88 characters) is read as
	// one by the decoder, so the fixtures avoid those lengths.
	if n := len(b64json); n == 44 || n == 88 {
		t.Fatalf("fixture base64 is %d characters long", n)
	}
	tests := []struct {
		name, key, in string
		keep          []string // substrings the output keeps
		whole         bool     // the output is one placeholder
	}{
		{"plain", "", tcEmail, nil, true},
		{"upper case in text", "", "write to " + strings.ToUpper(tcEmail) + " today", []string{"write to ", " today"}, false},
		{"base64 JSON", "data", b64json, nil, true},
		{"percent twice", "u", url.QueryEscape(url.QueryEscape(tcEmail)), nil, true},
		{"JSON keeps members in order", "", `{"b":1,"email":"` + tcEmail + `","a":"keep","n":null}`, []string{`{"b":1,"email":"` + email + `","a":"keep","n":null}`}, false},
		{"form with JSON", "", "app_id=abc&user_data=" + url.QueryEscape(`{"phone":"`+tcPhone+`","plan":"gold"}`) + "&title=Hi", []string{"app_id=abc&user_data=", "plan", "gold", "&title=Hi"}, false},
		{"URL with nested query", "", "https://clinic.example/book?next=" + url.QueryEscape("/c?email="+tcEmail+"&x=1") + "&lang=en", []string{"https://clinic.example/book?next=", "x%3D1", "&lang=en"}, false},
		{"base64 gzip", "", base64.StdEncoding.EncodeToString(encoded.Gzip([]byte(`{"email":"` + tcEmail + `"}`))), nil, true},
		{"sha256 hex upper", "ud[em]", strings.ToUpper(sha256hex(tcEmail)), nil, true},
		{"Google base64url sha256", "em", "tv.1~em." + base64.RawURLEncoding.EncodeToString(sum[:]), nil, false},
		{"rejected SSN under ssn", "ssn", "123-45-6789", nil, true},
		{"SSN-like under another key", "order", "123-45-6789", []string{"123-45-6789"}, false},
		{"name under first_name", "first_name", "Janet", nil, true},
		{"event name kept", "name", "booking_complete", []string{"booking_complete"}, false},
		{"boolean under email key kept", "email_opt_in", "true", []string{"true"}, false},
		{"placeholder kept", "email", email, []string{email}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := r.value(tc.in, tc.key, 0)
			if l := leaks(tc.key, got); len(l) > 0 {
				t.Errorf("value(%q) = %q still decodes to %q", tc.in, got, l)
			}
			if r.flaggedValue(got, tc.key) {
				t.Errorf("value(%q) = %q is still flagged", tc.in, got)
			}
			for _, k := range tc.keep {
				if !strings.Contains(got, k) {
					t.Errorf("value(%q) = %q, lost %q", tc.in, got, k)
				}
			}
			if tc.whole && !placeholderPattern.MatchString(got) {
				t.Errorf("value(%q) = %q, want one placeholder", tc.in, got)
			}
			if tc.whole && len(placeholderPattern.FindString(got)) != len(got) {
				t.Errorf("value(%q) = %q, want only a placeholder", tc.in, got)
			}
		})
	}
}

func TestRedactBodies(t *testing.T) {
	r := carrierRedactor(t)
	t.Run("gzip kept decoded", func(t *testing.T) {
		h := http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}}
		body, hh := r.body(encoded.Gzip([]byte(`{"email":"`+tcEmail+`","plan":"gold"}`)), h)
		if string(body) != `{"email":"`+r.Placeholder(tcEmail)+`","plan":"gold"}` {
			t.Errorf("body: got %q", body)
		}
		if hh.Get("Content-Encoding") != "" || !strings.Contains(hh.Get("X-Phiproxy-Redacted"), "gzip") {
			t.Errorf("header: got %v, want no Content-Encoding and X-Phiproxy-Redacted", hh)
		}
		if h.Get("Content-Encoding") != "gzip" {
			t.Error("body changed the caller's header")
		}
	})
	t.Run("broken gzip replaced", func(t *testing.T) {
		gz := encoded.Gzip([]byte(`{"email":"` + tcEmail + `","pad":"` + strings.Repeat("x", 200) + `"}`))
		body, hh := r.body(gz[:len(gz)-12], http.Header{"Content-Encoding": {"gzip"}})
		if !placeholderPattern.Match(body) || len(body) > 30 || hh.Get("Content-Encoding") != "" {
			t.Errorf("got %q, %v", body, hh)
		}
	})
	t.Run("multipart part by part", func(t *testing.T) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("email", tcEmail)
		mw.WriteField("comment", "hello")
		mw.Close()
		body, _ := r.body(b.Bytes(), http.Header{"Content-Type": {mw.FormDataContentType()}})
		if bytes.Contains(body, []byte(tcEmail)) || !bytes.Contains(body, []byte("hello")) || !bytes.Contains(body, []byte(`name="comment"`)) {
			t.Errorf("got %q", body)
		}
	})
	t.Run("truncated multipart replaced", func(t *testing.T) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("email", tcEmail)
		body, _ := r.body(b.Bytes(), http.Header{"Content-Type": {mw.FormDataContentType()}})
		if bytes.Contains(body, []byte(tcEmail)) || !placeholderPattern.Match(body) {
			t.Errorf("got %q", body)
		}
	})
	t.Run("NDJSON line by line", func(t *testing.T) {
		body, _ := r.body([]byte("{\"ssn\":\"123-45-6789\"}\n{\"en\":\"page_view\"}\n"), http.Header{"Content-Type": {"application/x-ndjson"}})
		if bytes.Contains(body, []byte("123-45-6789")) || !bytes.Contains(body, []byte(`{"en":"page_view"}`)) {
			t.Errorf("got %q", body)
		}
	})
	t.Run("clean body untouched", func(t *testing.T) {
		in := encoded.Gzip([]byte(`{"plan":"gold"}`))
		body, hh := r.body(in, http.Header{"Content-Encoding": {"gzip"}})
		if !bytes.Equal(body, in) || hh.Get("Content-Encoding") != "gzip" {
			t.Errorf("a clean body was rewritten: %q %v", body, hh)
		}
	})
}

func TestRedactHeaders(t *testing.T) {
	r := carrierRedactor(t)
	h := r.header(http.Header{
		"Cookie":     {"sid=s1; profile=" + base64.StdEncoding.EncodeToString([]byte(`{"email":"`+tcEmail+`","plan":"gold","n":1}`)) + "; theme=dark"},
		"Set-Cookie": {"em=" + url.QueryEscape(tcEmail) + "; Path=/; Secure"},
		"X-User":     {tcEmail},
		"User-Agent": {"Mozilla/5.0"},
	}, true)
	for k, vs := range h {
		for _, v := range vs {
			if l := leaks(k, v); len(l) > 0 || strings.Contains(v, tcEmail) {
				t.Errorf("%s: %q still holds the email (%v)", k, v, l)
			}
		}
	}
	if c := h.Get("Cookie"); !strings.HasPrefix(c, "sid=s1; profile=[") || !strings.HasSuffix(c, "; theme=dark") {
		t.Errorf("cookie: got %q", c)
	}
	if c := h.Get("Set-Cookie"); !strings.HasSuffix(c, "; Path=/; Secure") {
		t.Errorf("set-cookie: got %q", c)
	}
	if h.Get("User-Agent") != "Mozilla/5.0" {
		t.Errorf("user-agent: got %q", h.Get("User-Agent"))
	}
}

func TestIdentifierKey(t *testing.T) {
	for key, want := range map[string]bool{
		"email": true, "user_email": true, "$email": true, "ud[em]": true, "ud[ph]": true, "hem": true, "patientDOB": true,
		"date_of_birth": true, "birthDate": true, "zip": true, "postal_code": true, "street_address": true, "firstName": true,
		"last_name": true, "member_id": true, "MemberID": true, "ssn": true, "cardNumber": true, "mrn": true, "X-User-Email": true,
		"name": false, "event_name": false, "page_title": false, "template": false, "adobe_id": false, "zipper": false,
		"ev": false, "id": false, "": false, "dl": false, "cd[buttonText]": false, "hostname": false,
	} {
		if got := isIdentifierKey(key); got != want {
			t.Errorf("isIdentifierKey(%q): got %v, want %v", key, got, want)
		}
	}
}

func TestHashForms(t *testing.T) {
	forms := map[string]bool{}
	for _, f := range hashForms("Jane.Doe@Example.com ") {
		forms[f] = true
	}
	lower := sha256.Sum256([]byte("jane.doe@example.com"))
	for _, want := range []string{sha256hex("jane.doe@example.com"), strings.ToUpper(sha256hex("jane.doe@example.com")),
		md5hex("jane.doe@example.com"), sha1hex("jane.doe@example.com"), base64.RawURLEncoding.EncodeToString(lower[:])} {
		if !forms[want] {
			t.Errorf("hash forms lack %q", want)
		}
	}
	phone := map[string]bool{}
	for _, f := range hashForms("+1 (617) 555-0134") {
		phone[f] = true
	}
	if !phone[sha256hex("16175550134")] || !phone[sha256hex("+16175550134")] {
		t.Error("phone hash forms lack the digits-only forms")
	}
}

func TestKeyOfPath(t *testing.T) {
	for path, want := range map[string]string{
		"query:data > base64 > json:$.properties.$email": "$email",
		"body > form:user_data > json:$.phone":           "phone",
		"cookie:profile > base64 > json:$.emails[0]":     "emails",
		"query:ud[em] > sha256-hex":                      "ud[em]",
		"body":                                           "",
	} {
		if got := keyOfPath(path); got != want {
			t.Errorf("keyOfPath(%q): got %q, want %q", path, got, want)
		}
	}
}

// FuzzRedactValue checks that redaction ends and leaves nothing the
// decoder can read back, whatever the carrier.
func FuzzRedactValue(f *testing.F) {
	f.Add("jane@example.com", "email", "d="+base64.StdEncoding.EncodeToString([]byte(`{"e":"jane@example.com"}`)))
	f.Add("Zoloft 50", "", `{"a":["Zoloft 50",{"b":"x"}]}`)
	f.Add("secret-value", "ssn", "a=1&b=secret-value&c="+url.QueryEscape("https://x.example/?q=secret-value"))
	f.Add("x@y.zz", "", "line one x@y.zz\n{\"k\":\"X@Y.ZZ\"}\n")
	f.Fuzz(func(t *testing.T, value, key, text string) {
		if len(value) < minRedactLen || strings.Trim(value, "[]:sredactn0123456789abcdef") == "" || strings.ContainsAny(value, "[]%") {
			return
		}
		r, err := newRedactor()
		if err != nil {
			t.Fatal(err)
		}
		r.add(phiproxy.KindSSN, value, value)
		r.build()
		got := r.value(text, key, 0)
		if r.flaggedValue(got, key) {
			t.Fatalf("value(%q, %q) = %q is still flagged", text, key, got)
		}
	})
}

// FuzzRedactBody checks that a body of any type and encoding is redacted
// to something the decoder reads nothing sensitive from, without hanging.
func FuzzRedactBody(f *testing.F) {
	f.Add([]byte(`{"email":"jane.doe@example.com"}`), "application/json", "gzip", true)
	f.Add([]byte("--x\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\njane.doe@example.com\r\n--x--\r\n"), "multipart/form-data; boundary=x", "", false)
	f.Add([]byte("a=1&ssn=123-45-6789\n{\"zip\":\"02139\"}"), "text/plain", "deflate", false)
	f.Add([]byte{0x1f, 0x8b, 0x08, 0, 0, 0}, "", "br", false)
	r := carrierRedactor(f)
	f.Fuzz(func(t *testing.T, body []byte, ct, enc string, compress bool) {
		if compress {
			body = encoded.Gzip(body)
		}
		h := http.Header{"Content-Type": {ct}, "Content-Encoding": {enc}}
		out, hh := r.body(body, h)
		if r.flaggedPayload(out, bodyHeader(hh)) {
			t.Fatalf("body(%q, %q, %q) = %q is still flagged", body, ct, enc, out)
		}
	})
}

func TestRedactDatadogBody(t *testing.T) {
	r := carrierRedactor(t)
	in := encoded.Zlib([]byte(`{"usr":{"email":"` + tcEmail + `"},"view":{"url":"https://clinic.example/"}}`))
	body, h := r.body(in, http.Header{"Content-Type": {"text/plain"}, "Dd-Evp-Encoding": {"deflate"}})
	if bytes.Contains(body, []byte(tcEmail)) || !bytes.Contains(body, []byte(`"view":{"url":"https://clinic.example/"}`)) || h.Get("Dd-Evp-Encoding") != "" {
		t.Errorf("got %q, %v", body, h)
	}
}
