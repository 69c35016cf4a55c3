package proxy

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/certs"
)

// Default capture limits, used when the corresponding Config field is zero.
const (
	DefaultMaxBody         int64 = 8 << 20
	DefaultMaxResponseBody int64 = 64 << 10
)

// Default time limits and connection cap, used when the corresponding
// Config field is zero. They are generous for a browser on the same
// machine and short enough that a client or origin that stops talking
// cannot hold a connection, its file descriptor and its goroutines for
// long.
const (
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultHeaderTimeout    = 30 * time.Second
	DefaultBodyIdleTimeout  = 30 * time.Second
	DefaultIdleTimeout      = 2 * time.Minute
	DefaultUpstreamTimeout  = 60 * time.Second
	DefaultMaxConns         = 4096
)

// Config configures a Server. Only CA is required.
type Config struct {
	// CA issues the leaf certificates presented to the browser for
	// intercepted CONNECT tunnels. Required.
	CA *certs.Authority
	// MaxBody caps how many bytes of a request body are copied into
	// Flow.Request.Body, and how many bytes of each WebSocket message sent
	// by the client are kept. Zero means DefaultMaxBody (8 MiB). Larger
	// bodies are still forwarded in full; the flow is marked Truncated.
	MaxBody int64
	// MaxResponseBody caps the response-body prefix kept in
	// Flow.Response.Body and each WebSocket message sent by the server.
	// Zero means DefaultMaxResponseBody (64 KiB).
	MaxResponseBody int64
	// IgnoreHosts lists glob patterns ("*.bank.example",
	// "pinned.example.com", matched case-insensitively against the CONNECT
	// host without port, with path.Match syntax). CONNECTs to matching hosts
	// are tunnelled untouched and produce no Flow at all.
	IgnoreHosts []string
	// UpstreamRoots verifies upstream TLS. Nil means the system roots; to
	// add a CA to the system roots the caller builds the pool.
	UpstreamRoots *x509.CertPool
	// InsecureHosts are exact host names (no port, case-insensitive) whose
	// upstream TLS certificate is not verified. Every other host is.
	InsecureHosts []string
	// Resolve maps "host" or "host:port" to "ip" or "ip:port" for upstream
	// connections, like curl --resolve. A "host:port" key wins over a "host"
	// key. TLS still verifies the original host name.
	Resolve map[string]string
	// UpstreamProxy, when set, is an http:// or https:// proxy that every
	// upstream connection goes through (user info becomes
	// Proxy-Authorization). Nil means connect directly; the environment
	// (HTTP_PROXY, HTTPS_PROXY) is never consulted.
	UpstreamProxy *url.URL
	// PageTrafficOnly refuses, with 403 and without forwarding or producing
	// a Flow, requests that carry no sign of a page having caused them: the
	// browser's own update, account and safe-browsing checks (see
	// isBrowserBackground). Crawls set it; a proxy for a person's browser
	// does not, since a person may want to see everything.
	PageTrafficOnly bool
	// RequestHeaders, if set, is called for every request before it is
	// forwarded; the headers it returns are set on the request, replacing
	// any the browser sent of the same names, and the flow records them as
	// sent. A crawl in its Global Privacy Control state adds Sec-GPC: 1
	// this way. It must be fast and safe for concurrent use; nil or an
	// empty result adds nothing.
	RequestHeaders func() http.Header
	// HTTP1Only offers only HTTP/1.1 to the browser inside intercepted
	// tunnels, as before HTTP/2 was served, to compare the two. By
	// default a tunnel offers h2 and http/1.1 by ALPN and the browser
	// picks. Upstream, the transports negotiate either way.
	HTTP1Only bool
	// HandshakeTimeout bounds an intercepted tunnel from the CONNECT's
	// 200 to the end of the browser's TLS handshake (for a tunnel that
	// speaks plain HTTP, to the end of its first request's headers).
	// Zero means DefaultHandshakeTimeout (10 s).
	HandshakeTimeout time.Duration
	// HeaderTimeout bounds reading a request's headers, from its first
	// byte, on a plain connection or inside a tunnel. Zero means
	// DefaultHeaderTimeout (30 s).
	HeaderTimeout time.Duration
	// BodyIdleTimeout is how long a request body may send nothing before
	// the exchange is abandoned: the browser gets a 408 and the flow an
	// Error. Zero means DefaultBodyIdleTimeout (30 s).
	BodyIdleTimeout time.Duration
	// IdleTimeout is how long a keep-alive connection or an intercepted
	// tunnel may wait for its next request before it is closed. Zero
	// means DefaultIdleTimeout (2 min).
	IdleTimeout time.Duration
	// UpstreamTimeout bounds the wait for an origin's response headers
	// once the request is sent; past it the browser gets a 504 and the
	// flow an Error. Zero means DefaultUpstreamTimeout (60 s).
	UpstreamTimeout time.Duration
	// MaxConns caps the client connections open at once. A connection
	// beyond it is answered 503 with the reason (for a CONNECT too) and
	// closed. Zero means DefaultMaxConns (4096).
	MaxConns int
	// Logger receives the proxy's diagnostics, including goproxy's own.
	// Nil discards them.
	Logger *slog.Logger
	// OnFlow receives every finished exchange, exactly once, from the
	// goroutine serving the connection; it must not block (queue the flow
	// and return) and must not modify the Flow. WebSocket connections
	// additionally produce one Flow per flush interval that saw new
	// messages, from a timer goroutine (see Server). Nil drops flows.
	OnFlow func(*phiproxy.Flow)
}

