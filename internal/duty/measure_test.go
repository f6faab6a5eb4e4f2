package duty_test

import (
	"context"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/duty"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/measure"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

func local(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, i18n.Location)
}

// samples asks for duty.covered and returns the samples by unit code.
func (tm *team) samples(t *testing.T, from, to time.Time) map[string]measure.Sample {
	t.Helper()
	got, err := tm.svc.Samples(auth.WithPrincipal(context.Background(), auth.System), measure.Request{From: from, To: to, Now: to})
	if err != nil {
		t.Fatal(err)
	}
	codes := map[int64]string{}
	for c, u := range tm.units {
		codes[u.ID] = c
	}
	out := map[string]measure.Sample{}
	for _, s := range got {
		if s.Key != measure.KeyDutyCovered || s.Dim != "" {
			t.Errorf("unexpected sample %+v", s)
		}
		c := codes[s.UnitID]
		if _, dup := out[c]; dup {
			t.Errorf("two samples for unit %s", c)
		}
		out[c] = s
	}
	return out
}

func TestSamplesCountCoveredHoursOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		tm := newTeam(t, db)
		staff := func(ctx context.Context, roster int64, skip map[int]bool, who string) []*duty.Shift {
			t.Helper()
			shifts, _, err := tm.svc.Shifts(ctx, roster, duty.ShiftFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			for i, sh := range shifts {
				if skip[i] {
					continue
				}
				if _, err := tm.svc.Assign(ctx, sh.ID, duty.Assignment{User: who}); err != nil {
					t.Fatal(err)
				}
			}
			return shifts
		}
		soc := tm.ctx["soc1"]
		// ITC, 3 × 8 h over 06–07/02/2027: 06–14, 14–22, 22–06 each day.
		// soc1 on every shift but the first night (06/02 22:00 – 07/02
		// 06:00); soc3 alone on that night, then disabled: still a gap.
		r1, err := tm.svc.CreateRoster(soc, duty.RosterInput{Unit: "ITC", From: "06/02/2027", To: "07/02/2027", Pattern: duty.Pattern3x8})
		if err != nil {
			t.Fatal(err)
		}
		shifts := staff(soc, r1.ID, map[int]bool{2: true}, "soc1@t.vigil")
		if _, err := tm.svc.Assign(soc, shifts[2].ID, duty.Assignment{User: "soc3@t.vigil"}); err != nil {
			t.Fatal(err)
		}
		tm.disable(t, "soc3@t.vigil")
		// A second ITC roster overlapping the first: one 24 h shift from
		// 07/02 04:00, soc2 on it. Only 04:00–06:00 on 07/02 is new.
		r2, err := tm.svc.CreateRoster(soc, duty.RosterInput{Unit: "ITC", From: "07/02/2027", To: "07/02/2027", Pattern: duty.PatternCusto, Starts: "04:00"})
		if err != nil {
			t.Fatal(err)
		}
		staff(soc, r2.ID, nil, "soc2@t.vigil")
		// B plans a roster in the period and staffs nobody; A's roster is
		// in March; A1 keeps none.
		if _, err := tm.svc.CreateRoster(tm.ctx["offb"], duty.RosterInput{Unit: "B", From: "05/02/2027", To: "09/02/2027", Pattern: duty.Pattern2x12}); err != nil {
			t.Fatal(err)
		}
		ra, err := tm.svc.CreateRoster(tm.ctx["offa"], duty.RosterInput{Unit: "A", From: "01/03/2027", To: "02/03/2027", Pattern: duty.Pattern2x12})
		if err != nil {
			t.Fatal(err)
		}
		staff(tm.ctx["offa"], ra.ID, nil, "offa@t.vigil")

		// [06/02 00:00, 08/02 00:00): 48 h. ITC: 06/02 06–22 (16 h),
		// 07/02 04–06 (2 h, the second roster), 07/02 06–24 (18 h) = 36 h.
		got := tm.samples(t, local(2027, 2, 6, 0), local(2027, 2, 8, 0))
		if len(got) != 2 {
			t.Errorf("samples for %d units, want ITC and B only: %+v", len(got), got)
		}
		if s := got["ITC"]; s.Num != 36 || s.Den != 48 {
			t.Errorf("ITC covered %v of %v h, want 36 of 48", s.Num, s.Den)
		}
		if s, ok := got["B"]; !ok || s.Num != 0 || s.Den != 48 {
			t.Errorf("B (roster, nobody on it) = %+v, want 0 of 48", s)
		}
		for _, c := range []string{"A", "A1"} {
			if s, ok := got[c]; ok {
				t.Errorf("unit %s has no roster in the period but a sample %+v", c, s)
			}
		}

		// A period cutting shifts: 06/02 21:00 – 07/02 05:30 is 8.5 h, of
		// which 21–22 (first roster) and 04:00–05:30 (second) are covered.
		got = tm.samples(t, local(2027, 2, 6, 21), local(2027, 2, 7, 5).Add(30*time.Minute))
		if s := got["ITC"]; s.Num != 2.5 || s.Den != 8.5 {
			t.Errorf("ITC over a cut period %v of %v h, want 2.5 of 8.5", s.Num, s.Den)
		}

		// soc3 back: the night is covered and the whole 48 h with it.
		tm.enable(t, "soc3@t.vigil")
		if s := tm.samples(t, local(2027, 2, 6, 0), local(2027, 2, 8, 0))["ITC"]; s.Num != 42 || s.Den != 48 {
			t.Errorf("ITC with the night staffed %v of %v h, want 42 of 48 (00–06 on 06/02 is before the roster)", s.Num, s.Den)
		}

		// A's March roster, its period exactly: 2 days of 2 × 12 h.
		if s := tm.samples(t, local(2027, 3, 1, 7), local(2027, 3, 3, 7))["A"]; s.Num != 48 || s.Den != 48 {
			t.Errorf("A in March %v of %v h, want 48 of 48", s.Num, s.Den)
		}

		// Another provider's key only: nothing computed. An empty period is
		// refused.
		sys := auth.WithPrincipal(context.Background(), auth.System)
		if x, err := tm.svc.Samples(sys, measure.Request{Keys: map[string]bool{measure.KeyHostsTotal: true}}); err != nil || len(x) != 0 {
			t.Errorf("other keys: %v %v", x, err)
		}
		if _, err := tm.svc.Samples(sys, measure.Request{From: local(2027, 2, 8, 0), To: local(2027, 2, 8, 0)}); errs.Code(err) != errs.EINVALID {
			t.Errorf("empty period: %v", err)
		}
	})
}
