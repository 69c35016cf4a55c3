package evidence

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/capture"
	"github.com/phiproxy/phiproxy/classify"
	"github.com/phiproxy/phiproxy/classify/decode"
	"github.com/phiproxy/phiproxy/classify/persona"
	"github.com/phiproxy/phiproxy/internal/encoded"
	"github.com/phiproxy/phiproxy/internal/lzstring"
	"github.com/phiproxy/phiproxy/store"
)

// The persona of the carrier test: every value is distinctive, so a hit
// in a decoded bundle cannot be a coincidence.
var carrierPersona = persona.Persona{
	FirstName: "Marisol", LastName: "Quintero", Email: "marisol.quintero@example.org",
	Phone: "+1 503 555 0187", DOB: "1979-08-23", Address: "4417 Larkspur Lane",
	ZIP: "97403", MRN: "MRN-00482913", MemberID: "XKJ884210037",
}

// rejectedSSN is a placeholder SSN that the SSN detector rejects on
// purpose; under a key named ssn it must still be redacted.
const rejectedSSN = "123-45-6789"

func b64(s string) string       { return base64.StdEncoding.EncodeToString([]byte(s)) }
func sha256hex(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
func md5hex(s string) string    { h := md5.Sum([]byte(s)); return hex.EncodeToString(h[:]) }
func sha1hex(s string) string   { h := sha1.Sum([]byte(s)); return hex.EncodeToString(h[:]) }

// carrierFlows are tracker requests carrying the persona under the layers
// real trackers use.
func carrierFlows(t testing.TB) []*phiproxy.Flow {
	p := carrierPersona
	t0 := fixtureStart
	var flows []*phiproxy.Flow
	add := func(method, rawURL string, h http.Header, body []byte, ws ...phiproxy.WSMessage) *phiproxy.Flow {
		if h == nil {
			h = http.Header{}
		}
		h.Set("User-Agent", "Mozilla/5.0")
		u, err := url.Parse(rawURL)
		if err != nil {
			t.Fatal(err)
		}
		f := &phiproxy.Flow{
			Start: t0.Add(time.Duration(len(flows)) * time.Second), Source: "proxy", ClientAddr: "127.0.0.1:50100",
			Page:    "https://clinic.example/book",
			Request: phiproxy.Request{Method: method, URL: rawURL, Host: u.Host, Proto: "HTTP/1.1", Header: h, Body: body, BodySize: int64(len(body))},
			Response: &phiproxy.Response{Status: 200, Proto: "HTTP/1.1", Header: http.Header{"Content-Type": {"text/plain"}},
				Body: []byte("ok"), BodySize: 2},
			WebSocket: ws,
			Timings:   phiproxy.Timings{Send: time.Millisecond, Wait: 10 * time.Millisecond},
		}
		if len(ws) > 0 {
			f.Response = &phiproxy.Response{Status: 101, Proto: "HTTP/1.1", Header: http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}}, BodySize: 0}
		}
		flows = append(flows, f)
		return f
	}
	// Plain, and percent-encoded twice.
	add("GET", "https://tracker.example/p?email="+url.QueryEscape(p.Email)+"&page=home", nil, nil)
	add("GET", "https://tracker.example/p2?u="+url.QueryEscape(url.QueryEscape(p.Email))+"&page=home", nil, nil)
	// Mixpanel: base64 JSON in the query, the email upper-cased.
	mix := `{"event":"Booked","properties":{"$email":"` + strings.ToUpper(p.Email) + `","dob":"` + p.DOB + `","token":"tok123"}}`
	add("GET", "https://api-js.mixpanel.com/track?data="+url.QueryEscape(b64(mix))+"&ip=1", nil, nil)
	// Intercom: JSON inside a form field.
	ud := `{"email":"` + p.Email + `","phone":"` + p.Phone + `","name":"` + p.FirstName + " " + p.LastName + `"}`
	add("POST", "https://api-iam.intercom.io/messenger/web/ping", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		[]byte("app_id=abc123&user_data="+url.QueryEscape(ud)+"&page_title=Book+a+visit"))
	// A gzip body declared by Content-Encoding.
	add("POST", "https://tracker.example/batch", http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}},
		encoded.Gzip([]byte(`{"event":"signup","traits":{"member_id":"`+p.MemberID+`","zip":"`+p.ZIP+`"},"plan":"gold"}`)))
	// LinkedIn /wa/: base64(gzip(JSON)) sent as text.
	li := `{"first_name":"` + p.FirstName + `","last_name":"` + p.LastName + `","street":"` + p.Address + `","pageType":"checkout"}`
	add("POST", "https://px.ads.linkedin.com/wa/", http.Header{"Content-Type": {"text/plain"}}, []byte(base64.StdEncoding.EncodeToString(encoded.Gzip([]byte(li)))))
	// PostHog lz64.
	ph := `[{"event":"$identify","properties":{"$set":{"email":"` + p.Email + `","mrn":"` + p.MRN + `"}}}]`
	add("POST", "https://eu.i.posthog.com/e/?compression=lz64", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		[]byte("data="+url.QueryEscape(lzstring.CompressToBase64(ph))+"&ver=1.0"))
	// multipart: a field and a file.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("email", p.Email)
	mw.WriteField("comment", "hello")
	fw, _ := mw.CreateFormFile("upload", "intake.csv")
	fw.Write([]byte("phone,dob\n" + p.Phone + "," + p.DOB + "\n"))
	mw.Close()
	add("POST", "https://forms.example/submit", http.Header{"Content-Type": {mw.FormDataContentType()}}, mp.Bytes())
	// A WebSocket chat message, and a binary gzip one.
	add("GET", "https://chat.example/socket", http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}}, nil,
		phiproxy.WSMessage{Time: t0.Add(time.Minute), FromClient: true, Data: []byte(`{"type":"chat","text":"my record is ` + p.MRN + ` and zip ` + p.ZIP + `"}`)},
		phiproxy.WSMessage{Time: t0.Add(time.Minute + time.Second), FromClient: true, Binary: true, Data: encoded.Gzip([]byte(`{"email":"` + p.Email + `"}`))},
		phiproxy.WSMessage{Time: t0.Add(time.Minute + 2*time.Second), Data: []byte(`{"reply":"thanks"}`)},
	)
	// A cookie holding base64 JSON, a Referer with a nested query, and a
	// path segment.
	add("GET", "https://tracker.example/u/"+url.PathEscape(p.Email)+"/view?x=1", http.Header{
		"Cookie":  {"sid=s1; profile=" + b64(`{"email":"`+p.Email+`","dob":"`+p.DOB+`"}`) + "; theme=dark"},
		"Referer": {"https://clinic.example/book?next=" + url.QueryEscape("/confirm?email="+p.Email+"&dob="+p.DOB) + "&lang=en"},
	}, nil)
	// Meta Advanced Matching hashes, and a placeholder SSN a detector
	// rejects.
	add("GET", "https://www.facebook.com/tr?id=1&ev=Lead&ud%5Bem%5D="+sha256hex(p.Email)+"&ud%5Bph%5D="+sha256hex("15035550187")+
		"&ssn="+rejectedSSN+"&hem="+md5hex(p.Email), nil, nil)
	return flows
}

