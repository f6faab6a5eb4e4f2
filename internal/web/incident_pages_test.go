package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"vigil/internal/store/storetest"
)

// The incident pages: the list with the open cases by unit and severity,
// the form (prefilled from an alert; input kept with the reason beside
// the field), the case page with its clocks, work forms and timeline, the
// timers, the monthly summary and the settings; in both languages with no
// raw key shown.
func TestIncidentPages(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	al := seedAlerts(t, w)
	id := w.incidentFor(t, "A")
	expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+id+"/observables", []map[string]string{{"value": "203.0.113.7"}}), 201, "observable")
	expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+id+"/tasks", map[string]string{"title": "Cô lập máy", "due": "01/01/2020"}), 201, "task")
	for _, lang := range []string{"vi", "en"} {
		for _, c := range []struct{ actor, path, want string }{
			{"officerA", "/incidents", `id="open-matrix"`},
			{"officerA", "/incidents?status=&format=", `id="incidents"`},
			{"officerA", "/incidents/new", `name="category"`},
			{"officerA", fmt.Sprintf("/incidents/new?alert=%d", al["A"]), "Suspicious Certutil Command Usage"},
			{"officerA", "/incidents/" + id, `id="status-form"`},
			{"officerA", "/incidents/" + id, `id="clocks"`},
			{"officerA", "/incidents/" + id, "203.0.113.7"},
			{"viewerA", "/incidents/" + id, `id="timeline"`},
			{"officerA", "/incidents/" + id + "/edit", `name="public_ips"`},
			{"officerA", "/incidents/timers", `id="timers"`},
			{"analyst", "/incidents/summary", `id="by-category"`},
			{"admin", "/incidents/settings", `name="initial_days"`},
			{"officerA", fmt.Sprintf("/alerts/%d", al["A"]), `id="open-incident"`},
		} {
			status, body := w.getPage(c.actor, lang, c.path)
			if status != 200 || !strings.Contains(body, c.want) {
				t.Errorf("%s %s (%s): status %d, want %q in the page", c.actor, c.path, lang, status, c.want)
				continue
			}
			for _, raw := range []string{"inc.", "field.", "%!"} {
				if strings.Contains(body, ">"+raw) || strings.Contains(body, " "+raw+"") && raw != "inc." {
					t.Errorf("%s %s (%s) shows a raw %q", c.actor, c.path, lang, raw)
				}
			}
		}
	}
	if status, body := w.getPage("viewerA", "vi", "/incidents/"+id); strings.Contains(body, `id="status-form"`) || status != 200 {
		t.Errorf("viewerA sees the work forms (status %d)", status)
	}
	if status, _ := w.getPage("officerB", "vi", "/incidents/"+id); status != 404 {
		t.Errorf("officerB opens A's case: %d", status)
	}

	// A bad time of discovery comes back with the input kept and the reason beside it.
	form := url.Values{"title": {"Lừa đảo qua thư điện tử"}, "category": {"phishing"}, "severity": {"high"}, "units": {"A"}, "detected_at": {"31/02/2026 08:00"}}
	status, body := w.postForm("officerA", "vi", "/incidents", form)
	if status != 400 || !strings.Contains(body, "Lừa đảo qua thư điện tử") || !strings.Contains(fieldMessage(body, "detected_at"), "không phải ngày giờ") {
		t.Errorf("bad detected_at: status %d, message %q", status, fieldMessage(body, "detected_at"))
	}
	form.Set("detected_at", "01/12/2026 08:00")
	if status, _ := w.postForm("officerA", "vi", "/incidents", form); status != 303 {
		t.Errorf("good form: status %d", status)
	}
	// Closing without a note keeps the page with the reason.
	status, body = w.postForm("officerA", "vi", "/incidents/"+id+"/status", url.Values{"status": {"closed"}})
	if status != 400 || !strings.Contains(fieldMessage(body, "note"), "trước khi đóng") {
		t.Errorf("close without a note: status %d, message %q", status, fieldMessage(body, "note"))
	}
	if status, _ := w.postForm("officerA", "vi", "/incidents/"+id+"/notes", url.Values{"text": {"Đã cô lập máy."}}); status != 303 {
		t.Errorf("note: status %d", status)
	}
}
