package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/phiproxy/phiproxy/chromium"
)

// browserStopWait bounds how long quitting waits for Chromium to close
// its window (and save a kept profile) before it is killed.
const browserStopWait = 5 * time.Second

func browseCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("browse", "[URL]", stderr)
	var pf proxyFlags
	pf.register(fs, "127.0.0.1:8080")
	noTUI := fs.Bool("no-tui", false, "no screen: one JSON line per finding on stdout, logs on stderr; Ctrl-C closes the browser and the proxy")
	var b browserWindow
	fs.StringVar(&b.profile, "profile", "", "keep the browser profile in `folder` across sessions, so a portal login survives (default: a temporary profile, removed on exit)")
	fs.StringVar(&b.path, "chromium", chromium.DefaultPath, "Chromium `binary` to start")
	fs.BoolVar(&b.incognito, "incognito", false, "open an incognito window: no cookies or storage kept, even with --profile")
	baselinePath := registerBaseline(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("unexpected arguments: %v (browse opens at most one URL)", fs.Args()[1:])
	}
	b.url = fs.Arg(0)
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return errors.New("browse opens a browser window, but there is no display (DISPLAY and WAYLAND_DISPLAY are unset); use 'phiproxy run' and point a browser at it")
	}
	if _, err := exec.LookPath(b.path); err != nil {
		return fmt.Errorf("--chromium %s: %w (Debian package chromium)", b.path, err)
	}
	base, err := loadBaseline(*baselinePath)
	if err != nil {
		return err
	}
	if *noTUI {
		return runHeadless(ctx, &pf, base, stdout, stderr, b.open)
	}
	return runWithTUI(ctx, &pf, base, b.open)
}

// browserWindow is the Chromium window browse opens.
type browserWindow struct {
	path, profile, url string
	incognito          bool
}

// open starts Chromium through the session's proxy, with a profile whose
// trust store holds the session's CA. The browser closing leaves the
// session running, for review; the returned stop closes the browser (if
// still open) and removes a temporary profile.
func (b *browserWindow) open(s *session, log *slog.Logger) (func(), error) {
	var prof *chromium.Profile
	var err error
	if b.profile != "" {
		prof, err = chromium.OpenProfile(b.profile, s.ca.CertPEM())
	} else {
		prof, err = chromium.NewProfile(s.ca.CertPEM())
	}
	if err != nil {
		return nil, err
	}
	args := prof.WindowArgs(s.Addr())
	if b.incognito {
		args = append(args, "--incognito")
	}
	if b.url != "" {
		args = append(args, b.url)
	}
	// The DevTools protocol over a pipe (fds 3 and 4), not a port that
	// any local program could reach, lets quitting ask the browser to
	// close as its own menu would: a kept profile is saved whole, which
	// SIGTERM's hurried exit does not promise (cookies may be lost).
	devIn, toBrowser, err := os.Pipe()
	if err != nil {
		prof.Close()
		return nil, fmt.Errorf("browser pipe: %w", err)
	}
	fromBrowser, devOut, err := os.Pipe()
	if err != nil {
		devIn.Close()
		toBrowser.Close()
		prof.Close()
		return nil, fmt.Errorf("browser pipe: %w", err)
	}
	cmd := exec.Command(b.path, append(args, "--remote-debugging-pipe")...)
	cmd.Env = prof.Env()
	cmd.ExtraFiles = []*os.File{devIn, devOut}
	// Chromium's own chatter goes to the log, never onto the screen.
	cmd.Stdout, cmd.Stderr = debugLog{log}, debugLog{log}
	// Its own process group: a browser that will not close is killed
	// with every helper process it started, and a Ctrl-C meant for the
	// screen does not reach it first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	devIn.Close()
	devOut.Close()
	if err != nil {
		toBrowser.Close()
		fromBrowser.Close()
		prof.Close()
		return nil, fmt.Errorf("start %s: %w", b.path, err)
	}
	// Nothing is asked but Browser.close; the answers are drained so
	// that the browser never blocks writing them.
	go func() { _, _ = io.Copy(io.Discard, fromBrowser); fromBrowser.Close() }()
	pid := cmd.Process.Pid
	log.Info("browser started", "pid", pid, "profile", prof.Dir, "url", b.url)
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		log.Info("browser closed; the proxy keeps running for review", "pid", pid, "status", fmt.Sprint(err))
		close(exited)
	}()
	return func() {
		defer toBrowser.Close()
		closed := func() bool {
			select {
			case <-exited:
				return true
			case <-time.After(browserStopWait):
				return false
			}
		}
		select {
		case <-exited:
		default:
			_, err := toBrowser.Write([]byte(`{"id":1,"method":"Browser.close"}` + "\x00"))
			if err != nil || !closed() {
				log.Warn("the browser did not close when asked; stopping it", "err", err)
				_ = syscall.Kill(pid, syscall.SIGTERM)
				if !closed() {
					_ = syscall.Kill(-pid, syscall.SIGKILL)
					<-exited
				}
			}
		}
		if err := prof.Close(); err != nil {
			log.Warn("browser profile", "err", err)
		}
	}, nil
}

// debugLog writes a program's output to the log at debug level. It
// always takes the whole write: a short one would stop the copy from the
// program's pipe, and the program would die of SIGPIPE.
type debugLog struct{ log *slog.Logger }

func (d debugLog) Write(p []byte) (int, error) {
	d.log.Debug("browser output", "text", strings.TrimSpace(string(p)))
	return len(p), nil
}
