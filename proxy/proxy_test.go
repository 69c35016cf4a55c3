package proxy

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
)

// twoOrigins starts a TLS and a plain origin and a proxy that resolves
// tracker.example.com to them (443 to TLS, 80 to plain) and trusts the
// TLS origin's certificate.
func twoOrigins(t *testing.T, cfg Config, respond func(http.ResponseWriter, *http.Request)) (*rig, *origin, *origin) {
	t.Helper()
	tlsOrigin := newOrigin(t, true, respond)
	plainOrigin := newOrigin(t, false, respond)
	cfg.Resolve = map[string]string{
		"tracker.example.com:443": tlsOrigin.addr(),
		"tracker.example.com:80":  plainOrigin.addr(),
	}
	cfg.UpstreamRoots = tlsOrigin.pool()
	return newRig(t, cfg, nil), tlsOrigin, plainOrigin
}

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response body: %v", err)
	}
	return string(b)
}

func TestForwardsRequestsIntactAndRecordsFlows(t *testing.T) {
	// The environment must never route upstream traffic.
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	r, tlsOrigin, plainOrigin := twoOrigins(t, Config{}, nil)
	client := r.client(t, nil)

	tests := []struct {
		name        string
		method      string
		url         string
		header      map[string]string
		body        string
		chunked     bool
		wantMissing []string // headers the origin must not see
	}{
		{name: "https GET with email in query", method: "GET",
			url:    "https://tracker.example.com/collect?email=jane.doe%40example.com&ev=pageview",
			header: map[string]string{"Referer": "https://clinic.example.com/book?dr=psychiatry", "Cookie": "sid=abc"}},
		{name: "http GET with email in query", method: "GET",
			url: "http://tracker.example.com/collect?email=jane.doe%40example.com&ev=http"},
		{name: "https POST JSON", method: "POST", url: "https://tracker.example.com/events",
			header: map[string]string{"Content-Type": "application/json"},
			body:   `{"event":"Paid: Weekly Therapy","email":"jane@example.com","meds":["sertraline"]}`},
		{name: "http POST form", method: "POST", url: "http://tracker.example.com/form",
			header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			body:   "name=Jane+Doe&dob=1980-02-03&reason=anxiety"},
		{name: "https chunked POST", method: "POST", url: "https://tracker.example.com/chunked",
			header: map[string]string{"Content-Type": "text/plain"}, body: strings.Repeat("chunk of text ", 5000), chunked: true},
		{name: "http chunked POST", method: "POST", url: "http://tracker.example.com/chunked-plain",
			body: strings.Repeat("x", 70000), chunked: true},
		{name: "hop-by-hop headers are not forwarded", method: "GET", url: "https://tracker.example.com/hop",
			header:      map[string]string{"Connection": "X-Hop", "X-Hop": "secret", "Keep-Alive": "timeout=5", "X-End-To-End": "kept"},
			wantMissing: []string{"X-Hop", "Keep-Alive"}},
		{name: "HEAD has no body", method: "HEAD", url: "https://tracker.example.com/head"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
				if tc.chunked {
					body = io.MultiReader(body) // hides the length: the client chunks
				}
			}
			req, err := http.NewRequest(tc.method, tc.url, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("User-Agent", "phiproxy-test/1")
			req.Header.Set("Accept-Encoding", "gzip, br")
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			sent := req.Header.Clone()
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("request through proxy: %v", err)
			}
			respBody := readAll(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status: got %d, want 200 (body %q)", resp.StatusCode, respBody)
			}

			got := pick(tc.url, tlsOrigin, plainOrigin).find(t, req.URL.RequestURI())
			if got.Method != tc.method {
				t.Errorf("origin method: got %q, want %q", got.Method, tc.method)
			}
			if got.Host != "tracker.example.com" {
				t.Errorf("origin Host: got %q, want tracker.example.com", got.Host)
			}
			if string(got.Body) != tc.body {
				t.Errorf("origin body: got %d bytes, want %d identical bytes", len(got.Body), len(tc.body))
			}
			if gotChunked := len(got.TransferEncoding) > 0 && got.TransferEncoding[0] == "chunked"; gotChunked != tc.chunked {
				t.Errorf("origin transfer encoding: got %v, want chunked=%t", got.TransferEncoding, tc.chunked)
			}
			want := endToEnd(sent)
			for _, h := range tc.wantMissing {
				want.Del(h)
			}
			if tc.body != "" && !tc.chunked {
				want.Set("Content-Length", strconv.Itoa(len(tc.body)))
			}
			if g, w := headerString(endToEnd(got.Header)), headerString(want); g != w {
				t.Errorf("origin headers:\ngot  %q\nwant %q", g, w)
			}
			for _, h := range tc.wantMissing {
				if v := got.Header.Get(h); v != "" {
					t.Errorf("origin saw hop-by-hop header %s: %q", h, v)
				}
			}

			f := r.flows.waitURL(t, tc.url)
			checkFlow(t, f, tc.method, tc.url, tc.body, respBody, got)
			if strings.HasPrefix(tc.url, "https://") {
				if f.ConnectTarget != "tracker.example.com:443" {
					t.Errorf("flow ConnectTarget: got %q, want tracker.example.com:443", f.ConnectTarget)
				}
				if f.ServerAddr != tlsOrigin.addr() {
					t.Errorf("flow ServerAddr: got %q, want %q", f.ServerAddr, tlsOrigin.addr())
				}
			} else {
				if f.ConnectTarget != "" {
					t.Errorf("flow ConnectTarget: got %q, want empty for plain HTTP", f.ConnectTarget)
				}
				if f.ServerAddr != plainOrigin.addr() {
					t.Errorf("flow ServerAddr: got %q, want %q", f.ServerAddr, plainOrigin.addr())
				}
			}
			if f.Page != tc.header["Referer"] {
				t.Errorf("flow Page: got %q, want the Referer %q", f.Page, tc.header["Referer"])
			}
			if g, w := headerString(endToEnd(f.Request.Header)), headerString(endToEnd(got.Header)); g != w {
				t.Errorf("flow request headers:\ngot  %q\nwant %q", g, w)
			}
		})
	}
	// Exactly one flow per request.
	for _, tc := range tests {
		if n := r.flows.countURL(tc.url); n != 1 {
			t.Errorf("flows for %s: got %d, want 1", tc.url, n)
		}
	}
}

