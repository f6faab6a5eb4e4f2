package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// advisoryFor drafts (as the admin, at the root unit: the IT Center) an
// advisory for units ("" for all) and issues it unless draft; it returns
// the advisory's id.
func (w *world) advisoryFor(t *testing.T, draft bool, units ...string) string {
	t.Helper()
	deadline := time.Now().AddDate(0, 1, 0).Format("02/01/2006")
	body := map[string]any{"title": "Vá Microsoft Outlook " + strings.Join(units, ","), "severity": "critical", "cves": []string{"CVE-2023-23397"},
		"deadline": deadline, "all_units": len(units) == 0, "units": units}
	r := w.call("admin", "POST", "/api/v1/advisories", body)
	expect(t, r, 201, "admin drafts an advisory")
	id := fmt.Sprint(r.json(t)["id"])
	if !draft {
		expect(t, w.call("admin", "POST", "/api/v1/advisories/"+id+"/issue", nil), 200, "admin issues")
	}
	return id
}

const rssDoc = `<?xml version="1.0"?><rss version="2.0"><channel><title>CERT mẫu</title>
<item><title>Lỗ hổng nghiêm trọng CVE-2023-23397</title><link>https://cert.example.vn/a/1</link><pubDate>Tue, 01 Dec 2026 09:15:00 +0700</pubDate></item>
</channel></rss>`

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/advisories": func(t *testing.T, w *world) {
			forA := w.advisoryFor(t, false, "A")
			forB := w.advisoryFor(t, false, "B")
			draft := w.advisoryFor(t, true)
			ids := func(actor, q string) map[string]bool {
				return codes(t, w.call(actor, "GET", "/api/v1/advisories"+q, nil), "id")
			}
			if got := ids("officerA", ""); !got[forA] || got[forB] || got[draft] {
				t.Errorf("officerA lists %v; want %s only", got, forA)
			}
			if got := ids("officerB", ""); got[forA] || !got[forB] || got[draft] {
				t.Errorf("officerB lists %v; want %s only", got, forB)
			}
			if got := ids("analyst", ""); !got[forA] || !got[forB] || !got[draft] {
				t.Errorf("analyst lists %v; want all", got)
			}
			if got := ids("admin", "?status=draft"); len(got) != 1 || !got[draft] {
				t.Errorf("admin lists drafts %v", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/advisories?unit=B", nil), 404, "officerA filters on B")
			expect(t, w.call("officerA", "GET", "/api/v1/advisories?status=bogus", nil), 400, "bad status")
			r := w.call("officerA", "GET", "/api/v1/advisories?format=csv", nil)
			expect(t, r, 200, "officerA exports")
			if strings.Contains(string(r.Body), "Outlook B") {
				t.Error("officerA's export holds B's advisory")
			}
		},
		"POST /api/v1/advisories": func(t *testing.T, w *world) {
			in := map[string]any{"title": "Cảnh báo lừa đảo dịp Tết", "deadline": "15/01/2027", "all_units": true}
			expect(t, w.call("officerA", "POST", "/api/v1/advisories", in), 403, "officerA drafts")
			expect(t, w.call("analyst", "POST", "/api/v1/advisories", in), 403, "analyst drafts")
			expect(t, w.call("admin", "POST", "/api/v1/advisories", map[string]any{"title": "x", "cves": []string{"CVE-1"}}), 400, "bad CVE")
			r := w.call("admin", "POST", "/api/v1/advisories", in)
			expect(t, r, 201, "admin drafts")
			if m := r.json(t); m["status"] != "draft" || !strings.HasPrefix(fmt.Sprint(m["ref"]), "CB-") {
				t.Errorf("drafted %v", m)
			}
		},
		"GET /api/v1/advisories/overdue": func(t *testing.T, w *world) {
			// Nothing is overdue in a fresh world; the scope still holds.
			expect(t, w.call("officerA", "GET", "/api/v1/advisories/overdue?unit=B", nil), 404, "officerA asks for B")
			r := w.call("officerA", "GET", "/api/v1/advisories/overdue", nil)
			expect(t, r, 200, "officerA lists overdue")
			if r.json(t)["total"] != float64(0) {
				t.Errorf("overdue in a fresh world: %s", r.Body)
			}
		},
		"POST /api/v1/advisories/import-feed": func(t *testing.T, w *world) {
			expect(t, w.call("officerA", "POST", "/api/v1/advisories/import-feed?channel=CERT", rssDoc), 403, "officerA imports")
			expect(t, w.call("admin", "POST", "/api/v1/advisories/import-feed", rssDoc), 400, "no channel")
			r := w.call("admin", "POST", "/api/v1/advisories/import-feed?channel=CERT", rssDoc)
			expect(t, r, 200, "admin imports")
			if r.json(t)["new"] != float64(1) {
				t.Errorf("import: %s", r.Body)
			}
			r = w.call("admin", "POST", "/api/v1/advisories/import-feed?channel=CERT", `<!DOCTYPE x [<!ENTITY a "b">]><rss/>`)
			expect(t, r, 400, "a DOCTYPE")
			if !strings.Contains(string(r.Body), "channel CERT, line 1") {
				t.Errorf("refusal does not name the channel and line: %s", r.Body)
			}
		},
		"GET /api/v1/advisories/{id}": func(t *testing.T, w *world) {
			forA := w.advisoryFor(t, false, "A")
			draft := w.advisoryFor(t, true, "A")
			expect(t, w.call("officerB", "GET", "/api/v1/advisories/"+forA, nil), 404, "officerB reads A's")
			expect(t, w.call("officerA", "GET", "/api/v1/advisories/"+draft, nil), 404, "officerA reads a draft")
			r := w.call("viewerA", "GET", "/api/v1/advisories/"+forA, nil)
			expect(t, r, 200, "viewerA reads A's")
			if mine, _ := r.json(t)["mine"].(map[string]any); mine["state"] != "waiting" {
				t.Errorf("viewerA's unit's answer: %s", r.Body)
			}
			expect(t, w.call("analyst", "GET", "/api/v1/advisories/"+draft, nil), 200, "analyst reads a draft")
		},
		"PATCH /api/v1/advisories/{id}": func(t *testing.T, w *world) {
			draft := w.advisoryFor(t, true, "A")
			expect(t, w.call("officerA", "PATCH", "/api/v1/advisories/"+draft, map[string]any{"title": "x"}), 403, "officerA edits")
			expect(t, w.call("admin", "PATCH", "/api/v1/advisories/"+draft, map[string]any{"deadline": "32/01/2027"}), 400, "bad deadline")
			expect(t, w.call("admin", "PATCH", "/api/v1/advisories/"+draft, map[string]any{"units": []string{"B"}}), 200, "admin retargets a draft")
			issued := w.advisoryFor(t, false, "A")
			expect(t, w.call("admin", "PATCH", "/api/v1/advisories/"+issued, map[string]any{"units": []string{"B"}}), 409, "retarget issued")
			expect(t, w.call("admin", "PATCH", "/api/v1/advisories/"+issued, map[string]any{"deadline": "2027-02-01"}), 200, "extend the deadline")
		},
		"POST /api/v1/advisories/{id}/issue": func(t *testing.T, w *world) {
			draft := w.advisoryFor(t, true, "A")
			expect(t, w.call("officerA", "POST", "/api/v1/advisories/"+draft+"/issue", nil), 403, "officerA issues")
			r := w.call("admin", "POST", "/api/v1/advisories/"+draft+"/issue", nil)
			expect(t, r, 200, "admin issues")
			if m := r.json(t); m["status"] != "issued" {
				t.Errorf("issued: %v", m)
			}
			if got := codes(t, w.call("admin", "GET", "/api/v1/advisories/"+draft+"/units", nil), "unit"); !got["A"] || !got["A1"] || got["B"] || got["BHXHVN"] {
				t.Errorf("issued to A: targets %v; want A and the units under it", got)
			}
			expect(t, w.call("admin", "POST", "/api/v1/advisories/"+draft+"/issue", nil), 409, "issued twice")
		},
		"POST /api/v1/advisories/{id}/withdraw": func(t *testing.T, w *world) {
			id := w.advisoryFor(t, false, "A")
			expect(t, w.call("officerA", "POST", "/api/v1/advisories/"+id+"/withdraw", map[string]string{"reason": "x"}), 403, "officerA withdraws")
			expect(t, w.call("admin", "POST", "/api/v1/advisories/"+id+"/withdraw", map[string]string{"reason": "thay bằng CB mới"}), 200, "admin withdraws")
			expect(t, w.call("officerA", "POST", "/api/v1/advisories/"+id+"/ack", nil), 409, "officerA acknowledges a withdrawn one")
		},
		"POST /api/v1/advisories/{id}/ack": func(t *testing.T, w *world) {
			id := w.advisoryFor(t, false, "A")
			expect(t, w.call("officerB", "POST", "/api/v1/advisories/"+id+"/ack", nil), 404, "officerB acknowledges A's")
			expect(t, w.call("officerB", "POST", "/api/v1/advisories/"+id+"/ack?unit=A", nil), 404, "officerB acknowledges for A")
			expect(t, w.call("viewerA", "POST", "/api/v1/advisories/"+id+"/ack", nil), 403, "viewerA acknowledges")
			expect(t, w.call("officerA", "POST", "/api/v1/advisories/"+id+"/ack?unit=B", nil), 404, "officerA acknowledges for B")
			r := w.call("officerA", "POST", "/api/v1/advisories/"+id+"/ack?unit=A1", nil)
			expect(t, r, 200, "officerA acknowledges for A1")
			if m := r.json(t); m["unit"] != "A1" || m["state"] != "acknowledged" {
				t.Errorf("ack: %v", m)
			}
			expect(t, w.call("officerA", "POST", "/api/v1/advisories/"+id+"/ack?unit=A1", nil), 409, "acknowledged twice")
		},
		"POST /api/v1/advisories/{id}/complete": func(t *testing.T, w *world) {
			id := w.advisoryFor(t, false, "A")
			note := map[string]string{"note": "Đã cài bản vá trên toàn bộ máy trạm."}
			expect(t, w.call("officerB", "POST", "/api/v1/advisories/"+id+"/complete", note), 404, "officerB completes A's")
			expect(t, w.call("officerA", "POST", "/api/v1/advisories/"+id+"/complete", map[string]string{}), 400, "no note")
			r := w.call("officerA", "POST", "/api/v1/advisories/"+id+"/complete", note)
			expect(t, r, 200, "officerA completes")
			if m := r.json(t); m["state"] != "completed" || m["acked_at"] == nil {
				t.Errorf("complete: %v", m)
			}
		},
		"GET /api/v1/advisories/{id}/units": func(t *testing.T, w *world) {
			id := w.advisoryFor(t, false)
			got := codes(t, w.call("officerA", "GET", "/api/v1/advisories/"+id+"/units", nil), "unit")
			if !got["A"] || !got["A1"] || got["B"] || got["BHXHVN"] {
				t.Errorf("officerA sees targets %v; want A and A1", got)
			}
			if got := codes(t, w.call("analyst", "GET", "/api/v1/advisories/"+id+"/units", nil), "unit"); !got["A"] || !got["B"] || !got["BHXHVN"] || !got["ITC"] {
				t.Errorf("analyst sees targets %v; want every unit", got)
			}
			forB := w.advisoryFor(t, false, "B")
			expect(t, w.call("officerA", "GET", "/api/v1/advisories/"+forB+"/units", nil), 404, "officerA lists B's advisory's units")
			expect(t, w.call("officerA", "GET", "/api/v1/advisories/"+id+"/units?format=xlsx", nil), 200, "officerA exports")
		},
	} {
		scopeMatrix[k] = v
	}
}
