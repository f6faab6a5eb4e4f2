package phishing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/escalate"
	"vigil/internal/escalate/escalatetest"
	"vigil/internal/i18n"
	"vigil/internal/measure"
	"vigil/internal/org"
	"vigil/internal/phishing"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/training"
)

// TestSamplesCountRecipientsSentInThePeriod: drills sent through a real
// SMTP server; a scanner's click, a bounce and a message sent on the
// period's end do not count; clicks and reports as of Now.
func TestSamplesCountRecipientsSentInThePeriod(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		smtpSrv := escalatetest.NewSMTPServer(t)
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
		tr := &training.Service{DB: db}
		people := func(unit, csv string) {
			t.Helper()
			rows, err := training.ParseEmployees(strings.NewReader("name,email,position,department\n" + csv))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tr.ImportEmployees(sys, unit, rows); err != nil {
				t.Fatal(err)
			}
		}
		people("A", "An,an@a.vn,,\nBình,binh@a.vn,,\n")
		people("A1", "Cường,cuong@a.vn,,\n")
		people("B", "Chi,chi@b.vn,,\n")
		var now time.Time
		svc := &phishing.Service{DB: db, Training: tr, PerRelayPerMinute: 6000, Now: func() time.Time { return now },
			Relay: func() (*escalate.Mailer, string) { return smtpSrv.Mailer(), "https://hub.test" }}
		ts, err := svc.Templates(sys)
		if err != nil || len(ts) == 0 {
			t.Fatalf("templates: %v", err)
		}
		tokens := map[string]string{}
		drill := func(unit string, at time.Time, want int) {
			t.Helper()
			now = at
			if _, err := svc.CreateCampaign(sys, phishing.CampaignInput{Template: ts[0].ID, Unit: unit}); err != nil {
				t.Fatal(err)
			}
			if n, err := svc.SendDue(sys, 100); err != nil || n != want {
				t.Fatalf("drill of %s: sent %d, want %d: %v", unit, n, want, err)
			}
			for _, m := range smtpSrv.Messages() {
				tokens[m.To[0]] = m.Header.Get("X-Vigil-Drill")
			}
		}
		hit := func(email, kind string, at time.Time) {
			t.Helper()
			now = at
			var err error
			if kind == "report" {
				err = svc.Report(sys, "X-Vigil-Drill: "+tokens[email], "", "button")
			} else {
				_, err = svc.Track(sys, tokens[email], phishing.Hit{Kind: kind, Method: "GET", UserAgent: "Mozilla/5.0 (Windows NT 10.0) Firefox/120.0"})
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		at := func(d, m, y, h, min int) time.Time {
			return time.Date(y, time.Month(m), d, h, min, 0, 0, i18n.Location)
		}

		// 10/11 09:00, A's drill reaches An, Bình (A) and Cường (A1). An's
		// and Bình's mail scanners follow the link at once (not counted),
		// An clicks at 09:05, Bình reports, Cường clicks on 02/12.
		drill("A", at(10, 11, 2026, 9, 0), 3)
		hit("an@a.vn", "click", at(10, 11, 2026, 9, 0))
		hit("binh@a.vn", "click", at(10, 11, 2026, 9, 0))
		hit("an@a.vn", "click", at(10, 11, 2026, 9, 5))
		hit("binh@a.vn", "report", at(10, 11, 2026, 9, 10))
		hit("cuong@a.vn", "click", at(2, 12, 2026, 9, 0))
		// 30/11, B's drill to Chi bounces (550): sent to nobody.
		smtpSrv.Fail = func(n int) error {
			if n == 4 {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
			}
			return nil
		}
		drill("B", at(30, 11, 2026, 23, 0), 0)
		// 01/12 00:00 sharp, B's second drill reaches Chi and Dũng; Dũng
		// reports.
		people("B", "Dũng,dung@b.vn,,\n")
		drill("B", at(1, 12, 2026, 0, 0), 2)
		hit("dung@b.vn", "report", at(1, 12, 2026, 8, 0))

		ask := func(from, to, now time.Time, keys ...string) map[string]map[string]share {
			t.Helper()
			r := measure.Request{From: from, To: to, Now: now}
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
		check := func(what string, got, want map[string]map[string]share) {
			t.Helper()
			for key := range got {
				if _, ok := want[key]; !ok {
					t.Errorf("%s: key %s not asked for", what, key)
				}
			}
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
		}
		nov, dec, jan := at(1, 11, 2026, 0, 0), at(1, 12, 2026, 0, 0), at(1, 1, 2027, 0, 0)
		zero := share{}
		check("November", ask(nov, dec, dec), map[string]map[string]share{
			measure.KeyDrillClicked:  {"A": {1, 2}, "A1": {0, 1}, "B": zero, "C": zero, root.Code: zero},
			measure.KeyDrillReported: {"A": {1, 2}, "A1": {0, 1}, "B": zero, "C": zero, root.Code: zero},
		})
		check("November later", ask(nov, dec, at(10, 12, 2026, 0, 0), measure.KeyDrillClicked), map[string]map[string]share{
			measure.KeyDrillClicked: {"A": {1, 2}, "A1": {1, 1}, "B": zero, "C": zero, root.Code: zero},
		})
		check("December", ask(dec, jan, jan), map[string]map[string]share{
			measure.KeyDrillClicked:  {"A": zero, "A1": zero, "B": {0, 2}, "C": zero, root.Code: zero},
			measure.KeyDrillReported: {"A": zero, "A1": zero, "B": {1, 2}, "C": zero, root.Code: zero},
		})
		if x, err := svc.Samples(sys, measure.Request{From: nov, To: dec, Keys: map[string]bool{measure.KeyTrainingPassed: true}}); err != nil || len(x) != 0 {
			t.Errorf("another provider's key: %v %v", x, err)
		}
		if _, err := svc.Samples(sys, measure.Request{To: dec}); errs.Code(err) != errs.EINVALID {
			t.Errorf("no start: %v", err)
		}
	})
}

type share struct{ num, den float64 }
