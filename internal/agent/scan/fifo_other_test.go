//go:build !unix

package scan

import "errors"

func mkfifo(path string) error { return errors.ErrUnsupported }
