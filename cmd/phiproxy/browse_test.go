package main

import (
	"bufio"
	bin "encoding/binary"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/phiproxy/phiproxy/chromium/chromiumtest"
	"github.com/phiproxy/phiproxy/internal/testenv"
)

// xvfb is an X server on a display of its own, whose screen is kept in
// an XWD file that the test reads as a screenshot.
type xvfb struct {
	display string
	fb      string // the screen, XWD
}

func startXvfb(t *testing.T) *xvfb {
	t.Helper()
	xvfbPath := testenv.Program(t, "Xvfb") // Debian package xvfb
	dir := t.TempDir()
	rd, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	// -displayfd: the server picks a free display and writes its number.
	cmd := exec.Command(xvfbPath, "-displayfd", "3", "-screen", "0", "1280x800x24", "-fbdir", dir, "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{wr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	wr.Close()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(rd).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if _, err := strconv.Atoi(n); err != nil {
			t.Fatalf("Xvfb display number: %q", n)
		}
		return &xvfb{display: ":" + n, fb: filepath.Join(dir, "Xvfb_screen0")}
	case <-time.After(20 * time.Second):
		t.Fatal("Xvfb did not start")
	}
	return nil
}

// countColour counts the screen's pixels of colour rgb (0xRRGGBB), read
// from the XWD framebuffer (TrueColor, 32 bits per pixel).
func (x *xvfb) countColour(t *testing.T, rgb uint32) int {
	t.Helper()
	b, err := os.ReadFile(x.fb)
	if err != nil || len(b) < 100 {
		t.Fatalf("read screen: %v (%d bytes)", err, len(b))
	}
	be := bin.BigEndian
	f := func(i int) uint32 { return be.Uint32(b[4*i:]) }
	headerSize, width, height := f(0), f(4), f(5)
	byteOrder, bpp, stride := f(7), f(11), f(12)
	rMask, gMask, bMask, ncolors := f(14), f(15), f(16), f(19)
	if bpp != 32 {
		t.Fatalf("screen: %d bits per pixel, want 32", bpp)
	}
	var order bin.ByteOrder = bin.LittleEndian
	if byteOrder == 1 {
		order = bin.BigEndian
	}
	start := int(headerSize + 12*ncolors)
	channel := func(p, mask uint32) uint32 {
		for mask&1 == 0 {
			mask >>= 1
			p >>= 1
		}
		return p & mask
	}
	n := 0
	for y := range int(height) {
		row := start + y*int(stride)
		for xi := range int(width) {
			if row+4*xi+4 > len(b) {
				break
			}
			p := order.Uint32(b[row+4*xi:])
			if channel(p, rMask)<<16|channel(p, gMask)<<8|channel(p, bMask) == rgb {
				n++
			}
		}
	}
	return n
}

