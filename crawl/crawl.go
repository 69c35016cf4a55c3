// Package crawl drives headless Chromium through phiproxy so a site can be
// tested with no person at the keyboard: it visits same-site links breadth
// first, waits on every page until the network goes quiet (trackers fire
// after the load event), fills forms with a test persona and clicks the
// buttons that are safe to click. The proxy sees every request; the caller
// learns which page and phase (load or interaction) caused it through
// Config.Phase.
package crawl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/chromium"
	"github.com/phiproxy/phiproxy/classify/persona"
)

// Phases reported to Config.Phase.
const (
	PhaseLoad        = "load"
	PhaseInteraction = "interaction"
)

// Defaults applied to zero Config fields.
const (
	DefaultMaxPages    = 50
	DefaultDepth       = 3
	DefaultQuiet       = 500 * time.Millisecond
	DefaultPageTimeout = 30 * time.Second
)

// Config configures a crawl. ProxyAddr and CAPEM are required.
type Config struct {
	// ProxyAddr is the phiproxy listener ("127.0.0.1:8080") the browser
	// sends every request through, loopback included.
	ProxyAddr string
	// CAPEM is the phiproxy CA certificate the browser's throw-away profile
	// trusts.
	CAPEM []byte
	// ChromiumPath is the browser binary; "" means chromium.DefaultPath.
	ChromiumPath string
	// MaxPages bounds the pages visited (failed loads count); 0 means
	// DefaultMaxPages.
	MaxPages int
	// Depth bounds how many links away from a seed the crawl goes: 0 means
	// DefaultDepth; a negative Depth visits the seeds only.
	Depth int
	// Persona fills forms; nil means no form filling and no clicking.
	Persona *persona.Persona
	// NoInteract only loads pages, even with a Persona.
	NoInteract bool
	// Cookies are "NAME=VALUE" pairs (consent cookies) set for every seed's
	// registrable domain before the first page loads.
	Cookies []string
	// Session, if set, is a signed-in state (LoadStorageState,
	// LoadCookieFile) the browser starts with.
	Session *Session
	// Login, if set, signs in through a login form before the seeds are
	// visited; Run fails when signing in does not work.
	Login *Login
	// Consent is the consent state to crawl in (ConsentNone, ConsentReject,
	// ConsentAccept, ConsentGPC); empty means none of the consent
	// handling at all, as before there were states. Reject and accept
	// need Autoconsent. Global Privacy Control's request header is the
	// proxy's to add; the crawl sets navigator.globalPrivacyControl.
	Consent string
	// Autoconsent detects consent managers and answers their banners.
	// With it, the crawl also records the manager in the none and gpc
	// states, without answering.
	Autoconsent *Autoconsent
	// SignedIn, if set, is called once the crawl holds a signed-in
	// session: at the start with a Session; with Login, as the login form
	// is submitted, so the page it lands on counts as signed in.
	// Requests from then on are the signed-in user's.
	SignedIn func()
	// Quiet is how long the network must stay idle before a page counts as
	// settled, after loading and after each interaction; 0 means
	// DefaultQuiet.
	Quiet time.Duration
	// PageTimeout bounds every navigation and every wait; 0 means
	// DefaultPageTimeout.
	PageTimeout time.Duration
	// Phase, if set, is called with the page URL when the crawler starts
	// loading a page (PhaseLoad) and just before its first interaction
	// with it (PhaseInteraction). Requests seen in between belong to that
	// page and phase. It is called from the crawl's goroutine.
	Phase func(page, phase string)
	// Progress, if set, is called as each page starts.
	Progress func(Progress)
	// Browser, if set, is called after each page that loaded with what
	// the browser then holds and did: cookies, Web Storage of every
	// frame's origin, and which script caused each request. It is called
	// from the crawl's goroutine and may block it.
	Browser func(page string, state phiproxy.BrowserState)
}

// Progress is the state of a crawl as a page starts.
type Progress struct {
	// Done is the number of pages finished, Queued the number waiting.
	Done, Queued int
	// URL is the page starting now.
	URL string
}

// Summary is what a crawl did, page by page, in visiting order.
type Summary struct {
	Pages []PageResult
	// Consent is what became of the consent banner, when Config.Consent
	// was set.
	Consent *ConsentResult
}

