package web_test

import (
	"encoding/json"
	"testing"

	"vigil/internal/store/storetest"
)

// TestOpenAPIStatusesAndFileBodies: the document comes from the route
// table alone. File uploads (the two imports) are documented with their
// media type, and each route's success status is the one its handler
// answers: 201 for what creates, 200 for the imports and the agent calls,
// 204 without a result.
func TestOpenAPIStatusesAndFileBodies(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	r := w.call("", "GET", "/api/v1/openapi.json", nil)
	expect(t, r, 200, "openapi.json")
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]any `json:"content"`
			} `json:"requestBody"`
			Responses map[string]any `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path, status, body string
	}{
		{"post", "/api/v1/units/import", "200", "text/csv"},
		{"post", "/api/v1/hosts/import", "200", "application/octet-stream"},
		{"post", "/api/v1/units", "201", "application/json"},
		{"post", "/api/v1/agents/heartbeat", "200", "application/json"},
		{"post", "/api/v1/agents/inventory", "200", "application/json"},
		{"post", "/api/v1/agents/tasks/{id}/result", "204", "application/json"},
		{"get", "/api/v1/hosts", "200", ""},
		{"delete", "/api/v1/hosts/{id}", "204", ""},
	} {
		op, ok := doc.Paths[c.path][c.method]
		if !ok {
			t.Errorf("%s %s is not documented", c.method, c.path)
			continue
		}
		if _, ok := op.Responses[c.status]; !ok || len(op.Responses) != 2 {
			t.Errorf("%s %s: responses %v, want %s and default", c.method, c.path, keys(op.Responses), c.status)
		}
		if c.body == "" {
			if len(op.RequestBody.Content) != 0 {
				t.Errorf("%s %s: request body %v, want none", c.method, c.path, keys(op.RequestBody.Content))
			}
		} else if _, ok := op.RequestBody.Content[c.body]; !ok || len(op.RequestBody.Content) != 1 {
			t.Errorf("%s %s: request body %v, want %s", c.method, c.path, keys(op.RequestBody.Content), c.body)
		}
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
