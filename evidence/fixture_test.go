package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/encoded"
	"github.com/phiproxy/phiproxy/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

var fixtureStart = time.Date(2026, 11, 28, 9, 0, 0, 250_000_000, time.UTC)

// fixedNow stamps bundles in tests so output is reproducible.
func fixedNow() time.Time { return time.Date(2026, 11, 28, 11, 0, 0, 0, time.UTC) }

// finding builds a finding whose Start/End locate value in field.
func finding(kind phiproxy.Kind, term, value, path, field string, sev phiproxy.Severity, category string) phiproxy.Finding {
	fd := phiproxy.Finding{Kind: kind, Term: term, Value: value, Path: path, Field: field, Category: category,
		Source: phiproxy.SourcePattern, Score: 0.9, Severity: sev}
	if kind.IsHealth() {
		fd.Source = phiproxy.SourceDictionary
	}
	if i := strings.Index(field, value); i >= 0 && field != value {
		fd.Start, fd.End = i, i+len(value)
	}
	return fd
}

func inspection(d phiproxy.Destination, fields int, fds ...phiproxy.Finding) phiproxy.Inspection {
	in := phiproxy.Inspection{Destination: d, Findings: fds, Fields: fields}
	for _, fd := range fds {
		in.Severity = max(in.Severity, fd.Severity)
	}
	return in
}

// Values the fixture leaks, which redaction must remove.
const (
	fxEmail = "jane.doe@example.com"
	fxPhone = "+1 617 555 0134"
	fxDOB   = "1980-04-12"
	fxSSN   = "123-45-6789"
)

