package inventory

import (
	"net/url"
	"strings"
)

// PathTemplate collapses the variable segments of a URL path so that one
// endpoint is one item however many users, orders or sessions it serves:
// numbers and UUIDs become {id}, hex digests and long opaque tokens
// {hash}. "/v1/users/8812/events" → "/v1/users/{id}/events". The query is
// not part of the template; its keys are the endpoint's keys.
func PathTemplate(path string) string {
	if path == "" {
		return "/"
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if s == "" {
			continue
		}
		if t := segmentKind(s); t != "" {
			segs[i] = t
		}
	}
	return strings.Join(segs, "/")
}

// segmentKind is "{id}" or "{hash}" for a variable segment, "" for a
// word that names something (v1, events, collect, app.js).
func segmentKind(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		s = u
	}
	digits, hex, letters, other := 0, 0, 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r >= 'a' && r <= 'f', r >= 'A' && r <= 'F':
			hex++
			letters++
		case r >= 'g' && r <= 'z', r >= 'G' && r <= 'Z':
			letters++
		case r == '-' || r == '_' || r == '.' || r == '=' || r == '+' || r == '~':
			other++
		default:
			other += 100 // not an identifier
		}
	}
	n := len(s)
	switch {
	case digits == n:
		return "{id}"
	case isUUID(s):
		return "{id}"
	case n >= 16 && digits+hex == n:
		return "{hash}"
	case n >= 20 && digits > 0 && letters > 0 && other < 4 && !strings.Contains(s, "."):
		// A long mix of letters and digits (session tokens, base64 ids)
		// names no resource; a file name has its dot.
		return "{hash}"
	case digits > 0 && letters == 0 && other > 0 && other < 100:
		// 2026-12-04, 12.5: dates and decimals.
		return "{id}"
	}
	return ""
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
				return false
			}
		}
	}
	return true
}
