package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/phiproxy/phiproxy"
	"github.com/phiproxy/phiproxy/compare"
	"github.com/phiproxy/phiproxy/evidence"
	"github.com/phiproxy/phiproxy/store"
	"github.com/phiproxy/phiproxy/tui"
)

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", "", stderr)
	var pf proxyFlags
	pf.register(fs, "127.0.0.1:8080")
	noTUI := fs.Bool("no-tui", false, "no screen: one JSON line per finding on stdout, logs on stderr")
	cpuProfile := fs.String("cpuprofile", "", "write a Go CPU profile of the whole run to `file` (for performance reports)")
	memProfile := fs.String("memprofile", "", "write a Go heap profile to `file` when the proxy stops (what is live, what was allocated; for performance reports)")
	baselinePath := registerBaseline(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	base, err := loadBaseline(*baselinePath)
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.OpenFile(*cpuProfile, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *memProfile != "" {
		// Finer than the default one sample per 512 KiB, so that the
		// dictionaries, memos and per-connection buffers each show.
		runtime.MemProfileRate = 16 << 10
		f, err := os.OpenFile(*memProfile, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("--memprofile: %w", err)
		}
		defer f.Close()
		defer func() {
			// Its in-use figures are those of the last collection,
			// which ran while the proxy was busy unless it idled.
			if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
				fmt.Fprintf(stderr, "--memprofile: %v\n", err)
			}
		}()
	}
	if *noTUI {
		return runHeadless(ctx, &pf, base, stdout, stderr, nil)
	}
	return runWithTUI(ctx, &pf, base, nil)
}

// registerBaseline adds --baseline, which run and browse share.
func registerBaseline(fs *flag.FlagSet) *string {
	return fs.String("baseline", "", "mark in the inventory view (key i) what the run has that this baseline `file` has not; with --no-tui, print the changes when the proxy stops")
}

// loadBaseline reads --baseline's file; nil when none was given.
func loadBaseline(path string) (*side, error) {
	if path == "" {
		return nil, nil
	}
	b, err := baselineSide(path)
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// companion starts something alongside a running session (browse's
// browser); stop ends it before the session closes.
type companion func(s *session, log *slog.Logger) (stop func(), err error)

// startCompanion runs c on s, if there is one; on failure the session is
// closed.
func startCompanion(c companion, s *session, log *slog.Logger) (func(), error) {
	if c == nil {
		return func() {}, nil
	}
	stop, err := c(s, log)
	if err != nil {
		s.Close()
		return nil, err
	}
	return stop, nil
}

func runHeadless(ctx context.Context, pf *proxyFlags, base *side, stdout, stderr io.Writer, with companion) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	out := newJSONLines(stdout)
	s, err := startSession(ctx, "run", pf, log, nil, out.records)
	if err != nil {
		return err
	}
	log.Info("phiproxy listening", "addr", s.Addr(), "db", s.store.Path(), "ca", s.ca.CertPath(), "ca_fingerprint", s.ca.ShortFingerprint())
	stopCompanion, err := startCompanion(with, s, log)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-s.served:
		log.Error("proxy stopped", "err", err)
	}
	stopCompanion()
	log.Info("shutting down: draining the inspection queue")
	err = s.Close()
	st, h := s.pipe.Stats(), s.pipe.Health()
	log.Info("stopped", "seen", st.Seen, "inspected", st.Inspected, "flagged", st.Flagged, "not_inspected", st.Dropped, "not_saved", h.Lost)
	if h.FailedCommits > 0 {
		log.Error("database writes failed during the run", "failed_commits", h.FailedCommits, "not_saved", h.Lost, "last_err", h.LastErr)
	}
	if base != nil && err == nil {
		// The run stops when ctx is cancelled; the comparison comes after.
		err = printRunChanges(context.WithoutCancel(ctx), pf.db, s.runID, *base, stderr)
	}
	return err
}

// printRunChanges prints what run runID of db changed from base.
func printRunChanges(ctx context.Context, db string, runID int64, base side, w io.Writer) error {
	st, err := openStore(db, true)
	if err != nil {
		return err
	}
	defer st.Close()
	now, err := runSide(ctx, st, runID)
	if err != nil {
		return err
	}
	changes := compare.Diff(base.snap, now.snap)
	return printChanges(w, base.name, now.name, changes, compare.Failing(changes, compare.DefaultFailOn), compare.DefaultFailOn)
}

func runWithTUI(ctx context.Context, pf *proxyFlags, base *side, with companion) error {
	// Nothing may reach the terminal while the screen is drawn: logs go to
	// a file beside the database.
	logPath := pf.db + ".log"
	if store.IsURL(pf.db) {
		logPath = besideDB(pf.db, "phiproxy.log")
	}
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	defer lf.Close()
	log := slog.New(slog.NewTextHandler(lf, nil))
	s, err := startSession(ctx, "run", pf, log, nil, nil)
	if err != nil {
		return err
	}
	app, err := tui.New(tui.Options{
		Store:         s.store,
		Listen:        s.Addr(),
		CAFingerprint: s.ca.ShortFingerprint(),
		DBPath:        s.store.Path(),
		Live:          s.liveStats,
		Fields:        func(f *phiproxy.Flow) []phiproxy.Field { return s.inspector.Fields(f).Fields },
		Export:        exportFromView(s.store, pf.db, s.ca.Fingerprint()),
		Baseline:      base.snapshot(),
	})
	if err != nil {
		s.Close()
		return err
	}
	stopCompanion, err := startCompanion(with, s, log)
	if err != nil {
		return err
	}
	runErr := app.Run(ctx)
	stopCompanion()
	closeErr := s.Close()
	if runErr != nil {
		return runErr
	}
	if closeErr != nil {
		return closeErr
	}
	st, h := s.pipe.Stats(), s.pipe.Health()
	fmt.Fprintf(os.Stderr, "phiproxy: stopped; %d flows seen, %d inspected, %d flagged, %d not inspected; database %s\n", st.Seen, st.Inspected, st.Flagged, st.Dropped, s.store.Path())
	if h.FailedCommits > 0 {
		fmt.Fprintf(os.Stderr, "phiproxy: %d database writes failed and were retried; last error: %v\n", h.FailedCommits, h.LastErr)
	}
	return nil
}

// liveStats is what the screen's header shows of the running session.
func (s *session) liveStats() tui.LiveStats {
	h := s.pipe.Health()
	ls := tui.LiveStats{Stats: s.pipe.Stats(), QueueDepth: s.pipe.QueueDepth(), QueueCap: s.pipe.QueueCap(), Unsaved: h.Unsaved, Lost: h.Lost}
	if h.Failing && h.LastErr != nil {
		ls.WriteErr = h.LastErr.Error()
	}
	return ls
}

// exportFromView writes a bundle beside the database for the TUI's `e` key.
func exportFromView(s *store.Store, dbPath, caFingerprint string) func(context.Context, store.Filter) (string, error) {
	return func(ctx context.Context, f store.Filter) (string, error) {
		name := fmt.Sprintf("phiproxy-evidence-%s.zip", time.Now().UTC().Format("20060102T150405Z"))
		path := besideDB(dbPath, name)
		_, err := evidence.WriteZip(ctx, s, path, evidence.Options{Filter: f, Version: version, CAFingerprint: caFingerprint})
		return path, err
	}
}
