package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/classify"
	"github.com/phiproxy/phiproxy/classify/persona"
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
	return nil
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
