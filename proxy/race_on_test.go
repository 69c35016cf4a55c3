//go:build race

package proxy

// raceSlowdown stretches the tests' time limits under the race detector,
// which slows handshakes enough to miss a 200 ms limit while setting up.
const raceSlowdown = 5