// carrierBundle inspects the carrier flows with the real inspector, saves
// them, and exports them (redacted or not) as an extracted zip.
func carrierBundle(t *testing.T, redact bool) (dir string, findings []phiproxy.Finding) {
	t.Helper()
	p := carrierPersona
	in, err := classify.New(classify.Options{Persona: &p})
	if err != nil {
		t.Fatal(err)
	}
	var recs []store.Record
	for _, f := range carrierFlows(t) {
		insp := in.Inspect(f)
		findings = append(findings, insp.Findings...)
		recs = append(recs, store.Record{Flow: f, Inspection: insp})
	}
	s := openRecords(t, recs)
	zipPath := filepath.Join(t.TempDir(), "bundle.zip")
	if _, err := WriteZip(context.Background(), s, zipPath, Options{Redact: redact, Now: fixedNow}); err != nil {
		t.Fatalf("WriteZip: %v", err)
	}
	return extractZip(t, zipPath), findings
}

// forbiddenValues are the persona's values, their usual normalisations
// and hashes, and every value the inspector detected (and the term of
// each identifier).
func forbiddenValues(findings []phiproxy.Finding) []string {
	p := carrierPersona
	set := map[string]bool{}
	add := func(v string) {
		if len(v) >= minRedactLen {
			set[strings.ToLower(v)] = true
		}
	}
	for _, v := range []string{p.FirstName, p.LastName, p.Email, p.Phone, p.DOB, p.Address, p.ZIP, p.MRN, p.MemberID, rejectedSSN,
		"15035550187", "5035550187", "19790823", "4417 larkspur"} {
		add(v)
		for _, n := range []string{v, strings.ToLower(v)} {
			add(md5hex(n))
			add(sha1hex(n))
			add(sha256hex(n))
		}
	}
	for _, fd := range findings {
		add(fd.Value)
		if !fd.Kind.IsHealth() {
			add(fd.Term)
		}
	}
	out := make([]string, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// bundleScan decodes every field of every file of a bundle through every
// layer phiproxy reads and records where each forbidden value shows.
type bundleScan struct {
	forbidden []string
	found     map[string][]string // value -> where
	texts     int
}

func (b *bundleScan) check(where, text string) {
	b.texts++
	low := strings.ToLower(text)
	for _, v := range b.forbidden {
		if strings.Contains(low, v) {
			b.found[v] = append(b.found[v], where)
		}
	}
}

// value checks s and every leaf decoded from it.
func (b *bundleScan) value(where, key, s string) {
	b.check(where, s)
	for _, f := range decode.Value(nil, key, s, decode.Limits{MaxDepth: 8}).Fields {
		b.check(where+" > "+f.Path(), f.Value)
	}
}

// flow checks every decoded field of a flow, its responses read as
// requests, and every header value.
func (b *bundleScan) flow(where string, f *phiproxy.Flow) {
	for _, fd := range decode.Flow(f, decode.Limits{MaxDepth: 8}).Fields {
		b.check(where+" > "+fd.Path(), fd.Value)
	}
	for k, vs := range f.Request.Header {
		for _, v := range vs {
			b.value(where+" header "+k, k, v)
		}
	}
	b.value(where+" url", "", f.Request.URL)
	if f.Response != nil {
		asReq := &phiproxy.Flow{Request: phiproxy.Request{Method: "POST", Header: f.Response.Header, Body: f.Response.Body, BodySize: int64(len(f.Response.Body))}}
		b.flow(where+" response", asReq)
	}
}

// jsonStrings checks every string of a JSON document, decoded under the
// member name it is stored at.
func (b *bundleScan) jsonStrings(where string, doc any, key string) {
	switch x := doc.(type) {
	case map[string]any:
		for k, v := range x {
			b.check(where+" key", k)
			b.jsonStrings(where+"."+k, v, k)
		}
	case []any:
		for i, v := range x {
			b.jsonStrings(fmt.Sprintf("%s[%d]", where, i), v, key)
		}
	case string:
		b.value(where, key, x)
		if raw, err := base64.StdEncoding.DecodeString(x); err == nil && len(x) >= 8 {
			asReq := &phiproxy.Flow{Request: phiproxy.Request{Method: "POST", Body: raw, BodySize: int64(len(raw))}}
			b.flow(where+" base64", asReq)
		}
	}
}

// harFlows rebuilds the flows of a HAR so the decoder reads them as it
// reads captured traffic (bodies by content type, WebSocket messages).
func (b *bundleScan) har(t *testing.T, data []byte) {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("HAR: %v", err)
	}
	b.jsonStrings("har", doc, "")
	var h struct {
		Log struct {
			Entries []struct {
				Request struct {
					Method, URL string
					Headers     []readerNV
					PostData    *struct {
						MimeType, Text string
						Encoding       string `json:"_encoding"`
					}
				}
				Response struct {
					Headers []readerNV
					Content struct{ Text, Encoding string }
				}
				WS []struct {
					Type   string
					Opcode int
					Data   string
				} `json:"_webSocketMessages"`
			}
		}
	}
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatalf("HAR: %v", err)
	}
	for i, e := range h.Log.Entries {
		f := &phiproxy.Flow{Request: phiproxy.Request{Method: e.Request.Method, URL: e.Request.URL, Header: http.Header{}},
			Response: &phiproxy.Response{Header: http.Header{}}}
		for _, nv := range e.Request.Headers {
			f.Request.Header.Add(nv.Name, nv.Value)
		}
		if pd := e.Request.PostData; pd != nil {
			f.Request.Body = []byte(pd.Text)
			if pd.Encoding == "base64" {
				f.Request.Body, _ = base64.StdEncoding.DecodeString(pd.Text)
			}
		}
		for _, nv := range e.Response.Headers {
			f.Response.Header.Add(nv.Name, nv.Value)
		}
		// HAR content is decoded already.
		f.Response.Header.Del("Content-Encoding")
		f.Response.Body = []byte(e.Response.Content.Text)
		if e.Response.Content.Encoding == "base64" {
			f.Response.Body, _ = base64.StdEncoding.DecodeString(e.Response.Content.Text)
		}
		for _, m := range e.WS {
			data := []byte(m.Data)
			if m.Opcode == 2 {
				data, _ = base64.StdEncoding.DecodeString(m.Data)
			}
			f.WebSocket = append(f.WebSocket, phiproxy.WSMessage{FromClient: true, Binary: m.Opcode == 2, Data: data})
		}
		b.flow(fmt.Sprintf("har entry %d", i), f)
	}
}

