package evidence

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/testenv"
	"github.com/phiproxy/phiproxy/store"
)

var bundleFiles = []string{HARFile, FindingsCSVFile, FindingsJSONFile, InventoryFile, ExposureFile, ManifestFile, PCAPFile, ReportFile, ChecksumsFile}

func TestWriteZipLayoutAndModes(t *testing.T) {
	s, _ := openFixture(t)
	path := filepath.Join(t.TempDir(), "out", "bundle.zip")
	if err := os.Mkdir(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	m, err := WriteZip(context.Background(), s, path, Options{Now: fixedNow, Version: "1.2.3", Operator: "QA", Note: "ticket 42", CAFingerprint: "AB:CD"})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
		t.Errorf("zip mode: got %v, want %v", got, want)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*"))
	if len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
	dir := extractZip(t, path)
	entries, _ := os.ReadDir(dir)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := append([]string(nil), bundleFiles...)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bundle files: got %v, want %v", got, want)
	}
	if m.Counts.Flows != 7 || m.Counts.Findings != 12 || m.Counts.WebSocketMessages != 3 {
		t.Errorf("counts: got %+v, want 7 flows, 12 findings, 3 websocket messages", m.Counts)
	}
	if got, want := m.Capture.First, fixtureStart; !got.Equal(want) {
		t.Errorf("capture first: got %v, want %v", got, want)
	}
	if m.Version != "1.2.3" || m.Operator != "QA" || m.Note != "ticket 42" || m.CAFingerprint != "AB:CD" || !m.Created.Equal(fixedNow()) {
		t.Errorf("manifest header: got %+v", m)
	}
	if !strings.Contains(m.PCAP, "TLS was removed") {
		t.Errorf("manifest pcap note: got %q, want it to say TLS was removed", m.PCAP)
	}
	var onDisk Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &onDisk); err != nil {
		t.Fatal(err)
	}
	if len(onDisk.Files) != len(bundleFiles)-2 {
		t.Fatalf("manifest files: got %d, want %d (every file but itself and SHA256SUMS)", len(onDisk.Files), len(bundleFiles)-2)
	}
	for _, f := range onDisk.Files {
		data, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if got := int64(len(data)); got != f.Size {
			t.Errorf("%s size: got %d, manifest says %d", f.Name, got, f.Size)
		}
	}
}

func TestSHA256SUMSVerifies(t *testing.T) {
	t.Parallel()
	sha := testenv.Program(t, "sha256sum")
	dir, _, _, _ := exportFixture(t, Options{})
	cmd := exec.Command(sha, "-c", ChecksumsFile)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum -c: %v\n%s", err, out)
	} else if n := strings.Count(string(out), ": OK"); n != len(bundleFiles)-1 {
		t.Errorf("sha256sum -c checked %d files, want %d:\n%s", n, len(bundleFiles)-1, out)
	}
	sums, _ := os.ReadFile(filepath.Join(dir, ChecksumsFile))
	if !strings.Contains(string(sums), "  "+ManifestFile+"\n") {
		t.Errorf("SHA256SUMS does not cover %s:\n%s", ManifestFile, sums)
	}
	for _, name := range []string{ReportFile, ManifestFile, PCAPFile} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			orig, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			changed := append([]byte(nil), orig...)
			changed[len(changed)/2] ^= 0x01
			if err := os.WriteFile(p, changed, 0o600); err != nil {
				t.Fatal(err)
			}
			defer os.WriteFile(p, orig, 0o600)
			cmd := exec.Command(sha, "-c", ChecksumsFile)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("sha256sum -c passed after changing one byte of %s:\n%s", name, out)
			}
			if !strings.Contains(string(out), name+": FAILED") {
				t.Errorf("sha256sum -c output does not name %s:\n%s", name, out)
			}
		})
	}
}

