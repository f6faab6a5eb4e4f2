package sources

import (
	"testing"
	"time"

	"vigil/internal/measure"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

func TestSamples(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, ctx := setup(t, db)
		now := time.Date(2027, 1, 20, 9, 0, 0, 0, time.UTC)
		clock := now.Add(-10 * 24 * time.Hour)
		s.Now = func() time.Time { return clock }
		create := func(unit, name string) int64 {
			t.Helper()
			src, err := s.Create(ctx, Input{Unit: unit, Name: name, Kind: KindSIEM})
			if err != nil {
				t.Fatal(err)
			}
			return src.ID
		}
		sent := func(id int64, at time.Time) {
			t.Helper()
			s.Tally(id).Accept(5, at)
			if err := s.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// P1: sent an hour ago; exactly 24 h ago (reporting); 24 h and a
		// microsecond ago (not); only refused events (not); revoked a day
		// ago (left out); revoked after Now, sent half an hour before it
		// (registered at Now: reporting); registered after Now (left out).
		s1, s2, s3, s4, s5, s6 := create("P1", "SIEM"), create("P1", "IDS"), create("P1", "Tường lửa"), create("P1", "AV"), create("P1", "Cũ"), create("P1", "Sắp thay")
		p2 := create("P2", "SIEM tỉnh hai") // P2: never sent
		sent(s1, now.Add(-time.Hour))
		sent(s2, now.Add(-24*time.Hour))
		sent(s3, now.Add(-24*time.Hour-time.Microsecond))
		s.Tally(s4).Refuse(ReasonMalformed, 12)
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		sent(s5, now.Add(-2*time.Hour))
		sent(s6, now.Add(-30*time.Minute))
		clock = now.Add(-24 * time.Hour)
		if err := s.Revoke(ctx, s5); err != nil {
			t.Fatal(err)
		}
		clock = now.Add(time.Hour)
		if err := s.Revoke(ctx, s6); err != nil {
			t.Fatal(err)
		}
		create("P1", "Mới")
		clock = now

		ss, err := s.Samples(ctx, measure.Request{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		var p1, p2ID int64
		if err := db.QueryRow(ctx, `SELECT u.id, s.unit_id FROM units u, sources s WHERE u.code = 'P1' AND s.id = ?`, p2).Scan(&p1, &p2ID); err != nil {
			t.Fatal(err)
		}
		want := []measure.Sample{
			{Key: measure.KeySourcesReporting, UnitID: p1, Num: 3, Den: 5},
			{Key: measure.KeySourcesReporting, UnitID: p2ID, Num: 0, Den: 1},
		}
		if len(ss) != len(want) || ss[0] != want[0] || ss[1] != want[1] {
			t.Fatalf("samples %+v, want %+v", ss, want)
		}
		// Not asked for: nothing.
		if ss, err := s.Samples(ctx, measure.Request{Now: now, Keys: map[string]bool{measure.KeyHostsTotal: true}}); err != nil || len(ss) != 0 {
			t.Fatalf("other keys: %+v %v", ss, err)
		}
	})
}
