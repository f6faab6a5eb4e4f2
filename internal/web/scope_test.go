package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/bus"
	"vigil/internal/sources"
)

// expect asserts a status, printing the body on mismatch.
func expect(t *testing.T, r response, status int, what string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
}

func codes(t *testing.T, r response, key string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, it := range r.items(t) {
		out[fmt.Sprint(it[key])] = true
	}
	return out
}

// scopeMatrix has one entry per API endpoint; TestScopeMatrix fails when an
// endpoint has none, so a new endpoint cannot ship without its scope check.
var scopeMatrix = map[string]func(t *testing.T, w *world){
	"POST /api/v1/auth/token": func(t *testing.T, w *world) {
		expect(t, w.call("", "POST", "/api/v1/auth/token", map[string]string{"email": "officera@test.vigil", "password": "wrong-password-x"}), 401, "wrong password")
		r := w.call("", "POST", "/api/v1/auth/token", map[string]string{"email": "officera@test.vigil", "password": testPassword})
		expect(t, r, 201, "good password")
		if r.json(t)["token"] == "" {
			t.Error("no token returned")
		}
	},
	"GET /api/v1/me": func(t *testing.T, w *world) {
		expect(t, w.call("", "GET", "/api/v1/me", nil), 401, "anonymous")
		r := w.call("officerA", "GET", "/api/v1/me", nil)
		expect(t, r, 200, "me")
		if r.json(t)["unit"] != "A" {
			t.Errorf("me: %s", r.Body)
		}
	},
	"GET /api/v1/units": func(t *testing.T, w *world) {
		got := codes(t, w.call("officerA", "GET", "/api/v1/units", nil), "code")
		if !got["A"] || !got["A1"] || got["B"] || got["BHXHVN"] || got["ITC"] {
			t.Errorf("officerA lists units %v; want A and A1 only", got)
		}
		got = codes(t, w.call("officerA", "GET", "/api/v1/units?q=ha%20noi", nil), "code")
		if len(got) != 0 {
			t.Errorf("officerA search for B's name found %v", got)
		}
		got = codes(t, w.call("analyst", "GET", "/api/v1/units?q=ha%20noi", nil), "code")
		if !got["B"] {
			t.Errorf("analyst search 'ha noi' found %v, want B (accent-insensitive)", got)
		}
		got = codes(t, w.call("analyst", "GET", "/api/v1/units?q=dak%20lak", nil), "code")
		if !got["A"] {
			t.Errorf("analyst search 'dak lak' found %v, want A", got)
		}
		expect(t, w.call("officerA", "GET", "/api/v1/units?under=B", nil), 404, "officerA under=B")
	},
	"POST /api/v1/units": func(t *testing.T, w *world) {
		expect(t, w.call("officerA", "POST", "/api/v1/units", map[string]string{"code": "B9", "name": "x", "kind": "district", "parent": "B"}), 400, "officerA creates under B")
		expect(t, w.call("officerA", "POST", "/api/v1/units", map[string]string{"code": "A9", "name": "x", "kind": "district", "parent": "A"}), 201, "officerA creates under A")
		expect(t, w.call("viewerA", "POST", "/api/v1/units", map[string]string{"code": "A8", "name": "x", "kind": "district", "parent": "A"}), 403, "viewer creates")
		expect(t, w.call("analyst", "POST", "/api/v1/units", map[string]string{"code": "A7", "name": "x", "kind": "district", "parent": "A"}), 403, "analyst creates")
		expect(t, w.call("officerA", "POST", "/api/v1/units", map[string]string{"code": "TOP", "name": "x", "kind": "province"}), 403, "officer creates a root")
		expect(t, w.call("admin", "POST", "/api/v1/units", map[string]string{"code": "B8", "name": "x", "kind": "district", "parent": "B"}), 201, "admin creates under B")
	},
	"POST /api/v1/units/import": func(t *testing.T, w *world) {
		r := w.call("officerA", "POST", "/api/v1/units/import", "code,name,kind,parent\nA5,Five,district,A\nB5,Evil,district,B\n")
		expect(t, r, 400, "officerA imports under B")
		expect(t, w.call("admin", "GET", "/api/v1/units/A5", nil), 404, "nothing of the bad import kept")
		expect(t, w.call("viewerA", "POST", "/api/v1/units/import", "code,name,kind,parent\nA6,Six,district,A\n"), 400, "viewer imports")
		expect(t, w.call("officerA", "POST", "/api/v1/units/import", "code,name,kind,parent\nA5,Five,district,A\n"), 200, "officerA imports under A")
	},
	"GET /api/v1/units/{code}": func(t *testing.T, w *world) {
		expect(t, w.call("officerA", "GET", "/api/v1/units/B", nil), 404, "officerA fetches B")
		expect(t, w.call("officerA", "GET", "/api/v1/units/BHXHVN", nil), 404, "officerA fetches its parent")
		expect(t, w.call("officerA", "GET", "/api/v1/units/A1", nil), 200, "officerA fetches A1")
		expect(t, w.call("viewerA", "GET", "/api/v1/units/A", nil), 200, "viewerA fetches A")
		expect(t, w.call("analyst", "GET", "/api/v1/units/B", nil), 200, "analyst fetches B")
	},
	"PATCH /api/v1/units/{code}": func(t *testing.T, w *world) {
		expect(t, w.call("officerA", "PATCH", "/api/v1/units/B", map[string]string{"name": "pwned"}), 404, "officerA renames B")
		expect(t, w.call("viewerA", "PATCH", "/api/v1/units/A", map[string]string{"name": "x"}), 403, "viewerA renames A")
		expect(t, w.call("analyst", "PATCH", "/api/v1/units/A", map[string]string{"name": "x"}), 403, "analyst renames A")
		expect(t, w.call("officerA", "PATCH", "/api/v1/units/A1", map[string]string{"name": "Huyện mới"}), 200, "officerA renames A1")
		r := w.call("admin", "GET", "/api/v1/units/B", nil)
		if r.json(t)["name"] == "pwned" {
			t.Error("B was renamed")
		}
	},
	"DELETE /api/v1/units/{code}": func(t *testing.T, w *world) {
		expect(t, w.call("admin", "POST", "/api/v1/units", map[string]string{"code": "B2", "name": "x", "kind": "district", "parent": "B"}), 201, "setup")
		expect(t, w.call("officerA", "DELETE", "/api/v1/units/B2", nil), 404, "officerA deletes B2")
		expect(t, w.call("officerB", "DELETE", "/api/v1/units/B", nil), 403, "officerB deletes its own root")
		expect(t, w.call("officerB", "DELETE", "/api/v1/units/B2", nil), 204, "officerB deletes B2")
	},
	"GET /api/v1/units/{code}/contacts": func(t *testing.T, w *world) {
		expect(t, w.call("officerA", "GET", "/api/v1/units/B/contacts", nil), 404, "officerA lists B contacts")
		expect(t, w.call("viewerA", "GET", "/api/v1/units/A/contacts", nil), 200, "viewerA lists A contacts")
	},
	"POST /api/v1/units/{code}/contacts": func(t *testing.T, w *world) {
		c := map[string]string{"name": "Người liên hệ", "phone": "0900 111 222"}
		expect(t, w.call("officerA", "POST", "/api/v1/units/B/contacts", c), 404, "officerA adds to B")
		expect(t, w.call("viewerA", "POST", "/api/v1/units/A/contacts", c), 403, "viewerA adds to A")
		expect(t, w.call("officerA", "POST", "/api/v1/units/A/contacts", c), 201, "officerA adds to A")
	},
	"DELETE /api/v1/contacts/{id}": func(t *testing.T, w *world) {
		expect(t, w.call("officerA", "DELETE", "/api/v1/contacts/"+strconv.FormatInt(w.contact["B"], 10), nil), 404, "officerA deletes B's contact")
		expect(t, w.call("viewerA", "DELETE", "/api/v1/contacts/"+strconv.FormatInt(w.contact["A"], 10), nil), 403, "viewerA deletes A's contact")
		expect(t, w.call("officerA", "DELETE", "/api/v1/contacts/"+strconv.FormatInt(w.contact["A"], 10), nil), 204, "officerA deletes A's contact")
	},
	"GET /api/v1/users": func(t *testing.T, w *world) {
		got := codes(t, w.call("officerA", "GET", "/api/v1/users", nil), "email")
		if !got["officera@test.vigil"] || !got["viewera@test.vigil"] || got["officerb@test.vigil"] || got["admin@test.vigil"] {
			t.Errorf("officerA lists users %v", got)
		}
		got = codes(t, w.call("analyst", "GET", "/api/v1/users", nil), "email")
		if !got["officerb@test.vigil"] {
			t.Errorf("analyst lists users %v", got)
		}
	},
	"POST /api/v1/users": func(t *testing.T, w *world) {
		u := func(unit, role string) map[string]string {
			return map[string]string{"email": role + "." + unit + "@new.vigil", "name": "Mới", "password": testPassword, "role": role, "unit": unit}
		}
		expect(t, w.call("officerA", "POST", "/api/v1/users", u("B", "viewer")), 400, "officerA creates in B")
		expect(t, w.call("officerA", "POST", "/api/v1/users", u("A", "admin")), 403, "officerA creates an admin")
		expect(t, w.call("analyst", "POST", "/api/v1/users", u("A", "viewer")), 403, "analyst creates a user")
		expect(t, w.call("viewerA", "POST", "/api/v1/users", u("A", "viewer")), 403, "viewerA creates a user")
		expect(t, w.call("officerA", "POST", "/api/v1/users", u("A1", "viewer")), 201, "officerA creates in A1")
	},
	"GET /api/v1/users/{id}": func(t *testing.T, w *world) {
		expect(t, w.call("officerA", "GET", "/api/v1/users/"+strconv.FormatInt(w.userIDs["officerB"], 10), nil), 404, "officerA fetches officerB")
		expect(t, w.call("officerA", "GET", "/api/v1/users/"+strconv.FormatInt(w.userIDs["viewerA"], 10), nil), 200, "officerA fetches viewerA")
	},
	"PATCH /api/v1/users/{id}": func(t *testing.T, w *world) {
		id := func(a string) string { return strconv.FormatInt(w.userIDs[a], 10) }
		expect(t, w.call("officerA", "PATCH", "/api/v1/users/"+id("officerB"), map[string]any{"disabled": true}), 404, "officerA disables officerB")
		expect(t, w.call("analyst", "PATCH", "/api/v1/users/"+id("viewerA"), map[string]any{"disabled": true}), 403, "analyst disables viewerA")
		expect(t, w.call("officerA", "PATCH", "/api/v1/users/"+id("viewerA"), map[string]any{"role": "admin"}), 403, "officerA promotes viewerA to admin")
		expect(t, w.call("officerA", "PATCH", "/api/v1/users/"+id("viewerA"), map[string]any{"unit": "B"}), 400, "officerA moves viewerA to B")
		expect(t, w.call("officerA", "PATCH", "/api/v1/users/"+id("viewerA"), map[string]any{"name": "Tên mới"}), 200, "officerA renames viewerA")
	},
	"GET /api/v1/tokens": func(t *testing.T, w *world) {
		items := w.call("officerA", "GET", "/api/v1/tokens?all=1", nil).items(t)
		for _, it := range items {
			if it["user"] != "officera@test.vigil" {
				t.Errorf("officerA sees token of %v", it["user"])
			}
		}
		if len(w.call("admin", "GET", "/api/v1/tokens?all=1", nil).items(t)) < len(actors) {
			t.Error("admin ?all=1 does not list every token")
		}
	},
	"POST /api/v1/tokens": func(t *testing.T, w *world) {
		r := w.call("viewerA", "POST", "/api/v1/tokens", map[string]string{"name": "laptop", "expires_in": "1h"})
		expect(t, r, 201, "viewer creates own token")
		expect(t, w.call("viewerA", "POST", "/api/v1/tokens", map[string]string{"name": "forever", "expires_in": "100000h"}), 400, "token too long-lived")
	},
	"DELETE /api/v1/tokens/{id}": func(t *testing.T, w *world) {
		items := w.call("admin", "GET", "/api/v1/tokens", nil).items(t)
		adminTok := fmt.Sprint(items[0]["id"])
		expect(t, w.call("officerA", "DELETE", "/api/v1/tokens/"+adminTok, nil), 404, "officerA revokes admin's token")
		expect(t, w.call("admin", "GET", "/api/v1/me", nil), 200, "admin token still works")
		r := w.call("officerB", "POST", "/api/v1/tokens", map[string]string{"name": "spare", "expires_in": "1h"})
		spare := r.json(t)["token"].(string)
		mine := fmt.Sprint(w.call("officerB", "GET", "/api/v1/tokens", nil).items(t)[0]["id"])
		expect(t, w.call("officerB", "DELETE", "/api/v1/tokens/"+mine, nil), 204, "officerB revokes own token")
		w.tokens["spare"] = spare
		expect(t, w.call("spare", "GET", "/api/v1/me", nil), 401, "revoked token refused")
	},
	// The watch: event sources.
	"GET /api/v1/sources": func(t *testing.T, w *world) {
		w.source(t, "A", "IDS A")
		w.source(t, "B", "IDS B")
		got := codes(t, w.call("officerA", "GET", "/api/v1/sources", nil), "unit")
		if !got["A"] || got["B"] {
			t.Errorf("officerA lists sources of %v", got)
		}
		got = codes(t, w.call("analyst", "GET", "/api/v1/sources", nil), "unit")
		if !got["A"] || !got["B"] {
			t.Errorf("analyst lists sources of %v", got)
		}
		expect(t, w.call("officerA", "GET", "/api/v1/sources?unit=B", nil), 404, "officerA filters on B")
	},
	"POST /api/v1/sources": func(t *testing.T, w *world) {
		in := func(unit string) map[string]string {
			return map[string]string{"unit": unit, "name": "SIEM " + unit, "kind": "siem"}
		}
		expect(t, w.call("officerA", "POST", "/api/v1/sources", in("B")), 400, "officerA registers in B")
		expect(t, w.call("viewerA", "POST", "/api/v1/sources", in("A")), 403, "viewerA registers")
		expect(t, w.call("analyst", "POST", "/api/v1/sources", in("A")), 403, "analyst registers")
		r := w.call("officerA", "POST", "/api/v1/sources", in("A1"))
		expect(t, r, 201, "officerA registers in A1")
		if m := r.json(t); m["token"] == nil || m["id"] == nil {
			t.Errorf("no id or token: %s", r.Body)
		}
	},
	"GET /api/v1/sources/unknown-senders": func(t *testing.T, w *world) {
		expect(t, w.call("officerA", "GET", "/api/v1/sources/unknown-senders", nil), 200, "officerA (an empty list)")
		expect(t, w.call("analyst", "GET", "/api/v1/sources/unknown-senders", nil), 200, "analyst")
	},
	"GET /api/v1/sources/{id}": func(t *testing.T, w *world) {
		a, _ := w.source(t, "A", "Get A")
		b, _ := w.source(t, "B", "Get B")
		expect(t, w.call("officerA", "GET", "/api/v1/sources/"+b, nil), 404, "officerA fetches B's")
		expect(t, w.call("viewerA", "GET", "/api/v1/sources/"+a, nil), 200, "viewerA fetches A's")
		if r := w.call("viewerA", "GET", "/api/v1/sources/"+a, nil); r.json(t)["token"] != nil {
			t.Error("the token is shown again")
		}
	},
	"PATCH /api/v1/sources/{id}": func(t *testing.T, w *world) {
		a, _ := w.source(t, "A", "Patch A")
		b, _ := w.source(t, "B", "Patch B")
		p := map[string]any{"interval_minutes": 15}
		expect(t, w.call("officerA", "PATCH", "/api/v1/sources/"+b, p), 404, "officerA changes B's")
		expect(t, w.call("viewerA", "PATCH", "/api/v1/sources/"+a, p), 403, "viewerA changes A's")
		expect(t, w.call("analyst", "PATCH", "/api/v1/sources/"+a, p), 403, "analyst changes A's")
		expect(t, w.call("officerA", "PATCH", "/api/v1/sources/"+a, p), 200, "officerA changes A's")
	},
	"DELETE /api/v1/sources/{id}": func(t *testing.T, w *world) {
		a, _ := w.source(t, "A", "Revoke A")
		b, _ := w.source(t, "B", "Revoke B")
		expect(t, w.call("officerA", "DELETE", "/api/v1/sources/"+b, nil), 404, "officerA revokes B's")
		expect(t, w.call("viewerA", "DELETE", "/api/v1/sources/"+a, nil), 403, "viewerA revokes A's")
		expect(t, w.call("officerA", "DELETE", "/api/v1/sources/"+a, nil), 204, "officerA revokes A's")
	},
	"POST /api/v1/sources/{id}/token": func(t *testing.T, w *world) {
		a, _ := w.source(t, "A", "Rotate A")
		b, _ := w.source(t, "B", "Rotate B")
		expect(t, w.call("officerA", "POST", "/api/v1/sources/"+b+"/token", nil), 404, "officerA rotates B's")
		expect(t, w.call("viewerA", "POST", "/api/v1/sources/"+a+"/token", nil), 403, "viewerA rotates A's")
		expect(t, w.call("officerA", "POST", "/api/v1/sources/"+a+"/token", nil), 200, "officerA rotates A's")
	},
	"POST /api/v1/events": func(t *testing.T, w *world) {
		w.journal(t, bus.JournalOptions{})
		_, token := w.source(t, "A", "Events A")
		expect(t, w.call("officerA", "POST", "/api/v1/events", jsonBody(`{"a":1}`)), 401, "a user's token is no source's")
		expect(t, w.call(token, "POST", "/api/v1/events", jsonBody(`{"a":1}`)), 202, "the source's token")
	},
	"POST /api/v1/events/evtx": func(t *testing.T, w *world) {
		_, token := w.source(t, "A", "EVTX A")
		expect(t, w.call("officerA", "POST", "/api/v1/events/evtx", "x"), 401, "a user's token is no source's")
		expect(t, w.call(token, "POST", "/api/v1/events/evtx", "not evtx"), 400, "the source's token, not an EVTX file")
	},
	"GET /api/v1/audit": func(t *testing.T, w *world) {
		for _, it := range w.call("officerA", "GET", "/api/v1/audit?limit=1000", nil).items(t) {
			u := fmt.Sprint(it["unit"])
			if !strings.HasPrefix(u, "A") {
				t.Errorf("officerA sees audit row of unit %q: %v", u, it["action"])
			}
		}
		got := codes(t, w.call("analyst", "GET", "/api/v1/audit?limit=1000", nil), "unit")
		if !got["B"] {
			t.Errorf("analyst audit units %v lacks B", got)
		}
	},

	// Health of the watch: the probe is the hub's, read by everyone
	// signed in and set by administrators; episodes of units are scoped.
	"GET /api/v1/health/probes": func(t *testing.T, w *world) {
		w.probe(t, "list")
		if got := codes(t, w.call("viewerA", "GET", "/api/v1/health/probes", nil), "name"); !got["ncsc-list"] {
			t.Errorf("viewerA lists probes %v", got)
		}
	},
	"POST /api/v1/health/probes": func(t *testing.T, w *world) {
		in := map[string]any{"name": "ncsc-post", "kind": "tcp", "target": "127.0.0.1:9"}
		for _, who := range []string{"officerA", "analyst", "viewerA"} {
			expect(t, w.call(who, "POST", "/api/v1/health/probes", in), 403, who+" adds a probe")
		}
		expect(t, w.call("admin", "POST", "/api/v1/health/probes", in), 201, "admin adds a probe")
		expect(t, w.call("admin", "POST", "/api/v1/health/probes", in), 409, "same name again")
	},
	"GET /api/v1/health/probes/{id}": func(t *testing.T, w *world) {
		id := w.probe(t, "get")
		expect(t, w.call("officerB", "GET", "/api/v1/health/probes/"+id, nil), 200, "officerB reads the probe")
		expect(t, w.call("officerB", "GET", "/api/v1/health/probes/999999", nil), 404, "no such probe")
	},
	"PATCH /api/v1/health/probes/{id}": func(t *testing.T, w *world) {
		id := w.probe(t, "patch")
		expect(t, w.call("officerA", "PATCH", "/api/v1/health/probes/"+id, map[string]any{"enabled": false}), 403, "officerA changes the probe")
		expect(t, w.call("admin", "PATCH", "/api/v1/health/probes/"+id, map[string]any{"enabled": false}), 200, "admin changes the probe")
	},
	"DELETE /api/v1/health/probes/{id}": func(t *testing.T, w *world) {
		id := w.probe(t, "delete")
		expect(t, w.call("analyst", "DELETE", "/api/v1/health/probes/"+id, nil), 403, "analyst deletes the probe")
		expect(t, w.call("admin", "DELETE", "/api/v1/health/probes/"+id, nil), 204, "admin deletes the probe")
		expect(t, w.call("admin", "GET", "/api/v1/health/probes/"+id, nil), 404, "deleted")
	},
	"POST /api/v1/health/probes/{id}/check": func(t *testing.T, w *world) {
		id := w.probe(t, "check")
		expect(t, w.call("officerA", "POST", "/api/v1/health/probes/"+id+"/check", nil), 403, "officerA checks")
		r := w.call("admin", "POST", "/api/v1/health/probes/"+id+"/check", nil)
		expect(t, r, 200, "admin checks")
		if r.json(t)["ok"] != false {
			t.Errorf("check of a closed port: %s", r.Body)
		}
	},
	"GET /api/v1/health/probes/{id}/uptime": func(t *testing.T, w *world) {
		id := w.probe(t, "uptime")
		expect(t, w.call("viewerA", "GET", "/api/v1/health/probes/"+id+"/uptime?period=7d", nil), 200, "viewerA reads uptime")
		expect(t, w.call("viewerA", "GET", "/api/v1/health/probes/"+id+"/uptime?period=1y", nil), 400, "unknown period")
	},
	"GET /api/v1/health/probes/{id}/results": func(t *testing.T, w *world) {
		id := w.probe(t, "results")
		expect(t, w.call("viewerA", "GET", "/api/v1/health/probes/"+id+"/results", nil), 200, "viewerA reads results")
	},
	"GET /api/v1/health/episodes": func(t *testing.T, w *world) {
		for _, unit := range []string{"A1", "B"} {
			if _, err := w.db.Exec(context.Background(), `INSERT INTO health_episodes (kind, subject, unit_id, title, started_at) SELECT 'agents', CAST(id AS TEXT), id, code, 1 FROM units WHERE code = ?`, unit); err != nil {
				t.Fatal(err)
			}
		}
		got := codes(t, w.call("officerA", "GET", "/api/v1/health/episodes?kind=agents", nil), "unit")
		if !got["A1"] || got["B"] {
			t.Errorf("officerA sees episodes of %v; want A1 only", got)
		}
		got = codes(t, w.call("analyst", "GET", "/api/v1/health/episodes?kind=agents&open=true", nil), "unit")
		if !got["A1"] || !got["B"] {
			t.Errorf("analyst sees episodes of %v; want A1 and B", got)
		}
	},
	"GET /api/v1/health/sources": func(t *testing.T, w *world) {
		sys := auth.WithPrincipal(context.Background(), auth.System)
		for _, unit := range []string{"A1", "B"} {
			if _, err := w.hub.Sources.Create(sys, sources.Input{Unit: unit, Name: "health SIEM " + unit, Kind: "siem"}); err != nil {
				t.Fatal(err)
			}
		}
		got := codes(t, w.call("officerA", "GET", "/api/v1/health/sources?limit=1000", nil), "unit")
		if !got["A1"] || got["B"] {
			t.Errorf("officerA sees sources of %v; want A's subtree only", got)
		}
		got = codes(t, w.call("analyst", "GET", "/api/v1/health/sources?limit=1000", nil), "unit")
		if !got["A1"] || !got["B"] {
			t.Errorf("analyst sees sources of %v", got)
		}
		expect(t, w.call("officerA", "GET", "/api/v1/health/sources?unit=B", nil), 404, "officerA filters on B")
	},
	"GET /api/v1/health/agents": func(t *testing.T, w *world) {
		if _, err := w.db.Exec(context.Background(), `UPDATE hosts SET agent_seen_at = 1 WHERE agent_id <> ''`); err != nil {
			t.Fatal(err)
		}
		r := w.call("officerA", "GET", "/api/v1/health/agents", nil)
		expect(t, r, 200, "officerA's offline agents")
		got := codes(t, r, "unit")
		if got["B"] || len(got) == 0 {
			t.Errorf("officerA sees offline agents of %v", got)
		}
		if got := codes(t, w.call("analyst", "GET", "/api/v1/health/agents", nil), "unit"); !got["B"] {
			t.Errorf("analyst sees offline agents of %v", got)
		}
	},
	"GET /api/v1/health/counters": func(t *testing.T, w *world) {
		expect(t, w.call("viewerA", "GET", "/api/v1/health/counters", nil), 200, "viewerA reads counters")
	},
	"GET /api/v1/health/feeds": func(t *testing.T, w *world) {
		expect(t, w.call("viewerA", "GET", "/api/v1/health/feeds", nil), 200, "viewerA reads feeds")
		expect(t, w.call(w.agentTok["A"], "GET", "/api/v1/health/feeds", nil), 403, "an agent reads feeds")
	},
}

