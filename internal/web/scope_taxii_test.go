package web_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"vigil/internal/store"
)

// taxiiList stores a published warning list of two indicators (one for
// every unit, one for unit B only) straight in the tables of migration
// 0019, and returns its id.
var taxiiSeq atomic.Int64

func (w *world) taxiiList(t *testing.T) int64 {
	t.Helper()
	ctx := context.Background()
	now := store.Micros(time.Now())
	n := taxiiSeq.Add(1)
	var list, i1, i2, unitB int64
	if err := w.db.QueryRow(ctx, `SELECT id FROM units WHERE code = 'B'`).Scan(&unitB); err != nil {
		t.Fatal(err)
	}
	err := w.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO warning_lists (name, month, version, status, status_since, entries, created_at, published_at) VALUES ('Danh sách cảnh báo', '2026-11', ?, 'published', ?, 2, ?, ?) RETURNING id`,
			n, now, now, now).Scan(&list); err != nil {
			return err
		}
		for _, x := range []struct {
			id    *int64
			value string
			kind  string
		}{{&i1, fmt.Sprintf("198.51.%d.%d", n/200, n%200+1), "ip"}, {&i2, fmt.Sprintf("b-only-%d.example.net", n), "domain"}} {
			if err := tx.QueryRow(ctx, `INSERT INTO intel_indicators (kind, value, source, tlp, stix_id, created_at, updated_at) VALUES (?, ?, 'IT Center', 'amber', ?, ?, ?) RETURNING id`,
				x.kind, x.value, fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", 2*n+int64(len(x.kind))), now, now).Scan(x.id); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO warning_list_entries (list_id, indicator_id, unit_id, added_at) VALUES (?, ?, 0, ?), (?, ?, ?, ?)`, list, i1, now, list, i2, unitB, now+1); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// taxiiCollection adds a collection of a fresh list readable by unit A's
// subtree and returns its id.
func (w *world) taxiiCollection(t *testing.T) string {
	t.Helper()
	list := w.taxiiList(t)
	r := w.call("admin", "POST", "/api/v1/taxii/collections", map[string]any{"title": "Danh sách cảnh báo (hiện hành)", "selection": "list", "list_id": list})
	expect(t, r, 201, "admin adds a collection")
	id := r.json(t)["id"].(string)
	expect(t, w.call("admin", "POST", "/api/v1/taxii/collections/"+id+"/grants", map[string]any{"unit": "A", "can_read": true}), 200, "admin grants unit A")
	return id
}

