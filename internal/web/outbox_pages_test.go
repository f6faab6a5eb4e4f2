package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"vigil/internal/store/storetest"
)

// The outbox pages: the deliveries with "retry now", the recipients'
// settings that come back with the input kept and the reason beside the
// field, never showing the secret; in both languages with no raw key.
func TestOutboxPages(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	ids := w.outboxFor(t, "A", "BC-2026-0001/initial")
	// One round of the worker: no SMTP server, nothing listening on the
	// endpoint; both are retried and say why.
	if _, err := w.hub.Outbox.Deliver(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"vi", "en"} {
		for _, c := range []struct{ actor, path, want string }{
			{"officerA", "/outbox", `action="/outbox/` + ids[0] + `/retry"`},
			{"viewerA", "/outbox", `id="outbox-table"`},
			{"admin", "/outbox?status=pending&purpose=incident_initial&channel=http", `id="delivery-` + ids[1] + `"`},
			{"admin", "/settings/outbox", `id="form-incident_initial"`},
			{"analyst", "/settings/outbox", "ir@vncert.test"},
			{"viewerA", "/outbox/" + ids[1], `id="attempts-table"`},
			{"officerA", "/outbox/" + ids[0], `action="/outbox/` + ids[0] + `/retry"`},
		} {
			status, body := w.getPage(c.actor, lang, c.path)
			if status != 200 || !strings.Contains(body, c.want) {
				t.Errorf("%s %s (%s): status %d, want %q in the page", c.actor, c.path, lang, status, c.want)
				continue
			}
			for _, raw := range []string{">outbox.", ">field.", "%!", "outbox-secret"} {
				if strings.Contains(body, raw) {
					t.Errorf("%s %s (%s) shows %q", c.actor, c.path, lang, raw)
				}
			}
		}
	}
	// The receiver's guide reads in the reader's language, with the key
	// the outbox really sends; the hub's own change names the system.
	if _, err := w.db.Exec(context.Background(), `UPDATE outbox_settings SET updated_by = 'system'`); err != nil {
		t.Fatal(err)
	}
	_, guide := w.getPage("analyst", "vi", "/settings/outbox")
	for _, bad := range []string{"delivered", "retried", "fix the settings", "BC-2026-0007/initial", "bởi system"} {
		if strings.Contains(guide, bad) {
			t.Errorf("/settings/outbox (vi) shows %q", bad)
		}
	}
	if !strings.Contains(guide, "Idempotency-Key: vigil-natreport-") || !strings.Contains(guide, "gửi lại sau") {
		t.Error("/settings/outbox (vi): the receiver's guide is not the real one in Vietnamese")
	}
	if _, body := w.getPage("viewerA", "vi", "/outbox"); strings.Contains(body, "/retry") {
		t.Error("a viewer is offered retry now")
	}
	if _, body := w.getPage("officerB", "vi", "/outbox"); strings.Contains(body, "delivery-"+ids[0]) {
		t.Error("officerB sees A's delivery")
	}
	if status, _ := w.getPage("officerB", "vi", "/outbox/"+ids[0]); status != 404 {
		t.Errorf("officerB opens A's delivery: %d", status)
	}
	if status, _ := w.getPage("officerA", "vi", "/settings/outbox"); status != 403 {
		t.Errorf("officerA opens the settings: %d", status)
	}
	// Retry now comes back to the list.
	status, _ := w.postForm("officerA", "vi", "/outbox/"+ids[0]+"/retry", url.Values{"back": {"/outbox?status=pending"}})
	if status != 303 {
		t.Errorf("retry now: status %d", status)
	}
	// A bad address comes back with the input kept and the reason beside it.
	form := url.Values{"purpose": {"incident_final"}, "coordinator_name": {"Cục A05"}, "coordinator_emails": {"ir@a05.test, sai-dia-chi"}, "secret": {"short"}}
	status, body := w.postForm("admin", "vi", "/settings/outbox", form)
	if status != 400 || !strings.Contains(body, "sai-dia-chi") || !strings.Contains(fieldMessage(body, "coordinator_emails"), "sai-dia-chi") {
		t.Errorf("bad address: status %d, message %q", status, fieldMessage(body, "coordinator_emails"))
	}
	form.Set("coordinator_emails", "ir@a05.test")
	form.Set("secret", "")
	if status, _ := w.postForm("admin", "vi", "/settings/outbox", form); status != 303 {
		t.Errorf("good form: status %d", status)
	}
	if _, body := w.getPage("admin", "en", "/settings/outbox"); !strings.Contains(body, "Cục A05") {
		t.Error("the coordinator's name is not kept")
	}
}
