package proxy

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy/certs"
)

func TestNewValidatesConfig(t *testing.T) {
	ca, err := certs.Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"no CA", Config{}, "CA is required"},
		{"negative MaxBody", Config{CA: ca, MaxBody: -1}, "negative"},
		{"bad ignore glob", Config{CA: ca, IgnoreHosts: []string{"[bank"}}, "not a valid glob"},
		{"resolve to a name", Config{CA: ca, Resolve: map[string]string{"a.example": "b.example"}}, "not ip or ip:port"},
		{"resolve to a bad port", Config{CA: ca, Resolve: map[string]string{"a.example": "127.0.0.1:http2x"}}, "bad port"},
		{"socks upstream", Config{CA: ca, UpstreamProxy: &url.URL{Scheme: "socks5", Host: "127.0.0.1:1080"}}, "scheme"},
		{"valid", Config{CA: ca, IgnoreHosts: []string{"*.bank.example"}, Resolve: map[string]string{"a.example:443": "127.0.0.1:8443", "b.example": "::1"}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("New: got %v, want no error", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("New: got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
	s, err := New(Config{CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	if s.s.MaxBody != DefaultMaxBody || s.s.MaxResponseBody != DefaultMaxResponseBody {
		t.Errorf("defaults: got MaxBody %d MaxResponseBody %d, want %d and %d", s.s.MaxBody, s.s.MaxResponseBody, DefaultMaxBody, DefaultMaxResponseBody)
	}
	if s.strict.Proxy != nil || s.loose.Proxy != nil {
		t.Errorf("transports read a proxy setting; want none without UpstreamProxy")
	}
}

func TestIgnoredHostGlobs(t *testing.T) {
	st, err := newSettings(Config{CA: &certs.Authority{}, IgnoreHosts: []string{"*.Bank.example", "pinned.example.com", "10.0.0.*"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host string
		want bool
	}{
		{"www.bank.example:443", true},
		{"WWW.BANK.EXAMPLE:443", true},
		{"login.www.bank.example:443", true}, // path.Match's * spans dots
		{"bank.example:443", false},
		{"pinned.example.com:443", true},
		{"pinned.example.com", true},
		{"notpinned.example.com:443", false},
		{"10.0.0.7:443", true},
		{"[::1]:443", false},
		{"tracker.example:443", false},
	}
	for _, tc := range tests {
		if got := st.ignored(tc.host); got != tc.want {
			t.Errorf("ignored(%q): got %t, want %t", tc.host, got, tc.want)
		}
	}
}

func TestResolveAddr(t *testing.T) {
	st, err := newSettings(Config{CA: &certs.Authority{}, Resolve: map[string]string{
		"Tracker.example:443": "127.0.0.1:8443",
		"tracker.example":     "127.0.0.2",
		"v6.example":          "::1",
		"port.example":        "127.0.0.3:9000",
	}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ addr, want string }{
		{"tracker.example:443", "127.0.0.1:8443"}, // host:port wins
		{"TRACKER.example:80", "127.0.0.2:80"},
		{"v6.example:443", "[::1]:443"},
		{"port.example:80", "127.0.0.3:9000"},
		{"other.example:443", "other.example:443"},
		{"not-an-address", "not-an-address"},
	}
	for _, tc := range tests {
		if got := st.resolveAddr(tc.addr); got != tc.want {
			t.Errorf("resolveAddr(%q): got %q, want %q", tc.addr, got, tc.want)
		}
	}
}

func TestRemoveHopByHop(t *testing.T) {
	tests := []struct {
		name    string
		in      http.Header
		upgrade bool
		want    http.Header
	}{
		{"plain request",
			http.Header{"Connection": {"keep-alive, X-Private"}, "X-Private": {"1"}, "Keep-Alive": {"timeout=5"}, "Te": {"gzip"}, "Upgrade": {"h2c"}, "Cookie": {"a=b"}},
			false, http.Header{"Cookie": {"a=b"}}},
		{"TE trailers survives",
			http.Header{"Te": {"trailers, deflate"}, "Accept": {"*/*"}},
			false, http.Header{"Te": {"trailers"}, "Accept": {"*/*"}}},
		{"websocket handshake keeps Connection and Upgrade",
			http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Key": {"k"}, "Keep-Alive": {"1"}},
			true, http.Header{"Connection": {"Upgrade"}, "Upgrade": {"websocket"}, "Sec-Websocket-Key": {"k"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.in.Clone()
			removeHopByHop(h, tc.upgrade)
			if got, want := headerString(h), headerString(tc.want); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestTimings(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tests := []struct {
		name                         string
		sent, first, end             time.Time
		wantSend, wantWait, wantRecv time.Duration
	}{
		{"normal", at(10), at(30), at(100), 10 * time.Millisecond, 20 * time.Millisecond, 70 * time.Millisecond},
		{"response before request written", at(50), at(30), at(100), 30 * time.Millisecond, 0, 70 * time.Millisecond},
		{"never sent", time.Time{}, time.Time{}, at(5), 5 * time.Millisecond, 0, 0},
	}
	for _, tc := range tests {
		got := timings(t0, tc.sent, tc.first, tc.end)
		if got.Send != tc.wantSend || got.Wait != tc.wantWait || got.Receive != tc.wantRecv {
			t.Errorf("%s: got %+v, want send %v wait %v receive %v", tc.name, got, tc.wantSend, tc.wantWait, tc.wantRecv)
		}
	}
}

// upstreamProxy is a minimal forward proxy that sends tunnels to one
// address and plain requests to another, and records what it was asked.
type upstreamProxy struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string // "METHOD host auth"
}

func newUpstreamProxy(t *testing.T, target, plainTarget string) *upstreamProxy {
	t.Helper()
	u := &upstreamProxy{}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, plainTarget)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.seen = append(u.seen, r.Method+" "+r.Host+" "+r.Header.Get("Proxy-Authorization"))
		u.mu.Unlock()
		if r.Method != http.MethodConnect {
			out := r.Clone(r.Context())
			out.RequestURI = ""
			out.Header.Del("Proxy-Authorization")
			resp, err := tr.RoundTrip(out)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			for k, v := range resp.Header {
				w.Header()[k] = v
			}
			w.WriteHeader(resp.StatusCode)
			_, _ = io.Copy(w, resp.Body)
			return
		}
		up, err := net.DialTimeout("tcp", target, waitLimit)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		client, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			up.Close()
			return
		}
		_, _ = io.WriteString(client, "HTTP/1.1 200 Connection established\r\n\r\n")
		go func() {
			defer client.Close()
			defer up.Close()
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(up, client); done <- struct{}{} }()
			go func() { _, _ = io.Copy(client, up); done <- struct{}{} }()
			<-done
		}()
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstreamProxy) requests() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.seen...)
}

func TestUpstreamProxyCarriesAllTraffic(t *testing.T) {
	tlsOrigin := newOrigin(t, true, nil)
	plainOrigin := newOrigin(t, false, nil)
	up := newUpstreamProxy(t, tlsOrigin.addr(), plainOrigin.addr())
	upURL, _ := url.Parse(up.URL)
	upURL.User = url.UserPassword("qa", "s3cret")
	r := newRig(t, Config{
		UpstreamProxy: upURL,
		UpstreamRoots: tlsOrigin.pool(),
		IgnoreHosts:   []string{"pinned.example.com"},
	}, nil)
	roots := tlsOrigin.pool()
	roots.AddCert(r.ca.Certificate())
	client := r.client(t, roots)
	for _, u := range []string{"https://tracker.example.com/via-upstream", "https://pinned.example.com/tunnel", "http://tracker.example.com/plain"} {
		resp, err := client.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		if body := readAll(t, resp); resp.StatusCode != 200 {
			t.Fatalf("GET %s: status %d %q", u, resp.StatusCode, body)
		}
	}
	r.flows.waitURL(t, "https://tracker.example.com/via-upstream")
	r.flows.waitURL(t, "http://tracker.example.com/plain")
	const auth = "Basic cWE6czNjcmV0" // qa:s3cret
	want := []string{"CONNECT tracker.example.com:443 " + auth, "CONNECT pinned.example.com:443 " + auth, "GET tracker.example.com " + auth}
	if got := up.requests(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("upstream proxy saw:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
