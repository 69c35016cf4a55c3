package crawl_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
	"github.com/phiproxy/phiproxy/crawl"
)

// realSite is a site shaped like a real one: www. of a registrable domain
// under a public suffix, a sibling host, and a third-party pixel.
type realSite struct {
	proxy *chromiumtest.Proxy

	mu      sync.Mutex
	cookies map[string]string // host+path -> Cookie header of its first request
	flows   []*phiproxy.Flow
}

func newRealSite(t *testing.T) *realSite {
	t.Helper()
	chromiumtest.RequireBrowser(t)
	rs := &realSite{cookies: map[string]string{}}
	site := chromiumtest.NewSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.mu.Lock()
		if _, ok := rs.cookies[r.Host+r.URL.Path]; !ok {
			rs.cookies[r.Host+r.URL.Path] = r.Header.Get("Cookie")
		}
		rs.mu.Unlock()
		switch r.Host + r.URL.Path {
		case "www.clinic-example.org/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<!doctype html><title>Home</title><a href="https://book.clinic-example.org/visit">Book</a>
				<img src="https://px.tracker-example.net/tr?ev=PageView&dl=https%3A%2F%2Fwww.clinic-example.org%2F">`)
		case "px.tracker-example.net/tr":
			w.Header().Set("Content-Type", "image/gif")
			w.Write([]byte("GIF89a"))
		default:
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<!doctype html><title>Book</title><p>Book a visit</p>`)
		}
	}), "www.clinic-example.org", "book.clinic-example.org", "px.tracker-example.net")
	rs.proxy = chromiumtest.StartProxy(t, chromiumtest.ProxyOptions{
		Resolve: map[string]string{
			"www.clinic-example.org": site.Addr(), "book.clinic-example.org": site.Addr(), "px.tracker-example.net": site.Addr(),
		},
		Roots:           site.Roots,
		PageTrafficOnly: true,
		OnFlow: func(f *phiproxy.Flow) {
			rs.mu.Lock()
			rs.flows = append(rs.flows, f)
			rs.mu.Unlock()
		},
	})
	return rs
}

func (rs *realSite) crawl(t *testing.T, cfg crawl.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cfg.ProxyAddr, cfg.CAPEM = rs.proxy.Addr, rs.proxy.CAPEM
	cfg.PageTimeout = 15 * time.Second
	if cfg.Quiet == 0 {
		cfg.Quiet = 300 * time.Millisecond
	}
	if _, err := crawl.Run(ctx, cfg, []string{"https://www.clinic-example.org/"}); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestConsentCookiesReachARealShapedSite: the consent cookies must reach
// www. and its sibling host on the first request to each. Chromium
// silently refused them when the cookie's Domain had no leading dot.
func TestConsentCookiesReachARealShapedSite(t *testing.T) {
	rs := newRealSite(t)
	rs.crawl(t, crawl.Config{Cookies: []string{"psess=abc", "cmp=granted"}})
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, page := range []string{"www.clinic-example.org/", "book.clinic-example.org/visit"} {
		got, ok := rs.cookies[page]
		if !ok {
			t.Errorf("%s was never requested (requests: %v)", page, rs.cookies)
			continue
		}
		if got != "psess=abc; cmp=granted" && got != "cmp=granted; psess=abc" {
			t.Errorf("Cookie on the first request to %s: got %q, want psess=abc and cmp=granted", page, got)
		}
	}
}

// TestCrawlRecordsOnlyWhatTheSiteCaused: the browser checks for updates
// and accounts as soon as it starts; none of that may become a flow, and
// the site's own and third-party requests must all still get through.
func TestCrawlRecordsOnlyWhatTheSiteCaused(t *testing.T) {
	rs := newRealSite(t)
	// A quiet period long enough for the browser's start-up checks.
	rs.crawl(t, crawl.Config{Quiet: 3 * time.Second, Depth: -1})
	rs.mu.Lock()
	defer rs.mu.Unlock()
	hosts := map[string]int{}
	for _, f := range rs.flows {
		u, err := url.Parse(f.Request.URL)
		if err != nil {
			t.Fatalf("flow URL %q: %v", f.Request.URL, err)
		}
		hosts[u.Hostname()]++
	}
	for h, n := range hosts {
		switch h {
		case "www.clinic-example.org", "px.tracker-example.net":
		default:
			t.Errorf("%d flows to %s, which no page caused", n, h)
		}
	}
	if hosts["www.clinic-example.org"] == 0 || hosts["px.tracker-example.net"] == 0 {
		t.Errorf("the page's own requests were lost: flows per host %v", hosts)
	}
}
