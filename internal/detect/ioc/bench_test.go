package ioc

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// genCSV streams n synthetic indicators as CSV, in the mix a national feed
// holds (mostly hashes and domains), without keeping them in memory.
type genCSV struct {
	n, i int
	rng  *rand.Rand
	buf  []byte
}

func newGenCSV(n int) *genCSV { return &genCSV{n: n, rng: rand.New(rand.NewPCG(1, 2))} }

func (g *genCSV) line(i int) []byte {
	b := g.buf[:0]
	r := g.rng
	hexN := func(n int) {
		const digits = "0123456789abcdef"
		for k := 0; k < n; k++ {
			b = append(b, digits[r.IntN(16)])
		}
	}
	switch i % 20 {
	case 0, 1, 2, 3, 4, 5:
		b = append(b, "sha256,"...)
		hexN(64)
	case 6, 7:
		b = append(b, "sha1,"...)
		hexN(40)
	case 8, 9:
		b = append(b, "md5,"...)
		hexN(32)
	case 10, 11, 12, 13, 14:
		b = append(b, "domain,"...)
		b = strconv.AppendUint(b, r.Uint64(), 36)
		b = append(b, ".example.com"...)
	case 15, 16, 17:
		b = append(b, "ip,"...)
		b = fmt.Appendf(b, "%d.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(256))
	case 18:
		b = append(b, "url,http://"...)
		b = strconv.AppendUint(b, r.Uint64(), 36)
		b = append(b, ".example.org/x.exe"...)
	default:
		b = append(b, "cidr,"...)
		b = fmt.Appendf(b, "%d.%d.%d.0/24", r.IntN(256), r.IntN(256), r.IntN(256))
	}
	b = append(b, ",feed-"...)
	b = strconv.AppendInt(b, int64(i%50), 10)
	b = append(b, '\n')
	g.buf = b
	return b
}

func (g *genCSV) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(g.buf) == 0 {
			if g.i >= g.n {
				if n == 0 {
					return 0, io.EOF
				}
				return n, nil
			}
			g.line(g.i)
			g.i++
		}
		c := copy(p[n:], g.buf)
		n += c
		g.buf = g.buf[c:]
	}
	return n, nil
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// BenchmarkLoad10M loads ten million indicators from CSV and reports the
// time and the heap the set holds (targets: < 10 s, < 2 GB).
func BenchmarkLoad10M(b *testing.B) {
	n := 10_000_000
	if testing.Short() {
		n = 1_000_000
	}
	// Write the feed first so generating it is not timed.
	path := filepath.Join(b.TempDir(), "feed.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(f, newGenCSV(n)); err != nil {
		b.Fatal(err)
	}
	f.Close()
	for b.Loop() {
		before := heapInUse()
		cpu0 := processCPU()
		start := time.Now()
		bl := NewBuilder()
		st, err := bl.AddFile(path)
		if err != nil || st.Bad > 0 {
			b.Fatalf("load: %v %+v", err, st.Errors)
		}
		s := bl.Build()
		el := time.Since(start)
		cpu := processCPU() - cpu0
		mem := heapInUse() - before
		b.ReportMetric(el.Seconds(), "s/load")
		// CPU seconds (all threads, GC included): on a shared machine
		// wall time also counts other jobs.
		b.ReportMetric(cpu.Seconds(), "cpu-s/load")
		b.ReportMetric(float64(mem)/(1<<20), "MiB")
		b.ReportMetric(float64(s.Len()), "indicators")
		b.ReportMetric(medianLookup(s), "median-ns/lookup")
		runtime.KeepAlive(s)
	}
}

// BenchmarkLookup reports ns per field lookup against a 1M-indicator set
// (maps do not slow with size; the 10M figure is in BenchmarkLoad10M's
// run when -benchtime allows).
func BenchmarkLookup(b *testing.B) {
	bl := NewBuilder()
	if _, err := bl.AddCSV(newGenCSV(1_000_000), "gen.csv"); err != nil {
		b.Fatal(err)
	}
	s := bl.Build()
	addr := netip.MustParseAddr("192.0.2.77")
	b.Run("ip", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.LookupIP(addr)
		}
	})
	b.Run("domain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.LookupDomain("www.Login.Microsoft-Update.example.net")
		}
	})
	b.Run("sha256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.LookupHash("2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae")
		}
	})
	b.Run("url", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s.LookupURL("http://abc.example.org/x.exe")
		}
	})
}

// medianLookup times lookups of every kind against a loaded set, in
// batches, and returns the median batch's ns per lookup.
func medianLookup(s *Set) float64 {
	g := newGenCSV(100_000)
	g.rng = rand.New(rand.NewPCG(7, 7)) // mostly misses, as in real traffic
	var vals []string
	for i := 0; i < 100_000; i++ {
		line := string(g.line(i))
		_, rest, _ := strings.Cut(line, ",")
		v, _, _ := strings.Cut(rest, ",")
		vals = append(vals, v)
	}
	const batch = 1000
	var per []float64
	for start := 0; start+batch <= len(vals); start += batch {
		t := time.Now()
		for _, v := range vals[start : start+batch] {
			switch {
			case len(v) == 64 || len(v) == 40 || len(v) == 32:
				s.LookupHash(v)
			case strings.HasPrefix(v, "http"):
				s.LookupURL(v)
			case strings.Contains(v, "example"):
				s.LookupDomain(v)
			default:
				s.LookupIPString(strings.TrimSuffix(v, "/24"))
			}
		}
		per = append(per, float64(time.Since(t).Nanoseconds())/batch)
	}
	slices.Sort(per)
	return per[len(per)/2]
}
