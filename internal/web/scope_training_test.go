package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// trainingWorld imports employees into A1 and B (as their officers) and
// assigns the starter course to A (as officerA); it returns the campaign's
// id and the starter course's id.
func (w *world) trainingWorld(t *testing.T) (campaign, course string) {
	t.Helper()
	expect(t, w.call("officerA", "POST", "/api/v1/training/employees/import?unit=A1", "name,email,position,department\nNguyễn Văn An,an@a1.vn,Chuyên viên,Phòng Thu\n"), 200, "officerA imports A1")
	expect(t, w.call("officerB", "POST", "/api/v1/training/employees/import?unit=B", "name,email,position,department\nTrần Thị Bình,binh@b.vn,Chuyên viên,Văn phòng\n"), 200, "officerB imports B")
	r := w.call("officerA", "GET", "/api/v1/training/courses", nil)
	expect(t, r, 200, "courses")
	course = fmt.Sprint(r.items(t)[0]["id"])
	due := time.Now().AddDate(0, 0, 10).Format("02/01/2006")
	r = w.call("officerA", "POST", "/api/v1/training/campaigns", map[string]any{"course": course, "units": []string{"A"}, "due_at": due})
	expect(t, r, 201, "officerA assigns A")
	return fmt.Sprint(r.json(t)["id"]), course
}

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/training/courses": func(t *testing.T, w *world) {
			r := w.call("viewerA", "GET", "/api/v1/training/courses", nil)
			expect(t, r, 200, "viewerA lists courses")
			if items := r.items(t); len(items) == 0 || items[0]["title"] == "" {
				t.Errorf("courses: %s", r.Body)
			}
		},
		"GET /api/v1/training/courses/{id}": func(t *testing.T, w *world) {
			_, course := w.trainingWorld(t)
			expect(t, w.call("viewerA", "GET", "/api/v1/training/courses/"+course, nil), 200, "viewerA reads the course")
			expect(t, w.call("viewerA", "GET", "/api/v1/training/courses/999999", nil), 404, "no such course")
		},
		"PUT /api/v1/training/courses/{id}/lessons/{n}": func(t *testing.T, w *world) {
			_, course := w.trainingWorld(t)
			in := map[string]string{"title": "Bài sửa", "body": "# Nội dung\n\n<script>alert(1)</script>", "quiz": "? Câu hỏi\n- sai\n+ đúng\n"}
			expect(t, w.call("officerA", "PUT", "/api/v1/training/courses/"+course+"/lessons/1", in), 403, "officerA edits a course")
			expect(t, w.call("admin", "PUT", "/api/v1/training/courses/"+course+"/lessons/1", map[string]string{"title": "x", "quiz": "? q\n- a\n"}), 400, "a broken quiz")
			expect(t, w.call("admin", "PUT", "/api/v1/training/courses/"+course+"/lessons/1", in), 200, "admin (the IT Center) edits")
		},
		"POST /api/v1/training/employees/import": func(t *testing.T, w *world) {
			csv := "name,email,position,department\nLê Văn C,c@a.vn,,\n"
			expect(t, w.call("officerA", "POST", "/api/v1/training/employees/import?unit=B", csv), 404, "officerA imports into B")
			expect(t, w.call("viewerA", "POST", "/api/v1/training/employees/import?unit=A", csv), 403, "viewerA imports")
			expect(t, w.call("analyst", "POST", "/api/v1/training/employees/import?unit=A", csv), 403, "analyst imports")
			r := w.call("officerA", "POST", "/api/v1/training/employees/import?unit=A", "name,email,position,department\nLê Văn C,c@a.vn,,\nX,bad,,\n")
			expect(t, r, 400, "a bad row")
			if !strings.Contains(string(r.Body), "line 3, column email") {
				t.Errorf("the refusal does not name line and column: %s", r.Body)
			}
			expect(t, w.call("officerA", "POST", "/api/v1/training/employees/import?unit=A", csv), 200, "officerA imports into A")
		},
		"GET /api/v1/training/employees": func(t *testing.T, w *world) {
			w.trainingWorld(t)
			if got := codes(t, w.call("officerA", "GET", "/api/v1/training/employees", nil), "email"); !got["an@a1.vn"] || got["binh@b.vn"] {
				t.Errorf("officerA lists %v", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/training/employees?unit=B", nil), 404, "officerA filters on B")
			if got := codes(t, w.call("analyst", "GET", "/api/v1/training/employees", nil), "email"); !got["an@a1.vn"] || !got["binh@b.vn"] {
				t.Errorf("analyst lists %v", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/training/employees?format=xlsx", nil), 200, "export")
		},
		"GET /api/v1/training/employees/{id}/certificate": func(t *testing.T, w *world) {
			_, course := w.trainingWorld(t)
			r := w.call("analyst", "GET", "/api/v1/training/employees", nil)
			ids := map[string]string{}
			for _, it := range r.items(t) {
				ids[fmt.Sprint(it["email"])] = fmt.Sprint(it["id"])
			}
			expect(t, w.call("officerA", "GET", "/api/v1/training/employees/"+ids["binh@b.vn"]+"/certificate?course="+course, nil), 404, "officerA, B's employee")
			expect(t, w.call("officerA", "GET", "/api/v1/training/employees/"+ids["an@a1.vn"]+"/certificate?course="+course, nil), 409, "not passed yet")
		},
		"POST /api/v1/training/campaigns": func(t *testing.T, w *world) {
			w.trainingWorld(t)
			due := time.Now().AddDate(0, 0, 10).Format("2006-01-02")
			expect(t, w.call("officerA", "POST", "/api/v1/training/campaigns", map[string]any{"course": "nhap-mon-attt", "units": []string{"B"}, "due_at": due}), 400, "officerA assigns B")
			expect(t, w.call("viewerA", "POST", "/api/v1/training/campaigns", map[string]any{"course": "nhap-mon-attt", "units": []string{"A"}, "due_at": due}), 403, "viewerA assigns")
			expect(t, w.call("officerA", "POST", "/api/v1/training/campaigns", map[string]any{"course": "nhap-mon-attt", "units": []string{"A"}, "due_at": "31/02/2020"}), 400, "bad date")
			expect(t, w.call("officerB", "POST", "/api/v1/training/campaigns", map[string]any{"course": "nhap-mon-attt", "units": []string{"B"}, "due_at": due}), 201, "officerB assigns B")
		},
		"GET /api/v1/training/campaigns": func(t *testing.T, w *world) {
			id, _ := w.trainingWorld(t)
			if got := codes(t, w.call("officerA", "GET", "/api/v1/training/campaigns", nil), "id"); !got[id] {
				t.Errorf("officerA lists %v", got)
			}
			if got := codes(t, w.call("officerB", "GET", "/api/v1/training/campaigns", nil), "id"); got[id] {
				t.Errorf("officerB lists A's campaign: %v", got)
			}
		},
		"GET /api/v1/training/campaigns/{id}": func(t *testing.T, w *world) {
			id, _ := w.trainingWorld(t)
			expect(t, w.call("officerB", "GET", "/api/v1/training/campaigns/"+id, nil), 404, "officerB reads A's")
			r := w.call("viewerA", "GET", "/api/v1/training/campaigns/"+id, nil)
			expect(t, r, 200, "viewerA reads")
			if n, _ := r.json(t)["assigned"].(float64); n < 1 {
				t.Errorf("campaign: %s", r.Body)
			}
		},
		"GET /api/v1/training/completion": func(t *testing.T, w *world) {
			w.trainingWorld(t)
			r := w.call("officerA", "GET", "/api/v1/training/completion?unit=A", nil)
			expect(t, r, 200, "officerA")
			if m := r.json(t); m["assigned"].(float64) < 1 || m["completed"] == nil || m["passed"] == nil {
				t.Errorf("completion: %s", r.Body)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/training/completion?unit=B", nil), 404, "officerA asks for B")
			// Each officer's count is their subtree's, as the SOC counts it.
			for actor, unit := range map[string]string{"officerA": "A", "officerB": "B"} {
				mine := w.call(actor, "GET", "/api/v1/training/completion", nil).json(t)
				soc := w.call("analyst", "GET", "/api/v1/training/completion?unit="+unit, nil).json(t)
				if fmt.Sprint(mine) != fmt.Sprint(soc) {
					t.Errorf("%s counts %v; the SOC counts %v in %s", actor, mine, soc, unit)
				}
			}
		},
		"GET /api/v1/training/completion/units": func(t *testing.T, w *world) {
			w.trainingWorld(t)
			if got := codes(t, w.call("officerA", "GET", "/api/v1/training/completion/units", nil), "unit"); !got["A1"] || got["B"] {
				t.Errorf("officerA's units %v", got)
			}
			if got := codes(t, w.call("officerB", "GET", "/api/v1/training/completion/units", nil), "unit"); got["A1"] {
				t.Errorf("officerB sees %v", got)
			}
			expect(t, w.call("analyst", "GET", "/api/v1/training/completion/units?format=xlsx", nil), 200, "export")
		},
		"GET /api/v1/training/assignments": func(t *testing.T, w *world) {
			w.trainingWorld(t)
			if got := codes(t, w.call("officerA", "GET", "/api/v1/training/assignments", nil), "email"); !got["an@a1.vn"] {
				t.Errorf("officerA's people %v", got)
			}
			if got := codes(t, w.call("officerB", "GET", "/api/v1/training/assignments", nil), "email"); got["an@a1.vn"] {
				t.Errorf("officerB sees %v", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/training/assignments?state=bogus", nil), 400, "bad state")
			expect(t, w.call("officerA", "GET", "/api/v1/training/assignments?format=xlsx", nil), 200, "export")
		},
	} {
		scopeMatrix[k] = v
	}
}
