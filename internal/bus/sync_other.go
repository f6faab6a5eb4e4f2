//go:build !linux

package bus

import "os"

func syncData(f *os.File) error { return f.Sync() }
