package chromiumtest

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// ConsentSite is a clinic page run by a real consent manager,
// vanilla-cookieconsent 3 as installed from npm: an analytics script that
// loads only after consent, a pixel that sends an email and a condition
// whatever the visitor chose, and an iframe that reports Global Privacy
// Control too. One server answers for three names: the site
// (ConsentSiteHost), the analytics (ConsentGoodHost) and the pixel
// (ConsentBadHost).
type ConsentSite struct {
	*Site
	npm string

	mu       sync.Mutex
	requests []ConsentRequest
}

// ConsentRequest is one request the site received.
type ConsentRequest struct {
	// URL is host, path and query: "px.example-bad.net/tr?ev=…".
	URL string
	// GPC is the request's Sec-GPC header.
	GPC string
}

// The consent site's host names.
const (
	ConsentSiteHost = "www.clinic-example.org"
	ConsentGoodHost = "analytics.example-good.net"
	ConsentBadHost  = "px.example-bad.net"
)

// ConsentEmail and ConsentCondition are what the pixel sends.
const (
	ConsentEmail     = "pat.rivera@example.org"
	ConsentCondition = "type 2 diabetes"
)

// NewConsentSite starts the site; npm is the node_modules folder holding
// vanilla-cookieconsent.
func NewConsentSite(t testing.TB, npm string) *ConsentSite {
	t.Helper()
	s := &ConsentSite{npm: npm}
	s.Site = NewSite(t, s, ConsentSiteHost, ConsentGoodHost, ConsentBadHost)
	return s
}

// Resolve maps the site's three names to its address, for the proxy.
func (s *ConsentSite) Resolve() map[string]string {
	return map[string]string{ConsentSiteHost: s.Addr(), ConsentGoodHost: s.Addr(), ConsentBadHost: s.Addr()}
}

// Requests returns the requests whose URL starts with prefix, in order.
func (s *ConsentSite) Requests(prefix string) []ConsentRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ConsentRequest
	for _, r := range s.requests {
		if strings.HasPrefix(r.URL, prefix) {
			out = append(out, r)
		}
	}
	return out
}

func (s *ConsentSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, ConsentRequest{URL: r.Host + r.URL.RequestURI(), GPC: r.Header.Get("Sec-GPC")})
	s.mu.Unlock()
	js := func(body string) {
		w.Header().Set("Content-Type", "application/javascript")
		fmt.Fprint(w, body)
	}
	file := func(name, contentType string) {
		b, err := os.ReadFile(filepath.Join(s.npm, "vanilla-cookieconsent", "dist", name))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Write(b)
	}
	switch r.Host + r.URL.Path {
	case ConsentSiteHost + "/":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, consentPage)
	case ConsentSiteHost + "/frame":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><script>new Image().src = 'https://`+ConsentBadHost+`/tr?frame=1&gpc=' + navigator.globalPrivacyControl;</script>`)
	case ConsentSiteHost + "/cc/cookieconsent.umd.js":
		file("cookieconsent.umd.js", "application/javascript")
	case ConsentSiteHost + "/cc/cookieconsent.css":
		file("cookieconsent.css", "text/css")
	case ConsentGoodHost + "/a.js":
		js(`new Image().src = 'https://` + ConsentGoodHost + `/collect?dl=' + encodeURIComponent(location.href) + '&dt=' + encodeURIComponent(document.title);`)
	case ConsentBadHost + "/px.js":
		js(`new Image().src = 'https://` + ConsentBadHost + `/tr?ev=PageView&em=' + encodeURIComponent('` + ConsentEmail + `') + '&cd[condition]=` + strings.ReplaceAll(ConsentCondition, " ", "%20") + `&gpc=' + navigator.globalPrivacyControl;`)
	default:
		w.Header().Set("Content-Type", "image/gif")
		w.Write([]byte("GIF89a"))
	}
}

// The consent strings the page's IAB TCF and GPP APIs report, as a
// consent manager that implements them would.
const (
	ConsentTCString  = "CQHwzEAQHwzEAAHABBENBJFgAP_gAAAAAAAAIzQAAAAA"
	ConsentGPPString = "DBABMA~CQHwzEAQHwzEAAHABBENBJFgAP_gAAAAAAAAIzQAAAAA"
)

const consentPage = `<!doctype html><html><head><title>Diabetes care</title>
<script>
window.__tcfapi = function (cmd, version, cb) { if (cmd === 'getTCData') cb({tcString: '` + ConsentTCString + `', gdprApplies: true}, true); };
window.__gpp = function (cmd, cb) { const d = {gppString: '` + ConsentGPPString + `'}; if (cb) cb(d, true); return d; };
</script>
<link rel="stylesheet" href="/cc/cookieconsent.css">
<script type="text/plain" data-category="analytics" src="https://` + ConsentGoodHost + `/a.js"></script>
<script src="https://` + ConsentBadHost + `/px.js"></script>
</head><body><h1>Type 2 diabetes care</h1><iframe src="/frame"></iframe>
<script src="/cc/cookieconsent.umd.js"></script>
<script>
CookieConsent.run({
  categories: {necessary: {enabled: true, readOnly: true}, analytics: {}},
  language: {default: 'en', translations: {en: {
    consentModal: {title: 'We use cookies', description: 'Analytics cookies help us improve the site.',
      acceptAllBtn: 'Accept all', acceptNecessaryBtn: 'Reject all', showPreferencesBtn: 'Manage preferences'},
    preferencesModal: {title: 'Cookie preferences', acceptAllBtn: 'Accept all', acceptNecessaryBtn: 'Reject all',
      savePreferencesBtn: 'Save', sections: [{title: 'Analytics', linkedCategory: 'analytics'}]}
  }}}
});
</script></body></html>`
