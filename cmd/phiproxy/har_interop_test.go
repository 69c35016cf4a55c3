package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy/internal/testenv"
)

// TestExportedHARReadsBackInHTTPSnippet opens phiproxy's HAR export of a
// live session with httpsnippet (tools/harcheck/read.js), a HAR consumer
// phiproxy does not maintain, beside the schema check in evidence: it must
// read every entry back with its method, URL and body.
func TestExportedHARReadsBackInHTTPSnippet(t *testing.T) {
	node := testenv.Program(t, "node")
	reader, err := filepath.Abs("../../tools/harcheck/read.js")
	if err != nil {
		t.Fatal(err)
	}
	testenv.File(t, filepath.Join(filepath.Dir(reader), "node_modules", "httpsnippet"))

	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer origin.Close()
	live := startProxy(t)
	var sent []sentRequest
	for _, s := range sendTrackerMix(t, live.client(t), origin.URL) {
		// The export holds the flows with findings: all but the one
		// request of the mix that carries no PHI.
		if !strings.Contains(s.url, "/plain") {
			sent = append(sent, s)
		}
	}
	live.stop(t)
	bundle := filepath.Join(t.TempDir(), "bundle")
	if code, _, errOut := cli(t, "export", "--db", live.db, "--dir", bundle); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}

	out, err := exec.Command(node, reader, filepath.Join(bundle, "evidence.har")).Output()
	if err != nil {
		t.Fatalf("httpsnippet could not read the export: %v\n%s", err, stderrOf(err))
	}
	var got struct {
		Requests int
		Entries  []struct{ Method, URL, Body, Curl string }
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("read.js output: %v: %s", err, out)
	}
	if got.Requests != len(sent) || len(got.Entries) != len(sent) {
		t.Fatalf("httpsnippet read %d requests (%d entries), want %d", got.Requests, len(got.Entries), len(sent))
	}
	for _, s := range sent {
		found := false
		for _, e := range got.Entries {
			if e.Method != s.method || e.URL != s.url {
				continue
			}
			found = true
			if e.Body != s.body {
				t.Errorf("%s %s: body read back %q, want %q", s.method, s.url, e.Body, s.body)
			}
			if !strings.Contains(e.Curl, "--url '"+s.url+"'") && !strings.Contains(e.Curl, s.url) {
				t.Errorf("%s %s: curl command lacks the URL: %s", s.method, s.url, e.Curl)
			}
		}
		if !found {
			t.Errorf("%s %s not read back; entries: %+v", s.method, s.url, got.Entries)
		}
	}
}

// stderrOf returns what a failed command printed on stderr.
func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
