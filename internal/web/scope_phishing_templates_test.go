package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// ownTemplate has officerX save a template; it returns its id.
func (w *world) ownTemplate(t *testing.T, officer, name string) string {
	t.Helper()
	r := w.call(officer, "POST", "/api/v1/phishing/templates", map[string]string{"name": name, "subject": "Bảng lương {unit}", "body": "Chào {name}, xem tại {link}"})
	expect(t, r, 201, officer+" saves a template")
	return fmt.Sprint(r.json(t)["id"])
}

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"PUT /api/v1/phishing/templates/{id}": func(t *testing.T, w *world) {
			id := w.ownTemplate(t, "officerA", "Lương A")
			in := map[string]string{"name": "Lương A (sửa)", "subject": "Bảng lương", "body": "{link}"}
			expect(t, w.call("officerB", "PUT", "/api/v1/phishing/templates/"+id, in), 404, "officerB edits A's template")
			expect(t, w.call("viewerA", "PUT", "/api/v1/phishing/templates/"+id, in), 403, "viewerA edits")
			expect(t, w.call("officerA", "PUT", "/api/v1/phishing/templates/"+id, map[string]string{"name": "x", "subject": "{oops", "body": "{link}"}), 400, "a broken placeholder")
			expect(t, w.call("officerA", "PUT", "/api/v1/phishing/templates/"+id, in), 200, "officerA edits")
		},
		"DELETE /api/v1/phishing/templates/{id}": func(t *testing.T, w *world) {
			id := w.ownTemplate(t, "officerA", "Thừa A")
			expect(t, w.call("officerB", "DELETE", "/api/v1/phishing/templates/"+id, nil), 404, "officerB deletes A's template")
			expect(t, w.call("viewerA", "DELETE", "/api/v1/phishing/templates/"+id, nil), 403, "viewerA deletes")
			expect(t, w.call("officerA", "DELETE", "/api/v1/phishing/templates/"+id, nil), 204, "officerA deletes")
			// One a drill used stays.
			drill := w.drillFor(t, "officerA", "A1")
			r := w.call("officerA", "GET", "/api/v1/phishing/campaigns/"+drill, nil)
			var used string
			for _, it := range w.call("officerA", "GET", "/api/v1/phishing/templates", nil).items(t) {
				if it["name"] == r.json(t)["template"] {
					used = fmt.Sprint(it["id"])
				}
			}
			expect(t, w.call("admin", "DELETE", "/api/v1/phishing/templates/"+used, nil), 403, "a built-in template")
		},
	} {
		scopeMatrix[k] = v
	}
}

// TestPhishingTemplatePages: officers write, change and delete templates
// on /phishing/templates; a broken placeholder comes back beside the
// field; deleting a template a drill used is refused with the reason.
func TestPhishingTemplatePages(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		form := url.Values{"name": {"Lương tháng 13"}, "subject": {"Bảng lương {unti}"}, "body": {"Chào {name}: {link}"}}
		s, body := w.postForm("officerA", "vi", "/phishing/templates", form)
		if s != 400 || !strings.Contains(fieldMessage(body, "subject"), "unti") || !strings.Contains(body, `value="Lương tháng 13"`) {
			t.Fatalf("broken placeholder: %d %q", s, fieldMessage(body, "subject"))
		}
		form.Set("subject", "Bảng lương {unit}")
		if s, _ := w.postForm("officerA", "vi", "/phishing/templates", form); s != 303 {
			t.Fatalf("create: %d", s)
		}
		var tid int64
		w.db.QueryRow(t.Context(), `SELECT id FROM phishing_templates WHERE name = 'Lương tháng 13'`).Scan(&tid)
		id := fmt.Sprint(tid)
		if s, body := w.getPage("officerA", "vi", "/phishing/templates/"+id); s != 200 || !strings.Contains(body, "Bảng lương {unit}") {
			t.Fatalf("edit page: %d", s)
		}
		form.Set("name", "Lương tháng 13 (2027)")
		if s, _ := w.postForm("officerA", "vi", "/phishing/templates/"+id, form); s != 303 {
			t.Fatalf("save: %d", s)
		}
		if s, _ := w.getPage("officerB", "vi", "/phishing/templates/"+id); s != 404 {
			t.Errorf("officerB opens A's template: %d", s)
		}
		// Used by a drill: refused with the reason.
		expect(t, w.call("officerA", "POST", "/api/v1/training/employees/import?unit=A1", "name,email,position,department\nAn,an@a1.vn,,\n"), 200, "import")
		expect(t, w.call("officerA", "POST", "/api/v1/phishing/campaigns", map[string]any{"template": tid, "unit": "A1"}), 201, "a drill with it")
		s, body = w.postForm("officerA", "vi", "/phishing/templates/"+id+"/delete", url.Values{})
		if s != 409 || !strings.Contains(body, "đã được dùng trong đợt diễn tập") {
			t.Errorf("deleting a used template: %d", s)
		}
		if _, body := w.getPage("officerA", "vi", "/phishing/templates"); !strings.Contains(body, "Lương tháng 13 (2027)") || !strings.Contains(body, "1 đợt diễn tập") {
			t.Error("the list does not show the template and its use")
		}
		if _, body := w.getPage("viewerA", "vi", "/phishing/templates"); strings.Contains(body, `id="template-form"`) || strings.Contains(body, "/delete") {
			t.Error("viewerA is offered a form it cannot use")
		}
	})
}
