package capture

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/internal/testenv"
)

// stopProcess interrupts cmd the way a user pressing ^C would, and kills it
// if it does not exit in time.
func stopProcess(t *testing.T, cmd *exec.Cmd, stderr *testenv.Buffer) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not stop on SIGINT; stderr:\n%s", cmd.Path, stderr)
	}
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// echoOrigin is an HTTP origin on 127.0.0.1 that records the bodies it got.
func echoOrigin(t *testing.T, tlsServer bool) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "got %d bytes", len(body))
	})
	var srv *httptest.Server
	if tlsServer {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.Listener.Addr().String(), "127.0.0.1:") {
		t.Fatalf("origin listens on %s, want 127.0.0.1", srv.Listener.Addr())
	}
	return srv
}

func portOf(t *testing.T, srv *httptest.Server) string {
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// segmentedRequest writes an HTTP request through a raw connection in small
// pieces with TCP_NODELAY and pauses, so that it crosses the wire as several
// segments, and reads the response.
func segmentedRequest(t *testing.T, addr string, pieces []string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetNoDelay(true)
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	for _, p := range pieces {
		if _, err := io.WriteString(conn, p); err != nil {
			t.Fatalf("write piece: %v", err)
		}
		time.Sleep(30 * time.Millisecond)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("segmented request response: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

type sentRequest struct {
	method, url, body string
}

// sendPHIRequests sends the plaintext requests both real-tool tests look
// for, through client, to the origin at base.
func sendPHIRequests(t *testing.T, client *http.Client, base string) []sentRequest {
	t.Helper()
	sent := []sentRequest{
		{"GET", base + "/search?email=jane.doe%40example.com&dob=1984-03-02", ""},
		{"POST", base + "/appointments", url.Values{"name": {"Jane Doe"}, "reason": {"HIV test"}}.Encode()},
		{"POST", base + "/api/intake", `{"email":"jane.doe@example.com","medication":"sertraline"}`},
	}
	types := []string{"", "application/x-www-form-urlencoded", "application/json"}
	for i, s := range sent {
		var body io.Reader
		if s.body != "" {
			body = strings.NewReader(s.body)
		}
		req, err := http.NewRequest(s.method, s.url, body)
		if err != nil {
			t.Fatal(err)
		}
		if types[i] != "" {
			req.Header.Set("Content-Type", types[i])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", s.method, s.url, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: status %d", s.method, s.url, resp.StatusCode)
		}
	}
	return sent
}

func findSent(t *testing.T, flows []*phiproxy.Flow, sent []sentRequest) {
	t.Helper()
	for _, s := range sent {
		found := false
		for _, f := range flows {
			if f.Request.Method == s.method && f.Request.URL == s.url {
				found = true
				if string(f.Request.Body) != s.body {
					t.Errorf("%s %s body: got %q, want %q", s.method, s.url, f.Request.Body, s.body)
				}
				if f.Response == nil || f.Response.Status != 200 {
					t.Errorf("%s %s: response %+v, want status 200", s.method, s.url, f.Response)
				}
			}
		}
		if !found {
			t.Errorf("%s %s not found in %v", s.method, s.url, flowURLs(flows))
		}
	}
}

func TestReadPcapFromDumpcap(t *testing.T) {
	dumpcap := testenv.Program(t, "dumpcap")
	plain := echoOrigin(t, false)
	secure := echoOrigin(t, true)
	out := filepath.Join(t.TempDir(), "lo.pcapng")
	filter := fmt.Sprintf("tcp port %s or tcp port %s", portOf(t, plain), portOf(t, secure))
	var stderr testenv.Buffer
	cmd := exec.Command(dumpcap, "-i", "lo", "-f", filter, "-w", out)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dumpcap: %v", err)
	}
	if !testenv.WaitFor(15*time.Second, func() bool { return strings.Contains(stderr.String(), "Capturing on") && fileSize(out) > 0 }) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("dumpcap did not start capturing; stderr:\n%s", stderr.String())
	}
	// "Capturing on" is printed before the filter is live: knock on the
	// origin (connect and close, no payload, so no flow) until packets
	// reach the file.
	headerSize := fileSize(out)
	capturing := testenv.WaitFor(15*time.Second, func() bool {
		if c, err := net.DialTimeout("tcp", plain.Listener.Addr().String(), time.Second); err == nil {
			c.Close()
		}
		time.Sleep(100 * time.Millisecond)
		return fileSize(out) > headerSize
	})
	if !capturing {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("dumpcap wrote no packets; stderr:\n%s", stderr.String())
	}

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	sent := sendPHIRequests(t, client, plain.URL)
	segmentedBody := `{"ssn":"123-45-6789","condition":"bipolar disorder"}`
	segmentedRequest(t, plain.Listener.Addr().String(), []string{
		"PO", "ST /segmented HTTP/1.1\r\nHo", "st: " + plain.Listener.Addr().String() + "\r\nContent-Type: application/json\r\n",
		fmt.Sprintf("Content-Length: %d\r\nConnection: close\r\n\r\n", len(segmentedBody)),
		segmentedBody[:10], segmentedBody[10:],
	})
	sent = append(sent, sentRequest{"POST", plain.URL + "/segmented", segmentedBody})

	tlsClient := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{ServerName: "portal.clinic.test", InsecureSkipVerify: true},
	}}
	resp, err := tlsClient.Get(secure.URL + "/secret?email=jane.doe%40example.com")
	if err != nil {
		t.Fatalf("TLS request: %v", err)
	}
	resp.Body.Close()

	// Everything sent so far was captured once a packet sent after it is
	// in the file: knock once more and wait for that knock's packets.
	if !testenv.CapturedKnock(t, out, plain.Listener.Addr().String()) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("dumpcap did not write the last packets; stderr:\n%s", stderr.String())
	}
	stopProcess(t, cmd, &stderr)

	var flows []*phiproxy.Flow
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sum, err := ReadFile(ctx, out, func(f *phiproxy.Flow) error {
		flows = append(flows, f)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	if keep := os.Getenv("PHIPROXY_KEEP_CAPTURE"); keep != "" {
		data, _ := os.ReadFile(out)
		os.WriteFile(keep, data, 0o600)
	}
	t.Logf("summary: %+v", sum)
	findSent(t, flows, sent)
	if len(flows) != len(sent) {
		t.Errorf("flows: got %v, want exactly the %d sent", flowURLs(flows), len(sent))
	}
	for _, f := range flows {
		if f.ClientAddr == "" || !strings.HasPrefix(f.ServerAddr, "127.0.0.1:") || f.Start.IsZero() {
			t.Errorf("%s: addresses %q -> %q, start %v", f.Request.URL, f.ClientAddr, f.ServerAddr, f.Start)
		}
	}
	if len(sum.Encrypted) != 1 || sum.Encrypted[0].SNI != "portal.clinic.test" || sum.Encrypted[0].Server != secure.Listener.Addr().String() {
		t.Errorf("encrypted: got %+v, want one to %s with SNI portal.clinic.test", sum.Encrypted, secure.Listener.Addr())
	}
}

func TestReadHARFromMitmdump(t *testing.T) {
	mitmdump := testenv.Program(t, "mitmdump")
	// mitmproxy before 10.1 has no built-in HAR export; its contrib script
	// adds the "hardump" option that later versions have natively.
	const harScript = "/usr/share/doc/mitmproxy/examples/contrib/har_dump.py"
	args := []string{}
	if out, _ := exec.Command(mitmdump, "--options").Output(); !bytes.Contains(out, []byte("\nhardump:")) {
		testenv.File(t, harScript)
		args = append(args, "-s", harScript)
	}
	origin := echoOrigin(t, false)
	dir := t.TempDir()
	harPath := filepath.Join(dir, "flows.har")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxyAddr := l.Addr().String()
	_, port, _ := net.SplitHostPort(proxyAddr)
	l.Close()

	args = append(args, "--listen-host", "127.0.0.1", "-p", port,
		"--set", "confdir="+filepath.Join(dir, "mitmproxy"),
		"--set", "hardump="+harPath, "-q")
	var stderr testenv.Buffer
	cmd := exec.Command(mitmdump, args...)
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mitmdump: %v", err)
	}
	up := testenv.WaitFor(20*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", proxyAddr, 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	if !up {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("mitmdump did not listen on %s; output:\n%s", proxyAddr, stderr.String())
	}
	proxyURL, _ := url.Parse("http://" + proxyAddr)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
	sent := sendPHIRequests(t, client, origin.URL)
	stopProcess(t, cmd, &stderr)

	var flows []*phiproxy.Flow
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sum, err := ReadFile(ctx, harPath, func(f *phiproxy.Flow) error {
		flows = append(flows, f)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadFile: %v; mitmdump output:\n%s", err, stderr.String())
	}
	findSent(t, flows, sent)
	if sum.Flows != len(sent) {
		t.Errorf("summary flows: got %d, want %d", sum.Flows, len(sent))
	}
	for _, f := range flows {
		if f.Source != "har" || f.Start.IsZero() || !strings.HasPrefix(f.ServerAddr, "127.0.0.1:") {
			t.Errorf("%s: source %q start %v server %q", f.Request.URL, f.Source, f.Start, f.ServerAddr)
		}
	}
}