// settings is a validated Config with defaults applied and lookups
// prepared, so the hot path never re-parses anything.
type settings struct {
	Config
	ignore   []string
	insecure map[string]bool
	resolve  map[string]string
}

func newSettings(cfg Config) (*settings, error) {
	if cfg.CA == nil {
		return nil, fmt.Errorf("proxy: Config.CA is required")
	}
	if cfg.MaxBody < 0 || cfg.MaxResponseBody < 0 {
		return nil, fmt.Errorf("proxy: negative MaxBody (%d) or MaxResponseBody (%d)", cfg.MaxBody, cfg.MaxResponseBody)
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxResponseBody == 0 {
		cfg.MaxResponseBody = DefaultMaxResponseBody
	}
	if cfg.HandshakeTimeout < 0 || cfg.HeaderTimeout < 0 || cfg.BodyIdleTimeout < 0 || cfg.IdleTimeout < 0 || cfg.UpstreamTimeout < 0 || cfg.MaxConns < 0 {
		return nil, fmt.Errorf("proxy: time limits and MaxConns must not be negative")
	}
	cfg.HandshakeTimeout = orDefault(cfg.HandshakeTimeout, DefaultHandshakeTimeout)
	cfg.HeaderTimeout = orDefault(cfg.HeaderTimeout, DefaultHeaderTimeout)
	cfg.BodyIdleTimeout = orDefault(cfg.BodyIdleTimeout, DefaultBodyIdleTimeout)
	cfg.IdleTimeout = orDefault(cfg.IdleTimeout, DefaultIdleTimeout)
	cfg.UpstreamTimeout = orDefault(cfg.UpstreamTimeout, DefaultUpstreamTimeout)
	cfg.MaxConns = orDefault(cfg.MaxConns, DefaultMaxConns)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.OnFlow == nil {
		cfg.OnFlow = func(*phiproxy.Flow) {}
	}
	if u := cfg.UpstreamProxy; u != nil && u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("proxy: upstream proxy %q: scheme must be http or https", u.Redacted())
	}
	s := &settings{Config: cfg, insecure: map[string]bool{}, resolve: map[string]string{}}
	for _, p := range cfg.IgnoreHosts {
		p = strings.ToLower(strings.TrimSpace(p))
		if _, err := path.Match(p, ""); err != nil || p == "" {
			return nil, fmt.Errorf("proxy: ignore-host pattern %q is not a valid glob", p)
		}
		s.ignore = append(s.ignore, p)
	}
	for _, h := range cfg.InsecureHosts {
		s.insecure[strings.ToLower(strings.TrimSpace(h))] = true
	}
	for from, to := range cfg.Resolve {
		if err := checkResolveTarget(to); err != nil {
			return nil, fmt.Errorf("proxy: resolve %q: %w", from, err)
		}
		s.resolve[strings.ToLower(from)] = to
	}
	return s, nil
}

// orDefault is v, or def when v is zero.
func orDefault[T time.Duration | int](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// checkResolveTarget accepts "ip" or "ip:port" (IPv6 in brackets with a
// port, bare without).
func checkResolveTarget(to string) error {
	if net.ParseIP(to) != nil {
		return nil
	}
	host, port, err := net.SplitHostPort(to)
	if err != nil {
		return fmt.Errorf("target %q is not ip or ip:port: %w", to, err)
	}
	if net.ParseIP(host) == nil {
		return fmt.Errorf("target %q: %q is not an IP address", to, host)
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("target %q: bad port: %w", to, err)
	}
	return nil
}

// ignored reports whether a CONNECT to hostport must be tunnelled
// untouched.
func (s *settings) ignored(hostport string) bool {
	if len(s.ignore) == 0 {
		return false
	}
	host := strings.ToLower(hostOnly(hostport))
	for _, p := range s.ignore {
		if ok, _ := path.Match(p, host); ok {
			return true
		}
	}
	return false
}

// resolveAddr applies Resolve to a dial address "host:port".
func (s *settings) resolveAddr(addr string) string {
	if len(s.resolve) == 0 {
		return addr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	key := strings.ToLower(host)
	to, ok := s.resolve[strings.ToLower(addr)]
	if !ok {
		to, ok = s.resolve[key]
	}
	if !ok {
		return addr
	}
	if net.ParseIP(to) != nil {
		return net.JoinHostPort(to, port)
	}
	return to
}

// hostOnly strips an optional port (and IPv6 brackets).
func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

// dialer dials upstream TCP connections, honouring Resolve.
type dialer struct {
	s *settings
	d net.Dialer
}

func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return d.d.DialContext(ctx, network, d.s.resolveAddr(addr))
}

func newDialer(s *settings) *dialer {
	return &dialer{s: s, d: net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}}
}
