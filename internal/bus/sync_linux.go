package bus

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncData flushes f's data and the metadata needed to read it back (its
// size), not its timestamps.
func syncData(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }
