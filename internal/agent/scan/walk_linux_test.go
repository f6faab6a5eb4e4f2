package scan

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
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
