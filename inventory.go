package phiproxy

import "time"

// BrowserState is what a crawl read from the browser after a page settled:
// facts the proxy cannot see because they never cross the wire as such
// (a cookie written by document.cookie, a localStorage entry) or that only
// the browser knows (which script started a request). A Flow carrying one
// records that reading, not a request; its Request names the page.
type BrowserState struct {
	// Cookies are every cookie the browser holds for the page's frames,
	// with their attributes.
	Cookies []BrowserCookie
	// Storage are the localStorage and sessionStorage entries of every
	// frame's origin.
	Storage []StorageItem
	// Initiators say which script caused each request of the page.
	Initiators []Initiator
}

// BrowserCookie is a cookie as the browser holds it.
type BrowserCookie struct {
	Name, Value, Domain, Path string
	// Expires is the zero time for a session cookie.
	Expires          time.Time
	Secure, HTTPOnly bool
	SameSite         string // "Strict", "Lax", "None" or ""
	Partitioned      bool
}

// Storage areas.
const (
	StorageLocal   = "local"
	StorageSession = "session"
)

// StorageItem is one Web Storage entry of an origin.
type StorageItem struct {
	Origin string // scheme://host[:port]
	Area   string // StorageLocal or StorageSession
	Key    string
	// Value may be cut short for very large entries; Size is the whole
	// value's length in bytes.
	Value string
	Size  int
}

// FieldPath is the first step of the chain of a field decoded from the
// entry: "storage:localStorage[KEY]" or "storage:sessionStorage[KEY]".
func (s StorageItem) FieldPath() string {
	area := "localStorage"
	if s.Area == StorageSession {
		area = "sessionStorage"
	}
	return "storage:" + area + "[" + s.Key + "]"
}

// Initiator ties a request to the script that caused it, from the
// browser's initiator stack: Script is the URL of the innermost script
// frame, or the document's URL for a request the parser started.
type Initiator struct {
	URL    string
	Script string
}
