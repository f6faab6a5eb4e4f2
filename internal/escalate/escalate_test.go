package escalate_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/escalate"
	"vigil/internal/escalate/escalatetest"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// queue is the test's alert queue: the Alerts interface over a slice.
type queue struct {
	now    func() time.Time
	mu     sync.Mutex
	alerts []escalate.Alert
	acked  map[int64]bool
}

func (q *queue) add(a escalate.Alert) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.alerts = append(q.alerts, a)
}

func (q *queue) ack(id int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.acked == nil {
		q.acked = map[int64]bool{}
	}
	q.acked[id] = true
}

func (q *queue) Unacknowledged(_ context.Context, min string, olderThan time.Duration, afterID int64, limit int) ([]escalate.Alert, error) {
	before := q.now().Add(-olderThan)
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []escalate.Alert
	for _, a := range q.alerts {
		if len(out) == limit {
			break
		}
		if a.ID > afterID && !q.acked[a.ID] && escalate.AtLeast(a.Severity, min) && !a.FirstSeen.After(before) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (q *queue) Acknowledged(_ context.Context, ids []int64) (map[int64]bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := map[int64]bool{}
	for _, id := range ids {
		out[id] = q.acked[id]
	}
	return out, nil
}

// fixture: the root, the SOC (ITC), province A with district A1, province
// B; an officer in A, an analyst and a lead at the SOC.
type fixture struct {
	db      *store.DB
	svc     *escalate.Service
	sys     context.Context
	ctx     map[string]context.Context
	users   map[string]int64
	units   map[string]int64
	alerts  *queue
	mu      sync.Mutex
	now     time.Time
	onDuty  map[int64][]escalate.Person
	smtp    *escalatetest.SMTPServer
	webhook *escalatetest.WebhookReceiver
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	sys := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	if _, err := o.EnsureRoot(sys); err != nil {
		t.Fatal(err)
	}
	for _, u := range []org.UnitInput{
		{Code: "ITC", Name: "Trung tâm CNTT", Kind: org.KindServiceUnit, Parent: org.RootCode},
		{Code: "A", Name: "Tỉnh A", Kind: org.KindProvince, Parent: org.RootCode},
		{Code: "A1", Name: "Huyện A1", Kind: org.KindDistrict, Parent: "A"},
		{Code: "B", Name: "Tỉnh B", Kind: org.KindProvince, Parent: org.RootCode},
	} {
		if _, err := o.CreateUnit(sys, u); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{db: db, sys: sys, ctx: map[string]context.Context{}, users: map[string]int64{}, units: map[string]int64{}, alerts: &queue{},
		now: time.Date(2027, 2, 6, 1, 0, 0, 0, time.UTC), onDuty: map[int64][]escalate.Person{}}
	rows, err := db.Query(sys, `SELECT id, code FROM units`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var code string
		rows.Scan(&id, &code)
		f.units[code] = id
	}
	rows.Close()
	for name, u := range map[string]struct {
		role auth.Role
		unit string
	}{"officera": {auth.RoleOfficer, "A"}, "officerb": {auth.RoleOfficer, "B"}, "analyst": {auth.RoleAnalyst, "ITC"}, "lead": {auth.RoleAnalyst, "ITC"},
		"viewera": {auth.RoleViewer, "A"}} {
		email := name + "@test.vigil"
		if _, err := o.CreateUser(sys, org.UserInput{Email: email, Name: "Người " + name, Role: string(u.role), Unit: u.unit, Password: "correct-horse-battery"}); err != nil {
			t.Fatal(err)
		}
		var p auth.Principal
		if err := db.QueryRow(sys, `SELECT us.id, un.id, un.code, un.path FROM users us JOIN units un ON un.id = us.unit_id WHERE us.email = ?`, email).
			Scan(&p.UserID, &p.UnitID, &p.UnitCode, &p.UnitPath); err != nil {
			t.Fatal(err)
		}
		p.Email, p.Role, p.Via = email, u.role, "token"
		f.ctx[name] = auth.WithPrincipal(context.Background(), &p)
		f.users[name] = p.UserID
	}
	f.alerts.now = f.clock
	f.smtp = escalatetest.NewSMTPServer(t)
	f.webhook = escalatetest.NewWebhookReceiver(t, "whsec-0123456789abcdef")
	f.webhook.Now = f.clock
	f.svc = &escalate.Service{DB: db, Alerts: f.alerts, Mail: f.smtp.Mailer(), PublicURL: "https://vigil.test",
		Now: f.clock, RetryBase: time.Minute, RetryMax: 10 * time.Minute, MaxAttempts: 4, Holder: "hub-1",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnDuty: func(_ context.Context, unit int64, _ time.Time) ([]escalate.Person, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.onDuty[unit], nil
		}}
	return f
}

func (f *fixture) person(name string, lead bool) escalate.Person {
	return escalate.Person{UserID: f.users[name], Email: name + "@test.vigil", Name: "Người " + name, Lead: lead}
}

// standard is the example: 15 minutes to the unit's person on
// duty, 10 more to the SOC analyst, 5 more to the SOC lead, and the
// webhook with the lead.
func (f *fixture) standard(t *testing.T, webhook int64) *escalate.Policy {
	t.Helper()
	steps := []escalate.StepInput{{DelayMinutes: 15, Target: escalate.TargetUnitDuty}, {DelayMinutes: 10, Target: escalate.TargetSOCDuty},
		{DelayMinutes: 5, Target: escalate.TargetSOCLead}}
	if webhook != 0 {
		steps = append(steps, escalate.StepInput{DelayMinutes: 0, Target: escalate.TargetChannel, Channel: webhook})
	}
	p, err := f.svc.CreatePolicy(f.sys, escalate.PolicyInput{Unit: org.RootCode, Name: "Mặc định", MinSeverity: "high", SOCUnit: "ITC", Steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) tick(t *testing.T) (made, delivered int) {
	t.Helper()
	made, err := f.svc.Escalate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	delivered, err = f.svc.Deliver(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return made, delivered
}

func (f *fixture) log(t *testing.T, filter escalate.NotificationFilter) []*escalate.Notification {
	t.Helper()
	filter.Sort, filter.Limit = "created", 1000
	ns, _, err := f.svc.ListNotifications(f.sys, filter)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(ns, func(a, b *escalate.Notification) int { return int(a.ID - b.ID) })
	return ns
}

func TestEscalationFollowsThePolicy(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ch, err := f.svc.CreateChannel(f.sys, escalate.ChannelInput{Unit: org.RootCode, Name: "SIEM", Kind: escalate.KindWebhook, Target: f.webhook.URL, Secret: f.webhook.Secret})
		if err != nil {
			t.Fatal(err)
		}
		f.standard(t, ch.ID)
		f.onDuty[f.units["A"]] = []escalate.Person{f.person("officera", false)}
		f.onDuty[f.units["ITC"]] = []escalate.Person{f.person("analyst", false), f.person("lead", true)}
		raised := f.clock()
		f.alerts.add(escalate.Alert{ID: 41, RuleID: "r-1", Title: "Mimikatz trên máy chủ", Severity: "critical", Host: "srv-a1-01", UnitID: f.units["A1"], Count: 3, FirstSeen: raised, LastSeen: raised})
		f.alerts.add(escalate.Alert{ID: 42, Title: "Quét cổng", Severity: "medium", Host: "pc-a", UnitID: f.units["A"], FirstSeen: raised})

		f.advance(14 * time.Minute)
		if made, _ := f.tick(t); made != 0 {
			t.Fatalf("escalated %d after 14 minutes", made)
		}
		f.advance(time.Minute)
		made, delivered := f.tick(t)
		if made != 1 || delivered != 1 {
			t.Fatalf("after 15 minutes: made %d, delivered %d; want 1, 1", made, delivered)
		}
		msgs := f.smtp.Messages()
		if len(msgs) != 1 {
			t.Fatalf("SMTP server got %d messages", len(msgs))
		}
		m := msgs[0]
		if !slices.Equal(m.To, []string{"officera@test.vigil"}) || !m.TLS || m.User != "vigil" {
			t.Errorf("message to %v (TLS %v, user %q)", m.To, m.TLS, m.User)
		}
		for _, want := range []string{"Mimikatz trên máy chủ", "NGHIÊM TRỌNG", "srv-a1-01"} {
			if !strings.Contains(m.Subject, want) {
				t.Errorf("subject %q lacks %q", m.Subject, want)
			}
		}
		for _, want := range []string{"Huyện A1 (A1)", "https://vigil.test/alerts/41", "15 phút", "Bậc leo thang 1/4", "người trực của đơn vị", "Số lần phát hiện: 3"} {
			if !strings.Contains(m.Body, want) {
				t.Errorf("body lacks %q:\n%s", want, m.Body)
			}
		}
		if m.Header.Get("X-Vigil-Alert") != "41" {
			t.Errorf("X-Vigil-Alert %q", m.Header.Get("X-Vigil-Alert"))
		}
		// The same tick again changes nothing: a step is reached once.
		if made, _ := f.tick(t); made != 0 {
			t.Fatalf("step 1 escalated twice (%d)", made)
		}

		f.advance(10 * time.Minute)
		if made, delivered := f.tick(t); made != 1 || delivered != 1 {
			t.Fatalf("after 25 minutes: made %d, delivered %d", made, delivered)
		}
		if msgs := f.smtp.Messages(); len(msgs) != 2 || msgs[1].To[0] != "analyst@test.vigil" {
			t.Fatalf("step 2 went to %v", msgs[len(msgs)-1].To)
		}

		f.advance(5 * time.Minute)
		if made, delivered := f.tick(t); made != 2 || delivered != 2 {
			t.Fatalf("after 30 minutes: made %d, delivered %d (lead and webhook)", made, delivered)
		}
		if msgs := f.smtp.Messages(); len(msgs) != 3 || msgs[2].To[0] != "lead@test.vigil" {
			t.Fatalf("step 3 went to %v", msgs[len(msgs)-1].To)
		}
		d := f.webhook.Deliveries()
		if len(d) != 1 || d[0].Event != "alert.escalated" || d[0].Body.Alert.ID != 41 || d[0].Body.Step != 4 || d[0].Body.Alert.Unit != "A1" {
			t.Fatalf("webhook deliveries %+v (refused %v)", d, f.webhook.Refused())
		}

		log := f.log(t, escalate.NotificationFilter{AlertID: 41})
		if len(log) != 4 {
			t.Fatalf("log holds %d notifications", len(log))
		}
		wantTo := []string{"Người officera <officera@test.vigil>", "Người analyst <analyst@test.vigil>", "Người lead <lead@test.vigil>", "SIEM"}
		for i, n := range log {
			if n.Recipient != wantTo[i] || n.Status != escalate.StatusDelivered || n.Attempts != 1 || n.DeliveredAt.IsZero() || n.Step != i+1 || n.Policy != "Mặc định" {
				t.Errorf("notification %d: %+v", i, n)
			}
		}
		if n := f.log(t, escalate.NotificationFilter{AlertID: 42}); len(n) != 0 {
			t.Errorf("the medium alert was escalated: %d", len(n))
		}
	})
}

func TestAcknowledgingStopsTheEscalation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.standard(t, 0)
		f.onDuty[f.units["A"]] = []escalate.Person{f.person("officera", false)}
		f.onDuty[f.units["ITC"]] = []escalate.Person{f.person("analyst", false)}
		f.alerts.add(escalate.Alert{ID: 7, Title: "Ransomware", Severity: "critical", Host: "pc-a", UnitID: f.units["A"], FirstSeen: f.clock()})
		f.advance(15 * time.Minute)
		if made, _ := f.svc.Escalate(context.Background()); made != 1 {
			t.Fatalf("made %d", made)
		}
		// Acknowledged before the worker ran: the e-mail is not sent, and
		// no later step comes.
		f.alerts.ack(7)
		if _, err := f.svc.Deliver(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.advance(time.Hour)
		f.tick(t)
		if n := len(f.smtp.Messages()); n != 0 {
			t.Fatalf("%d messages sent for an acknowledged alert", n)
		}
		log := f.log(t, escalate.NotificationFilter{AlertID: 7})
		if len(log) != 1 || log[0].Status != escalate.StatusCancelled {
			t.Fatalf("log %+v", log)
		}
	})
}

// More unacknowledged alerts than a page: every one is reached, the new
// critical one after a flood of old ones included.
func TestEscalationWalksEveryPage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.svc.UnackPage = 3
		f.standard(t, 0)
		f.onDuty[f.units["A"]] = []escalate.Person{f.person("officera", false)}
		for i := range 7 {
			f.alerts.add(escalate.Alert{ID: int64(i + 1), Title: "Ransomware", Severity: "critical", Host: fmt.Sprintf("pc-a-%d", i), UnitID: f.units["A"], FirstSeen: f.clock()})
		}
		f.advance(15 * time.Minute)
		if made, _ := f.svc.Escalate(context.Background()); made != 7 {
			t.Fatalf("made %d notifications for 7 alerts read 3 at a time", made)
		}
		f.alerts.add(escalate.Alert{ID: 8, Title: "Mã độc", Severity: "critical", Host: "pc-a-new", UnitID: f.units["A"], FirstSeen: f.clock()})
		f.advance(15 * time.Minute)
		if made, _ := f.svc.Escalate(context.Background()); made < 1 {
			t.Fatalf("the new alert behind 7 old ones was not escalated")
		}
		if log := f.log(t, escalate.NotificationFilter{AlertID: 8}); len(log) != 1 {
			t.Fatalf("alert 8: %d notifications", len(log))
		}
	})
}

