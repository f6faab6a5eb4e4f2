package scan

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/detect/ioc"
)

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFilesFindsAndSkips(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	bad := []byte("X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*")
	writeFile(t, filepath.Join(root, "a/clean.txt"), []byte("hello"))
	writeFile(t, filepath.Join(root, "a/b/dropper.bin"), bad)
	writeFile(t, filepath.Join(root, "big.iso"), make([]byte, 4096))
	writeFile(t, filepath.Join(outside, "evil.bin"), bad)
	// A link out of the tree must not be followed, nor a link to a dir.
	os.Symlink(filepath.Join(outside, "evil.bin"), filepath.Join(root, "link-out"))
	os.Symlink(outside, filepath.Join(root, "dir-out"))
	special := int64(3)
	if err := mkfifo(filepath.Join(root, "pipe")); err != nil {
		special-- // no FIFOs on this OS
	}

	sum := sha256.Sum256(bad)
	set := indicators(t, "SHA256,"+strings.ToUpper(Hex(sum))+",EICAR test")
	var rep Report
	err := Files(context.Background(), Options{Paths: []string{root}, MaxSize: 1024, Workers: 3, Indicators: set}, &rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 {
		t.Fatalf("findings = %+v", rep.Findings)
	}
	f := rep.Findings[0]
	if f.Path != filepath.Join(root, "a/b/dropper.bin") || f.SHA256 != Hex(sum) || f.Hit.Comment != "EICAR test" || f.Hit.Kind != ioc.KindSHA256 || f.Kind != "file" {
		t.Errorf("finding = %+v", f)
	}
	if rep.Files != 2 || rep.TooLarge != 1 || rep.Special != special || rep.Bytes != int64(5+len(bad)) {
		t.Errorf("report = files %d too large %d special %d bytes %d", rep.Files, rep.TooLarge, rep.Special, rep.Bytes)
	}
}

func TestFilesEmptyIndicators(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "x"), []byte("x"))
	var rep Report
	if err := Files(context.Background(), Options{Paths: []string{root}, Indicators: ioc.NewBuilder().Build()}, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Files != 1 || len(rep.Findings) != 0 {
		t.Fatalf("%+v", rep)
	}
	if err := Files(context.Background(), Options{Paths: []string{filepath.Join(root, "missing")}}, &rep); err == nil {
		t.Fatal("missing root: no error")
	}
}

func TestCheckConnections(t *testing.T) {
	set := indicators(t, "ip,203.0.113.9", "cidr,198.51.100.0/24", "domain,Bad.Example.")
	conns := []ConnInfo{
		{Remote: netip.MustParseAddrPort("203.0.113.9:443"), PID: 10, Process: "curl"},
		{Remote: netip.MustParseAddrPort("198.51.100.77:80"), PID: 11, Process: "wget"},
		{Remote: netip.MustParseAddrPort("192.0.2.1:443"), PID: 12, Process: "beacon"},
		{Remote: netip.MustParseAddrPort("8.8.8.8:53"), PID: 13, Process: "dig"},
	}
	resolve := func(ctx context.Context, a string) ([]string, error) {
		if a == "192.0.2.1" {
			return []string{"c2.bad.example."}, nil
		}
		return nil, nil
	}
	var rep Report
	// 192.0.2.1 is documentation space, not private: it is resolved.
	CheckConnections(context.Background(), conns, set, resolve, &rep)
	if len(rep.Findings) != 3 {
		t.Fatalf("findings = %+v", rep.Findings)
	}
	if rep.Findings[2].Domain != "c2.bad.example" || rep.Findings[2].Hit.Indicator != "bad.example" || rep.Findings[2].PID != 12 {
		t.Errorf("domain finding = %+v", rep.Findings[2])
	}
}

func TestCheckProcesses(t *testing.T) {
	sum := sha256.Sum256([]byte("miner"))
	set := indicators(t, "sha256,"+Hex(sum))
	var rep Report
	CheckProcesses([]ProcessInfo{{PID: 5, Name: "kworker", Path: "/tmp/.x/kworker", SHA256: Hex(sum)}, {PID: 6, SHA256: "zz"}}, set, &rep)
	if len(rep.Findings) != 1 || rep.Findings[0].PID != 5 || rep.Findings[0].Kind != "process" {
		t.Fatalf("%+v", rep.Findings)
	}
}

func randomSums(n int, seed uint64) [][32]byte {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([][32]byte, n)
	for i := range out {
		for j := 0; j < 32; j += 8 {
			binary.LittleEndian.PutUint64(out[i][j:], r.Uint64())
		}
	}
	return out
}

// BenchmarkScanFiles hashes a page-cached tree of 64 KiB and 1 MiB files on
// the pool, with 10 and with 1,000,000 indicators loaded: the throughput
// (MB/s) must not depend on the number of indicators.
func BenchmarkScanFiles(b *testing.B) {
	root := b.TempDir()
	var total int64
	for i := 0; i < 64; i++ {
		size := 64 << 10
		if i%4 == 0 {
			size = 1 << 20
		}
		data := make([]byte, size)
		binary.LittleEndian.PutUint64(data, uint64(i))
		writeFile(b, filepath.Join(root, fmt.Sprintf("d%d/f%d", i%8, i)), data)
		total += int64(size)
	}
	for _, n := range []int{10, 1000000} {
		bl := ioc.NewBuilder()
		for _, s := range randomSums(n, 3) {
			bl.Add(ioc.KindSHA256, Hex(s), "")
		}
		set := bl.Build()
		b.Run(fmt.Sprintf("indicators=%d", n), func(b *testing.B) {
			b.SetBytes(total)
			for i := 0; i < b.N; i++ {
				var rep Report
				if err := Files(context.Background(), Options{Paths: []string{root}, Indicators: set}, &rep); err != nil {
					b.Fatal(err)
				}
				if rep.Bytes != total {
					b.Fatalf("hashed %d of %d bytes", rep.Bytes, total)
				}
			}
		})
	}
}

// indicators builds a set from CSV rows, as `vigil agent scan --ioc` and
// `vigil detect --ioc` read them.
func indicators(t *testing.T, rows ...string) *ioc.Set {
	t.Helper()
	b := ioc.NewBuilder()
	st, err := b.AddCSV(strings.NewReader(strings.Join(rows, "\n")), "t.csv")
	if err != nil || st.Bad > 0 {
		t.Fatalf("%v %v", err, st.Errors)
	}
	return b.Build()
}
