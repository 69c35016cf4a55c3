// Package benchcpu reports CPU time in benchmarks. On a shared machine wall
// time measures the neighbours as much as the code, so phiproxy's
// benchmarks report CPU per operation next to it.
package benchcpu

import (
	"testing"
	"time"
)

// Report adds "cpu-ns/op", and "cpu-MB/s" when bytesPerOp > 0, from the
// CPU time used since start (a value of Now). It adds nothing where CPU
// time is not measured.
func Report(b *testing.B, start time.Duration, bytesPerOp int64) {
	used := Now() - start
	if used <= 0 || b.N == 0 {
		return
	}
	perOp := float64(used.Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp, "cpu-ns/op")
	if bytesPerOp > 0 {
		b.ReportMetric(float64(bytesPerOp)/perOp*1e3, "cpu-MB/s")
	}
}
