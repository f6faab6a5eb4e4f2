package web_test

import (
	"strings"
	"testing"
)

func init() {
	id := func(w *world, unit string) string { return itoa(w.hostIDs[unit]) }
	for k, v := range map[string]func(t *testing.T, w *world){
		"POST /api/v1/enrollment-tokens": func(t *testing.T, w *world) {
			expect(t, w.call("officerA", "POST", "/api/v1/enrollment-tokens", map[string]any{"unit": "B", "expires_in": "1h", "max_uses": 1}), 400, "officerA token for B")
			expect(t, w.call("viewerA", "POST", "/api/v1/enrollment-tokens", map[string]any{"unit": "A", "expires_in": "1h", "max_uses": 1}), 403, "viewer token")
			expect(t, w.call("analyst", "POST", "/api/v1/enrollment-tokens", map[string]any{"unit": "A", "expires_in": "1h", "max_uses": 1}), 403, "analyst token")
			r := w.call("officerA", "POST", "/api/v1/enrollment-tokens", map[string]any{"unit": "A1", "expires_in": "72h", "max_uses": 3})
			expect(t, r, 201, "officerA token for A1")
			if !strings.HasPrefix(r.json(t)["token"].(string), "vge_") {
				t.Errorf("token %s", r.Body)
			}
		},
		"GET /api/v1/enrollment-tokens": func(t *testing.T, w *world) {
			for _, it := range w.call("officerA", "GET", "/api/v1/enrollment-tokens", nil).items(t) {
				if !strings.HasPrefix(it["unit"].(string), "A") {
					t.Errorf("officerA sees token of %v", it["unit"])
				}
			}
		},
		"DELETE /api/v1/enrollment-tokens/{id}": func(t *testing.T, w *world) {
			items := w.call("officerB", "GET", "/api/v1/enrollment-tokens", nil).items(t)
			idB := itoa(int64(items[0]["id"].(float64)))
			expect(t, w.call("officerA", "DELETE", "/api/v1/enrollment-tokens/"+idB, nil), 404, "officerA revokes B's token")
			expect(t, w.call("officerB", "DELETE", "/api/v1/enrollment-tokens/"+idB, nil), 204, "officerB revokes own")
		},
		"POST /api/v1/agents/enroll": func(t *testing.T, w *world) {
			r := w.call("officerA", "POST", "/api/v1/enrollment-tokens", map[string]any{"unit": "A", "expires_in": "1h", "max_uses": 1})
			tok := r.json(t)["token"].(string)
			inv := testInventory("ws-a-99", "10.0.1.99", 0)
			expect(t, w.call(tok, "POST", "/api/v1/agents/enroll", map[string]any{"hostname": "ws-a-99", "inventory": inv}), 201, "enrol")
			expect(t, w.call(tok, "POST", "/api/v1/agents/enroll", map[string]any{"hostname": "ws-a-98", "inventory": testInventory("ws-a-98", "10.0.1.98", 0)}), 401, "used-up token")
			expect(t, w.call("vge_nope", "POST", "/api/v1/agents/enroll", map[string]any{"hostname": "x"}), 401, "unknown token")
		},
		"POST /api/v1/agents/heartbeat": func(t *testing.T, w *world) {
			expect(t, w.call("officerA", "POST", "/api/v1/agents/heartbeat", map[string]any{}), 401, "user calls agent API")
			expect(t, w.call(w.agentTok["A"], "POST", "/api/v1/agents/heartbeat", map[string]any{}), 200, "agent heartbeat")
			expect(t, w.call(w.agentTok["A"], "GET", "/api/v1/units", nil), 403, "agent calls user API")
		},
		"POST /api/v1/agents/inventory": func(t *testing.T, w *world) {
			// An agent cannot post for another host: the host is its own.
			inv := testInventory("ws-b-01", "10.0.2.10", 0)
			expect(t, w.call(w.agentTok["A"], "POST", "/api/v1/agents/inventory", map[string]any{"full": true, "inventory": inv}), 200, "agent A posts")
			h := w.call("admin", "GET", "/api/v1/hosts/"+id(w, "B"), nil).json(t)
			if h["hostname"] != "ws-b-01" || h["unit"] != "B" {
				t.Errorf("host B changed by agent A: %v", h["hostname"])
			}
			hA := w.call("admin", "GET", "/api/v1/hosts/"+id(w, "A"), nil).json(t)
			if hA["unit"] != "A" {
				t.Errorf("agent A's host moved to %v", hA["unit"])
			}
		},
		"GET /api/v1/agents/indicators": func(t *testing.T, w *world) {
			r := w.call(w.agentTok["B"], "GET", "/api/v1/agents/indicators", nil)
			expect(t, r, 200, "indicators")
			expect(t, w.call("admin", "GET", "/api/v1/agents/indicators", nil), 401, "user fetches agent indicators")
		},
		"POST /api/v1/agents/tasks/{id}/result": func(t *testing.T, w *world) {
			tasks := w.call("admin", "GET", "/api/v1/hosts/"+id(w, "B")+"/tasks", nil).items(t)
			tid := tasks[0]["id"].(string)
			expect(t, w.call(w.agentTok["A"], "POST", "/api/v1/agents/tasks/"+tid+"/result", map[string]any{"status": "running"}), 404, "agent A reports B's task")
		},
		"POST /api/v1/agents/scan-reports": func(t *testing.T, w *world) {
			// The report lands on the calling agent's host; the body cannot
			// name another.
			empty := map[string]any{"id": "offline-1", "params": map[string]any{"paths": []string{"/home"}}, "report": map[string]any{"paths": []string{"/home"}, "files": 3, "findings": []any{}}}
			expect(t, w.call("officerA", "POST", "/api/v1/agents/scan-reports", empty), 401, "user posts a scan report")
			hostB := map[string]any{"id": "offline-2", "host_id": w.hostIDs["B"], "params": map[string]any{"paths": []string{"/home"}}, "report": map[string]any{"files": 1}}
			expect(t, w.call(w.agentTok["A"], "POST", "/api/v1/agents/scan-reports", hostB), 400, "agent A names host B")
			r := w.call(w.agentTok["A"], "POST", "/api/v1/agents/scan-reports", empty)
			expect(t, r, 201, "agent A reports")
			tid := r.json(t)["task_id"].(string)
			expect(t, w.call(w.agentTok["A"], "POST", "/api/v1/agents/scan-reports", empty), 200, "agent A sends the same report again")
			var onA int
			for _, task := range w.call("admin", "GET", "/api/v1/hosts/"+id(w, "A")+"/tasks", nil).items(t) {
				if task["id"] == tid {
					onA++
					if task["origin"] != "agent" || task["status"] != "done" {
						t.Errorf("reported task %v", task)
					}
				}
			}
			if onA != 1 {
				t.Errorf("host A lists the reported task %d times", onA)
			}
			for _, task := range w.call("admin", "GET", "/api/v1/hosts/"+id(w, "B")+"/tasks", nil).items(t) {
				if task["id"] == tid {
					t.Errorf("agent A's report is on host B")
				}
			}
			// B's agent reports the finding its hub task found: the same
			// finding, seen twice, not a second one.
			sum := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
			again := map[string]any{"id": "offline-3", "params": map[string]any{"paths": []string{`C:\Users`}}, "report": map[string]any{"files": 10, "findings": []any{
				map[string]any{"kind": "file", "indicator": map[string]any{"type": "sha256", "value": sum}, "path": `C:\Users\Public\evil.exe`, "sha256": sum}}}}
			expect(t, w.call(w.agentTok["B"], "POST", "/api/v1/agents/scan-reports", again), 201, "agent B reports")
			f := w.call("officerB", "GET", "/api/v1/findings/"+itoa(w.findingIDs["B"]), nil).json(t)
			if f["times_seen"] != float64(2) {
				t.Errorf("re-reported finding seen %v times, want 2", f["times_seen"])
			}
		},
		"GET /api/v1/hosts": func(t *testing.T, w *world) {
			got := codes(t, w.call("officerA", "GET", "/api/v1/hosts", nil), "unit")
			if got["B"] || !got["A"] || !got["A1"] {
				t.Errorf("officerA hosts units %v", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/hosts?unit=B", nil), 404, "officerA hosts of B")
			got = codes(t, w.call("analyst", "GET", "/api/v1/hosts?q=WS-B", nil), "hostname")
			if !got["ws-b-01"] {
				t.Errorf("analyst search %v", got)
			}
		},
		"POST /api/v1/hosts/import": func(t *testing.T, w *world) {
			body := `{"hostname":"imp-b","collected_at":"2026-01-01T00:00:00Z","os":{"name":"Debian","version":"12","build":""},"interfaces":[],"software":[],"hotfixes":[],"accounts":[],"listening":[],"controls":[]}`
			r := w.call("officerA", "POST", "/api/v1/hosts/import?unit=B&file=x.json&format=agent", jsonBody(body))
			expect(t, r, 400, "officerA imports into B")
			expect(t, w.call("viewerA", "POST", "/api/v1/hosts/import?unit=A&file=x.json&format=agent", jsonBody(body)), 403, "viewer imports")
			expect(t, w.call("officerA", "POST", "/api/v1/hosts/import?unit=A&file=x.json&format=agent", jsonBody(body)), 200, "officerA imports into A")
		},
		"GET /api/v1/hosts/{id}": func(t *testing.T, w *world) {
			expect(t, w.call("officerA", "GET", "/api/v1/hosts/"+id(w, "B"), nil), 404, "officerA fetches host B")
			r := w.call("viewerA", "GET", "/api/v1/hosts/"+id(w, "A"), nil)
			expect(t, r, 200, "viewerA fetches host A")
		},
		"DELETE /api/v1/hosts/{id}": func(t *testing.T, w *world) {
			expect(t, w.call("officerA", "DELETE", "/api/v1/hosts/"+id(w, "B"), nil), 404, "officerA deletes host B")
			expect(t, w.call("viewerA", "DELETE", "/api/v1/hosts/"+id(w, "A"), nil), 403, "viewerA deletes host A")
		},
		"GET /api/v1/hosts/{id}/changes": func(t *testing.T, w *world) {
			expect(t, w.call("officerA", "GET", "/api/v1/hosts/"+id(w, "B")+"/changes", nil), 404, "officerA changes of B")
			expect(t, w.call("officerB", "GET", "/api/v1/hosts/"+id(w, "B")+"/changes", nil), 200, "officerB changes of B")
		},
		"GET /api/v1/hosts/{id}/missing-updates": func(t *testing.T, w *world) {
			expect(t, w.call("officerA", "GET", "/api/v1/hosts/"+id(w, "B")+"/missing-updates", nil), 404, "officerA missing updates of B")
			expect(t, w.call("officerA", "GET", "/api/v1/hosts/"+id(w, "B")+"/missing-updates?format=csv", nil), 404, "officerA exports missing updates of B")
			r := w.call("officerB", "GET", "/api/v1/hosts/"+id(w, "B")+"/missing-updates", nil)
			expect(t, r, 200, "officerB missing updates of B")
			if items := r.items(t); len(items) != 0 {
				t.Errorf("no knowledge base loaded, yet missing updates: %s", r.Body)
			}
			expect(t, w.call("viewerA", "GET", "/api/v1/hosts/"+id(w, "A")+"/missing-updates?format=xlsx", nil), 200, "viewerA exports missing updates of A")
		},
		"GET /api/v1/hosts/{id}/tasks": func(t *testing.T, w *world) {
			expect(t, w.call("officerA", "GET", "/api/v1/hosts/"+id(w, "B")+"/tasks", nil), 404, "officerA tasks of B")
		},
		"POST /api/v1/hosts/{id}/scan": func(t *testing.T, w *world) {
			body := map[string]any{"paths": []string{"/home"}}
			expect(t, w.call("officerA", "POST", "/api/v1/hosts/"+id(w, "B")+"/scan", body), 404, "officerA scans B")
			expect(t, w.call("viewerA", "POST", "/api/v1/hosts/"+id(w, "A")+"/scan", body), 403, "viewerA scans A")
			expect(t, w.call("officerA", "POST", "/api/v1/hosts/"+id(w, "A")+"/scan", body), 201, "officerA scans A")
		},
		"GET /api/v1/findings": func(t *testing.T, w *world) {
			if n := len(w.call("officerA", "GET", "/api/v1/findings", nil).items(t)); n != 0 {
				t.Errorf("officerA sees %d findings of B", n)
			}
			if n := len(w.call("officerB", "GET", "/api/v1/findings", nil).items(t)); n != 1 {
				t.Errorf("officerB sees %d findings", n)
			}
		},
		"PATCH /api/v1/findings/{id}": func(t *testing.T, w *world) {
			fid := itoa(w.findingIDs["B"])
			upd := map[string]any{"status": "resolved", "note": "deleted the file and re-scanned"}
			expect(t, w.call("officerA", "PATCH", "/api/v1/findings/"+fid, upd), 404, "officerA updates B's finding")
			expect(t, w.call("analyst", "PATCH", "/api/v1/findings/"+fid, upd), 403, "analyst updates a finding")
			expect(t, w.call("officerB", "PATCH", "/api/v1/findings/"+fid, map[string]any{"status": "resolved"}), 400, "no note")
			expect(t, w.call("officerB", "PATCH", "/api/v1/findings/"+fid, upd), 200, "officerB updates")
		},
		"POST /api/v1/findings/bulk": func(t *testing.T, w *world) {
			fid := w.findingIDs["B"]
			upd := map[string]any{"ids": []int64{fid}, "status": "in_progress"}
			expect(t, w.call("officerA", "POST", "/api/v1/findings/bulk", upd), 404, "officerA bulk-changes B's finding")
			expect(t, w.call("analyst", "POST", "/api/v1/findings/bulk", upd), 403, "analyst bulk-changes a finding")
			expect(t, w.call("viewerA", "POST", "/api/v1/findings/bulk", upd), 404, "viewerA bulk-changes B's finding")
			expect(t, w.call("officerB", "POST", "/api/v1/findings/bulk", upd), 200, "officerB bulk-changes its finding")
		},
		"GET /api/v1/findings/{id}": func(t *testing.T, w *world) {
			fid := itoa(w.findingIDs["B"])
			expect(t, w.call("officerA", "GET", "/api/v1/findings/"+fid, nil), 404, "officerA reads B's finding")
			expect(t, w.call("viewerA", "GET", "/api/v1/findings/"+fid, nil), 404, "viewerA reads B's finding")
			expect(t, w.call("officerB", "GET", "/api/v1/findings/"+fid, nil), 200, "officerB reads its finding")
			expect(t, w.call("analyst", "GET", "/api/v1/findings/"+fid, nil), 200, "the SOC reads every finding")
			expect(t, w.call("officerA", "GET", "/api/v1/findings?unit=B", nil), 404, "officerA filters on B")
		},
		"GET /api/v1/units/{code}/coverage": func(t *testing.T, w *world) {
			expect(t, w.call("officerA", "GET", "/api/v1/units/B/coverage", nil), 404, "officerA coverage of B")
			r := w.call("officerA", "GET", "/api/v1/units/A/coverage", nil)
			expect(t, r, 200, "officerA coverage of A")
			m := r.json(t)
			if m["hosts"].(float64) < 2 || m["antivirus_ok"].(float64) >= m["hosts"].(float64) || m["with_agent"].(float64) < 1 {
				t.Errorf("coverage of A: %s", r.Body)
			}
			// srv-a1-db's signatures are ten days old: it fails the AV check.
			failing := m["failing"].(map[string]any)["antivirus"].([]any)
			found := false
			for _, h := range failing {
				if h.(map[string]any)["hostname"] == "srv-a1-db" {
					found = true
				}
			}
			if !found {
				t.Errorf("srv-a1-db not among hosts failing the antivirus check")
			}
		},
	} {
		scopeMatrix[k] = v
	}
}

// jsonBody sends raw JSON text (world.call sends strings as CSV).
type jsonBody string
