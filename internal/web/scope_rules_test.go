package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// uiRuleYAML is a rule as pasted in the UI, with its own id.
func uiRuleYAML(id string) string {
	return fmt.Sprintf(`title: Test rule %s
id: %s
status: test
level: high
logsource:
  product: linux
  service: sshd
detection:
  keywords:
    - 'Failed password for %s'
  condition: keywords
`, id, id, id)
}

// rule adds a UI rule as the admin and returns its id.
func (w *world) rule(t *testing.T, id string) string {
	t.Helper()
	r := w.call("admin", "POST", "/api/v1/rules", map[string]string{"yaml": uiRuleYAML(id)})
	if r.Status != 201 {
		t.Fatalf("create rule: %d %s", r.Status, r.Body)
	}
	return id
}

// exception adds an exception for unit as the admin and returns its id.
func (w *world) ruleException(t *testing.T, rule, unit string) string {
	t.Helper()
	r := w.call("admin", "POST", "/api/v1/rules/"+rule+"/exceptions", map[string]string{"unit": unit, "note": "known scanner"})
	if r.Status != 201 {
		t.Fatalf("create exception: %d %s", r.Status, r.Body)
	}
	return fmt.Sprint(r.json(t)["id"])
}

// The rules' entries in the scope matrix (scope_test.go): admins and
// analysts manage rules, officers read them and manage exceptions in
// their subtree, viewers see none.
func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/rules": func(t *testing.T, w *world) {
			w.rule(t, "5a8b0000-0000-4000-8000-000000000001")
			expect(t, w.call("officerA", "GET", "/api/v1/rules", nil), 200, "officerA reads rules")
			expect(t, w.call("analyst", "GET", "/api/v1/rules?source=ui", nil), 200, "analyst reads rules")
			expect(t, w.call("viewerA", "GET", "/api/v1/rules", nil), 403, "viewerA reads rules")
			expect(t, w.call("analyst", "GET", "/api/v1/rules?level=severe", nil), 400, "a bad level")
		},
		"POST /api/v1/rules": func(t *testing.T, w *world) {
			y := map[string]string{"yaml": uiRuleYAML("5a8b0000-0000-4000-8000-000000000002")}
			expect(t, w.call("officerA", "POST", "/api/v1/rules", y), 403, "officerA adds a rule")
			expect(t, w.call("viewerA", "POST", "/api/v1/rules", y), 403, "viewerA adds a rule")
			expect(t, w.call("analyst", "POST", "/api/v1/rules", y), 201, "analyst adds a rule")
			expect(t, w.call("analyst", "POST", "/api/v1/rules", y), 409, "the same id again")
			r := w.call("admin", "POST", "/api/v1/rules", map[string]string{"yaml": "title: x\nid: 5a8b0000-0000-4000-8000-000000000009\ndetection:\n  sel:\n    a|nosuch: b\n  condition: sel\n"})
			expect(t, r, 400, "a bad modifier")
			if e, _ := r.json(t)["error"].(map[string]any); e["field"] != "yaml" || !strings.Contains(fmt.Sprint(e["message"]), "line 5:") {
				t.Errorf("bad rule answer: %s", r.Body)
			}
		},
		"GET /api/v1/rules/{id}": func(t *testing.T, w *world) {
			id := w.rule(t, "5a8b0000-0000-4000-8000-000000000003")
			expect(t, w.call("viewerA", "GET", "/api/v1/rules/"+id, nil), 403, "viewerA reads a rule")
			r := w.call("officerA", "GET", "/api/v1/rules/"+id, nil)
			expect(t, r, 200, "officerA reads a rule")
			if !strings.Contains(fmt.Sprint(r.json(t)["yaml"]), "detection:") {
				t.Errorf("rule without its YAML: %s", r.Body)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/rules/no-such-rule", nil), 404, "no such rule")
		},
		"PATCH /api/v1/rules/{id}": func(t *testing.T, w *world) {
			id := w.rule(t, "5a8b0000-0000-4000-8000-000000000004")
			off := map[string]any{"enabled": false}
			expect(t, w.call("officerA", "PATCH", "/api/v1/rules/"+id, off), 403, "officerA disables a rule")
			expect(t, w.call("viewerA", "PATCH", "/api/v1/rules/"+id, off), 403, "viewerA disables a rule")
			r := w.call("analyst", "PATCH", "/api/v1/rules/"+id, off)
			expect(t, r, 200, "analyst disables a rule")
			if r.json(t)["enabled"] != false {
				t.Errorf("still enabled: %s", r.Body)
			}
		},
		"DELETE /api/v1/rules/{id}": func(t *testing.T, w *world) {
			id := w.rule(t, "5a8b0000-0000-4000-8000-000000000005")
			expect(t, w.call("officerA", "DELETE", "/api/v1/rules/"+id, nil), 403, "officerA deletes a rule")
			expect(t, w.call("admin", "DELETE", "/api/v1/rules/"+id, nil), 204, "admin deletes a rule")
			expect(t, w.call("admin", "GET", "/api/v1/rules/"+id, nil), 404, "gone")
		},
		"GET /api/v1/rules/{id}/exceptions": func(t *testing.T, w *world) {
			id := w.rule(t, "5a8b0000-0000-4000-8000-000000000006")
			w.ruleException(t, id, "B")
			w.ruleException(t, id, "A1")
			got := codes(t, w.call("officerA", "GET", "/api/v1/rules/"+id+"/exceptions", nil), "unit")
			if got["B"] || !got["A1"] {
				t.Errorf("officerA sees exceptions of %v", got)
			}
			got = codes(t, w.call("analyst", "GET", "/api/v1/rules/"+id+"/exceptions", nil), "unit")
			if !got["B"] || !got["A1"] {
				t.Errorf("analyst sees exceptions of %v", got)
			}
			expect(t, w.call("viewerA", "GET", "/api/v1/rules/"+id+"/exceptions", nil), 403, "viewerA lists exceptions")
		},
		"POST /api/v1/rules/{id}/exceptions": func(t *testing.T, w *world) {
			id := w.rule(t, "5a8b0000-0000-4000-8000-000000000007")
			x := func(unit string) map[string]string { return map[string]string{"unit": unit, "note": "lab hosts"} }
			expect(t, w.call("officerA", "POST", "/api/v1/rules/"+id+"/exceptions", x("B")), 400, "officerA excepts B")
			expect(t, w.call("viewerA", "POST", "/api/v1/rules/"+id+"/exceptions", x("A")), 403, "viewerA excepts A")
			expect(t, w.call("officerA", "POST", "/api/v1/rules/"+id+"/exceptions", map[string]string{"unit": "A1"}), 400, "no note")
			expect(t, w.call("officerA", "POST", "/api/v1/rules/"+id+"/exceptions", x("A1")), 201, "officerA excepts A1")
			expect(t, w.call("officerA", "POST", "/api/v1/rules/"+id+"/exceptions", x("A1")), 409, "twice")
			expect(t, w.call("analyst", "POST", "/api/v1/rules/"+id+"/exceptions", x("B")), 201, "analyst excepts B")
			expect(t, w.call("officerA", "POST", "/api/v1/rules/ioc:ip/exceptions", x("A")), 201, "officerA excepts indicator addresses for A")
		},
		"GET /api/v1/rule-exceptions": func(t *testing.T, w *world) {
			id := w.rule(t, "5a8b0000-0000-4000-8000-000000000008")
			w.ruleException(t, id, "B")
			for _, it := range w.call("officerA", "GET", "/api/v1/rule-exceptions", nil).items(t) {
				if u := fmt.Sprint(it["unit"]); !strings.HasPrefix(u, "A") {
					t.Errorf("officerA sees an exception of %s", u)
				}
			}
			expect(t, w.call("officerA", "GET", "/api/v1/rule-exceptions?unit=B", nil), 404, "officerA filters on B")
			expect(t, w.call("viewerA", "GET", "/api/v1/rule-exceptions", nil), 403, "viewerA lists exceptions")
		},
		"DELETE /api/v1/rule-exceptions/{id}": func(t *testing.T, w *world) {
			id := w.rule(t, "5a8b0000-0000-4000-8000-00000000000a")
			b := w.ruleException(t, id, "B")
			a := w.ruleException(t, id, "A")
			expect(t, w.call("officerA", "DELETE", "/api/v1/rule-exceptions/"+b, nil), 404, "officerA removes B's")
			expect(t, w.call("viewerA", "DELETE", "/api/v1/rule-exceptions/"+a, nil), 403, "viewerA removes A's")
			expect(t, w.call("officerA", "DELETE", "/api/v1/rule-exceptions/"+a, nil), 204, "officerA removes A's")
			expect(t, w.call("analyst", "DELETE", "/api/v1/rule-exceptions/"+b, nil), 204, "analyst removes B's")
		},
	} {
		scopeMatrix[k] = v
	}
}

// anyRule adds a UI rule for the pages' walk (a level whose name is not
// a code a Vietnamese page must not show: the YAML is shown as it is).
func (w *world) anyRule(t *testing.T) string {
	t.Helper()
	id := "5a8b0000-0000-4000-8000-0000000000ff"
	y := strings.Replace(uiRuleYAML(id), "level: high", "level: informational", 1)
	r := w.call("admin", "POST", "/api/v1/rules", map[string]string{"yaml": y})
	if r.Status != 201 && r.Status != 409 {
		t.Fatalf("create rule: %d %s", r.Status, r.Body)
	}
	x := w.call("admin", "POST", "/api/v1/rules/"+id+"/exceptions", map[string]string{"unit": "A1", "note": "máy thử nghiệm"})
	if x.Status != 201 && x.Status != 409 {
		t.Fatalf("create exception: %d %s", x.Status, x.Body)
	}
	return id
}
