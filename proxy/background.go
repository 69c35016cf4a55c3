package proxy

import "net/http"

// isBrowserBackground reports whether req looks like the browser's own
// traffic rather than something a page caused: component and extension
// updates, account checks, safe browsing. A crawl refuses such requests
// (Config.PageTrafficOnly) so that it reports, and sends to the network,
// only what the site caused.
//
// Fetch metadata tells the two apart. A page's subresource requests carry
// Sec-Fetch-Site same-origin, same-site or cross-site; "none" is sent only
// for navigations a user (here, the crawler) starts, and for the browser's
// own requests, which are never navigations. Over plain http no fetch
// metadata is sent at all; there a page's requests carry a Referer or an
// Origin and its navigations Upgrade-Insecure-Requests, while the
// browser's own carry none of them. (A page whose policy sends no
// referrer and that loads plain-http subresources would be refused too;
// browsers block or upgrade most such mixed content anyway.)
func isBrowserBackground(req *http.Request) bool {
	h := req.Header
	switch site := h.Get("Sec-Fetch-Site"); site {
	case "none":
		return h.Get("Sec-Fetch-Mode") != "navigate"
	case "":
		return h.Get("Referer") == "" && h.Get("Origin") == "" && h.Get("Upgrade-Insecure-Requests") == ""
	}
	return false
}
