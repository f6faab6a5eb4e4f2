package intel_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/intel"
	"vigil/internal/org"
	"vigil/internal/store/storetest"
)

// indicatorCSV is n distinct indicators (addresses and domains) as the
// indicator CSV.
func indicatorCSV(n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 40)
	b.WriteString("type,value,comment\n")
	for i := range n {
		if i%2 == 0 {
			fmt.Fprintf(&b, "ip,10.%d.%d.%d,c2 server\n", i>>16&255, i>>8&255, i&255)
		} else {
			fmt.Fprintf(&b, "domain,host%d.bad-%d.example,phishing\n", i, i%977)
		}
	}
	return b.Bytes()
}

// BenchmarkImport imports a CSV of n indicators into a warning list
// (which it publishes) on SQLite: the 1,000,000 must take well
// under a minute (docs/intel.md#figures).
func BenchmarkImport(b *testing.B) {
	for _, n := range benchSizes {
		data := indicatorCSV(n)
		b.Run(fmt.Sprintf("sqlite/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for range b.N {
				b.StopTimer()
				db := storetest.Open(b, "sqlite")
				sys := auth.WithPrincipal(context.Background(), auth.System)
				if _, err := (&org.Service{DB: db}).EnsureRoot(sys); err != nil {
					b.Fatal(err)
				}
				svc := &intel.Service{DB: db, Logger: slog.New(slog.DiscardHandler)}
				b.StartTimer()
				start := time.Now()
				res, err := svc.Import(sys, intel.ImportInput{Name: "bench.csv", Data: bytes.NewReader(data), List: "Bench", Source: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				if res.IndicatorsLoaded != n || res.List.Entries != n {
					b.Fatalf("loaded %d, entries %d", res.IndicatorsLoaded, res.List.Entries)
				}
				b.ReportMetric(float64(n)/time.Since(start).Seconds(), "indicators/s")
				b.StopTimer()
				db.Close()
				b.StartTimer()
			}
		})
	}
}

var benchSizes = []int{10_000, 1_000_000}
