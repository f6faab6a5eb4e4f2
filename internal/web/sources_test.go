package web_test

import (
	"strconv"
	"testing"
)

// source registers an event source in unit as the administrator and
// returns its id and token.
func (w *world) source(t *testing.T, unit, name string) (id, token string) {
	t.Helper()
	r := w.call("admin", "POST", "/api/v1/sources", map[string]any{"unit": unit, "name": name, "kind": "ids"})
	if r.Status != 201 {
		t.Fatalf("register source %s in %s: %d %s", name, unit, r.Status, r.Body)
	}
	m := r.json(t)
	return strconv.FormatFloat(m["id"].(float64), 'f', 0, 64), m["token"].(string)
}
