package classify

import (
	"strings"
	"testing"
)

func TestParseVendorsAndLookup(t *testing.T) {
	const tsv = "# domain\tvendor\tcategory\n" +
		"facebook.com\tMeta Pixel\tadvertising\n" +
		"google.com\tGoogle\tadvertising\n" +
		"analytics.google.com\tGoogle Analytics\tanalytics\n" +
		"\n" +
		"linkedin.com\tLinkedIn Insight\tadvertising\n"
	vt, err := parseVendors(strings.NewReader(tsv), "test.tsv")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		host, want string
	}{
		{"facebook.com", "Meta Pixel"},
		{"www.facebook.com", "Meta Pixel"},
		{"WWW.Facebook.COM.", "Meta Pixel"},
		{"notfacebook.com", ""},
		{"facebook.com.evil.net", ""},
		{"analytics.google.com", "Google Analytics"},
		{"region1.analytics.google.com", "Google Analytics"},
		{"www.google.com", "Google"},
		{"px.ads.linkedin.com", "LinkedIn Insight"},
		{"com", ""},
		{"", ""},
	}
	for _, tt := range tests {
		v, _ := vt.lookup(tt.host)
		if v.Name != tt.want {
			t.Errorf("lookup(%q): got %q, want %q", tt.host, v.Name, tt.want)
		}
	}
}

func TestParseVendorsErrors(t *testing.T) {
	tests := []struct{ name, tsv, want string }{
		{"two columns", "facebook.com\tMeta\n", "x.tsv:1"},
		{"bad category", "# c\nfacebook.com\tMeta\tsocial\n", "x.tsv:2: unknown category"},
		{"path in domain", "bing.com/bat\tBing\tadvertising\n", "bare host suffix"},
		{"empty vendor", "bing.com\t\tadvertising\n", "empty domain or vendor"},
	}
	for _, tt := range tests {
		_, err := parseVendors(strings.NewReader(tt.tsv), "x.tsv")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

// TestEmbeddedVendors checks the shipped list parses and knows the
// vendors of every tracker format phiproxy decodes.
func TestEmbeddedVendors(t *testing.T) {
	vt, err := parseVendors(strings.NewReader(vendorsTSV), "data/vendors.tsv")
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{
		"www.facebook.com", "region1.google-analytics.com", "googleads.g.doubleclick.net",
		"analytics.tiktok.com", "px.ads.linkedin.com", "api-iam.intercom.io", "api.segment.io",
		"api-js.mixpanel.com", "us.i.posthog.com", "ws.hotjar.com", "rs.fullstory.com",
		"browser-intake-datadoghq.com", "o450123.ingest.us.sentry.io",
	} {
		if _, ok := vt.lookup(host); !ok {
			t.Errorf("embedded vendors: no vendor for %s", host)
		}
	}
}

// TestEmbeddedVendorsCoverage checks the shipped list's breadth and that
// every row says where its domain is documented.
func TestEmbeddedVendorsCoverage(t *testing.T) {
	vt, err := parseVendors(strings.NewReader(vendorsTSV), "data/vendors.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(vt.bySuffix); n < 400 {
		t.Errorf("embedded vendors: %d domains, want at least 400", n)
	}
	cats := map[string]int{}
	for d, v := range vt.bySuffix {
		cats[v.Category]++
		if !strings.HasPrefix(v.Source, "https://") {
			t.Errorf("%s (%s): source %q, want the vendor's documentation URL", d, v.Name, v.Source)
		}
	}
	for c := range vendorCategories {
		if cats[c] == 0 {
			t.Errorf("no vendor of category %s", c)
		}
	}
	// A script from a vendor's CDN is the vendor's.
	for host, want := range map[string]string{
		"js.intercomcdn.com": "Intercom", "widget.intercom.io": "Intercom", "fast.wistia.net": "Wistia",
		"js.stripe.com": "Stripe", "fonts.gstatic.com": "Google Fonts", "cdn.optimizely.com": "Optimizely",
		"static.hotjar.com": "Hotjar", "www.googletagmanager.com": "Google Tag Manager",
	} {
		if v, ok := vt.lookup(host); !ok || v.Name != want {
			t.Errorf("%s: got %q (%v), want %s", host, v.Name, ok, want)
		}
	}
}
