package web_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// campaignFor opens (as the admin: the IT Center) a readiness campaign
// over units (none: every unit) and returns its id.
func (w *world) campaignFor(t *testing.T, units ...string) string {
	t.Helper()
	r := w.call("admin", "POST", "/api/v1/readiness/campaigns", map[string]any{"name": "Tết Đinh Mùi 2027 " + strings.Join(units, ","),
		"template": "directive-182-tet", "units": units, "starts_at": "04/02/2027", "due_at": "12/02/2027"})
	expect(t, r, 201, "admin opens a campaign")
	return fmt.Sprint(int64(r.json(t)["id"].(float64)))
}

// boardUnits returns the unit codes of a scoreboard answer.
func boardUnits(t *testing.T, r response) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	units, _ := r.json(t)["units"].([]any)
	for _, u := range units {
		out[fmt.Sprint(u.(map[string]any)["unit"])] = true
	}
	return out
}

// attestation has officerA attest the state-secret criterion for A1 and
// returns the attestation's id and its first file's id.
func (w *world) attestation(t *testing.T, campaign string) (string, string) {
	t.Helper()
	r := w.call("officerA", "POST", "/api/v1/readiness/campaigns/"+campaign+"/attestations", map[string]any{"unit": "A1", "criterion": "m1.secret_protection",
		"note": "Đã niêm phong cổng USB máy soạn thảo văn bản mật.", "files": []map[string]any{{"name": "bien-ban.txt", "data": base64.StdEncoding.EncodeToString([]byte("biên bản"))}}})
	expect(t, r, 201, "officerA attests for A1")
	m := r.json(t)
	files, _ := m["files"].([]any)
	if len(files) != 1 {
		t.Fatalf("attestation files: %s", r.Body)
	}
	return fmt.Sprint(int64(m["id"].(float64))), fmt.Sprint(int64(files[0].(map[string]any)["id"].(float64)))
}

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/readiness/campaigns": func(t *testing.T, w *world) {
			forA := w.campaignFor(t, "A")
			forB := w.campaignFor(t, "B")
			if got := codes(t, w.call("officerA", "GET", "/api/v1/readiness/campaigns", nil), "id"); !got[forA] || got[forB] {
				t.Errorf("officerA lists %v; want %s, not %s", got, forA, forB)
			}
			if got := codes(t, w.call("analyst", "GET", "/api/v1/readiness/campaigns", nil), "id"); !got[forA] || !got[forB] {
				t.Errorf("analyst lists %v; want both", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/readiness/campaigns?state=bogus", nil), 400, "bad state")
			r := w.call("officerA", "GET", "/api/v1/readiness/campaigns?format=csv", nil)
			expect(t, r, 200, "officerA exports")
			if strings.Contains(string(r.Body), "2027 B") {
				t.Error("officerA's export holds B's campaign")
			}
		},
		"POST /api/v1/readiness/campaigns": func(t *testing.T, w *world) {
			in := map[string]any{"name": "Tết", "template": "directive-182-tet", "starts_at": "04/02/2027", "due_at": "12/02/2027"}
			expect(t, w.call("officerA", "POST", "/api/v1/readiness/campaigns", in), 403, "officerA opens a campaign")
			expect(t, w.call("analyst", "POST", "/api/v1/readiness/campaigns", in), 403, "analyst opens a campaign")
			bad := map[string]any{"name": "Tết", "starts_at": "04/02/2027", "due_at": "31/02/2027"}
			r := w.call("admin", "POST", "/api/v1/readiness/campaigns", bad)
			expect(t, r, 400, "bad deadline")
			if !strings.Contains(string(r.Body), "due_at") {
				t.Errorf("refusal does not name the field: %s", r.Body)
			}
			r = w.call("admin", "POST", "/api/v1/readiness/campaigns", in)
			expect(t, r, 201, "admin opens a campaign")
			if r.json(t)["id"] == nil {
				t.Errorf("no id: %s", r.Body)
			}
		},
		"GET /api/v1/readiness/campaigns/{id}": func(t *testing.T, w *world) {
			forA := w.campaignFor(t, "A")
			expect(t, w.call("officerB", "GET", "/api/v1/readiness/campaigns/"+forA, nil), 404, "officerB reads A's campaign")
			r := w.call("viewerA", "GET", "/api/v1/readiness/campaigns/"+forA, nil)
			expect(t, r, 200, "viewerA reads A's campaign")
			if m := r.json(t); m["targets"].(float64) < 2 {
				t.Errorf("viewerA's targets: %v", m["targets"])
			}
		},
		"GET /api/v1/readiness/campaigns/{id}/scoreboard": func(t *testing.T, w *world) {
			all := w.campaignFor(t)
			if got := boardUnits(t, w.call("officerA", "GET", "/api/v1/readiness/campaigns/"+all+"/scoreboard", nil)); !got["A"] || !got["A1"] || got["B"] || got["BHXHVN"] || got["ITC"] {
				t.Errorf("officerA's scoreboard: %v; want A and A1", got)
			}
			if got := boardUnits(t, w.call("analyst", "GET", "/api/v1/readiness/campaigns/"+all+"/scoreboard", nil)); !got["A"] || !got["B"] || !got["BHXHVN"] || !got["ITC"] {
				t.Errorf("analyst's scoreboard: %v; want every unit", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/readiness/campaigns/"+all+"/scoreboard?unit=B", nil), 404, "officerA asks for B")
			r := w.call("officerA", "GET", "/api/v1/readiness/campaigns/"+all+"/scoreboard?format=csv", nil)
			expect(t, r, 200, "officerA's spreadsheet")
			if strings.Contains(string(r.Body), `"B",`) || !strings.Contains(string(r.Body), `"A1",`) || !strings.Contains(string(r.Body), "Tiêu chí") {
				t.Errorf("officerA's spreadsheet: %s", r.Body)
			}
			r = w.call("officerA", "GET", "/api/v1/readiness/campaigns/"+all+"/scoreboard?format=xlsx", nil)
			expect(t, r, 200, "officerA's XLSX")
			if !strings.HasPrefix(string(r.Body), "PK") {
				t.Error("the XLSX is not a zip")
			}
			forB := w.campaignFor(t, "B")
			expect(t, w.call("officerA", "GET", "/api/v1/readiness/campaigns/"+forB+"/scoreboard", nil), 404, "officerA reads B's campaign")
		},
		"POST /api/v1/readiness/campaigns/{id}/refresh": func(t *testing.T, w *world) {
			id := w.campaignFor(t, "A")
			expect(t, w.call("officerA", "POST", "/api/v1/readiness/campaigns/"+id+"/refresh", nil), 403, "officerA refreshes")
			r := w.call("admin", "POST", "/api/v1/readiness/campaigns/"+id+"/refresh", nil)
			expect(t, r, 200, "admin refreshes")
			if r.json(t)["units"].(float64) < 2 {
				t.Errorf("refresh: %s", r.Body)
			}
			forB := w.campaignFor(t, "B")
			expect(t, w.call("officerA", "POST", "/api/v1/readiness/campaigns/"+forB+"/refresh", nil), 403, "officerA refreshes B's")
		},
		"GET /api/v1/readiness/campaigns/{id}/units/{unit}": func(t *testing.T, w *world) {
			id := w.campaignFor(t)
			expect(t, w.call("officerA", "GET", "/api/v1/readiness/campaigns/"+id+"/units/B", nil), 404, "officerA reads B's sheet")
			r := w.call("viewerA", "GET", "/api/v1/readiness/campaigns/"+id+"/units/A1", nil)
			expect(t, r, 200, "viewerA reads A1's sheet")
			if u, _ := r.json(t)["unit"].(map[string]any); u["unit"] != "A1" || !strings.Contains(string(r.Body), `"link":"/hosts?unit=A1\u0026failing=antivirus"`) {
				t.Errorf("sheet: %s", r.Body)
			}
		},
		"GET /api/v1/readiness/campaigns/{id}/attestations": func(t *testing.T, w *world) {
			id := w.campaignFor(t)
			aid, _ := w.attestation(t, id)
			if got := codes(t, w.call("officerB", "GET", "/api/v1/readiness/campaigns/"+id+"/attestations", nil), "id"); got[aid] {
				t.Errorf("officerB lists A1's attestation")
			}
			if got := codes(t, w.call("admin", "GET", "/api/v1/readiness/campaigns/"+id+"/attestations?state=submitted", nil), "id"); !got[aid] {
				t.Errorf("admin's queue misses %s: %v", aid, got)
			}
			expect(t, w.call("officerB", "GET", "/api/v1/readiness/campaigns/"+id+"/attestations?unit=A", nil), 404, "officerB filters on A")
			expect(t, w.call("admin", "GET", "/api/v1/readiness/campaigns/"+id+"/attestations?format=xlsx", nil), 200, "admin exports")
		},
		"POST /api/v1/readiness/campaigns/{id}/attestations": func(t *testing.T, w *world) {
			id := w.campaignFor(t)
			in := map[string]any{"unit": "A", "criterion": "m1.secret_protection", "note": "Đã triển khai."}
			expect(t, w.call("viewerA", "POST", "/api/v1/readiness/campaigns/"+id+"/attestations", in), 403, "viewerA attests")
			expect(t, w.call("officerB", "POST", "/api/v1/readiness/campaigns/"+id+"/attestations", in), 400, "officerB attests for A")
			expect(t, w.call("officerA", "POST", "/api/v1/readiness/campaigns/"+id+"/attestations", map[string]any{"unit": "A", "criterion": "m1.av_current", "note": "x"}), 400, "attests a metric")
			expect(t, w.call("officerA", "POST", "/api/v1/readiness/campaigns/"+id+"/attestations", in), 201, "officerA attests for A")
		},
		"POST /api/v1/readiness/attestations/{id}/accept": func(t *testing.T, w *world) {
			id := w.campaignFor(t)
			aid, _ := w.attestation(t, id)
			expect(t, w.call("officerA", "POST", "/api/v1/readiness/attestations/"+aid+"/accept", nil), 403, "officerA accepts")
			expect(t, w.call("officerB", "POST", "/api/v1/readiness/attestations/"+aid+"/accept", nil), 403, "officerB accepts")
			r := w.call("admin", "POST", "/api/v1/readiness/attestations/"+aid+"/accept", nil)
			expect(t, r, 200, "admin accepts")
			if r.json(t)["state"] != "accepted" {
				t.Errorf("accepted: %s", r.Body)
			}
			sheet := w.call("officerA", "GET", "/api/v1/readiness/campaigns/"+id+"/units/A1", nil).json(t)
			if !strings.Contains(fmt.Sprint(sheet["unit"]), "status:met") {
				t.Errorf("A1's attested criterion is not met: %v", sheet["unit"])
			}
		},
		"POST /api/v1/readiness/attestations/{id}/return": func(t *testing.T, w *world) {
			id := w.campaignFor(t)
			aid, _ := w.attestation(t, id)
			expect(t, w.call("officerA", "POST", "/api/v1/readiness/attestations/"+aid+"/return", map[string]string{"note": "x"}), 403, "officerA sends back")
			expect(t, w.call("admin", "POST", "/api/v1/readiness/attestations/"+aid+"/return", nil), 400, "no reason")
			expect(t, w.call("admin", "POST", "/api/v1/readiness/attestations/"+aid+"/return", map[string]string{"note": "Thiếu chữ ký."}), 200, "admin sends back")
		},
		"GET /api/v1/readiness/attestations/{id}/files/{file}": func(t *testing.T, w *world) {
			id := w.campaignFor(t)
			aid, fid := w.attestation(t, id)
			expect(t, w.call("officerB", "GET", "/api/v1/readiness/attestations/"+aid+"/files/"+fid, nil), 404, "officerB downloads A1's evidence")
			r := w.call("viewerA", "GET", "/api/v1/readiness/attestations/"+aid+"/files/"+fid, nil)
			expect(t, r, 200, "viewerA downloads")
			if string(r.Body) != "biên bản" || len(r.Header.Get("X-Content-SHA256")) != 64 {
				t.Errorf("file %q sha %q", r.Body, r.Header.Get("X-Content-SHA256"))
			}
		},
		"GET /api/v1/readiness/templates": func(t *testing.T, w *world) {
			if got := codes(t, w.call("viewerA", "GET", "/api/v1/readiness/templates", nil), "key"); !got["directive-182-tet"] {
				t.Errorf("templates %v", got)
			}
		},
		"GET /api/v1/readiness/templates/{key}": func(t *testing.T, w *world) {
			expect(t, w.call("viewerA", "GET", "/api/v1/readiness/templates/directive-182-tet", nil), 200, "viewerA reads the template")
			expect(t, w.call("viewerA", "GET", "/api/v1/readiness/templates/none", nil), 404, "no such template")
		},
		"PUT /api/v1/readiness/templates/{key}": func(t *testing.T, w *world) {
			tpl := w.call("admin", "GET", "/api/v1/readiness/templates/directive-182-tet", nil).json(t)
			in := map[string]any{"name": tpl["name"], "criteria": tpl["criteria"]}
			expect(t, w.call("officerA", "PUT", "/api/v1/readiness/templates/directive-182-tet", in), 403, "officerA edits the template")
			expect(t, w.call("analyst", "PUT", "/api/v1/readiness/templates/directive-182-tet", in), 403, "analyst edits the template")
			expect(t, w.call("admin", "PUT", "/api/v1/readiness/templates/tet-2", map[string]any{"name": "x", "criteria": []any{}}), 400, "no criteria")
			expect(t, w.call("admin", "PUT", "/api/v1/readiness/templates/tet-2", in), 200, "admin copies the template")
		},
	} {
		scopeMatrix[k] = v
	}
}
