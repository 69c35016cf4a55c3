package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/chromium"
	"github.com/phiproxy/phiproxy/classify/persona"
	"github.com/phiproxy/phiproxy/crawl"
	"github.com/phiproxy/phiproxy/evidence"
	"github.com/phiproxy/phiproxy/store"
)

// crawlListen is where the crawl's own proxy listens: a free loopback
// port, since only the crawl's browser uses it.
const crawlListen = "127.0.0.1:0"

// crawlPage is the page and phase the crawler is in, read by the proxy
// goroutines that tag each flow.
type crawlPage struct{ page, phase string }

// crawlTally counts a crawl's findings by severity as they are saved, for
// the progress lines and the closing summary.
type crawlTally struct {
	mu         sync.Mutex
	bySeverity [phiproxy.Critical + 1]int
	total      atomic.Int64
}

func (t *crawlTally) records(recs []store.Record) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range recs {
		for _, fd := range r.Inspection.Findings {
			if fd.Severity >= phiproxy.Info && fd.Severity <= phiproxy.Critical {
				t.bySeverity[fd.Severity]++
			}
			t.total.Add(1)
		}
	}
}

func (t *crawlTally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var parts []string
	for s := phiproxy.Critical; s >= phiproxy.Info; s-- {
		parts = append(parts, fmt.Sprintf("%d %s", t.bySeverity[s], s))
	}
	return strings.Join(parts, ", ")
}

func crawlCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("crawl", "URL...", stderr)
	var pf proxyFlags
	registerCrawlProxyFlags(fs, &pf)
	var rf reportFlags
	rf.register(fs)
	var bf baselineFlags
	bf.register(fs)
	maxPages := fs.Int("max-pages", crawl.DefaultMaxPages, "visit at most this many `pages`")
	depth := fs.Int("depth", crawl.DefaultDepth, "follow same-site links at most this many `links` away from a seed")
	noInteract := fs.Bool("no-interact", false, "only load pages: no form filling, no clicks")
	var cookies listFlag
	fs.Var(&cookies, "consent-cookie", "set this `NAME=VALUE` cookie for every seed's site before the crawl, e.g. to record consent (repeatable)")
	loginURL := fs.String("login-url", "", "sign in through the login form at this `URL` before crawling")
	loginUser := fs.String("login-user", "", "with --login-url: the `user` name or email to sign in with")
	loginPasswordEnv := fs.String("login-password-env", "", "with --login-url: the environment `variable` holding the password (never given on the command line)")
	storageState := fs.String("storage-state", "", "start signed in from this Playwright storage-state JSON `file` (cookies and localStorage)")
	cookieFile := fs.String("cookie-file", "", "start signed in with the cookies of this Netscape cookies.txt `file`")
	consentFlag := fs.String("consent", "", "crawl in these consent `states`, each in a fresh browser: a comma list of none, reject, accept, gpc, or matrix for all four")
	autoconsentDir := fs.String("autoconsent", "", "the autoconsent npm package `folder` that answers consent banners (default: beside the binary, else tools/autoconsent/node_modules/@duckduckgo/autoconsent)")
	chromiumPath := fs.String("chromium", chromium.DefaultPath, "Chromium `binary`")
	quiet := fs.Duration("quiet", crawl.DefaultQuiet, "network idle `time` after which a page counts as settled")
	pageTimeout := fs.Duration("page-timeout", crawl.DefaultPageTimeout, "bound on every page load and wait")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	var seedHosts []string
	for _, s := range fs.Args() {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%q is not an http(s) URL", s)
		}
		if h := strings.ToLower(u.Hostname()); !slices.Contains(seedHosts, h) {
			seedHosts = append(seedHosts, h)
		}
	}
	pf.site = strings.Join(seedHosts, ",")
	if err := bf.check(); err != nil {
		return err
	}
	if *depth < 0 || *maxPages <= 0 {
		return fmt.Errorf("--depth must be 0 or more and --max-pages 1 or more")
	}
	login, session, err := crawlSignIn(*loginURL, *loginUser, *loginPasswordEnv, *storageState, *cookieFile)
	if err != nil {
		return err
	}
	states := []string{""}
	var ac *crawl.Autoconsent
	if *consentFlag != "" {
		if states, err = crawl.ParseConsentStates(*consentFlag); err != nil {
			return err
		}
		if ac, err = loadAutoconsent(*autoconsentDir, states); err != nil {
			return err
		}
	}
	var who *persona.Persona
	if pf.persona != "" {
		p, err := persona.Load(pf.persona)
		if err != nil {
			return err
		}
		who = p
	}

	// The progress lines are the crawl's own voice on stderr; only
	// warnings of the proxy and pipeline join them.
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var current atomic.Pointer[crawlPage]
	var signedIn atomic.Bool
	var consentNow atomic.Pointer[string]
	consentNow.Store(new(string))
	// Global Privacy Control: the proxy adds the header to the gpc
	// state's traffic only.
	gpcHeader := http.Header{"Sec-Gpc": {"1"}}
	pf.requestHeaders = func() http.Header {
		if *consentNow.Load() == crawl.ConsentGPC {
			return gpcHeader
		}
		return nil
	}
	tag := func(f *phiproxy.Flow) {
		f.Source = "crawl"
		f.Consent = *consentNow.Load()
		if cur := current.Load(); cur != nil {
			f.Page, f.Phase = cur.page, cur.phase
		}
		f.Authenticated = signedIn.Load()
		// The password is typed into the login form and sent to the
		// site: it never reaches inspection, the database or an export.
		if login != nil {
			f.RedactSecret(login.Password, passwordMask)
		}
	}
	col := &collector{}
	if rf.asJSON {
		col.json = newJSONLines(stdout)
	}
	tally := &crawlTally{}
	matrix := evidence.NewConsentTally()
	var matrixMu sync.Mutex
	onSaved := func(recs []store.Record) {
		tally.records(recs)
		col.records(recs)
		matrixMu.Lock()
		for i := range recs {
			matrix.Add(recs[i].Flow, &recs[i].Inspection)
		}
		matrixMu.Unlock()
	}
	s, err := startSession(ctx, "crawl", &pf, log, tag, onSaved)
	if err != nil {
		return err
	}

	cfg := crawl.Config{
		ProxyAddr:    s.Addr(),
		CAPEM:        s.ca.CertPEM(),
		ChromiumPath: *chromiumPath,
		MaxPages:     *maxPages,
		Depth:        *depth,
		Persona:      who,
		NoInteract:   *noInteract,
		Cookies:      cookies,
		Login:        login,
		Session:      session,
		SignedIn:     func() { signedIn.Store(true) },
		Quiet:        *quiet,
		PageTimeout:  *pageTimeout,
		Phase:        func(page, phase string) { current.Store(&crawlPage{page, phase}) },
		Browser: func(page string, state phiproxy.BrowserState) {
			f := browserFlow(page, state)
			tag(f)
			// The crawl can wait for room: this reading is the only record
			// of script-set cookies and storage.
			s.pipe.SubmitWait(ctx, f)
		},
		Progress: func(p crawl.Progress) {
			fmt.Fprintf(stderr, "crawl: %d/%d pages, %d queued, %d findings: %s\n", p.Done+1, *maxPages, p.Queued, tally.total.Load(), p.URL)
		},
	}
	if *depth == 0 {
		cfg.Depth = -1 // crawl.Config reads 0 as its default
	}
	cfg.Autoconsent = ac
	start := time.Now()
	var sum crawl.Summary
	var consents []crawl.ConsentResult
	var crawlErr error
	// Each consent state is its own crawl: a fresh browser profile over
	// the same seeds and limits.
	for _, state := range states {
		consentNow.Store(&state)
		signedIn.Store(false)
		cfg.Consent = state
		if state != "" {
			fmt.Fprintf(stderr, "crawl: consent state %s\n", state)
		}
		var part crawl.Summary
		part, crawlErr = crawl.Run(ctx, cfg, fs.Args())
		sum.Pages = append(sum.Pages, part.Pages...)
		if part.Consent != nil {
			consents = append(consents, *part.Consent)
		}
		if crawlErr != nil {
			break
		}
	}
	// Close drains the inspection queue: every finding of the crawl is
	// saved and counted before the summary.
	closeErr := s.Close()

	printCrawlSummary(stderr, sum, tally, time.Since(start), s.pipe.Stats(), s.proxy.RefusedBackground())
	if len(consents) > 0 {
		printConsentSummary(stderr, consents, matrix.Matrix())
	}
	interrupted := crawlErr != nil && errors.Is(crawlErr, context.Canceled) && ctx.Err() != nil
	if interrupted {
		fmt.Fprintln(stderr, "crawl: interrupted; results so far are above and in the database")
		crawlErr = nil
	}
	result := col.finish(stdout, rf)
	if err := errors.Join(crawlErr, closeErr); err != nil {
		return err
	}
	if bf.path != "" {
		// The session closed the database; the comparison only reads it.
		st, err := openStore(pf.db, true)
		if err != nil {
			return err
		}
		defer st.Close()
		// An interrupted crawl still compares what it saw.
		if err := bf.compareRun(context.WithoutCancel(ctx), st, s.runID, stderr); err != nil {
			return err
		}
		if result == nil && len(bf.failing) > 0 {
			result = errFindings
		}
	}
	return result
}

