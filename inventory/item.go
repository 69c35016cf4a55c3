// Package inventory turns what a run saw into a list of what a site loads
// and keeps, per vendor and page: scripts (with the SHA-256 of their
// bytes), cookies (set by a response or by a script), Web Storage entries
// and the endpoints data was sent to. Facts are taken from each inspected
// flow (Extractor), aggregated per run, page and item in bounded memory
// (Aggregator) and stored; Build is a pure function from stored rows to
// the items the CLI, the terminal UI and the evidence bundle show.
package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/phiproxy/phiproxy"
)

// Item types.
const (
	TypeScript   = "script"
	TypeCookie   = "cookie"
	TypeStorage  = "storage"
	TypeEndpoint = "endpoint"
	TypeRecorder = "recorder"
	// typeInitiator rows say which script caused a request; Build folds
	// them into the scripts and endpoints they explain.
	typeInitiator = "initiator"
)

// Who set a cookie.
const (
	SetByHTTP = "http"
	SetByJS   = "js"
)

// Item is one thing a site loads or keeps, over the pages of one run. Its
// JSON form (one object per line in `phiproxy inventory --json`, an array
// in the bundle's inventory.json) is a public contract: the common keys
// below, then those of exactly one of Script, Cookie, Storage, Endpoint.
type Item struct {
	Type string `json:"type"`
	// Vendor is the known vendor's name, else the registrable domain.
	Vendor         string `json:"vendor"`
	VendorCategory string `json:"vendor_category"`
	Host           string `json:"host"`
	Party          string `json:"party"`
	BAA            bool   `json:"baa"`
	// Pages are the top-level pages the item appeared on, sorted.
	Pages     []string  `json:"pages"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	RunID     int64     `json:"run_id"`

	// Domain is the registrable domain of Host; it groups unknown
	// vendors and is not part of the JSON form.
	Domain string `json:"-"`

	Script   *Script   `json:"-"`
	Cookie   *Cookie   `json:"-"`
	Storage  *Storage  `json:"-"`
	Endpoint *Endpoint `json:"-"`
	Recorder *Recorder `json:"-"`
}

// Script is a JavaScript response.
type Script struct {
	URL    string `json:"url"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Initiator is the script that loaded this one, or the page whose
	// markup did; "" when not known (the proxy alone cannot tell).
	Initiator string `json:"initiator"`
}

// Cookie is a cookie set by a response header or by a script. Its value
// is never kept, only its size.
type Cookie struct {
	Name   string `json:"name"`
	Domain string `json:"domain"`
	Path   string `json:"path"`
	// ExpiresDays is the lifetime in days from when it was seen; nil for
	// a session cookie.
	ExpiresDays *float64 `json:"expires_days"`
	Secure      bool     `json:"secure"`
	HTTPOnly    bool     `json:"http_only"`
	SameSite    string   `json:"same_site"`
	Partitioned bool     `json:"partitioned"`
	SetBy       string   `json:"set_by"`
	ThirdParty  bool     `json:"third_party"`
	ValueBytes  int      `json:"value_bytes"`
}

// Storage is a localStorage or sessionStorage entry; its value is
// classified but never kept, only its size.
type Storage struct {
	Origin     string `json:"origin"`
	Area       string `json:"area"`
	Key        string `json:"key"`
	ValueBytes int    `json:"value_bytes"`
}

// Endpoint is where requests were sent: method, host (on the Item) and
// path template.
type Endpoint struct {
	Method       string            `json:"method"`
	PathTemplate string            `json:"path_template"`
	Keys         []string          `json:"keys"`
	Kinds        []string          `json:"kinds"`
	MaxSeverity  phiproxy.Severity `json:"max_severity"`
	Count        int64             `json:"count"`
	// Cookies are the names of the cookies sent with the requests.
	Cookies []string `json:"cookies"`
	// Initiator is the script that sent the latest request, "" when not
	// known.
	Initiator string `json:"initiator"`
}

