package scan

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestFilesOrdinaryCalls runs the Linux walk with ordinary system calls
// only, as on a kernel without openat2 or RWF_NOWAIT, or on a network
// share: the same files, digests and skips; and a file larger than the
// read buffer is hashed whole either way.
func TestFilesOrdinaryCalls(t *testing.T) {
	root := t.TempDir()
	big := make([]byte, 3*BufferSize+12345)
	for i := range big {
		big[i] = byte(i * 7)
	}
	writeFile(t, filepath.Join(root, "d/big.bin"), big)
	writeFile(t, filepath.Join(root, "d/e/small.txt"), []byte("small"))
	writeFile(t, filepath.Join(root, "empty"), nil)
	os.Symlink(filepath.Join(root, "d/big.bin"), filepath.Join(root, "link"))
	sum := sha256.Sum256(big)
	set := indicators(t, "sha256,"+Hex(sum))
	// A root that is a file is hashed as named.
	var one Report
	if err := Files(context.Background(), Options{Paths: []string{filepath.Join(root, "d/big.bin")}, Indicators: set}, &one); err != nil || one.Files != 1 || len(one.Findings) != 1 || one.Findings[0].Path != filepath.Join(root, "d/big.bin") {
		t.Fatalf("file root: %v %+v", err, one)
	}
	for _, slow := range []bool{false, true} {
		slowCalls = slow
		var rep Report
		err := Files(context.Background(), Options{Paths: []string{root}, Indicators: set, Workers: 2}, &rep)
		slowCalls = false
		if err != nil {
			t.Fatal(err)
		}
		if rep.Files != 3 || rep.Special != 1 || rep.Bytes != int64(len(big)+5) || len(rep.Findings) != 1 || rep.Findings[0].Path != filepath.Join(root, "d/big.bin") {
			t.Errorf("ordinary calls %v: files %d special %d bytes %d findings %+v", slow, rep.Files, rep.Special, rep.Bytes, rep.Findings)
		}
	}
}

// TestFilesLanes hashes files of every size around the edges the Linux
// walk cares about (SHA-256's 56 and 64 bytes, a page, a lane's read),
// many to a directory and one alone, with and without the SHA extensions
// and with ordinary calls (fstat before every read): every digest is
// right, every file counted once.
func TestFilesLanes(t *testing.T) {
	root := t.TempDir()
	sizes := []int{0, 1, 55, 56, 63, 64, 65, 119, 120, 4095, 4096, 4097, 8192, 12345,
		laneChunk - 1, laneChunk, laneChunk + 1, 2 * laneChunk, 3*laneChunk + 77}
	rows := []string{}
	var total int64
	for i, n := range sizes {
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(i + j*31 + j>>9)
		}
		dir := "many"
		if i == 7 {
			dir = "alone"
		}
		writeFile(t, filepath.Join(root, dir, fmt.Sprintf("f%02d", i)), data)
		sum := sha256.Sum256(data)
		rows = append(rows, "sha256,"+Hex(sum))
		total += int64(n)
	}
	set := indicators(t, rows...)
	shaExt := haveSHA2x
	defer func() { haveSHA2x = shaExt }()
	for _, ext := range []bool{shaExt, false} {
		// The ring (where the kernel has io_uring), raw calls one by one,
		// ordinary calls.
		for _, mode := range []string{"ring", "raw", "ordinary"} {
			haveSHA2x, noRing, slowCalls = ext, mode != "ring", mode == "ordinary"
			for _, workers := range []int{1, 3} {
				var rep Report
				err := Files(context.Background(), Options{Paths: []string{root}, Indicators: set, Workers: workers}, &rep)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Files != int64(len(sizes)) || rep.Bytes != total || len(rep.Findings) != len(sizes) || rep.Unreadable != 0 {
					t.Errorf("SHA extensions %v, %s calls, %d workers: files %d bytes %d (want %d) findings %d unreadable %d %v",
						ext, mode, workers, rep.Files, rep.Bytes, total, len(rep.Findings), rep.Unreadable, rep.Errors)
				}
			}
			noRing, slowCalls = false, false
		}
	}
	// The size limit holds without fstat: a file over it, under a read.
	haveSHA2x = shaExt
	var rep Report
	if err := Files(context.Background(), Options{Paths: []string{root}, Indicators: set, MaxSize: 4096}, &rep); err != nil {
		t.Fatal(err)
	}
	if want := int64(11); rep.Files != want || rep.TooLarge != int64(len(sizes))-want {
		t.Errorf("max size: files %d too large %d", rep.Files, rep.TooLarge)
	}
}

// TestFilesCancel cancels scans at different points: each ends, with the
// context's error or done, and none waits forever on the walker or the
// ring.
func TestFilesCancel(t *testing.T) {
	root := t.TempDir()
	for i := 0; i < 2000; i++ {
		writeFile(t, filepath.Join(root, fmt.Sprintf("d%02d/f%04d", i%40, i)), make([]byte, i%5000))
	}
	for _, delay := range []time.Duration{0, 100 * time.Microsecond, time.Millisecond, 5 * time.Millisecond} {
		for _, workers := range []int{1, 2} {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(delay, cancel)
			done := make(chan error, 1)
			go func() {
				var rep Report
				done <- Files(ctx, Options{Paths: []string{root}, Workers: workers}, &rep)
			}()
			select {
			case err := <-done:
				if err != nil && !errors.Is(err, context.Canceled) {
					t.Errorf("cancel after %v, %d workers: %v", delay, workers, err)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("cancel after %v, %d workers: the scan did not end", delay, workers)
			}
			cancel()
		}
	}
}
