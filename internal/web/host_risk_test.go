package web_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHostPageAcceptsARisk accepts a risk from a finding's row on the
// host's page: without an approver the row comes back with what was typed
// and the reason beside the approver field; with an approver and an end
// date the finding is accepted.
func TestHostPageAcceptsARisk(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		addFindings(t, w, 1)
		items := w.call("officerB", "GET", "/api/v1/findings?kind=vulnerability", nil).items(t)
		if len(items) != 1 {
			t.Fatalf("%d vulnerability findings, want 1", len(items))
		}
		id := strconv.FormatInt(int64(items[0]["id"].(float64)), 10)
		end := time.Now().AddDate(0, 2, 0).Format("02/01/2006")
		status, body := w.postForm("officerB", "vi", "/findings/"+id, url.Values{
			"status": {"accepted_risk"}, "note": {"Chỉ mở trong mạng nội bộ"}, "approver": {""}, "expires": {end}})
		if status != 400 {
			t.Fatalf("accepting without an approver: %d", status)
		}
		if msg := fieldMessage(body, "approver"); !strings.Contains(msg, "người phê duyệt") && !strings.Contains(msg, "phê duyệt") {
			t.Errorf("beside the approver field: %q", msg)
		}
		if !strings.Contains(body, `value="`+end+`"`) || !strings.Contains(body, "Chỉ mở trong mạng nội bộ") {
			t.Error("the typed end date and note are not kept")
		}
		status, _ = w.postForm("officerB", "vi", "/findings/"+id, url.Values{
			"status": {"accepted_risk"}, "note": {"Chỉ mở trong mạng nội bộ"}, "approver": {"officerb@test.vigil"}, "expires": {end}})
		if status != 303 {
			t.Fatalf("accepting with an approver and an end date: %d", status)
		}
		f := w.call("officerB", "GET", "/api/v1/findings/"+id, nil).json(t)
		if f["status"] != "accepted_risk" || f["risk_approver"] != "officerb@test.vigil" {
			t.Errorf("after acceptance: status %v, approver %v", f["status"], f["risk_approver"])
		}
	})
}
