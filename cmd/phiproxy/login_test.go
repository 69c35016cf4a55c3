package main

import (
	"archive/zip"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
	"github.com/phiproxy/phiproxy/internal/testenv"
)

// The portal's one patient and the session its login creates.
const (
	portalUser     = "pat.rivera@example.org"
	portalPassword = `s3cr3t-Pa55 &"word"`
	portalSession  = "sid-5b1f0c7e"
	portalPref     = "reminders-by-sms"
)

// portal is a patient portal behind a login form with a session cookie.
// Its appointment page sends the patient's email, the condition of the
// visit and a localStorage preference to a third-party pixel; without the
// session it redirects to the login page, which sends nothing.
type portal struct {
	mu     sync.Mutex
	logins int
	pixels []string // query strings the tracker received
}

func (p *portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	html := func(title, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><head><title>%s</title></head><body>%s</body></html>", title, body)
	}
	signedIn := false
	if c, err := r.Cookie("sid"); err == nil && c.Value == portalSession {
		signedIn = true
	}
	switch r.Host + r.URL.Path {
	case "px.tracker-example.net/tr":
		p.mu.Lock()
		p.pixels = append(p.pixels, r.URL.RawQuery)
		p.mu.Unlock()
		w.Header().Set("Content-Type", "image/gif")
		w.Write([]byte("GIF89a"))
	case "portal.clinic-example.org/login":
		if r.Method == http.MethodPost {
			r.ParseForm()
			if r.PostForm.Get("email") == portalUser && r.PostForm.Get("password") == portalPassword {
				p.mu.Lock()
				p.logins++
				p.mu.Unlock()
				http.SetCookie(w, &http.Cookie{Name: "sid", Value: portalSession, Path: "/", HttpOnly: true, Secure: true})
				http.Redirect(w, r, "/appointments", http.StatusSeeOther)
				return
			}
		}
		html("Sign in", `<form method="post" action="/login">
			<label for="e">Email</label><input id="e" name="email" type="email" autocomplete="username">
			<label for="p">Password</label><input id="p" name="password" type="password">
			<button type="submit">Sign in</button></form>`)
	case "portal.clinic-example.org/appointments":
		if !signedIn {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		html("Your appointments", `<h1>Upcoming: diabetes follow-up</h1>
			<a href="/logout">Sign out</a>
			<script>
			new Image().src = 'https://px.tracker-example.net/tr?ev=ViewAppointment&em=' + encodeURIComponent('`+portalUser+`') +
			  '&cd[reason]=diabetes%20follow-up&pref=' + encodeURIComponent(localStorage.getItem('portal_pref') || '');
			</script>`)
	case "portal.clinic-example.org/logout":
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "", Path: "/", MaxAge: -1})
		html("Signed out", `signed out`)
	default:
		http.NotFound(w, r)
	}
}

