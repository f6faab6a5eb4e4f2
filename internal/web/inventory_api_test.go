package web_test

import (
	"strings"
	"testing"

	"vigil/internal/store/storetest"
)

// Bad inventories from agents: 400 naming the JSON path; oversized: 413
// naming the limit; revoked agents: 401.
func TestAgentInventoryBadInput(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	agent := w.agentTok["A"]
	post := func(body string) response {
		return w.call(agent, "POST", "/api/v1/agents/inventory", jsonBody(body))
	}
	base := `"collected_at":"2026-01-01T00:00:00Z","os":{"name":"Debian","version":"12","build":""},"interfaces":[],"hotfixes":[],"accounts":[],"listening":[],"controls":[]`
	r := post(`{"full":true,"inventory":{"hostname":"ws-a-01",` + base + `,"software":[{"name":"a","version":"1","vendor":"","source":"dpkg"},{"name":"b","version":7,"vendor":"","source":"dpkg"}]}}`)
	expect(t, r, 400, "wrong type deep in the document")
	if f := r.json(t)["error"].(map[string]any)["field"]; f != "inventory.software[1].version" {
		t.Errorf("field %v, want inventory.software[1].version: %s", f, r.Body)
	}
	r = post(`{"full":true,"inventory":{"hostname":"bad host name!",` + base + `,"software":[]}}`)
	expect(t, r, 400, "invalid hostname")
	if f := r.json(t)["error"].(map[string]any)["field"]; f != "inventory.hostname" {
		t.Errorf("field %v: %s", f, r.Body)
	}
	r = post(`{"full":true,"inventory":{"hostname":"ws-a-01",` + base + `,"software":[{"name":"` + strings.Repeat("x", 17<<20) + `"}]}}`)
	expect(t, r, 413, "oversized inventory")
	if !strings.Contains(string(r.Body), "MiB") {
		t.Errorf("413 does not name the limit: %.200s", r.Body)
	}
	expect(t, post(`{"full":true}`), 400, "full without inventory")
	expect(t, w.call("agent.nope.nope", "POST", "/api/v1/agents/heartbeat", jsonBody(`{}`)), 401, "unknown agent")
}
