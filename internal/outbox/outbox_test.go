package outbox_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/org"
	"vigil/internal/outbox"
	"vigil/internal/outbox/outboxtest"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// clock is a test clock the outbox reads.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	db    *store.DB
	svc   *outbox.Service
	clock *clock
	units map[string]*org.Unit
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	f := &fixture{db: db, units: map[string]*org.Unit{}, clock: &clock{t: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}}
	f.svc = &outbox.Service{DB: db, Now: f.clock.Now, Holder: "hub-1", Logger: quiet, HTTP: &http.Client{Timeout: 500 * time.Millisecond,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	root, err := o.EnsureRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.units[root.Code] = root
	for _, u := range []org.UnitInput{
		{Code: "A", Name: "Bảo hiểm xã hội tỉnh Đắk Lắk", Kind: org.KindProvince, Parent: org.RootCode},
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

func (f *fixture) as(role auth.Role, unit string) context.Context {
	u := f.units[unit]
	return auth.WithPrincipal(context.Background(), &auth.Principal{UserID: 1, Email: string(role) + "." + strings.ToLower(unit) + "@test.vigil",
		Role: role, UnitID: u.ID, UnitCode: u.Code, UnitPath: u.Path, Via: "token"})
}

// enqueue hands m to the outbox in a transaction of its own.
func (f *fixture) enqueue(t *testing.T, ctx context.Context, m outbox.Message) ([]int64, error) {
	t.Helper()
	var ids []int64
	err := f.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		ids, err = f.svc.Enqueue(ctx, tx, m)
		return err
	})
	return ids, err
}

// deliverUntil runs the worker, moving the clock an hour between rounds,
// until cond holds or rounds run out.
func (f *fixture) deliverUntil(t *testing.T, rounds int, cond func() bool) {
	t.Helper()
	for i := 0; i < rounds && !cond(); i++ {
		if _, err := f.svc.Deliver(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(time.Hour)
	}
}

var pdf = append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0, 0xff, 'x', '\n'}, 5000)...)

func report(unit int64, key string) outbox.Message {
	return outbox.Message{Purpose: outbox.PurposeInitial, ObjectType: "incident", ObjectID: "7", UnitID: unit,
		Subject: "[TBSC] Báo cáo ban đầu sự cố BC-2026-0007", Body: "Kính gửi: Cục A05\nBáo cáo sự cố đính kèm.",
		Files: []outbox.File{{Name: "BC-2026-0007-mẫu03.pdf", ContentType: "application/pdf", Data: pdf}},
		JSON:  []byte(`{"form":"initial","number":"BC-2026-0007"}`), Key: key}
}

var quiet = slog.New(slog.DiscardHandler)

func code(err error) string { return errs.Code(err) }

