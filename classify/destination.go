package classify

import (
	"hash/maphash"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/net/publicsuffix"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify/decode"
)

// maxRemembered bounds each of the inspector's memories (learned sites and
// authenticated origins) so a long session cannot grow them without limit.
const maxRemembered = 4096

// registrableDomain returns the eTLD+1 of host ("www.cedar-clinic.com" →
// "cedar-clinic.com"), or host itself for IP addresses, single labels and
// names the public suffix list cannot split.
func registrableDomain(host string) string {
	// The same few hosts come back with every request; the public suffix
	// lookup (and the address parse inside it) is worth remembering.
	if d, ok := domainCache.Load(host); ok {
		return d.(string)
	}
	d := lookupRegistrableDomain(host)
	if len(host) <= 256 && domainCache.n.Load() < maxRemembered {
		// Copies: the cache must not keep a flow's memory alive.
		if _, loaded := domainCache.LoadOrStore(strings.Clone(host), strings.Clone(d)); !loaded {
			domainCache.n.Add(1)
		}
	}
	return d
}

// domainCache remembers registrableDomain's answers, for at most
// maxRemembered hosts (it depends on nothing but the host).
var domainCache struct {
	sync.Map
	n atomic.Int64
}

func lookupRegistrableDomain(host string) string {
	host = strings.Trim(strings.ToLower(strings.TrimSpace(host)), ".")
	if host == "" {
		return ""
	}
	if mayBeIPAddr(host) {
		if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
			return host
		}
	}
	if !strings.Contains(host, ".") {
		return host
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	return d
}