// PageResult is the outcome of visiting one page.
type PageResult struct {
	// URL is the URL visited; FinalURL is where it ended after redirects.
	URL, FinalURL string
	// Depth is the number of links followed from the seed.
	Depth int
	// Status is the HTTP status of the document, 0 when none arrived.
	Status int
	Title  string
	// Error says why the page failed to load or settle; empty when it did.
	Error string
	// Links counts the new same-site links found on the page (queued or
	// not, depending on Depth and MaxPages).
	Links int
	// FieldsFilled counts form controls given a persona value.
	FieldsFilled int
	// Clicked lists the texts of the buttons clicked, in order.
	Clicked []string
}

// queued is a page waiting to be visited.
type queued struct {
	url   string
	depth int
	site  string // the seed's registrable domain; links must stay on it
}

// Run crawls from seeds and returns what it did. Pages that fail are
// recorded in the Summary and the crawl goes on; Run returns an error
// (with the pages done so far) only when it cannot start the browser, the
// browser goes away, a seed or cookie is malformed, or ctx ends.
func Run(ctx context.Context, cfg Config, seeds []string) (Summary, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	c := &crawler{cfg: cfg, seen: map[string]bool{}}
	for _, s := range seeds {
		u, err := normalizeURL(s)
		if err != nil {
			return Summary{}, fmt.Errorf("crawl: seed %q: %w", s, err)
		}
		if c.seen[u.String()] {
			continue
		}
		c.seen[u.String()] = true
		c.queue = append(c.queue, queued{url: u.String(), site: siteOf(u.Hostname())})
	}
	if len(c.queue) == 0 {
		return Summary{}, errors.New("crawl: no seed URL")
	}
	cookies, err := parseCookies(cfg.Cookies)
	if err != nil {
		return Summary{}, err
	}

	profile, err := chromium.NewProfile(cfg.CAPEM)
	if err != nil {
		return Summary{}, fmt.Errorf("crawl: %w", err)
	}
	defer profile.Close()

	output := &cappedBuffer{max: 16 << 10}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, allocatorOptions(cfg, profile, output)...)
	defer cancelAlloc()
	c.watch = newNetWatch(min(10*time.Second, cfg.PageTimeout/2))
	c.requests = newRequestLog()
	tab, cancelTab := chromedp.NewContext(allocCtx)
	defer cancelTab()
	c.tab = tab
	// The first action starts the browser; it must not carry a timeout or
	// the browser would die with it, so the start is bounded by a watchdog
	// instead.
	if err := c.start(ctx, cookies); err != nil {
		if ctx.Err() != nil {
			return Summary{}, ctx.Err()
		}
		return Summary{}, fmt.Errorf("crawl: start %s: %w%s", cfg.ChromiumPath, err, output.tail())
	}
	if cfg.Consent != "" {
		if (cfg.Consent == ConsentReject || cfg.Consent == ConsentAccept) && cfg.Autoconsent == nil {
			return Summary{}, errNoAutoconsent
		}
		if err := c.step(func(ctx context.Context) error {
			var err error
			c.consent, err = c.startConsent(ctx, cfg.Consent, cfg.Autoconsent)
			return err
		}); err != nil {
			return Summary{}, err
		}
	}
	if cfg.Session != nil {
		if err := c.step(func(ctx context.Context) error { return c.applySession(ctx, cfg.Session) }); err != nil {
			return Summary{}, err
		}
		c.signedIn()
	}
	if cfg.Login != nil {
		if err := c.signIn(cfg.Login); err != nil {
			return Summary{}, err
		}
	}

	var sum Summary
	for len(c.queue) > 0 && len(sum.Pages) < cfg.MaxPages {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		next := c.queue[0]
		c.queue = c.queue[1:]
		if cfg.Progress != nil {
			cfg.Progress(Progress{Done: len(sum.Pages), Queued: len(c.queue), URL: next.url})
		}
		sum.Pages = append(sum.Pages, c.visit(next))
		if c.consent != nil && sum.Consent == nil {
			// The banner is answered on the first page; its result and
			// the consent strings are read there.
			r := c.consent.finish(c)
			sum.Consent = &r
		}
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		if tab.Err() != nil {
			return sum, fmt.Errorf("crawl: the browser went away after %s%s", next.url, output.tail())
		}
	}
	return sum, nil
}