func TestNobodyOnDutyIsRecorded(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.standard(t, 0)
		// Nobody on duty at A1 nor at A; the root's roster covers it.
		f.alerts.add(escalate.Alert{ID: 9, Title: "x", Severity: "high", UnitID: f.units["A1"], FirstSeen: f.clock()})
		f.advance(15 * time.Minute)
		f.tick(t)
		log := f.log(t, escalate.NotificationFilter{AlertID: 9})
		if len(log) != 1 || log[0].Status != escalate.StatusFailed || !strings.Contains(log[0].LastError, "nobody is on duty for unit A1") {
			t.Fatalf("log %+v", log[0])
		}
		// The root's person on duty is found by walking up.
		f.onDuty[f.units[org.RootCode]] = []escalate.Person{f.person("analyst", false)}
		f.alerts.add(escalate.Alert{ID: 10, Title: "y", Severity: "high", UnitID: f.units["A1"], FirstSeen: f.clock()})
		f.advance(15 * time.Minute)
		f.tick(t)
		if log := f.log(t, escalate.NotificationFilter{AlertID: 10}); len(log) != 1 || log[0].Address != "analyst@test.vigil" || log[0].Status != escalate.StatusDelivered {
			t.Fatalf("log %+v", log)
		}
	})
}

func TestRetriesBackOffAndGiveUp(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ch, err := f.svc.CreateChannel(f.sys, escalate.ChannelInput{Unit: "A", Name: "SOC tỉnh", Kind: escalate.KindWebhook, Target: f.webhook.URL, Secret: f.webhook.Secret})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreatePolicy(f.sys, escalate.PolicyInput{Unit: "A", Name: "Webhook", MinSeverity: "low",
			Steps: []escalate.StepInput{{DelayMinutes: 0, Target: escalate.TargetChannel, Channel: ch.ID}}}); err != nil {
			t.Fatal(err)
		}
		f.webhook.Status = func(n int) int {
			if n <= 2 {
				return 503
			}
			return 0
		}
		f.alerts.add(escalate.Alert{ID: 1, Title: "x", Severity: "low", UnitID: f.units["A"], FirstSeen: f.clock()})
		f.tick(t)
		n := f.log(t, escalate.NotificationFilter{AlertID: 1})[0]
		if n.Status != escalate.StatusPending || n.Attempts != 1 || !strings.Contains(n.LastError, "503") {
			t.Fatalf("after one failure: %+v", n)
		}
		wait1 := n.NextAttemptAt.Sub(f.clock())
		if wait1 < 48*time.Second || wait1 > 72*time.Second {
			t.Fatalf("first retry in %v, want about a minute", wait1)
		}
		// Not due yet: nothing is tried.
		f.advance(wait1 / 2)
		f.tick(t)
		if f.webhook.Requests() != 1 {
			t.Fatalf("retried before its time: %d requests", f.webhook.Requests())
		}
		f.advance(wait1)
		f.tick(t)
		n = f.log(t, escalate.NotificationFilter{AlertID: 1})[0]
		wait2 := n.NextAttemptAt.Sub(f.clock())
		if n.Attempts != 2 || wait2 < 96*time.Second || wait2 > 144*time.Second {
			t.Fatalf("second retry in %v after %d attempts, want about two minutes", wait2, n.Attempts)
		}
		f.advance(wait2)
		f.tick(t)
		n = f.log(t, escalate.NotificationFilter{AlertID: 1})[0]
		if n.Status != escalate.StatusDelivered || n.Attempts != 3 || n.LastError != "" || len(f.webhook.Deliveries()) != 1 {
			t.Fatalf("third attempt: %+v", n)
		}

		// A refusal for good (HTTP 400) is not retried.
		f.webhook.Status = func(int) int { return 400 }
		f.alerts.add(escalate.Alert{ID: 2, Title: "y", Severity: "low", UnitID: f.units["A"], FirstSeen: f.clock()})
		f.tick(t)
		if n := f.log(t, escalate.NotificationFilter{AlertID: 2})[0]; n.Status != escalate.StatusFailed || n.Attempts != 1 {
			t.Fatalf("after a 400: %+v", n)
		}
		// A receiver down for good: MaxAttempts (4), then failed.
		f.webhook.Status = func(int) int { return 502 }
		f.alerts.add(escalate.Alert{ID: 3, Title: "z", Severity: "low", UnitID: f.units["A"], FirstSeen: f.clock()})
		for i := 0; i < 10; i++ {
			f.tick(t)
			f.advance(15 * time.Minute)
		}
		if n := f.log(t, escalate.NotificationFilter{AlertID: 3})[0]; n.Status != escalate.StatusFailed || n.Attempts != 4 {
			t.Fatalf("receiver down: %+v", n)
		}
	})
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	s := &escalate.Service{RetryBase: 30 * time.Second, RetryMax: 30 * time.Minute}
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 5: 8 * time.Minute, 7: 30 * time.Minute, 20: 30 * time.Minute} {
		seen := map[time.Duration]bool{}
		for i := 0; i < 50; i++ {
			d := s.Backoff(n)
			if d < want*8/10 || d > want*12/10 {
				t.Fatalf("Backoff(%d) = %v, want %v ± 20 %%", n, d, want)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("Backoff(%d) hardly varies: %d values in 50", n, len(seen))
		}
	}
}

