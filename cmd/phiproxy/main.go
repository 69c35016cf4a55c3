// Command phiproxy is an HTTP(S) interception proxy that finds protected
// health information leaking from a website to third parties.
//
// Exit codes: 0 ok, 1 findings at or above --fail-on (for diff, and
// crawl or scan with --baseline, also a change --fail-on or
// --fail-on-change lists), 2 usage or runtime error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

// Exit codes, a public contract.
const (
	exitOK       = 0
	exitFindings = 1
	exitError    = 2
)

// errFindings makes a command exit 1 after printing its results.
var errFindings = errors.New("findings at or above the --fail-on severity")

// errUsage marks an error already explained by the flag package.
var errUsage = errors.New("usage")

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"run", "start the proxy (the default command)", runCommand},
	{"browse", "start the proxy and open Chromium through it, already trusting its CA", browseCommand},
	{"view", "browse an existing database read-only", viewCommand},
	{"findings", "list stored findings", findingsCommand},
	{"inventory", "list the scripts, cookies, storage and endpoints of each vendor", inventoryCommand},
	{"diff", "compare two runs, or a run with a baseline file", diffCommand},
	{"baseline", "save a run as a baseline file to compare later runs with", baselineCommand},
	{"exposure", "since when each vendor received each kind of PHI", exposureCommand},
	{"runs", "list the recorded runs", runsCommand},
	{"export", "write an evidence bundle", exportCommand},
	{"scan", "inspect recorded traffic (HAR, pcap, pcapng)", scanCommand},
	{"crawl", "crawl a site in headless Chromium through the proxy", crawlCommand},
	{"db", "migrate, copy or prune a database (SQLite file or PostgreSQL)", dbCommand},
	{"ca", "print or export the local CA certificate", caCommand},
	{"version", "print the version", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		fmt.Fprintln(stdout, "phiproxy", version)
		return nil
	}},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	name := "run"
	explicit := len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-'
	if explicit {
		name, args = args[0], args[1:]
	}
	if name == "help" || (!explicit && len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help")) {
		// Bare `phiproxy --help` lists the commands; `phiproxy run
		// --help` lists run's flags.
		usage(stdout)
		return exitOK
	}
	for _, c := range commands {
		if c.name != name {
			continue
		}
		err := c.run(ctx, args, stdout, stderr)
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.Is(err, errFindings):
			return exitFindings
		case errors.Is(err, errUsage):
			return exitError
		default:
			fmt.Fprintf(stderr, "phiproxy %s: %v\n", name, err)
			return exitError
		}
	}
	fmt.Fprintf(stderr, "phiproxy: unknown command %q\n\n", name)
	usage(stderr)
	return exitError
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "phiproxy %s: find protected health information leaking to third parties.\n\nUsage: phiproxy [command] [flags]\n\nCommands:\n", version)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nWith no command, phiproxy runs the proxy: 'phiproxy run --help' lists its flags.\nRun 'phiproxy COMMAND --help' for a command's flags. Exit codes: 0 ok, 1 findings at or above --fail-on (diff: a change it lists), 2 error.")
}