func (cfg Config) withDefaults() (Config, error) {
	if cfg.ProxyAddr == "" {
		return cfg, errors.New("crawl: Config.ProxyAddr is required")
	}
	if len(cfg.CAPEM) == 0 {
		return cfg, errors.New("crawl: Config.CAPEM is required")
	}
	if cfg.ChromiumPath == "" {
		cfg.ChromiumPath = chromium.DefaultPath
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = DefaultMaxPages
	}
	switch {
	case cfg.Depth == 0:
		cfg.Depth = DefaultDepth
	case cfg.Depth < 0:
		cfg.Depth = 0
	}
	if cfg.Quiet <= 0 {
		cfg.Quiet = DefaultQuiet
	}
	if cfg.PageTimeout <= 0 {
		cfg.PageTimeout = DefaultPageTimeout
	}
	if cfg.Quiet >= cfg.PageTimeout {
		return cfg, fmt.Errorf("crawl: Quiet (%v) must be shorter than PageTimeout (%v)", cfg.Quiet, cfg.PageTimeout)
	}
	return cfg, nil
}

// allocatorOptions turns the profile's flags into chromedp options and
// adds the quiet-browser flags chromedp's defaults would have set.
func allocatorOptions(cfg Config, p *chromium.Profile, output *cappedBuffer) []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(cfg.ChromiumPath),
		// The browser gets exactly the profile's environment: its HOME
		// holds the NSS database that trusts the CA.
		chromedp.NoInheritEnv,
		chromedp.Env(p.Env()...),
		chromedp.CombinedOutput(output),
	}
	for _, a := range p.Args(cfg.ProxyAddr) {
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if hasValue {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	for _, f := range []string{
		"hide-scrollbars", "mute-audio", "disable-dev-shm-usage", "disable-breakpad",
		"disable-default-apps", "disable-client-side-phishing-detection", "disable-domain-reliability",
		"disable-hang-monitor", "disable-prompt-on-repost", "disable-ipc-flooding-protection",
		"disable-background-timer-throttling", "disable-renderer-backgrounding",
		"disable-backgrounding-occluded-windows", "metrics-recording-only", "no-default-browser-check",
		"safebrowsing-disable-auto-update", "use-mock-keychain", "disable-extensions",
	} {
		opts = append(opts, chromedp.Flag(f, true))
	}
	// HttpsUpgrades would turn every http:// link into a failed https://
	// attempt first; the others make background requests that are not the
	// site's.
	opts = append(opts,
		chromedp.Flag("disable-features", "HttpsUpgrades,Translate,OptimizationHints,MediaRouter,InterestFeedContentSuggestions,AutofillServerCommunication,NetworkTimeServiceQuerying"),
		chromedp.Flag("password-store", "basic"),
		// Consent managers and trackers hide from automated browsers
		// (vanilla-cookieconsent's hideFromBots reads navigator.webdriver):
		// the crawl must see what a patient's browser gets.
		chromedp.Flag("disable-blink-features", "AutomationControlled"),
	)
	return opts
}

// cookie is a parsed Config.Cookies entry.
type cookie struct{ name, value string }

func parseCookies(raw []string) ([]cookie, error) {
	var out []cookie
	for _, r := range raw {
		name, value, ok := strings.Cut(r, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, "; \t\r\n,") || strings.ContainsAny(value, ";\r\n") {
			return nil, fmt.Errorf("crawl: cookie %q: want NAME=VALUE without ';' or line breaks", r)
		}
		out = append(out, cookie{name, value})
	}
	return out, nil
}

// crawler is the state of one Run. It is used from one goroutine.
type crawler struct {
	cfg     Config
	tab     context.Context
	watch   *netWatch
	consent *consentDriver // nil without Config.Consent
	// requests logs the current page's requests and their initiators.
	requests *requestLog
	queue    []queued
	seen     map[string]bool // normalised URLs queued or visited
}

// consentWait bounds how long a page waits for its consent banner to be
// detected and answered.
const consentWait = 15 * time.Second

// startTimeout bounds starting the browser and preparing the tab.
const startTimeout = 60 * time.Second

// start launches the browser, subscribes to the tab's events, answers
// dialogs, refuses downloads and sets the consent cookies.
func (c *crawler) start(ctx context.Context, cookies []cookie) error {
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(c.tab) }()
	select {
	case err := <-done:
		if err != nil {
			return err
		}
	case <-time.After(startTimeout):
		chromedp.Cancel(c.tab)
		return fmt.Errorf("browser did not start within %v", startTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := chromedp.Listen(c.tab, c.watch.event); err != nil {
		return err
	}
	if err := chromedp.Listen(c.tab, c.requests.event); err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(c.tab, startTimeout)
	defer cancel()
	if _, err := chromedp.CallBrowser(sctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorDeny}); err != nil {
		return fmt.Errorf("refuse downloads: %w", err)
	}
	// Every page fetches what it loads, so the proxy sees (and hashes)
	// each page's scripts rather than the first page's only.
	if _, err := chromedp.Call(sctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		return fmt.Errorf("disable the cache: %w", err)
	}
	go c.answerDialogs()
	// A patient's browser says Chrome, not HeadlessChrome, and sites that
	// look for the difference must not see it.
	if v, err := chromedp.CallBrowser(sctx, browser.GetVersion, cdp.Empty{}); err == nil && strings.Contains(v.UserAgent, "HeadlessChrome") {
		if _, err := chromedp.Call(sctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: strings.ReplaceAll(v.UserAgent, "HeadlessChrome", "Chrome")}); err != nil {
			return fmt.Errorf("user agent: %w", err)
		}
	}
	sites := map[string]bool{}
	for _, q := range c.queue {
		u, _ := url.Parse(q.url)
		key := u.Scheme + "://" + u.Host
		if sites[key] {
			continue
		}
		sites[key] = true
		for _, ck := range cookies {
			p := network.SetCookieParams{Name: ck.name, Value: ck.value, URL: key + "/", Path: "/"}
			// A Domain attribute makes the cookie reach every host of the
			// site (www., book.); it is not allowed for IPs and single
			// labels, where the cookie stays host-only. The leading dot
			// matters: Chromium silently refuses a dotless Domain under a
			// public suffix such as .org.
			if net.ParseIP(u.Hostname()) == nil && strings.Contains(q.site, ".") {
				p.Domain = "." + q.site
			}
			if _, err := chromedp.Call(sctx, network.SetCookie, p); err != nil {
				return fmt.Errorf("set cookie %s for %s: %w", ck.name, q.site, err)
			}
		}
	}
	return nil
}