// Two hub processes on one database: every step is reached once and every
// notification sent once.
func TestTwoHubsSendOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ch, err := f.svc.CreateChannel(f.sys, escalate.ChannelInput{Unit: org.RootCode, Name: "SIEM", Kind: escalate.KindWebhook, Target: f.webhook.URL, Secret: f.webhook.Secret})
		if err != nil {
			t.Fatal(err)
		}
		f.standard(t, ch.ID)
		f.onDuty[f.units["A"]] = []escalate.Person{f.person("officera", false)}
		f.onDuty[f.units["ITC"]] = []escalate.Person{f.person("analyst", false), f.person("lead", true)}
		for i := int64(1); i <= 5; i++ {
			f.alerts.add(escalate.Alert{ID: i, Title: "x", Severity: "critical", UnitID: f.units["A"], FirstSeen: f.clock()})
		}
		f.advance(time.Hour)
		other := escalate.Service{DB: db, Alerts: f.svc.Alerts, Mail: f.smtp.Mailer(), OnDuty: f.svc.OnDuty, PublicURL: f.svc.PublicURL,
			Now: f.clock, Logger: f.svc.Logger, Holder: "hub-2"}
		var wg sync.WaitGroup
		for _, s := range []*escalate.Service{f.svc, &other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 3; i++ {
					s.Tick(context.Background())
				}
			}()
		}
		wg.Wait()
		f.tick(t)
		if n := len(f.smtp.Messages()); n != 15 {
			t.Errorf("SMTP got %d messages, want 15 (5 alerts × 3 people)", n)
		}
		if n := f.webhook.Requests(); n != 5 {
			t.Errorf("webhook got %d requests, want 5", n)
		}
		if log := f.log(t, escalate.NotificationFilter{}); len(log) != 20 {
			t.Errorf("log holds %d notifications, want 20", len(log))
		}
	})
}

