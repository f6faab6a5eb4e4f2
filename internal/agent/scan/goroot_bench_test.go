package scan

import (
	"context"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// goroot is the Go installation's root: a real system tree (~15,000 files
// of every size, most small) that is on every machine that runs the
// benchmarks.
func goroot(b *testing.B) string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if root := strings.TrimSpace(string(out)); err == nil && root != "" {
		return root
	}
	if root := runtime.GOROOT(); root != "" {
		return root
	}
	b.Skip("no GOROOT")
	return ""
}

// BenchmarkScanGOROOT scans the Go installation, page-cached (one warm-up
// pass), and reports MB/s and files/s. scripts/bench-scan.sh compares the
// same tree with sha256sum on one core.
func BenchmarkScanGOROOT(b *testing.B) {
	root := goroot(b)
	var warm Report
	if err := Files(context.Background(), Options{Paths: []string{root}}, &warm); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(warm.Bytes)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var rep Report
		if err := Files(context.Background(), Options{Paths: []string{root}}, &rep); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(warm.Files)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}