// answerDialogs keeps alert, confirm, prompt and beforeunload dialogs from
// blocking the page: alerts and leaving the page are accepted, questions
// are declined (a confirm is usually "are you sure?").
func (c *crawler) answerDialogs() {
	for ev, err := range chromedp.Events(c.tab, page.JavascriptDialogOpening) {
		if err != nil {
			return
		}
		accept := ev.Type == page.DialogTypeAlert || ev.Type == page.DialogTypeBeforeunload
		ctx, cancel := context.WithTimeout(c.tab, 5*time.Second)
		chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
		cancel()
	}
}

func (c *crawler) signedIn() {
	if c.cfg.SignedIn != nil {
		c.cfg.SignedIn()
	}
}

func (c *crawler) phase(page, phase string) {
	if c.cfg.Phase != nil {
		c.cfg.Phase(page, phase)
	}
}

// step runs fn with a context bounded by PageTimeout.
func (c *crawler) step(fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(c.tab, c.cfg.PageTimeout)
	defer cancel()
	return fn(ctx)
}

// settle waits for the network to go quiet; it reports a page that never
// did but does not fail it, since what was captured still counts.
func (c *crawler) settle(res *PageResult, when string) {
	err := c.step(func(ctx context.Context) error { return c.watch.waitQuiet(ctx, c.cfg.Quiet) })
	if err != nil && res.Error == "" {
		res.Error = fmt.Sprintf("network not quiet %s within %v", when, c.cfg.PageTimeout)
	}
}

// load navigates to u and waits for the page to settle.
func (c *crawler) load(u string, res *PageResult) error {
	c.watch.reset()
	var resp *network.Response
	err := c.step(func(ctx context.Context) error {
		var err error
		resp, err = chromedp.Run(ctx, chromedp.NavigateResponse(u))
		return err
	})
	if err != nil {
		return err
	}
	if resp != nil {
		res.Status = int(resp.Status)
	}
	c.settle(res, "after load")
	return nil
}