// Recorder is a session recorder on a page: what the recordings the run
// saw masked, summed over them.
type Recorder struct {
	// Recorder names the recording product ("Sentry Replay").
	Recorder       string `json:"recorder"`
	InputsMasked   int    `json:"inputs_masked"`
	InputsUnmasked int    `json:"inputs_unmasked"`
	TextMasked     int    `json:"text_masked"`
	TextUnmasked   int    `json:"text_unmasked"`
	Blocked        int    `json:"elements_blocked"`
	// Typing is set when a recording captured a field keystroke by
	// keystroke.
	Typing bool `json:"typing_captured"`
	// Unmasked is set when the recorder captured input or page text
	// unmasked: "Vendor X records unmasked input on /book".
	Unmasked bool `json:"unmasked"`
}

// add folds another sighting's counts into r.
func (r *Recorder) add(o *Recorder) {
	r.InputsMasked += o.InputsMasked
	r.InputsUnmasked += o.InputsUnmasked
	r.TextMasked += o.TextMasked
	r.TextUnmasked += o.TextUnmasked
	r.Blocked += o.Blocked
	r.Typing = r.Typing || o.Typing
	r.Unmasked = r.InputsUnmasked > 0 || r.TextUnmasked > 0
}

// Describe says in words what the recorder captured: "records unmasked
// input (3 fields) and page text (12 nodes); typing captured keystroke by
// keystroke", or "inputs and text masked".
func (r *Recorder) Describe() string {
	var unmasked []string
	if r.InputsUnmasked > 0 {
		unmasked = append(unmasked, fmt.Sprintf("input (%d fields)", r.InputsUnmasked))
	}
	if r.TextUnmasked > 0 {
		unmasked = append(unmasked, fmt.Sprintf("page text (%d nodes)", r.TextUnmasked))
	}
	var out string
	switch {
	case len(unmasked) > 0:
		out = "records unmasked " + strings.Join(unmasked, " and ")
	case r.InputsMasked+r.TextMasked > 0:
		out = "inputs and text masked"
	default:
		out = "no input or text recorded"
	}
	if r.Blocked > 0 {
		out += fmt.Sprintf("; %d elements blocked", r.Blocked)
	}
	if r.Typing {
		out += "; typing captured keystroke by keystroke"
	}
	return out
}

// MarshalJSON writes the common keys, then the type's own.
func (it Item) MarshalJSON() ([]byte, error) {
	type common Item // no MarshalJSON: no recursion
	c := common(it)
	if c.Pages == nil {
		c.Pages = []string{}
	}
	head, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var own any
	switch {
	case it.Script != nil:
		own = it.Script
	case it.Cookie != nil:
		own = it.Cookie
	case it.Storage != nil:
		own = it.Storage
	case it.Recorder != nil:
		own = it.Recorder
	case it.Endpoint != nil:
		e := *it.Endpoint
		e.Keys, e.Kinds, e.Cookies = nonNil(e.Keys), nonNil(e.Kinds), nonNil(e.Cookies)
		own = e
	default:
		return head, nil
	}
	tail, err := json.Marshal(own)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(tail, []byte("{}")) {
		return head, nil
	}
	out := make([]byte, 0, len(head)+len(tail))
	out = append(out, head[:len(head)-1]...)
	out = append(out, ',')
	return append(out, tail[1:]...), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Name is the item's identity for people: a script's URL, a cookie's or
// storage entry's key, an endpoint's method and path.
func (it Item) Name() string {
	switch {
	case it.Script != nil:
		return it.Script.URL
	case it.Cookie != nil:
		return it.Cookie.Name
	case it.Storage != nil:
		return it.Storage.Key
	case it.Endpoint != nil:
		return it.Endpoint.Method + " " + it.Host + it.Endpoint.PathTemplate
	}
	return ""
}
