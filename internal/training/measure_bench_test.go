package training_test

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
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/training"
)

// BenchmarkSamples: training.completed and training.passed for a month
// (what a readiness refresh or a monthly report asks) over 30,000
// employees in 90 units with six campaigns of a year each assigned to
// everyone (180,000 assignments; VIGIL_BENCH_MEASURE=full), a tenth of
// the people otherwise. Runs on both engines.
func BenchmarkSamples(b *testing.B) {
	people := 3_000
	if os.Getenv("VIGIL_BENCH_MEASURE") == "full" {
		people = 30_000
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			db := storetest.Open(b, engine)
			ctx := auth.WithPrincipal(context.Background(), auth.System)
			units := benchMeasureOrg(b, db, 90)
			seed := func(q string, args ...any) {
				b.Helper()
				if _, err := db.Exec(ctx, q, args...); err != nil {
					b.Fatalf("%v: %s", err, q)
				}
			}
			seed(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
				INSERT INTO training_people (unit_id, name, email, created_at, updated_at) SELECT ? + i % ?, 'P' || i, 'p' || i || '@bench.vn', 0, 0 FROM n`,
				people-1, units[0], len(units))
			var course int64
			if err := db.QueryRow(ctx, `INSERT INTO training_courses (slug, title, created_at, updated_at) VALUES ('bench', 'Bench', 0, 0) RETURNING id`).Scan(&course); err != nil {
				b.Fatal(err)
			}
			year := time.Date(2026, 1, 1, 0, 0, 0, 0, i18n.Location)
			for k := 0; k < 6; k++ {
				assigned, due := year.AddDate(0, 2*k, 0), year.AddDate(0, 2*k+2, 0)
				var c int64
				if err := db.QueryRow(ctx, `INSERT INTO training_campaigns (name, course_id, owner_unit_id, due_at, created_at) VALUES ('bench', ?, ?, ?, ?) RETURNING id`,
					course, units[0], store.Micros(due), store.Micros(assigned)).Scan(&c); err != nil {
					b.Fatal(err)
				}
				done := store.Micros(assigned.AddDate(0, 1, 0))
				seed(`INSERT INTO training_assignments (campaign_id, person_id, course_id, unit_id, due_at, assigned_at, completed_at, passed_at)
					SELECT ?, p.id, ?, p.unit_id, ?, ?, CASE WHEN p.id % 3 <> 0 THEN CAST(? AS BIGINT) ELSE 0 END, CASE WHEN p.id % 2 = 0 THEN CAST(? AS BIGINT) ELSE 0 END FROM training_people p`,
					c, course, store.Micros(due), store.Micros(assigned), done, done)
			}
			seed(`ANALYZE`)
			svc := &training.Service{DB: db}
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

// benchMeasureOrg makes n provinces under the root and returns their ids,
// consecutive in a fresh database.
func benchMeasureOrg(b *testing.B, db *store.DB, n int) []int64 {
	b.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	root, err := o.EnsureRoot(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var ids []int64
	for u := 0; u < n; u++ {
		x, err := o.CreateUnit(ctx, org.UnitInput{Code: fmt.Sprintf("M%02d", u+1), Name: fmt.Sprintf("Tỉnh %02d", u+1), Kind: org.KindProvince, Parent: root.Code})
		if err != nil {
			b.Fatal(err)
		}
		if len(ids) > 0 && x.ID != ids[len(ids)-1]+1 {
			b.Fatalf("unit ids not consecutive: %d after %d", x.ID, ids[len(ids)-1])
		}
		ids = append(ids, x.ID)
	}
	return ids
}