// pcap reads the pcap with the capture package (HTTP exchanges), and
// follows each TCP stream itself for the WebSocket frames after a 101.
func (b *bundleScan) pcap(t *testing.T, data []byte) {
	n := 0
	if _, err := capture.ReadPcap(context.Background(), bytes.NewReader(data), func(f *phiproxy.Flow) error {
		n++
		b.flow(fmt.Sprintf("pcap flow %d", n), f)
		return nil
	}); err != nil {
		t.Fatalf("read pcap: %v", err)
	}
	if n == 0 {
		t.Fatal("the pcap holds no HTTP exchange")
	}
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	streams := map[string][]byte{}
	var order []string
	for {
		pkt, _, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := gopacket.NewPacket(pkt, layers.LayerTypeEthernet, gopacket.Default)
		tl, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if tl == nil || len(tl.Payload) == 0 {
			continue
		}
		key := fmt.Sprint(tl.SrcPort, ">", tl.DstPort)
		if _, ok := streams[key]; !ok {
			order = append(order, key)
		}
		streams[key] = append(streams[key], tl.Payload...)
		b.check("pcap packet payload", string(tl.Payload))
	}
	for _, key := range order {
		s := streams[key]
		b.check("pcap stream "+key, string(s))
		head, rest, ok := bytes.Cut(s, []byte("\r\n\r\n"))
		if !ok || !bytes.HasPrefix(head, []byte("GET ")) || !bytes.Contains(head, []byte("Upgrade: websocket")) {
			continue
		}
		for i, msg := range wsMessages(rest) {
			where := fmt.Sprintf("pcap stream %s ws[%d]", key, i)
			b.value(where, "", string(msg))
			asReq := &phiproxy.Flow{Request: phiproxy.Request{Method: "POST", Body: msg, BodySize: int64(len(msg))}}
			b.flow(where, asReq)
		}
	}
}

