//go:build unix && !linux

package scan

import (
	"errors"
	"os"
	"syscall"
)

// openNoFollow opens path read-only without following a final symlink
// (ELOOP) and without blocking on a FIFO.
func openNoFollow(path string) (*os.File, error) {
	flags := syscall.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK | syscall.O_CLOEXEC
	fd, err := syscall.Open(path, flags|oNoATime, 0)
	if err == syscall.EPERM && oNoATime != 0 {
		fd, err = syscall.Open(path, flags, 0) // O_NOATIME needs ownership
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }
