//go:build !unix

package ioc

import "time"

var start = time.Now()

// processCPU falls back to wall time.
func processCPU() time.Duration { return time.Since(start) }
