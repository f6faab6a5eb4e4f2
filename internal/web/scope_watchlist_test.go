package web_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"vigil/internal/store"
)

// watchlistHits publishes, once per world, a warning list naming the
// addresses of hostA (unit A) and hostB (unit B) and returns the ids of
// their matches.
var (
	wlMu   sync.Mutex
	wlHits = map[*world]map[string]string{}
)

func (w *world) watchlistHits(t *testing.T) map[string]string {
	t.Helper()
	wlMu.Lock()
	defer wlMu.Unlock()
	if m, ok := wlHits[w]; ok {
		return m
	}
	ctx := context.Background()
	now := store.Now()
	var listID int64
	if err := w.db.QueryRow(ctx, `INSERT INTO warning_lists (name, month, version, status, status_since, retro_days, entries, created_at, published_at)
		VALUES ('Danh sách thử', '2026-12', 1, 'published', ?, 0, 2, ?, ?) RETURNING id`, now, now, now).Scan(&listID); err != nil {
		t.Fatal(err)
	}
	for i, ip := range []string{"10.0.1.10", "10.0.2.10"} {
		var id int64
		if err := w.db.QueryRow(ctx, `INSERT INTO intel_indicators (kind, value, source, stix_id, created_at, updated_at) VALUES ('ip', ?, 'test', ?, ?, ?) RETURNING id`,
			ip, fmt.Sprintf("indicator--wl-%d", i), now, now).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := w.db.Exec(ctx, `INSERT INTO warning_list_entries (list_id, indicator_id, unit_id, severity, reason, added_at) VALUES (?, ?, 0, 'high', 'Máy bị điều khiển', ?)`,
			listID, id, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.hub.Watchlist.Start(ctx, listID); err != nil {
		t.Fatal(err)
	}
	w.hub.Watchlist.Wait()
	m := map[string]string{"list": fmt.Sprint(listID)}
	for _, it := range w.call("admin", "GET", "/api/v1/watchlist/hits", nil).items(t) {
		m[fmt.Sprint(it["unit"])] = fmt.Sprint(int64(it["id"].(float64)))
	}
	if m["A"] == "" || m["B"] == "" {
		t.Fatalf("matches of the test list: %v", m)
	}
	wlHits[w] = m
	return m
}

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/watchlist/hits": func(t *testing.T, w *world) {
			w.watchlistHits(t)
			got := codes(t, w.call("officerA", "GET", "/api/v1/watchlist/hits", nil), "unit")
			if !got["A"] || got["B"] {
				t.Errorf("officerA sees matches of units %v", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/watchlist/hits?unit=B", nil), 404, "officerA lists B's matches")
			got = codes(t, w.call("analyst", "GET", "/api/v1/watchlist/hits", nil), "unit")
			if !got["A"] || !got["B"] {
				t.Errorf("analyst sees matches of units %v", got)
			}
			items := w.call("officerB", "GET", "/api/v1/watchlist/hits?unit=B", nil).items(t)
			if len(items) != 1 || items[0]["kind"] != "ip" || items[0]["value"] != "10.0.2.10" || items[0]["host"] != "ws-b-01" ||
				items[0]["reason"] != "Máy bị điều khiển" || items[0]["status"] != "open" || items[0]["due_at"] == nil {
				t.Errorf("officerB's queue: %v", items)
			}
		},
		"GET /api/v1/watchlist/hits/{id}": func(t *testing.T, w *world) {
			h := w.watchlistHits(t)
			expect(t, w.call("officerA", "GET", "/api/v1/watchlist/hits/"+h["B"], nil), 404, "officerA reads B's match")
			expect(t, w.call("viewerA", "GET", "/api/v1/watchlist/hits/"+h["A"], nil), 200, "viewerA reads A's match")
		},
		"POST /api/v1/watchlist/hits/{id}/action": func(t *testing.T, w *world) {
			h := w.watchlistHits(t)
			in := map[string]string{"action": "scan", "note": "Quét toàn bộ bằng Defender, sạch"}
			expect(t, w.call("officerA", "POST", "/api/v1/watchlist/hits/"+h["B"]+"/action", in), 404, "officerA acts on B's match")
			expect(t, w.call("viewerA", "POST", "/api/v1/watchlist/hits/"+h["A"]+"/action", in), 403, "viewerA acts")
			expect(t, w.call("analyst", "POST", "/api/v1/watchlist/hits/"+h["A"]+"/action", in), 403, "analyst acts")
			expect(t, w.call("officerA", "POST", "/api/v1/watchlist/hits/"+h["A"]+"/action", map[string]string{"action": "pray", "note": "x"}), 400, "unknown action")
			r := w.call("officerA", "POST", "/api/v1/watchlist/hits/"+h["A"]+"/action", in)
			expect(t, r, 200, "officerA acts on A's match")
			if m := r.json(t); m["status"] != "in_progress" || m["taken"] != "scan" || m["awaiting_verification"] != true {
				t.Errorf("after the action: %v", m)
			}
		},
		"POST /api/v1/watchlist/hits/{id}/evidence": func(t *testing.T, w *world) {
			h := w.watchlistHits(t)
			expect(t, w.call("officerA", "POST", "/api/v1/watchlist/hits/"+h["B"]+"/evidence?name=x.txt", "proof"), 404, "officerA attaches to B's match")
			expect(t, w.call("viewerA", "POST", "/api/v1/watchlist/hits/"+h["A"]+"/evidence?name=x.txt", "proof"), 403, "viewerA attaches")
			expect(t, w.call("officerA", "POST", "/api/v1/watchlist/hits/"+h["A"]+"/evidence?name=x.txt", ""), 400, "an empty file")
			r := w.call("officerA", "POST", "/api/v1/watchlist/hits/"+h["A"]+"/evidence?name=bao-cao.txt", "scan clean\n")
			expect(t, r, 201, "officerA attaches to A's match")
			if m := r.json(t); m["sha256"] != "b8c5b3a1bc4cbb5e1b8d2e5e0c1fd8eb4d9b3b5cb5a0d1ad6ad0bd7a2d1a5b2f" && len(fmt.Sprint(m["sha256"])) != 64 {
				t.Errorf("attachment: %v", m)
			}
		},
		"GET /api/v1/watchlist/hits/{id}/evidence/{n}": func(t *testing.T, w *world) {
			h := w.watchlistHits(t)
			r := w.call("officerB", "POST", "/api/v1/watchlist/hits/"+h["B"]+"/evidence?name=b.txt", "proof of B")
			expect(t, r, 201, "officerB attaches")
			n := fmt.Sprint(int64(r.json(t)["id"].(float64)))
			expect(t, w.call("officerA", "GET", "/api/v1/watchlist/hits/"+h["B"]+"/evidence/"+n, nil), 404, "officerA downloads B's file")
			expect(t, w.call("officerA", "GET", "/api/v1/watchlist/hits/"+h["A"]+"/evidence/"+n, nil), 404, "B's file through A's match")
			d := w.call("analyst", "GET", "/api/v1/watchlist/hits/"+h["B"]+"/evidence/"+n, nil)
			expect(t, d, 200, "analyst downloads B's file")
			if string(d.Body) != "proof of B" || len(d.Header.Get("X-Content-SHA256")) != 64 {
				t.Errorf("download: %q %v", d.Body, d.Header)
			}
		},
		"GET /api/v1/watchlist/hits/{id}/related": func(t *testing.T, w *world) {
			h := w.watchlistHits(t)
			expect(t, w.call("officerA", "GET", "/api/v1/watchlist/hits/"+h["B"]+"/related", nil), 404, "officerA relates B's match")
			expect(t, w.call("officerA", "GET", "/api/v1/watchlist/hits/"+h["A"]+"/related", nil), 200, "officerA relates A's match")
		},
		"GET /api/v1/watchlist/late-units": func(t *testing.T, w *world) {
			w.watchlistHits(t)
			w.db.Exec(context.Background(), `UPDATE findings SET due_at = 1000 WHERE kind = 'warning_list'`)
			got := codes(t, w.call("officerA", "GET", "/api/v1/watchlist/late-units", nil), "unit")
			if got["B"] {
				t.Errorf("officerA sees late units %v", got)
			}
			got = codes(t, w.call("analyst", "GET", "/api/v1/watchlist/late-units", nil), "unit")
			if !got["B"] {
				t.Errorf("analyst sees late units %v", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/watchlist/late-units?unit=B", nil), 404, "officerA filters late units on B")
			// The export holds the caller's subtree only.
			r := w.call("officerA", "GET", "/api/v1/watchlist/late-units?format=csv", nil)
			if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || strings.Contains(string(r.Body), "\nB,") {
				t.Errorf("officerA's export: %d %s %q", r.Status, r.Header.Get("Content-Type"), r.Body)
			}
		},
		"GET /api/v1/watchlist/runs": func(t *testing.T, w *world) {
			h := w.watchlistHits(t)
			if items := w.call("officerA", "GET", "/api/v1/watchlist/runs", nil).items(t); len(items) != 0 {
				t.Errorf("officerA reads runs %v", items)
			}
			items := w.call("analyst", "GET", "/api/v1/watchlist/runs?list="+h["list"], nil).items(t)
			if len(items) == 0 || items[0]["status"] != "done" {
				t.Errorf("analyst reads runs %v", items)
			}
		},
	} {
		scopeMatrix[k] = v
	}
}