func TestCrawlBehindLogin(t *testing.T) {
	chromiumtest.RequireBrowser(t)
	p := &portal{}
	site := chromiumtest.NewSite(t, p, "portal.clinic-example.org", "px.tracker-example.net")
	dir := t.TempDir()
	upstreamCA := filepath.Join(dir, "upstream.pem")
	if err := os.WriteFile(upstreamCA, site.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	storageState := filepath.Join(dir, "state.json")
	if err := os.WriteFile(storageState, []byte(`{"cookies": [{"name": "sid", "value": "`+portalSession+`", "domain": "portal.clinic-example.org", "path": "/",
		"expires": -1, "httpOnly": true, "secure": true, "sameSite": "Lax"}],
		"origins": [{"origin": "https://portal.clinic-example.org", "localStorage": [{"name": "portal_pref", "value": "`+portalPref+`"}]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cookieFile := filepath.Join(dir, "cookies.txt")
	if err := os.WriteFile(cookieFile, []byte("# Netscape HTTP Cookie File\n#HttpOnly_portal.clinic-example.org\tFALSE\t/\tTRUE\t0\tsid\t"+portalSession+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PORTAL_PASSWORD", portalPassword)
	caDir := filepath.Join(dir, "ca")
	ctx, cancel := context.WithTimeout(context.Background(), 240*time.Second)
	defer cancel()
	crawlPortal := func(t *testing.T, extra ...string) (code int, rows crawlRows, stderr, db string) {
		t.Helper()
		db = filepath.Join(t.TempDir(), "crawl.db")
		args := append([]string{"crawl",
			"--resolve", "portal.clinic-example.org=" + site.Addr(),
			"--resolve", "px.tracker-example.net=" + site.Addr(),
			"--upstream-ca", upstreamCA, "--ca-dir", caDir, "--db", db,
			"--quiet", "300ms", "--page-timeout", "20s", "--depth", "1", "--json", "--fail-on", "critical",
		}, extra...)
		args = append(args, "https://portal.clinic-example.org/appointments")
		var o, e testenv.Buffer
		code = run(ctx, args, &o, &e)
		if ctx.Err() != nil {
			t.Fatalf("crawl did not finish in time; stderr:\n%s", e.String())
		}
		return code, parseRows(t, o.String()), e.String(), db
	}
	leaked := func(t *testing.T, rows crawlRows) {
		t.Helper()
		toTracker := rows.where("host", "px.tracker-example.net")
		email := toTracker.where("kind", "email", "term", portalUser)
		cond := toTracker.where("kind", "condition")
		if len(email) == 0 || len(cond) == 0 {
			t.Fatalf("email and condition to the tracker: got %d and %d findings, want both; rows: %v", len(email), len(cond), rows)
		}
		for _, r := range append(email, cond...) {
			if r["authenticated"] != true {
				t.Errorf("%v finding from the signed-in page: authenticated %v, want true", r["kind"], r["authenticated"])
			}
			if r["severity"] != "critical" {
				t.Errorf("%v finding from the signed-in page: severity %v, want critical", r["kind"], r["severity"])
			}
			// The page a login lands on is reported in the login phase.
			if r["phase"] != "login" && r["page"] != "https://portal.clinic-example.org/appointments" {
				t.Errorf("%v finding: page %v, want the appointments page", r["kind"], r["page"])
			}
		}
	}

	t.Run("login form", func(t *testing.T) {
		code, rows, stderr, db := crawlPortal(t, "--login-url", "https://portal.clinic-example.org/login",
			"--login-user", portalUser, "--login-password-env", "PORTAL_PASSWORD")
		if code != exitFindings {
			t.Fatalf("exit code: got %d, want %d (critical findings); stderr:\n%s", code, exitFindings, stderr)
		}
		leaked(t, rows)
		p.mu.Lock()
		logins := p.logins
		p.mu.Unlock()
		if logins != 1 {
			t.Errorf("sign-ins at the portal: got %d, want 1", logins)
		}
		// The crawl never signs itself out.
		for _, r := range rows {
			if strings.Contains(fmt.Sprint(r["url"]), "/logout") {
				t.Errorf("the crawl requested %v", r["url"])
			}
		}
		noPasswordAnywhere(t, ctx, db, stderr, rows)
	})
	t.Run("storage state", func(t *testing.T) {
		code, rows, stderr, _ := crawlPortal(t, "--storage-state", storageState)
		if code != exitFindings {
			t.Fatalf("exit code: got %d, want %d; stderr:\n%s", code, exitFindings, stderr)
		}
		leaked(t, rows)
		// localStorage was in place before the page's script read it.
		p.mu.Lock()
		defer p.mu.Unlock()
		found := false
		for _, q := range p.pixels {
			if v, _ := url.ParseQuery(q); v.Get("pref") == portalPref {
				found = true
			}
		}
		if !found {
			t.Errorf("no pixel carried the localStorage preference %q; pixels: %q", portalPref, p.pixels)
		}
	})
	t.Run("cookie file", func(t *testing.T) {
		code, rows, stderr, _ := crawlPortal(t, "--cookie-file", cookieFile)
		if code != exitFindings {
			t.Fatalf("exit code: got %d, want %d; stderr:\n%s", code, exitFindings, stderr)
		}
		leaked(t, rows)
	})
	t.Run("signed out", func(t *testing.T) {
		code, rows, stderr, _ := crawlPortal(t)
		if code != exitOK {
			t.Errorf("exit code: got %d, want %d; stderr:\n%s", code, exitOK, stderr)
		}
		if got := rows.where("host", "px.tracker-example.net"); len(got) != 0 {
			t.Errorf("findings to the tracker without signing in: %v", got)
		}
		for _, r := range rows {
			if r["authenticated"] != false {
				t.Errorf("finding marked authenticated without a session: %v", r)
			}
		}
	})
	t.Run("wrong password fails clearly", func(t *testing.T) {
		t.Setenv("WRONG_PASSWORD", "not-it")
		code, _, stderr, _ := crawlPortal(t, "--login-url", "https://portal.clinic-example.org/login",
			"--login-user", portalUser, "--login-password-env", "WRONG_PASSWORD")
		if code != exitError || !strings.Contains(stderr, "signing in did not work") {
			t.Errorf("exit code %d, stderr %q; want %d and a clear message", code, stderr, exitError)
		}
	})
}

// noPasswordAnywhere exports the crawl's database as an evidence bundle
// and checks that the password, in any spelling a browser sends it in,
// is in no file of it, nor in the database, nor in what the crawl printed.
func noPasswordAnywhere(t *testing.T, ctx context.Context, db, stderr string, rows crawlRows) {
	t.Helper()
	spellings := []string{portalPassword, url.QueryEscape(portalPassword), url.PathEscape(portalPassword),
		strings.ReplaceAll(portalPassword, `"`, `\"`), base64.StdEncoding.EncodeToString([]byte(portalPassword))}
	check := func(where string, data []byte) {
		for _, s := range spellings {
			if strings.Contains(string(data), s) {
				t.Errorf("the password (as %q) is in %s", s, where)
			}
		}
	}
	check("stderr", []byte(stderr))
	check("the JSON Lines", []byte(fmt.Sprint(rows)))
	// The database and its write-ahead log, byte for byte.
	for _, f := range []string{db, db + "-wal"} {
		if data, err := os.ReadFile(f); err == nil {
			check(filepath.Base(f), data)
		}
	}
	bundle := filepath.Join(t.TempDir(), "evidence.zip")
	var o, e testenv.Buffer
	if code := run(ctx, []string{"export", "--db", db, "--out", bundle}, &o, &e); code != exitOK {
		t.Fatalf("export: exit %d, stderr %s", code, e.String())
	}
	zr, err := zip.OpenReader(bundle)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	sawLogin := false
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		check(f.Name, data)
		if f.Name == "evidence.har" && strings.Contains(string(data), "[password]") {
			sawLogin = true
		}
	}
	if !sawLogin {
		t.Error("evidence.har does not show the login request with its password masked")
	}
}