// wsMessages parses unfragmented WebSocket frames, unmasking client ones.
func wsMessages(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 2 {
		masked := b[1]&0x80 != 0
		n, off := int(b[1]&0x7f), 2
		switch n {
		case 126:
			if len(b) < 4 {
				return out
			}
			n, off = int(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			if len(b) < 10 {
				return out
			}
			n, off = int(binary.BigEndian.Uint64(b[2:])), 10
		}
		var key []byte
		if masked {
			if len(b) < off+4 {
				return out
			}
			key, off = b[off:off+4], off+4
		}
		if len(b) < off+n {
			return out
		}
		msg := append([]byte(nil), b[off:off+n]...)
		for i := range msg {
			if masked {
				msg[i] ^= key[i%4]
			}
		}
		out = append(out, msg)
		b = b[off+n:]
	}
	return out
}

// tokenPattern splits report and CSV text into the tokens a reader could
// copy and decode.
var tokenPattern = regexp.MustCompile(`[^\s<>"'|,]+`)

// scanBundle decodes every file of an extracted bundle.
func scanBundle(t *testing.T, dir string, forbidden []string) *bundleScan {
	b := &bundleScan{forbidden: forbidden, found: map[string][]string{}}
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		b.check(name+" bytes", string(data))
		return data
	}
	b.har(t, read(HARFile))
	b.pcap(t, read(PCAPFile))
	for _, name := range []string{FindingsJSONFile, ManifestFile} {
		var doc any
		if err := json.Unmarshal(read(name), &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b.jsonStrings(name, doc, "")
	}
	records, err := csv.NewReader(bytes.NewReader(read(FindingsCSVFile))).ReadAll()
	if err != nil {
		t.Fatalf("findings.csv: %v", err)
	}
	for i, rec := range records {
		for j, cell := range rec {
			b.value(fmt.Sprintf("findings.csv row %d column %s", i, records[0][j]), records[0][j], strings.TrimPrefix(cell, "'"))
		}
	}
	report := html.UnescapeString(string(read(ReportFile)))
	b.check("report.html text", report)
	for _, tok := range tokenPattern.FindAllString(report, -1) {
		b.value("report.html token", "", tok)
	}
	read(ChecksumsFile)
	return b
}

// TestRedactCarriers exports flows that carry a persona and detected values
// under many encodings, then decodes every field of every file of the
// redacted bundle and finds none of them, in any case, nor their hashes.
func TestRedactCarriers(t *testing.T) {
	plainDir, findings := carrierBundle(t, false)
	forbidden := forbiddenValues(findings)
	kinds := map[phiproxy.Kind]bool{}
	for _, fd := range findings {
		kinds[fd.Kind] = true
	}
	for _, k := range []phiproxy.Kind{phiproxy.KindEmail, phiproxy.KindPhone, phiproxy.KindDOB} {
		if !kinds[k] {
			t.Errorf("the inspector found no %s in the carrier flows: the fixture is wrong", k)
		}
	}
	// The scanner sees every persona value in an unredacted bundle, or
	// finding none in the redacted one would prove nothing.
	plain := scanBundle(t, plainDir, forbidden)
	p := carrierPersona
	for _, v := range []string{p.FirstName, p.LastName, p.Email, p.Phone, p.DOB, p.Address, p.ZIP, p.MRN, p.MemberID, rejectedSSN, sha256hex(p.Email), md5hex(p.Email)} {
		if len(plain.found[strings.ToLower(v)]) == 0 {
			t.Errorf("the unredacted bundle does not show %q: the scan or the fixture is wrong", v)
		}
	}

	dir, _ := carrierBundle(t, true)
	red := scanBundle(t, dir, forbidden)
	for _, v := range forbidden {
		if where := red.found[v]; len(where) > 0 {
			t.Errorf("redacted bundle still holds %q (%d places), e.g. %s", v, len(where), strings.Join(where[:min(3, len(where))], "; "))
		}
	}
	t.Logf("decoded %d texts of the redacted bundle against %d forbidden values", red.texts, len(forbidden))

	// The rest of each request stays readable.
	har, err := os.ReadFile(filepath.Join(dir, HARFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, keep := range []string{"page=home", "&ip=1", "app_id=abc123", "page_title=Book+a+visit", `\"plan\":\"gold\"`, "ver=1.0",
		"theme=dark", "lang=en", "ev=Lead", `name=\"comment\"`, "intake.csv", `\"reply\":\"thanks\"`, `\"type\":\"chat\"`} {
		if !bytes.Contains(har, []byte(keep)) {
			t.Errorf("redacted HAR lost %s", keep)
		}
	}
}