// visit loads one page, queues its links and, with a persona, interacts
// with it.
func (c *crawler) visit(q queued) PageResult {
	res := PageResult{URL: q.url, FinalURL: q.url, Depth: q.depth}
	c.phase(q.url, PhaseLoad)
	c.requests.take() // forget the previous page's requests
	if err := c.load(q.url, &res); err != nil {
		res.Error = loadError(err, c.cfg.PageTimeout)
		return res
	}
	if c.cfg.Browser != nil {
		defer func() {
			c.step(func(ctx context.Context) error {
				c.cfg.Browser(q.url, c.readBrowser(ctx))
				return nil
			})
		}()
	}
	if c.consent != nil {
		// Let the consent manager show its banner and autoconsent answer
		// it (in reject and accept) before the crawl goes on; then let
		// what the answer set off settle too.
		c.step(func(ctx context.Context) error {
			c.consent.wait(ctx, consentWait)
			return nil
		})
		c.settle(&res, "after the consent banner")
	}
	c.step(func(ctx context.Context) error {
		if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
			if u, err := normalizeURL(loc); err == nil {
				res.FinalURL = u.String()
				c.seen[res.FinalURL] = true
			}
		}
		res.Title, _ = chromedp.Run(ctx, chromedp.Title())
		return nil
	})

	var links []link
	if err := c.step(func(ctx context.Context) error {
		var err error
		links, err = chromedp.Run(ctx, chromedp.Evaluate[[]link](linksJS))
		return err
	}); err != nil && res.Error == "" {
		res.Error = fmt.Sprintf("read links: %v", err)
	}
	found := followable(links, q.site, c.seen)
	res.Links = len(found)
	if q.depth+1 <= c.cfg.Depth {
		for _, u := range found {
			c.queue = append(c.queue, queued{url: u, depth: q.depth + 1, site: q.site})
		}
	} else {
		// Not followed at this depth; another page nearer the seed may
		// still link to them.
		for _, u := range found {
			delete(c.seen, u)
		}
	}

	if c.cfg.Persona != nil && !c.cfg.NoInteract {
		c.interact(&res)
	}
	return res
}

// linksJS lists the page's anchors with absolute URLs.
const linksJS = `Array.from(document.querySelectorAll('a[href], area[href]')).slice(0, 2000).map(a => ({href: String(a.href), text: String(a.innerText || a.textContent || '').trim().slice(0, 100)}))`

// interact fills the page's forms with the persona and clicks its safe
// buttons one by one, going back to the page when a click navigated away.
func (c *crawler) interact(res *PageResult) {
	fields, err := evaluate[[]field](c, collectFieldsJS)
	if err != nil {
		return
	}
	fills := plan(fields, c.cfg.Persona)
	buttons, err := evaluate[[]button](c, collectButtonsJS)
	if err != nil {
		return
	}
	targets := clickable(buttons)
	if len(fills) == 0 && len(targets) == 0 {
		return
	}
	c.phase(res.URL, PhaseInteraction)
	fillJSON, err := json.Marshal(fills)
	if err != nil {
		return
	}
	fillAll := func() {
		if len(fills) == 0 {
			return
		}
		if n, err := evaluate[int](c, fmt.Sprintf(fillFieldsJS, fillJSON)); err == nil && n > res.FieldsFilled {
			res.FieldsFilled = n
		}
		c.settle(res, "after filling the form")
	}
	fillAll()
	for i, b := range targets {
		if i > 0 && c.leftPage(res.FinalURL) {
			// The last click navigated; come back for the next button.
			if err := c.load(res.FinalURL, res); err != nil {
				return
			}
			fillAll()
		}
		text, _ := json.Marshal(b.Text)
		clicked, err := evaluate[bool](c, fmt.Sprintf(clickButtonJS, b.Index, text))
		if err != nil || !clicked {
			continue
		}
		res.Clicked = append(res.Clicked, b.Text)
		c.settle(res, "after a click")
	}
}

// leftPage reports whether the tab now shows a document other than page.
func (c *crawler) leftPage(page string) bool {
	loc, err := evaluate[string](c, `document.location.href`)
	if err != nil {
		return true
	}
	u, err := normalizeURL(loc)
	return err != nil || u.String() != page
}

// evaluate runs a script on the page, bounded by PageTimeout.
func evaluate[T any](c *crawler, js string) (T, error) {
	var v T
	err := c.step(func(ctx context.Context) error {
		var err error
		v, err = chromedp.Run(ctx, chromedp.Evaluate[T](js))
		return err
	})
	return v, err
}

// loadError words a navigation failure for the summary.
func loadError(err error, timeout time.Duration) string {
	var le *chromedp.LoadError
	switch {
	case errors.As(err, &le):
		return le.ErrorText
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("page did not load within %v", timeout)
	}
	return err.Error()
}

// cappedBuffer keeps the first max bytes the browser writes, for error
// messages; the rest is dropped.
type cappedBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// tail returns the last lines of the output as an error suffix.
func (b *cappedBuffer) tail() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := strings.TrimSpace(string(b.buf))
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return "; browser output: " + strings.Join(lines, " | ")
}