func (w *world) taxiiFeed(t *testing.T, name string) string {
	t.Helper()
	r := w.call("admin", "POST", "/api/v1/intel/feeds", map[string]any{"kind": "stix", "name": name, "url": "https://intel.example.invalid/" + name + ".json", "enabled": false})
	expect(t, r, 201, "admin adds a feed")
	return fmt.Sprint(r.json(t)["id"])
}

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/taxii/collections": func(t *testing.T, w *world) {
			id := w.taxiiCollection(t)
			for actor, want := range map[string]bool{"admin": true, "analyst": true, "officerA": true, "viewerA": true, "officerB": false} {
				got := codes(t, w.call(actor, "GET", "/api/v1/taxii/collections", nil), "id")
				if got[id] != want {
					t.Errorf("%s lists the collection: %v, want %v", actor, got[id], want)
				}
			}
		},
		"POST /api/v1/taxii/collections": func(t *testing.T, w *world) {
			in := map[string]any{"title": "Mọi chỉ dấu", "selection": "indicators"}
			for _, actor := range []string{"analyst", "officerA", "viewerA"} {
				expect(t, w.call(actor, "POST", "/api/v1/taxii/collections", in), 403, actor+" adds a collection")
			}
			expect(t, w.call("admin", "POST", "/api/v1/taxii/collections", map[string]any{"title": "x", "selection": "list", "list_id": 999999}), 400, "a list that does not exist")
			expect(t, w.call("admin", "POST", "/api/v1/taxii/collections", map[string]any{"title": "x", "selection": "everything"}), 400, "an unknown selection")
			expect(t, w.call("admin", "POST", "/api/v1/taxii/collections", in), 201, "admin adds a collection")
		},
		"GET /api/v1/taxii/collections/{id}": func(t *testing.T, w *world) {
			id := w.taxiiCollection(t)
			expect(t, w.call("officerB", "GET", "/api/v1/taxii/collections/"+id, nil), 404, "officerB, granted nothing")
			expect(t, w.call("viewerA", "GET", "/api/v1/taxii/collections/"+id, nil), 200, "viewerA, of the granted unit")
			expect(t, w.call("analyst", "GET", "/api/v1/taxii/collections/"+id, nil), 200, "the SOC")
			expect(t, w.call("admin", "GET", "/api/v1/taxii/collections/nope", nil), 404, "a bad id")
		},
		"PATCH /api/v1/taxii/collections/{id}": func(t *testing.T, w *world) {
			id := w.taxiiCollection(t)
			expect(t, w.call("officerA", "PATCH", "/api/v1/taxii/collections/"+id, map[string]any{"title": "đổi"}), 403, "officerA changes it")
			expect(t, w.call("admin", "PATCH", "/api/v1/taxii/collections/"+id, map[string]any{"writable": true}), 400, "writable without a source")
			r := w.call("admin", "PATCH", "/api/v1/taxii/collections/"+id, map[string]any{"title": "Danh sách mới", "max_tlp": "green"})
			expect(t, r, 200, "admin changes it")
			if m := r.json(t); m["title"] != "Danh sách mới" || m["max_tlp"] != "green" {
				t.Errorf("changed: %s", r.Body)
			}
		},
		"DELETE /api/v1/taxii/collections/{id}": func(t *testing.T, w *world) {
			id := w.taxiiCollection(t)
			expect(t, w.call("analyst", "DELETE", "/api/v1/taxii/collections/"+id, nil), 403, "the SOC removes it")
			expect(t, w.call("admin", "DELETE", "/api/v1/taxii/collections/"+id, nil), 204, "admin removes it")
			expect(t, w.call("viewerA", "GET", "/api/v1/taxii/collections/"+id, nil), 404, "gone")
		},
		"POST /api/v1/taxii/collections/{id}/grants": func(t *testing.T, w *world) {
			id := w.taxiiCollection(t)
			g := map[string]any{"user": "officerb@test.vigil", "can_read": true}
			expect(t, w.call("officerA", "POST", "/api/v1/taxii/collections/"+id+"/grants", g), 403, "officerA grants")
			expect(t, w.call("admin", "POST", "/api/v1/taxii/collections/"+id+"/grants", map[string]any{"user": "nobody@test.vigil", "can_read": true}), 400, "an unknown user")
			expect(t, w.call("admin", "POST", "/api/v1/taxii/collections/"+id+"/grants", map[string]any{"user": "officerb@test.vigil", "can_write": true}), 400, "write on a read-only collection")
			expect(t, w.call("admin", "POST", "/api/v1/taxii/collections/"+id+"/grants", g), 200, "admin grants officerB")
			expect(t, w.call("officerB", "GET", "/api/v1/taxii/collections/"+id, nil), 200, "officerB now sees it")
		},
		"DELETE /api/v1/taxii/collections/{id}/grants/{kind}/{grantee}": func(t *testing.T, w *world) {
			id := w.taxiiCollection(t)
			r := w.call("admin", "GET", "/api/v1/taxii/collections/"+id, nil)
			grant := r.json(t)["grants"].([]any)[0].(map[string]any)
			path := fmt.Sprintf("/api/v1/taxii/collections/%s/grants/unit/%v", id, grant["id"])
			expect(t, w.call("officerA", "DELETE", path, nil), 403, "officerA revokes")
			expect(t, w.call("admin", "DELETE", path, nil), 204, "admin revokes")
			expect(t, w.call("admin", "DELETE", path, nil), 404, "revoked twice")
			expect(t, w.call("viewerA", "GET", "/api/v1/taxii/collections/"+id, nil), 404, "viewerA no longer sees it")
		},
		"GET /api/v1/intel/feeds": func(t *testing.T, w *world) {
			w.taxiiFeed(t, "list-a")
			for _, actor := range []string{"officerA", "viewerA"} {
				expect(t, w.call(actor, "GET", "/api/v1/intel/feeds", nil), 403, actor+" lists feeds")
			}
			if got := codes(t, w.call("analyst", "GET", "/api/v1/intel/feeds", nil), "name"); !got["list-a"] {
				t.Errorf("the SOC lists %v", got)
			}
		},
		"POST /api/v1/intel/feeds": func(t *testing.T, w *world) {
			in := map[string]any{"kind": "taxii", "name": "doi-tac", "url": "https://taxii.example.org/taxii2/", "collection": "c1", "username": "u", "secret": "s3cr3t-value"}
			expect(t, w.call("analyst", "POST", "/api/v1/intel/feeds", in), 403, "the SOC adds a feed")
			expect(t, w.call("admin", "POST", "/api/v1/intel/feeds", map[string]any{"kind": "taxii", "name": "x", "url": "https://taxii.example.org/taxii2/"}), 400, "a TAXII feed without a collection")
			expect(t, w.call("admin", "POST", "/api/v1/intel/feeds", map[string]any{"kind": "csv", "name": "x", "url": "http://intel.example.org/x.csv", "secret": "k"}), 400, "credentials over http")
			r := w.call("admin", "POST", "/api/v1/intel/feeds", in)
			expect(t, r, 201, "admin adds a feed")
			if strings.Contains(string(r.Body), "s3cr3t-value") || r.json(t)["secret"] != "set" {
				t.Errorf("the secret is shown back: %s", r.Body)
			}
			expect(t, w.call("admin", "POST", "/api/v1/intel/feeds", in), 409, "the same name again")
		},
		"GET /api/v1/intel/feeds/{id}": func(t *testing.T, w *world) {
			id := w.taxiiFeed(t, "one")
			expect(t, w.call("officerA", "GET", "/api/v1/intel/feeds/"+id, nil), 403, "officerA reads a feed")
			expect(t, w.call("analyst", "GET", "/api/v1/intel/feeds/"+id, nil), 200, "the SOC reads a feed")
			expect(t, w.call("analyst", "GET", "/api/v1/intel/feeds/999999", nil), 404, "no such feed")
		},
		"PATCH /api/v1/intel/feeds/{id}": func(t *testing.T, w *world) {
			id := w.taxiiFeed(t, "two")
			expect(t, w.call("analyst", "PATCH", "/api/v1/intel/feeds/"+id, map[string]any{"interval_minutes": 30}), 403, "the SOC changes a feed")
			expect(t, w.call("admin", "PATCH", "/api/v1/intel/feeds/"+id, map[string]any{"interval_minutes": 1}), 400, "an interval too short")
			r := w.call("admin", "PATCH", "/api/v1/intel/feeds/"+id, map[string]any{"interval_minutes": 30})
			expect(t, r, 200, "admin changes a feed")
			if r.json(t)["interval_minutes"] != float64(30) {
				t.Errorf("changed: %s", r.Body)
			}
		},
		"DELETE /api/v1/intel/feeds/{id}": func(t *testing.T, w *world) {
			id := w.taxiiFeed(t, "three")
			expect(t, w.call("analyst", "DELETE", "/api/v1/intel/feeds/"+id, nil), 403, "the SOC removes a feed")
			expect(t, w.call("admin", "DELETE", "/api/v1/intel/feeds/"+id, nil), 204, "admin removes a feed")
			expect(t, w.call("admin", "GET", "/api/v1/intel/feeds/"+id, nil), 404, "gone")
		},
		"POST /api/v1/intel/feeds/{id}/run": func(t *testing.T, w *world) {
			id := w.taxiiFeed(t, "four")
			expect(t, w.call("analyst", "POST", "/api/v1/intel/feeds/"+id+"/run", nil), 403, "the SOC runs a feed")
			r := w.call("admin", "POST", "/api/v1/intel/feeds/"+id+"/run", nil)
			expect(t, r, 200, "admin runs a feed")
			// intel.example.invalid never answers: the run is recorded
			// as failed, with its reason.
			if m := r.json(t); m["last_status"] != "error" || m["last_error"] == "" {
				t.Errorf("run: %s", r.Body)
			}
		},
	} {
		scopeMatrix[k] = v
	}
}

