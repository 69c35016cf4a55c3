package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
	"github.com/phiproxy/phiproxy/internal/testenv"
)

// The widget's two scripts, served from the vendor's CDN: the loader sets
// a cookie from script, keeps the visitor's email in localStorage (as chat
// widgets do) and loads the pixel, which sends a beacon.
const (
	widgetLoader = `(function () {
  document.cookie = "intercom-id-ab12=v-1234; path=/; max-age=86400; SameSite=Lax";
  localStorage.setItem("intercom.user", JSON.stringify({email: "jordan.whitfield@example.com", plan: "basic"}));
  var s = document.createElement("script");
  s.src = "https://js.intercomcdn.com/pixel.js";
  document.head.appendChild(s);
})();
`
	widgetPixel = `navigator.sendBeacon("https://api-iam.intercom.io/v1/users/8812/events", JSON.stringify({event: "page_view", user_id: "8812"}));
`
	widgetStorageValue = `{"email":"jordan.whitfield@example.com","plan":"basic"}`
)

func TestCrawlInventory(t *testing.T) {
	chromiumtest.RequireBrowser(t)
	clinic := chromiumtest.NewSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// Both pages load the widget: the inventory lists it on each.
		fmt.Fprintf(w, `<!doctype html><html><head><title>Lakeview Clinic</title><script src="https://js.intercomcdn.com/loader.js"></script></head><body><h1>%s</h1><a href="/about">About us</a></body></html>`, r.URL.Path)
	}), "clinic.test")
	vendor := chromiumtest.NewSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/loader.js":
			w.Header().Set("Content-Type", "text/javascript")
			w.Header().Set("Set-Cookie", "ic_cdn=edge-7; Path=/; Max-Age=3600; Secure; HttpOnly; SameSite=None")
			io.WriteString(w, widgetLoader)
		case "/pixel.js":
			w.Header().Set("Content-Type", "application/javascript")
			io.WriteString(w, widgetPixel)
		default:
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusNoContent)
		}
	}), "js.intercomcdn.com", "api-iam.intercom.io")

	dir := t.TempDir()
	upstreamCA := filepath.Join(dir, "upstream.pem")
	if err := os.WriteFile(upstreamCA, append(append([]byte{}, clinic.CertPEM...), vendor.CertPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	personaFile := filepath.Join(dir, "persona.json")
	if err := os.WriteFile(personaFile, []byte(`{"first_name": "Jordan", "last_name": "Whitfield", "email": "jordan.whitfield@example.com"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "crawl.db")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var o, e testenv.Buffer
	code := run(ctx, []string{"crawl",
		"--resolve", "clinic.test=" + clinic.Addr(),
		"--resolve", "js.intercomcdn.com=" + vendor.Addr(),
		"--resolve", "api-iam.intercom.io=" + vendor.Addr(),
		"--upstream-ca", upstreamCA, "--ca-dir", filepath.Join(dir, "ca"), "--db", db,
		"--persona", personaFile, "--no-interact", "--depth", "1", "--quiet", "500ms", "--page-timeout", "20s",
		"https://clinic.test/"}, &o, &e)
	if ctx.Err() != nil || code != 0 {
		t.Fatalf("crawl: exit %d, ctx %v; stderr:\n%s", code, ctx.Err(), e.String())
	}

	var inv, invErr testenv.Buffer
	if code := run(ctx, []string{"inventory", "--db", db, "--json"}, &inv, &invErr); code != 0 {
		t.Fatalf("inventory: exit %d: %s", code, invErr.String())
	}
	items := crawlRows(parseJSONLines(t, inv.String()))
	t.Logf("inventory:\n%s", inv.String())
	const (
		page   = "https://clinic.test/"
		about  = "https://clinic.test/about"
		loader = "https://js.intercomcdn.com/loader.js"
		pixel  = "https://js.intercomcdn.com/pixel.js"
	)
	hash := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	one := func(what string, rows crawlRows) map[string]any {
		t.Helper()
		if len(rows) != 1 {
			t.Fatalf("%s: got %d items, want 1; inventory:\n%s", what, len(rows), inv.String())
		}
		if fmt.Sprint(rows[0]["pages"]) != "["+page+" "+about+"]" {
			t.Errorf("%s pages: got %v, want [%s %s]", what, rows[0]["pages"], page, about)
		}
		return rows[0]
	}
	// Both scripts, by the exact bytes served, with the chain page →
	// loader → pixel, attributed to the vendor whose CDN served them.
	for _, s := range []struct{ url, body, initiator, initiator2 string }{{loader, widgetLoader, page, about}, {pixel, widgetPixel, loader, loader}} {
		it := one("script "+s.url, items.where("type", "script", "url", s.url))
		if it["sha256"] != hash(s.body) || it["size"] != float64(len(s.body)) || (it["initiator"] != s.initiator && it["initiator"] != s.initiator2) {
			t.Errorf("script %s: got sha256 %v size %v initiator %v; want %s %d %s", s.url, it["sha256"], it["size"], it["initiator"], hash(s.body), len(s.body), s.initiator)
		}
		if it["vendor"] != "Intercom" || it["vendor_category"] != "chat" || it["party"] != "third" {
			t.Errorf("script %s: got vendor %v (%v), party %v; want Intercom (chat), third", s.url, it["vendor"], it["vendor_category"], it["party"])
		}
	}
	// What the widget keeps on the site's own domain is listed with the
	// widget's vendor, first party.
	js := one("cookie intercom-id-ab12", items.where("type", "cookie", "name", "intercom-id-ab12"))
	if js["set_by"] != "js" || js["domain"] != "clinic.test" || js["expires_days"] != float64(1) || js["same_site"] != "Lax" || js["third_party"] != false || js["value_bytes"] != float64(6) ||
		js["vendor"] != "Intercom" || js["party"] != "first" {
		t.Errorf("script-set cookie: got %v", js)
	}
	httpCookie := one("cookie ic_cdn", items.where("type", "cookie", "name", "ic_cdn"))
	if httpCookie["set_by"] != "http" || httpCookie["domain"] != "js.intercomcdn.com" || httpCookie["http_only"] != true || httpCookie["secure"] != true || httpCookie["third_party"] != true || httpCookie["vendor"] != "Intercom" {
		t.Errorf("Set-Cookie cookie: got %v", httpCookie)
	}
	st := one("storage intercom.user", items.where("type", "storage", "key", "intercom.user"))
	if st["origin"] != "https://clinic.test" || st["area"] != "local" || st["value_bytes"] != float64(len(widgetStorageValue)) || st["vendor"] != "Intercom" || st["party"] != "first" {
		t.Errorf("storage: got %v, want origin https://clinic.test, local, %d bytes", st, len(widgetStorageValue))
	}
	ep := one("endpoint", items.where("type", "endpoint", "host", "api-iam.intercom.io"))
	if ep["method"] != "POST" || ep["path_template"] != "/v1/users/{id}/events" || ep["initiator"] != pixel || ep["vendor"] != "Intercom" || ep["count"] != float64(2) {
		t.Errorf("beacon endpoint: got %v", ep)
	}
	if strings.Contains(inv.String(), "jordan.whitfield") || strings.Contains(inv.String(), "v-1234") {
		t.Errorf("the inventory holds cookie or storage values")
	}

	// The email kept in localStorage is a finding at the storage path.
	var f, fErr testenv.Buffer
	if code := run(ctx, []string{"findings", "--db", db, "--json"}, &f, &fErr); code != 0 {
		t.Fatalf("findings: exit %d: %s", code, fErr.String())
	}
	found := false
	for _, r := range parseJSONLines(t, f.String()) {
		if r["kind"] == "email" && strings.HasPrefix(fmt.Sprint(r["path"]), "storage:localStorage[intercom.user]") {
			found = true
		}
	}
	if !found {
		t.Errorf("no email finding at storage:localStorage[intercom.user]; findings:\n%s", f.String())
	}
}
