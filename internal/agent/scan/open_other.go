//go:build !unix

package scan

import "os"

// openNoFollow opens path read-only. On Windows the walk has already
// skipped reparse points; a race that swaps one in is not guarded.
func openNoFollow(path string) (*os.File, error) { return os.Open(path) }

func isLoop(err error) bool { return false }