// TestScopeTAXII checks the TAXII 2.1 endpoints (outside the API table):
// they answer the caller's grants only, past the UI's catch-all and the
// CSRF check.
func TestScopeTAXII(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		id := w.taxiiCollection(t)
		get := func(actor, path, accept string) (int, string, http.Header) {
			req, _ := http.NewRequest("GET", w.srv.URL+path, nil)
			if accept != "" {
				req.Header.Set("Accept", accept)
			}
			if actor != "" {
				email := strings.ToLower(actor) + "@test.vigil"
				req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(email+":"+w.tokens[actor])))
			}
			resp, err := w.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b), resp.Header
		}
		const mt = "application/taxii+json;version=2.1"
		if code, _, h := get("", "/taxii2/", mt); code != 401 || h.Get("WWW-Authenticate") == "" {
			t.Errorf("anonymous discovery: %d %v", code, h)
		}
		if code, _, h := get("viewerA", "/taxii2/", mt); code != 200 || h.Get("Content-Type") != mt {
			t.Errorf("discovery: %d %q", code, h.Get("Content-Type"))
		}
		col := "/taxii2/intel/collections/" + id + "/objects/"
		code, body, _ := get("viewerA", col, mt)
		if code != 200 || !strings.Contains(body, "ipv4-addr:value = '198.51.") || strings.Contains(body, "b-only-") {
			t.Errorf("viewerA reads: %d %s", code, body)
		}
		if code, _, _ := get("officerB", col, mt); code != 404 {
			t.Errorf("officerB reads a collection not granted: %d", code)
		}
		if code, _, _ := get("analyst", col, mt); code != 404 {
			t.Errorf("the SOC reads a collection not granted to it: %d", code)
		}
		expect(t, w.call("admin", "POST", "/api/v1/taxii/collections/"+id+"/grants", map[string]any{"unit": "ITC", "can_read": true}), 200, "admin grants the SOC")
		if code, body, _ := get("analyst", col, mt); code != 200 || !strings.Contains(body, "b-only-") {
			t.Errorf("the SOC, granted, reads: %d %s", code, body)
		}
		// The collection's MISP feed: the same rights and unit visibility
		// (no TAXII Accept needed).
		feed := "/taxii2/misp/" + id + "/"
		if code, body, _ := get("viewerA", feed+"manifest.json", ""); code != 200 || !strings.Contains(body, `"Orgc"`) {
			t.Errorf("viewerA's MISP feed manifest: %d %s", code, body)
		} else if code, body, _ := get("viewerA", feed+"hashes.csv", ""); code != 200 || strings.Count(body, "\n") == 0 {
			t.Errorf("viewerA's hashes.csv: %d %s", code, body)
		}
		if code, _, _ := get("officerB", feed+"manifest.json", ""); code != 404 {
			t.Errorf("officerB reads a MISP feed not granted: %d", code)
		}
		if code, _, _ := get("", feed+"manifest.json", ""); code != 401 {
			t.Errorf("anonymous MISP feed: %d", code)
		}
		if code, _, _ := get("viewerA", col, "text/html"); code != 406 {
			t.Errorf("Accept text/html: %d", code)
		}
		if code, body, _ := get("viewerA", "/taxii2/intel/nothing-here/", mt); code != 404 || !strings.Contains(body, `"title"`) {
			t.Errorf("unknown TAXII path: %d %s", code, body)
		}
		// A session cookie is no TAXII credential, and a POST without CSRF
		// token is refused by TAXII's own authentication, not the UI's.
		req, _ := http.NewRequest("POST", w.srv.URL+col, strings.NewReader(`{"objects":[]}`))
		req.Header.Set("Accept", mt)
		req.Header.Set("Content-Type", mt)
		req.Header.Set("Authorization", "Bearer "+w.tokens["viewerA"])
		resp, err := w.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 || resp.Header.Get("Content-Type") != mt {
			t.Errorf("viewerA writes a read-only collection: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
}