// browserProcesses lists the processes whose command line names dir (the
// browse profile, unique to the test).
func browserProcesses(dir string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(cmdline), dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestBrowseUnderXvfb runs `phiproxy browse` with its terminal UI in tmux
// and Chromium's window on Xvfb. The browser loads a local HTTPS page
// through the proxy with no certificate step (the flow is stored with a
// 200, and the page is on screen), the flow shows in the UI, and q closes
// both. A second session with the same --profile still has the page's
// cookie; closing the browser then leaves the UI open for review. A
// third, --incognito, does not send it.
func TestBrowseUnderXvfb(t *testing.T) {
	chromiumtest.RequireBrowser(t)
	tmux := testenv.Program(t, "tmux")
	testenv.Program(t, "sqlite3")
	x := startXvfb(t)

	var mu sync.Mutex
	var cookies []string
	site := chromiumtest.NewSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/portal" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		cookies = append(cookies, r.Header.Get("Cookie"))
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "portal_session", Value: "s3ss10n", Path: "/", MaxAge: 3600, Secure: true, HttpOnly: true})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head><title>Patient portal</title></head>
<body style="margin:0;background:#ff00ff"><h1>Patient portal</h1></body></html>`)
	}), "clinic.test")
	dir := t.TempDir()
	certFile := filepath.Join(dir, "site.pem")
	if err := os.WriteFile(certFile, site.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	profile := filepath.Join(dir, "profile")
	sock := []string{"-S", filepath.Join(dir, "tmux.sock")}
	tm := func(args ...string) string {
		out, err := exec.Command(tmux, append(sock, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	defer exec.Command(tmux, append(sock, "kill-server")...).Run()
	// A session of its own keeps the tmux server up between the browse
	// sessions: one started just as the last one's server exits fails.
	tm("new-session", "-d", "-s", "hold", "-x", "40", "-y", "5")
	defer func() {
		// Should a step fail with the browser open, end it by its ids.
		for _, pid := range browserProcesses(profile) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}()

	// browse starts one session and waits for its UI and the page.
	browse := func(name string, extra ...string) (screen func() string, db, exitFile string) {
		t.Helper()
		addr := freeAddr(t)
		db = filepath.Join(dir, name+".db")
		exitFile = filepath.Join(dir, name+".exit")
		shell := fmt.Sprintf("DISPLAY=%s %q browse --listen %s --db %q --ca-dir %q --store-all --resolve clinic.test=%s --upstream-ca %q --profile %q %s https://clinic.test/portal; echo $? > %q",
			x.display, binary, addr, db, filepath.Join(dir, "ca"), site.Addr(), certFile, profile, strings.Join(extra, " "), exitFile)
		tm("new-session", "-d", "-s", name, "-x", "140", "-y", "36", "sh", "-c", shell)
		screen = func() string { return tm("capture-pane", "-p", "-t", name) }
		if !testenv.WaitFor(30*time.Second, func() bool { return strings.Contains(screen(), addr) }) {
			t.Fatalf("%s: the UI never showed; screen:\n%s", name, screen())
		}
		// Stored with a 200: the browser accepted phiproxy's certificate
		// for clinic.test, with nothing trusted by hand.
		var got string
		if !testenv.WaitFor(60*time.Second, func() bool {
			got = sqliteRow(db, "SELECT status, error, client_proto FROM flows WHERE url = 'https://clinic.test/portal'")
			return got != ""
		}) {
			t.Fatalf("%s: no flow for the page; screen:\n%s\nlog:\n%s", name, screen(), readLog(db))
		}
		if !strings.HasPrefix(got, "200||HTTP/2.0") {
			t.Errorf("%s: page flow (status|error|browser protocol): got %q, want 200||HTTP/2.0", name, got)
		}
		if !testenv.WaitFor(30*time.Second, func() bool { return strings.Contains(screen(), "clinic.test") }) {
			t.Errorf("%s: the flow never showed in the UI; screen:\n%s", name, screen())
		}
		return screen, db, exitFile
	}
	quit := func(name, exitFile string, screen func() string) {
		t.Helper()
		tm("send-keys", "-t", name, "q")
		status, ok := testenv.WaitExit(exitFile, 30*time.Second)
		if !ok {
			t.Fatalf("%s: q did not quit; screen:\n%s", name, screen())
		}
		if status != "0" {
			t.Errorf("%s: exit status after q: %q", name, status)
		}
	}

	screen, db, exitFile := browse("first")
	// The page is drawn: most of the window is its magenta background.
	if !testenv.WaitFor(30*time.Second, func() bool { return x.countColour(t, 0xff00ff) > 100_000 }) {
		t.Errorf("the page never appeared on screen (%d magenta pixels)", x.countColour(t, 0xff00ff))
	}
	if len(browserProcesses(profile)) == 0 {
		t.Fatal("no browser process runs with the profile")
	}
	quit("first", exitFile, screen)
	if !testenv.WaitFor(20*time.Second, func() bool { return len(browserProcesses(profile)) == 0 }) {
		t.Fatalf("q left the browser running: %v", browserProcesses(profile))
	}
	if got := sqlite(t, db, "SELECT count(*) FROM flows WHERE url = 'https://clinic.test/portal'"); got == "0" {
		t.Error("the page's flow was not committed")
	}

	firstLog := readLog(db)
	if strings.Contains(firstLog, "did not close when asked") {
		t.Errorf("q had to kill the browser:\n%s", firstLog)
	}
	// The kept profile still has the portal's cookie.
	screen, db, exitFile = browse("second")
	mu.Lock()
	last := cookies[len(cookies)-1]
	mu.Unlock()
	if !strings.Contains(last, "portal_session=s3ss10n") {
		t.Errorf("second session's request to the portal: Cookie %q, want the first session's portal_session; first session's log:\n%s", last, firstLog)
	}
	// Closing the browser leaves the UI open.
	m := regexp.MustCompile(`browser started" pid=(\d+)`).FindStringSubmatch(readLog(db))
	if m == nil {
		t.Fatalf("the log names no browser pid:\n%s", readLog(db))
	}
	pid, _ := strconv.Atoi(m[1])
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatalf("close the browser: %v", err)
	}
	if !testenv.WaitFor(20*time.Second, func() bool { return strings.Contains(readLog(db), "browser closed") }) {
		t.Fatalf("the browser did not close:\n%s", readLog(db))
	}
	tm("send-keys", "-t", "second", "?")
	if !testenv.WaitFor(10*time.Second, func() bool { return strings.Contains(screen(), "keys (Esc closes)") }) {
		t.Fatalf("the UI did not stay open after the browser closed; screen:\n%s", screen())
	}
	if _, err := os.Stat(exitFile); err == nil {
		t.Fatal("phiproxy exited when the browser closed")
	}
	tm("send-keys", "-t", "second", "Escape")
	// (q straight after Escape would read as Alt-q.)
	if !testenv.WaitFor(10*time.Second, func() bool { return !strings.Contains(screen(), "keys (Esc closes)") }) {
		t.Fatalf("Escape did not close the help; screen:\n%s", screen())
	}
	quit("second", exitFile, screen)

	// Incognito, the same profile's cookie is not sent.
	screen, _, exitFile = browse("incognito", "--incognito")
	mu.Lock()
	last = cookies[len(cookies)-1]
	mu.Unlock()
	if last != "" {
		t.Errorf("incognito request to the portal: Cookie %q, want none", last)
	}
	quit("incognito", exitFile, screen)
	if !testenv.WaitFor(20*time.Second, func() bool { return len(browserProcesses(profile)) == 0 }) {
		t.Fatalf("q left the incognito browser running: %v", browserProcesses(profile))
	}
}

// sqliteRow is sqlite for a database that may not hold the row (or the
// table) yet: any failure is an empty answer.
func sqliteRow(db, query string) string {
	out, err := exec.Command("sqlite3", db, query).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func readLog(db string) string {
	b, _ := os.ReadFile(db + ".log")
	return string(b)
}

// TestBrowseRefusesWhatCannotWork: browse says why, and exits 2, before
// it starts anything, when there is no display, no such Chromium, or more
// than one URL.
func TestBrowseRefusesWhatCannotWork(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, display string
		args          []string
		want          string
	}{
		{"no display", "", []string{"https://clinic.test/"}, "there is no display"},
		{"no chromium", ":99", []string{"--chromium", filepath.Join(dir, "no-such-chromium"), "https://clinic.test/"}, "--chromium " + filepath.Join(dir, "no-such-chromium")},
		{"two URLs", ":99", []string{"https://a.test/", "https://b.test/"}, "at most one URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("DISPLAY", c.display)
			t.Setenv("WAYLAND_DISPLAY", "")
			db := filepath.Join(dir, c.name+".db")
			var out, errOut strings.Builder
			args := append([]string{"browse", "--db", db, "--ca-dir", filepath.Join(dir, "ca"), "--listen", "127.0.0.1:0"}, c.args...)
			if code := run(t.Context(), args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), c.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut.String(), c.want)
			}
			if _, err := os.Stat(db); err == nil {
				t.Errorf("a refused browse created its database")
			}
		})
	}
}