// fixtureRecords are flows of the kinds the bundle must carry: a GET pixel
// with PHI in the query, a form POST with cookies, a JSON POST routed
// through the first party, a WebSocket chat, a failed request with a binary
// body, a clean first-party asset, and a large truncated body.
func fixtureRecords(t testing.TB) []store.Record {
	t0 := fixtureStart
	meta := phiproxy.Destination{Host: "www.facebook.com", Domain: "facebook.com", Party: phiproxy.ThirdParty, Vendor: "Meta Pixel", Category: "advertising"}
	intercom := phiproxy.Destination{Host: "api-iam.intercom.io", Domain: "intercom.io", Party: phiproxy.ThirdParty, Vendor: "Intercom", Category: "chat"}
	first := phiproxy.Destination{Host: "clinic.example", Domain: "clinic.example", Party: phiproxy.FirstParty}
	chat := phiproxy.Destination{Host: "chat.example", Domain: "chat.example", Party: phiproxy.ThirdParty}
	tracker := phiproxy.Destination{Host: "tracker.example", Domain: "tracker.example", Party: phiproxy.ThirdParty}

	pixelURL := "https://www.facebook.com/tr?id=1234567890&ev=Schedule&dl=https%3A%2F%2Fclinic.example%2Fbook%3Fcondition%3Ddepression&ud%5Bem%5D=jane.doe%40example.com&cd%5Bmedication%5D=sertraline"
	formBody := "app_id=abc123&user_data=%7B%22email%22%3A%22jane.doe%40example.com%22%2C%22phone%22%3A%22%2B1+617+555+0134%22%7D&page_title=Anxiety+treatment+%7C+Clinic"
	jsonBody := `{"events":[{"name":"booking_complete","params":{"dob":"1980-04-12","specialty":"psychiatry"}}]}`
	binBody := append([]byte("ssn=123-45-6789&blob="), 0xff, 0xfe, 0x00, 0x01, 0x80)
	large := strings.Repeat("lorem ipsum dolor sit amet ", 80) + `"contact":"jane.doe@example.com"` + strings.Repeat(" consectetur adipiscing", 120)
	gif := []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

	recs := []store.Record{
		{
			Flow: &phiproxy.Flow{
				Start: t0, Source: "proxy", ClientAddr: "127.0.0.1:50001", ConnectTarget: "www.facebook.com:443", ServerAddr: "157.240.1.35:443",
				ClientProto: "HTTP/2.0", UpstreamProto: "HTTP/2.0",
				Page: "https://clinic.example/book?condition=depression",
				Request: phiproxy.Request{Method: "GET", URL: pixelURL, Host: "www.facebook.com", Proto: "HTTP/2.0",
					Header:   http.Header{"Referer": {"https://clinic.example/book?condition=depression"}, "User-Agent": {"Mozilla/5.0"}, "Cookie": {"fr=0abc; _fbp=fb.1.123"}},
					BodySize: 0},
				Response: &phiproxy.Response{Status: 200, Proto: "HTTP/2.0", Header: http.Header{"Content-Type": {"image/gif"}}, Body: gif, BodySize: int64(len(gif))},
				Timings:  phiproxy.Timings{Send: 1200 * time.Microsecond, Wait: 35 * time.Millisecond, Receive: 2 * time.Millisecond},
			},
			Inspection: inspection(meta, 6,
				finding(phiproxy.KindEmail, fxEmail, fxEmail, "query:ud[em]", fxEmail, phiproxy.Critical, ""),
				finding(phiproxy.KindMedication, "sertraline", "sertraline", "query:cd[medication]", "sertraline", phiproxy.High, "mental_health"),
				finding(phiproxy.KindCondition, "depression", "depression", "query:dl > url > query:condition", "https://clinic.example/book?condition=depression", phiproxy.High, "mental_health"),
			),
		},
		{
			Flow: &phiproxy.Flow{
				Start: t0.Add(2 * time.Second), Source: "proxy", ClientAddr: "127.0.0.1:50002", ServerAddr: "34.196.1.2:443",
				ClientProto: "HTTP/2.0", UpstreamProto: "HTTP/1.1",
				Page: "https://clinic.example/anxiety",
				Request: phiproxy.Request{Method: "POST", URL: "https://api-iam.intercom.io/messenger/web/ping", Host: "api-iam.intercom.io", Proto: "HTTP/2.0",
					Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Cookie": {"intercom-id-abc=5f3e; intercom-session-abc=s1"}},
					Body:   []byte(formBody), BodySize: int64(len(formBody))},
				Response: &phiproxy.Response{Status: 200, Proto: "HTTP/1.1",
					Header: http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}, "Set-Cookie": {"intercom-session-abc=s2; Path=/; Secure"}},
					Body:   encoded.Gzip([]byte(`{"type":"ping","ok":true}`)), BodySize: -1},
				Timings: phiproxy.Timings{Send: 800 * time.Microsecond, Wait: 80 * time.Millisecond, Receive: time.Millisecond},
			},
			Inspection: inspection(intercom, 5,
				finding(phiproxy.KindEmail, fxEmail, fxEmail, "body:form:user_data > json:$.email", fxEmail, phiproxy.Critical, ""),
				finding(phiproxy.KindPhone, "+16175550134", fxPhone, "body:form:user_data > json:$.phone", fxPhone, phiproxy.High, ""),
				finding(phiproxy.KindCondition, "anxiety", "Anxiety", "body:form:page_title", "Anxiety treatment | Clinic", phiproxy.High, "mental_health"),
			),
		},
		{
			Flow: &phiproxy.Flow{
				Start: t0.Add(4 * time.Second), Source: "crawl", ClientAddr: "[::1]:50003", ServerAddr: "[2001:db8::10]:443",
				Page: "https://clinic.example/book", Phase: "interaction",
				Request: phiproxy.Request{Method: "POST", URL: "https://clinic.example/g/collect?v=2&tid=G-ABC123", Host: "clinic.example", Proto: "HTTP/1.1",
					Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(jsonBody), BodySize: int64(len(jsonBody))},
				Response: &phiproxy.Response{Status: 204, Proto: "HTTP/1.1", Header: http.Header{}, BodySize: 0},
				Timings:  phiproxy.Timings{Send: 500 * time.Microsecond, Wait: 20 * time.Millisecond},
			},
			Inspection: inspection(first, 4,
				finding(phiproxy.KindDOB, "19800412", fxDOB, "body:json:$.events[0].params.dob", fxDOB, phiproxy.High, ""),
				finding(phiproxy.KindSpecialty, "psychiatry", "psychiatry", "body:json:$.events[0].params.specialty", "psychiatry", phiproxy.Medium, "mental_health"),
			),
		},
		{
			Flow: &phiproxy.Flow{
				Start: t0.Add(6 * time.Second), Source: "proxy", ClientAddr: "127.0.0.1:50004", ServerAddr: "203.0.113.7:443",
				Page: "https://clinic.example/portal",
				Request: phiproxy.Request{Method: "GET", URL: "https://chat.example/socket?room=42", Host: "chat.example", Proto: "HTTP/1.1",
					Header: http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Version": {"13"}, "Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}}},
				Response: &phiproxy.Response{Status: 101, Proto: "HTTP/1.1",
					Header: http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Accept": {"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}}, BodySize: 0},
				WebSocket: []phiproxy.WSMessage{
					{Time: t0.Add(6*time.Second + 100*time.Millisecond), FromClient: true, Data: []byte("I take Zoloft for my panic attacks, call me at +1 617 555 0134")},
					{Time: t0.Add(6*time.Second + 300*time.Millisecond), Data: []byte(`{"reply":"An agent will call you"}`)},
					{Time: t0.Add(6*time.Second + 400*time.Millisecond), FromClient: true, Binary: true, Data: []byte{0x00, 0x9f, 0x92, 0x96, 0xff}},
				},
				Timings: phiproxy.Timings{Send: 300 * time.Microsecond, Wait: 10 * time.Millisecond},
			},
			Inspection: inspection(chat, 3,
				finding(phiproxy.KindMedication, "sertraline", "Zoloft", "ws:send[0]", "I take Zoloft for my panic attacks, call me at +1 617 555 0134", phiproxy.High, "mental_health"),
				finding(phiproxy.KindPhone, "+16175550134", fxPhone, "ws:send[0]", "I take Zoloft for my panic attacks, call me at +1 617 555 0134", phiproxy.High, ""),
			),
		},
		{
			Flow: &phiproxy.Flow{
				Start: t0.Add(8 * time.Second), Source: "proxy", ClientAddr: "127.0.0.1:50005",
				Request: phiproxy.Request{Method: "POST", URL: "https://tracker.example/collect", Host: "tracker.example", Proto: "HTTP/1.1",
					Header: http.Header{"Content-Type": {"application/octet-stream"}}, Body: binBody, BodySize: int64(len(binBody))},
				Error:   "dial tcp: connection refused",
				Timings: phiproxy.Timings{Send: 100 * time.Microsecond},
			},
			Inspection: inspection(tracker, 2,
				finding(phiproxy.KindSSN, fxSSN, fxSSN, "body:form:ssn", fxSSN, phiproxy.Critical, ""),
			),
		},
		{
			Flow: &phiproxy.Flow{
				Start: t0.Add(10 * time.Second), Source: "proxy", ClientAddr: "127.0.0.1:50006", ServerAddr: "192.0.2.80:443",
				Request: phiproxy.Request{Method: "GET", URL: "https://clinic.example/static/app.js", Host: "clinic.example", Proto: "HTTP/1.1", Header: http.Header{"Accept": {"*/*"}}},
				Response: &phiproxy.Response{Status: 200, Proto: "HTTP/1.1", Header: http.Header{"Content-Type": {"application/javascript"}},
					Body: []byte("console.log('hello');\n"), BodySize: 22},
				Timings: phiproxy.Timings{Send: 100 * time.Microsecond, Wait: 5 * time.Millisecond, Receive: 100 * time.Microsecond},
			},
			Inspection: inspection(first, 0),
		},
		{
			Flow: &phiproxy.Flow{
				Start: t0.Add(12 * time.Second), Source: "proxy", ClientAddr: "127.0.0.1:50007", ServerAddr: "198.18.0.9:443",
				Page: "https://clinic.example/contact",
				Request: phiproxy.Request{Method: "POST", URL: "https://rs.fullstory.com/rec/bundle?OrgId=o-1", Host: "rs.fullstory.com", Proto: "HTTP/1.1",
					Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte(large), BodySize: int64(len(large)) + 4000, Truncated: true},
				Response: &phiproxy.Response{Status: 200, Proto: "HTTP/1.1", Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("ok"), BodySize: 2},
				Timings:  phiproxy.Timings{Send: 3 * time.Millisecond, Wait: 40 * time.Millisecond, Receive: 200 * time.Microsecond},
			},
			Inspection: inspection(phiproxy.Destination{Host: "rs.fullstory.com", Domain: "fullstory.com", Party: phiproxy.ThirdParty, Vendor: "FullStory", Category: "session_replay"}, 1,
				finding(phiproxy.KindEmail, fxEmail, fxEmail, "body:text", large, phiproxy.Medium, ""),
			),
		},
	}
	return recs
}

