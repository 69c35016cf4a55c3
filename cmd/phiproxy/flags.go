package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify"
	"github.com/phiproxy/phiproxy/classify/persona"
	"github.com/phiproxy/phiproxy/proxy"
	"github.com/phiproxy/phiproxy/store"
)

const defaultDB = "phiproxy.db"

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// severityFlag parses a severity name.
type severityFlag struct{ s *phiproxy.Severity }

func (f severityFlag) String() string {
	if f.s == nil {
		return ""
	}
	return f.s.String()
}
func (f severityFlag) Set(v string) error {
	s, err := phiproxy.ParseSeverity(v)
	if err != nil {
		return err
	}
	*f.s = s
	return nil
}

// resolveFlag collects --resolve HOST[:PORT]=IP[:PORT] overrides.
type resolveFlag map[string]string

func (r resolveFlag) String() string { return "" }
func (r resolveFlag) Set(v string) error {
	host, addr, ok := strings.Cut(v, "=")
	if !ok || host == "" || addr == "" {
		return fmt.Errorf("want HOST=IP[:PORT], got %q", v)
	}
	ip := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		ip = h
	}
	if net.ParseIP(strings.Trim(ip, "[]")) == nil {
		return fmt.Errorf("%q: %q is not an IP address", v, ip)
	}
	r[strings.ToLower(host)] = addr
	return nil
}

func newFlagSet(name, args string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: phiproxy %s [flags] %s\n\nFlags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; a bad flag has already been reported by the flag
// package, so it becomes errUsage (exit 2) without a second message.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	warnPasswordArgs(fs)
	return nil
}

// warnPasswordArgs warns when a database URL given on the command line
// carries a password: every user of the machine can read a process's
// arguments (ps, /proc/PID/cmdline) for as long as it runs, while
// PGPASSWORD, ~/.pgpass and $PHIPROXY_DB are the user's own.
func warnPasswordArgs(fs *flag.FlagSet) {
	fs.Visit(func(f *flag.Flag) {
		v, ok := f.Value.(*dbValue)
		if !ok || !store.HasPassword(string(*v)) {
			return
		}
		fmt.Fprintf(fs.Output(), "phiproxy: warning: the password in --%s can be read by every user of this machine (ps) while phiproxy runs; give it in PGPASSWORD or ~/.pgpass, or the URL in $%s, instead\n", f.Name, envDB)
	})
}

// classifyFlags are the options every inspecting command shares.
type classifyFlags struct {
	sites, baa, dicts listFlag
	persona           string
}

func (c *classifyFlags) register(fs *flag.FlagSet) {
	fs.Var(&c.sites, "site", "first-party registrable `domain` (repeatable); default: inferred from the pages visited")
	fs.Var(&c.baa, "baa", "vendor name or `domain` covered by a Business Associate Agreement (repeatable)")
	fs.Var(&c.dicts, "dict", "extra term list `file`: TSV as documented, RxNorm RXNCONSO.RRF, an ICD-10-CM order file, or a not_health phrase list (repeatable)")
	fs.StringVar(&c.persona, "persona", "", "test-persona JSON `file`: values typed while testing, searched in every encoding and hash (its \"baa\" list adds to --baa)")
}

func (c *classifyFlags) inspector() (*classify.Inspector, error) {
	opts := classify.Options{Sites: c.sites, BAA: c.baa, DictFiles: c.dicts}
	if c.persona != "" {
		p, err := persona.Load(c.persona)
		if err != nil {
			return nil, err
		}
		opts.Persona = p
		opts.BAA = append(opts.BAA, p.BAA...)
	}
	return classify.New(opts)
}

// limitFlags bound what a client or an origin that stops talking can
// hold, and how long shutting down waits for exchanges in flight.
type limitFlags struct {
	handshake, header, bodyIdle, idle, upstream, grace time.Duration
	maxConns                                           int
}

func (l *limitFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&l.handshake, "handshake-timeout", proxy.DefaultHandshakeTimeout, "`time` an intercepted tunnel gets from its CONNECT to the end of the browser's TLS handshake")
	fs.DurationVar(&l.header, "header-timeout", proxy.DefaultHeaderTimeout, "`time` to read a request's headers, from their first byte, in or out of a tunnel")
	fs.DurationVar(&l.bodyIdle, "body-idle-timeout", proxy.DefaultBodyIdleTimeout, "`time` a request body may send nothing before the browser gets a 408")
	fs.DurationVar(&l.idle, "idle-timeout", proxy.DefaultIdleTimeout, "`time` a keep-alive connection or tunnel may wait for its next request before it is closed")
	fs.DurationVar(&l.upstream, "upstream-timeout", proxy.DefaultUpstreamTimeout, "`time` to wait for an origin's response headers once the request is sent; then the browser gets a 504")
	fs.IntVar(&l.maxConns, "max-conns", proxy.DefaultMaxConns, "client connections open at once; one more is answered 503 with the reason and closed")
	fs.DurationVar(&l.grace, "shutdown-grace", 15*time.Second, "`time` a stopping proxy waits for exchanges in flight before answering them 503 (their flows are still stored)")
}

// check refuses a limit that is not positive.
func (l *limitFlags) check() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"handshake-timeout", l.handshake}, {"header-timeout", l.header}, {"body-idle-timeout", l.bodyIdle}, {"idle-timeout", l.idle}, {"upstream-timeout", l.upstream}, {"shutdown-grace", l.grace}} {
		if d.v <= 0 {
			return fmt.Errorf("--%s %v: must be positive", d.name, d.v)
		}
	}
	if l.maxConns <= 0 {
		return fmt.Errorf("--max-conns %d: must be positive", l.maxConns)
	}
	return nil
}

// with is cfg with the limits set.
func (l *limitFlags) with(cfg proxy.Config) proxy.Config {
	cfg.HandshakeTimeout, cfg.HeaderTimeout, cfg.BodyIdleTimeout = l.handshake, l.header, l.bodyIdle
	cfg.IdleTimeout, cfg.UpstreamTimeout, cfg.MaxConns = l.idle, l.upstream, l.maxConns
	return cfg
}