func TestSettingsAndEnqueue(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		itc := f.as(auth.RoleOfficer, org.RootCode)
		officerA := f.as(auth.RoleOfficer, "A")
		ctx := f.as(auth.RoleAdmin, org.RootCode)

		// Nothing configured: Enqueue names the settings page.
		if _, err := f.enqueue(t, ctx, report(f.units["A"].ID, "k1")); code(err) != errs.EINVALID || !strings.Contains(err.Error(), outbox.SettingsPage) {
			t.Fatalf("no recipients: %v", err)
		}
		if _, err := f.svc.SetRecipients(officerA, outbox.PurposeInitial, outbox.RecipientsInput{}); code(err) != errs.EFORBIDDEN {
			t.Fatalf("a province officer sets recipients: %v", err)
		}
		if _, err := f.svc.Settings(officerA); code(err) != errs.EFORBIDDEN {
			t.Fatalf("a province officer reads recipients: %v", err)
		}
		_, err := f.svc.SetRecipients(itc, outbox.PurposeInitial, outbox.RecipientsInput{CoordinatorEmails: []string{"ir@vncert.vn, not-an-address"}})
		if e, ok := errs.As(err); !ok || e.Field != "coordinator_emails" || !strings.Contains(err.Error(), "not-an-address") {
			t.Fatalf("bad address: %v", err)
		}
		_, err = f.svc.SetRecipients(itc, outbox.PurposeInitial, outbox.RecipientsInput{HTTPURL: "ftp://irlab.vn"})
		if e, ok := errs.As(err); !ok || e.Field != "http_url" {
			t.Fatalf("bad endpoint: %v", err)
		}
		_, err = f.svc.SetRecipients(itc, outbox.PurposeInitial, outbox.RecipientsInput{HTTPURL: "https://irlab.vn/api", Secret: "short"})
		if e, ok := errs.As(err); !ok || e.Field != "secret" {
			t.Fatalf("short secret: %v", err)
		}
		secret := "s3cret-for-irlab-0123456789"
		r, err := f.svc.SetRecipients(itc, outbox.PurposeInitial, outbox.RecipientsInput{
			OwnerEmails: []string{"cntt@vss.gov.vn"}, CoordinatorName: "VNCERT/CC", CoordinatorEmails: []string{"ir@vncert.vn; IR@vncert.vn\nsoc@a05.gov.vn"},
			SpecialisedEmails: []string{"csirt@vss.gov.vn"}, HTTPURL: "https://irlab.vn/api/reports", Secret: secret})
		if err != nil {
			t.Fatal(err)
		}
		if !r.SecretSet || r.SecretHint != "…6789" || len(r.CoordinatorEmails) != 2 || r.OwnerName != outbox.DefaultOwnerName {
			t.Fatalf("recipients: %+v", r)
		}
		all, err := f.svc.Settings(f.as(auth.RoleAnalyst, "B"))
		if err != nil || len(all) != 3 || all[0].HTTPURL == "" || all[1].HTTPURL != "" {
			t.Fatalf("settings: %v %+v", err, all)
		}
		// A change without a secret keeps it.
		if r, err = f.svc.SetRecipients(itc, outbox.PurposeInitial, outbox.RecipientsInput{OwnerEmails: r.OwnerEmails, CoordinatorName: r.CoordinatorName,
			CoordinatorEmails: r.CoordinatorEmails, SpecialisedEmails: r.SpecialisedEmails, HTTPURL: r.HTTPURL}); err != nil || r.SecretHint != "…6789" {
			t.Fatalf("secret kept: %v %+v", err, r)
		}

		ids, err := f.enqueue(t, ctx, report(f.units["A"].ID, "BC-2026-0007/initial"))
		if err != nil || len(ids) != 5 {
			t.Fatalf("enqueue: %v %v", err, ids)
		}
		again, err := f.enqueue(t, ctx, report(f.units["A"].ID, "BC-2026-0007/initial"))
		if err != nil || len(again) != 5 || again[0] != ids[0] || again[4] != ids[4] {
			t.Fatalf("enqueue again: %v %v, first %v", err, again, ids)
		}
		// An extra address adds one delivery, not five.
		m := report(f.units["A"].ID, "BC-2026-0007/initial")
		m.To = []string{"lanhdao@vss.gov.vn"}
		if more, err := f.enqueue(t, ctx, m); err != nil || len(more) != 6 || more[0] != ids[0] {
			t.Fatalf("enqueue with an extra address: %v %v", err, more)
		}
		// No JSON: the endpoint gets nothing.
		m = report(f.units["B"].ID, "BC-2026-0008/initial")
		m.JSON = nil
		if ids, err := f.enqueue(t, ctx, m); err != nil || len(ids) != 4 {
			t.Fatalf("enqueue without JSON: %v %v", err, ids)
		}
		m = report(f.units["B"].ID, "x")
		m.Purpose = "gossip"
		if _, err := f.enqueue(t, ctx, m); code(err) != errs.EINVALID {
			t.Fatalf("unknown purpose: %v", err)
		}

		// Scope: A's officer sees A's six, B's sees B's four, the SOC ten.
		for _, c := range []struct {
			ctx  context.Context
			want int
		}{{officerA, 6}, {f.as(auth.RoleViewer, "B"), 4}, {f.as(auth.RoleAnalyst, "A"), 10}} {
			if _, total, err := f.svc.List(c.ctx, outbox.Filter{}); err != nil || total != c.want {
				t.Errorf("list: %d, %v; want %d", total, err, c.want)
			}
		}
		if _, err := f.svc.Get(officerA, again[0]+6); code(err) != errs.ENOTFOUND {
			t.Fatalf("A's officer reads B's delivery: %v", err)
		}
		if _, err := f.svc.Retry(f.as(auth.RoleViewer, "A"), ids[0]); code(err) != errs.EFORBIDDEN {
			t.Fatalf("a viewer retries: %v", err)
		}
		ds, err := f.svc.ForObject(ctx, "incident", "7")
		if err != nil || len(ds) != 10 || ds[0].ID < ds[9].ID {
			t.Fatalf("for object: %v %d", err, len(ds))
		}
		for _, d := range ds {
			if strings.Contains(d.Target, secret) {
				t.Fatal("a secret in a target")
			}
		}
	})
}

