package incident_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/incident"
	"vigil/internal/measure"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

type share struct{ num, den float64 }

// TestSamplesReportingClocksAndCategories: which initial reports a period
// judges (deadline in it, or overdue at Now), on time or not, with the
// deadline in calendar or working days; a clock still running is left
// out; categories by detection, adding up to the monthly summary.
func TestSamplesReportingClocksAndCategories(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		sys := auth.WithPrincipal(context.Background(), auth.System)
		at := func(d, m, y, h int) time.Time { return time.Date(y, time.Month(m), d, h, 0, 0, 0, i18n.Location) }
		f.now = at(5, 1, 2027, 12)
		open := func(unit, category string, detected time.Time, sent time.Time) {
			t.Helper()
			c, err := f.svc.Create(f.as("soc"), incident.Input{Title: "Sự cố " + category + " " + unit, Category: category, Severity: "high",
				Units: []string{unit}, DetectedAt: detected.Format("02/01/2006 15:04")})
			if err != nil {
				t.Fatal(err)
			}
			if !sent.IsZero() {
				if err := f.svc.MarkReported(f.as("soc"), nil, c.ID, incident.FormInitial, sent); err != nil {
					t.Fatal(err)
				}
			}
		}
		var never time.Time
		// Calendar days, 5 (the default): due 5 days after detection.
		open("A", "intrusion", at(27, 11, 2026, 10), at(3, 12, 2026, 10)) // c1: due 02/12 10:00, sent a day late
		open("A", "malware", at(20, 11, 2026, 10), at(24, 11, 2026, 10))  // c2: due 25/11, on time
		open("A1", "other", at(10, 10, 2026, 10), never)                  // c3: due 15/10, never sent
		open("B", "malware", at(1, 12, 2026, 0), at(5, 12, 2026, 10))     // c4: due 06/12 00:00, on time
		open("B", "phishing", at(29, 12, 2026, 10), at(30, 12, 2026, 10)) // c5: due 03/01/2027, sent early
		open("B", "malware", at(18, 12, 2026, 10), never)                 // c7: due 23/12, never sent
		open("B", "other", at(17, 12, 2026, 10), at(21, 12, 2026, 10))    // c10: due 22/12, sent on 21/12
		open("A", "malware", at(20, 11, 2026, 10), at(5, 12, 2026, 10))   // c8: due 25/11, sent on 05/12
		open("A", "dos", at(1, 1, 2027, 0), never)                        // c9: detected on the period's end

		code := map[int64]string{}
		for c, u := range f.units {
			code[u.ID] = c
		}
		ask := func(from, to, now time.Time, key string) map[string]share {
			t.Helper()
			got, err := f.svc.Samples(sys, measure.Request{From: from, To: to, Now: now, Keys: map[string]bool{key: true}})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]share{}
			for _, s := range got {
				k := code[s.UnitID] + "/" + s.Dim
				if _, dup := out[k]; dup || s.Key != key {
					t.Errorf("sample %+v twice or of a key not asked for", s)
				}
				out[k] = share{s.Num, s.Den}
			}
			return out
		}
		check := func(what string, got, want map[string]share) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s: %d samples, want %d: %v", what, len(got), len(want), got)
			}
			for k, w := range want {
				if g, ok := got[k]; !ok || g != w {
					t.Errorf("%s: %s = %v (present %v), want %v", what, k, g, ok, w)
				}
			}
		}
		nov, dec, jan := at(1, 11, 2026, 0), at(1, 12, 2026, 0), at(1, 1, 2027, 0)
		r := org.RootCode + "/"
		onTime := measure.KeyIncidentsReportedOnTime
		// December at its end. A: c1 late (c2 and c8 decided before
		// December). A1: c3 overdue since October. B: c4 on time, c7
		// overdue, c10 on time (c5 due in January).
		check("December", ask(dec, jan, jan, onTime), map[string]share{"A/": {0, 1}, "A1/": {0, 1}, "B/": {2, 3}, r: {}})
		// December on the 20th: c7's clock (due 23/12) still runs, and
		// c10's, whose report goes out after Now; c5 is not yet detected.
		check("20 December", ask(dec, jan, at(20, 12, 2026, 0), onTime), map[string]share{"A/": {0, 1}, "A1/": {0, 1}, "B/": {1, 1}, r: {}})
		// November at its end: c2 on time; c8's report went out after Now,
		// so it is overdue; c1's and c4's clocks run into December.
		check("November", ask(nov, dec, dec, onTime), map[string]share{"A/": {1, 2}, "A1/": {0, 1}, "B/": {}, r: {}})

		// Working days with 02/12 a holiday: c1 is due on Mon 07/12 (on
		// time), c4 on Wed 09/12, c10 on Thu 24/12, c7 on Fri 25/12, c5 on
		// Tue 05/01.
		st := incident.DefaultSettings()
		st.WorkingDays, st.Holidays = true, []string{"02/12/2026"}
		if _, err := f.svc.SaveSettings(sys, st); err != nil {
			t.Fatal(err)
		}
		check("December, working days", ask(dec, jan, jan, onTime), map[string]share{"A/": {1, 1}, "A1/": {0, 1}, "B/": {2, 3}, r: {}})

		// Categories of the cases detected in December (c9, detected on
		// the period's end, is January's), as the monthly summary counts.
		byCat := ask(dec, jan, jan, measure.KeyIncidentsByCategory)
		check("categories", byCat, map[string]share{"B/malware": {2, 0}, "B/phishing": {1, 0}, "B/other": {1, 0}})
		sum, err := f.svc.MonthlySummary(f.as("soc"), "", "2026-12")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range sum.ByCategory {
			var n float64
			for k, s := range byCat {
				if strings.HasSuffix(k, "/"+c.Key) {
					n += s.num
				}
			}
			if n != float64(c.Count) {
				t.Errorf("category %s: samples add up to %v, the monthly summary says %d", c.Key, n, c.Count)
			}
		}

		if x, err := f.svc.Samples(sys, measure.Request{From: dec, To: jan, Keys: map[string]bool{measure.KeyDutyCovered: true}}); err != nil || len(x) != 0 {
			t.Errorf("another provider's key: %v %v", x, err)
		}
		if _, err := f.svc.Samples(sys, measure.Request{From: jan, To: dec}); errs.Code(err) != errs.EINVALID {
			t.Errorf("backward period: %v", err)
		}
	})
}
