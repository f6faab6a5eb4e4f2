//go:build unix

package findings_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the benchmark process has used, user and
// system; on a busy machine it tells what a step would take on an idle one.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