func TestWriteDir(t *testing.T) {
	s, _ := openFixture(t)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "bundle")
	m, err := WriteDir(ctx, s, dir, Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), os.FileMode(0o700); got != want {
		t.Errorf("folder mode: got %v, want %v", got, want)
	}
	for _, name := range bundleFiles {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
			t.Errorf("%s mode: got %v, want %v", name, got, want)
		}
	}
	// A second export into the same, now full, folder is refused.
	if _, err := WriteDir(ctx, s, dir, Options{Now: fixedNow}); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("export into a non-empty folder: got %v, want an error naming %s", err, dir)
	}
	// Zip and folder bundles hold the same bytes.
	zipDir, zm, _, _ := exportFixture(t, Options{})
	if !reflect.DeepEqual(m.Files, zm.Files) {
		t.Errorf("folder and zip bundles differ:\n%+v\n%+v", m.Files, zm.Files)
	}
	for _, name := range bundleFiles {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(zipDir, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between folder and zip", name)
		}
	}
}

func TestErrors(t *testing.T) {
	s, _ := openFixture(t)
	ctx := context.Background()
	t.Run("empty selection", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "b.zip")
		_, err := WriteZip(ctx, s, path, Options{Filter: store.Filter{Host: "nowhere.example"}})
		if !errors.Is(err, ErrEmptySelection) {
			t.Fatalf("got %v, want ErrEmptySelection", err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("a file was written for an empty selection: %v", err)
		}
		_, err = WriteDir(ctx, s, filepath.Join(t.TempDir(), "d"), Options{Filter: store.Filter{IDs: []int64{999}}})
		if !errors.Is(err, ErrEmptySelection) {
			t.Fatalf("dir: got %v, want ErrEmptySelection", err)
		}
	})
	t.Run("unwritable path", func(t *testing.T) {
		if os.Geteuid() == 0 {
			// root writes anywhere; a missing folder is unwritable for all.
			t.Log("running as root: testing a missing folder only")
		} else {
			ro := filepath.Join(t.TempDir(), "ro")
			os.Mkdir(ro, 0o500)
			path := filepath.Join(ro, "b.zip")
			if _, err := WriteZip(ctx, s, path, Options{}); err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("read-only folder: got %v, want an error naming %s", err, path)
			}
		}
		path := filepath.Join(t.TempDir(), "missing", "b.zip")
		if _, err := WriteZip(ctx, s, path, Options{}); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("missing folder: got %v, want an error naming %s", err, path)
		}
		dir := filepath.Join(t.TempDir(), "missing", "bundle")
		if _, err := WriteDir(ctx, s, dir, Options{}); err == nil || !strings.Contains(err.Error(), dir) {
			t.Errorf("dir in missing folder: got %v, want an error naming %s", err, dir)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		path := filepath.Join(t.TempDir(), "b.zip")
		if _, err := WriteZip(cctx, s, path, Options{}); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("a cancelled export left %s", path)
		}
	})
}

func TestSelection(t *testing.T) {
	tests := []struct {
		name      string
		filter    store.Filter
		wantFlows int
		wantMin   phiproxy.Severity
	}{
		{"everything", store.Filter{}, 7, phiproxy.Info},
		{"flagged", store.Filter{Flagged: true}, 6, phiproxy.Info},
		{"critical", store.Filter{MinSeverity: phiproxy.Critical}, 3, phiproxy.Critical},
		{"host", store.Filter{Host: "facebook.com"}, 1, phiproxy.Info},
		{"ids", store.Filter{IDs: []int64{2, 4}}, 2, phiproxy.Info},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, m, _, _ := exportFixture(t, Options{Filter: tc.filter})
			if m.Counts.Flows != tc.wantFlows {
				t.Errorf("flows: got %d, want %d", m.Counts.Flows, tc.wantFlows)
			}
			h := readHAR(t, filepath.Join(dir, HARFile))
			if got := len(h.Log.Entries); got != tc.wantFlows {
				t.Errorf("HAR entries: got %d, want %d", got, tc.wantFlows)
			}
			rows := readFindingsJSON(t, dir)
			for i, r := range rows {
				if r.Severity < tc.wantMin {
					t.Errorf("finding %d severity %v below the selection's %v", i, r.Severity, tc.wantMin)
				}
				if i > 0 && r.Severity > rows[i-1].Severity {
					t.Errorf("findings.json not most severe first at %d: %v after %v", i, r.Severity, rows[i-1].Severity)
				}
			}
			if got := len(rows); got != m.Counts.Findings {
				t.Errorf("findings.json rows: got %d, manifest counts %d", got, m.Counts.Findings)
			}
		})
	}
}

