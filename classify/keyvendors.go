package classify

import (
	_ "embed"
	"fmt"
	"io"
	"slices"
	"strings"
)

// storageKeysTSV names the cookies and storage keys vendors' scripts
// write on the site's own domain: prefix<TAB>vendor<TAB>category<TAB>source.
//
//go:embed data/storage_keys.tsv
var storageKeysTSV string

// keyVendor is a vendor known by the names its script writes.
type keyVendor struct {
	prefix, name, category string
}

// keyVendors holds them longest prefix first, so the most specific wins.
var keyVendors = mustKeyVendors()

func mustKeyVendors() []keyVendor {
	kv, err := parseKeyVendors(strings.NewReader(storageKeysTSV), "data/storage_keys.tsv")
	if err != nil {
		panic(err)
	}
	return kv
}

func parseKeyVendors(r io.Reader, source string) ([]keyVendor, error) {
	var out []keyVendor
	err := eachTSVRow(r, source, func(line int, cols []string) error {
		if len(cols) < 3 || cols[0] == "" || cols[1] == "" {
			return fmt.Errorf("%s:%d: want prefix<TAB>vendor<TAB>category", source, line)
		}
		if !vendorCategories[cols[2]] {
			return fmt.Errorf("%s:%d: unknown category %q", source, line, cols[2])
		}
		out = append(out, keyVendor{prefix: cols[0], name: cols[1], category: cols[2]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Longest first: "intercom-" before "in"; equal lengths keep file order.
	slices.SortStableFunc(out, func(a, b keyVendor) int { return len(b.prefix) - len(a.prefix) })
	return out, nil
}

// VendorOfKey names the vendor whose script writes a cookie or storage
// key of this name on the site's own domain (_ga: Google Analytics,
// intercom-id-…: Intercom), so that what a vendor keeps first party is
// listed with the vendor.
func VendorOfKey(name string) (vendor, category string, ok bool) {
	for _, kv := range keyVendors {
		if strings.HasPrefix(name, kv.prefix) {
			return kv.name, kv.category, true
		}
	}
	return "", "", false
}
