package incident_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/i18n"
	"vigil/internal/incident"
	"vigil/internal/measure"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// BenchmarkSamples: both incident keys for a month over 10,000 cases of
// five years in 90 units, one in twenty never reported (those stay in
// every period's reckoning). Runs on both engines.
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
			var first int64
			for u := 0; u < 90; u++ {
				x, err := o.CreateUnit(ctx, org.UnitInput{Code: fmt.Sprintf("M%02d", u+1), Name: fmt.Sprintf("Tỉnh %02d", u+1), Kind: org.KindProvince, Parent: root.Code})
				if err != nil {
					b.Fatal(err)
				}
				if u == 0 {
					first = x.ID
				} else if x.ID != first+int64(u) {
					b.Fatal("unit ids not consecutive")
				}
			}
			// A case every 4 h 23 min from 2022, reported 3 days after
			// detection (one in twenty never).
			start := store.Micros(time.Date(2022, 1, 1, 0, 0, 0, 0, i18n.Location))
			step, days3 := int64(263*time.Minute/time.Microsecond), int64(72*time.Hour/time.Microsecond)
			if _, err := db.Exec(ctx, `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9999)
				INSERT INTO incidents (ref, ref_year, ref_seq, title, category, severity, unit_id, status_since, detected_at, opened_at, initial_sent_at, created_at, updated_at)
				SELECT 'SC-' || i, 2022, i, 'x', 'malware', 'high', ? + i % 90, 0, CAST(? AS BIGINT) + i * CAST(? AS BIGINT), CAST(? AS BIGINT) + i * CAST(? AS BIGINT),
					CASE WHEN i % 20 = 0 THEN 0 ELSE CAST(? AS BIGINT) + i * CAST(? AS BIGINT) + CAST(? AS BIGINT) END, 0, 0 FROM n`,
				first, start, step, start, step, start, step, days3); err != nil {
				b.Fatal(err)
			}
			if _, err := db.Exec(ctx, `ANALYZE`); err != nil {
				b.Fatal(err)
			}
			svc := &incident.Service{DB: db}
			from := time.Date(2026, 5, 1, 0, 0, 0, 0, i18n.Location)
			r := measure.Request{From: from, To: from.AddDate(0, 1, 0), Now: from.AddDate(0, 1, 0)}
			b.ResetTimer()
			for b.Loop() {
				s, err := svc.Samples(ctx, r)
				if err != nil || len(s) < 91 {
					b.Fatalf("%d samples: %v", len(s), err)
				}
			}
		})
	}
}
