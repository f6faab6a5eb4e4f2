package findings_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/findings"
	"vigil/internal/hosts"
	"vigil/internal/measure"
	"vigil/internal/measure/measuretest"
	"vigil/internal/store/storetest"
)

// benchSize reads a size from the environment: make bench runs a small
// world, VIGIL_BENCH_HOSTS=50000 the (50,000 hosts and, at 20
// findings a host, 1,000,000 findings).
func benchSize(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkSamples is the findings provider over a seeded world: every key
// for 90 units, the state at Now and the opened and closed of a month; and
// the hosts provider over the same hosts.
func BenchmarkSamples(b *testing.B) {
	nHosts := benchSize("VIGIL_BENCH_HOSTS", 2500)
	engine := os.Getenv("VIGIL_BENCH_ENGINE")
	if engine == "" {
		engine = "sqlite"
	}
	db := storetest.Open(b, engine)
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	now := time.Date(2027, 1, 20, 9, 0, 0, 0, time.UTC)
	start := time.Now()
	if err := measuretest.SeedWorld(ctx, db, nHosts, 20, now); err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %d hosts, %d findings seeded in %v", engine, nHosts, nHosts*20, time.Since(start).Round(time.Millisecond))
	svc := &findings.Service{DB: db}
	r := measure.Request{From: now.AddDate(0, -1, 0), To: now, Now: now}
	for _, c := range []struct {
		name string
		p    measure.Provider
		keys map[string]bool
	}{
		{"all", svc, nil},
		{"state", svc, map[string]bool{measure.KeyFindingsWatchlistClosed: true, measure.KeyFindingsMalwareClosed: true, measure.KeyFindingsOverdue: true}},
		{"microsoft", svc, map[string]bool{measure.KeyFindingsMS2023Open: true, measure.KeyFindingsMS2023Accepted: true, measure.KeyMSPatchState: true}},
		// The hosts provider over the same hosts, for comparison.
		{"hosts", &hosts.Service{DB: db}, nil},
	} {
		b.Run(fmt.Sprintf("%s/hosts=%d/keys=%s", engine, nHosts, c.name), func(b *testing.B) {
			r.Keys = c.keys
			cpu0, ok := processCPU()
			for b.Loop() {
				ss, err := c.p.Samples(ctx, r)
				if err != nil {
					b.Fatal(err)
				}
				if len(ss) == 0 {
					b.Fatal("no samples")
				}
			}
			// On a busy machine the CPU time tells what a call would take
			// on an idle one (SQLite runs in this process; PostgreSQL's
			// work is the server's and not counted).
			if cpu1, ok1 := processCPU(); ok && ok1 {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
			}
		})
	}
}