// fixtureValues are every value redaction must remove: finding values and
// the terms of identifiers.
func fixtureValues(recs []store.Record) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range recs {
		for _, fd := range r.Inspection.Findings {
			for _, v := range []string{fd.Value, fd.Term} {
				if v == fd.Term && fd.Kind.IsHealth() {
					continue
				}
				if !seen[v] {
					seen[v] = true
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// openFixture saves the fixture in a fresh database and reopens it the way
// `phiproxy export` does, read-only.
func openFixture(t testing.TB) (*store.Store, []store.Record) {
	t.Helper()
	recs := fixtureRecords(t)
	return openRecords(t, recs), recs
}

// openRecords saves recs in a fresh database and reopens it read-only.
func openRecords(t testing.TB, recs []store.Record) *store.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "phiproxy.db")
	w, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	run, err := w.BeginRun(ctx, store.Run{Command: "run", Listen: "127.0.0.1:8080", Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SaveBatch(ctx, run, recs, phiproxy.Stats{Seen: int64(len(recs))}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := store.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// extractZip unpacks a bundle into a fresh folder and returns it.
func extractZip(t testing.TB, path string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	dir := t.TempDir()
	for _, zf := range zr.File {
		if strings.Contains(zf.Name, "/") || strings.Contains(zf.Name, "..") {
			t.Fatalf("unexpected entry name %q", zf.Name)
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s: %v", zf.Name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, zf.Name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// exportFixture writes a zip bundle of the fixture and extracts it.
func exportFixture(t testing.TB, opts Options) (dir string, m *Manifest, s *store.Store, recs []store.Record) {
	t.Helper()
	s, recs = openFixture(t)
	if opts.Now == nil {
		opts.Now = fixedNow
	}
	zipPath := filepath.Join(t.TempDir(), "bundle.zip")
	m, err := WriteZip(context.Background(), s, zipPath, opts)
	if err != nil {
		t.Fatalf("WriteZip: %v", err)
	}
	return extractZip(t, zipPath), m, s, recs
}

// runTool runs a command with a deadline and returns its stdout.
func runTool(t testing.TB, timeout time.Duration, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}
