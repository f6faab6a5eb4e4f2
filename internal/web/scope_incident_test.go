package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// incidentFor opens (as the analyst) a case for units (the first owning
// it) and returns its id.
func (w *world) incidentFor(t *testing.T, units ...string) string {
	t.Helper()
	r := w.call("analyst", "POST", "/api/v1/incidents", map[string]any{"title": "Mã độc trên máy kế toán " + strings.Join(units, ","), "category": "malware",
		"severity": "high", "units": units})
	expect(t, r, 201, "analyst opens a case")
	return fmt.Sprint(r.json(t)["id"])
}

// rawCall sends a raw body as actor.
func (w *world) rawCall(t *testing.T, actor, method, path string, body []byte, header map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(method, w.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.tokens[actor])
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Body: b, Header: res.Header}
}

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/incidents": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A1")
			forB := w.incidentFor(t, "B")
			ids := func(actor, q string) map[string]bool {
				return codes(t, w.call(actor, "GET", "/api/v1/incidents"+q, nil), "id")
			}
			if got := ids("officerA", ""); !got[forA] || got[forB] {
				t.Errorf("officerA lists %v; want %s, not %s", got, forA, forB)
			}
			if got := ids("viewerA", "?unit=A"); !got[forA] || got[forB] {
				t.Errorf("viewerA lists %v", got)
			}
			if got := ids("analyst", ""); !got[forA] || !got[forB] {
				t.Errorf("analyst lists %v; want both", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/incidents?unit=B", nil), 404, "officerA filters on B")
			expect(t, w.call("officerA", "GET", "/api/v1/incidents?severity=bogus", nil), 400, "bad severity")
			r := w.call("officerB", "GET", "/api/v1/incidents?unit=B", nil)
			expect(t, r, 200, "officerB lists B")
			for _, it := range r.items(t) {
				for _, k := range []string{"id", "title", "category", "severity", "status", "units", "opened_at", "report_due_at"} {
					if _, ok := it[k]; !ok {
						t.Errorf("item lacks %q: %v", k, it)
					}
				}
			}
			r = w.call("officerA", "GET", "/api/v1/incidents?format=csv", nil)
			expect(t, r, 200, "officerA exports")
			if strings.Contains(string(r.Body), "máy kế toán B") {
				t.Error("officerA's export holds B's case")
			}
			// A participant from another unit sees the case.
			expect(t, w.call("analyst", "POST", "/api/v1/incidents/"+forB+"/participants", map[string]string{"email": "officera@test.vigil"}), 200, "add officerA to B's case")
			if got := ids("officerA", ""); !got[forB] {
				t.Errorf("participant officerA does not list B's case: %v", got)
			}
		},
		"POST /api/v1/incidents": func(t *testing.T, w *world) {
			al := seedAlerts(t, w)
			in := map[string]any{"title": "Tấn công từ chối dịch vụ cổng thông tin", "category": "dos", "severity": "critical", "units": []string{"A"}}
			expect(t, w.call("viewerA", "POST", "/api/v1/incidents", in), 403, "viewerA opens")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents", map[string]any{"title": "x", "category": "dos", "units": []string{"B"}}), 403, "officerA opens for B")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents", map[string]any{"title": "x", "category": "bogus"}), 400, "bad category")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents", map[string]any{"title": "x", "category": "dos", "alerts": []int64{al["B"]}}), 400, "officerA links B's alert")
			r := w.call("officerA", "POST", "/api/v1/incidents", in)
			expect(t, r, 201, "officerA opens for A")
			m := r.json(t)
			if m["status"] != "new" || !strings.HasPrefix(fmt.Sprint(m["ref"]), "SC-") || m["report_due_at"] == nil {
				t.Errorf("opened %v", m)
			}
			r = w.call("analyst", "POST", "/api/v1/incidents", map[string]any{"title": "Certutil", "category": "malware", "severity": "high", "alerts": []int64{al["A"], al["B"]}})
			expect(t, r, 201, "analyst opens from alerts")
			if m := r.json(t); fmt.Sprint(m["units"]) != "[A B]" || fmt.Sprint(m["alerts"]) != fmt.Sprint([]float64{float64(al["A"]), float64(al["B"])}) {
				t.Errorf("from alerts: units %v alerts %v", m["units"], m["alerts"])
			}
		},
		"GET /api/v1/incidents/timers": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A")
			forB := w.incidentFor(t, "B")
			r := w.call("officerA", "GET", "/api/v1/incidents/timers", nil)
			expect(t, r, 200, "officerA's timers")
			if s := string(r.Body); !strings.Contains(s, `"id":`+forA+`,`) || strings.Contains(s, `"id":`+forB+`,`) {
				t.Errorf("officerA's timers: %s", s)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/incidents/timers?unit=B", nil), 404, "officerA's timers of B")
		},
		"GET /api/v1/incidents/summary": func(t *testing.T, w *world) {
			w.incidentFor(t, "A")
			w.incidentFor(t, "B")
			r := w.call("officerA", "GET", "/api/v1/incidents/summary", nil)
			expect(t, r, 200, "officerA's summary")
			listed := w.call("officerA", "GET", "/api/v1/incidents", nil).json(t)["total"]
			if m := r.json(t); m["total"] != listed || listed == float64(0) {
				t.Errorf("officerA's summary counts %v, the list %v", m["total"], listed)
			}
			if all := w.call("analyst", "GET", "/api/v1/incidents/summary", nil).json(t)["total"].(float64); all <= listed.(float64) {
				t.Errorf("analyst's summary counts %v, officerA's %v", all, listed)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/incidents/summary?unit=B", nil), 404, "officerA's summary of B")
			expect(t, w.call("officerA", "GET", "/api/v1/incidents/summary?month=2026-13", nil), 400, "bad month")
		},
		"GET /api/v1/incidents/settings": func(t *testing.T, w *world) {
			r := w.call("viewerA", "GET", "/api/v1/incidents/settings", nil)
			expect(t, r, 200, "viewerA reads the settings")
			if r.json(t)["initial_days"] != float64(5) {
				t.Errorf("default settings: %s", r.Body)
			}
		},
		"PUT /api/v1/incidents/settings": func(t *testing.T, w *world) {
			set := map[string]any{"initial_days": 5, "working_days": true, "final_days": 5, "personal_data_hours": 72, "ack_minutes": 30, "contain_hours": 12,
				"close_days": 20, "remind_hours": 12, "holidays": []string{"17/02/2026"}}
			expect(t, w.call("officerA", "PUT", "/api/v1/incidents/settings", set), 403, "officerA sets")
			expect(t, w.call("analyst", "PUT", "/api/v1/incidents/settings", set), 403, "analyst sets")
			bad := map[string]any{"initial_days": 0}
			expect(t, w.call("admin", "PUT", "/api/v1/incidents/settings", bad), 400, "bad settings")
			r := w.call("admin", "PUT", "/api/v1/incidents/settings", set)
			expect(t, r, 200, "admin sets")
			if fmt.Sprint(r.json(t)["holidays"]) != "[2026-02-17]" {
				t.Errorf("saved %s", r.Body)
			}
			expect(t, w.call("admin", "PUT", "/api/v1/incidents/settings", map[string]any{"initial_days": 5, "final_days": 5, "personal_data_hours": 72,
				"ack_minutes": 60, "contain_hours": 24, "close_days": 30, "remind_hours": 24}), 200, "admin restores")
		},
		"GET /api/v1/incidents/{id}": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A1")
			expect(t, w.call("officerB", "GET", "/api/v1/incidents/"+forA, nil), 404, "officerB reads A's")
			r := w.call("viewerA", "GET", "/api/v1/incidents/"+forA, nil)
			expect(t, r, 200, "viewerA reads A1's")
			if cl, _ := r.json(t)["clocks"].([]any); len(cl) < 4 {
				t.Errorf("clocks: %s", r.Body)
			}
		},
		"PATCH /api/v1/incidents/{id}": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A")
			expect(t, w.call("officerB", "PATCH", "/api/v1/incidents/"+forA, map[string]any{"title": "x"}), 404, "officerB edits A's")
			expect(t, w.call("viewerA", "PATCH", "/api/v1/incidents/"+forA, map[string]any{"title": "x"}), 403, "viewerA edits")
			expect(t, w.call("officerA", "PATCH", "/api/v1/incidents/"+forA, map[string]any{"public_ips": []string{"10.1.2.3"}}), 400, "internal address")
			expect(t, w.call("officerA", "PATCH", "/api/v1/incidents/"+forA, map[string]any{"units": []string{"A", "B"}}), 403, "officerA adds B")
			r := w.call("officerA", "PATCH", "/api/v1/incidents/"+forA, map[string]any{"security_level": 3, "personal_data": true, "public_ips": []string{"203.0.113.7"}})
			expect(t, r, 200, "officerA edits")
			if m := r.json(t); m["security_level"] != float64(3) || m["personal_data"] != true {
				t.Errorf("edited %v", m)
			}
		},
		"POST /api/v1/incidents/{id}/status": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A")
			expect(t, w.call("officerB", "POST", "/api/v1/incidents/"+forA+"/status", map[string]string{"status": "triage"}), 404, "officerB moves A's")
			expect(t, w.call("viewerA", "POST", "/api/v1/incidents/"+forA+"/status", map[string]string{"status": "triage"}), 403, "viewerA moves")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/status", map[string]string{"status": "closed"}), 400, "close without a note")
			r := w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/status", map[string]string{"status": "triage"})
			expect(t, r, 200, "officerA moves")
			if m := r.json(t); m["status"] != "triage" || m["acked_at"] == nil || m["status_by"] != "officera@test.vigil" {
				t.Errorf("moved %v", m)
			}
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/status", map[string]string{"status": "triage"}), 409, "same status")
			r = w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/status", map[string]string{"status": "closed", "note": "Đã gỡ mã độc, cài lại máy."})
			expect(t, r, 200, "officerA closes")
			if m := r.json(t); m["closed_at"] == nil || m["contained_at"] == nil || m["resolution"] != "Đã gỡ mã độc, cài lại máy." {
				t.Errorf("closed %v", m)
			}
		},
		"POST /api/v1/incidents/{id}/notes": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A")
			expect(t, w.call("officerB", "POST", "/api/v1/incidents/"+forA+"/notes", map[string]string{"text": "x"}), 404, "officerB notes A's")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/notes", map[string]string{"text": " "}), 400, "empty note")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/notes", map[string]string{"text": "Đã cô lập máy khỏi mạng."}), 201, "officerA notes")
		},
		"GET /api/v1/incidents/{id}/timeline": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/notes", map[string]string{"text": "Ghi chú một"}), 201, "note")
			expect(t, w.call("officerB", "GET", "/api/v1/incidents/"+forA+"/timeline", nil), 404, "officerB reads A's timeline")
			r := w.call("viewerA", "GET", "/api/v1/incidents/"+forA+"/timeline", nil)
			expect(t, r, 200, "viewerA reads the timeline")
			if m := r.json(t); m["total"] != float64(2) {
				t.Errorf("timeline: %s", r.Body)
			}
		},
		"GET /api/v1/incidents/{id}/tasks": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A")
			expect(t, w.call("officerB", "GET", "/api/v1/incidents/"+forA+"/tasks", nil), 404, "officerB reads A's tasks")
			expect(t, w.call("viewerA", "GET", "/api/v1/incidents/"+forA+"/tasks", nil), 200, "viewerA reads the tasks")
		},
		"POST /api/v1/incidents/{id}/tasks": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A")
			task := map[string]string{"title": "Thu thập nhật ký tường lửa", "owner": "officera@test.vigil", "due": "31/12/2026 17:00"}
			expect(t, w.call("officerB", "POST", "/api/v1/incidents/"+forA+"/tasks", task), 404, "officerB adds to A's")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/tasks", map[string]string{"title": "x", "due": "32/13/2026"}), 400, "bad due")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/tasks", map[string]string{"title": "x", "owner": "nobody@test.vigil"}), 400, "unknown owner")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/tasks", task), 201, "officerA adds a task")
		},
		"POST /api/v1/incidents/{id}/tasks/{task}/done": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A")
			r := w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/tasks", map[string]string{"title": "Quét toàn bộ máy trạm"})
			expect(t, r, 201, "task")
			task := fmt.Sprint(r.json(t)["id"])
			expect(t, w.call("officerB", "POST", "/api/v1/incidents/"+forA+"/tasks/"+task+"/done", nil), 404, "officerB completes")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/tasks/9999999/done", nil), 404, "no such task")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/tasks/"+task+"/done", nil), 200, "officerA completes")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/tasks/"+task+"/done", nil), 409, "twice")
		},
		"GET /api/v1/incidents/{id}/observables": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A")
			expect(t, w.call("officerB", "GET", "/api/v1/incidents/"+forA+"/observables", nil), 404, "officerB reads A's")
			expect(t, w.call("viewerA", "GET", "/api/v1/incidents/"+forA+"/observables", nil), 200, "viewerA reads")
		},
		"POST /api/v1/incidents/{id}/observables": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A")
			obs := []map[string]string{{"value": "203.0.113.7"}, {"kind": "domain", "value": "Evil.Example"}}
			expect(t, w.call("officerB", "POST", "/api/v1/incidents/"+forA+"/observables", obs), 404, "officerB adds")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/observables", []map[string]string{{"kind": "ip", "value": "not-an-ip"}}), 400, "bad ip")
			r := w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/observables", obs)
			expect(t, r, 201, "officerA adds")
			if !strings.Contains(string(r.Body), `"value":"evil.example"`) {
				t.Errorf("observables: %s", r.Body)
			}
		},
		"POST /api/v1/incidents/{id}/alerts": func(t *testing.T, w *world) {
			al := seedAlerts(t, w)
			forA := w.incidentFor(t, "A")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/alerts", map[string]any{"alerts": []int64{al["B"]}}), 400, "officerA links B's alert")
			expect(t, w.call("officerB", "POST", "/api/v1/incidents/"+forA+"/alerts", map[string]any{"alerts": []int64{al["B"]}}), 404, "officerB links to A's")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/alerts", map[string]any{"alerts": []int64{al["A"]}}), 200, "officerA links A's alert")
		},
		"POST /api/v1/incidents/{id}/participants": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A")
			expect(t, w.call("officerB", "POST", "/api/v1/incidents/"+forA+"/participants", map[string]string{"email": "officerb@test.vigil"}), 404, "officerB adds himself")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/participants", map[string]string{"email": "nobody@test.vigil"}), 400, "unknown user")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/participants", map[string]string{"email": "officerb@test.vigil"}), 200, "officerA adds officerB")
			expect(t, w.call("officerB", "GET", "/api/v1/incidents/"+forA, nil), 200, "participant officerB reads A's case")
			expect(t, w.call("officerB", "POST", "/api/v1/incidents/"+forA+"/notes", map[string]string{"text": "Hà Nội hỗ trợ phân tích mẫu."}), 201, "participant notes")
		},
		"GET /api/v1/incidents/{id}/evidence": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A")
			expect(t, w.call("officerB", "GET", "/api/v1/incidents/"+forA+"/evidence", nil), 404, "officerB lists A's")
			expect(t, w.call("viewerA", "GET", "/api/v1/incidents/"+forA+"/evidence", nil), 200, "viewerA lists")
		},
		"POST /api/v1/incidents/{id}/evidence": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A")
			data := []byte("Nhật ký tường lửa 01/12/2026\n")
			sum := sha256.Sum256(data)
			expect(t, w.rawCall(t, "officerB", "POST", "/api/v1/incidents/"+forA+"/evidence?name=fw.log", data, nil), 404, "officerB attaches")
			expect(t, w.rawCall(t, "viewerA", "POST", "/api/v1/incidents/"+forA+"/evidence?name=fw.log", data, nil), 403, "viewerA attaches")
			r := w.rawCall(t, "officerA", "POST", "/api/v1/incidents/"+forA+"/evidence?name=fw.log&sha256="+strings.Repeat("0", 64), data, nil)
			expect(t, r, 400, "mismatched hash")
			if !strings.Contains(string(r.Body), hex.EncodeToString(sum[:])) {
				t.Errorf("refusal does not give the file's hash: %s", r.Body)
			}
			r = w.rawCall(t, "officerA", "POST", "/api/v1/incidents/"+forA+"/evidence?name=fw.log", data, map[string]string{"X-Content-SHA256": hex.EncodeToString(sum[:])})
			expect(t, r, 201, "officerA attaches")
			if r.json(t)["sha256"] != hex.EncodeToString(sum[:]) {
				t.Errorf("attached %s", r.Body)
			}
		},
		"GET /api/v1/incidents/{id}/evidence/{file}": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A")
			r := w.rawCall(t, "officerA", "POST", "/api/v1/incidents/"+forA+"/evidence?name=note.txt", []byte("bằng chứng"), nil)
			expect(t, r, 201, "attach")
			file := fmt.Sprint(r.json(t)["id"])
			expect(t, w.call("officerB", "GET", "/api/v1/incidents/"+forA+"/evidence/"+file, nil), 404, "officerB downloads")
			r = w.call("viewerA", "GET", "/api/v1/incidents/"+forA+"/evidence/"+file, nil)
			expect(t, r, 200, "viewerA downloads")
			if string(r.Body) != "bằng chứng" || r.Header.Get("X-Content-SHA256") == "" {
				t.Errorf("download: %q %v", r.Body, r.Header)
			}
		},
		"GET /api/v1/incidents/{id}/stix": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/observables", []map[string]string{{"value": "203.0.113.9"}}), 201, "observable")
			expect(t, w.call("officerB", "GET", "/api/v1/incidents/"+forA+"/stix", nil), 404, "officerB exports A's")
			r := w.call("viewerA", "GET", "/api/v1/incidents/"+forA+"/stix", nil)
			expect(t, r, 200, "viewerA exports")
			for _, want := range []string{`"type": "incident"`, `"type": "observed-data"`, `"type": "indicator"`, `"relationship_type": "indicates"`, `[ipv4-addr:value = '203.0.113.9']`} {
				if !strings.Contains(string(r.Body), want) {
					t.Errorf("STIX bundle lacks %s", want)
				}
			}
		},
		"POST /api/v1/incidents/{id}/reported": func(t *testing.T, w *world) {
			forA := w.incidentFor(t, "A")
			expect(t, w.call("officerB", "POST", "/api/v1/incidents/"+forA+"/reported?form=initial", nil), 404, "officerB records")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/reported?form=bogus", nil), 400, "bad form")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/reported?form=final", nil), 409, "final before closing")
			r := w.call("officerA", "POST", "/api/v1/incidents/"+forA+"/reported?form=initial", nil)
			expect(t, r, 200, "officerA records the initial report")
			if m := r.json(t); m["initial_sent_at"] == nil || m["report_due_at"] != nil {
				t.Errorf("reported %v", m)
			}
		},
	} {
		scopeMatrix[k] = v
	}
}