func pick(u string, tlsOrigin, plainOrigin *origin) *origin {
	if strings.HasPrefix(u, "https://") {
		return tlsOrigin
	}
	return plainOrigin
}

func checkFlow(t *testing.T, f *phiproxy.Flow, method, url, body, respBody string, got received) {
	t.Helper()
	if f.Source != "proxy" {
		t.Errorf("flow Source: got %q, want proxy", f.Source)
	}
	if f.Request.Method != method || f.Request.URL != url {
		t.Errorf("flow request: got %s %s, want %s %s", f.Request.Method, f.Request.URL, method, url)
	}
	if f.Request.Host != "tracker.example.com" {
		t.Errorf("flow Host: got %q, want tracker.example.com", f.Request.Host)
	}
	if f.Request.Proto != "HTTP/1.1" {
		t.Errorf("flow Proto: got %q, want HTTP/1.1", f.Request.Proto)
	}
	if string(f.Request.Body) != body || f.Request.BodySize != int64(len(body)) || f.Request.Truncated {
		t.Errorf("flow request body: got %d bytes (size %d, truncated %t), want %d bytes untruncated",
			len(f.Request.Body), f.Request.BodySize, f.Request.Truncated, len(body))
	}
	if host, _, err := net.SplitHostPort(f.ClientAddr); err != nil || host != "127.0.0.1" {
		t.Errorf("flow ClientAddr: got %q, want 127.0.0.1:port", f.ClientAddr)
	}
	if f.Start.IsZero() || time.Since(f.Start) > time.Minute {
		t.Errorf("flow Start: got %v, want just now", f.Start)
	}
	if f.Error != "" {
		t.Errorf("flow Error: got %q, want none", f.Error)
	}
	if f.Response == nil {
		t.Fatalf("flow Response: got nil")
	}
	if f.Response.Status != http.StatusOK {
		t.Errorf("flow response status: got %d, want 200", f.Response.Status)
	}
	if string(f.Response.Body) != respBody || f.Response.BodySize != int64(len(respBody)) {
		t.Errorf("flow response body: got %q (size %d), want %q", f.Response.Body, f.Response.BodySize, respBody)
	}
	tm := f.Timings
	if tm.Send < 0 || tm.Wait < 0 || tm.Receive < 0 || tm.Total() <= 0 {
		t.Errorf("flow timings: got %+v, want non-negative with a positive total", tm)
	}
}

