package natreport_test

import (
	"context"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/escalate"
	"vigil/internal/natreport"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// onceReminders stands for the escalation outbox: a key is queued once.
type onceReminders struct {
	keys []string
	seen map[string]bool
	last escalate.Reminder
}

func (o *onceReminders) Remind(_ context.Context, r escalate.Reminder) (int, error) {
	if o.seen[r.Key] {
		return 0, nil
	}
	o.seen[r.Key] = true
	o.keys = append(o.keys, r.Key)
	o.last = r
	return 1, nil
}

// The summary (Mẫu 05) deadlines, before 20/06 and 15/12: each reporting
// unit's next one with the days left and whether its summary was sent, and
// a reminder a week before and once overdue, each once.
func TestSummaryDeadlines(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		officerA := f.as(auth.RoleOfficer, "A")
		if _, err := f.svc.SetProfile(officerA, "", natreport.Profile{OrgName: "BHXH tỉnh Đắk Lắk", Address: "Buôn Ma Thuột", Phone: "0262", Email: "vt@dl.vss.gov.vn",
			ContactEmail: "duc.nv@dl.vss.gov.vn"}); err != nil {
			t.Fatal(err)
		}
		f.now = time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC) // 01/06 10:00 Vietnam
		ds, err := f.svc.SummaryDeadlines(officerA)
		if err != nil || len(ds) != 1 {
			t.Fatalf("deadlines: %v %v", ds, err)
		}
		d := ds[0]
		if d.Unit != "A" || d.PeriodFrom != "2026-01" || d.PeriodTo != "2026-06" || d.Due.Day() != 20 || d.Due.Month() != 6 || d.DaysLeft != 18 || d.Sent || d.Overdue {
			t.Errorf("deadline %+v", d)
		}
		if ds, _ := f.svc.SummaryDeadlines(f.as(auth.RoleOfficer, "B")); len(ds) != 0 {
			t.Errorf("officer B sees A's deadline: %+v", ds)
		}
		// Three weeks before: no reminder; a week before: one, once.
		rm := &onceReminders{seen: map[string]bool{}}
		if n, err := f.svc.RemindSummaries(context.Background(), rm); err != nil || n != 0 {
			t.Errorf("reminded 18 days before: %d %v", n, err)
		}
		f.now = time.Date(2026, 6, 14, 3, 0, 0, 0, time.UTC)
		for i, want := range []int{1, 0, 0} {
			if n, err := f.svc.RemindSummaries(context.Background(), rm); err != nil || n != want {
				t.Errorf("round %d a week before: %d %v", i, n, err)
			}
		}
		if rm.last.Event != "report.summary_due" || rm.last.UnitID != f.units["A"].ID || len(rm.last.Emails) != 1 {
			t.Errorf("reminder %+v", rm.last)
		}
		// Overdue: one more, once.
		f.now = time.Date(2026, 6, 22, 3, 0, 0, 0, time.UTC)
		ds, _ = f.svc.SummaryDeadlines(officerA)
		if !ds[0].Overdue || ds[0].DaysOver() < 2 {
			t.Errorf("overdue deadline %+v", ds[0])
		}
		for i, want := range []int{1, 0} {
			if n, _ := f.svc.RemindSummaries(context.Background(), rm); n != want {
				t.Errorf("overdue round %d: %d", i, n)
			}
		}
		// Sent: no longer overdue, nothing more to remind.
		var id int64
		if err := db.QueryRow(context.Background(), `INSERT INTO natreports (form, unit_id, period_from, period_to, created_at) VALUES ('summary', ?, '2026-01', '2026-06', 1) RETURNING id`,
			f.units["A"].ID).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(context.Background(), `INSERT INTO natreport_versions (report_id, version, status, created_at, updated_at, sent_at) VALUES (?, 1, 'approved', 1, 1, ?)`,
			id, store.Micros(f.now)); err != nil {
			t.Fatal(err)
		}
		ds, _ = f.svc.SummaryDeadlines(officerA)
		if !ds[0].Sent || ds[0].Overdue || ds[0].ReportID != id {
			t.Errorf("sent deadline %+v", ds[0])
		}
		// The second half-year: 15/12.
		f.now = time.Date(2026, 7, 2, 3, 0, 0, 0, time.UTC)
		ds, _ = f.svc.SummaryDeadlines(officerA)
		if ds[0].PeriodTo != "2026-12" || ds[0].Due.Day() != 15 || ds[0].Sent {
			t.Errorf("second half %+v", ds[0])
		}
	})
}