// savingSink saves more flows when the bundle's first file is created,
// that is after the survey pass and before every other pass.
type savingSink struct {
	fileSink
	save func() error
	done bool
}

func (s *savingSink) create(name string) (io.Writer, error) {
	if !s.done {
		s.done = true
		if err := s.save(); err != nil {
			return nil, err
		}
	}
	return s.fileSink.create(name)
}

// TestSelectionPinned saves flows while a bundle is being written: every
// file must still cover the flows the survey counted.
func TestSelectionPinned(t *testing.T) {
	w, err := store.Open(filepath.Join(t.TempDir(), "phiproxy.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx := context.Background()
	if err := w.SaveBatch(ctx, 0, fixtureRecords(t), phiproxy.Stats{}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "b")
	os.Mkdir(dir, 0o700)
	sink := &savingSink{fileSink: &dirSink{dir: dir}, save: func() error {
		return w.SaveBatch(ctx, 0, fixtureRecords(t)[:2], phiproxy.Stats{})
	}}
	m, err := writeBundle(ctx, w, sink, t.TempDir(), Options{Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := w.CountFlows(ctx, store.Filter{}); n != 9 {
		t.Fatalf("flows in the database: got %d, want 9 (the test did not add flows)", n)
	}
	h := readHAR(t, filepath.Join(dir, HARFile))
	if got, want := len(h.Log.Entries), 7; got != want || m.Counts.Flows != want || m.Selection.MaxID != 7 {
		t.Errorf("HAR entries: got %d, manifest counts %d (max ID %d), want %d", got, m.Counts.Flows, m.Selection.MaxID, want)
	}
	if got, want := len(readFindingsJSON(t, dir)), m.Counts.Findings; got != want {
		t.Errorf("findings.json rows: got %d, manifest counts %d", got, want)
	}
	report, _ := os.ReadFile(filepath.Join(dir, ReportFile))
	if got := strings.Count(string(report), `<article class="flow`); got != 7 {
		t.Errorf("report flows: got %d, want 7", got)
	}
}

// readerHAR is an independent reading of the HAR fields the round trip
// checks.
type readerHAR struct {
	Log struct {
		Version string `json:"version"`
		Creator struct {
			Name, Version string
		} `json:"creator"`
		Entries []readerEntry `json:"entries"`
	} `json:"log"`
}

type readerNV struct{ Name, Value string }

type readerEntry struct {
	StartedDateTime string  `json:"startedDateTime"`
	Time            float64 `json:"time"`
	Request         struct {
		Method, URL, HTTPVersion string
		Headers                  []readerNV
		Cookies                  []readerNV
		QueryString              []readerNV
		PostData                 *struct {
			MimeType, Text string
			Params         []readerNV
			Encoding       string `json:"_encoding"`
		}
		BodySize int64
	} `json:"request"`
	Response struct {
		Status     int
		StatusText string
		Headers    []readerNV
		Content    struct {
			Size     int64
			MimeType string
			Text     string
			Encoding string
		}
		BodySize int64
		Error    string `json:"_error"`
	} `json:"response"`
	Timings struct {
		Send, Wait, Receive, Blocked, DNS, Connect, SSL float64
	} `json:"timings"`
	ServerIPAddress   string `json:"serverIPAddress"`
	WebSocketMessages []struct {
		Type   string
		Time   float64
		Opcode int
		Data   string
	} `json:"_webSocketMessages"`
	Phiproxy struct {
		FlowID   int64              `json:"flow_id"`
		Severity phiproxy.Severity  `json:"severity"`
		Vendor   string             `json:"vendor"`
		Party    phiproxy.Party     `json:"party"`
		Findings []store.FindingRow `json:"findings"`
	} `json:"_phiproxy"`
}

func readHAR(t testing.TB, path string) readerHAR {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var h readerHAR
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("decode HAR: %v", err)
	}
	return h
}

func readFindingsJSON(t testing.TB, dir string) []store.FindingRow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, FindingsJSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var rows []store.FindingRow
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatalf("decode findings.json: %v", err)
	}
	return rows
}

func headerValues(nvs []readerNV, name string) []string {
	var out []string
	for _, nv := range nvs {
		if strings.EqualFold(nv.Name, name) {
			out = append(out, nv.Value)
		}
	}
	return out
}

// TestHARRoundTrip reads the HAR back and compares it with the store.
func TestHARRoundTrip(t *testing.T) {
	dir, _, s, _ := exportFixture(t, Options{Version: "9.9"})
	h := readHAR(t, filepath.Join(dir, HARFile))
	if h.Log.Version != "1.2" || h.Log.Creator.Name != "phiproxy" || h.Log.Creator.Version != "9.9" {
		t.Errorf("log header: got %+v %+v", h.Log.Version, h.Log.Creator)
	}
	i := 0
	err := s.EachFlow(context.Background(), store.Filter{}, func(d *store.FlowDetail) error {
		if i >= len(h.Log.Entries) {
			t.Fatalf("HAR has %d entries, store more", len(h.Log.Entries))
		}
		e := h.Log.Entries[i]
		i++
		f := &d.Flow
		started, err := time.Parse(time.RFC3339Nano, e.StartedDateTime)
		if err != nil || !started.Equal(f.Start.Truncate(time.Millisecond)) {
			t.Errorf("flow %d startedDateTime: got %q (%v), want %v", f.ID, e.StartedDateTime, err, f.Start)
		}
		if got, want := e.Time, float64(f.Timings.Total().Microseconds())/1000; got != want {
			t.Errorf("flow %d time: got %v, want %v", f.ID, got, want)
		}
		if e.Request.Method != f.Request.Method || e.Request.URL != f.Request.URL {
			t.Errorf("flow %d request line: got %s %s, want %s %s", f.ID, e.Request.Method, e.Request.URL, f.Request.Method, f.Request.URL)
		}
		for name, vals := range f.Request.Header {
			if got := headerValues(e.Request.Headers, name); !reflect.DeepEqual(got, vals) {
				t.Errorf("flow %d request header %s: got %q, want %q", f.ID, name, got, vals)
			}
		}
		if u, err := url.Parse(f.Request.URL); err == nil {
			want := u.Query()
			got := url.Values{}
			for _, q := range e.Request.QueryString {
				got.Add(q.Name, q.Value)
			}
			if len(want) == 0 {
				want = url.Values{}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("flow %d queryString: got %v, want %v", f.ID, got, want)
			}
		}
		wantCookies := (&httpRequestForCookies{f.Request.Header}).names()
		var gotCookies []string
		for _, c := range e.Request.Cookies {
			gotCookies = append(gotCookies, c.Name+"="+c.Value)
		}
		if !reflect.DeepEqual(gotCookies, wantCookies) {
			t.Errorf("flow %d cookies: got %v, want %v", f.ID, gotCookies, wantCookies)
		}
		if len(f.Request.Body) > 0 {
			pd := e.Request.PostData
			if pd == nil {
				t.Fatalf("flow %d: no postData for a %d-byte body", f.ID, len(f.Request.Body))
			}
			body := []byte(pd.Text)
			if pd.Encoding == "base64" {
				if body, err = base64.StdEncoding.DecodeString(pd.Text); err != nil {
					t.Fatalf("flow %d postData base64: %v", f.ID, err)
				}
			}
			if !bytes.Equal(body, f.Request.Body) {
				t.Errorf("flow %d postData: got %q, want %q", f.ID, body, f.Request.Body)
			}
			if strings.HasPrefix(f.Request.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
				want, _ := url.ParseQuery(string(f.Request.Body))
				got := url.Values{}
				for _, p := range pd.Params {
					got.Add(p.Name, p.Value)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("flow %d params: got %v, want %v", f.ID, got, want)
				}
			}
		} else if e.Request.PostData != nil {
			t.Errorf("flow %d: postData for an empty body", f.ID)
		}
		if f.Request.BodySize != e.Request.BodySize {
			t.Errorf("flow %d request bodySize: got %d, want %d", f.ID, e.Request.BodySize, f.Request.BodySize)
		}
		if f.Response == nil {
			if e.Response.Status != 0 || e.Response.Error != f.Error {
				t.Errorf("flow %d failed response: got status %d error %q, want 0 %q", f.ID, e.Response.Status, e.Response.Error, f.Error)
			}
		} else {
			if e.Response.Status != f.Response.Status {
				t.Errorf("flow %d status: got %d, want %d", f.ID, e.Response.Status, f.Response.Status)
			}
			body := []byte(e.Response.Content.Text)
			if e.Response.Content.Encoding == "base64" {
				body, _ = base64.StdEncoding.DecodeString(e.Response.Content.Text)
			}
			want, _ := decodedBody(f.Response.Body, f.Response.Header.Get("Content-Encoding"))
			if !bytes.Equal(body, want) {
				t.Errorf("flow %d response body: got %q, want %q", f.ID, body, want)
			}
			if f.Response.Header.Get("Content-Encoding") == "gzip" && !json.Valid(body) {
				t.Errorf("flow %d: gzip response not decoded into content.text: %q", f.ID, body)
			}
		}
		if got, want := e.ServerIPAddress, serverIP(f.ServerAddr); got != want {
			t.Errorf("flow %d serverIPAddress: got %q, want %q", f.ID, got, want)
		}
		if e.Timings.Blocked != -1 || e.Timings.DNS != -1 || e.Timings.Connect != -1 || e.Timings.SSL != -1 {
			t.Errorf("flow %d timings: got %+v, want -1 for unknown phases", f.ID, e.Timings)
		}
		if got, want := len(e.WebSocketMessages), len(f.WebSocket); got != want {
			t.Errorf("flow %d websocket messages: got %d, want %d", f.ID, got, want)
		}
		for j, m := range f.WebSocket {
			if j >= len(e.WebSocketMessages) {
				break
			}
			wm := e.WebSocketMessages[j]
			data := []byte(wm.Data)
			if wm.Opcode == 2 {
				data, _ = base64.StdEncoding.DecodeString(wm.Data)
			}
			wantType := map[bool]string{true: "send", false: "receive"}[m.FromClient]
			if wm.Type != wantType || !bytes.Equal(data, m.Data) || (wm.Opcode == 2) != m.Binary {
				t.Errorf("flow %d ws %d: got %s op%d %q, want %s %q", f.ID, j, wm.Type, wm.Opcode, data, wantType, m.Data)
			}
		}
		if e.Phiproxy.FlowID != f.ID || e.Phiproxy.Severity != d.Inspection.Severity || e.Phiproxy.Vendor != d.Inspection.Destination.Vendor {
			t.Errorf("flow %d _phiproxy: got %+v", f.ID, e.Phiproxy)
		}
		var want []store.FindingRow
		for _, fd := range d.Inspection.Findings {
			want = append(want, store.Row(f, d.Inspection.Destination, fd))
		}
		got := e.Phiproxy.Findings
		if len(got) == 0 {
			got = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("flow %d findings:\n got %+v\nwant %+v", f.ID, got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if i != len(h.Log.Entries) {
		t.Errorf("HAR entries: got %d, store has %d flows", len(h.Log.Entries), i)
	}
}

// httpRequestForCookies lists the Cookie header's pairs the simple way,
// independent of net/http's parser.
type httpRequestForCookies struct{ h map[string][]string }

func (c *httpRequestForCookies) names() []string {
	var out []string
	for _, line := range c.h["Cookie"] {
		for _, part := range strings.Split(line, ";") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

func TestHARValidator(t *testing.T) {
	t.Parallel()
	node := testenv.Program(t, "node")
	check, err := filepath.Abs("../tools/harcheck/check.js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(check), "node_modules", "har-validator")); err != nil {
		testenv.Missing(t, "har-validator not installed (npm install --prefix tools/harcheck): %v", err)
	}
	for _, redact := range []bool{false, true} {
		dir, _, _, _ := exportFixture(t, Options{Redact: redact})
		out := runTool(t, 30*time.Second, node, check, filepath.Join(dir, HARFile))
		if !strings.Contains(string(out), "valid HAR 1.2, 7 entries") {
			t.Errorf("redact=%v: har-validator said %q", redact, out)
		}
	}
	// The checker itself must reject a broken HAR, or passing means nothing.
	bad := filepath.Join(t.TempDir(), "bad.har")
	os.WriteFile(bad, []byte(`{"log":{"version":"1.2","creator":{"name":"x","version":"1"},"entries":[{"startedDateTime":"yesterday"}]}}`), 0o600)
	if err := exec.Command(node, check, bad).Run(); err == nil {
		t.Error("har-validator accepted an invalid HAR")
	}
}

func TestHARGolden(t *testing.T) {
	dir, _, _, _ := exportFixture(t, Options{Version: "golden"})
	for _, name := range []string{HARFile, FindingsCSVFile} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", name+".golden")
		if *update {
			os.MkdirAll("testdata", 0o755)
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (run go test -update and review the diff)", name, golden)
		}
	}
}

func TestFindingsCSV(t *testing.T) {
	dir, _, _, _ := exportFixture(t, Options{})
	rows := readFindingsJSON(t, dir)
	f, err := os.Open(filepath.Join(dir, FindingsCSVFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(recs[0], csvColumns) {
		t.Errorf("header: got %v, want %v", recs[0], csvColumns)
	}
	// The header names are exactly the JSON names of FindingRow.
	var tags []string
	rt := reflect.TypeOf(store.FindingRow{})
	for i := 0; i < rt.NumField(); i++ {
		tags = append(tags, strings.Split(rt.Field(i).Tag.Get("json"), ",")[0])
	}
	sort.Strings(tags)
	cols := append([]string(nil), csvColumns...)
	sort.Strings(cols)
	if !reflect.DeepEqual(cols, tags) {
		t.Errorf("csv columns %v are not the FindingRow json names %v", cols, tags)
	}
	if got, want := len(recs)-1, len(rows); got != want {
		t.Fatalf("csv rows: got %d, want %d", got, want)
	}
	for i, r := range rows {
		rec := recs[i+1]
		byName := map[string]string{}
		for j, c := range csvColumns {
			byName[c] = rec[j]
		}
		if byName["value"] != cell(r.Value) || byName["url"] != r.URL || byName["severity"] != r.Severity.String() || byName["flow_id"] != jsonNumber(r.FlowID) {
			t.Errorf("row %d: csv %v does not match json %+v", i, byName, r)
		}
	}
	// The phone number starts with "+": a spreadsheet would run it as a
	// formula, so it is quoted.
	if got, want := cell(fxPhone), "'"+fxPhone; got != want {
		t.Errorf("cell(%q): got %q, want %q", fxPhone, got, want)
	}
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestRedaction greps every byte of a redacted bundle for every matched
// value and its percent-encoded forms.
func TestRedaction(t *testing.T) {
	dir, m, _, recs := exportFixture(t, Options{Redact: true})
	if !m.Redacted || m.Redaction == "" {
		t.Errorf("manifest: redacted %v, coverage %q", m.Redacted, m.Redaction)
	}
	values := fixtureValues(recs)
	var forms []string
	for _, v := range values {
		forms = append(forms, v, url.QueryEscape(v), url.PathEscape(v), strings.ReplaceAll(url.QueryEscape(v), "+", "%20"))
	}
	// A non-redacted bundle holds them, or this test would prove nothing.
	plainDir, _, _, _ := exportFixture(t, Options{})
	for _, v := range values {
		found := false
		for _, name := range bundleFiles {
			b, _ := os.ReadFile(filepath.Join(plainDir, name))
			found = found || bytes.Contains(b, []byte(v))
		}
		if !found {
			t.Errorf("unredacted bundle does not contain %q: the test fixture is wrong", v)
		}
	}
	assertNoValues(t, dir, forms)
	// Findings below the selection's minimum severity are not exported,
	// but their values are still in the exported URLs and bodies.
	critDir, _, _, _ := exportFixture(t, Options{Redact: true, Filter: store.Filter{MinSeverity: phiproxy.Critical}})
	assertNoValues(t, critDir, forms)
	// A selection by the value itself is recorded redacted too.
	textDir, _, _, _ := exportFixture(t, Options{Redact: true, Note: "asked about " + fxEmail, Filter: store.Filter{Text: "sertraline"}})
	assertNoValues(t, textDir, append(forms, "sertraline"))
	// Same value, same placeholder within the bundle; different values,
	// different placeholders.
	rows := readFindingsJSON(t, dir)
	for _, r := range rows {
		if !strings.HasPrefix(r.Value, "["+string(r.Kind)+":") || len(r.Value) != len(r.Kind)+15 {
			t.Errorf("redacted value: got %q, want [%s:<12 hex>]", r.Value, r.Kind)
		}
	}
	ph := func(kind phiproxy.Kind) map[string]bool {
		set := map[string]bool{}
		for _, r := range rows {
			if r.Kind == kind {
				set[r.Value] = true
			}
		}
		return set
	}
	if got := len(ph(phiproxy.KindEmail)); got != 1 {
		t.Errorf("the same email got %d different placeholders, want 1", got)
	}
	if got := len(ph(phiproxy.KindMedication)); got != 2 {
		t.Errorf("two different medication values got %d placeholders, want 2", got)
	}
	// A second bundle uses a new salt.
	dir2, _, _, _ := exportFixture(t, Options{Redact: true})
	rows2 := readFindingsJSON(t, dir2)
	if rows[0].Value == rows2[0].Value {
		t.Errorf("two bundles share placeholder %q: the salt is not per bundle", rows[0].Value)
	}
}

// assertNoValues fails for every file of the bundle in dir that holds one
// of forms, in its bytes, its HTML-unescaped text (report) or its decoded
// base64 strings (HAR).
func assertNoValues(t *testing.T, dir string, forms []string) {
	t.Helper()
	for _, name := range bundleFiles {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		texts := map[string][]byte{"bytes": b}
		if name == ReportFile {
			texts["html text"] = []byte(html.UnescapeString(string(b)))
		}
		if name == HARFile {
			texts["decoded base64"] = decodedBase64Strings(t, b)
		}
		for how, text := range texts {
			for _, form := range forms {
				if i := bytes.Index(text, []byte(form)); i >= 0 {
					lo, hi := max(0, i-40), min(len(text), i+len(form)+40)
					t.Errorf("%s (%s) contains %q: …%q…", name, how, form, text[lo:hi])
				}
			}
		}
	}
}

// decodedBase64Strings decodes every base64 string of a HAR (binary bodies,
// binary WebSocket messages) and joins them.
func decodedBase64Strings(t testing.TB, har []byte) []byte {
	var out bytes.Buffer
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		case string:
			if b, err := base64.StdEncoding.DecodeString(x); err == nil && len(x) >= 8 {
				out.Write(b)
				out.WriteByte(0)
			}
		}
	}
	var doc any
	if err := json.Unmarshal(har, &doc); err != nil {
		t.Fatal(err)
	}
	walk(doc)
	return out.Bytes()
}

func TestRedactorForms(t *testing.T) {
	r, err := newRedactor()
	if err != nil {
		t.Fatal(err)
	}
	r.add(phiproxy.KindEmail, "Jane.Doe@Example.com", "jane.doe@example.com")
	r.add(phiproxy.KindMedication, "Zoloft", "sertraline")
	r.add(phiproxy.KindZIP, "02", "02")
	r.build()
	email := r.Placeholder("jane.doe@example.com")
	tests := []struct {
		name, in    string
		url         bool
		mustNot     []string
		mustContain string
	}{
		{"plain", "mail Jane.Doe@Example.com now", false, []string{"Jane.Doe@Example.com"}, "[email:"},
		{"term", "em=jane.doe@example.com", false, []string{"jane.doe@example.com"}, email},
		{"query escaped", "x=jane.doe%40example.com&y=1", true, []string{"jane.doe%40example.com"}, "%5Bemail%3A"},
		{"double escaped", "x=jane.doe%2540example.com", true, []string{"jane.doe%2540example.com"}, "%5Bemail%3A"},
		{"health term kept", "sertraline 50mg", false, nil, "sertraline"},
		{"health value", "took Zoloft", false, []string{"Zoloft"}, "[medication:"},
		{"base64", "d=" + base64.StdEncoding.EncodeToString([]byte("Zoloft")), false, []string{base64.RawStdEncoding.EncodeToString([]byte("Zoloft"))}, "[medication:"},
		{"short value left in text", "a=02139", false, nil, "02139"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := r.Text(tc.in)
			if tc.url {
				got = r.URL(tc.in)
			}
			for _, s := range tc.mustNot {
				if strings.Contains(got, s) {
					t.Errorf("got %q, still contains %q", got, s)
				}
			}
			if !strings.Contains(got, tc.mustContain) {
				t.Errorf("got %q, want it to contain %q", got, tc.mustContain)
			}
		})
	}
	if got := r.Text("02"); !strings.HasPrefix(got, "[zip:") {
		t.Errorf("a short value standing alone: got %q, want a placeholder", got)
	}
	var nilR *redactor
	if got := nilR.Text("x@y.z"); got != "x@y.z" {
		t.Errorf("nil redactor changed text: %q", got)
	}
}

func FuzzHAREntry(f *testing.F) {
	f.Add("https://a.example/p?x=1&y=%zz&&z", "a=1; b=2", "application/x-www-form-urlencoded", []byte("k=v&k2=%E2%9C%93"), "gzip", []byte("not gzip"))
	f.Add("", "", "", []byte{0xff, 0xfe}, "", []byte{0x1f, 0x8b, 0x08})
	f.Add("http://[::1]:80/?a=b#frag", "=;;x", "multipart/form-data; boundary=x", []byte("--x--"), "deflate", []byte("x\x9c"))
	f.Fuzz(func(t *testing.T, rawURL, cookie, ctype string, body []byte, enc string, rbody []byte) {
		d := &store.FlowDetail{Flow: phiproxy.Flow{ID: 1, Start: fixtureStart, ServerAddr: rawURL,
			Request:   phiproxy.Request{Method: "POST", URL: rawURL, Header: http.Header{"Cookie": {cookie}, "Content-Type": {ctype}}, Body: body, BodySize: int64(len(body))},
			Response:  &phiproxy.Response{Status: 200, Header: http.Header{"Content-Encoding": {enc}}, Body: rbody, BodySize: int64(len(rbody))},
			WebSocket: []phiproxy.WSMessage{{Data: body, FromClient: true}}}}
		e := harEntryFor(d, nil)
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var got readerEntry
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("unmarshal: %v", err)
		}
		if len(body) > 0 {
			text := []byte(got.Request.PostData.Text)
			if got.Request.PostData.Encoding == "base64" {
				text, _ = base64.StdEncoding.DecodeString(got.Request.PostData.Text)
			}
			if !bytes.Equal(text, body) {
				t.Fatalf("postData: got %q, want %q", text, body)
			}
		}
		if len(got.WebSocketMessages) != 1 {
			t.Fatalf("websocket messages: got %d, want 1", len(got.WebSocketMessages))
		}
	})
}

func FuzzRedact(f *testing.F) {
	f.Add("jane@example.com", "email=jane%40example.com&x=jane@example.com")
	f.Add("Zoloft", "Zoloft Zoloft ZoloftZoloft")
	f.Add("a b+c", "q=a+b%2Bc&r=a%20b%2Bc")
	f.Fuzz(func(t *testing.T, value, text string) {
		r, err := newRedactor()
		if err != nil {
			t.Fatal(err)
		}
		r.add(phiproxy.KindSSN, value, value)
		r.build()
		got, gotURL := r.Text(text), r.URL(text)
		// A value with a character that no placeholder ("[ssn:<hex>]")
		// contains cannot survive, nor be rebuilt across a placeholder.
		if len(value) >= minRedactLen && strings.Trim(value, "[]:sn0123456789abcdef") != "" && !strings.ContainsAny(value, "[]%") {
			if strings.Contains(got, value) {
				t.Fatalf("Text(%q) = %q still holds %q", text, got, value)
			}
			if strings.Contains(gotURL, value) {
				t.Fatalf("URL(%q) = %q still holds %q", text, gotURL, value)
			}
		}
	})
}