// probe adds a probe of a closed local port as the administrator and
// returns its id.
func (w *world) probe(t *testing.T, name string) string {
	t.Helper()
	r := w.call("admin", "POST", "/api/v1/health/probes", map[string]any{"name": "ncsc-" + name, "kind": "tcp", "target": "127.0.0.1:9", "interval_seconds": 60, "timeout_seconds": 1})
	expect(t, r, 201, "add probe "+name)
	return fmt.Sprint(int64(r.json(t)["id"].(float64)))
}

// anyProbe returns the id of a probe, adding one if there is none.
func (w *world) anyProbe(t *testing.T) string {
	t.Helper()
	if items := w.call("admin", "GET", "/api/v1/health/probes", nil).items(t); len(items) > 0 {
		return fmt.Sprint(int64(items[0]["id"].(float64)))
	}
	return w.probe(t, "any")
}

func TestScopeMatrix(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		for _, route := range w.hub.Server.APIRoutes() {
			check, ok := scopeMatrix[route]
			if !ok {
				t.Errorf("endpoint %s has no entry in scopeMatrix: add its scope checks", route)
				continue
			}
			t.Run(route, func(t *testing.T) { check(t, w) })
		}
		// Every endpoint but login refuses anonymous callers.
		for _, route := range w.hub.Server.APIRoutes() {
			if route == "POST /api/v1/auth/token" || route == "POST /api/v1/agents/enroll" {
				continue
			}
			var method, path string
			fmt.Sscanf(route, "%s %s", &method, &path)
			r := w.call("", method, fillPath(path), nil)
			if r.Status != http.StatusUnauthorized {
				t.Errorf("anonymous %s: status %d, want 401", route, r.Status)
			}
		}
	})
}
