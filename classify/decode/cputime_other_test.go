//go:build !unix

package decode

import "time"

// cpuTime is not measured here; the CPU metrics are then left out.
func cpuTime() time.Duration { return 0 }
