//go:build !unix

package dagtest

import "time"

// CPUTime is not measured here: benchmarks report 0 CPU.
func CPUTime() time.Duration { return 0 }
