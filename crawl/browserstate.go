package crawl

import (
	"context"
	"math"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/domstorage"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/phiproxy/phiproxy"
)

// Bounds on what one page's reading of the browser holds, so a page that
// makes endless requests or stores megabytes cannot exhaust memory.
const (
	maxInitiators   = 2000
	maxCookieURLs   = 200
	maxStorageValue = 64 << 10
	maxStorageItems = 1000
)

// requestLog records, for the page being visited, every request the
// browser made and the script that caused it (from the initiator stack
// of Network.requestWillBeSent).
type requestLog struct {
	mu    sync.Mutex
	inits []phiproxy.Initiator
	urls  map[string]bool // scheme://host/path of every request, for cookie lookups
}

func newRequestLog() *requestLog { return &requestLog{urls: map[string]bool{}} }

// event is given every event of the tab, in order; it must return fast.
func (l *requestLog) event(ev any) {
	e, ok := ev.(*network.EventRequestWillBeSent)
	if !ok || e.Request == nil {
		return
	}
	u := e.Request.URL
	if !strings.HasPrefix(u, "http:") && !strings.HasPrefix(u, "https:") {
		return
	}
	script := initiatorScript(e.Initiator)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.inits) < maxInitiators && script != "" && script != u {
		l.inits = append(l.inits, phiproxy.Initiator{URL: u, Script: script})
	}
	if len(l.urls) < maxCookieURLs {
		if p, err := url.Parse(u); err == nil {
			l.urls[p.Scheme+"://"+p.Host+p.EscapedPath()] = true
		}
	}
}

// take returns what was logged since the last take and starts afresh.
func (l *requestLog) take() ([]phiproxy.Initiator, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	inits := l.inits
	urls := make([]string, 0, len(l.urls))
	for u := range l.urls {
		urls = append(urls, u)
	}
	l.inits, l.urls = nil, map[string]bool{}
	return inits, urls
}

// initiatorScript is the URL of the innermost script on the initiator's
// stack (following async parents), else the initiator's URL (the
// document, for a request its markup started).
func initiatorScript(in *network.Initiator) string {
	if in == nil {
		return ""
	}
	for st, depth := in.Stack, 0; st != nil && depth < 32; st, depth = st.Parent, depth+1 {
		for _, f := range st.CallFrames {
			if strings.HasPrefix(f.URL, "http:") || strings.HasPrefix(f.URL, "https:") {
				return f.URL
			}
		}
	}
	return in.URL
}

// readBrowser reads, after a page, the cookies that apply to the page, its
// frames and every URL it requested (HttpOnly and partitioned ones
// included), the localStorage and sessionStorage of every frame's origin,
// and the page's request initiators.
func (c *crawler) readBrowser(ctx context.Context) phiproxy.BrowserState {
	var st phiproxy.BrowserState
	inits, urls := c.requests.take()
	st.Initiators = inits
	origins := map[string]bool{}
	var order []string
	if tree, err := chromedp.Call(ctx, page.GetFrameTree, struct{}{}); err == nil && tree.FrameTree != nil {
		var walk func(t *page.FrameTree, depth int)
		walk = func(t *page.FrameTree, depth int) {
			if t == nil || t.Frame == nil || depth > 16 {
				return
			}
			o := t.Frame.SecurityOrigin
			if (strings.HasPrefix(o, "http://") || strings.HasPrefix(o, "https://")) && !origins[o] {
				origins[o] = true
				order = append(order, o)
			}
			if len(urls) < maxCookieURLs+16 && (strings.HasPrefix(t.Frame.URL, "http:") || strings.HasPrefix(t.Frame.URL, "https:")) {
				urls = append(urls, t.Frame.URL)
			}
			for _, ch := range t.ChildFrames {
				walk(ch, depth+1)
			}
		}
		walk(tree.FrameTree, 0)
	}
	if len(urls) > 0 {
		if res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: urls}); err == nil {
			for _, ck := range res.Cookies {
				st.Cookies = append(st.Cookies, browserCookie(ck))
			}
		}
	}
	for _, o := range order {
		for _, local := range []bool{true, false} {
			res, err := chromedp.Call(ctx, domstorage.GetDOMStorageItems, domstorage.GetDOMStorageItemsParams{
				StorageID: &domstorage.StorageID{SecurityOrigin: o, IsLocalStorage: local},
			})
			if err != nil {
				continue
			}
			area := phiproxy.StorageSession
			if local {
				area = phiproxy.StorageLocal
			}
			for _, e := range res.Entries {
				if len(e) < 2 || len(st.Storage) >= maxStorageItems {
					continue
				}
				v := e[1]
				item := phiproxy.StorageItem{Origin: o, Area: area, Key: e[0], Value: v, Size: len(v)}
				if len(v) > maxStorageValue {
					item.Value = v[:maxStorageValue]
				}
				st.Storage = append(st.Storage, item)
			}
		}
	}
	return st
}

func browserCookie(ck *network.Cookie) phiproxy.BrowserCookie {
	b := phiproxy.BrowserCookie{
		Name: ck.Name, Value: ck.Value, Domain: ck.Domain, Path: ck.Path,
		Secure: ck.Secure, HTTPOnly: ck.HTTPOnly, SameSite: string(ck.SameSite),
		Partitioned: ck.PartitionKey != nil || ck.PartitionKeyOpaque,
	}
	if !ck.Session && ck.Expires > 0 && !math.IsInf(ck.Expires, 0) {
		sec, frac := math.Modf(ck.Expires)
		b.Expires = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	}
	return b
}
