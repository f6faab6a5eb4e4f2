package incident_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/escalate"
	"vigil/internal/escalate/escalatetest"
	"vigil/internal/i18n"
	"vigil/internal/incident"
	"vigil/internal/intel/format"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

type fixture struct {
	db    *store.DB
	svc   *incident.Service
	now   time.Time
	units map[string]*org.Unit
	users map[string]*org.User
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	f := &fixture{db: db, units: map[string]*org.Unit{}, users: map[string]*org.User{}, now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	f.svc = &incident.Service{DB: db, Now: func() time.Time { return f.now }}
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
	for _, u := range []struct {
		key  string
		role auth.Role
		unit string
	}{{"soc", auth.RoleAnalyst, root.Code}, {"offA", auth.RoleOfficer, "A"}, {"viewA", auth.RoleViewer, "A"}, {"offB", auth.RoleOfficer, "B"}} {
		x, err := o.CreateUser(ctx, org.UserInput{Email: strings.ToLower(u.key) + "@test.vigil", Name: "Người " + u.key, Password: "correct-horse-battery",
			Role: string(u.role), Unit: u.unit})
		if err != nil {
			t.Fatal(err)
		}
		f.users[u.key] = x
	}
	return f
}

func (f *fixture) as(key string) context.Context {
	u := f.users[key]
	unit := f.units[u.Unit]
	return auth.WithPrincipal(context.Background(), &auth.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Role: auth.Role(u.Role),
		UnitID: unit.ID, UnitCode: unit.Code, UnitPath: unit.Path, Via: "token"})
}

func TestCaseLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.as("offA")
		c, err := f.svc.Create(ctx, incident.Input{Title: "Mã hóa dữ liệu máy chủ kế toán", Category: "ransomware", Severity: "critical",
			Units: []string{"A", "A1"}, DetectedAt: "03/12/2026 22:15", PersonalData: true, SecurityLevel: 3,
			Observables: []incident.ObservableInput{{Value: "hxxp://evil[.]example/x"}, {Value: "203.0.113.7"}}})
		if err != nil {
			t.Fatal(err)
		}
		if c.Ref != "SC-2026-0001" || c.Status != incident.StatusNew || strings.Join(c.Units, ",") != "A,A1" || c.Owner != "offa@test.vigil" {
			t.Fatalf("created %+v", c)
		}
		// Personal data: the 72-hour notice to A05 is due first (the
		// initial report 5 calendar days after discovery, Vietnam time).
		want := time.Date(2026, 12, 6, 22, 15, 0, 0, i18n.Location)
		if c.ReportDueAt == nil || !c.ReportDueAt.Equal(want) {
			t.Errorf("report due %v, want %v", c.ReportDueAt, want)
		}
		names := map[string]incident.Clock{}
		for _, k := range c.Clocks {
			names[k.Name] = k
		}
		if pd := names["personal_data"]; !pd.Due.Equal(time.Date(2026, 12, 6, 22, 15, 0, 0, i18n.Location)) || pd.State != incident.ClockRunning {
			t.Errorf("personal-data clock %+v", pd)
		}
		if _, ok := names["emergency"]; ok {
			t.Error("an emergency clock on a case that is not serious")
		}
		// Other units' officers do not see it; a participant does.
		if _, err := f.svc.Get(f.as("offB"), c.ID); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("offB reads: %v", err)
		}
		if _, err := f.svc.AddParticipant(ctx, c.ID, "offb@test.vigil"); err != nil {
			t.Fatal(err)
		}
		if list, total, err := f.svc.List(f.as("offB"), incident.Filter{}); err != nil || total != 1 || list[0].ID != c.ID {
			t.Errorf("participant lists %v %d %v", list, total, err)
		}
		// The viewer reads but does not work.
		if _, err := f.svc.AddNote(f.as("viewA"), c.ID, incident.NoteInput{Text: "x"}); errs.Code(err) != errs.EFORBIDDEN {
			t.Errorf("viewer notes: %v", err)
		}
		// Work it to closed.
		f.now = f.now.Add(30 * time.Minute)
		for _, st := range []string{"triage", "containment", "eradication", "recovery"} {
			if _, err := f.svc.SetStatus(ctx, c.ID, incident.StatusInput{Status: st}); err != nil {
				t.Fatal(err)
			}
			f.now = f.now.Add(time.Hour)
		}
		if _, err := f.svc.SetStatus(ctx, c.ID, incident.StatusInput{Status: "closed"}); errs.Code(err) != errs.EINVALID {
			t.Errorf("closing without a note: %v", err)
		}
		c, err = f.svc.SetStatus(ctx, c.ID, incident.StatusInput{Status: "closed", Note: "Khôi phục từ bản sao lưu, vá lỗ hổng RDP."})
		if err != nil {
			t.Fatal(err)
		}
		if c.AckedAt.IsZero() || !c.ContainedAt.Equal(time.Date(2026, 12, 4, 12, 30, 0, 0, time.UTC)) || c.Resolution == "" {
			t.Errorf("closed %+v", c)
		}
		// Initial report not sent: still the one due; then the final one.
		for _, form := range []string{incident.FormPersonalData, incident.FormInitial} {
			if err := f.svc.MarkReported(ctx, nil, c.ID, form, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		c, _ = f.svc.Get(ctx, c.ID)
		if c.ReportDueAt == nil || !c.ReportDueAt.Equal(c.ClosedAt.AddDate(0, 0, 5)) {
			t.Errorf("after the initial report, due %v", c.ReportDueAt)
		}
		entries, total, err := f.svc.Timeline(ctx, c.ID, incident.TimelineFilter{Oldest: true})
		if err != nil || total != len(entries) || entries[0].Kind != "status" {
			t.Fatalf("timeline %v %d %v", entries, total, err)
		}
		// The national report's view of it.
		rc, err := f.svc.ReportCase(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rc.Number != c.Ref || rc.UnitCode != "A" || len(rc.Observables) != 2 || rc.Resolution == "" || len(rc.Timeline) < 6 || rc.SecurityLevel != 3 {
			t.Errorf("report case %+v", rc)
		}
		sum, err := f.svc.MonthlySummary(f.as("soc"), "", "2026-12")
		if err != nil {
			t.Fatal(err)
		}
		if sum.Total != 1 || sum.Closed != 1 || sum.ByCategory[5].Key != "ransomware" || sum.ByCategory[5].Count != 1 ||
			time.Duration(sum.MedianContain) != time.Date(2026, 12, 4, 12, 30, 0, 0, time.UTC).Sub(time.Date(2026, 12, 3, 22, 15, 0, 0, i18n.Location)) {
			t.Errorf("summary %+v", sum)
		}
		rcs, err := f.svc.ReportCases(f.as("offB"), "", time.Date(2026, 12, 1, 0, 0, 0, 0, i18n.Location), time.Date(2027, 1, 1, 0, 0, 0, 0, i18n.Location))
		if err != nil || len(rcs) != 1 {
			t.Errorf("report cases for a participant: %v %v", rcs, err)
		}
		if _, err := f.svc.ReportCases(f.as("offB"), "A", time.Time{}, time.Now()); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("offB's summary of A: %v", err)
		}
	})
}

func TestWorkingDays(t *testing.T) {
	st := incident.DefaultSettings()
	st.WorkingDays = true
	st.Holidays = []string{"2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20"}
	// Discovered Friday 13/02/2026 09:00: five working days skip the
	// weekend and the Tết week, to Friday 27/02.
	c := &incident.Case{DetectedAt: time.Date(2026, 2, 13, 9, 0, 0, 0, i18n.Location), OpenedAt: time.Date(2026, 2, 13, 9, 0, 0, 0, i18n.Location)}
	due := st.ReportDue(c)
	if want := time.Date(2026, 2, 27, 9, 0, 0, 0, i18n.Location); due == nil || !due.Equal(want) {
		t.Errorf("due %v, want %v", due, want)
	}
	st.WorkingDays = false
	if due := st.ReportDue(c); !due.Equal(time.Date(2026, 2, 18, 9, 0, 0, 0, i18n.Location)) {
		t.Errorf("calendar due %v", due)
	}
	// Personal data: the 72-hour notice comes before the initial report,
	// and it is the due date until it is sent.
	c.PersonalData = true
	if due := st.ReportDue(c); due == nil || !due.Equal(c.DetectedAt.Add(72*time.Hour)) {
		t.Errorf("personal data due %v, want %v", due, c.DetectedAt.Add(72*time.Hour))
	}
	c.PDNotifiedAt = c.DetectedAt.Add(time.Hour)
	if due := st.ReportDue(c); !due.Equal(time.Date(2026, 2, 18, 9, 0, 0, 0, i18n.Location)) {
		t.Errorf("after the notice, due %v", due)
	}
	// A serious case: the emergency report, due at once.
	c.Serious = true
	if due := st.ReportDue(c); due == nil || !due.Equal(c.OpenedAt) {
		t.Errorf("serious due %v, want %v", due, c.OpenedAt)
	}
	c.InitialSentAt = c.OpenedAt.Add(time.Hour)
	if due := st.ReportDue(c); due != nil {
		t.Errorf("all reports sent, due %v", due)
	}
}

// TestReminders: a case whose initial report is due within the reminder
// window is reminded once through the owning unit's escalation channel
// and to its owner, by e-mail to a real SMTP server.
func TestReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		smtpd := escalatetest.NewSMTPServer(t)
		esc := &escalate.Service{DB: db, Mail: smtpd.Mailer(), PublicURL: "https://vigil.test/"}
		sys := auth.WithPrincipal(context.Background(), auth.System)
		if _, err := esc.CreateChannel(sys, escalate.ChannelInput{Unit: "A", Name: "Hộp thư an toàn thông tin", Kind: "email", Target: "attt.a@test.vigil"}); err != nil {
			t.Fatal(err)
		}
		// A webhook channel hears the reminder under its own event name.
		events := make(chan string, 4)
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var body struct {
				Event string `json:"event"`
			}
			_ = json.NewDecoder(r.Body).Decode(&body)
			events <- r.Header.Get(escalate.EventHeader) + " " + body.Event
		}))
		defer hook.Close()
		if _, err := esc.CreateChannel(sys, escalate.ChannelInput{Unit: "A", Name: "SIEM tỉnh", Kind: escalate.KindWebhook, Target: hook.URL, Secret: "whsec-0123456789abcdef"}); err != nil {
			t.Fatal(err)
		}
		c, err := f.svc.Create(f.as("offA"), incident.Input{Title: "Truy cập trái phép cổng thông tin", Category: "intrusion", Severity: "high",
			Units: []string{"A"}, DetectedAt: "29/11/2026 08:00"})
		if err != nil {
			t.Fatal(err)
		}
		// Discovered 29/11 08:00 (Vietnam): due 04/12 08:00 (01:00 UTC);
		// on 03/12 at 12:00 UTC it is within the 24-hour window.
		f.svc.Now = func() time.Time { return time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC) }
		n, err := f.svc.Remind(context.Background(), esc)
		if err != nil || n != 1 {
			t.Fatalf("reminded %d clocks: %v", n, err)
		}
		if n, _ := f.svc.Remind(context.Background(), esc); n != 0 {
			t.Errorf("reminded again: %d", n)
		}
		if _, err := esc.Deliver(context.Background()); err != nil {
			t.Fatal(err)
		}
		msgs := smtpd.Wait(2, 10*time.Second)
		if len(msgs) != 2 {
			t.Fatalf("%d mails", len(msgs))
		}
		select {
		case e := <-events:
			if e != "incident.deadline incident.deadline" {
				t.Errorf("webhook event %q", e)
			}
		case <-time.After(10 * time.Second):
			t.Error("the webhook channel heard nothing")
		}
		for _, m := range msgs {
			if !strings.Contains(m.Subject, c.Ref) {
				t.Errorf("reminder subject %q", m.Subject)
			}
			if !strings.Contains(m.Body, fmt.Sprintf("https://vigil.test/incidents/%d", c.ID)) {
				t.Errorf("the reminder does not link the case by its full address: %s", m.Body)
			}
		}
		// Once past the deadline: one more reminder, once.
		f.svc.Now = func() time.Time { return time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC) }
		if n, err := f.svc.Remind(context.Background(), esc); err != nil || n != 1 {
			t.Fatalf("overdue: reminded %d clocks: %v", n, err)
		}
		for range 3 {
			if n, _ := f.svc.Remind(context.Background(), esc); n != 0 {
				t.Errorf("overdue reminded again: %d", n)
			}
		}
		if _, err := esc.Deliver(context.Background()); err != nil {
			t.Fatal(err)
		}
		msgs = smtpd.Wait(4, 10*time.Second)
		if len(msgs) != 4 || !strings.Contains(msgs[3].Subject, "quá hạn") && !strings.Contains(msgs[2].Subject, "quá hạn") {
			t.Errorf("overdue reminders: %d mails", len(msgs))
		}
	})
}

