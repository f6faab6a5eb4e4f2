package duty_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/duty"
	"vigil/internal/i18n"
	"vigil/internal/measure"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// BenchmarkSamples: duty.covered for a month over 90 units each with a
// year's roster of 3 × 8 h shifts (98,550 shifts, two in three staffed).
// Runs on both engines.
func BenchmarkSamples(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			db := storetest.Open(b, engine)
			ctx := auth.WithPrincipal(context.Background(), auth.System)
			o := &org.Service{DB: db}
			root, err := o.EnsureRoot(ctx)
			if err != nil {
				b.Fatal(err)
			}
			seed := func(q string, args ...any) {
				b.Helper()
				if _, err := db.Exec(ctx, q, args...); err != nil {
					b.Fatalf("%v: %s", err, q)
				}
			}
			first := time.Date(2026, 1, 1, 6, 0, 0, 0, i18n.Location)
			const shift = int64(8 * time.Hour / time.Microsecond)
			for u := 0; u < 90; u++ {
				x, err := o.CreateUnit(ctx, org.UnitInput{Code: fmt.Sprintf("M%02d", u+1), Name: fmt.Sprintf("Tỉnh %02d", u+1), Kind: org.KindProvince, Parent: root.Code})
				if err != nil {
					b.Fatal(err)
				}
				var user, roster int64
				if err := db.QueryRow(ctx, `INSERT INTO users (email, name, name_fold, role, unit_id, created_at, updated_at) VALUES (?, 'x', 'x', 'officer', ?, 0, 0) RETURNING id`,
					fmt.Sprintf("u%d@bench.vn", u), x.ID).Scan(&user); err != nil {
					b.Fatal(err)
				}
				if err := db.QueryRow(ctx, `INSERT INTO duty_rosters (unit_id, name, pattern, starts, first_day, last_day, starts_at, ends_at, created_at)
					VALUES (?, 'bench', '3x8', '06:00,14:00,22:00', '2026-01-01', '2026-12-31', ?, ?, 0) RETURNING id`,
					x.ID, store.Micros(first), store.Micros(first)+365*3*shift).Scan(&roster); err != nil {
					b.Fatal(err)
				}
				seed(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
					INSERT INTO duty_shifts (roster_id, starts_at, ends_at) SELECT ?, CAST(? AS BIGINT) + i * CAST(? AS BIGINT), CAST(? AS BIGINT) + (i + 1) * CAST(? AS BIGINT) FROM n`,
					365*3-1, roster, store.Micros(first), shift, store.Micros(first), shift)
				seed(`INSERT INTO duty_assignments (shift_id, user_id, role, created_at) SELECT id, ?, 'on_duty', 0 FROM duty_shifts WHERE roster_id = ? AND id % 3 <> 0`, user, roster)
			}
			seed(`ANALYZE`)
			svc := &duty.Service{DB: db}
			from := time.Date(2026, 5, 1, 0, 0, 0, 0, i18n.Location)
			r := measure.Request{From: from, To: from.AddDate(0, 1, 0), Now: from.AddDate(0, 1, 0)}
			b.ResetTimer()
			for b.Loop() {
				s, err := svc.Samples(ctx, r)
				if err != nil || len(s) != 90 {
					b.Fatalf("%d samples: %v", len(s), err)
				}
			}
		})
	}
}
