package tui

import (
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestParseQuery(t *testing.T) {
	tests := []struct {
		in      string
		want    Query
		wantErr string
	}{
		{"", Query{}, ""},
		{"host:facebook.com kind:email sertraline", Query{Host: "facebook.com", Kind: phiproxy.KindEmail, Text: "sertraline"}, ""},
		{"HOST:Facebook.COM.", Query{Host: "facebook.com"}, ""},
		{"vendor:meta_pixel", Query{Vendor: "meta pixel"}, ""},
		{"sev:HIGH two words", Query{Severity: phiproxy.High, HasSeverity: true, Text: "two words"}, ""},
		{"severity:info", Query{Severity: phiproxy.Info, HasSeverity: true}, ""},
		{"kind:Member_ID", Query{Kind: phiproxy.KindMemberID}, ""},
		{"https://x.example/a", Query{Text: "https://x.example/a"}, ""},
		{"kind:bogus", Query{}, `unknown kind "bogus"`},
		{"sev:extreme", Query{}, `unknown severity "extreme"`},
		{"host:", Query{}, "host: needs a host name"},
		{"vendor:", Query{}, "vendor: needs a vendor name"},
		{strings.Repeat("x", maxQueryLen+1), Query{}, "at most"},
	}
	for _, tc := range tests {
		got, err := ParseQuery(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseQuery(%.40q) error: got %v, want one containing %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseQuery(%q): unexpected error %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseQuery(%q): got %+v, want %+v", tc.in, got, tc.want)
		}
		back, err := ParseQuery(got.String())
		if err != nil || back != got {
			t.Errorf("round trip of %q via %q: got %+v, %v", tc.in, got.String(), back, err)
		}
	}
}

func TestQueryFilter(t *testing.T) {
	q := Query{Host: "a.example", Vendor: "Meta", Kind: phiproxy.KindDOB, Text: "x", Severity: phiproxy.Low, HasSeverity: true}
	got := q.Filter(phiproxy.High)
	want := store.Filter{Host: "a.example", Vendor: "Meta", Kind: phiproxy.KindDOB, Text: "x", MinSeverity: phiproxy.High}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Filter: got %+v, want %+v", got, want)
	}
}

func TestNextSeverity(t *testing.T) {
	want := []phiproxy.Severity{phiproxy.Low, phiproxy.Medium, phiproxy.High, phiproxy.Critical, phiproxy.Info}
	s := phiproxy.Info
	for i, w := range want {
		s = nextSeverity(s)
		if s != w {
			t.Fatalf("step %d: got %v, want %v", i, s, w)
		}
	}
	if got := nextSeverity(phiproxy.Severity(42)); got != phiproxy.Info {
		t.Errorf("out of range: got %v, want info", got)
	}
}

func TestFlowRowsAppendSkipsKnownIDs(t *testing.T) {
	var v flowRows
	v.reset([]store.FlowSummary{{ID: 1}, {ID: 2}})
	if n := v.appendNew([]store.FlowSummary{{ID: 2}, {ID: 3}, {ID: 5}}); n != 2 {
		t.Errorf("added: got %d, want 2", n)
	}
	var ids []int64
	for i := 0; i < v.len(); i++ {
		ids = append(ids, v.at(i).ID)
	}
	if !reflect.DeepEqual(ids, []int64{1, 2, 3, 5}) {
		t.Errorf("ids: got %v, want [1 2 3 5]", ids)
	}
	for _, tc := range []struct {
		id    int64
		index int
		found bool
	}{{1, 0, true}, {4, 3, false}, {5, 3, true}, {9, 4, false}} {
		i, ok := v.indexOf(tc.id)
		if i != tc.index || ok != tc.found {
			t.Errorf("indexOf(%d): got %d %v, want %d %v", tc.id, i, ok, tc.index, tc.found)
		}
	}
	if v.at(-1) != nil || v.at(4) != nil {
		t.Error("at out of range: want nil")
	}
}

