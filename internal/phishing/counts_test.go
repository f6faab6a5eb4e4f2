package phishing_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/escalate"
	"vigil/internal/escalate/escalatetest"
	"vigil/internal/org"
	"vigil/internal/phishing"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/training"
)

// TestDrillCountersFollowRecipients: the per-unit drill counters the
// dashboard reads agree with counting the recipients, after sending,
// opens, clicks (the same click many times at once counts once),
// submissions and reports; and a recount changes nothing. Both engines.
func TestDrillCountersFollowRecipients(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		smtpSrv := escalatetest.NewSMTPServer(t)
		ctx := auth.WithPrincipal(context.Background(), auth.System)
		o := &org.Service{DB: db}
		root, err := o.EnsureRoot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []org.UnitInput{{Code: "A", Name: "Tỉnh A", Kind: org.KindProvince, Parent: root.Code}, {Code: "A1", Name: "Huyện A1", Kind: org.KindDistrict, Parent: "A"}} {
			if _, err := o.CreateUnit(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		tr := &training.Service{DB: db}
		for code, csv := range map[string]string{"A": "An,an@a.vn,,\nBình,binh@a.vn,,\n", "A1": "Chi,chi@a1.vn,,\nDũng,dung@a1.vn,,\nEm,em@a1.vn,,\n"} {
			rows, _ := training.ParseEmployees(strings.NewReader("name,email,position,department\n" + csv))
			if _, err := tr.ImportEmployees(ctx, code, rows); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now()
		svc := &phishing.Service{DB: db, Training: tr, PerRelayPerMinute: 6000, Now: func() time.Time { return now },
			Relay: func() (*escalate.Mailer, string) { return smtpSrv.Mailer(), "https://hub.test" }}
		ts, _ := svc.Templates(ctx)
		if _, err := svc.CreateCampaign(ctx, phishing.CampaignInput{Template: ts[0].ID, Unit: "A"}); err != nil {
			t.Fatal(err)
		}
		if n, err := svc.SendDue(ctx, 10); err != nil || n != 5 {
			t.Fatalf("sent %d: %v", n, err)
		}
		toks := map[string]string{}
		for _, m := range smtpSrv.Wait(5, 10*time.Second) {
			toks[m.To[0]] = m.Header.Get("X-Vigil-Drill")
		}
		now = now.Add(time.Hour)
		ua := "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := svc.Track(ctx, toks["chi@a1.vn"], phishing.Hit{Kind: "click", Method: "GET", UserAgent: ua}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		for _, step := range []struct{ who, kind string }{{"an@a.vn", "open"}, {"dung@a1.vn", "submit"}, {"binh@a.vn", "report"}, {"em@a1.vn", "report"}, {"an@a.vn", "click"}} {
			if _, err := svc.Track(ctx, toks[step.who], phishing.Hit{Kind: step.kind, Method: "GET", UserAgent: ua}); err != nil {
				t.Fatal(err)
			}
		}
		check := func(what string) {
			t.Helper()
			got, err := svc.ByUnit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]phishing.Results{
				"A":  {Sent: 2, Opened: 1, Clicked: 1, Reported: 1},
				"A1": {Sent: 3, Opened: 2, Clicked: 2, Submitted: 1, Reported: 1},
			}
			for code, w := range want {
				if got[code] == nil || got[code].Results != w {
					t.Errorf("%s: %s: %+v, want %+v", what, code, got[code], w)
				}
			}
		}
		check("kept current")
		if err := svc.Recount(ctx); err != nil {
			t.Fatal(err)
		}
		check("after a recount")
	})
}
