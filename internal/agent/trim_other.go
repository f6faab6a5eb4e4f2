//go:build !linux && !windows

package agent

// trimWorkingSet does nothing where the OS offers no way to.
func trimWorkingSet() {}
