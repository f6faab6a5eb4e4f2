//go:build !linux

package scan

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sync"
)

// walk is the portable walk: filepath.WalkDir feeding paths to a pool of
// hashing workers. Linux has its own (walk_linux.go).
func (s *scanner) walk(roots []string, workers int) error {
	jobs := make(chan string, 256)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, BufferSize)
			for path := range jobs {
				if s.ctx.Err() != nil {
					continue
				}
				sum, size, err := hashFile(path, s.max, buf)
				switch {
				case errors.Is(err, errTooLarge):
					s.tooLarge.Add(1)
				case errors.Is(err, errNotRegular):
					s.special.Add(1)
				case err != nil:
					s.fail(err)
				default:
					s.hashed(&sum, size, func() string { return path })
				}
			}
		}()
	}
	var walkErr error
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if ctxErr := s.ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			if err != nil {
				if path == root {
					return err
				}
				s.fail(err)
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			t := d.Type()
			switch {
			case t.IsDir():
				if path != root && s.exclude[path] {
					return fs.SkipDir
				}
			case t.IsRegular():
				jobs <- path
			default: // symlink, device, pipe, socket
				s.special.Add(1)
			}
			return nil
		})
		if err != nil && walkErr == nil {
			walkErr = fmt.Errorf("scan: %w", err)
		}
	}
	close(jobs)
	wg.Wait()
	return walkErr
}

// hashFile opens path without following a final symlink and without
// blocking on a FIFO swapped in after the walk saw a regular file, checks
// it is still a regular file within the limit, and hashes it.
func hashFile(path string, max int64, buf []byte) ([32]byte, int64, error) {
	var sum [32]byte
	f, err := openNoFollow(path)
	if err != nil {
		if isLoop(err) {
			return sum, 0, errNotRegular
		}
		return sum, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return sum, 0, err
	}
	if !fi.Mode().IsRegular() {
		return sum, 0, errNotRegular
	}
	if max > 0 && fi.Size() > max {
		return sum, 0, errTooLarge
	}
	// Read exactly the size fstat gave: it spares the read that would only
	// return EOF, one syscall per file.
	sum, n, err := SumReader(io.LimitReader(f, fi.Size()), buf)
	if err != nil {
		return sum, n, fmt.Errorf("read %s: %w", path, err)
	}
	return sum, n, nil
}
