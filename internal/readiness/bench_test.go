package readiness_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/measure"
	"vigil/internal/org"
	"vigil/internal/readiness"
	"vigil/internal/store/storetest"
)

// BenchmarkScoreboardSnapshots reads a campaign's scoreboard over
// READINESS_BENCH_UNITS units (90 by default: the IT Center, 30
// provinces with two districts each… as many as asked) after a refresh
// from a provider with a sample of every key for every unit. It measures
// the read path alone (snapshots, history, attestations): the figures a
// page view costs. The refresh's own time is reported as refresh-ms.
func BenchmarkScoreboardSnapshots(b *testing.B) {
	n := 90
	if v, err := strconv.Atoi(os.Getenv("READINESS_BENCH_UNITS")); err == nil && v > 1 {
		n = v
	}
	db := storetest.Open(b, "sqlite")
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	root, err := o.EnsureRoot(ctx)
	if err != nil {
		b.Fatal(err)
	}
	itc, err := o.CreateUnit(ctx, org.UnitInput{Code: "ITC", Name: "Trung tâm Công nghệ thông tin", Kind: org.KindServiceUnit, Parent: root.Code})
	if err != nil {
		b.Fatal(err)
	}
	ids := []int64{root.ID, itc.ID}
	for p := 0; len(ids) < n; p++ {
		prov, err := o.CreateUnit(ctx, org.UnitInput{Code: fmt.Sprintf("T%02d", p), Name: fmt.Sprintf("Bảo hiểm xã hội tỉnh %d", p), Kind: org.KindProvince, Parent: root.Code})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, prov.ID)
		for d := 0; d < 2 && len(ids) < n; d++ {
			dist, err := o.CreateUnit(ctx, org.UnitInput{Code: fmt.Sprintf("T%02d-%d", p, d), Name: fmt.Sprintf("Huyện %d-%d", p, d), Kind: org.KindDistrict, Parent: prov.Code})
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, dist.ID)
		}
	}
	prov := &provider{}
	var samples []measure.Sample
	for i, id := range ids {
		for _, k := range readiness.MetricKeys {
			samples = append(samples, measure.Sample{Key: k, UnitID: id, Num: float64(80 + i%20), Den: 100})
		}
	}
	prov.set(samples...)
	svc := &readiness.Service{DB: db, Providers: []measure.Provider{prov}, SOCUnit: func(context.Context) (int64, error) { return itc.ID, nil }}
	c, err := svc.Create(ctx, readiness.Input{Name: "Tết Đinh Mùi 2027", StartsAt: "2027-02-04", DueAt: "2027-02-12"})
	if err != nil {
		b.Fatal(err)
	}
	res, err := svc.Refresh(ctx, c.ID)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		sb, err := svc.Scoreboard(ctx, c.ID, readiness.ScoreFilter{})
		if err != nil || len(sb.Units) != len(ids) {
			b.Fatalf("%d units: %v", len(sb.Units), err)
		}
	}
	b.ReportMetric(float64(res.Took)/float64(time.Millisecond), "refresh-ms")
	b.ReportMetric(float64(len(ids)), "units")
}
