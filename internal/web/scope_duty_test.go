package web_test

import (
	"testing"
)

// The duty roster's entries in the scope matrix (scope_test.go).
func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/duty/now": func(t *testing.T, w *world) {
			// No roster yet: nobody, and not rostered; the SOC (ITC, the
			// root's IT Center) without ?unit=.
			r := w.call("analyst", "GET", "/api/v1/duty/now", nil)
			expect(t, r, 200, "analyst asks the SOC's watch")
			if m := r.json(t); m["unit"] != "ITC" || m["rostered"] != false || len(r.items(t)) != 0 {
				t.Errorf("SOC now: %s", r.Body)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/duty/now?unit=B", nil), 404, "officerA asks B's watch")
			expect(t, w.call("officerA", "GET", "/api/v1/duty/now?unit=ITC", nil), 404, "officerA asks the SOC's watch")
			expect(t, w.call("viewerA", "GET", "/api/v1/duty/now?unit=A1", nil), 200, "viewerA asks A1's watch")
			expect(t, w.call("viewerA", "GET", "/api/v1/duty/now?unit=A&at=yesterday", nil), 400, "a bad moment")
		},
	} {
		scopeMatrix[k] = v
	}
}
