package health_test

import (
	"context"
	"testing"
	"time"

	"vigil/internal/health"
	"vigil/internal/measure"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

func TestSamples(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.admin
		if _, err := (&org.Service{DB: db}).CreateUnit(ctx, org.UnitInput{Code: "ITC", Name: "Trung tâm Công nghệ thông tin", Kind: org.KindServiceUnit, Parent: org.RootCode}); err != nil {
			t.Fatal(err)
		}
		var root, itc int64
		if err := db.QueryRow(ctx, `SELECT r.id, i.id FROM units r, units i WHERE r.code = ? AND i.code = 'ITC'`, org.RootCode).Scan(&root, &itc); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)
		day := measure.Request{From: t0, To: t0.Add(24 * time.Hour), Now: t0.Add(8 * time.Hour)}
		// No probe: no data.
		if ss, err := f.svc.Samples(ctx, day); err != nil || len(ss) != 0 {
			t.Fatalf("without a probe: %+v %v", ss, err)
		}
		p1, err := f.svc.CreateProbe(ctx, health.ProbeInput{Name: ptr("NCSC HTTPS"), Kind: ptr("tcp"), Target: ptr("127.0.0.1:9"), IntervalSeconds: ptr(600), DownAfterSeconds: ptr(1200)})
		if err != nil {
			t.Fatal(err)
		}
		p2, err := f.svc.CreateProbe(ctx, health.ProbeInput{Name: ptr("NCSC syslog"), Kind: ptr("tcp"), Target: ptr("127.0.0.1:9"), IntervalSeconds: ptr(600), DownAfterSeconds: ptr(1200)})
		if err != nil {
			t.Fatal(err)
		}
		// Probes, not a check yet: 0 of 0.
		f.set(t0.Add(8 * time.Hour))
		if ss, err := f.svc.Samples(ctx, day); err != nil || len(ss) != 1 || ss[0] != (measure.Sample{Key: measure.KeyNCSCUptime, UnitID: root}) {
			t.Fatalf("nothing probed: %+v %v", ss, err)
		}
		check := func(p *health.Probe, from, to int, ok bool) { // ten-minute checks, from..to exclusive
			for i := from; i < to; i++ {
				f.set(t0.Add(time.Duration(i) * 10 * time.Minute))
				mustRecord(t, f, p, result(f.now, ok))
			}
		}
		// p1: 00:00-04:00 up, 04:00-05:00 down, 05:00-07:00 unknown (the
		// hub stopped), 07:00-08:00 up. p2: 01:00-02:00 up, 02:00-02:30
		// down, 02:30-03:00 up.
		check(p1, 0, 24, true)
		check(p1, 24, 30, false)
		check(p1, 42, 48, true)
		check(p2, 6, 12, true)
		check(p2, 12, 15, false)
		check(p2, 15, 18, true)
		f.set(t0.Add(8 * time.Hour))

		// The day asked at 08:00: up 5 h + 1.5 h, down 1 h + 0.5 h; the
		// unknown hours count in neither.
		ss, err := f.svc.Samples(ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		want := measure.Sample{Key: measure.KeyNCSCUptime, UnitID: root, Num: 6.5 * 3600, Den: 8 * 3600}
		if len(ss) != 1 || ss[0] != want {
			t.Fatalf("day: %+v, want %+v", ss, want)
		}
		// 01:00-04:30: p1 up 3 h and half of its down hour, p2 as before.
		ss, err = f.svc.Samples(ctx, measure.Request{From: t0.Add(time.Hour), To: t0.Add(4*time.Hour + 30*time.Minute), Now: t0.Add(8 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		want = measure.Sample{Key: measure.KeyNCSCUptime, UnitID: root, Num: 4.5 * 3600, Den: 5.5 * 3600}
		if len(ss) != 1 || ss[0] != want {
			t.Fatalf("01:00-04:30: %+v, want %+v", ss, want)
		}
		// The same agrees with the probe's page.
		h, err := f.svc.ProbeHistory(ctx, p2.ID, t0, t0.Add(8*time.Hour))
		if err != nil || h.Uptime.Up != 1.5*3600 || h.Uptime.Down != 1800 {
			t.Fatalf("p2's page: %+v %v", h.Uptime, err)
		}
		// With the SOC unit named, the figure is the SOC's.
		f.svc.SOCUnit = func(context.Context) (int64, error) { return itc, nil }
		ss, err = f.svc.Samples(ctx, measure.Request{From: t0, To: t0.Add(time.Hour), Now: t0.Add(8 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		want = measure.Sample{Key: measure.KeyNCSCUptime, UnitID: itc, Num: 3600, Den: 3600}
		if len(ss) != 1 || ss[0] != want {
			t.Fatalf("SOC's: %+v, want %+v", ss, want)
		}
		// Not asked for, or no period: nothing.
		if ss, err := f.svc.Samples(ctx, measure.Request{Now: t0, Keys: map[string]bool{measure.KeyNCSCUptime: true}}); err != nil || len(ss) != 0 {
			t.Fatalf("no period: %+v %v", ss, err)
		}
		if ss, err := f.svc.Samples(ctx, measure.Request{From: t0, To: t0.Add(time.Hour), Keys: map[string]bool{measure.KeyHostsTotal: true}}); err != nil || len(ss) != 0 {
			t.Fatalf("other keys: %+v %v", ss, err)
		}
	})
}