func TestDemo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		sys := auth.WithPrincipal(context.Background(), auth.System)
		o := &org.Service{DB: db}
		for _, u := range []org.UnitInput{{Code: "T01", Name: "Hà Nội", Kind: org.KindProvince, Parent: org.RootCode},
			{Code: "T01-01", Name: "Ba Đình", Kind: org.KindDistrict, Parent: "T01"}, {Code: "T48", Name: "Đà Nẵng", Kind: org.KindProvince, Parent: org.RootCode}} {
			if _, err := o.CreateUnit(sys, u); err != nil {
				t.Fatal(err)
			}
		}
		f.now = time.Now()
		n, err := f.svc.LoadDemo(context.Background(), map[string]string{}, "soc@test.vigil")
		if err != nil || n != 3 {
			t.Fatalf("demo: %d %v", n, err)
		}
		if n, err := f.svc.LoadDemo(context.Background(), nil, ""); n != 0 || err != nil {
			t.Errorf("demo twice: %d %v", n, err)
		}
	})
}

// TestSTIXExport: the bundle reads back through internal/intel's STIX
// reader with every observable as an indicator.
func TestSTIXExport(t *testing.T) {
	f := newFixture(t, storetest.Open(t, "sqlite"))
	ctx := f.as("offA")
	c, err := f.svc.Create(ctx, incident.Input{Title: "Thay đổi giao diện cổng thông tin", Category: "defacement", Severity: "high", Units: []string{"A"},
		Observables: []incident.ObservableInput{{Value: "203.0.113.7"}, {Value: "evil.example"}, {Kind: "sha256", Value: strings.Repeat("cd", 32)}, {Kind: "account", Value: "admin_web"}}})
	if err != nil {
		t.Fatal(err)
	}
	data, ref, err := f.svc.STIX(ctx, c.ID)
	if err != nil || ref != c.Ref {
		t.Fatal(ref, err)
	}
	res, err := format.Read("case.json", bytes.NewReader(data), format.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The reader takes each value twice: from its indicator and from the
	// observed-data's cyber-observable object.
	seen := map[string]bool{}
	for _, ind := range res.Indicators {
		seen[ind.Kind+":"+ind.Value] = true
	}
	if res.Format != "stix2.1" || len(seen) != 4 || !seen["ip:203.0.113.7"] || !seen["account:admin_web"] || len(res.Skipped) != 0 {
		t.Errorf("read back: %s, %v, skipped %v", res.Format, seen, res.Skipped)
	}
	for _, want := range []string{`"type": "incident"`, `"type": "observed-data"`, `"type": "identity"`, `"relationship_type": "indicates"`, `"relationship_type": "related-to"`, c.Ref} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("bundle lacks %s", want)
		}
	}
	if _, _, err := f.svc.STIX(f.as("offB"), c.ID); errs.Code(err) != errs.ENOTFOUND {
		t.Errorf("offB exports A's case: %v", err)
	}
}
