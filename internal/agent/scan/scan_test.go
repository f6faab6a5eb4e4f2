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

	set := NewSet()
	sum := sha256.Sum256(bad)
	if err := set.Add(Indicator{Type: "SHA256", Value: strings.ToUpper(Hex(sum)), Comment: "EICAR test"}); err != nil {
		t.Fatal(err)
	}
	var rep Report
	err := Files(context.Background(), Options{Paths: []string{root}, MaxSize: 1024, Workers: 3, Matcher: set}, &rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 {
		t.Fatalf("findings = %+v", rep.Findings)
	}
	f := rep.Findings[0]
	if f.Path != filepath.Join(root, "a/b/dropper.bin") || f.SHA256 != Hex(sum) || f.Indicator.Comment != "EICAR test" || f.Kind != "file" {
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
	if err := Files(context.Background(), Options{Paths: []string{root}, Matcher: NewSet()}, &rep); err != nil {
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
	set := NewSet()
	set.Add(Indicator{Type: "ip", Value: "203.0.113.9"})
	set.Add(Indicator{Type: "cidr", Value: "198.51.100.0/24"})
	set.Add(Indicator{Type: "domain", Value: "Bad.Example."})
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
	if rep.Findings[2].Domain != "c2.bad.example" || rep.Findings[2].Indicator.Value != "bad.example" || rep.Findings[2].PID != 12 {
		t.Errorf("domain finding = %+v", rep.Findings[2])
	}
}

func TestCheckProcesses(t *testing.T) {
	set := NewSet()
	sum := sha256.Sum256([]byte("miner"))
	set.Add(Indicator{Type: "sha256", Value: Hex(sum)})
	var rep Report
	CheckProcesses([]ProcessInfo{{PID: 5, Name: "kworker", Path: "/tmp/.x/kworker", SHA256: Hex(sum)}, {PID: 6, SHA256: "zz"}}, set, &rep)
	if len(rep.Findings) != 1 || rep.Findings[0].PID != 5 || rep.Findings[0].Kind != "process" {
		t.Fatalf("%+v", rep.Findings)
	}
}

func TestReadCSV(t *testing.T) {
	good := "type,value,comment\n# a comment\nsha256," + strings.Repeat("ab", 32) + ",test\nip,203.0.113.5\ndomain,bad.example\nmd5,d41d8cd98f00b204e9800998ecf8427e\n"
	s := NewSet()
	if err := s.ReadCSV(strings.NewReader(good), "iocs.csv"); err != nil {
		t.Fatal(err)
	}
	h, i, d := s.Counts()
	if h != 1 || i != 1 || d != 1 || s.Unmatched != 1 {
		t.Fatalf("counts %d %d %d unmatched %d", h, i, d, s.Unmatched)
	}
	tests := []struct{ in, want string }{
		{"sha256,abc\n", "iocs.csv:1: value: not a SHA-256"},
		{"ip,1.2.3.4\nfoo,bar\n", "iocs.csv:2: type: unknown indicator type \"foo\""},
		{"ip,1.2.3.4\nip\n", "iocs.csv:2: value: missing"},
		{"ip,\"1.2\n", "iocs.csv:1:"},
		{"ip,300.1.1.1\n", "iocs.csv:1: value: not an IP address"},
	}
	for _, tt := range tests {
		err := NewSet().ReadCSV(strings.NewReader(tt.in), "iocs.csv")
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestHashSet(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 10, 1000, 100000} {
		sums := randomSums(n, uint64(n))
		h := NewHashSet(sums)
		for i, s := range sums {
			if j, ok := h.Lookup(&s); !ok || sums[j] != sums[i] {
				t.Fatalf("n=%d: %d not found", n, i)
			}
		}
		miss := randomSums(100, 99999)
		for _, s := range miss {
			if _, ok := h.Lookup(&s); ok {
				t.Fatalf("n=%d: false positive", n)
			}
		}
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

// BenchmarkHashLookup checks that matching a digest against 1,000,000
// indicators costs about what it costs against 10. The probes are 64Ki
// distinct digests, as a scan's files are, so the big table is not warm in
// cache; one in 16 hits.
func BenchmarkHashLookup(b *testing.B) {
	for _, n := range []int{10, 1000, 1000000} {
		b.Run(fmt.Sprintf("indicators=%d", n), func(b *testing.B) {
			sums := randomSums(n, 1)
			h := NewHashSet(sums)
			const np = 1 << 16
			probes := randomSums(np, 2)
			for i := 0; i < len(probes); i += 16 {
				probes[i] = sums[(i*7919)%len(sums)]
			}
			b.ResetTimer()
			hits := 0
			for i := 0; i < b.N; i++ {
				if _, ok := h.Lookup(&probes[i&(np-1)]); ok {
					hits++
				}
			}
			if hits == 0 {
				b.Fatal("no hits")
			}
		})
	}
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
		set := NewSet()
		for _, s := range randomSums(n, 3) {
			set.Add(Indicator{Type: TypeSHA256, Value: Hex(s)})
		}
		set.Freeze()
		b.Run(fmt.Sprintf("indicators=%d", n), func(b *testing.B) {
			b.SetBytes(total)
			for i := 0; i < b.N; i++ {
				var rep Report
				if err := Files(context.Background(), Options{Paths: []string{root}, Matcher: set}, &rep); err != nil {
					b.Fatal(err)
				}
				if rep.Bytes != total {
					b.Fatalf("hashed %d of %d bytes", rep.Bytes, total)
				}
			}
		})
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add("type,value,comment\nsha256," + strings.Repeat("0", 64) + ",x\nip,10.0.0.0/8\ndomain,a.example\n")
	f.Add("ip,\"x\n")
	f.Fuzz(func(t *testing.T, in string) {
		s := NewSet()
		if err := s.ReadCSV(strings.NewReader(in), "f.csv"); err != nil {
			if !strings.HasPrefix(err.Error(), "f.csv:") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		s.Counts()
	})
}