// uploadRig is a proxy capturing maxBody bytes of a request body, its TLS
// origin (hashing bodies rather than keeping them) and a 20 MB random
// payload.
func uploadRig(t *testing.T, maxBody int64) (*rig, *origin, []byte) {
	t.Helper()
	r, tlsOrigin, _ := twoOrigins(t, Config{MaxBody: maxBody}, nil)
	tlsOrigin.keep = false
	payload := make([]byte, 20<<20)
	if _, err := rand.Read(payload); err != nil {
		t.Fatal(err)
	}
	return r, tlsOrigin, payload
}

func TestLargeUploadIsForwardedWhole(t *testing.T) {
	const maxBody = 1 << 20
	r, tlsOrigin, payload := uploadRig(t, maxBody)
	url := "https://tracker.example.com/upload"
	resp, err := r.client(t, nil).Post(url, "application/octet-stream", bytes.NewReader(payload))
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	if body := readAll(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("upload status: got %d (%q), want 200", resp.StatusCode, body)
	}
	got := tlsOrigin.find(t, "/upload")
	if got.BodySize != int64(len(payload)) || got.BodySHA256 != sha256.Sum256(payload) {
		t.Errorf("origin body: got %d bytes sha %x, want %d bytes sha %x", got.BodySize, got.BodySHA256, len(payload), sha256.Sum256(payload))
	}
	if got.ContentLength != int64(len(payload)) {
		t.Errorf("origin Content-Length: got %d, want %d", got.ContentLength, len(payload))
	}
	f := r.flows.waitURL(t, url)
	if !f.Request.Truncated || f.Request.BodySize != int64(len(payload)) || len(f.Request.Body) != maxBody {
		t.Errorf("flow body: got truncated=%t size=%d len=%d, want truncated size=%d len=%d",
			f.Request.Truncated, f.Request.BodySize, len(f.Request.Body), len(payload), maxBody)
	}
	if !bytes.Equal(f.Request.Body, payload[:maxBody]) {
		t.Errorf("flow body: not the first %d bytes of the upload", maxBody)
	}
}

func TestResponseBodyPrefixKeptAndFramingPreserved(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 200<<10/16)
	r, _, _ := twoOrigins(t, Config{MaxResponseBody: 1024}, func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(big)))
		_, _ = io.WriteString(w, big)
	})
	for _, url := range []string{"https://tracker.example.com/big", "http://tracker.example.com/big"} {
		resp, err := r.client(t, nil).Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		body := readAll(t, resp)
		if body != big {
			t.Errorf("%s: client got %d bytes, want %d identical", url, len(body), len(big))
		}
		if resp.ContentLength != int64(len(big)) || len(resp.TransferEncoding) != 0 {
			t.Errorf("%s: client framing: got Content-Length %d, Transfer-Encoding %v; want %d, none",
				url, resp.ContentLength, resp.TransferEncoding, len(big))
		}
		f := r.flows.waitURL(t, url)
		if f.Response.BodySize != int64(len(big)) || string(f.Response.Body) != big[:1024] {
			t.Errorf("%s: flow response: got size %d prefix %d bytes, want size %d prefix 1024 bytes",
				url, f.Response.BodySize, len(f.Response.Body), len(big))
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestUpstreamFailuresAnswer502(t *testing.T) {
	tlsOrigin := newOrigin(t, true, nil)
	refused := freePort(t)
	r := newRig(t, Config{
		// No UpstreamRoots: the system roots do not know the test origin.
		Resolve: map[string]string{
			"untrusted.example.com": tlsOrigin.addr(),
			"insecure.example.com":  tlsOrigin.addr(),
			"refused.example.com":   refused,
		},
		InsecureHosts: []string{"Insecure.Example.com"},
	}, nil)
	client := r.client(t, nil)

	tests := []struct {
		url        string
		wantStatus int
		wantReason string // substring of Flow.Error and of the 502 body
	}{
		{"https://untrusted.example.com/x", http.StatusBadGateway, "certificate"},
		{"https://refused.example.com/x", http.StatusBadGateway, "connection refused"},
		{"http://refused.example.com/x", http.StatusBadGateway, "connection refused"},
		{"https://insecure.example.com/x", http.StatusOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			resp, err := client.Get(tc.url)
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			body := readAll(t, resp)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status: got %d (%q), want %d", resp.StatusCode, body, tc.wantStatus)
			}
			f := r.flows.waitURL(t, tc.url)
			if tc.wantStatus == http.StatusOK {
				if f.Error != "" || f.Response == nil || f.Response.Status != 200 {
					t.Errorf("flow: got error %q response %v, want a 200 without error", f.Error, f.Response)
				}
				return
			}
			if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/plain" {
				t.Errorf("502 Content-Type: got %q, want text/plain", resp.Header.Get("Content-Type"))
			}
			host := strings.TrimPrefix(strings.TrimPrefix(tc.url, "https://"), "http://")
			host = host[:strings.Index(host, "/")]
			if want := "phiproxy: upstream " + host + ": " + f.Error + "\n"; body != want {
				t.Errorf("502 body:\ngot  %q\nwant %q", body, want)
			}
			if !strings.Contains(f.Error, tc.wantReason) || strings.ContainsAny(f.Error, "\r\n") {
				t.Errorf("flow Error: got %q, want one line containing %q", f.Error, tc.wantReason)
			}
			if f.Response != nil {
				t.Errorf("flow Response: got %+v, want nil (no upstream response)", f.Response)
			}
		})
	}
}

