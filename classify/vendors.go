package classify

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strings"
)

// vendorsTSV is the curated list of tracker and service domains:
// domain<TAB>vendor<TAB>category<TAB>source, '#' starts a comment line.
// source names the vendor's own documentation of its hosts; a file of
// one's own may leave it out.
//
//go:embed data/vendors.tsv
var vendorsTSV string

// vendor is one receiver of data recognised by its domain.
type vendor struct {
	Domain   string // host suffix, lower-case, matched on label boundaries
	Name     string // display name ("Meta Pixel")
	Category string // "advertising", "analytics", ...
	Source   string // where the vendor documents the domain; may be empty
}

// vendorTable finds the vendor of a host by its longest matching suffix.
// The zero value knows no vendors. It is read-only after parseVendors and
// safe for concurrent use.
type vendorTable struct {
	bySuffix map[string]vendor
	// maxLabels bounds how many suffixes of a host are looked up.
	maxLabels int
}

// vendorCategories are the categories a vendors file may use.
var vendorCategories = map[string]bool{
	"advertising": true, "analytics": true, "session_replay": true, "chat": true,
	"tag_manager": true, "cdn": true, "error_monitoring": true, "marketing": true,
	"consent": true, "ab_testing": true, "video": true, "fonts": true, "payments": true,
}

// parseVendors reads a vendors file. A malformed row is an error naming
// source and line so a broken curated list fails loudly at start-up.
func parseVendors(r io.Reader, source string) (*vendorTable, error) {
	t := &vendorTable{bySuffix: make(map[string]vendor)}
	err := eachTSVRow(r, source, func(line int, cols []string) error {
		if len(cols) < 3 {
			return fmt.Errorf("%s:%d: want domain<TAB>vendor<TAB>category, got %d columns", source, line, len(cols))
		}
		domain := strings.Trim(strings.ToLower(strings.TrimSpace(cols[0])), ".")
		name := strings.TrimSpace(cols[1])
		category := strings.ToLower(strings.TrimSpace(cols[2]))
		if domain == "" || name == "" {
			return fmt.Errorf("%s:%d: empty domain or vendor", source, line)
		}
		if strings.ContainsAny(domain, "/ :") {
			return fmt.Errorf("%s:%d: domain %q must be a bare host suffix", source, line, domain)
		}
		if !vendorCategories[category] {
			return fmt.Errorf("%s:%d: unknown category %q", source, line, category)
		}
		v := vendor{Domain: domain, Name: name, Category: category}
		if len(cols) > 3 {
			v.Source = strings.TrimSpace(cols[3])
		}
		t.bySuffix[domain] = v
		if n := strings.Count(domain, ".") + 1; n > t.maxLabels {
			t.maxLabels = n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// eachTSVRow calls row with the tab-separated columns and the line number
// of every line of r that is neither blank nor a '#' comment. An error
// from row ends the reading and is returned as it is.
func eachTSVRow(r io.Reader, source string, row func(line int, cols []string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if t := strings.TrimSpace(text); t == "" || t[0] == '#' {
			continue
		}
		if err := row(line, strings.Split(text, "\t")); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: read: %w", source, err)
	}
	return nil
}

// lookup returns the vendor whose domain is the longest label-boundary
// suffix of host ("px.ads.linkedin.com" matches "linkedin.com" but
// "notfacebook.com" does not match "facebook.com").
func (t *vendorTable) lookup(host string) (vendor, bool) {
	if t == nil || len(t.bySuffix) == 0 {
		return vendor{}, false
	}
	host = strings.Trim(strings.ToLower(host), ".")
	// Walk from the longest suffix (the host itself) to shorter ones so the
	// most specific entry wins ("analytics.google.com" over "google.com").
	labels := strings.Count(host, ".") + 1
	s := host
	for i := 0; i < labels; i++ {
		if labels-i <= t.maxLabels {
			if v, ok := t.bySuffix[s]; ok {
				return v, true
			}
		}
		dot := strings.IndexByte(s, '.')
		if dot < 0 {
			break
		}
		s = s[dot+1:]
	}
	return vendor{}, false
}
