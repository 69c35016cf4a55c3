package capture

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
)

func readHARFixture(t *testing.T, name string) ([]*phiproxy.Flow, Summary) {
	t.Helper()
	var flows []*phiproxy.Flow
	path := filepath.Join("..", "testdata", "har", name)
	sum, err := ReadFile(context.Background(), path, func(f *phiproxy.Flow) error {
		flows = append(flows, f)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadFile(%s): %v", name, err)
	}
	return flows, sum
}

// The HAR fixtures under testdata/har are written by hand in the shape of
// Chrome's and Firefox's exports, to reach what loopback traffic cannot:
// HTTP/2 pseudo-headers, blocked requests, WebSocket frames, base64 and
// params-only bodies, an entry without a request. Real exports from
// Firefox and Chromium are recorded and scanned in cmd/phiproxy's
// TestScanFirefoxHAR and TestScanChromiumHAR.

func TestReadHARHandwrittenChromeShape(t *testing.T) {
	flows, sum := readHARFixture(t, "chrome-handwritten.har")
	if len(flows) != 3 || sum.Flows != 3 || sum.Skipped != 0 {
		t.Fatalf("flows: got %d (summary %d, skipped %d), want 3", len(flows), sum.Flows, sum.Skipped)
	}
	intake, pixel, ws := flows[0], flows[1], flows[2]

	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"source", intake.Source, "har"},
		{"method", intake.Request.Method, "POST"},
		{"url", intake.Request.URL, "https://portal.clinic.test/api/intake?step=2"},
		{"host from :authority", intake.Request.Host, "portal.clinic.test"},
		{"proto", intake.Request.Proto, "HTTP/2.0"},
		{"body", string(intake.Request.Body), `{"email":"jane.doe@example.com","medication":"sertraline","dob":"1984"}`},
		{"body size", intake.Request.BodySize, int64(71)},
		{"truncated", intake.Request.Truncated, false},
		{"pseudo-headers dropped", intake.Request.Header.Get(":path"), ""},
		{"cookie header", intake.Request.Header.Get("Cookie"), "sid=abc123"},
		{"page from referer", intake.Page, "https://portal.clinic.test/intake"},
		{"server", intake.ServerAddr, "203.0.113.10:443"},
		{"start", intake.Start, time.Date(2026, 3, 1, 9, 0, 1, 250e6, time.UTC)},
		{"status", intake.Response.Status, 200},
		{"response body", string(intake.Response.Body), `{"ok":true}`},
		{"response size", intake.Response.BodySize, int64(11)},
		{"wait", intake.Timings.Wait, 80100 * time.Microsecond},
		{"receive", intake.Timings.Receive, 3700 * time.Microsecond},

		{"params-only body rebuilt", string(pixel.Request.Body), "ev=SubmitApplication&cd%5BbuttonText%5D=Book+therapy+%26+meds&udff%5Bem%5D=jane.doe%40example.com"},
		{"blocked has no response", pixel.Response == (*phiproxy.Response)(nil), true},
		{"blocked error", pixel.Error, "net::ERR_BLOCKED_BY_CLIENT"},
		{"no server ip", pixel.ServerAddr, ""},

		{"ws url", ws.Request.URL, "wss://chat.clinic.test/socket?token=x"},
		{"ws server v6", ws.ServerAddr, "[2001:db8::7]:443"},
		{"ws status", ws.Response.Status, 101},
		{"ws messages", len(ws.WebSocket), 3},
	} {
		if fmt.Sprint(tc.got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	wantWS := []phiproxy.WSMessage{
		{Time: time.Unix(1772355602, 123456000), FromClient: true, Data: []byte(`{"type":"chat","text":"I take lithium for bipolar disorder"}`)},
		{Time: time.Unix(1772355602, 500000000), FromClient: false, Data: []byte(`{"type":"ack"}`)},
		{Time: time.Unix(1772355603, 0), FromClient: true, Binary: true, Data: []byte("\x00\x01mrn=A1234567")},
	}
	for i, want := range wantWS {
		if i >= len(ws.WebSocket) {
			break
		}
		got := ws.WebSocket[i]
		// Float seconds lose sub-microsecond precision.
		if d := got.Time.Sub(want.Time); d > time.Microsecond || d < -time.Microsecond {
			t.Errorf("ws %d time: got %v, want %v", i, got.Time, want.Time)
		}
		if got.FromClient != want.FromClient || got.Binary != want.Binary || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("ws %d: got client=%v binary=%v %q, want client=%v binary=%v %q", i, got.FromClient, got.Binary, got.Data, want.FromClient, want.Binary, want.Data)
		}
	}
}

