package escalate_test

import (
	"context"
	"testing"
	"time"

	"vigil/internal/alerts"
	"vigil/internal/escalate"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// With internal/alerts' queue: an alert recorded from matches escalates,
// and acknowledging it in the queue stops the next step.
func TestWithTheAlertQueue(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		q := &alerts.Service{DB: db, Now: f.clock}
		f.svc.Alerts = escalate.FromAlerts(q)
		f.standard(t, 0)
		f.onDuty[f.units["A"]] = []escalate.Person{f.person("officera", false)}
		f.onDuty[f.units["ITC"]] = []escalate.Person{f.person("analyst", false)}
		// The event itself is old (a sample from a year ago): the delays
		// count from when the hub raised the alert, not from the event.
		at := f.clock().Add(-365 * 24 * time.Hour)
		if err := q.Record(context.Background(), []alerts.Match{{RuleID: "sigma-1", RuleTitle: "Đăng nhập bằng tài khoản ẩn", Level: "critical",
			UnitID: f.units["A1"], Host: "pc-a1-07", Key: "k", Time: at}}); err != nil {
			t.Fatal(err)
		}
		if made, _ := f.tick(t); made != 0 {
			t.Fatalf("escalated at once: %d", made)
		}
		f.advance(15 * time.Minute)
		if made, delivered := f.tick(t); made != 1 || delivered != 1 {
			t.Fatalf("after 15 minutes: made %d, delivered %d", made, delivered)
		}
		list, _, err := q.List(f.sys, alerts.Filter{})
		if err != nil || len(list) != 1 {
			t.Fatalf("%d alerts (%v)", len(list), err)
		}
		id := list[0].ID
		log := f.log(t, escalate.NotificationFilter{AlertID: id})
		if len(log) != 1 || log[0].Address != "officera@test.vigil" || log[0].Host != "pc-a1-07" || log[0].Unit != "A1" {
			t.Fatalf("log %+v", log)
		}
		f.advance(10 * time.Minute)
		if made, _ := f.svc.Escalate(context.Background()); made != 1 {
			t.Fatalf("step 2: made %d", made)
		}
		// Acknowledged before the worker sends step 2: cancelled, and no
		// step 3.
		if _, err := q.Update(f.ctx["officera"], id, alerts.Update{Action: "acknowledge"}); err != nil {
			t.Fatal(err)
		}
		f.advance(time.Hour)
		f.tick(t)
		log = f.log(t, escalate.NotificationFilter{AlertID: id})
		if len(log) != 2 || log[1].Status != escalate.StatusCancelled || len(f.smtp.Messages()) != 1 {
			t.Fatalf("after the acknowledgement: %d notifications, %d e-mails; last %+v", len(log), len(f.smtp.Messages()), log[len(log)-1])
		}
	})
}