// loadAutoconsent finds and reads the autoconsent package: from dir when
// given, else beside the binary (where make build puts it), else in the
// source tree. The reject and accept states cannot run without it; none
// and gpc use it, when found, only to record the consent manager.
func loadAutoconsent(dir string, states []string) (*crawl.Autoconsent, error) {
	needed := false
	for _, s := range states {
		needed = needed || s == crawl.ConsentReject || s == crawl.ConsentAccept
	}
	candidates := []string{dir}
	if dir == "" {
		candidates = nil
		if exe, err := os.Executable(); err == nil {
			candidates = append(candidates, filepath.Join(filepath.Dir(exe), "autoconsent"))
		}
		candidates = append(candidates, filepath.Join("tools", "autoconsent", "node_modules", "@duckduckgo", "autoconsent"))
	}
	var firstErr error
	for _, c := range candidates {
		ac, err := crawl.LoadAutoconsent(c)
		if err == nil {
			return ac, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if needed {
		return nil, firstErr
	}
	return nil, nil
}

// printConsentSummary says what became of the banner in each state, then
// the consent matrix.
func printConsentSummary(w io.Writer, results []crawl.ConsentResult, m evidence.ConsentMatrix) {
	for _, r := range results {
		line := fmt.Sprintf("consent: %-6s ", r.State)
		switch {
		case r.CMP == "":
			line += "no consent manager recognised"
		case !r.PopupFound:
			line += r.CMP + ", no banner shown"
		default:
			line += r.CMP + " banner shown"
		}
		switch {
		case r.Action != "" && r.Succeeded:
			line += ", " + r.Action + " succeeded"
		case r.Action != "":
			line += ", " + r.Action + " FAILED"
		case r.PopupFound:
			line += ", left unanswered"
		}
		if r.SelfTest != nil {
			line += map[bool]string{true: ", self-test passed", false: ", self-test FAILED"}[*r.SelfTest]
		}
		if r.TCString != "" {
			line += ", TCF " + r.TCString
		}
		if r.GPPString != "" {
			line += ", GPP " + r.GPPString
		}
		fmt.Fprintln(w, line)
	}
	if len(m.Rows) == 0 {
		fmt.Fprintln(w, "consent matrix: no finding in any state")
		return
	}
	fmt.Fprintln(w, "consent matrix (requests with findings: kinds; ! marks data sent against the visitor's choice):")
	m.WriteText(w)
}

// passwordMask replaces the login password in every captured flow.
const passwordMask = "[password]"

// crawlSignIn checks the sign-in flags: a login form (URL, user and the
// name of the variable holding the password), or a saved session from a
// storage-state or cookie file; at most one way.
func crawlSignIn(loginURL, user, passwordEnv, storageState, cookieFile string) (*crawl.Login, *crawl.Session, error) {
	ways := 0
	for _, v := range []string{loginURL, storageState, cookieFile} {
		if v != "" {
			ways++
		}
	}
	if ways > 1 {
		return nil, nil, errors.New("give one of --login-url, --storage-state and --cookie-file")
	}
	switch {
	case loginURL != "":
		if u, err := url.Parse(loginURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, fmt.Errorf("--login-url %q is not an http(s) URL", loginURL)
		}
		if user == "" || passwordEnv == "" {
			return nil, nil, errors.New("--login-url needs --login-user and --login-password-env")
		}
		password := os.Getenv(passwordEnv)
		if password == "" {
			return nil, nil, fmt.Errorf("--login-password-env: the environment variable %s is empty or not set", passwordEnv)
		}
		return &crawl.Login{URL: loginURL, User: user, Password: password}, nil, nil
	case user != "" || passwordEnv != "":
		return nil, nil, errors.New("--login-user and --login-password-env go with --login-url")
	case storageState != "":
		s, err := crawl.LoadStorageState(storageState)
		return nil, s, err
	case cookieFile != "":
		s, err := crawl.LoadCookieFile(cookieFile)
		return nil, s, err
	}
	return nil, nil, nil
}

// registerCrawlProxyFlags registers the live-proxy flags of run, except
// --listen: the crawl's proxy always listens on a free loopback port.
func registerCrawlProxyFlags(fs *flag.FlagSet, pf *proxyFlags) {
	all := flag.NewFlagSet("proxy", flag.ContinueOnError)
	pf.register(all, crawlListen)
	all.VisitAll(func(f *flag.Flag) {
		if f.Name != "listen" {
			fs.Var(f.Value, f.Name, f.Usage)
		}
	})
	pf.listen = crawlListen
}

func printCrawlSummary(w io.Writer, sum crawl.Summary, tally *crawlTally, took time.Duration, st phiproxy.Stats, refused int64) {
	failed := 0
	for _, p := range sum.Pages {
		if p.Status == 0 && p.Error != "" {
			failed++
		}
	}
	fmt.Fprintf(w, "crawl: %d pages visited (%d failed) in %s; %d requests seen, %d inspected, %d flagged, %d not inspected; %d of the browser's own requests refused\n",
		len(sum.Pages), failed, took.Round(time.Second), st.Seen, st.Inspected, st.Flagged, st.Dropped, refused)
	for _, p := range sum.Pages {
		line := fmt.Sprintf("  %s %s", statusText(p.Status), p.URL)
		var notes []string
		if p.FinalURL != "" && p.FinalURL != p.URL {
			notes = append(notes, "→ "+p.FinalURL)
		}
		if p.Links > 0 {
			notes = append(notes, fmt.Sprintf("%d new links", p.Links))
		}
		if p.FieldsFilled > 0 {
			notes = append(notes, fmt.Sprintf("%d fields filled", p.FieldsFilled))
		}
		if len(p.Clicked) > 0 {
			notes = append(notes, "clicked "+strings.Join(quoteAll(p.Clicked), ", "))
		}
		if p.Error != "" {
			notes = append(notes, p.Error)
		}
		if len(notes) > 0 {
			line += " (" + strings.Join(notes, "; ") + ")"
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "crawl: findings: %s\n", tally)
}

func statusText(code int) string {
	if code == 0 {
		return "---"
	}
	return fmt.Sprint(code)
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", clip(s, 40))
	}
	return out
}

// browserFlow is the flow that records what the browser held after page:
// method STORAGE, the page's origin as its URL, the state as Browser. Its
// cookie and storage values are classified like a request's fields.
func browserFlow(page string, state phiproxy.BrowserState) *phiproxy.Flow {
	origin := page
	if u, err := url.Parse(page); err == nil && u.Host != "" {
		origin = u.Scheme + "://" + u.Host + "/"
	}
	return &phiproxy.Flow{
		Start:   time.Now(),
		Source:  "crawl",
		Page:    page,
		Request: phiproxy.Request{Method: "STORAGE", URL: origin, BodySize: 0},
		Browser: &state,
	}
}
