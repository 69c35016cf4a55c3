package crawl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// maxURLLength bounds the links the crawler follows; longer ones are
// generated noise (session blobs, tracking redirects), not pages.
const maxURLLength = 2048

// skippedExtensions are links to files rather than pages: following them
// would download or render a file and find no links or forms.
var skippedExtensions = map[string]bool{
	".pdf": true, ".zip": true, ".gz": true, ".tgz": true, ".rar": true, ".7z": true,
	".jpg": true, ".jpeg": true, ".png": true, ".gif": true, ".webp": true, ".svg": true, ".ico": true,
	".mp3": true, ".mp4": true, ".mov": true, ".avi": true, ".webm": true, ".wav": true,
	".doc": true, ".docx": true, ".xls": true, ".xlsx": true, ".ppt": true, ".pptx": true,
	".exe": true, ".dmg": true, ".msi": true, ".apk": true, ".iso": true,
	".css": true, ".js": true, ".json": true, ".xml": true, ".rss": true, ".txt": true,
}

// destructiveWords mark links that end a session or destroy data; a crawl
// must leave the account it tests usable.
var destructiveWords = []string{"logout", "log-out", "log_out", "log out", "logoff", "log-off", "signout", "sign-out", "sign_out", "sign out", "delete", "unsubscribe"}

// siteOf returns the registrable domain (eTLD+1) of host, or the host
// itself for IP addresses, single labels ("localhost") and names the
// public-suffix list cannot split.
func siteOf(host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if net.ParseIP(strings.Trim(host, "[]")) != nil || !strings.Contains(host, ".") {
		return host
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	return d
}

// normalizeURL parses an absolute http(s) URL and returns its canonical
// form for deduplication: lower-case scheme and host, no default port, no
// fragment, "/" for an empty path.
func normalizeURL(raw string) (*url.URL, error) {
	if len(raw) > maxURLLength {
		return nil, fmt.Errorf("URL longer than %d bytes", maxURLLength)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, err
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("no host")
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	u.Host = host
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" && u.Opaque == "" {
		u.Path = "/"
	}
	return u, nil
}

// isDestructive reports whether following a link (by its URL or its text)
// would log out or delete something.
func isDestructive(u *url.URL, text string) bool {
	s := strings.ToLower(u.Path + "?" + u.RawQuery + " " + text)
	if unescaped, err := url.PathUnescape(s); err == nil {
		s = unescaped
	}
	for _, w := range destructiveWords {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// link is an anchor found on a page.
type link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// followable filters the anchors of a page down to the URLs the crawl may
// visit: http(s), on site (the seed's registrable domain), not a file,
// not destructive, normalised and deduplicated against seen. It adds what
// it returns to seen.
func followable(links []link, site string, seen map[string]bool) []string {
	var out []string
	for _, l := range links {
		u, err := normalizeURL(l.Href)
		if err != nil {
			continue
		}
		s := u.String()
		if seen[s] || siteOf(u.Hostname()) != site || skippedExtensions[strings.ToLower(path.Ext(u.Path))] || isDestructive(u, l.Text) {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}