func TestPoliciesAreScoped(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		steps := []escalate.StepInput{{DelayMinutes: 15, Target: escalate.TargetUnitDuty}}
		in := escalate.PolicyInput{Unit: "A", Name: "Tỉnh A", MinSeverity: "high", Steps: steps}
		p, err := f.svc.CreatePolicy(f.ctx["officera"], in)
		if err != nil {
			t.Fatal(err)
		}
		bad := in
		bad.Unit = "B"
		if _, err := f.svc.CreatePolicy(f.ctx["officera"], bad); errs.Code(err) != errs.EINVALID {
			t.Errorf("officer A creates for B: %v", err)
		}
		if _, err := f.svc.CreatePolicy(f.ctx["analyst"], in); errs.Code(err) != errs.EFORBIDDEN {
			t.Errorf("analyst creates: %v", err)
		}
		if _, err := f.svc.CreatePolicy(f.ctx["viewera"], in); errs.Code(err) != errs.EFORBIDDEN {
			t.Errorf("viewer creates: %v", err)
		}
		if _, err := f.svc.CreatePolicy(f.ctx["officera"], in); errs.Code(err) != errs.ECONFLICT {
			t.Errorf("same name twice: %v", err)
		}
		if _, err := f.svc.GetPolicy(f.ctx["officerb"], p.ID); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("officer B reads A's policy: %v", err)
		}
		if err := f.svc.DeletePolicy(f.ctx["officerb"], p.ID); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("officer B deletes A's policy: %v", err)
		}
		if _, err := f.svc.GetPolicy(f.ctx["analyst"], p.ID); err != nil {
			t.Errorf("analyst reads: %v", err)
		}
		for _, c := range []struct {
			field string
			steps []escalate.StepInput
		}{
			{"steps[0].delay_minutes", []escalate.StepInput{{DelayMinutes: -1, Target: escalate.TargetUnitDuty}}},
			{"steps[1].target", []escalate.StepInput{{Target: escalate.TargetUnitDuty}, {Target: "boss"}}},
			{"steps[0].user", []escalate.StepInput{{Target: escalate.TargetUser, User: "officerb@test.vigil"}}},
			{"steps[0].user", []escalate.StepInput{{Target: escalate.TargetUser, User: "nobody@test.vigil"}}},
			{"steps", nil},
		} {
			in := escalate.PolicyInput{Unit: "A", Name: "x", MinSeverity: "high", Steps: c.steps}
			_, err := f.svc.CreatePolicy(f.ctx["officera"], in)
			if e, ok := errs.As(err); !ok || e.Code != errs.EINVALID || e.Field != c.field {
				t.Errorf("%s: %v", c.field, err)
			}
		}
		in.Steps = append(in.Steps, escalate.StepInput{DelayMinutes: 5, Target: escalate.TargetUser, User: "viewera@test.vigil"})
		p2, err := f.svc.UpdatePolicy(f.ctx["officera"], p.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(p2.Steps) != 2 || p2.Steps[1].User != "viewera@test.vigil" || p2.Steps[1].UserName != "Người viewera" {
			t.Errorf("updated steps %+v", p2.Steps)
		}
		ps, total, err := f.svc.ListPolicies(f.ctx["officerb"], escalate.PolicyFilter{})
		if err != nil || total != 0 || len(ps) != 0 {
			t.Errorf("officer B lists %d policies (%v)", total, err)
		}
		ps, total, err = f.svc.ListPolicies(f.ctx["analyst"], escalate.PolicyFilter{Unit: "A"})
		if err != nil || total != 1 || ps[0].Name != "Tỉnh A" {
			t.Errorf("analyst lists %d policies (%v)", total, err)
		}
		if err := f.svc.DeletePolicy(f.ctx["officera"], p.ID); err != nil {
			t.Fatal(err)
		}
		var audited int
		db.QueryRow(f.sys, `SELECT COUNT(*) FROM audit_log WHERE object_type = 'escalation_policy'`).Scan(&audited)
		if audited != 3 {
			t.Errorf("%d audit rows for policies, want 3", audited)
		}
	})
}

