package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
)

// trackerScript is what the proxy-only test's tracker serves as its tag.
const trackerScript = "(function(){navigator.sendBeacon('/v1/users/8812/events','{}')})();\n"

// The proxy alone (no browser) records scripts with their hash, the
// cookies responses set and endpoints by path template.
func TestInventoryFromProxyTraffic(t *testing.T) {
	site := chromiumtest.NewSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/tag.js":
			w.Header().Set("Content-Type", "application/javascript")
			w.Header().Add("Set-Cookie", "trk_id=0123456789; Domain=tracker.test; Path=/; Max-Age=31536000; Secure; SameSite=None")
			w.Header().Add("Set-Cookie", "trk_s=1; HttpOnly")
			fmt.Fprint(w, trackerScript)
		default:
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, "ok")
		}
	}), "tracker.test")
	cert := filepath.Join(t.TempDir(), "origin.pem")
	if err := os.WriteFile(cert, site.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	r := startProxy(t, "--resolve", "tracker.test="+site.Addr(), "--upstream-ca", cert)
	c := r.client(t)
	get := func(method, u, body string) {
		t.Helper()
		req, _ := http.NewRequest(method, u, strings.NewReader(body))
		req.Header.Set("Referer", "https://www.clinic.test/book?slot=1")
		req.Header.Set("Cookie", "trk_id=0123456789")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, u, err)
		}
		resp.Body.Close()
	}
	get("GET", "https://tracker.test/tag.js", "")
	get("POST", "https://tracker.test/v1/users/8812/events?src=web", `{"event":"view","email":"jane.doe@example.com"}`)
	get("POST", "https://tracker.test/v1/users/9001/events", `{"event":"click"}`)
	r.stop(t)

	code, out, errOut := cli(t, "inventory", "--db", r.db, "--json")
	if code != 0 {
		t.Fatalf("inventory --json: exit %d: %s", code, errOut)
	}
	items := parseJSONLines(t, out)
	sum := sha256.Sum256([]byte(trackerScript))
	var script, endpoint map[string]any
	cookies := map[string]map[string]any{}
	for _, it := range items {
		if it["host"] != "tracker.test" || fmt.Sprint(it["pages"]) != "[https://www.clinic.test/book]" || it["party"] != "third" {
			t.Errorf("item %v: want host tracker.test, third party, pages [https://www.clinic.test/book]", it)
		}
		switch it["type"] {
		case "script":
			script = it
		case "endpoint":
			endpoint = it
		case "cookie":
			cookies[fmt.Sprint(it["name"])] = it
		}
	}
	if script == nil || script["url"] != "https://tracker.test/tag.js" || script["sha256"] != hex.EncodeToString(sum[:]) || script["size"] != float64(len(trackerScript)) {
		t.Errorf("script: got %v, want tag.js with sha256 %x", script, sum)
	}
	if endpoint == nil || endpoint["method"] != "POST" || endpoint["path_template"] != "/v1/users/{id}/events" || endpoint["count"] != float64(2) ||
		fmt.Sprint(endpoint["keys"]) != "[email event src]" || fmt.Sprint(endpoint["kinds"]) != "[email]" || fmt.Sprint(endpoint["cookies"]) != "[trk_id]" {
		t.Errorf("endpoint: got %v", endpoint)
	}
	id, s := cookies["trk_id"], cookies["trk_s"]
	if id == nil || id["set_by"] != "http" || id["domain"] != "tracker.test" || id["expires_days"] != float64(365) || id["secure"] != true || id["same_site"] != "None" || id["third_party"] != true || id["value_bytes"] != float64(10) {
		t.Errorf("trk_id: got %v", id)
	}
	if s == nil || s["expires_days"] != nil || s["http_only"] != true || s["path"] != "/" {
		t.Errorf("trk_s: got %v", s)
	}
	if strings.Contains(out, "0123456789") || strings.Contains(out, "jane.doe") {
		t.Errorf("the inventory holds values, not only names and sizes:\n%s", out)
	}
	if len(items) != 4 {
		t.Errorf("got %d items, want 4:\n%s", len(items), out)
	}

	code, table, errOut := cli(t, "inventory", "--db", r.db, "--vendor", "tracker")
	if code != 0 || !strings.Contains(table, "tracker.test (third party, no BAA, 1 page): 1 script, 2 cookies, 0 storage keys, 1 endpoint; PHI sent: email") ||
		!strings.Contains(table, "POST tracker.test/v1/users/{id}/events") {
		t.Errorf("inventory table: exit %d, stderr %s\n%s", code, errOut, table)
	}
	for _, tt := range []struct {
		args  []string
		items int
	}{
		{[]string{"--vendor", "nobody"}, 0},
		{[]string{"--site", "clinic.test"}, 4},
		{[]string{"--site", "other.test"}, 0},
		{[]string{"--run", "1"}, 4},
		{[]string{"--run", "2"}, 0},
	} {
		code, out, errOut := cli(t, append([]string{"inventory", "--db", r.db, "--json"}, tt.args...)...)
		if n := len(parseJSONLines(t, out)); code != 0 || n != tt.items {
			t.Errorf("inventory %v: exit %d, %d items (%s); want %d", tt.args, code, n, errOut, tt.items)
		}
	}
	if code, _, _ := cli(t, "inventory", "--db", r.db, "extra"); code != 2 {
		t.Errorf("inventory with an argument: exit %d, want 2", code)
	}
}
