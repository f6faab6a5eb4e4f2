package web_test

import (
	"net/url"
	"strings"
	"testing"

	"vigil/internal/store/storetest"
)

// The advisory pages: the list with what waits for the officer's unit,
// the form that comes back with the input and the reason beside the
// field, the advisory with its units and the officer's answer, and the
// overdue view; in both languages with no raw key shown.
func TestAdvisoryPages(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	id := w.advisoryFor(t, false, "A")
	for _, lang := range []string{"vi", "en"} {
		for _, c := range []struct{ actor, path, want string }{
			{"officerA", "/advisories", `id="waiting"`},
			{"admin", "/advisories", "/advisories/new"},
			{"admin", "/advisories/new", `name="deadline"`},
			{"admin", "/advisories/" + id + "/edit", "Vá Microsoft Outlook"},
			{"officerA", "/advisories/" + id, `id="ack-form"`},
			{"admin", "/advisories/" + id, `id="advisory-units"`},
			{"analyst", "/advisories/overdue", "<h1>"},
			{"officerA", "/units/A", "/advisories?unit=A"},
		} {
			status, body := w.getPage(c.actor, lang, c.path)
			if status != 200 || !strings.Contains(body, c.want) {
				t.Errorf("%s %s (%s): status %d, want %q in the page", c.actor, c.path, lang, status, c.want)
				continue
			}
			for _, raw := range []string{"adv.", "field.", "%!"} {
				if strings.Contains(body, ">"+raw) || strings.Contains(body, " "+raw) && raw == "%!" {
					t.Errorf("%s %s (%s) shows a raw %q", c.actor, c.path, lang, raw)
				}
			}
		}
	}
	if status, _ := w.getPage("officerB", "vi", "/advisories/"+id); status != 404 {
		t.Errorf("officerB opens A's advisory: %d", status)
	}
	if status, _ := w.getPage("officerA", "vi", "/advisories/new"); status != 403 {
		t.Errorf("officerA opens the draft form: %d", status)
	}

	// A bad deadline comes back with the input kept and the reason beside it.
	form := url.Values{"title": {"Cảnh báo lừa đảo trước Tết"}, "severity": {"high"}, "deadline": {"31/02/2027"}, "targets": {"chosen"}, "units": {"A", "B"}}
	status, body := w.postForm("admin", "vi", "/advisories", form)
	if status != 400 || !strings.Contains(body, "Cảnh báo lừa đảo trước Tết") || !strings.Contains(fieldMessage(body, "deadline"), "không phải ngày") {
		t.Errorf("bad deadline: status %d, message %q", status, fieldMessage(body, "deadline"))
	}
	if !strings.Contains(body, `value="B" checked`) {
		t.Error("the units chosen are not kept")
	}
	form.Set("deadline", "31/01/2027")
	if status, _ := w.postForm("admin", "vi", "/advisories", form); status != 303 {
		t.Errorf("good form: status %d", status)
	}
	// Completion without a note comes back with the reason beside the note.
	status, body = w.postForm("officerA", "vi", "/advisories/"+id+"/complete", url.Values{"unit": {"A"}, "evidence": {"CV 12/TTCNTT"}})
	if status != 400 || !strings.Contains(fieldMessage(body, "note"), "thực hiện") || !strings.Contains(body, "CV 12/TTCNTT") {
		t.Errorf("completion without a note: status %d, message %q", status, fieldMessage(body, "note"))
	}
	if status, _ := w.postForm("officerA", "vi", "/advisories/"+id+"/complete", url.Values{"unit": {"A1"}, "note": {"Đã cài bản vá."}}); status != 303 {
		t.Errorf("completion: status %d", status)
	}
	// Issuing a draft with no deadline comes back with the reason.
	r := w.call("admin", "POST", "/api/v1/advisories", map[string]any{"title": "Chưa có hạn", "all_units": true})
	draft := itoa(int64(r.json(t)["id"].(float64)))
	if status, body := w.postForm("admin", "vi", "/advisories/"+draft+"/issue", url.Values{}); status != 400 || !strings.Contains(body, "cần đặt hạn hoàn thành") {
		t.Errorf("issue without a deadline: status %d", status)
	}
	if status, _ := w.postForm("admin", "vi", "/advisories/"+draft+"/withdraw", url.Values{"reason": {"soạn nhầm"}}); status != 303 {
		t.Errorf("withdraw: status %d", status)
	}
	// Exports follow the list's order.
	r = w.call("officerA", "GET", "/api/v1/advisories/"+id+"/units?format=csv&sort=unit&order=desc", nil)
	if lines := strings.Split(string(r.Body), "\n"); len(lines) < 3 || !strings.HasPrefix(lines[1], `"A1"`) || !strings.HasPrefix(lines[2], `"A"`) {
		t.Errorf("units export sorted by unit, descending: %s", r.Body)
	}
	_, body = w.getPage("officerA", "vi", "/advisories/"+id)
	if !strings.Contains(body, "Đã cài bản vá.") {
		t.Error("the completion note is not on the advisory's page")
	}
}
