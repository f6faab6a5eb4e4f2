package web_test

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"

	"vigil/internal/intel/format"
)

// intelList makes a list through the API as the administrator: entries
// maps a unit code ("" every unit) to pasted values; publish publishes it.
func (w *world) intelList(t *testing.T, name string, publish bool, entries map[string]string) string {
	t.Helper()
	// The watchlist's scope fixture writes version 1 of this month's
	// list straight into the table: let it have it first.
	w.watchlistHits(t)
	r := w.call("admin", "POST", "/api/v1/watchlists", map[string]any{"name": name})
	expect(t, r, 201, "create list "+name)
	id := fmt.Sprint(r.json(t)["id"])
	for unit, values := range entries {
		expect(t, w.call("admin", "POST", "/api/v1/watchlists/"+id+"/entries", map[string]any{"values": values, "unit": unit}), 200, "add entries for "+unit)
	}
	if publish {
		expect(t, w.call("admin", "POST", "/api/v1/watchlists/"+id+"/publish", nil), 200, "publish "+name)
	}
	return id
}

func values(t *testing.T, r response) map[string]bool {
	t.Helper()
	return codes(t, r, "value")
}

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"POST /api/v1/intel/import": func(t *testing.T, w *world) {
			w.watchlistHits(t) // see intelList
			q := func(v url.Values) string { return "/api/v1/intel/import?" + v.Encode() }
			list := "Danh sách kiểm tra nhập"
			expect(t, w.call("viewerA", "POST", q(url.Values{"list": {list}, "unit": {"A"}}), "ip,192.0.2.77\n"), 403, "viewer imports")
			expect(t, w.call("officerA", "POST", q(url.Values{}), "ip,192.0.2.77\n"), 403, "officer imports global intel")
			expect(t, w.call("analyst", "POST", q(url.Values{}), "ip,192.0.2.77\n"), 403, "analyst imports")
			expect(t, w.call("officerA", "POST", q(url.Values{"list": {list}, "unit": {"A"}}), "ip,192.0.2.77\n"), 400, "officer imports into a list that does not exist")
			r := w.call("admin", "POST", q(url.Values{"list": {list}, "file": {"x.csv"}}), "type,value\nip,192.0.2.77\nnonsense,zzz\n")
			expect(t, r, 200, "admin imports into a new list")
			m := r.json(t)
			if m["indicators_loaded"] != float64(1) || m["objects_read"] == float64(0) || len(m["skipped"].([]any)) != 1 {
				t.Errorf("import answered %s", r.Body)
			}
			if l, _ := m["list"].(map[string]any); l == nil || l["status"] != "published" {
				t.Errorf("the IT Center's import did not publish: %s", r.Body)
			}
			expect(t, w.call("officerA", "POST", q(url.Values{"list": {list}, "unit": {"B"}}), "ip,192.0.2.78\n"), 400, "officerA imports for B")
			expect(t, w.call("officerA", "POST", q(url.Values{"list": {list}, "unit": {"A1"}}), "ip,192.0.2.78\n"), 200, "officerA imports for A1")
			expect(t, w.call("admin", "POST", q(url.Values{"tlp": {"purple"}}), "ip,192.0.2.79\n"), 400, "bad tlp")
		},
		"GET /api/v1/intel/indicators": func(t *testing.T, w *world) {
			w.watchlistHits(t) // see intelList
			expect(t, w.call("admin", "POST", "/api/v1/intel/import?file=g.csv", "domain,global-only.example\n"), 200, "global import")
			w.intelList(t, "Danh sách chỉ báo", true, map[string]string{"B": "domain,b-only.example\n", "": "domain,every.example\n"})
			a := values(t, w.call("officerA", "GET", "/api/v1/intel/indicators?limit=1000", nil))
			if a["global-only.example"] || a["b-only.example"] || !a["every.example"] {
				t.Errorf("officerA sees %v", a)
			}
			b := values(t, w.call("officerB", "GET", "/api/v1/intel/indicators?kind=domain&limit=1000", nil))
			if !b["b-only.example"] || b["global-only.example"] {
				t.Errorf("officerB sees %v", b)
			}
			all := values(t, w.call("analyst", "GET", "/api/v1/intel/indicators?limit=1000", nil))
			if !all["global-only.example"] || !all["b-only.example"] {
				t.Errorf("analyst sees %v", all)
			}
			expect(t, w.call("analyst", "GET", "/api/v1/intel/indicators?status=nope", nil), 400, "bad status")
			r := w.call("analyst", "GET", "/api/v1/intel/indicators?format=csv&q=global-only", nil)
			expect(t, r, 200, "csv export")
			if !strings.Contains(string(r.Body), "global-only.example") {
				t.Errorf("export lacks the indicator: %s", r.Body)
			}
		},
		"GET /api/v1/intel/template.xlsx": func(t *testing.T, w *world) {
			r := w.call("viewerA", "GET", "/api/v1/intel/template.xlsx", nil)
			if _, err := format.Template(); err != nil {
				// The format helper's template has not landed yet.
				t.Logf("format.Template: %v; the route answers %d", err, r.Status)
				expect(t, r, 500, "template before the writer exists")
				return
			}
			expect(t, r, 200, "template")
			if !strings.HasPrefix(string(r.Body), "PK") {
				t.Errorf("template is not an XLSX file: %.40q", r.Body)
			}
		},
		"GET /api/v1/watchlists": func(t *testing.T, w *world) {
			w.intelList(t, "Bản nháp bí mật", false, nil)
			w.intelList(t, "Danh sách đã phát hành", true, nil)
			got := codes(t, w.call("officerA", "GET", "/api/v1/watchlists?limit=1000", nil), "name")
			if got["Bản nháp bí mật"] || !got["Danh sách đã phát hành"] {
				t.Errorf("officerA lists %v", got)
			}
			if got := codes(t, w.call("analyst", "GET", "/api/v1/watchlists?status=draft", nil), "name"); !got["Bản nháp bí mật"] {
				t.Errorf("analyst lists drafts %v", got)
			}
			expect(t, w.call("analyst", "GET", "/api/v1/watchlists?month=12-2026", nil), 400, "bad month")
		},
		"POST /api/v1/watchlists": func(t *testing.T, w *world) {
			in := map[string]any{"name": "Danh sách mới", "month": "2026-12"}
			for _, who := range []string{"officerA", "viewerA", "analyst"} {
				expect(t, w.call(who, "POST", "/api/v1/watchlists", in), 403, who+" creates a list")
			}
			expect(t, w.call("admin", "POST", "/api/v1/watchlists", map[string]any{"name": "x", "month": "2026-13"}), 400, "bad month")
			r := w.call("admin", "POST", "/api/v1/watchlists", in)
			expect(t, r, 201, "admin creates")
			id := fmt.Sprint(r.json(t)["id"])
			expect(t, w.call("officerA", "POST", "/api/v1/watchlists?from="+id, nil), 403, "officer versions")
			r = w.call("admin", "POST", "/api/v1/watchlists?from="+id, nil)
			expect(t, r, 201, "admin versions")
			if r.json(t)["version"].(float64) < 2 {
				t.Errorf("new version %s", r.Body)
			}
		},
		"GET /api/v1/watchlists/{id}": func(t *testing.T, w *world) {
			draft := w.intelList(t, "Nháp", false, nil)
			pub := w.intelList(t, "Phát hành", true, nil)
			expect(t, w.call("officerA", "GET", "/api/v1/watchlists/"+draft, nil), 404, "officer reads a draft")
			expect(t, w.call("analyst", "GET", "/api/v1/watchlists/"+draft, nil), 200, "analyst reads a draft")
			expect(t, w.call("viewerA", "GET", "/api/v1/watchlists/"+pub, nil), 200, "viewer reads a published list")
			expect(t, w.call("viewerA", "GET", "/api/v1/watchlists/abc", nil), 404, "bad id")
		},
		"GET /api/v1/watchlists/{id}/entries": func(t *testing.T, w *world) {
			id := w.intelList(t, "Mục theo đơn vị", true, map[string]string{"A": "ip,198.51.100.10\n", "B": "ip,198.51.100.20\n", "": "ip,198.51.100.30\n"})
			a := values(t, w.call("viewerA", "GET", "/api/v1/watchlists/"+id+"/entries", nil))
			if !a["198.51.100.10"] || !a["198.51.100.30"] || a["198.51.100.20"] {
				t.Errorf("viewerA sees %v", a)
			}
			if all := values(t, w.call("analyst", "GET", "/api/v1/watchlists/"+id+"/entries?sort=severity", nil)); len(all) != 3 {
				t.Errorf("analyst sees %v", all)
			}
			draft := w.intelList(t, "Nháp mục", false, map[string]string{"A": "ip,198.51.100.40\n"})
			expect(t, w.call("officerA", "GET", "/api/v1/watchlists/"+draft+"/entries", nil), 404, "officer reads a draft's entries")
			r := w.call("viewerA", "GET", "/api/v1/watchlists/"+id+"/entries?format=xlsx", nil)
			expect(t, r, 200, "xlsx export")
		},
		"POST /api/v1/watchlists/{id}/entries": func(t *testing.T, w *world) {
			id := w.intelList(t, "Thêm mục", true, nil)
			add := func(unit string) map[string]any {
				return map[string]any{"values": "ip,203.0.113.60\n", "unit": unit, "action": "reimage"}
			}
			expect(t, w.call("viewerA", "POST", "/api/v1/watchlists/"+id+"/entries", add("A")), 403, "viewer adds")
			expect(t, w.call("officerA", "POST", "/api/v1/watchlists/"+id+"/entries", add("B")), 400, "officerA adds for B")
			expect(t, w.call("officerA", "POST", "/api/v1/watchlists/"+id+"/entries", add("")), 400, "officerA adds for every unit")
			expect(t, w.call("officerA", "POST", "/api/v1/watchlists/"+id+"/entries", add("A")), 200, "officerA adds for A")
			expect(t, w.call("admin", "POST", "/api/v1/watchlists/"+id+"/entries", map[string]any{"values": "ip,203.0.113.60\n", "action": "explode"}), 400, "bad action")
			expect(t, w.call("admin", "POST", "/api/v1/watchlists/"+id+"/entries", add("")), 200, "admin adds for every unit")
		},
		"DELETE /api/v1/watchlists/{id}/entries": func(t *testing.T, w *world) {
			id := w.intelList(t, "Bỏ mục", true, map[string]string{"B": "ip,203.0.113.70\n"})
			items := w.call("admin", "GET", "/api/v1/watchlists/"+id+"/entries", nil).items(t)
			ind := items[0]["indicator_id"]
			body := map[string]any{"indicator_ids": []any{ind}}
			expect(t, w.call("officerA", "DELETE", "/api/v1/watchlists/"+id+"/entries", body), 404, "officerA removes B's entry")
			expect(t, w.call("viewerA", "DELETE", "/api/v1/watchlists/"+id+"/entries", body), 403, "viewer removes")
			r := w.call("officerB", "DELETE", "/api/v1/watchlists/"+id+"/entries", body)
			expect(t, r, 200, "officerB removes B's entry")
			if r.json(t)["removed"] != float64(1) {
				t.Errorf("removed %s", r.Body)
			}
		},
		"POST /api/v1/watchlists/{id}/publish": func(t *testing.T, w *world) {
			id := w.intelList(t, "Phát hành thử", false, map[string]string{"": "domain,publish.example\n"})
			for _, who := range []string{"officerA", "analyst", "viewerA"} {
				r := w.call(who, "POST", "/api/v1/watchlists/"+id+"/publish", nil)
				if r.Status != 403 && r.Status != 404 {
					t.Errorf("%s publishes: %d", who, r.Status)
				}
			}
			expect(t, w.call("admin", "POST", "/api/v1/watchlists/"+id+"/publish", nil), 200, "admin publishes")
			expect(t, w.call("admin", "POST", "/api/v1/watchlists/"+id+"/publish", nil), 409, "publish twice")
		},
		"POST /api/v1/watchlists/{id}/withdraw": func(t *testing.T, w *world) {
			id := w.intelList(t, "Thu hồi thử", true, nil)
			expect(t, w.call("officerA", "POST", "/api/v1/watchlists/"+id+"/withdraw", map[string]any{"reason": "x"}), 403, "officer withdraws")
			expect(t, w.call("admin", "POST", "/api/v1/watchlists/"+id+"/withdraw", map[string]any{"reason": "nhầm"}), 200, "admin withdraws")
			expect(t, w.call("admin", "POST", "/api/v1/watchlists/"+id+"/withdraw", nil), 409, "withdraw twice")
		},
		"GET /api/v1/watchlists/{id}/export": func(t *testing.T, w *world) {
			id := w.intelList(t, "Xuất thử", true, map[string]string{"A": "domain,a-export.example\n", "B": "domain,b-export.example\n"})
			r := w.call("officerA", "GET", "/api/v1/watchlists/"+id+"/export?format=csv", nil)
			expect(t, r, 200, "officerA exports")
			if !strings.Contains(string(r.Body), "a-export.example") || strings.Contains(string(r.Body), "b-export.example") {
				t.Errorf("officerA's export: %s", r.Body)
			}
			formats := []string{"stix", "misp"}
			if format.WriteMISP(io.Discard, nil, format.WriteOptions{}) != nil {
				t.Log("format.WriteMISP has not landed yet: MISP export not checked")
				formats = formats[:1]
			}
			for _, f := range formats {
				r := w.call("analyst", "GET", "/api/v1/watchlists/"+id+"/export?format="+f, nil)
				expect(t, r, 200, f+" export")
				if !strings.Contains(string(r.Body), "b-export.example") {
					t.Errorf("%s export lacks an entry: %.300s", f, r.Body)
				}
			}
			expect(t, w.call("analyst", "GET", "/api/v1/watchlists/"+id+"/export?format=pdf", nil), 400, "bad format")
			draft := w.intelList(t, "Xuất nháp", false, nil)
			expect(t, w.call("officerA", "GET", "/api/v1/watchlists/"+draft+"/export?format=csv", nil), 404, "officer exports a draft")
		},
	} {
		scopeMatrix[k] = v
	}
}
