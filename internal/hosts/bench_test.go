package hosts

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"vigil/internal/asset"
	"vigil/internal/auth"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// benchHosts is the number of synthetic hosts (50,000 by default, as issue
// 3 names; VIGIL_BENCH_HOSTS overrides for a quick look).
func benchHosts() int {
	if n, err := strconv.Atoi(os.Getenv("VIGIL_BENCH_HOSTS")); err == nil && n > 0 {
		return n
	}
	return 50000
}

// synthetic returns host i's inventory with 200 packages.
func synthetic(i int) *asset.Inventory {
	v := inv(fmt.Sprintf("PC-%06d", i), fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), time.Duration(i%120)*time.Hour, i%9 != 0)
	v.MachineID = fmt.Sprintf("%032x", i)
	v.Software = make([]asset.Software, 200)
	for j := range v.Software {
		v.Software[j] = asset.Software{Name: fmt.Sprintf("package-%03d", j), Version: fmt.Sprintf("1.%d.%d", j%7, i%5), Vendor: "Vendor " + strconv.Itoa(j%13), Source: asset.SoftwareRegistry}
	}
	return v
}

// BenchmarkIngest50k ingests benchHosts() inventories of 200 packages into
// 100 units, 1,000 per import, and reports the total time; then computes
// coverage of every unit over them.
func BenchmarkIngest50k(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			for n := 0; n < b.N; n++ {
				b.StopTimer()
				db := storetest.Open(b, engine)
				s, ctx, units := benchSetup(b, db)
				total := benchHosts()
				invs := make([]*asset.Inventory, total)
				for i := range invs {
					invs[i] = synthetic(i)
				}
				b.StartTimer()
				start := time.Now()
				const batch = 1000
				for i := 0; i < total; i += batch {
					end := min(i+batch, total)
					if _, err := s.Import(ctx, units[(i/batch)%len(units)], "bench.json", invs[i:end]); err != nil {
						b.Fatal(err)
					}
				}
				ingest := time.Since(start)
				b.ReportMetric(ingest.Seconds(), "s/ingest")
				b.ReportMetric(float64(total)/ingest.Seconds(), "hosts/s")
				// Coverage of every unit, five times; the median is reported.
				var ds []time.Duration
				for k := 0; k < 5; k++ {
					t0 := time.Now()
					if _, err := s.AllCoverage(ctx); err != nil {
						b.Fatal(err)
					}
					ds = append(ds, time.Since(t0))
				}
				b.ReportMetric(median(ds).Seconds()*1000, "ms/coverage-all")
				t0 := time.Now()
				if _, err := s.UnitCoverage(ctx, org.RootCode); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(time.Since(t0).Seconds()*1000, "ms/coverage-root")
			}
		})
	}
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

func benchSetup(b *testing.B, db *store.DB) (*Service, context.Context, []string) {
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	if _, err := o.EnsureRoot(ctx); err != nil {
		b.Fatal(err)
	}
	var units []string
	for i := 0; i < 100; i++ {
		code := fmt.Sprintf("U%03d", i)
		if _, err := o.CreateUnit(ctx, org.UnitInput{Code: code, Name: "Đơn vị " + code, Kind: "province", Parent: org.RootCode}); err != nil {
			b.Fatal(err)
		}
		units = append(units, code)
	}
	return &Service{DB: db}, ctx, units
}