func TestChannelsKeepTheirSecrets(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		api := escalatetest.NewTelegramAPI(t)
		f.svc.TelegramAPI = api.URL
		c, err := f.svc.CreateChannel(f.ctx["officera"], escalate.ChannelInput{Unit: "A", Name: "Nhóm trực", Kind: escalate.KindTelegram, Target: "-1001234567890", Secret: api.Token})
		if err != nil {
			t.Fatal(err)
		}
		if !c.SecretSet || c.SecretHint != "…"+api.Token[len(api.Token)-4:] {
			t.Errorf("secret shown as %v %q", c.SecretSet, c.SecretHint)
		}
		n, err := f.svc.TestChannel(f.ctx["officera"], c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n.Status != escalate.StatusDelivered {
			t.Fatalf("test: %+v", n)
		}
		sent := api.Sent()
		if len(sent) != 1 || sent[0].ChatID != "-1001234567890" || !strings.Contains(sent[0].Text, "Thử kênh thông báo Nhóm trực") {
			t.Fatalf("telegram got %+v", sent)
		}
		// Renamed without a secret: the token is kept.
		c, err = f.svc.UpdateChannel(f.ctx["officera"], c.ID, escalate.ChannelInput{Unit: "A", Name: "Nhóm trực ca", Kind: escalate.KindTelegram, Target: "-1001234567890", Lang: "en"})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := f.svc.TestChannel(f.ctx["officera"], c.ID); err != nil || n.Status != escalate.StatusDelivered || !strings.Contains(api.Sent()[1].Text, "Test of notification channel") {
			t.Fatalf("test after rename: %+v %v", n, err)
		}
		// A wrong token: the failure is recorded, and names no token.
		wrong := "987654321:AAHwrongwrongwrongwrongwrong"
		if _, err := f.svc.UpdateChannel(f.ctx["officera"], c.ID, escalate.ChannelInput{Unit: "A", Name: "Nhóm trực ca", Kind: escalate.KindTelegram, Target: "-1001234567890", Secret: wrong}); err != nil {
			t.Fatal(err)
		}
		n, err = f.svc.TestChannel(f.ctx["officera"], c.ID)
		if err != nil || n.Status != escalate.StatusFailed || !strings.Contains(n.LastError, "401") || strings.Contains(n.LastError, "wrongwrong") {
			t.Fatalf("wrong token: %+v %v", n, err)
		}
		// The API unreachable: the network error names no token either.
		f.svc.TelegramAPI = "http://127.0.0.1:1"
		n, _ = f.svc.TestChannel(f.ctx["officera"], c.ID)
		if n.Status != escalate.StatusFailed || strings.Contains(n.LastError, "wrongwrong") || n.LastError == "" {
			t.Fatalf("unreachable: %q", n.LastError)
		}
		var leaked int
		db.QueryRow(f.sys, `SELECT COUNT(*) FROM audit_log WHERE summary LIKE ? OR summary LIKE ?`, "%wrongwrong%", "%"+api.Token[12:]+"%").Scan(&leaked)
		if leaked != 0 {
			t.Errorf("%d audit rows hold a bot token", leaked)
		}
		// Scope.
		if _, err := f.svc.TestChannel(f.ctx["officerb"], c.ID); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("officer B tests A's channel: %v", err)
		}
		if _, err := f.svc.TestChannel(f.ctx["viewera"], c.ID); errs.Code(err) != errs.EFORBIDDEN {
			t.Errorf("viewer tests: %v", err)
		}
		for _, in := range []escalate.ChannelInput{
			{Unit: "A", Name: "w", Kind: escalate.KindWebhook, Target: "ftp://x", Secret: "0123456789abcdef"},
			{Unit: "A", Name: "w", Kind: escalate.KindWebhook, Target: "https://x.test/h", Secret: "short"},
			{Unit: "A", Name: "t", Kind: escalate.KindTelegram, Target: "-100", Secret: "nope"},
			{Unit: "A", Name: "m", Kind: escalate.KindEmail, Target: "a@b.vn, not-an-address"},
			{Unit: "A", Name: "s", Kind: "sms", Target: "0900"},
		} {
			if _, err := f.svc.CreateChannel(f.ctx["officera"], in); errs.Code(err) != errs.EINVALID {
				t.Errorf("%+v: %v", in, err)
			}
		}
	})
}