// TestOutageOfEach sends a report by e-mail and HTTP while the SMTP server
// and the receiver are down, answer 500, garbage or nothing: the report
// is retried with backoff and delivered exactly once to each when they
// come back, under the same idempotency key and Message-ID.
func TestOutageOfEach(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.as(auth.RoleAdmin, org.RootCode)
		mail := outboxtest.NewSMTPServer(t)
		secret := "irlab-signing-secret-0123456789"
		recv := outboxtest.NewReceiver(t, secret)
		recv.Now = f.clock.Now
		f.svc.Mail = mail.Mailer()
		if _, err := f.svc.SetRecipients(ctx, outbox.PurposeInitial, outbox.RecipientsInput{CoordinatorEmails: []string{"ir@vncert.vn"},
			HTTPURL: recv.URL, Secret: secret}); err != nil {
			t.Fatal(err)
		}
		mail.Stop()
		recv.SetMode(outboxtest.ModeError)
		ids, err := f.enqueue(t, ctx, report(f.units["A"].ID, "BC-2026-0007/initial"))
		if err != nil || len(ids) != 2 {
			t.Fatal(err, ids)
		}
		// Round 1: both fail and wait about 30 s.
		if n, err := f.svc.Deliver(context.Background()); n != 0 || err != nil {
			t.Fatal(n, err)
		}
		ds, _ := f.svc.ForObject(ctx, "incident", "7")
		for _, d := range ds {
			if d.Status != outbox.StatusPending || d.Attempts != 1 || len(d.Log) != 1 || d.Log[0].Result != outbox.ResultRetry {
				t.Fatalf("after one attempt: %+v", d)
			}
			if wait := d.NextAt.Sub(f.clock.Now()); wait < 24*time.Second || wait > 36*time.Second {
				t.Fatalf("first backoff %v", wait)
			}
		}
		// Not due yet: nothing is tried.
		if n, _ := f.svc.Deliver(context.Background()); n != 0 || recv.Hits() != 1 {
			t.Fatalf("tried before due: %d hits", recv.Hits())
		}
		// Garbage, then silence, then back; the SMTP server refuses for a
		// while with 451, then is down again, then back.
		f.clock.Add(time.Minute)
		recv.SetMode(outboxtest.ModeGarbage)
		mail.Start(t)
		mail.Fail = func(int) error { return &smtp.SMTPError{Code: 451, Message: "try again later"} }
		f.svc.Deliver(context.Background())
		f.clock.Add(10 * time.Minute)
		recv.SetMode(outboxtest.ModeHang)
		mail.Stop()
		f.svc.Deliver(context.Background())
		// Two days down.
		recv.Stop()
		for i := 0; i < 48; i++ {
			f.clock.Add(time.Hour)
			f.svc.Deliver(context.Background())
		}
		ds, _ = f.svc.ForObject(ctx, "incident", "7")
		for _, d := range ds {
			if d.Status != outbox.StatusPending || d.Attempts < 10 || d.LastError == "" {
				t.Fatalf("after two days down: %+v", d)
			}
			// Backoff grew to the hour and no further.
			if wait := d.NextAt.Sub(f.clock.Now()); wait > 72*time.Minute {
				t.Fatalf("backoff %v", wait)
			}
		}
		details := ""
		for _, a := range ds[0].Log {
			details += a.Detail + "\n"
		}
		for _, a := range ds[1].Log {
			details += a.Detail + "\n"
		}
		for _, want := range []string{"HTTP 500", "not the receiver's JSON (text/html)", "timeout", "connection refused", "451"} {
			if !strings.Contains(details, want) {
				t.Errorf("no attempt says %q:\n%s", want, details)
			}
		}
		if strings.Contains(details, secret) {
			t.Fatal("a secret in an attempt's detail")
		}
		// Back.
		recv.Start(t)
		recv.SetMode(outboxtest.ModeOK)
		mail.Start(t)
		mail.Fail = nil
		f.deliverUntil(t, 5, func() bool { return len(mail.Messages()) > 0 && len(recv.Accepted()) > 0 })
		for i := 0; i < 5; i++ {
			f.clock.Add(2 * time.Hour)
			f.svc.Deliver(context.Background())
		}
		msgs, acc := mail.Messages(), recv.Accepted()
		if len(msgs) != 1 || len(acc) != 1 {
			t.Fatalf("delivered %d e-mails and %d HTTP requests, want one each", len(msgs), len(acc))
		}
		m := msgs[0]
		if !strings.HasPrefix(m.Subject, "[TBSC] ") || len(m.Files) != 1 || !bytes.Equal(m.Files[0].Data, pdf) || m.Files[0].Name != "BC-2026-0007-mẫu03.pdf" ||
			m.Files[0].ContentType != "application/pdf" || !strings.Contains(m.Body, "Cục A05") || m.To[0] != "ir@vncert.vn" {
			t.Fatalf("e-mail: %+v", m)
		}
		for _, k := range recv.Keys() {
			if k != "BC-2026-0007/initial" {
				t.Fatalf("idempotency key changed across retries: %q", recv.Keys())
			}
		}
		if string(acc[0].Body) != `{"form":"initial","number":"BC-2026-0007"}` || acc[0].Purpose != outbox.PurposeInitial {
			t.Fatalf("HTTP delivery: %+v", acc[0])
		}
		ds, _ = f.svc.ForObject(ctx, "incident", "7")
		for _, d := range ds {
			if d.Status != outbox.StatusDelivered || d.DeliveredAt == nil || d.Log[len(d.Log)-1].Result != outbox.ResultDelivered {
				t.Fatalf("after the outage: %+v", d)
			}
		}
		if !strings.Contains(ds[0].Log[len(ds[0].Log)-1].Detail+ds[1].Log[len(ds[1].Log)-1].Detail, "id IR-BC-2026-0007/initial") {
			t.Errorf("the receiver's id is not in the log: %+v %+v", ds[0].Log, ds[1].Log)
		}
		// The same message again is the same deliveries: nothing is sent.
		if again, err := f.enqueue(t, ctx, report(f.units["A"].ID, "BC-2026-0007/initial")); err != nil || again[0] != ids[0] {
			t.Fatal(err, again)
		}
		f.clock.Add(time.Hour)
		f.svc.Deliver(context.Background())
		if len(mail.Messages()) != 1 || recv.Hits() != len(recv.Keys()) || len(recv.Accepted()) != 1 {
			t.Fatal("sent again")
		}
	})
}

