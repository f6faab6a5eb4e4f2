package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// drillFor has officerX import an employee into unit (when it has none yet)
// and schedule a drill there with the first built-in template; it returns
// the drill's id.
func (w *world) drillFor(t *testing.T, officer, unit string) string {
	t.Helper()
	csv := fmt.Sprintf("name,email,position,department\nNgười nhận %s,drill.%s@test.vn,Chuyên viên,Phòng Thu\n", unit, strings.ToLower(unit))
	expect(t, w.call(officer, "POST", "/api/v1/training/employees/import?unit="+unit, csv), 200, officer+" imports "+unit)
	r := w.call(officer, "GET", "/api/v1/phishing/templates", nil)
	tpl := r.items(t)[0]["id"]
	r = w.call(officer, "POST", "/api/v1/phishing/campaigns", map[string]any{"template": tpl, "unit": unit, "window_minutes": 60})
	expect(t, r, 201, officer+" schedules a drill in "+unit)
	return fmt.Sprint(r.json(t)["id"])
}

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/phishing/templates": func(t *testing.T, w *world) {
			r := w.call("viewerA", "GET", "/api/v1/phishing/templates", nil)
			expect(t, r, 200, "viewerA lists templates")
			if len(r.items(t)) < 2 {
				t.Errorf("built-in templates: %s", r.Body)
			}
		},
		"POST /api/v1/phishing/templates": func(t *testing.T, w *world) {
			in := map[string]string{"name": "Thư lương", "subject": "Bảng lương {unit}", "body": "Chào {name}, xem tại {link}"}
			expect(t, w.call("viewerA", "POST", "/api/v1/phishing/templates", in), 403, "viewerA saves a template")
			bad := map[string]string{"name": "x", "subject": "Chào {nmae}", "body": "{link}"}
			r := w.call("officerA", "POST", "/api/v1/phishing/templates", bad)
			expect(t, r, 400, "a broken placeholder")
			if !strings.Contains(string(r.Body), "nmae") {
				t.Errorf("refusal does not name the placeholder: %s", r.Body)
			}
			expect(t, w.call("officerA", "POST", "/api/v1/phishing/templates", map[string]string{"name": "x", "subject": "y", "body": "no link"}), 400, "no {link}")
			r = w.call("officerA", "POST", "/api/v1/phishing/templates", in)
			expect(t, r, 201, "officerA saves")
			id := fmt.Sprint(r.json(t)["id"])
			if got := codes(t, w.call("officerB", "GET", "/api/v1/phishing/templates", nil), "id"); got[id] {
				t.Error("officerB sees A's template")
			}
		},
		"POST /api/v1/phishing/campaigns": func(t *testing.T, w *world) {
			w.drillFor(t, "officerB", "B")
			tpl := w.call("officerA", "GET", "/api/v1/phishing/templates", nil).items(t)[0]["id"]
			expect(t, w.call("officerA", "POST", "/api/v1/phishing/campaigns", map[string]any{"template": tpl, "unit": "B"}), 400, "officerA drills B's people")
			expect(t, w.call("viewerA", "POST", "/api/v1/phishing/campaigns", map[string]any{"template": tpl, "unit": "A"}), 403, "viewerA drills")
			expect(t, w.call("analyst", "POST", "/api/v1/phishing/campaigns", map[string]any{"template": tpl, "unit": "A"}), 403, "analyst drills")
			w.drillFor(t, "officerA", "A1")
		},
		"GET /api/v1/phishing/campaigns": func(t *testing.T, w *world) {
			a := w.drillFor(t, "officerA", "A1")
			if got := codes(t, w.call("officerB", "GET", "/api/v1/phishing/campaigns", nil), "id"); got[a] {
				t.Errorf("officerB lists A1's drill: %v", got)
			}
			if got := codes(t, w.call("viewerA", "GET", "/api/v1/phishing/campaigns", nil), "id"); !got[a] {
				t.Errorf("viewerA lists %v", got)
			}
		},
		"GET /api/v1/phishing/campaigns/{id}": func(t *testing.T, w *world) {
			a := w.drillFor(t, "officerA", "A1")
			expect(t, w.call("officerB", "GET", "/api/v1/phishing/campaigns/"+a, nil), 404, "officerB reads A1's drill")
			expect(t, w.call("analyst", "GET", "/api/v1/phishing/campaigns/"+a, nil), 200, "analyst reads")
		},
		"GET /api/v1/phishing/campaigns/{id}/results": func(t *testing.T, w *world) {
			a := w.drillFor(t, "officerA", "A1")
			expect(t, w.call("officerB", "GET", "/api/v1/phishing/campaigns/"+a+"/results", nil), 404, "officerB")
			r := w.call("officerA", "GET", "/api/v1/phishing/campaigns/"+a+"/results", nil)
			expect(t, r, 200, "officerA")
			m := r.json(t)
			for _, k := range []string{"sent", "opened", "clicked", "submitted", "reported"} {
				if _, ok := m[k]; !ok {
					t.Errorf("results without %s: %s", k, r.Body)
				}
			}
		},
		"GET /api/v1/phishing/campaigns/{id}/recipients": func(t *testing.T, w *world) {
			a := w.drillFor(t, "officerA", "A1")
			expect(t, w.call("officerB", "GET", "/api/v1/phishing/campaigns/"+a+"/recipients", nil), 404, "officerB")
			if got := codes(t, w.call("officerA", "GET", "/api/v1/phishing/campaigns/"+a+"/recipients", nil), "email"); !got["drill.a1@test.vn"] || got["drill.b@test.vn"] {
				t.Errorf("recipients %v: only A1's own employees", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/phishing/campaigns/"+a+"/recipients?format=xlsx", nil), 200, "export")
		},
	} {
		scopeMatrix[k] = v
	}
}
