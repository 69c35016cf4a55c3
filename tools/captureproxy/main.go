// Command captureproxy is phiproxy without classification: package
// proxy's forwarding and capture, and package pipeline's handoff and
// writer into a store, with an inspector that finds nothing. proxybench
// measures it like phiproxy (it takes phiproxy run's arguments), so that
// what forwarding and capture cost over the bare goproxy
// (tools/bareproxy) is measured apart from what inspection costs:
//
//	go build -o bin/captureproxy ./tools/captureproxy
//	go run ./tools/proxybench -phiproxy bin/captureproxy -bareproxy bin/bareproxy -mitmdump ''
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/certs"
	"github.com/phiproxy/phiproxy/pipeline"
	"github.com/phiproxy/phiproxy/proxy"
	"github.com/phiproxy/phiproxy/store"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "run" { // as proxybench starts phiproxy
		args = args[1:]
	}
	fs := flag.NewFlagSet("captureproxy", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:8082", "listen `address`")
	caDir := fs.String("ca-dir", "", "CA folder (created when empty, like phiproxy's --ca-dir)")
	db := fs.String("db", "", "database `file` (required)")
	upstreamCA := fs.String("upstream-ca", "", "extra PEM `file` of upstream roots to trust")
	profile := fs.String("cpuprofile", "", "write a CPU profile to this `file`")
	fs.Bool("no-tui", true, "accepted for phiproxy run's command line; there is no TUI")
	fs.Parse(args)
	if err := run(*listen, *caDir, *db, *upstreamCA, *profile); err != nil {
		fmt.Fprintln(os.Stderr, "captureproxy:", err)
		os.Exit(1)
	}
}

// nothingFound inspects no flow: every flow is captured, handed over,
// counted and, finding nothing, released, as phiproxy does with a flow
// that carries no PHI.
func nothingFound(*phiproxy.Flow) phiproxy.Inspection { return phiproxy.Inspection{} }

func run(listen, caDir, db, upstreamCA, profile string) error {
	if db == "" {
		return errors.New("--db is required")
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	ca, err := certs.Load(caDir)
	if err != nil {
		return fmt.Errorf("load CA: %w", err)
	}
	var files []string
	if upstreamCA != "" {
		files = append(files, upstreamCA)
	}
	roots, err := certs.UpstreamRoots(files...)
	if err != nil {
		return fmt.Errorf("upstream CA: %w", err)
	}
	st, err := store.Open(db)
	if err != nil {
		return err
	}
	defer st.Close()
	pipe, err := pipeline.New(pipeline.Config{Inspector: phiproxy.InspectorFunc(nothingFound), Store: st})
	if err != nil {
		return err
	}
	srv, err := proxy.New(proxy.Config{CA: ca, UpstreamRoots: roots, OnFlow: func(f *phiproxy.Flow) { pipe.Submit(f) }})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errs := []error{srv.Shutdown(shut)}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, err)
	}
	errs = append(errs, pipe.Close(shut))
	s := pipe.Stats()
	fmt.Fprintf(os.Stderr, "captureproxy: stopped seen=%d inspected=%d not_inspected=%d\n", s.Seen, s.Inspected, s.Dropped)
	return errors.Join(errs...)
}
