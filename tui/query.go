package tui

import (
	"fmt"
	"strings"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/store"
)

// Query is what the `/` filter input asks for. The zero Query selects
// every flow.
type Query struct {
	// Host keeps flows to this host or its subdomains ("host:facebook.com").
	Host string
	// Vendor keeps flows whose vendor contains it ("vendor:meta").
	Vendor string
	// Kind keeps flows with a finding of this kind ("kind:email").
	Kind phiproxy.Kind
	// Severity is the floor asked for with "sev:high"; meaningful only when
	// HasSeverity is set.
	Severity    phiproxy.Severity
	HasSeverity bool
	// Text is the free text: the words that are not tokens, joined by one
	// space, matched against URL, vendor and kinds.
	Text string
}

// knownKinds are the kinds a `kind:` token accepts.
var knownKinds = []phiproxy.Kind{
	phiproxy.KindEmail, phiproxy.KindPhone, phiproxy.KindSSN, phiproxy.KindDOB, phiproxy.KindZIP,
	phiproxy.KindAddress, phiproxy.KindName, phiproxy.KindMRN, phiproxy.KindMemberID, phiproxy.KindNPI,
	phiproxy.KindDEA, phiproxy.KindCard, phiproxy.KindIP, phiproxy.KindMedication, phiproxy.KindCondition,
	phiproxy.KindProcedure, phiproxy.KindSpecialty, phiproxy.KindSymptom, phiproxy.KindFreeText,
}

// maxQueryLen bounds the filter text so a paste cannot build a huge query.
const maxQueryLen = 1000

// ParseQuery reads filter input such as
// "host:facebook.com kind:email sertraline". Tokens are host:, vendor:,
// kind: and sev: (case-insensitive prefixes); anything else is free text.
// A token with an empty or unknown value is an error naming the token.
func ParseQuery(s string) (Query, error) {
	var q Query
	if len(s) > maxQueryLen {
		return q, fmt.Errorf("filter is %d characters long; at most %d are allowed", len(s), maxQueryLen)
	}
	var words []string
	for _, tok := range strings.Fields(s) {
		name, value, ok := strings.Cut(tok, ":")
		if !ok {
			words = append(words, tok)
			continue
		}
		switch strings.ToLower(name) {
		case "host":
			if value == "" {
				return Query{}, fmt.Errorf("%q: host: needs a host name", tok)
			}
			q.Host = strings.ToLower(strings.TrimSuffix(value, "."))
		case "vendor":
			if value == "" {
				return Query{}, fmt.Errorf("%q: vendor: needs a vendor name", tok)
			}
			// Vendors have spaces in their names ("Meta Pixel"); "_" stands
			// for one inside a token.
			q.Vendor = strings.ReplaceAll(value, "_", " ")
		case "kind":
			k, err := parseKind(value)
			if err != nil {
				return Query{}, fmt.Errorf("%q: %w", tok, err)
			}
			q.Kind = k
		case "sev", "severity":
			sev, err := phiproxy.ParseSeverity(value)
			if err != nil {
				return Query{}, fmt.Errorf("%q: %w", tok, err)
			}
			q.Severity, q.HasSeverity = sev, true
		default:
			// "https://…" or "a:b" in free text are words, not tokens.
			words = append(words, tok)
		}
	}
	q.Text = strings.Join(words, " ")
	return q, nil
}

func parseKind(s string) (phiproxy.Kind, error) {
	k := phiproxy.Kind(strings.ToLower(s))
	for _, known := range knownKinds {
		if k == known {
			return k, nil
		}
	}
	names := make([]string, len(knownKinds))
	for i, known := range knownKinds {
		names[i] = string(known)
	}
	return "", fmt.Errorf("unknown kind %q (want one of %s)", s, strings.Join(names, ", "))
}

// String renders q back as filter input; ParseQuery(q.String()) == q.
func (q Query) String() string {
	var parts []string
	if q.Host != "" {
		parts = append(parts, "host:"+q.Host)
	}
	if q.Vendor != "" {
		parts = append(parts, "vendor:"+strings.ReplaceAll(q.Vendor, " ", "_"))
	}
	if q.Kind != "" {
		parts = append(parts, "kind:"+string(q.Kind))
	}
	if q.HasSeverity {
		parts = append(parts, "sev:"+q.Severity.String())
	}
	if q.Text != "" {
		parts = append(parts, q.Text)
	}
	return strings.Join(parts, " ")
}

// Filter is the store selection for q under the severity floor.
func (q Query) Filter(floor phiproxy.Severity) store.Filter {
	return store.Filter{Host: q.Host, Vendor: q.Vendor, Kind: q.Kind, Text: q.Text, MinSeverity: floor}
}

// nextSeverity is the floor after pressing `s`:
// info → low → medium → high → critical → info.
func nextSeverity(s phiproxy.Severity) phiproxy.Severity {
	if s >= phiproxy.Critical || s < phiproxy.Info {
		return phiproxy.Info
	}
	return s + 1
}
