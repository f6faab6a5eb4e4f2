package phishing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/escalate"
	"vigil/internal/escalate/escalatetest"
	"vigil/internal/org"
	"vigil/internal/phishing"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/training"
)

// TestDrillOnBothEngines: a drill goes only to the unit's own employees
// through a real SMTP server at the relay's rate; scanner requests and a
// tampered token are not counted; a click enrols the person.
func TestDrillOnBothEngines(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		smtpSrv := escalatetest.NewSMTPServer(t)
		ctx := auth.WithPrincipal(context.Background(), auth.System)
		o := &org.Service{DB: db}
		root, err := o.EnsureRoot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		units := map[string]*org.Unit{}
		for _, u := range []org.UnitInput{{Code: "A", Name: "Tỉnh A", Kind: org.KindProvince, Parent: root.Code}, {Code: "B", Name: "Tỉnh B", Kind: org.KindProvince, Parent: root.Code}} {
			if units[u.Code], err = o.CreateUnit(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		tr := &training.Service{DB: db}
		for code, csv := range map[string]string{"A": "An,an@a.vn,,\nBình,binh@a.vn,,\n", "B": "Chi,chi@b.vn,,\n"} {
			rows, _ := training.ParseEmployees(strings.NewReader("name,email,position,department\n" + csv))
			if _, err := tr.ImportEmployees(ctx, code, rows); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Now()
		svc := &phishing.Service{DB: db, Training: tr, PerRelayPerMinute: 600, Now: func() time.Time { return now },
			Relay: func() (*escalate.Mailer, string) { return smtpSrv.Mailer(), "https://hub.test" }}
		officerB := auth.WithPrincipal(context.Background(), &auth.Principal{UserID: 2, Email: "o@b", Role: auth.RoleOfficer, UnitID: units["B"].ID, UnitCode: "B", UnitPath: units["B"].Path, Via: "token"})
		ts, err := svc.Templates(officerB)
		if err != nil || len(ts) < 2 {
			t.Fatalf("templates: %v %d", err, len(ts))
		}
		if _, err := svc.CreateCampaign(officerB, phishing.CampaignInput{Template: ts[0].ID, Unit: "A"}); errs.Code(err) != errs.EINVALID {
			t.Fatalf("officer B drills A: %v", err)
		}
		c, err := svc.CreateCampaign(ctx, phishing.CampaignInput{Template: ts[0].ID, Unit: "A"})
		if err != nil || c.Recipients != 2 {
			t.Fatalf("drill: %v %+v", err, c)
		}
		start := time.Now()
		if n, err := svc.SendDue(ctx, 10); err != nil || n != 2 {
			t.Fatalf("sent %d: %v", n, err)
		}
		if d := time.Since(start); d < 90*time.Millisecond {
			t.Errorf("two messages at 600 a minute took %v: the relay's rate is not kept", d)
		}
		toks := map[string]string{}
		for _, m := range smtpSrv.Wait(2, 10*time.Second) {
			toks[m.To[0]] = m.Header.Get("X-Vigil-Drill")
			if !strings.Contains(m.Subject, "VssID") || !strings.Contains(m.Body, "https://hub.test/p/"+m.Header.Get("X-Vigil-Drill")) {
				t.Errorf("message: %q %q", m.Subject, m.Body)
			}
		}
		if len(toks) != 2 || toks["chi@b.vn"] != "" {
			t.Fatalf("delivered to %v", toks)
		}
		ua := "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"
		// Seconds after delivery: a scanner.
		if _, err := svc.Track(ctx, toks["an@a.vn"], phishing.Hit{Kind: "click", Method: "GET", UserAgent: ua}); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Minute)
		tok := []byte(toks["an@a.vn"])
		if tok[len(tok)-5] == 'x' {
			tok[len(tok)-5] = 'y'
		} else {
			tok[len(tok)-5] = 'x'
		}
		if _, err := svc.Track(ctx, string(tok), phishing.Hit{Kind: "click", Method: "GET", UserAgent: ua}); err != phishing.ErrUnknown {
			t.Fatalf("tampered: %v", err)
		}
		if _, err := svc.Track(ctx, toks["an@a.vn"], phishing.Hit{Kind: "click", Method: "GET", UserAgent: ua}); err != nil {
			t.Fatal(err)
		}
		if err := svc.Report(ctx, "From: x\nX-Vigil-Drill: "+toks["binh@a.vn"]+"\n\nbody", "", "button"); err != nil {
			t.Fatal(err)
		}
		r, err := svc.Results(ctx, c.ID)
		if err != nil || r != (phishing.Results{Sent: 2, Opened: 1, Clicked: 1, Reported: 1, Scanner: 1}) {
			t.Fatalf("results %v %+v", err, r)
		}
		var enrolled int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM training_assignments a JOIN training_people p ON p.id = a.person_id WHERE p.email = 'an@a.vn'`).Scan(&enrolled)
		if enrolled != 1 {
			t.Errorf("the clicker has %d assignments, want 1", enrolled)
		}
	})
}