func TestReadHARHandwrittenFirefoxShape(t *testing.T) {
	flows, sum := readHARFixture(t, "firefox-handwritten.har")
	if len(flows) != 3 || sum.Skipped != 1 {
		t.Fatalf("flows: got %d, skipped %d; want 3 and 1 (the entry without a request)", len(flows), sum.Skipped)
	}
	if len(sum.Notes) != 1 || !strings.Contains(sum.Notes[0], "entry 3 skipped") {
		t.Errorf("notes: got %q, want entry 3 named", sum.Notes)
	}
	form, put, multi := flows[0], flows[1], flows[2]
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"text wins over params", string(form.Request.Body), "name=Jane+Doe&reason=HIV+test&phone=5551234567"},
		{"cookie from cookies list", form.Request.Header.Get("Cookie"), "visitor=v-42"},
		{"start with offset", form.Start.UTC(), time.Date(2026, 3, 1, 9, 0, 0, 500e6, time.UTC)},
		{"server", form.ServerAddr, "198.51.100.20:80"},
		{"redirect", form.Response.Status, 302},
		{"base64 body", string(put.Request.Body), "ssn=123-45-6789;zip=02139;mrn=88812"},
		{"proto", put.Request.Proto, "HTTP/2.0"},
		{"base64 response", string(put.Response.Body), "\x89PNG"},
		{"multipart rebuilt", string(multi.Request.Body), "------geckoformboundary42\r\nContent-Disposition: form-data; name=\"diagnosis\"\r\n\r\nF32.9\r\n------geckoformboundary42\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nfollow-up in 2 weeks\r\n------geckoformboundary42--\r\n"},
		{"host from url", multi.Request.Host, "upload.clinic.test"},
	} {
		if fmt.Sprint(tc.got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestReadHARMalformed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		flows   int
		wantErr string
	}{
		{"not json", "{nope", 0, "HAR: reading the top-level object at offset 1"},
		{"array", "[]", 0, "HAR: expected a JSON object at offset 1"},
		{"no log", `{"other": 1}`, 0, `HAR: no "log" object`},
		{"entries not array", `{"log": {"entries": {}}}`, 0, `HAR: "entries" must be an array`},
		{"truncated after one entry", `{"log": {"entries": [{"request": {"method": "GET", "url": "http://a.test/"}}, {"request": {"meth`, 1, "HAR: entry 1 at offset"},
		{"bad entry type skipped", `{"log": {"entries": [{"request": {"method": 5}}, {"request": {"method": "GET", "url": "http://a.test/"}}]}}`, 1, ""},
		{"deep nesting skipped", `{"log": {"x": ` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `, "entries": []}}`, 0, "nesting deeper than 10000"},
		{"empty", "", 0, "HAR: expected a JSON object at offset 0: unexpected EOF"},
		{"ok null entries", `{"log": {"entries": null}}`, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			flows, _, err := collect(t, ReadHAR, []byte(tc.in))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error: got %v, want it to contain %q", err, tc.wantErr)
			}
			if len(flows) != tc.flows {
				t.Errorf("flows: got %d, want %d", len(flows), tc.flows)
			}
		})
	}
}

func TestReadHAREmitError(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "har", "chrome-handwritten.har"))
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("enough")
	n := 0
	_, err = ReadHAR(context.Background(), bytes.NewReader(data), func(*phiproxy.Flow) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("got %v after %d flows, want the emit error after 1", err, n)
	}
}

// harGenerator streams a HAR document of n entries without holding it in
// memory, so that a test can tell the reader's memory from the input's.
type harGenerator struct {
	n, next int
	buf     bytes.Buffer
	done    bool
}

func newHARGenerator(n int) *harGenerator {
	g := &harGenerator{n: n}
	g.buf.WriteString(`{"log": {"version": "1.2", "creator": {"name": "gen", "version": "1"}, "pages": [], "entries": [`)
	return g
}

