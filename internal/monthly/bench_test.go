package monthly_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/measure"
	"vigil/internal/monthly"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// benchEnv reads a positive integer from the environment, def when unset.
func benchEnv(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// benchOrg makes VIGIL_BENCH_MONTHLY_UNITS provinces (90) under the root
// and a provider answering, for each, alerts of every severity over
// VIGIL_BENCH_MONTHLY_RULES rules (500 in all), findings of every kind,
// Microsoft patch states and training shares: the samples the real
// providers give over the 50,000 hosts and 1,000,000 findings are
// per unit, so their number, not the data's, sizes the report. To time
// the report over real data, build it and append the capabilities'
// services (which implement measure.Provider) to svc.Providers.
func benchOrg(b *testing.B, db *store.DB) (*monthly.Service, context.Context, string) {
	b.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	root, err := o.EnsureRoot(ctx)
	if err != nil {
		b.Fatal(err)
	}
	units, rules := benchEnv("VIGIL_BENCH_MONTHLY_UNITS", 90), benchEnv("VIGIL_BENCH_MONTHLY_RULES", 500)
	prov := &fixedProvider{}
	for u := 0; u < units; u++ {
		code := fmt.Sprintf("P%02d", u+1)
		x, err := o.CreateUnit(ctx, org.UnitInput{Code: code, Name: "Bảo hiểm xã hội tỉnh Đắk Lắk số " + code, Kind: org.KindProvince, Parent: root.Code})
		if err != nil {
			b.Fatal(err)
		}
		id := x.ID
		for i, sev := range monthly.Severities {
			prov.samples = append(prov.samples, measure.Sample{Key: measure.KeyAlertsBySeverity, UnitID: id, Dim: sev, Num: float64(10*(i+1) + u)})
		}
		for r := u % 7; r < rules; r += units {
			prov.samples = append(prov.samples, measure.Sample{Key: measure.KeyAlertsByRule, UnitID: id, Dim: fmt.Sprintf("Quy tắc phát hiện số %03d", r), Num: float64(r%13 + 1)})
		}
		for _, k := range []string{"malware", "vulnerability", "missing_update", "warning_list"} {
			prov.samples = append(prov.samples,
				measure.Sample{Key: measure.KeyFindingsOpened, UnitID: id, Dim: k, Num: float64(100 + u)},
				measure.Sample{Key: measure.KeyFindingsClosed, UnitID: id, Dim: k, Num: float64(80 + u)})
		}
		for _, st := range []string{"open/critical", "open/high", "closed/critical", "closed/high", "accepted/high"} {
			prov.samples = append(prov.samples, measure.Sample{Key: measure.KeyMSPatchState, UnitID: id, Dim: st, Num: float64(5 + u%11)})
		}
		prov.samples = append(prov.samples,
			measure.Sample{Key: measure.KeyAlertsAckedInTime, UnitID: id, Num: 40, Den: 50},
			measure.Sample{Key: measure.KeyFindingsOverdue, UnitID: id, Num: float64(u % 9)},
			measure.Sample{Key: measure.KeyFindingsMS2023Open, UnitID: id, Num: float64(u % 4)},
			measure.Sample{Key: measure.KeyTrainingCompleted, UnitID: id, Num: float64(250 + u), Den: 333},
			measure.Sample{Key: measure.KeyTrainingPassed, UnitID: id, Num: float64(240 + u), Den: 333})
	}
	now := time.Now()
	svc := &monthly.Service{DB: db, Providers: []measure.Provider{prov}, Incidents: &fakeIncidents{}, Now: func() time.Time { return now }}
	return svc, ctx, monthly.PreviousMonth(now)
}

// BenchmarkMonthlyReport times the month's report of the organisation
// (issue 15: < 30 s): generate (the providers asked once, the
// organisation's and each unit's figures), then review and publish (the
// PDF and DOCX of the organisation and of each unit rendered, frozen,
// hashed); and one PDF and one DOCX of the organisation alone.
func BenchmarkMonthlyReport(b *testing.B) {
	db := storetest.Open(b, "sqlite")
	svc, ctx, month := benchOrg(b, db)
	used := 0
	b.Run("generate+publish", func(b *testing.B) {
		var total time.Duration
		for i := 0; i < b.N; i++ {
			// Each run a month further back: a published report is frozen.
			from, _, _ := monthly.ParseMonth(month)
			m := from.AddDate(0, -used, 0).Format("2006-01")
			used++
			start := time.Now()
			r, err := svc.Generate(ctx, m, "")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := svc.Review(ctx, r.ID); err != nil {
				b.Fatal(err)
			}
			if _, err := svc.Publish(ctx, r.ID); err != nil {
				b.Fatal(err)
			}
			total += time.Since(start)
		}
		b.ReportMetric(total.Seconds()/float64(b.N), "s/report")
	})
	fig, err := svc.Preview(ctx, month, "")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("pdf", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := fig.PDF(monthly.Meta{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("docx", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := fig.DOCX(monthly.Meta{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