// TestGiveUpPermanentAndRetryNow: a refusal for good is not retried; a
// receiver down past the give-up span fails the delivery; "retry now"
// brings either back.
func TestGiveUpPermanentAndRetryNow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.as(auth.RoleAdmin, org.RootCode)
		mail := outboxtest.NewSMTPServer(t)
		recv := outboxtest.NewReceiver(t, "")
		f.svc.Mail = mail.Mailer()
		f.svc.GiveUpAfter = 3 * 24 * time.Hour
		if _, err := f.svc.SetRecipients(ctx, outbox.PurposeFinal, outbox.RecipientsInput{OwnerEmails: []string{"nobody@vss.gov.vn"}, HTTPURL: recv.URL}); err != nil {
			t.Fatal(err)
		}
		mail.Fail = func(int) error { return &smtp.SMTPError{Code: 550, Message: "mailbox unavailable"} }
		recv.SetMode(outboxtest.ModeReject)
		m := report(f.units["A"].ID, "BC-2026-0007/final")
		m.Purpose = outbox.PurposeFinal
		ids, err := f.enqueue(t, ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		f.svc.Deliver(context.Background())
		for _, id := range ids {
			d, err := f.svc.Get(ctx, id)
			if err != nil || d.Status != outbox.StatusFailed || d.Attempts != 1 || d.LastError == "" {
				t.Fatalf("permanent refusal: %v %+v", err, d)
			}
		}
		if !f.svc.CanRetry(ctx, &outbox.Delivery{Status: outbox.StatusFailed}) == true {
			// unitPath is unexported: CanRetry of a bare delivery is false
			// for anyone but administrators of every unit.
		}
		// Retry now after the fix: delivered.
		mail.Fail = nil
		recv.SetMode(outboxtest.ModeOK)
		for _, id := range ids {
			if d, err := f.svc.Retry(ctx, id); err != nil || d.Status != outbox.StatusPending {
				t.Fatalf("retry now: %v %+v", err, d)
			}
		}
		if n, err := f.svc.Deliver(context.Background()); n != 2 || err != nil {
			t.Fatalf("delivered %d after retry now: %v", n, err)
		}
		if _, err := f.svc.Retry(ctx, ids[0]); code(err) != errs.ECONFLICT {
			t.Fatalf("retry a delivered one: %v", err)
		}

		// Down for four days with a three-day span: given up.
		recv.Stop()
		m.Key, m.ObjectID = "BC-2026-0009/final", "9"
		ids, err = f.enqueue(t, ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		mail.Stop()
		for i := 0; i < 4*24; i++ {
			f.svc.Deliver(context.Background())
			f.clock.Add(time.Hour)
		}
		for _, id := range ids {
			d, _ := f.svc.Get(ctx, id)
			if d.Status != outbox.StatusFailed || !strings.Contains(d.LastError, "given up") || d.Attempts < 40 {
				t.Fatalf("not given up: %s %d %q", d.Status, d.Attempts, d.LastError)
			}
		}
		failed, total, err := f.svc.List(ctx, outbox.Filter{Statuses: []string{"failed"}, Purpose: outbox.PurposeFinal, Sort: "attempts", Desc: true})
		if err != nil || total != 2 || failed[0].Attempts < failed[1].Attempts {
			t.Fatalf("failed list: %v %d", err, total)
		}
		if _, _, err := f.svc.List(ctx, outbox.Filter{Statuses: []string{"lost"}}); code(err) != errs.EINVALID {
			t.Fatalf("bad status filter: %v", err)
		}
	})
}