// mayBeIPAddr reports whether netip.ParseAddr could accept host once its
// brackets are trimmed: an IPv6 address has a colon, an IPv4 one only
// digits and dots. A host name is settled here, without the error value a
// failed parse allocates.
func mayBeIPAddr(host string) bool {
	host = strings.Trim(host, "[]")
	if strings.IndexByte(host, ':') >= 0 {
		return true
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// urlParts are what inspection reads from a URL, from one parse: the
// lower-case host without port, "scheme://host[:port]" in lower case, and
// the path. host is "" when s names no host, origin also when it has no
// scheme, and all three when s does not parse.
type urlParts struct{ host, origin, path string }

func parseURLParts(s string) urlParts {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return urlParts{}
	}
	p := urlParts{path: u.Path}
	if u.Host != "" {
		p.host = strings.ToLower(u.Hostname())
		if u.Scheme != "" {
			p.origin = strings.ToLower(u.Scheme + "://" + u.Host)
		}
	}
	return p
}

// pageCache remembers the parts of recent page URLs: every beacon of a
// page names it again (Referer), and it was parsed three times per flow.
// Direct-mapped and lock-free; a collision only costs a parse. A nil
// cache parses every time.
type pageCache struct {
	seed  maphash.Seed
	slots [64]atomic.Pointer[pageEntry]
}

type pageEntry struct {
	url   string // a copy: the cache keeps no flow's memory alive
	parts urlParts
}

func newPageCache() *pageCache { return &pageCache{seed: maphash.MakeSeed()} }

func (c *pageCache) get(u string) urlParts {
	if u == "" {
		return urlParts{}
	}
	if c == nil || len(u) > 2048 {
		return parseURLParts(u)
	}
	sl := &c.slots[maphash.String(c.seed, u)%uint64(len(c.slots))]
	if e := sl.Load(); e != nil && e.url == u {
		return e.parts
	}
	c2 := strings.Clone(u)
	p := parseURLParts(c2)
	sl.Store(&pageEntry{url: c2, parts: p})
	return p
}

// hostSuffixMatch reports whether host equals suffix or ends with
// "."+suffix, so "px.ads.linkedin.com" matches "linkedin.com" but
// "notlinkedin.com" does not.
func hostSuffixMatch(host, suffix string) bool {
	if suffix == "" {
		return false
	}
	// host ends with "."+suffix, without building that string.
	n := len(host) - len(suffix)
	return host == suffix || n > 0 && host[n-1] == '.' && host[n:] == suffix
}

// boundedSet is a set of strings that forgets its oldest entry once it
// holds max entries. Safe for concurrent use.
type boundedSet struct {
	mu    sync.Mutex
	max   int
	set   map[string]struct{}
	order []string // insertion order, used as a ring once full
	next  int      // index in order of the oldest entry once full
}

func newBoundedSet(max int) *boundedSet {
	return &boundedSet{max: max, set: make(map[string]struct{})}
}

func (b *boundedSet) add(s string) {
	if s == "" {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.set[s]; ok {
		return
	}
	if len(b.order) < b.max {
		b.order = append(b.order, s)
	} else {
		delete(b.set, b.order[b.next])
		b.order[b.next] = s
		b.next = (b.next + 1) % b.max
	}
	b.set[s] = struct{}{}
}

func (b *boundedSet) has(s string) bool {
	if s == "" {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.set[s]
	return ok
}

func (b *boundedSet) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.set)
}

// pageURL is the URL of the page that made the request: the Referer, else
// the Origin, else the Page a crawl or recording attached.
func pageURL(f *phiproxy.Flow) string {
	if f.Request.Header != nil {
		if r := f.Request.Header.Get("Referer"); r != "" {
			return r
		}
		if o := f.Request.Header.Get("Origin"); o != "" && o != "null" {
			return o
		}
	}
	return f.Page
}

// isTopLevelNavigation reports whether the request loads a page in the
// browser's main frame: the user went to this site, so it is first party.
func isTopLevelNavigation(f *phiproxy.Flow) bool {
	h := f.Request.Header
	if h == nil {
		return false
	}
	if m := f.Request.Method; m != "" && m != "GET" && m != "POST" {
		return false
	}
	if strings.EqualFold(h.Get("Sec-Fetch-Mode"), "navigate") {
		dest := strings.ToLower(h.Get("Sec-Fetch-Dest"))
		return dest == "" || dest == "document"
	}
	// Without fetch metadata, a GET for HTML that names no referring page
	// is what a typed URL or bookmark looks like.
	if h.Get("Sec-Fetch-Mode") == "" && h.Get("Referer") == "" &&
		(f.Request.Method == "" || f.Request.Method == "GET") &&
		strings.Contains(strings.ToLower(h.Get("Accept")), "text/html") {
		return true
	}
	return false
}

// requestHost is the URL host, or the Host header when the URL has none.
func requestHost(f *phiproxy.Flow) string {
	host := f.Request.URLHost()
	if host == "" {
		host = strings.ToLower(f.Request.Host)
		if h, _, ok := strings.Cut(host, ":"); ok && strings.Count(host, ":") == 1 {
			host = h
		}
	}
	return strings.Trim(host, "[].")
}

// requestPath is the path of the request URL ("/g/collect").
func requestPath(f *phiproxy.Flow) string {
	return decode.URLPath(f.Request.URL)
}

// firstPartyRoute ends the Vendor of a tracker recognised on the site's
// own domain ("Google Analytics (first-party route)").
const firstPartyRoute = " (first-party route)"

// place decides where f goes. fields are the decoded fields of f, used to
// recognise trackers routed through the site's own domain. place also
// updates the inspector's memory of first-party sites and authenticated
// origins, which later flows are judged against.
func (in *Inspector) place(f *phiproxy.Flow, fields []phiproxy.Field) (phiproxy.Destination, bool) {
	return in.placeFrom(f, fields, in.pages.get(pageURL(f)))
}

// placeFrom is place with the parts of f's page URL already read, for
// Inspect, which reads the page's path too.
func (in *Inspector) placeFrom(f *phiproxy.Flow, fields []phiproxy.Field, page urlParts) (phiproxy.Destination, bool) {
	host := requestHost(f)
	d := phiproxy.Destination{Host: host, Domain: registrableDomain(host), Party: phiproxy.UnknownParty}
	if host == "" {
		return d, false
	}
	v, knownVendor := in.vendors.lookup(host)
	pageDomain := registrableDomain(page.host)

	navigation := len(in.sites) == 0 && isTopLevelNavigation(f) && !knownVendor
	d.Party = in.party(d.Domain, pageDomain, navigation, knownVendor)
	if navigation {
		in.learnedSites.add(d.Domain)
	}

	if knownVendor {
		d.Vendor, d.Category = v.Name, v.Category
	} else if d.Party != phiproxy.ThirdParty {
		// The data of a tracker proxied through the site's own domain still
		// ends up with the vendor, so it counts as a third-party recipient.
		if name, category, ok := recogniseRoutedTracker(requestPath(f), fields); ok {
			d.Vendor, d.Category, d.Party = name+firstPartyRoute, category, phiproxy.ThirdParty
		}
	}
	d.BAA = in.coveredByBAA(d)

	if d.Party == phiproxy.FirstParty && hasCredentials(f) {
		in.authOrigins.add(parseURLParts(f.Request.URL).origin)
	}
	// A signed-in crawl says so on the flow; otherwise the page's origin
	// counts as signed in once its own requests carried credentials.
	authenticated := f.Authenticated || in.authOrigins.has(page.origin)
	return d, authenticated
}

// party decides whether domain is the site's own or a third party's:
// by the declared sites when there are any; else a top-level navigation
// (to a domain no vendor owns) is first party; else by the page's domain;
// else a known vendor is a third party and a site seen navigated to is
// first party; else nothing says.
func (in *Inspector) party(domain, pageDomain string, navigation, knownVendor bool) phiproxy.Party {
	switch {
	case len(in.sites) > 0:
		if in.isSite(domain) {
			return phiproxy.FirstParty
		}
		return phiproxy.ThirdParty
	case navigation:
		return phiproxy.FirstParty
	case pageDomain != "":
		if pageDomain == domain {
			return phiproxy.FirstParty
		}
		return phiproxy.ThirdParty
	case knownVendor:
		return phiproxy.ThirdParty
	case in.learnedSites.has(domain):
		return phiproxy.FirstParty
	}
	return phiproxy.UnknownParty
}

// hasCredentials reports whether the request carried an Authorization
// header or a cookie, the sign of a logged-in session. Cookies that
// analytics, ad and consent scripts set on every visitor (_ga, _fbp,
// ajs_anonymous_id, ...) do not count: a public page has them too.
func hasCredentials(f *phiproxy.Flow) bool {
	h := f.Request.Header
	if h == nil {
		return false
	}
	if h.Get("Authorization") != "" {
		return true
	}
	for _, line := range h.Values("Cookie") {
		for part := range strings.SplitSeq(line, ";") {
			name, _, _ := strings.Cut(strings.TrimSpace(part), "=")
			if name != "" && !isVisitorCookie(name) {
				return true
			}
		}
	}
	return false
}

// visitorCookiePrefixes are names of cookies set for every visitor by
// analytics, advertising and consent scripts.
var visitorCookiePrefixes = []string{
	"_ga", "_gid", "_gat", "_gcl_", "__utm", "_fbp", "_fbc", "ajs_", "_hj", "mp_",
	"ph_", "amp_", "_uet", "_clck", "_clsk", "_pin_", "_tt_", "_ttp", "_scid",
	"_rdt_", "li_", "lidc", "bcookie", "_dd_s", "optanon", "cookieconsent",
	"cookielawinfo", "euconsent", "_sp_", "sp_", "intercom-", "hubspotutk",
	"__hs", "_cs_", "fs_uid", "_biz_", "_mkto_trk", "ln_or",
}

func isVisitorCookie(name string) bool {
	n := strings.ToLower(name)
	for _, p := range visitorCookiePrefixes {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

func (in *Inspector) isSite(domain string) bool {
	for _, s := range in.sites {
		if s == domain {
			return true
		}
	}
	return false
}

// coveredByBAA matches the user's BAA list against the vendor's display
// name (case-insensitive, ignoring a "(first-party route)" suffix) and the
// host on label boundaries.
func (in *Inspector) coveredByBAA(d phiproxy.Destination) bool {
	if len(in.baa) == 0 {
		return false
	}
	name := strings.ToLower(strings.TrimSpace(strings.TrimSuffix(d.Vendor, firstPartyRoute)))
	for _, b := range in.baa {
		if name != "" && b == name {
			return true
		}
		if hostSuffixMatch(d.Host, b) {
			return true
		}
	}
	return false
}

// recogniseRoutedTracker recognises a tracker's request by the shape of
// its payload rather than its host: GA4's v=2&tid=G-…, Segment and
// RudderStack events, PostHog captures, Datadog RUM batches.
func recogniseRoutedTracker(path string, fields []phiproxy.Field) (name, category string, ok bool) {
	var (
		ga4TID, ga4V                bool
		anonymousID, writeKey       bool
		eventType, rudder           bool
		posthogKey, posthogCompress bool
		ddSource                    bool
	)
	for _, f := range fields {
		switch f.Key {
		case "tid":
			ga4TID = ga4TID || strings.HasPrefix(f.Value, "G-")
		case "v":
			ga4V = ga4V || f.Value == "2"
		case "anonymousId":
			anonymousID = true
		case "writeKey":
			writeKey = true
		case "type", "event":
			eventType = true
		case "rudderId":
			rudder = true
		case "api_key", "token":
			posthogKey = posthogKey || strings.HasPrefix(f.Value, "phc_")
		case "compression":
			posthogCompress = true
		case "ddsource":
			ddSource = true
		}
	}
	lp := strings.ToLower(path)
	switch {
	case ga4TID && (ga4V || strings.HasSuffix(lp, "/g/collect")):
		return "Google Analytics", "analytics", true
	case rudder && (anonymousID || writeKey):
		return "RudderStack", "analytics", true
	case anonymousID && (writeKey || eventType):
		return "Segment", "analytics", true
	case posthogKey || (posthogCompress && isPostHogPath(lp)):
		return "PostHog", "analytics", true
	case ddSource && strings.Contains(lp, "/api/v2/rum"):
		return "Datadog RUM", "error_monitoring", true
	}
	return "", "", false
}

func isPostHogPath(p string) bool {
	for _, s := range []string{"/e/", "/batch/", "/capture/", "/i/v0/e/", "/s/", "/engage/", "/track/"} {
		if strings.Contains(p, s) || strings.HasSuffix(p, strings.TrimSuffix(s, "/")) {
			return true
		}
	}
	return false
}
