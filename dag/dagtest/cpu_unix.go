//go:build unix

package dagtest

import (
	"syscall"
	"time"
)

// CPUTime returns the user and system CPU time of the process so far,
// for benchmarks that report their CPU use; 0 where it is not measured.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
