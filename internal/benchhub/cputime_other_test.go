//go:build !unix

package benchhub_test

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