func TestEmailChannelAndSMTPRefusals(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		c, err := f.svc.CreateChannel(f.sys, escalate.ChannelInput{Unit: "A", Name: "Hộp thư trực", Kind: escalate.KindEmail, Target: "truc1@a.test; truc2@a.test"})
		if err != nil {
			t.Fatal(err)
		}
		n, err := f.svc.TestChannel(f.sys, c.ID)
		if err != nil || n.Status != escalate.StatusDelivered {
			t.Fatalf("%+v %v", n, err)
		}
		if m := f.smtp.Messages(); len(m) != 1 || !slices.Equal(m[0].To, []string{"truc1@a.test", "truc2@a.test"}) || !m[0].TLS {
			t.Fatalf("messages %+v", m)
		}
		// A wrong password is refused for good (535), and not retried.
		f.svc.Mail.Password = "wrong"
		n, _ = f.svc.TestChannel(f.sys, c.ID)
		if n.Status != escalate.StatusFailed || !strings.Contains(n.LastError, "535") || strings.Contains(n.LastError, f.smtp.Password) {
			t.Fatalf("wrong password: %+v", n)
		}
		// No SMTP server configured.
		f.svc.Mail = nil
		n, _ = f.svc.TestChannel(f.sys, c.ID)
		if n.Status != escalate.StatusFailed || !strings.Contains(n.LastError, "--smtp-addr") {
			t.Fatalf("no server: %+v", n)
		}
	})
}

