package alerts_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"vigil/internal/alerts"
	"vigil/internal/store/storetest"
)

// BenchmarkRecord files batches of 10,000 matches, as the pipeline hands
// them over in a burst: "grouped" is 100 alerts (rule × host) taking 100
// matches each, "distinct" 10,000 new alerts. The figure to compare is
// matches/s (one transaction per batch; events kept: 25 per alert).
func BenchmarkRecord(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		for _, shape := range []struct {
			name   string
			groups int
		}{{"grouped", 100}, {"distinct", 10000}} {
			b.Run(engine+"/"+shape.name, func(b *testing.B) {
				db := storetest.Open(b, engine)
				f := setup(b, db)
				hosts := []string{"pc-kt01", "srv-dc01", "kt01.bhxh.local", "laptop-x", "10.2.0.10"}
				ms := make([]alerts.Match, 10000)
				start := time.Now()
				b.ResetTimer()
				for n := 0; n < b.N; n++ {
					for i := range ms {
						g := i % shape.groups
						key := fmt.Sprint(g)
						if shape.groups == len(ms) {
							key = fmt.Sprint(n, "-", g) // new alerts each batch
						}
						ms[i] = match(f, fmt.Sprint("rule-", g%20), hosts[g%len(hosts)], key, start.Add(time.Duration(n*len(ms)+i)*time.Millisecond))
					}
					if err := f.svc.Record(context.Background(), ms); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*len(ms))/b.Elapsed().Seconds(), "matches/s")
			})
		}
	}
}
