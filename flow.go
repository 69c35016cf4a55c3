// Package phiproxy holds the domain types shared by every part of the tool:
// a captured Flow, the decoded Fields of its payloads, and the Findings that
// classification attaches to them. It does no I/O; adapters live in their
// own packages (proxy, classify, store, tui, evidence, capture).
package phiproxy

import (
	"net/http"
	"strings"
	"time"
)

// Flow is one HTTP exchange as seen by the proxy or read from a recording.
// A Flow is immutable once it has been handed to the pipeline.
type Flow struct {
	// ID is assigned by the store when the flow is saved; zero before that.
	ID int64
	// Start is when the request line was received.
	Start time.Time
	// ClientAddr is the browser side of the connection ("127.0.0.1:53211").
	ClientAddr string
	// ConnectTarget is the host:port of the CONNECT tunnel the request came
	// through, or empty for plain-HTTP proxying and recordings.
	ConnectTarget string
	// ServerAddr is the upstream IP:port the request was sent to, when known.
	ServerAddr string
	// Source says where the flow came from: "proxy", "har", "pcap", "crawl".
	Source string
	// Page is the URL of the page that caused the request, when known
	// (crawls, or the Referer of a sub-resource).
	Page string
	// Phase is "load" when a crawl saw the request fire before any
	// interaction, "interaction" after it, "login" while it signed in, and
	// empty otherwise.
	Phase string
	// Authenticated is set when a signed-in session sent the request: a
	// crawl after it logged in, or one started from a saved session.
	Authenticated bool
	// ClientProto is the protocol the browser spoke to the proxy for this
	// exchange ("HTTP/2.0", "HTTP/1.1"), UpstreamProto the one the proxy
	// spoke to the origin; the two differ when one side offers HTTP/2
	// and the other does not. UpstreamProto is empty when no answer came
	// from the origin; both are empty for recordings, which saw one side.
	ClientProto   string
	UpstreamProto string
	// Consent is the consent state of the crawl that caused the request
	// ("none", "reject", "accept", "gpc"), empty outside consent crawls.
	Consent string

	Request  Request
	Response *Response // nil when no response was received
	// WebSocket holds the messages of an upgraded connection, in order.
	WebSocket []WSMessage
	// Timings of the exchange; zero durations when unknown.
	Timings Timings
	// Browser, when set, makes this flow a reading of the browser's state
	// after Page settled (crawl only) rather than a captured request.
	Browser *BrowserState
	// Error is a one-line reason the exchange failed upstream, if it did.
	Error string
}

// Request is the outbound half of a Flow.
type Request struct {
	Method string
	// URL is absolute, including scheme and host.
	URL string
	// Host is the Host header the client sent (may differ from the URL's
	// host for CONNECT tunnels).
	Host   string
	Proto  string // "HTTP/1.1", "HTTP/2.0"
	Header http.Header
	// Body holds at most the configured capture limit of the body as sent.
	Body []byte
	// BodySize is the full size of the body as forwarded, -1 if unknown.
	BodySize int64
	// Truncated is true when Body holds less than BodySize bytes.
	Truncated bool
}

// Response is the inbound half of a Flow. Only metadata and a bounded
// prefix of the body are kept: leaks travel outbound.
type Response struct {
	Status   int
	Proto    string
	Header   http.Header
	Body     []byte // bounded prefix, may be empty
	BodySize int64  // -1 if unknown
	// SHA256 is the hex SHA-256 of the whole body as delivered (after
	// any transfer decoding, before content decoding), hashed while it
	// streamed to the client, whatever its size. Set only for
	// JavaScript responses whose body was read to the end.
	SHA256 string
}

// Timings measures an exchange in the HAR sense.
type Timings struct {
	Send    time.Duration // request written upstream
	Wait    time.Duration // until the first response byte
	Receive time.Duration // reading the response body
}

// Total is the whole duration of the exchange.
func (t Timings) Total() time.Duration { return t.Send + t.Wait + t.Receive }

// WSMessage is one WebSocket message (after reassembling fragments and
// undoing permessage-deflate).
type WSMessage struct {
	Time       time.Time
	FromClient bool
	Binary     bool
	Data       []byte
	Truncated  bool
}

// URLHost returns the host of the request URL without port, lower-cased.
func (r *Request) URLHost() string {
	u := r.URL
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexAny(u, "/?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.LastIndex(u, "@"); i >= 0 {
		u = u[i+1:]
	}
	if strings.HasPrefix(u, "[") {
		if i := strings.Index(u, "]"); i >= 0 {
			return strings.ToLower(u[1:i])
		}
	}
	if i := strings.LastIndex(u, ":"); i >= 0 && strings.Count(u, ":") == 1 {
		u = u[:i]
	}
	return strings.ToLower(u)
}
