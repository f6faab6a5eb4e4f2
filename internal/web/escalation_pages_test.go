package web_test

import (
	"net/url"
	"strings"
	"testing"
)

// The escalation forms come back with what was typed and the message
// beside the field (a step's beside its row); the secret is never sent
// back; the log pages, sorts and exports.
func TestEscalationPages(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		e := w.escalation(t)
		// A step with an unknown user: row 2's message, the rows kept.
		form := url.Values{"name": {"Tỉnh A — khẩn"}, "unit": {"A"}, "min_severity": {"critical"},
			"delay_1": {"15"}, "target_1": {"unit_duty"}, "delay_2": {"10"}, "target_2": {"user"}, "user_2": {"khong.co@test.vigil"}}
		st, body := w.postForm("officerA", "vi", "/escalation/policies", form)
		if st != 400 {
			t.Fatalf("bad step: %d %.300s", st, body)
		}
		for _, want := range []string{`value="Tỉnh A — khẩn"`, `value="khong.co@test.vigil"`, `value="15"`, `class="field-error" role="alert">&#34;khong.co@test.vigil&#34; không phải`} {
			if !strings.Contains(body, want) {
				t.Errorf("the refused form lacks %s", want)
			}
		}
		// A delay that is not a number.
		form.Set("user_2", "viewera@test.vigil")
		form.Set("delay_2", "mười")
		st, body = w.postForm("officerA", "en", "/escalation/policies", form)
		if st != 400 || !strings.Contains(body, "Must be a number of minutes from 0 to 10080") || !strings.Contains(body, `value="mười"`) {
			t.Errorf("bad delay: %d", st)
		}
		// Fixed: created, and the browser goes to the policy's page.
		form.Set("delay_2", "10")
		if st, _ := w.postForm("officerA", "vi", "/escalation/policies", form); st != 303 {
			t.Fatalf("good policy: %d", st)
		}
		// A channel with a short secret: the message beside it, the
		// secret not sent back.
		st, body = w.postForm("officerA", "vi", "/escalation/channels", url.Values{"name": {"SIEM tỉnh"}, "unit": {"A"}, "kind": {"webhook"},
			"target": {"https://siem.a.test/hook"}, "secret": {"ngan-qua"}})
		if st != 400 || fieldMessage(body, "secret") == "" || strings.Contains(body, "ngan-qua") || !strings.Contains(body, `value="https://siem.a.test/hook"`) {
			t.Errorf("short secret: %d %q", st, fieldMessage(body, "secret"))
		}
		// Deleting a channel a policy uses: refused, and the page says why.
		st, body = w.postForm("admin", "vi", "/escalation/channels/"+e.channelA+"/delete", nil)
		if st != 409 || !strings.Contains(body, "đang được chính sách leo thang") {
			t.Errorf("delete a used channel: %d", st)
		}
		// Send a test from the page: the result shows (no SMTP server here).
		st, body = w.postForm("officerA", "en", "/escalation/channels/"+e.channelA+"/test", nil)
		if st != 200 || !strings.Contains(body, "The test was not delivered") || !strings.Contains(body, "--smtp-addr") {
			t.Errorf("test from the page: %d", st)
		}
		// The log: the test is in it, sortable and exported.
		st, body = w.getPage("officerA", "vi", "/escalation/notifications?sort=created&order=desc")
		if st != 200 || !strings.Contains(body, "Thất bại") || !strings.Contains(body, "Trực tỉnh A") {
			t.Errorf("log page: %d", st)
		}
		st, body = w.getPage("officerA", "vi", "/escalation/notifications?format=csv")
		if st != 200 || !strings.Contains(body, "Người / kênh nhận") || !strings.Contains(body, "Trực tỉnh A") {
			t.Errorf("log export: %d %.200s", st, body)
		}
		if st, body = w.getPage("officerB", "vi", "/escalation/notifications?format=csv"); strings.Contains(body, "Trực tỉnh A") {
			t.Errorf("officerB's export holds A's notifications")
		}
		st, body = w.getPage("officerA", "en", "/escalation")
		if st != 200 || !strings.Contains(body, "Tỉnh A — khẩn") || !strings.Contains(body, "after 15 min") {
			t.Errorf("policies page: %d", st)
		}
	})
}