func TestIgnoredHostsAreTunnelledUntouched(t *testing.T) {
	tlsOrigin := newOrigin(t, true, nil)
	r := newRig(t, Config{
		IgnoreHosts:   []string{"pinned.example.com", "*.bank.example"},
		Resolve:       map[string]string{"pinned.example.com": tlsOrigin.addr(), "tracker.example.com": tlsOrigin.addr()},
		UpstreamRoots: tlsOrigin.pool(),
	}, nil)
	roots := tlsOrigin.pool()
	roots.AddCert(r.ca.Certificate())
	client := r.client(t, roots)

	resp, err := client.Get("https://pinned.example.com/account")
	if err != nil {
		t.Fatalf("GET ignored host: %v", err)
	}
	readAll(t, resp)
	if resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0 || !resp.TLS.PeerCertificates[0].Equal(tlsOrigin.Certificate()) {
		t.Errorf("ignored host: client did not see the origin's own certificate")
	}

	resp, err = client.Get("https://tracker.example.com/seen")
	if err != nil {
		t.Fatalf("GET intercepted host: %v", err)
	}
	readAll(t, resp)
	if resp.TLS.PeerCertificates[0].Equal(tlsOrigin.Certificate()) {
		t.Errorf("intercepted host: client saw the origin's certificate, want ours")
	}
	r.flows.waitURL(t, "https://tracker.example.com/seen")
	r.finish(t) // every flow the proxy will ever emit is in now
	for _, f := range r.flows.all() {
		if strings.Contains(f.Request.URL, "pinned.example.com") || strings.Contains(f.ConnectTarget, "pinned") {
			t.Errorf("got a flow for the ignored host: %s %s", f.Request.Method, f.Request.URL)
		}
	}
	if n := len(r.flows.all()); n != 1 {
		t.Errorf("flows: got %d, want 1", n)
	}
}