func TestCompactorInternsAndCuts(t *testing.T) {
	c := newRowCompactor()
	long := "https://x.example/" + strings.Repeat("é", 400)
	rows := c.compact([]store.FlowSummary{
		{Host: strings.Clone("a.example"), Method: "GET", URL: long},
		{Host: strings.Clone("a.example"), Method: "GET", URL: "https://a.example/"},
	})
	if len(rows[0].URL) > maxRowURL || !strings.HasPrefix(long, rows[0].URL) {
		t.Errorf("URL cut: got %d bytes, want a prefix of at most %d", len(rows[0].URL), maxRowURL)
	}
	if !strings.HasSuffix(rows[0].URL, "é") {
		t.Errorf("URL cut inside a rune: %q", rows[0].URL[len(rows[0].URL)-4:])
	}
	if unsafe.StringData(rows[0].Host) != unsafe.StringData(rows[1].Host) {
		t.Error("equal hosts are not shared")
	}
}

func TestColumnsFitWidth(t *testing.T) {
	tests := []struct {
		width  int
		titles string
	}{
		{50, "TIME SEV HOST PATH"},
		{80, "TIME SEV METHOD HOST KINDS PATH"},
		{120, "TIME SEV METHOD HOST VENDOR KINDS PATH"},
		{200, "TIME SEV METHOD HOST VENDOR PARTY KINDS PATH"},
	}
	for _, tc := range tests {
		cols := columnsFor(tc.width)
		var titles []string
		for _, c := range cols {
			titles = append(titles, c.title)
		}
		if got := strings.Join(titles, " "); got != tc.titles {
			t.Errorf("width %d: got %s, want %s", tc.width, got, tc.titles)
		}
		fixed := len(cols) - 1
		for _, c := range cols {
			fixed += c.width
		}
		if tc.width-fixed < 12 {
			t.Errorf("width %d: fixed columns leave %d cells for the path, want at least 12", tc.width, tc.width-fixed)
		}
	}
}

