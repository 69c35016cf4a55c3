package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHostileInputNeverBreaksBrowsing sends what a broken or malicious
// page might: garbage instead of HTTP, garbage inside a MITM'd tunnel, and
// bodies that defeat decoders (truncated gzip, invalid JSON, 100-level
// nesting, a decompression bomb, invalid UTF-8). Every well-formed request
// must still reach the origin intact, the proxy must stay up, and
// inspection must record what it could.
func TestHostileInputNeverBreaksBrowsing(t *testing.T) {
	o := newOrigin(t)
	r := startProxy(t, "--resolve", "tracker.test="+o.addr(), "--upstream-ca", o.certFile, "--store-all")

	// Garbage instead of a request line.
	conn, err := net.DialTimeout("tcp", r.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(conn, "\x16\x03\x01 not http at all\r\n\r\n")
	line, _ := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	if !strings.HasPrefix(line, "HTTP/1.1 400") {
		t.Errorf("garbage request: got %q, want a 400", line)
	}

	// Garbage inside an intercepted tunnel.
	conn, err = net.DialTimeout("tcp", r.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(conn, "CONNECT tracker.test:443 HTTP/1.1\r\nHost: tracker.test:443\r\n\r\n")
	br := bufio.NewReader(conn)
	if line, _ := br.ReadString('\n'); !strings.Contains(line, "200") {
		t.Fatalf("CONNECT: %q", line)
	}
	for {
		l, err := br.ReadString('\n')
		if err != nil || l == "\r\n" {
			break
		}
	}
	caPEM, _ := os.ReadFile(filepath.Join(r.ca, "ca.pem"))
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	tconn := tls.Client(conn, &tls.Config{ServerName: "tracker.test", RootCAs: roots})
	if err := tconn.Handshake(); err != nil {
		t.Fatalf("TLS through the tunnel: %v", err)
	}
	fmt.Fprint(tconn, "BROKEN\x00REQUEST\r\nno headers\r\n\r\n")
	tconn.Read(make([]byte, 512)) // a 400 or a close; either is fine
	tconn.Close()

	// Bodies that defeat decoders, sent as a browser would.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"email":"trunc.gzip@example.com","medication":"sertraline"}`))
	zw.Close()
	truncated := gz.Bytes()[:gz.Len()-6]

	var bomb bytes.Buffer
	bw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for i := 0; i < 512; i++ { // 512 MiB of zeros, about 0.5 MiB compressed
		bw.Write(zeros)
	}
	bw.Close()

	nested := strings.Repeat(`{"a":`, 100) + `"deep.nest@example.com"` + strings.Repeat(`}`, 100)
	cases := []struct {
		name, ctype, encoding string
		body                  []byte
	}{
		{"truncated gzip", "application/json", "gzip", truncated},
		{"gzip bomb", "text/plain", "gzip", bomb.Bytes()},
		{"invalid JSON", "application/json", "", []byte(`{"email": "bad.json@example.com", "x": [1, 2,,}`)},
		{"100-level nesting", "application/json", "", []byte(nested)},
		{"invalid UTF-8", "text/plain", "", []byte("name=\xff\xfe\xfd&email=utf8.bad@example.com")},
		{"lying content type", "image/png", "", []byte(`{"email":"liar@example.com"}`)},
	}
	c := r.client(t)
	for _, tc := range cases {
		req, _ := http.NewRequest("POST", "https://tracker.test/collect?case="+strings.ReplaceAll(tc.name, " ", "-"), bytes.NewReader(tc.body))
		req.Header.Set("Content-Type", tc.ctype)
		if tc.encoding != "" {
			req.Header.Set("Content-Encoding", tc.encoding)
		}
		start := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s: request failed: %v", tc.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d, want 200 from the origin", tc.name, resp.StatusCode)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: took %v: inspection must never hold a request", tc.name, d)
		}
	}
	// The origin got every body byte for byte.
	o.mu.Lock()
	got := map[string][]byte{}
	for _, rec := range o.got {
		got[rec.uri] = rec.body
	}
	o.mu.Unlock()
	for _, tc := range cases {
		uri := "/collect?case=" + strings.ReplaceAll(tc.name, " ", "-")
		if !bytes.Equal(got[uri], tc.body) {
			t.Errorf("%s: origin received %d bytes, want the %d sent", tc.name, len(got[uri]), len(tc.body))
		}
	}
	// The proxy is still up and still finds PHI.
	do(t, c, "GET", "https://tracker.test/after?em=still.fine%40example.com", "", "")
	r.stop(t)

	if n := sqlite(t, r.db, "SELECT count(*) FROM flows WHERE url LIKE '%/collect?case=%'"); n != fmt.Sprint(len(cases)) {
		t.Errorf("hostile flows recorded: got %s, want %d", n, len(cases))
	}
	if n := sqlite(t, r.db, "SELECT count(*) FROM flows WHERE url LIKE '%case=truncated-gzip%' AND notes LIKE '%gzip%'"); n != "1" {
		t.Errorf("truncated gzip flow has no decode note: %s", sqlite(t, r.db, "SELECT notes FROM flows WHERE url LIKE '%truncated-gzip%'"))
	}
	for _, email := range []string{"deep.nest@example.com", "utf8.bad@example.com", "liar@example.com", "still.fine@example.com"} {
		if n := sqlite(t, r.db, "SELECT count(*) FROM findings WHERE kind='email' AND term='"+email+"'"); n == "0" {
			t.Errorf("no finding for %s", email)
		}
	}
}
