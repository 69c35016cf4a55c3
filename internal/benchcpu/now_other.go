//go:build !unix

package benchcpu

import "time"

// Now is 0 here: CPU time is not measured, and Report adds nothing.
func Now() time.Duration { return 0 }