func TestFormatRowTime(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.Local)
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 28, 9, 8, 7, 0, time.Local), "09:08:07"},
		{time.Date(2026, 11, 27, 9, 8, 7, 0, time.Local), "11-27 09:08"},
		{time.Time{}, "-"},
	}
	for _, tc := range tests {
		if got := formatRowTime(tc.t, now); got != tc.want {
			t.Errorf("formatRowTime(%v): got %q, want %q", tc.t, got, tc.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	m := newMaskSet([]phiproxy.Finding{{Kind: phiproxy.KindCondition, Value: "depression"}, {Kind: phiproxy.KindEmail, Value: "Jane@Example.com"}})
	tests := []struct{ in, want string }{
		{"https://x.example/conditions/depression?q=depression&id=7#frag", "https://x.example/conditions/[redacted condition]?q=[redacted]&id=[redacted]#[redacted]"},
		{"/tr?flag&ev=Lead", "/tr?flag&ev=[redacted]"},
		{"/u/jane%40example.com/profile", "/u/[redacted email]/profile"},
		{"/plain#JANE@EXAMPLE.COM", "/plain#[redacted]"},
		{"/plain", "/plain"},
	}
	for _, tc := range tests {
		if got := redactURL(tc.in, m); got != tc.want {
			t.Errorf("redactURL(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := redactURL("/a/b?c=d", maskSet{all: true}); strings.Contains(got, "a/b") || strings.Contains(got, "c=d") {
		t.Errorf("mask all: got %q, want everything hidden", got)
	}
}

func TestMatchInField(t *testing.T) {
	long := strings.Repeat("a", 100) + "SECRET" + strings.Repeat("b", 100)
	tests := []struct {
		name   string
		fd     phiproxy.Finding
		redact bool
		want   string
	}{
		{"offsets", phiproxy.Finding{Value: "jane", Field: "to jane now", Start: 3, End: 7}, false, "to " + matchOn + "jane" + matchOff + " now"},
		{"bad offsets fall back to search", phiproxy.Finding{Value: "jane", Field: "to jane now", Start: 50, End: 70}, false, "to " + matchOn + "jane" + matchOff + " now"},
		{"no position whole value", phiproxy.Finding{Value: "abc", Field: "abc"}, false, matchOn + "abc" + matchOff},
		{"hash not in field", phiproxy.Finding{Value: "e3b0c442", Field: "ud[em]=ff00"}, false, "ud[em[]=ff00"},
		{"context is cut", phiproxy.Finding{Value: "SECRET", Field: long, Start: 100, End: 106}, false,
			"…" + strings.Repeat("a", contextBytes) + matchOn + "SECRET" + matchOff + strings.Repeat("b", contextBytes) + "…"},
		{"redacted", phiproxy.Finding{Kind: phiproxy.KindEmail, Value: "jane@x.io", Field: "a jane@x.io b", Start: 2, End: 11}, true,
			"a " + matchOn + "[redacted email[]" + matchOff + " b"},
		{"control bytes", phiproxy.Finding{Value: "x", Field: "\x1b[31mx\n", Start: 5, End: 6}, false, "·[31m" + matchOn + "x" + matchOff + "↵"},
		{"offsets split a rune", phiproxy.Finding{Value: "é", Field: "café", Start: 4, End: 5}, false, "caf" + matchOn + "é" + matchOff},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMaskSet([]phiproxy.Finding{tc.fd})
			if got := matchInField(tc.fd, tc.redact, m); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct {
		in        string
		multiLine bool
		want      string
	}{
		{"plain text", false, "plain text"},
		{"a\nb\tc\r", false, "a↵b  c"},
		{"a\nb", true, "a\nb"},
		{"\x00\x7f\xff", false, "···"},
		{"bidi \u202eevil", false, "bidi ·evil"},
	}
	for _, tc := range tests {
		if got := printable(tc.in, tc.multiLine); got != tc.want {
			t.Errorf("printable(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCurlCommandGolden(t *testing.T) {
	reqs := map[string]*phiproxy.Request{
		"post_json": {Method: "POST", URL: "https://www.facebook.com/tr?id=1&ev=Lead", Proto: "HTTP/1.1",
			Header: http.Header{"Content-Type": {"application/json"}, "Cookie": {"a='b'"}, "Content-Length": {"27"}, "Host": {"www.facebook.com"}, "Accept-Encoding": {"gzip"}},
			Body:   []byte(`{"email":"o'brien@x.io"}`), BodySize: 24},
		"get": {Method: "GET", URL: "https://x.example/a?b=c", Proto: "HTTP/2.0"},
		"binary_truncated": {Method: "PUT", URL: "http://127.0.0.1:9/u", Header: http.Header{"Host": {"other.example"}},
			Body: []byte("\x1f\x8b\x00\x01'\\é\xff"), BodySize: 4096, Truncated: true},
	}
	for name, r := range reqs {
		t.Run(name, func(t *testing.T) {
			got := curlCommand(r)
			golden := filepath.Join("testdata", "curl_"+name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if got != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestDetailRedactedShowsNoValues(t *testing.T) {
	d := &store.FlowDetail{Flow: phiproxy.Flow{
		ID: 9, Page: "https://clinic.example/book?dr=smith",
		Request: phiproxy.Request{Method: "POST", URL: "https://t.example/c?em=jane%40x.io", Header: http.Header{"Cookie": {"sid=1"}, "Referer": {"https://clinic.example/p?name=jane"}, "Content-Type": {"text/plain"}},
			Body: []byte("jane@x.io took sertraline")},
		WebSocket: []phiproxy.WSMessage{{FromClient: true, Data: []byte("sertraline")}},
	}, Inspection: phiproxy.Inspection{
		Findings: []phiproxy.Finding{
			{Kind: phiproxy.KindEmail, Term: "jane@x.io", Value: "jane@x.io", Field: "jane@x.io took sertraline", Start: 0, End: 9, Path: "body"},
			{Kind: phiproxy.KindMedication, Term: "sertraline", Value: "Sertraline", Field: "jane@x.io took sertraline", Path: "body"},
		},
		Notes: []string{"body: odd value sertraline"},
	}}
	fields := []phiproxy.Field{{Chain: []string{"body"}, Value: "jane@x.io took sertraline"}}
	plain := detailView{d: d, fields: fields, showFields: true}.render()
	red := detailView{d: d, fields: fields, showFields: true, redact: true}.render()
	for _, secret := range []string{"jane", "sertraline", "sid=1", "smith"} {
		if !strings.Contains(strings.ToLower(plain), secret) {
			t.Errorf("plain detail lacks %q", secret)
		}
		if strings.Contains(strings.ToLower(red), secret) {
			t.Errorf("redacted detail shows %q:\n%s", secret, red)
		}
	}
	for _, want := range []string{"[redacted email[]", "[redacted medication[]", "Content-Type:[-] text/plain", "Findings (2)"} {
		if !strings.Contains(red, want) {
			t.Errorf("redacted detail lacks %q:\n%s", want, red)
		}
	}
}
