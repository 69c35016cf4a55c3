package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy/internal/testenv"
)

func sizeOf(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// sentRequest is a request a test sent, to find again in a recording.
type sentRequest struct{ method, url, body string }

// sendTrackerMix sends the same tracker-like requests, PHI in three of
// them, through whatever client it is given, and returns them.
func sendTrackerMix(t *testing.T, c *http.Client, base string) []sentRequest {
	t.Helper()
	reqs := []struct{ method, path, ctype, body string }{
		{"GET", "/tr?id=1&ev=PageView&em=jane.doe%40example.com&dl=https%3A%2F%2Fclinic.test%2Fconditions%2Fdepression", "", ""},
		{"POST", "/v1/t", "text/plain", `{"event":"Order Completed","properties":{"medication":"sertraline","sku":"A-100"}}`},
		{"POST", "/messenger/web/ping", "application/x-www-form-urlencoded", "app_id=x1&user_data=%7B%22email%22%3A%22ann.lee%40example.net%22%7D"},
		{"GET", "/plain?q=shoes&size=9", "", ""},
	}
	var sent []sentRequest
	for _, r := range reqs {
		if code, _ := do(t, c, r.method, base+r.path, r.ctype, r.body); code != 200 {
			t.Fatalf("%s %s: status %d", r.method, r.path, code)
		}
		sent = append(sent, sentRequest{r.method, base + r.path, r.body})
	}
	return sent
}

// findingSet renders JSON Lines findings as sorted "kind term severity"
// lines, the part that must not depend on how traffic was recorded.
func findingSet(t *testing.T, jsonl string) []string {
	t.Helper()
	var out []string
	for _, r := range parseJSONLines(t, jsonl) {
		out = append(out, fmt.Sprintf("%v %v %v", r["kind"], r["term"], r["severity"]))
	}
	sort.Strings(out)
	return out
}

// TestScanMatchesLiveProxy sends one request mix through the live proxy
// while dumpcap records the proxy's upstream side, and again through
// mitmdump writing a HAR; scanning the pcap, mitmdump's HAR and phiproxy's
// own exported HAR must find what the live proxy found.
func TestScanMatchesLiveProxy(t *testing.T) {
	dumpcap := testenv.Program(t, "dumpcap")
	mitmdump := testenv.Program(t, "mitmdump")
	dir := t.TempDir()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer origin.Close()
	_, originPort, _ := net.SplitHostPort(origin.Listener.Addr().String())

	// 1. Live, with dumpcap on the origin's port.
	pcap := filepath.Join(dir, "upstream.pcapng")
	var capErr testenv.Buffer
	capture := exec.Command(dumpcap, "-i", "lo", "-f", "tcp port "+originPort, "-w", pcap)
	capture.Stderr = &capErr
	if err := capture.Start(); err != nil {
		t.Fatal(err)
	}
	defer capture.Process.Kill()
	if !testenv.WaitFor(15*time.Second, func() bool { return strings.Contains(capErr.String(), "Capturing on") && sizeOf(pcap) > 0 }) {
		t.Fatalf("dumpcap did not start: %s", capErr.String())
	}
	// The filter goes live a little after "Capturing on": knock until
	// packets reach the file.
	head := sizeOf(pcap)
	if !testenv.WaitFor(15*time.Second, func() bool {
		if c, err := net.Dial("tcp", origin.Listener.Addr().String()); err == nil {
			c.Close()
		}
		time.Sleep(100 * time.Millisecond)
		return sizeOf(pcap) > head
	}) {
		t.Fatalf("dumpcap wrote no packets: %s", capErr.String())
	}
	live := startProxy(t)
	sendTrackerMix(t, live.client(t), origin.URL)
	live.stop(t)
	if !testenv.CapturedKnock(t, pcap, origin.Listener.Addr().String()) {
		t.Fatalf("dumpcap did not write the last packets: %s", capErr.String())
	}
	capture.Process.Signal(os.Interrupt)
	capture.Wait()

	_, liveOut, _ := cli(t, "findings", "--json", "--db", live.db)
	want := findingSet(t, liveOut)
	if len(want) < 3 {
		t.Fatalf("live proxy found too little to compare: %v", want)
	}

	// 2. mitmdump writing a HAR of the same traffic.
	har := filepath.Join(dir, "mitm.har")
	mitmAddr := freeAddr(t)
	host, port, _ := net.SplitHostPort(mitmAddr)
	args := []string{"-q", "--listen-host", host, "-p", port, "--set", "confdir=" + filepath.Join(dir, "mitm"), "--set", "hardump=" + har}
	if out, _ := exec.Command(mitmdump, "--options").Output(); !bytes.Contains(out, []byte("\nhardump:")) {
		// mitmproxy before 10.1 exports HAR through its contrib script.
		args = append([]string{"-s", "/usr/share/doc/mitmproxy/examples/contrib/har_dump.py"}, args...)
	}
	var mitmOut testenv.Buffer
	mitm := exec.Command(mitmdump, args...)
	mitm.Stdout, mitm.Stderr = &mitmOut, &mitmOut
	if err := mitm.Start(); err != nil {
		t.Fatal(err)
	}
	defer mitm.Process.Kill()
	if !testenv.WaitFor(20*time.Second, func() bool {
		c, err := net.Dial("tcp", mitmAddr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		t.Fatalf("mitmdump did not start: %s", mitmOut.String())
	}
	sendTrackerMix(t, &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: mitmAddr})}}, origin.URL)
	mitm.Process.Signal(os.Interrupt)
	mitm.Wait()

	// 3. phiproxy's own export of the live session.
	bundle := filepath.Join(dir, "bundle")
	if code, _, errOut := cli(t, "export", "--db", live.db, "--dir", bundle); code != 0 {
		t.Fatalf("export: %s", errOut)
	}

	for name, file := range map[string]string{"pcap": pcap, "mitmdump HAR": har, "exported HAR": filepath.Join(bundle, "evidence.har")} {
		db := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".db")
		code, out, errOut := cli(t, "scan", "--json", "--fail-on", "critical", "--db", db, file)
		if code == 2 {
			t.Fatalf("scan %s: exit 2: %s", name, errOut)
		}
		checkFindingLines(t, out, false)
		got := findingSet(t, out)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("scan of %s differs from the live proxy:\ngot  %v\nwant %v\nstderr: %s", name, got, want, errOut)
		}
	}

	// --fail-on decides the exit code from the worst finding.
	worst := 0
	for _, line := range want {
		for i, s := range []string{"info", "low", "medium", "high", "critical"} {
			if strings.HasSuffix(line, " "+s) && i > worst {
				worst = i
			}
		}
	}
	for i, failOn := range []string{"info", "low", "medium", "high", "critical"} {
		wantCode := 0
		if worst >= i {
			wantCode = 1
		}
		code, _, errOut := cli(t, "scan", "--fail-on", failOn, "--db", filepath.Join(dir, "f.db"), pcap)
		if code != wantCode {
			t.Errorf("scan --fail-on %s: exit %d, want %d (worst finding %d); %s", failOn, code, wantCode, worst, errOut)
		}
	}

	// A truncated capture names the file and the offset, and exits 2.
	data, _ := os.ReadFile(pcap)
	cut := filepath.Join(dir, "cut.pcapng")
	os.WriteFile(cut, data[:len(data)-7], 0o600)
	code, _, errOut := cli(t, "scan", "--db", filepath.Join(dir, "cut.db"), cut)
	if code != 2 || !strings.Contains(errOut, "cut.pcapng") || !strings.Contains(errOut, "offset") {
		t.Fatalf("truncated pcap: exit %d, stderr %q; want 2 naming the file and offset", code, errOut)
	}
}