func TestConcurrentClientsGetOneFlowPerRequest(t *testing.T) {
	const clients, perClient = 200, 5
	r, _, _ := twoOrigins(t, Config{}, nil)
	var wg sync.WaitGroup
	errs := make(chan error, clients*perClient)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := r.client(t, nil)
			scheme := "https"
			if c%2 == 1 {
				scheme = "http"
			}
			for i := range perClient {
				url := fmt.Sprintf("%s://tracker.example.com/c%d/r%d", scheme, c, i)
				resp, err := client.Get(url)
				if err != nil {
					errs <- fmt.Errorf("%s: %w", url, err)
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || string(body) != fmt.Sprintf("ok /c%d/r%d", c, i) {
					errs <- fmt.Errorf("%s: status %d body %q err %v", url, resp.StatusCode, body, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	r.finish(t) // duplicates, if any, are in now
	seen := map[string]int{}
	for _, f := range r.flows.all() {
		seen[f.Request.URL]++
	}
	if len(seen) != clients*perClient {
		t.Errorf("distinct flows: got %d, want %d", len(seen), clients*perClient)
	}
	for u, n := range seen {
		if n != 1 {
			t.Errorf("flows for %s: got %d, want 1", u, n)
		}
	}
}

// finish shuts the proxy down. Shutdown returns once every exchange has
// emitted its flow (TestShutdownWaitsForInFlightExchange), so afterwards
// r.flows holds every flow there will be: a test can check that some flow
// never came without guessing how long it might take.
func (r *rig) finish(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := r.srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func TestShutdownWaitsForInFlightExchange(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	r, _, _ := twoOrigins(t, Config{}, func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.WriteString(w, "first half;")
		w.(http.Flusher).Flush()
		close(started)
		select {
		case <-release:
		case <-time.After(waitLimit):
		}
		_, _ = io.WriteString(w, "second half")
	})
	url := "https://tracker.example.com/slow"
	type result struct {
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := r.client(t, nil).Get(url)
		if err != nil {
			done <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{string(b), err}
	}()
	select {
	case <-started:
	case <-time.After(waitLimit):
		t.Fatal("origin never got the request")
	}
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		shut <- r.srv.Shutdown(ctx)
	}()
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) while an exchange was in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	select {
	case err := <-shut:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Shutdown did not return")
	}
	if n := r.flows.countURL(url); n != 1 {
		t.Errorf("flows when Shutdown returned: got %d, want 1", n)
	}
	res := <-done
	if res.err != nil || res.body != "first half;second half" {
		t.Errorf("client: got %q, %v; want the whole body", res.body, res.err)
	}
	if _, err := net.DialTimeout("tcp", r.proxyURL.Host, time.Second); err == nil {
		t.Errorf("proxy still accepts connections after Shutdown")
	}
}

// TestShutdownCutsStuckExchangeShort: a response still streaming when the
// grace period ends is cut short; its flow arrives with the reason, long
// before the origin would have finished, and Shutdown reports success.
func TestShutdownCutsStuckExchangeShort(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{}, 1)
	r, _, _ := twoOrigins(t, Config{}, func(w http.ResponseWriter, req *http.Request) {
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		started <- struct{}{}
		select {
		case <-release:
		case <-time.After(waitLimit):
		}
	})
	go func() {
		resp, err := r.client(t, nil).Get("https://tracker.example.com/stuck")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	select {
	case <-started:
	case <-time.After(waitLimit):
		t.Fatal("origin never got the request")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := r.srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: got %v, want nil", err)
	}
	f := r.flows.waitURL(t, "https://tracker.example.com/stuck")
	if !strings.Contains(f.Error, "cut short") || !strings.Contains(f.Error, "shutting down") {
		t.Errorf("flow Error: got %q, want the response cut short by the shutdown", f.Error)
	}
}

func BenchmarkProxyGET(b *testing.B) {
	for _, scheme := range []string{"http", "https"} {
		b.Run(scheme, func(b *testing.B) {
			tlsOrigin := newOrigin(b, true, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "ok")
			})
			plainOrigin := newOrigin(b, false, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, "ok")
			})
			tlsOrigin.keep, plainOrigin.keep = false, false
			tlsOrigin.forget, plainOrigin.forget = true, true
			r := newRig(b, Config{
				Resolve: map[string]string{
					"tracker.example.com:443": tlsOrigin.addr(),
					"tracker.example.com:80":  plainOrigin.addr(),
				},
				UpstreamRoots: tlsOrigin.pool(),
			}, nil)
			client := r.client(b, nil)
			client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
			url := scheme + "://tracker.example.com/bench?email=jane%40example.com"
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(url)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		})
	}
}

func TestHTTP2Upstream(t *testing.T) {
	o := newTLSOriginWith(t, func(s *httptest.Server) { s.EnableHTTP2 = true })
	r := newRig(t, Config{
		Resolve:       map[string]string{"h2.example.com": o.addr()},
		UpstreamRoots: o.pool(),
	}, nil)
	url := "https://h2.example.com/h2?patient=jane"
	body := `{"dx":"F32.9"}`
	resp, err := r.client(t, nil).Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	if got := readAll(t, resp); resp.StatusCode != 200 || got != "ok /h2" {
		t.Fatalf("response: got %d %q, want 200 %q", resp.StatusCode, got, "ok /h2")
	}
	got := o.find(t, "/h2?patient=jane")
	if got.Proto != "HTTP/2.0" || string(got.Body) != body {
		t.Errorf("origin: got %s with body %q, want HTTP/2.0 with %q", got.Proto, got.Body, body)
	}
	f := r.flows.waitURL(t, url)
	if f.Response == nil || f.Response.Proto != "HTTP/2.0" || string(f.Request.Body) != body {
		t.Errorf("flow: got response %+v body %q, want an HTTP/2.0 response and body %q", f.Response, f.Request.Body, body)
	}
}

func TestNonProxyRequestIsRefused(t *testing.T) {
	r := newRig(t, Config{}, nil)
	resp, err := http.Get("http://" + r.proxyURL.Host + "/")
	if err != nil {
		t.Fatalf("GET /: %v", err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "this is a proxy") {
		t.Errorf("direct request: got %d %q, want 400 explaining it is a proxy", resp.StatusCode, body)
	}
	if n := len(r.flows.all()); n != 0 {
		t.Errorf("flows: got %d, want 0", n)
	}
}