func TestWebhookSignature(t *testing.T) {
	secret := []byte("whsec-0123456789abcdef")
	body := []byte(`{"event":"alert.escalated"}`)
	at := time.Unix(1800000000, 0)
	h := escalate.Sign(secret, at, body)
	if !strings.HasPrefix(h, "t=1800000000,v1=") || len(h) != len("t=1800000000,v1=")+64 {
		t.Fatalf("header %q", h)
	}
	if err := escalate.Verify(secret, h, body, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := escalate.Verify(secret, h, []byte(`{"event":"alert.closed"}`), at, 5*time.Minute); err != escalate.ErrBadSignature {
		t.Errorf("changed body: %v", err)
	}
	if err := escalate.Verify([]byte("another-secret-xxxxxx"), h, body, at, 5*time.Minute); err != escalate.ErrBadSignature {
		t.Errorf("other secret: %v", err)
	}
	if err := escalate.Verify(secret, h, body, at.Add(6*time.Minute), 5*time.Minute); err != escalate.ErrStale {
		t.Errorf("replayed later: %v", err)
	}
	if err := escalate.Verify(secret, "t=1800000000", body, at, 5*time.Minute); err != escalate.ErrBadSignature {
		t.Errorf("no v1: %v", err)
	}
	// A timestamp moved forward without re-signing does not verify.
	forged := strings.Replace(h, "t=1800000000", "t=1800000300", 1)
	if err := escalate.Verify(secret, forged, body, at.Add(5*time.Minute), 5*time.Minute); err != escalate.ErrBadSignature {
		t.Errorf("forged timestamp: %v", err)
	}
}

func TestDemo(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.alerts.add(escalate.Alert{ID: 5, Title: "Mimikatz", Severity: "critical", Host: "pc-a", UnitID: f.units["A"], FirstSeen: f.clock().Add(-time.Hour), Raised: f.clock().Add(-time.Hour)})
		f.alerts.add(escalate.Alert{ID: 6, Title: "Quét cổng", Severity: "high", Host: "pc-a1", UnitID: f.units["A1"], FirstSeen: f.clock().Add(-time.Hour)})
		n, err := f.svc.LoadDemo(context.Background(), map[string]string{"A": "officera@test.vigil"}, "analyst@test.vigil")
		if err != nil || n != 1 {
			t.Fatalf("demo: %d policies, %v", n, err)
		}
		if n, err := f.svc.LoadDemo(context.Background(), nil, ""); err != nil || n != 0 {
			t.Fatalf("demo twice: %d, %v", n, err)
		}
		log := f.log(t, escalate.NotificationFilter{})
		if len(log) != 5 {
			t.Fatalf("%d demo notifications, want 5", len(log))
		}
		var delivered, failed int
		for _, n := range log {
			switch n.Status {
			case escalate.StatusDelivered:
				delivered++
			case escalate.StatusFailed:
				failed++
			}
		}
		if delivered != 4 || failed != 1 {
			t.Errorf("%d delivered, %d failed", delivered, failed)
		}
		// The demo's steps count as reached: the worker goes on from
		// step 3, and never repeats the first two.
		f.tick(t)
		if after := f.log(t, escalate.NotificationFilter{AlertID: 5}); len(after) < 3 || after[0].Step != 1 || after[1].Step != 2 {
			t.Errorf("after a tick: %+v", after)
		}
		for _, n := range f.log(t, escalate.NotificationFilter{}) {
			if n.Step <= 2 && n.Target != "channel" && n.Attempts != 1 {
				t.Errorf("demo step sent again: %+v", n)
			}
		}
	})
}
