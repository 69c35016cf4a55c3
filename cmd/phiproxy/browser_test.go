package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy/chromium"
	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
)

// TestChromiumPixelThroughProxy drives real headless Chromium through the
// phiproxy binary. The browser trusts the CA only through a test-local NSS
// database; a condition page's script fires a tracking pixel carrying an
// email to a third-party host, and the finding must reach
// `phiproxy findings --json`.
func TestChromiumPixelThroughProxy(t *testing.T) {
	chromiumtest.RequireBrowser(t)
	var pixels atomic.Int32
	site := chromiumtest.NewSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Host == "pixel.thirdparty.test" && r.URL.Path == "/tr":
			pixels.Add(1)
			w.Header().Set("Content-Type", "image/gif")
			w.Write([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))
		case r.Host == "clinic.test" && r.URL.Path == "/conditions/depression":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			// The image is created before the load event, so --dump-dom
			// waits for the pixel request to finish.
			fmt.Fprint(w, `<!doctype html><html><head><title>Depression treatment</title>
<script>
var img = new Image();
img.src = "https://pixel.thirdparty.test/tr?id=42&ev=PageView&ud[em]=jane.doe%40example.com&dl=" + encodeURIComponent(location.href);
document.head.appendChild(img);
</script></head><body><h1>Depression treatment</h1></body></html>`)
		default:
			http.NotFound(w, r)
		}
	}), "clinic.test", "pixel.thirdparty.test")
	certFile := filepath.Join(t.TempDir(), "site.pem")
	if err := os.WriteFile(certFile, site.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	r := startProxy(t, "--resolve", "clinic.test="+site.Addr(), "--resolve", "pixel.thirdparty.test="+site.Addr(), "--upstream-ca", certFile)
	dom, err := dumpDOM(t, r, "https://clinic.test/conditions/depression")
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if !strings.Contains(string(dom), "<h1>Depression treatment</h1>") {
		t.Fatalf("page did not load through the proxy (is the CA trusted?); DOM:\n%s", dom)
	}
	if pixels.Load() == 0 {
		t.Fatal("the pixel request never reached the third party")
	}
	r.stop(t)

	code, out, errOut := cli(t, "findings", "--json", "--db", r.db)
	if code != 0 {
		t.Fatalf("findings: exit %d: %s", code, errOut)
	}
	rows := parseJSONLines(t, out)
	var email, condition bool
	for _, row := range rows {
		if row["host"] != "pixel.thirdparty.test" {
			continue
		}
		if row["party"] != "third" {
			t.Errorf("pixel finding party: got %v, want third", row["party"])
		}
		switch {
		case row["kind"] == "email" && row["term"] == "jane.doe@example.com":
			email = true
		case row["kind"] == "condition" && strings.Contains(fmt.Sprint(row["term"]), "depress"):
			condition = true
		}
	}
	if !email || !condition {
		t.Fatalf("want an email and a depression finding on the pixel request (email %v, condition %v); findings:\n%s", email, condition, out)
	}
}

// dumpDOM loads page in headless Chromium through the running proxy r,
// trusting r's CA in a profile of its own, and returns the DOM once the
// page's load event has fired.
func dumpDOM(t *testing.T, r *running, page string) ([]byte, error) {
	t.Helper()
	caPEM, err := os.ReadFile(filepath.Join(r.ca, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	prof, err := chromium.NewProfile(caPEM)
	if err != nil {
		t.Fatal(err)
	}
	defer prof.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium.DefaultPath, append(prof.Args(r.addr), "--dump-dom", page)...)
	cmd.Env = prof.Env()
	return cmd.Output()
}
