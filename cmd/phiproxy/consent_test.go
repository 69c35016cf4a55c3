package main

import (
	"archive/zip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
	"github.com/phiproxy/phiproxy/internal/testenv"
)

// TestCrawlConsentMatrix crawls a site run by a real consent manager in
// all four consent states: the pixel that ignores the visitor's choice is
// a violation in none, reject and gpc; the analytics that waits for
// consent is seen only in accept; Global Privacy Control reaches the
// origin as a header in the gpc state only.
func TestCrawlConsentMatrix(t *testing.T) {
	chromiumtest.RequireBrowser(t)
	npm := filepath.Join("..", "..", "tools", "autoconsent", "node_modules")
	testenv.File(t, filepath.Join(npm, "vanilla-cookieconsent", "dist", "cookieconsent.umd.js"))
	testenv.File(t, filepath.Join(npm, "@duckduckgo", "autoconsent", "dist", "autoconsent.playwright.js"))
	site := chromiumtest.NewConsentSite(t, npm)
	dir := t.TempDir()
	upstreamCA := filepath.Join(dir, "upstream.pem")
	if err := os.WriteFile(upstreamCA, site.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "consent.db")
	args := []string{"crawl", "--consent", "matrix", "--autoconsent", filepath.Join(npm, "@duckduckgo", "autoconsent"),
		"--upstream-ca", upstreamCA, "--ca-dir", filepath.Join(dir, "ca"), "--db", db,
		"--quiet", "500ms", "--page-timeout", "20s", "--depth", "0", "--json", "--fail-on", "critical"}
	for host, addr := range site.Resolve() {
		args = append(args, "--resolve", host+"="+addr)
	}
	args = append(args, "https://"+chromiumtest.ConsentSiteHost+"/")
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	var o, e testenv.Buffer
	code := run(ctx, args, &o, &e)
	stderr := e.String()
	t.Logf("stderr:\n%s", stderr)
	if ctx.Err() != nil {
		t.Fatal("crawl did not finish in time")
	}
	if code != exitFindings {
		t.Errorf("exit code: got %d, want %d (critical findings)", code, exitFindings)
	}
	rows := parseRows(t, o.String())

	// The pixel sends an email and a condition in every state.
	for _, state := range []string{"none", "reject", "accept", "gpc"} {
		pixel := rows.where("host", chromiumtest.ConsentBadHost, "consent", state)
		email := pixel.where("kind", "email", "term", chromiumtest.ConsentEmail)
		if len(email) == 0 {
			t.Errorf("%s: no email finding to the pixel; rows: %v", state, pixel)
			continue
		}
		wantViolation := state != "accept"
		for _, r := range pixel {
			if r["consent_violation"] != wantViolation {
				t.Errorf("%s: %v finding to the pixel: consent_violation %v, want %v", state, r["kind"], r["consent_violation"], wantViolation)
			}
		}
	}
	// The analytics loads only with consent. It sends the page URL of a
	// condition page, a finding, so it shows in accept only.
	good := rows.where("host", chromiumtest.ConsentGoodHost)
	if len(good) == 0 {
		t.Error("no finding to the consent-gated analytics (the page title it sends names a condition)")
	}
	for _, r := range good {
		if r["consent"] != "accept" || r["consent_violation"] != false {
			t.Errorf("a finding to the consent-gated analytics in state %v (violation %v), want accept only, no violation", r["consent"], r["consent_violation"])
		}
	}
	if len(site.Requests(chromiumtest.ConsentGoodHost+"/collect")) == 0 {
		t.Error("the consent-gated analytics never loaded, not even in accept")
	}
	// Sec-GPC: 1 reached the origin on the gpc state's requests only.
	gpcSeen := 0
	for _, r := range site.Requests("") {
		if r.GPC != "" && r.GPC != "1" {
			t.Errorf("Sec-GPC %q on %s", r.GPC, r.URL)
		}
		if r.GPC == "1" {
			gpcSeen++
		}
	}
	pixelRequests := site.Requests(chromiumtest.ConsentBadHost + "/tr?ev=PageView")
	withGPC := 0
	for _, r := range pixelRequests {
		if r.GPC == "1" {
			withGPC++
			if !strings.Contains(r.URL, "gpc=true") {
				t.Errorf("a request with Sec-GPC from a page without navigator.globalPrivacyControl: %s", r.URL)
			}
		} else if strings.Contains(r.URL, "gpc=true") {
			t.Errorf("a gpc-state pixel request without the Sec-GPC header: %s", r.URL)
		}
	}
	if withGPC == 0 || withGPC == len(pixelRequests) {
		t.Errorf("pixel requests with Sec-GPC: %d of %d, want the gpc state's only", withGPC, len(pixelRequests))
	}
	// The summary names the consent manager, the answers and the matrix.
	for _, want := range []string{
		"consent: none   cookieconsent3 banner shown, left unanswered",
		"consent: reject cookieconsent3 banner shown, opt-out succeeded, self-test passed",
		"consent: accept cookieconsent3 banner shown, opt-in succeeded",
		"consent: gpc    cookieconsent3 banner shown, left unanswered",
		"consent matrix",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	// The report's consent matrix marks the violations.
	bundle := filepath.Join(dir, "evidence.zip")
	var eo, ee testenv.Buffer
	if c := run(ctx, []string{"export", "--db", db, "--out", bundle}, &eo, &ee); c != exitOK {
		t.Fatalf("export: exit %d: %s", c, ee.String())
	}
	report := readZipEntry(t, bundle, "report.html")
	if !strings.Contains(report, `id="consent-matrix"`) || strings.Count(report, `class="violation"`) < 3 {
		t.Errorf("report.html lacks a consent matrix with three violation cells")
	}
}

func readZipEntry(t *testing.T, path, name string) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	t.Fatalf("%s has no %s", path, name)
	return ""
}
