package crawl

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Session is a signed-in browser state to start a crawl with: cookies,
// and localStorage entries per origin.
type Session struct {
	Cookies []SessionCookie
	// Storage maps an origin ("https://portal.example") to its
	// localStorage entries.
	Storage map[string]map[string]string
}

// SessionCookie is one cookie of a Session.
type SessionCookie struct {
	Name, Value, Domain, Path string
	// Expires is in seconds since the epoch; 0 or less is a session cookie.
	Expires  float64
	Secure   bool
	HTTPOnly bool
	// SameSite is "Strict", "Lax", "None" or empty.
	SameSite string
}

// maxSessionFile bounds a storage-state or cookie file.
const maxSessionFile = 16 << 20

// LoadStorageState reads the storage-state JSON that Playwright writes
// (context.storageState()): {"cookies": [...], "origins": [{"origin":
// ..., "localStorage": [{"name": ..., "value": ...}]}]}.
func LoadStorageState(path string) (*Session, error) {
	data, err := readSessionFile(path)
	if err != nil {
		return nil, err
	}
	var st struct {
		Cookies []struct {
			Name     string  `json:"name"`
			Value    string  `json:"value"`
			Domain   string  `json:"domain"`
			Path     string  `json:"path"`
			Expires  float64 `json:"expires"`
			HTTPOnly bool    `json:"httpOnly"`
			Secure   bool    `json:"secure"`
			SameSite string  `json:"sameSite"`
		} `json:"cookies"`
		Origins []struct {
			Origin       string `json:"origin"`
			LocalStorage []struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			} `json:"localStorage"`
		} `json:"origins"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("storage state %s: %w", path, err)
	}
	s := &Session{Storage: map[string]map[string]string{}}
	for _, c := range st.Cookies {
		if c.Name == "" || c.Domain == "" {
			return nil, fmt.Errorf("storage state %s: a cookie without a name or domain", path)
		}
		s.Cookies = append(s.Cookies, SessionCookie{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: cmp.Or(c.Path, "/"),
			Expires: c.Expires, Secure: c.Secure, HTTPOnly: c.HTTPOnly, SameSite: c.SameSite})
	}
	for _, o := range st.Origins {
		u, err := url.Parse(o.Origin)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("storage state %s: origin %q is not an http(s) origin", path, o.Origin)
		}
		origin := u.Scheme + "://" + strings.ToLower(u.Host)
		if s.Storage[origin] == nil {
			s.Storage[origin] = map[string]string{}
		}
		for _, kv := range o.LocalStorage {
			s.Storage[origin][kv.Name] = kv.Value
		}
	}
	return s, nil
}

// LoadCookieFile reads a Netscape cookies.txt, as curl and browser cookie
// exporters write it: one cookie a line, seven tab-separated fields
// (domain, include subdomains, path, secure, expiry, name, value);
// "#HttpOnly_" before the domain marks an HttpOnly cookie; other lines
// starting with # are comments.
func LoadCookieFile(path string) (*Session, error) {
	data, err := readSessionFile(path)
	if err != nil {
		return nil, err
	}
	s := &Session{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), maxSessionFile)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		httpOnly := false
		if rest, ok := strings.CutPrefix(line, "#HttpOnly_"); ok {
			line, httpOnly = rest, true
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 7 {
			return nil, fmt.Errorf("cookie file %s line %d: want 7 tab-separated fields, got %d", path, n, len(f))
		}
		exp, err := strconv.ParseFloat(f[4], 64)
		if err != nil || math.IsNaN(exp) {
			return nil, fmt.Errorf("cookie file %s line %d: expiry %q is not a number", path, n, f[4])
		}
		domain := f[0]
		// A host-only cookie (include subdomains FALSE) keeps the bare
		// host; Chromium reads a leading dot as "and subdomains".
		if strings.EqualFold(f[1], "TRUE") && !strings.HasPrefix(domain, ".") {
			domain = "." + domain
		}
		s.Cookies = append(s.Cookies, SessionCookie{Name: f[5], Value: f[6], Domain: domain, Path: cmp.Or(f[2], "/"),
			Expires: exp, Secure: strings.EqualFold(f[3], "TRUE"), HTTPOnly: httpOnly})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cookie file %s: %w", path, err)
	}
	if len(s.Cookies) == 0 {
		return nil, fmt.Errorf("cookie file %s holds no cookie", path)
	}
	return s, nil
}

func readSessionFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSessionFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxSessionFile {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, maxSessionFile>>20)
	}
	return data, nil
}

// seedStorageJS writes an origin's saved localStorage entries before the
// page's own scripts run, leaving keys the page has set since alone. %s
// is the origin and the entries as JSON.
const seedStorageJS = `((origin, entries) => {
  if (location.origin !== origin) return;
  try {
    for (const [k, v] of Object.entries(entries)) { if (localStorage.getItem(k) === null) localStorage.setItem(k, v); }
  } catch (e) {}
})(%s, %s)`

// applySession gives the browser the session's cookies, and arranges for
// each origin's localStorage to be in place before its pages' scripts run.
func (c *crawler) applySession(ctx context.Context, s *Session) error {
	var params []*network.CookieParam
	for _, ck := range s.Cookies {
		p := &network.CookieParam{Name: ck.Name, Value: ck.Value, Domain: ck.Domain, Path: ck.Path, Secure: ck.Secure, HTTPOnly: ck.HTTPOnly}
		switch strings.ToLower(ck.SameSite) {
		case "strict":
			p.SameSite = network.CookieSameSiteStrict
		case "lax":
			p.SameSite = network.CookieSameSiteLax
		case "none":
			p.SameSite = network.CookieSameSiteNone
		}
		if ck.Expires > 0 {
			p.Expires = cdp.TimeSinceEpoch(ck.Expires)
		}
		params = append(params, p)
	}
	if len(params) > 0 {
		if _, err := chromedp.Call(ctx, network.SetCookies, network.SetCookiesParams{Cookies: params}); err != nil {
			return fmt.Errorf("crawl: set the session's cookies: %w", err)
		}
	}
	for origin, entries := range s.Storage {
		o, _ := json.Marshal(origin)
		e, _ := json.Marshal(entries)
		if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: fmt.Sprintf(seedStorageJS, o, e)}); err != nil {
			return fmt.Errorf("crawl: seed localStorage of %s: %w", origin, err)
		}
	}
	return nil
}
