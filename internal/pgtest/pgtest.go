// Package pgtest runs a real PostgreSQL server for tests: initdb in a
// temporary folder, the server on a free loopback port, one server per
// test binary, stopped when the binary's tests end (pass or fail). Each
// test gets its own empty database on it.
//
// Under root the server runs as the unprivileged user nobody, since
// PostgreSQL refuses to run as root; the folder is then nobody's.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/phiproxy/phiproxy/internal/testenv"
)

// Main runs m's tests and then stops the server if one was started. Call
// it from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	if srv != nil {
		if err := srv.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stop server:", err)
		}
		srv = nil
	}
	return code
}

var (
	mu       sync.Mutex
	srv      *server
	startErr error
	started  bool
	dbSeq    atomic.Int64
)

// server is a running postgres process and its folder.
type server struct {
	dir      string
	port     int
	password string
	cmd      *exec.Cmd
	exited   chan struct{}
	log      string
}

// superuser is the role initdb creates; tests connect as it.
const superuser = "phiproxy"

// NewDatabase creates an empty database on the shared server, starting the
// server on first use, and returns its URL (with the password in it). A
// missing PostgreSQL installation skips the test, or fails it under make
// test (internal/testenv).
func NewDatabase(t testing.TB) string {
	t.Helper()
	s := shared(t)
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.url("postgres"))
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return s.url(name)
}

func shared(t testing.TB) *server {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if !started {
		started = true
		bin, err := binDir()
		if err != nil {
			startErr = err
		} else {
			srv, startErr = start(bin)
		}
	}
	if startErr != nil {
		if _, ok := startErr.(missingError); ok {
			testenv.Missing(t, "%v", startErr)
		}
		t.Fatalf("pgtest: %v", startErr)
	}
	return srv
}

type missingError struct{ error }

// binDir finds PostgreSQL's server programs: Debian keeps them in
// /usr/lib/postgresql/VERSION/bin, off PATH; the newest version wins.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", missingError{fmt.Errorf("PostgreSQL server not installed (Debian package postgresql)")}
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// runAs is the credential for PostgreSQL's programs: nobody under root,
// nil (the test's own user) otherwise.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("running as root and no unprivileged user to run PostgreSQL as: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func start(bin string) (*server, error) {
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "phiproxy-pg-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, exited: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(dir)
		}
	}()
	key := make([]byte, 16)
	rand.Read(key)
	s.password = hex.EncodeToString(key)
	pwfile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwfile, []byte(s.password+"\n"), 0o600); err != nil {
		return nil, err
	}
	if cred != nil {
		for _, p := range []string{dir, pwfile} {
			if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
				return nil, err
			}
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", superuser, "--pwfile", pwfile,
		"--auth", "scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	os.Remove(pwfile)
	// A free port, found by listening on it: another process could take
	// it before postgres does, so a failed start tries another.
	for attempt := 0; attempt < 3; attempt++ {
		if s.port, err = freePort(); err != nil {
			return nil, err
		}
		if err = s.run(bin, data, cred); err == nil {
			ok = true
			return s, nil
		}
	}
	return nil, err
}

func (s *server) run(bin, data string, cred *syscall.Credential) error {
	s.log = filepath.Join(s.dir, "postgres.log")
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	// The postmaster is this process's child rather than pg_ctl's daemon,
	// so that it dies with the test binary even when the binary is
	// killed (Pdeathsig): no stray server outlives a run.
	// synchronous_commit=off matches SQLite's synchronous=NORMAL in WAL
	// mode: a commit does not wait for the disk, and a crash loses at
	// most the last moments but never consistency.
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(s.port),
		"-h", "127.0.0.1", "-k", s.dir, "-c", "synchronous_commit=off", "-c", "max_connections=200")
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() { cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			b, _ := os.ReadFile(s.log)
			return fmt.Errorf("postgres exited at start:\n%s", b)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := pgx.Connect(ctx, s.url("postgres"))
		if err == nil {
			c.Close(ctx)
			cancel()
			return nil
		}
		cancel()
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	b, _ := os.ReadFile(s.log)
	return fmt.Errorf("postgres did not accept connections within 30s:\n%s", b)
}

func (s *server) url(db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(superuser, s.password),
		Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)), Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// stop shuts the server down and removes its folder. The shutdown is
// immediate (SIGQUIT): the data is thrown away, so the checkpoint a clean
// shutdown writes, seconds on a busy disk after many test databases, buys
// nothing.
func (s *server) stop() error {
	defer os.RemoveAll(s.dir)
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	s.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-s.exited:
		return nil
	case <-time.After(15 * time.Second):
	}
	s.cmd.Process.Kill()
	<-s.exited
	return fmt.Errorf("postgres did not stop within 15s; killed")
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
