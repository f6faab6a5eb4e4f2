package advisory_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"vigil/internal/advisory"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/escalate"
	"vigil/internal/escalate/escalatetest"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// fixture is a small organisation: BHXHVN (root) with A (and its district
// A1) and B, and a principal per role.
type fixture struct {
	db    *store.DB
	svc   *advisory.Service
	now   time.Time
	units map[string]*org.Unit
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	f := &fixture{db: db, units: map[string]*org.Unit{}, now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	f.svc = &advisory.Service{DB: db, Now: func() time.Time { return f.now }}
	root, err := o.EnsureRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.units[root.Code] = root
	for _, u := range []org.UnitInput{
		{Code: "A", Name: "Bảo hiểm xã hội tỉnh Đắk Lắk", Kind: org.KindProvince, Parent: org.RootCode},
		{Code: "A1", Name: "Bảo hiểm xã hội huyện Krông Pắc", Kind: org.KindDistrict, Parent: "A"},
		{Code: "B", Name: "Bảo hiểm xã hội thành phố Hà Nội", Kind: org.KindProvince, Parent: org.RootCode},
	} {
		x, err := o.CreateUnit(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		f.units[u.Code] = x
	}
	return f
}

// as is a context of a user of role at unit.
func (f *fixture) as(role auth.Role, unit string) context.Context {
	u := f.units[unit]
	return auth.WithPrincipal(context.Background(), &auth.Principal{UserID: 1, Email: string(role) + "." + strings.ToLower(unit) + "@test.vigil",
		Role: role, UnitID: u.ID, UnitCode: u.Code, UnitPath: u.Path, Via: "token"})
}

func code(err error) string { return errs.Code(err) }

func TestLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		itc := f.as(auth.RoleOfficer, org.RootCode)
		officerA := f.as(auth.RoleOfficer, "A")
		officerB := f.as(auth.RoleOfficer, "B")
		viewerA := f.as(auth.RoleViewer, "A")
		analyst := f.as(auth.RoleAnalyst, "B")

		in := advisory.Input{Title: "Vá lỗ hổng Microsoft Outlook", Severity: "critical", CVEs: []string{"cve-2023-23397, CVE-2023-36025", "CVE-2023-23397"},
			Products: []string{"Microsoft Outlook 2016\nMicrosoft 365 Apps"}, Actions: "Cài bản vá tháng 3/2023.", Deadline: "31/12/2026", Units: []string{"A"}}
		if _, err := f.svc.Create(officerA, in); code(err) != errs.EFORBIDDEN {
			t.Fatalf("a province officer creates an advisory: %v", err)
		}
		bad := in
		bad.CVEs = []string{"CVE-23397"}
		if _, err := f.svc.Create(itc, bad); code(err) != errs.EINVALID || err.(*errs.Error).Field != "cves" {
			t.Fatalf("bad CVE: %v", err)
		}
		bad = in
		bad.Deadline = "31/13/2026"
		if _, err := f.svc.Create(itc, bad); code(err) != errs.EINVALID || err.(*errs.Error).Field != "deadline" {
			t.Fatalf("bad deadline: %v", err)
		}
		a, err := f.svc.Create(itc, in)
		if err != nil {
			t.Fatal(err)
		}
		if a.Ref != "CB-2026-001" || a.Status != advisory.StatusDraft || strings.Join(a.CVEs, ",") != "CVE-2023-23397,CVE-2023-36025" || len(a.Products) != 2 {
			t.Fatalf("created %+v", a)
		}
		if got := a.Deadline.In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02 15:04"); got != "2026-12-31 23:59" {
			t.Errorf("deadline %s, want the end of 31/12/2026 in Vietnam", got)
		}
		b, err := f.svc.Create(itc, advisory.Input{Title: "Second", AllUnits: true})
		if err != nil || b.Ref != "CB-2026-002" {
			t.Fatalf("second: %v %+v", err, b)
		}
		// Drafts are the IT Center's (and the SOC's) alone.
		if _, err := f.svc.Get(officerA, a.ID); code(err) != errs.ENOTFOUND {
			t.Errorf("officerA reads a draft: %v", err)
		}
		if _, err := f.svc.Get(analyst, a.ID); err != nil {
			t.Errorf("analyst reads a draft: %v", err)
		}
		if _, err := f.svc.Issue(itc, b.ID); code(err) != errs.EINVALID {
			t.Errorf("issue without deadline: %v", err)
		}
		title := "Vá khẩn cấp Microsoft Outlook"
		if _, err := f.svc.Update(itc, a.ID, advisory.Patch{Title: &title}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Issue(officerA, a.ID); code(err) != errs.EFORBIDDEN {
			t.Errorf("officerA issues: %v", err)
		}
		a, err = f.svc.Issue(itc, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != advisory.StatusIssued || a.Targets != 2 || a.Title != title {
			t.Fatalf("issued %+v", a)
		}
		if _, err := f.svc.Issue(itc, a.ID); code(err) != errs.ECONFLICT {
			t.Errorf("issued twice: %v", err)
		}
		units := []string{"B"}
		if _, err := f.svc.Update(itc, a.ID, advisory.Patch{Units: &units}); code(err) != errs.ECONFLICT {
			t.Errorf("targets changed after issue: %v", err)
		}
		// Scope: A and A1 are targets, B is not.
		if _, err := f.svc.Get(officerB, a.ID); code(err) != errs.ENOTFOUND {
			t.Errorf("officerB reads an advisory for A: %v", err)
		}
		got, err := f.svc.Get(viewerA, a.ID)
		if err != nil || got.Mine == nil || got.Mine.State != advisory.StateWaiting {
			t.Fatalf("viewerA reads: %v %+v", err, got)
		}
		if _, err := f.svc.Acknowledge(viewerA, a.ID, advisory.Answer{}); code(err) != errs.EFORBIDDEN {
			t.Errorf("viewer acknowledges: %v", err)
		}
		if _, err := f.svc.Acknowledge(officerB, a.ID, advisory.Answer{Unit: "A"}); code(err) != errs.ENOTFOUND {
			t.Errorf("officerB acknowledges for A: %v", err)
		}
		tg, err := f.svc.Acknowledge(officerA, a.ID, advisory.Answer{})
		if err != nil || tg.State != advisory.StateAcknowledged || tg.Unit != "A" {
			t.Fatalf("officerA acknowledges: %v %+v", err, tg)
		}
		if _, err := f.svc.Acknowledge(officerA, a.ID, advisory.Answer{}); code(err) != errs.ECONFLICT {
			t.Errorf("acknowledged twice: %v", err)
		}
		if _, err := f.svc.Complete(officerA, a.ID, advisory.Answer{}); code(err) != errs.EINVALID {
			t.Errorf("completed without a note: %v", err)
		}
		tg, err = f.svc.Complete(officerA, a.ID, advisory.Answer{Note: "Đã cài bản vá trên 42 máy."})
		if err != nil || tg.State != advisory.StateCompleted {
			t.Fatalf("officerA completes: %v %+v", err, tg)
		}
		// Lists: B sees nothing; A sees the advisory; the IT Center sees both.
		if l, n, err := f.svc.List(officerB, advisory.Filter{}); err != nil || n != 0 || len(l) != 0 {
			t.Errorf("officerB lists %d: %v", n, err)
		}
		l, n, err := f.svc.List(officerA, advisory.Filter{})
		if err != nil || n != 1 || l[0].Targets != 2 || l[0].Completed != 1 {
			t.Fatalf("officerA lists %d %v", n, err)
		}
		if _, n, _ := f.svc.List(itc, advisory.Filter{}); n != 2 {
			t.Errorf("IT Center lists %d, want 2", n)
		}
		if _, n, _ := f.svc.List(itc, advisory.Filter{Status: "draft"}); n != 1 {
			t.Errorf("IT Center lists %d drafts, want 1", n)
		}
		if _, _, err := f.svc.List(officerA, advisory.Filter{Unit: "B"}); code(err) != errs.ENOTFOUND {
			t.Errorf("officerA filters on B: %v", err)
		}
		// Overdue: after the deadline, A1 (not completed) is late, A is not.
		if _, n, _ := f.svc.Overdue(itc, advisory.OverdueFilter{}); n != 0 {
			t.Errorf("overdue before the deadline: %d", n)
		}
		f.now = time.Date(2027, 1, 2, 3, 0, 0, 0, time.UTC)
		late, n, err := f.svc.Overdue(itc, advisory.OverdueFilter{})
		if err != nil || n != 1 || late[0].Unit != "A1" || late[0].DaysLate != 2 {
			t.Fatalf("overdue: %v %d %+v", err, n, late)
		}
		if _, n, _ := f.svc.Overdue(officerB, advisory.OverdueFilter{}); n != 0 {
			t.Errorf("officerB sees %d overdue units", n)
		}
		if _, n, _ := f.svc.List(officerA, advisory.Filter{Overdue: true}); n != 1 {
			t.Errorf("officerA lists %d overdue advisories", n)
		}
		ts, n, err := f.svc.Targets(itc, a.ID, advisory.TargetFilter{})
		if err != nil || n != 2 || ts[0].Unit != "A" || ts[0].Overdue || !ts[1].Overdue {
			t.Fatalf("targets: %v %d %+v", err, n, ts)
		}
		// Withdrawn: no more answers.
		if _, err := f.svc.Withdraw(itc, a.ID, "superseded"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Acknowledge(f.as(auth.RoleOfficer, "A1"), a.ID, advisory.Answer{}); code(err) != errs.ECONFLICT {
			t.Errorf("acknowledge a withdrawn advisory: %v", err)
		}
		var actions []string
		rows, err := db.Query(context.Background(), `SELECT action FROM audit_log WHERE object_type = 'advisory' ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			rows.Scan(&s)
			actions = append(actions, s)
		}
		want := "advisory.create advisory.create advisory.update advisory.issue advisory.ack advisory.complete advisory.withdraw"
		if strings.Join(actions, " ") != want {
			t.Errorf("audited %v, want %s", actions, want)
		}
	})
}

// A unit's open findings about the advisory's CVEs, over its subtree: the
// finding's own CVE, or a missing update fixing it.
func TestFindingsPerUnit(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		host := func(unit, name string) int64 {
			var id int64
			if err := db.QueryRow(ctx, `INSERT INTO hosts (unit_id, hostname, hostname_key, source, first_seen_at, last_seen_at) VALUES (?, ?, ?, 'test', 1, 1) RETURNING id`,
				f.units[unit].ID, name, strings.ToLower(name)).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		finding := func(host int64, kind, key, cve, evidence, status string) {
			if _, err := db.Exec(ctx, `INSERT INTO findings (host_id, kind, finding_key, title, severity, evidence, status, status_since, first_seen, last_seen, updated_at, cve)
				VALUES (?, ?, ?, 't', 'high', ?, ?, 1, 1, 1, 1, ?)`, host, kind, key, evidence, status, cve); err != nil {
				t.Fatal(err)
			}
		}
		h1, h2, h3 := host("A", "PC-A-01"), host("A1", "PC-A1-01"), host("B", "PC-B-01")
		finding(h1, "vulnerability", "cve:1", "CVE-2023-23397", "{}", "open")
		finding(h2, "missing_update", "kb:5032189", "CVE-2023-36033", `{"cves":["CVE-2023-36033","CVE-2023-36025"]}`, "in_progress")
		finding(h2, "vulnerability", "cve:2", "CVE-2023-23397", "{}", "resolved")
		finding(h3, "vulnerability", "cve:3", "CVE-2023-23397", "{}", "open")
		itc := f.as(auth.RoleAdmin, org.RootCode)
		a, err := f.svc.Create(itc, advisory.Input{Title: "Outlook, SmartScreen", CVEs: []string{"CVE-2023-23397", "CVE-2023-36025"}, Deadline: "2027-01-31", AllUnits: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Issue(itc, a.ID); err != nil {
			t.Fatal(err)
		}
		ts, _, err := f.svc.Targets(itc, a.ID, advisory.TargetFilter{Sort: "unit"})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, x := range ts {
			got[x.Unit] = x.Findings
		}
		if got["A"] != 2 || got["A1"] != 1 || got["B"] != 1 || got[org.RootCode] != 3 {
			t.Errorf("findings per unit %v; want A 2 (with A1's), A1 1, B 1, root 3", got)
		}
	})
}

func TestLoadDemo(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.now = time.Now()
		n, err := f.svc.LoadDemo(context.Background(), map[string]string{"A": "attt.a@demo.vigil.local"})
		if err != nil || n != 3 {
			t.Fatalf("demo: %d, %v", n, err)
		}
		if n, err := f.svc.LoadDemo(context.Background(), nil); err != nil || n != 0 {
			t.Errorf("demo loaded twice: %d, %v", n, err)
		}
		itc := f.as(auth.RoleAdmin, org.RootCode)
		if _, total, _ := f.svc.List(itc, advisory.Filter{Status: advisory.StatusDraft}); total != 1 {
			t.Errorf("%d drafts, want the RSS one", total)
		}
		late, total, err := f.svc.Overdue(itc, advisory.OverdueFilter{})
		if err != nil || total == 0 || total == 4 {
			t.Errorf("overdue: %d, %v; want some units late, not all", total, err)
		}
		for _, l := range late {
			if !strings.HasPrefix(l.Title, "Cảnh báo chiến dịch thư điện tử lừa đảo") {
				t.Errorf("late on %s", l.Title)
			}
		}
		list, _, _ := f.svc.List(f.as(auth.RoleOfficer, "A"), advisory.Filter{Status: advisory.StatusIssued})
		if len(list) != 2 || list[0].Mine == nil {
			t.Errorf("officer A sees %d issued advisories", len(list))
		}
	})
}

// Drafts made at the same moment (two hubs, the feeds poller and a person)
// each get a number of their own.
func TestConcurrentNumbers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		itc := f.as(auth.RoleAdmin, org.RootCode)
		errc := make(chan error, 8)
		for i := 0; i < 8; i++ {
			go func() {
				_, err := f.svc.Create(itc, advisory.Input{Title: "Song song", AllUnits: true})
				errc <- err
			}()
		}
		for i := 0; i < 8; i++ {
			if err := <-errc; err != nil {
				t.Error(err)
			}
		}
		list, total, err := f.svc.List(itc, advisory.Filter{Sort: "ref"})
		if err != nil || total != 8 || list[7].Ref != "CB-2026-008" {
			t.Errorf("%d drafts, %v, last %+v", total, err, list[len(list)-1])
		}
	})
}

// TestIssueTellsTheUnits: issuing an advisory tells each target unit
// through its escalation channels (a real SMTP server here), once, with
// the advisory's full address; a unit without a channel gets nothing and
// the issue goes through.
func TestIssueTellsTheUnits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		smtpd := escalatetest.NewSMTPServer(t)
		esc := &escalate.Service{DB: db, Mail: smtpd.Mailer(), PublicURL: "https://vigil.test"}
		f.svc.Notify = esc
		sys := auth.WithPrincipal(context.Background(), auth.System)
		if _, err := esc.CreateChannel(sys, escalate.ChannelInput{Unit: "A", Name: "Hộp thư ATTT Đắk Lắk", Kind: "email", Target: "attt@a.test.vigil"}); err != nil {
			t.Fatal(err)
		}
		itc := f.as(auth.RoleOfficer, org.RootCode)
		a, err := f.svc.Create(itc, advisory.Input{Title: "Vá lỗ hổng Microsoft Outlook", Severity: "critical", CVEs: []string{"CVE-2023-23397"},
			Actions: "Cài bản vá tháng 3/2023.", Deadline: "31/12/2026", Units: []string{"A"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Issue(itc, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := esc.Deliver(context.Background()); err != nil {
			t.Fatal(err)
		}
		msgs := smtpd.Wait(1, 10*time.Second)
		if len(msgs) != 1 || msgs[0].To[0] != "attt@a.test.vigil" {
			t.Fatalf("messages %+v", msgs)
		}
		m := msgs[0]
		for _, want := range []string{a.Ref, "CVE-2023-23397", "Cài bản vá tháng 3/2023.", fmt.Sprintf("https://vigil.test/advisories/%d", a.ID), "31/12/2026"} {
			if !strings.Contains(m.Subject+"\n"+m.Body, want) {
				t.Errorf("the message lacks %q:\n%s\n%s", want, m.Subject, m.Body)
			}
		}
		if _, err := esc.Deliver(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := len(smtpd.Wait(2, 500*time.Millisecond)); n != 1 {
			t.Errorf("%d messages after a second delivery run", n)
		}
	})
}
