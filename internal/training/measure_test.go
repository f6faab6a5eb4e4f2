package training_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/measure"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/training"
)

// share is a sample's Num and Den.
type share struct{ num, den float64 }

// TestSamplesCountAssignmentsInPlay: which assignments a period takes
// (due in it or running over it), completion and passing as of Now, each
// unit its own people, 0 of 0 for a unit without any.
func TestSamplesCountAssignmentsInPlay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		sys := auth.WithPrincipal(context.Background(), auth.System)
		o := &org.Service{DB: db}
		root, err := o.EnsureRoot(sys)
		if err != nil {
			t.Fatal(err)
		}
		units := map[string]*org.Unit{root.Code: root}
		for _, u := range []org.UnitInput{{Code: "A", Name: "Tỉnh A", Kind: org.KindProvince, Parent: root.Code},
			{Code: "A1", Name: "Huyện A1", Kind: org.KindDistrict, Parent: "A"}, {Code: "B", Name: "Tỉnh B", Kind: org.KindProvince, Parent: root.Code},
			{Code: "C", Name: "Tỉnh C", Kind: org.KindProvince, Parent: root.Code}} {
			if units[u.Code], err = o.CreateUnit(sys, u); err != nil {
				t.Fatal(err)
			}
		}
		code := map[int64]string{}
		for c, u := range units {
			code[u.ID] = c
		}
		now := time.Date(2026, 11, 1, 10, 0, 0, 0, i18n.Location)
		svc := &training.Service{DB: db, Now: func() time.Time { return now }}
		for unit, csv := range map[string]string{"A1": "An,an@a.vn,,\nBình,binh@a.vn,,\nCường,cuong@a.vn,,\n", "B": "Chi,chi@b.vn,,\nDũng,dung@b.vn,,\n"} {
			rows, err := training.ParseEmployees(strings.NewReader("name,email,position,department\n" + csv))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.ImportEmployees(sys, unit, rows); err != nil {
				t.Fatal(err)
			}
		}
		campaign := func(unit, due string) *training.Campaign {
			t.Helper()
			c, err := svc.CreateCampaign(sys, training.CampaignInput{Course: training.StarterSlug, Units: []string{unit}, DueAt: due})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		done := func(email, col string, at time.Time) {
			t.Helper()
			if _, err := db.Exec(sys, `UPDATE training_assignments SET `+col+` = ? WHERE person_id = (SELECT id FROM training_people WHERE email = ?)`, store.Micros(at), email); err != nil {
				t.Fatal(err)
			}
		}
		// 01/11: A (its A1's three people) due 30/11, B (two) due 10/11.
		k1 := campaign("A", "30/11/2026")
		campaign("B", "10/11/2026")
		// An passes on 20/11, Bình completes without passing on 25/11,
		// Cường passes on 05/12; Chi passes on 05/11, Dũng does nothing.
		for _, x := range []struct {
			email string
			at    time.Time
			pass  bool
		}{
			{"an@a.vn", time.Date(2026, 11, 20, 9, 0, 0, 0, i18n.Location), true},
			{"binh@a.vn", time.Date(2026, 11, 25, 9, 0, 0, 0, i18n.Location), false},
			{"cuong@a.vn", time.Date(2026, 12, 5, 9, 0, 0, 0, i18n.Location), true},
			{"chi@b.vn", time.Date(2026, 11, 5, 9, 0, 0, 0, i18n.Location), true},
		} {
			done(x.email, "completed_at", x.at)
			if x.pass {
				done(x.email, "passed_at", x.at)
			}
		}
		// 06/12: B again, due 31/12; Chi counts as done at once.
		now = time.Date(2026, 12, 6, 10, 0, 0, 0, i18n.Location)
		campaign("B", "31/12/2026")

		ask := func(from, to, at time.Time, keys ...string) map[string]map[string]share {
			t.Helper()
			r := measure.Request{From: from, To: to, Now: at}
			if len(keys) > 0 {
				r.Keys = map[string]bool{}
				for _, k := range keys {
					r.Keys[k] = true
				}
			}
			got, err := svc.Samples(sys, r)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]map[string]share{}
			for _, s := range got {
				if out[s.Key] == nil {
					out[s.Key] = map[string]share{}
				}
				c := code[s.UnitID]
				if _, dup := out[s.Key][c]; dup || s.Dim != "" {
					t.Errorf("sample %+v twice or with a dimension", s)
				}
				out[s.Key][c] = share{s.Num, s.Den}
			}
			return out
		}
		check := func(what string, got map[string]map[string]share, want map[string]map[string]share) {
			t.Helper()
			for key, units := range want {
				if len(got[key]) != len(units) {
					t.Errorf("%s: %s for %d units, want %d: %v", what, key, len(got[key]), len(units), got[key])
				}
				for c, w := range units {
					if g, ok := got[key][c]; !ok || g != w {
						t.Errorf("%s: %s of %s = %v (present %v), want %v", what, key, c, g, ok, w)
					}
				}
			}
			for key := range got {
				if _, ok := want[key]; !ok {
					t.Errorf("%s: key %s not asked for", what, key)
				}
			}
		}
		nov, dec, jan := time.Date(2026, 11, 1, 0, 0, 0, 0, i18n.Location), time.Date(2026, 12, 1, 0, 0, 0, 0, i18n.Location), time.Date(2027, 1, 1, 0, 0, 0, 0, i18n.Location)
		zero := share{}
		// November as its report sees it (Now = end of month): Cường's
		// pass on 05/12 is not yet; the December campaign is not in play.
		check("November", ask(nov, dec, dec), map[string]map[string]share{
			measure.KeyTrainingCompleted: {"A1": {2, 3}, "B": {1, 2}, "A": zero, "C": zero, root.Code: zero},
			measure.KeyTrainingPassed:    {"A1": {1, 3}, "B": {1, 2}, "A": zero, "C": zero, root.Code: zero},
		})
		// The same period asked later: Cường counts.
		check("November later", ask(nov, dec, now, measure.KeyTrainingPassed), map[string]map[string]share{
			measure.KeyTrainingPassed: {"A1": {2, 3}, "B": {1, 2}, "A": zero, "C": zero, root.Code: zero},
		})
		// December: both November campaigns were due before it; the new
		// one holds Chi (done already) and Dũng.
		check("December", ask(dec, jan, jan), map[string]map[string]share{
			measure.KeyTrainingCompleted: {"A1": zero, "B": {1, 2}, "A": zero, "C": zero, root.Code: zero},
			measure.KeyTrainingPassed:    {"A1": zero, "B": {1, 2}, "A": zero, "C": zero, root.Code: zero},
		})
		// A period starting at the deadline holds the campaign; a
		// microsecond later it does not.
		if got := ask(k1.DueAt, jan, jan, measure.KeyTrainingCompleted)[measure.KeyTrainingCompleted]["A1"]; got.den != 3 {
			t.Errorf("period from the deadline: A1 %v, want 3 assignments", got)
		}
		if got := ask(k1.DueAt.Add(time.Microsecond), jan, jan, measure.KeyTrainingCompleted)[measure.KeyTrainingCompleted]["A1"]; got.den != 0 {
			t.Errorf("period after the deadline: A1 %v, want none", got)
		}
		if x, err := svc.Samples(sys, measure.Request{From: nov, To: dec, Keys: map[string]bool{measure.KeyDrillClicked: true}}); err != nil || len(x) != 0 {
			t.Errorf("another provider's key: %v %v", x, err)
		}
		if _, err := svc.Samples(sys, measure.Request{From: dec, To: nov}); errs.Code(err) != errs.EINVALID {
			t.Errorf("backward period: %v", err)
		}
	})
}
