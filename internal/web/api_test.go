package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

var paramRE = regexp.MustCompile(`\{[a-z_]+\}`)

// fillPath puts a plausible value in each path parameter.
func fillPath(p string) string {
	return paramRE.ReplaceAllStringFunc(p, func(m string) string {
		if m == "{code}" {
			return "A"
		}
		return "999999"
	})
}

// The OpenAPI document must list exactly the routes the server serves, and
// each documented operation must reach a handler (not the API's 404).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db)
	r := w.call("", "GET", "/api/v1/openapi.json", nil)
	expect(t, r, 200, "openapi.json")
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	served := w.hub.Server.APIRoutes()
	sort.Strings(documented)
	sort.Strings(served)
	if fmt.Sprint(documented) != fmt.Sprint(served) {
		t.Fatalf("documented %v\nserved     %v", documented, served)
	}
	for _, route := range served {
		var method, path string
		fmt.Sscanf(route, "%s %s", &method, &path)
		if route == "GET /api/v1/alerts/stream" {
			continue // never ends: the scope matrix reads it
		}
		resp := w.call("admin", method, fillPath(path), nil)
		if resp.Status == http.StatusMethodNotAllowed || strings.Contains(string(resp.Body), "API endpoint") {
			t.Errorf("%s is documented but not served: %d %s", route, resp.Status, resp.Body)
		}
	}
	// Unknown API paths answer in the API's error shape.
	resp := w.call("admin", "GET", "/api/v1/nope", nil)
	expect(t, resp, 404, "unknown endpoint")
	if resp.json(t)["error"] == nil {
		t.Errorf("unknown endpoint body %s", resp.Body)
	}
}

func TestAPIErrorsAndPaging(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		r := w.call("admin", "POST", "/api/v1/units", map[string]any{"code": "Z", "name": "z", "kind": "province", "parent": "BHXHVN", "colour": "red"})
		expect(t, r, 400, "unknown field")
		e := r.json(t)["error"].(map[string]any)
		if e["field"] != "colour" || e["code"] != "invalid" {
			t.Errorf("unknown field error %v", e)
		}
		r = w.call("admin", "POST", "/api/v1/units", map[string]any{"code": "Z", "name": "z", "kind": "planet", "parent": "BHXHVN"})
		expect(t, r, 400, "bad kind")
		if f := r.json(t)["error"].(map[string]any)["field"]; f != "kind" {
			t.Errorf("bad kind names field %v", f)
		}
		r = w.call("admin", "POST", "/api/v1/units", map[string]any{"code": "A", "name": "dup", "kind": "province", "parent": "BHXHVN"})
		expect(t, r, 409, "duplicate code")
		r = w.call("admin", "POST", "/api/v1/units", map[string]any{"code": 5})
		expect(t, r, 400, "wrong type")
		big := strings.Repeat("x", 11<<20)
		r = w.call("admin", "POST", "/api/v1/units", map[string]any{"code": "BIG", "name": big, "kind": "province"})
		expect(t, r, 413, "oversized body")

		// Paging: 7 units in scope for admin; pages of 3 must cover all once.
		seen := map[string]int{}
		cursor := ""
		for pages := 0; pages < 10; pages++ {
			r := w.call("admin", "GET", "/api/v1/units?limit=3&cursor="+cursor, nil)
			expect(t, r, 200, "page")
			m := r.json(t)
			for _, it := range m["items"].([]any) {
				seen[it.(map[string]any)["code"].(string)]++
			}
			cursor = m["next"].(string)
			if cursor == "" {
				break
			}
		}
		if len(seen) != 5 {
			t.Errorf("paged units %v, want the 5 units once each", seen)
		}
		for code, n := range seen {
			if n != 1 {
				t.Errorf("unit %s seen %d times", code, n)
			}
		}
		expect(t, w.call("admin", "GET", "/api/v1/units?limit=1001", nil), 400, "limit over 1000")
		expect(t, w.call("admin", "GET", "/api/v1/units?cursor=!!", nil), 400, "bad cursor")
	})
}

func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	expect(t, w.call("", "GET", "/healthz", nil), 200, "healthz")
	expect(t, w.call("", "GET", "/readyz", nil), 200, "readyz")
	r := w.call("", "GET", "/metrics", nil)
	expect(t, r, 200, "metrics")
	if !strings.Contains(string(r.Body), "vigil_http_requests_total") {
		t.Error("metrics lack vigil_http_requests_total")
	}
	// A schema newer than the binary makes the hub unready.
	w.db.Exec(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`)
	expect(t, w.call("", "GET", "/readyz", nil), 503, "readyz on a newer schema")
}