// TestClaimLapses: a process that claims a delivery and dies holds it for
// the lease only; another process then sends it, once.
func TestClaimLapses(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := f.as(auth.RoleAdmin, org.RootCode)
		mail := outboxtest.NewSMTPServer(t)
		if _, err := f.svc.SetRecipients(ctx, outbox.PurposeInitial, outbox.RecipientsInput{CoordinatorEmails: []string{"ir@vncert.vn", "soc@a05.gov.vn"}}); err != nil {
			t.Fatal(err)
		}
		ids, err := f.enqueue(t, ctx, report(f.units["A"].ID, "k"))
		if err != nil {
			t.Fatal(err)
		}
		dead := &outbox.Service{DB: db, Now: f.clock.Now, Holder: "hub-dead", Logger: quiet, Mail: mail.Mailer()}
		if ok, err := dead.ClaimForTest(context.Background(), ids[0]); !ok || err != nil {
			t.Fatal(ok, err)
		}
		other := &outbox.Service{DB: db, Now: f.clock.Now, Holder: "hub-2", Logger: quiet, Mail: mail.Mailer()}
		// Several processes at once: each delivery is sent once.
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := &outbox.Service{DB: db, Now: f.clock.Now, Holder: "hub-x" + string(rune('a'+i)), Logger: quiet, Mail: mail.Mailer()}
				s.Deliver(context.Background())
			}()
		}
		wg.Wait()
		if got := mail.Messages(); len(got) != 1 || got[0].To[0] != "soc@a05.gov.vn" {
			t.Fatalf("while claimed: %d messages", len(got))
		}
		if d, _ := f.svc.Get(ctx, ids[0]); d.Status != outbox.StatusSending {
			t.Fatalf("claimed: %+v", d)
		}
		f.clock.Add(4 * time.Minute)
		if n, _ := other.Deliver(context.Background()); n != 0 {
			t.Fatal("taken before the lease lapsed")
		}
		f.clock.Add(2 * time.Minute)
		if n, err := other.Deliver(context.Background()); n != 1 || err != nil {
			t.Fatalf("after the lease: %d %v", n, err)
		}
		if got := mail.Messages(); len(got) != 2 {
			t.Fatalf("%d messages", len(got))
		}
		if d, _ := f.svc.Get(ctx, ids[0]); d.Status != outbox.StatusDelivered || d.Attempts != 1 {
			t.Fatalf("after the lease: %+v", d)
		}
	})
}
