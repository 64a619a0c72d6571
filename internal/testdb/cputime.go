package testdb

import (
	"syscall"
	"time"
)

// CPUTime is the CPU time (user and system) the process has used: on a
// busy machine it says more about a benchmark's work than the wall clock.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
