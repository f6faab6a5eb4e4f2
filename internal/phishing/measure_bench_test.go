package phishing_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/i18n"
	"vigil/internal/measure"
	"vigil/internal/org"
	"vigil/internal/phishing"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// BenchmarkSamples: phishing.clicked and phishing.reported for a month
// over six drills of the year each sent to 30,000 employees in 90 units
// (180,000 recipients; VIGIL_BENCH_MEASURE=full), a tenth of the people
// otherwise. Runs on both engines.
func BenchmarkSamples(b *testing.B) {
	people := 3_000
	if os.Getenv("VIGIL_BENCH_MEASURE") == "full" {
		people = 30_000
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			db := storetest.Open(b, engine)
			ctx := auth.WithPrincipal(context.Background(), auth.System)
			o := &org.Service{DB: db}
			root, err := o.EnsureRoot(ctx)
			if err != nil {
				b.Fatal(err)
			}
			var units []int64
			for u := 0; u < 90; u++ {
				x, err := o.CreateUnit(ctx, org.UnitInput{Code: fmt.Sprintf("M%02d", u+1), Name: fmt.Sprintf("Tỉnh %02d", u+1), Kind: org.KindProvince, Parent: root.Code})
				if err != nil {
					b.Fatal(err)
				}
				if len(units) > 0 && x.ID != units[len(units)-1]+1 {
					b.Fatalf("unit ids not consecutive")
				}
				units = append(units, x.ID)
			}
			seed := func(q string, args ...any) {
				b.Helper()
				if _, err := db.Exec(ctx, q, args...); err != nil {
					b.Fatalf("%v: %s", err, q)
				}
			}
			seed(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
				INSERT INTO training_people (unit_id, name, email, created_at, updated_at) SELECT ? + i % ?, 'P' || i, 'p' || i || '@bench.vn', 0, 0 FROM n`,
				people-1, units[0], len(units))
			var tpl int64
			if err := db.QueryRow(ctx, `INSERT INTO phishing_templates (name, subject, body, created_at) VALUES ('bench', 'bench', 'bench', 0) RETURNING id`).Scan(&tpl); err != nil {
				b.Fatal(err)
			}
			year := time.Date(2026, 1, 1, 0, 0, 0, 0, i18n.Location)
			for k := 0; k < 6; k++ {
				start := store.Micros(year.AddDate(0, 2*k, 3))
				var c int64
				if err := db.QueryRow(ctx, `INSERT INTO phishing_campaigns (name, unit_id, template_id, start_at, end_at, secret, created_at) VALUES ('bench', ?, ?, ?, ?, 'x', 0) RETURNING id`,
					units[0], tpl, start, start).Scan(&c); err != nil {
					b.Fatal(err)
				}
				// Sent over the drill's day a second apart; one in ten
				// clicks an hour later, one in five reports.
				seed(`INSERT INTO phishing_recipients (campaign_id, person_id, unit_id, send_at, status, sent_at, clicked_at, reported_at)
					SELECT ?, p.id, p.unit_id, CAST(? AS BIGINT) + p.id * 1000000, 'sent', CAST(? AS BIGINT) + p.id * 1000000,
						CASE WHEN p.id % 10 = 0 THEN CAST(? AS BIGINT) + p.id * 1000000 + 3600000000 ELSE 0 END,
						CASE WHEN p.id % 5 = 1 THEN CAST(? AS BIGINT) + p.id * 1000000 + 3600000000 ELSE 0 END FROM training_people p`,
					c, start, start, start, start)
			}
			seed(`ANALYZE`)
			svc := &phishing.Service{DB: db}
			from := time.Date(2026, 5, 1, 0, 0, 0, 0, i18n.Location)
			r := measure.Request{From: from, To: from.AddDate(0, 1, 0), Now: from.AddDate(0, 1, 0)}
			b.ResetTimer()
			for b.Loop() {
				s, err := svc.Samples(ctx, r)
				if err != nil || len(s) != 2*(len(units)+1) {
					b.Fatalf("%d samples: %v", len(s), err)
				}
			}
		})
	}
}
