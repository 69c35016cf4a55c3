package main

// The library floor: tools/bareproxy, a goproxy MITM proxy that only
// forwards, with phiproxy's CA and upstream transport settings. Beside it,
// phiproxy's figures say what inspection and storage cost.

import (
	"fmt"
	"os"
	"path/filepath"
)

// bareName is the bare proxy's target name in every report.
const bareName = "goproxy"

// startBare starts the bare goproxy binary, trusting the origin's
// certificate, and returns its target and a stop function.
func startBare(bin, tmp, originPEM string) (target, func(), error) {
	addr, err := freePort()
	if err != nil {
		return target{}, nil, err
	}
	caDir := filepath.Join(tmp, "bareca")
	cmd := proxyCommand(bin, "-listen", addr, "-ca-dir", caDir, "-upstream-ca", originPEM)
	cmd.Stdout, cmd.Stderr = nil, os.Stderr
	if err := cmd.Start(); err != nil {
		return target{}, nil, fmt.Errorf("start %s: %w", bin, err)
	}
	stop := func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }
	return awaitProxy(bareName, addr, cmd, stop, filepath.Join(caDir, "ca.pem"))
}

// pairWith sets r's round-by-round throughput and CPU ratios to another
// target's rounds (the round next to each in time).
func pairWith(rs, other []result) (rps, cpu []float64) {
	for j, r := range rs {
		if j >= len(other) || other[j].rps() == 0 {
			continue
		}
		rps = append(rps, r.rps()/other[j].rps())
		cpu = append(cpu, float64(r.cpuPerRequest())/float64(max(other[j].cpuPerRequest(), 1)))
	}
	return rps, cpu
}

// startPhiproxyB starts a second phiproxy (-phiproxy-b) in its own
// folder, without the first one's CPU profile.
func startPhiproxyB(bin, tmp, originPEM string) (target, func(), error) {
	dir := filepath.Join(tmp, "b")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return target{}, nil, err
	}
	return startPhiproxy("phiproxy-b", bin, dir, originPEM, "")
}