func (g *harGenerator) Read(p []byte) (int, error) {
	for g.buf.Len() < len(p) && !g.done {
		if g.next == g.n {
			g.buf.WriteString("]}}\n")
			g.done = true
			break
		}
		if g.next > 0 {
			g.buf.WriteByte(',')
		}
		fmt.Fprintf(&g.buf, `{"startedDateTime": "2026-03-01T09:00:00.000Z", "time": 12.5, "request": {"method": "POST", "url": "https://t.test/collect?id=%d&email=patient%d%%40example.com", "httpVersion": "HTTP/1.1", "headers": [{"name": "Content-Type", "value": "application/json"}, {"name": "User-Agent", "value": "Mozilla/5.0 (X11; Linux x86_64)"}], "cookies": [], "queryString": [{"name": "id", "value": "%d"}], "headersSize": -1, "bodySize": 96, "postData": {"mimeType": "application/json", "text": "{\"event\":\"appointment_booked\",\"specialty\":\"psychiatry\",\"n\":%08d,\"pad\":\"xxxxxxxxxxxxxx\"}"}}, "response": {"status": 204, "statusText": "", "httpVersion": "HTTP/1.1", "headers": [], "cookies": [], "content": {"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": -1, "bodySize": 0}, "cache": {}, "timings": {"send": 1, "wait": 10, "receive": 1.5}}`, g.next, g.next, g.next, g.next)
		g.next++
	}
	if g.buf.Len() == 0 && g.done {
		return 0, io.EOF
	}
	return g.buf.Read(p)
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func TestReadHARMemoryFlat(t *testing.T) {
	const entries = 20000 // about 18 MB of HAR
	var atStart, atEnd uint64
	n := 0
	_, err := ReadHAR(context.Background(), newHARGenerator(entries), func(f *phiproxy.Flow) error {
		n++
		switch n {
		case 1000:
			atStart = heapInUse()
		case entries:
			atEnd = heapInUse()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("ReadHAR: %v", err)
	}
	if n != entries {
		t.Fatalf("flows: got %d, want %d", n, entries)
	}
	// The document is ~18 MB; a reader that kept entries would grow by tens
	// of MB between the two samples.
	if growth := int64(atEnd) - int64(atStart); growth > 4<<20 {
		t.Errorf("heap grew by %d bytes between entry 1000 and entry %d; want flat", growth, entries)
	}
}

func BenchmarkReadHAR(b *testing.B) {
	const entries = 10000
	var doc bytes.Buffer
	if _, err := io.Copy(&doc, newHARGenerator(entries)); err != nil {
		b.Fatal(err)
	}
	data := doc.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var growth int64
	first := true
	for b.Loop() {
		n := 0
		var atStart uint64
		_, err := ReadHAR(context.Background(), bytes.NewReader(data), func(*phiproxy.Flow) error {
			n++
			// Live heap after a GC, sampled once, early and at the end:
			// a reader that kept entries would grow by their size.
			if first && (n == 1000 || n == entries) {
				b.StopTimer()
				if n == 1000 {
					atStart = heapInUse()
				} else {
					growth = int64(heapInUse()) - int64(atStart)
				}
				b.StartTimer()
			}
			return nil
		})
		if err != nil || n != entries {
			b.Fatalf("ReadHAR: %d flows, %v", n, err)
		}
		first = false
	}
	b.ReportMetric(float64(growth)/(1<<20), "heap-growth-MB")
}

func FuzzReadHAR(f *testing.F) {
	for _, name := range []string{"chrome-handwritten.har", "firefox-handwritten.har"} {
		data, err := os.ReadFile(filepath.Join("..", "testdata", "har", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"log": {"entries": [{"request": {"method": "GET", "url": "http://a.test/", "postData": {"params": [{"name": "a", "value": "b"}]}}}]}}`))
	f.Add([]byte(`{"log": {"entries": [{"request": {"method": "POST", "url": "http://a", "postData": {"mimeType": "multipart/form-data; boundary=\"\"", "params": [{"name": "x"}]}}}]}}`))
	f.Add([]byte(`{"log": {"entries": [{"_webSocketMessages": [{"type": "send", "time": 1e300, "opcode": 2, "data": "!!"}], "request": {"method": "GET", "url": "ws://a"}}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		sum, err := ReadHAR(ctx, bytes.NewReader(data), func(f *phiproxy.Flow) error {
			if f.Request.Method == "" || f.Request.URL == "" || f.Source != "har" {
				t.Fatalf("emitted a flow without a request: %+v", f.Request)
			}
			return nil
		})
		if err != nil && sum.Flows > 0 && !strings.Contains(err.Error(), "HAR:") {
			t.Fatalf("error does not say it is about the HAR: %v", err)
		}
	})
}
