package web_test

import (
	"strings"
	"testing"
	"time"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// /watchlist/late and its API are lists: a true total, pages, sorting,
// the unit filter, CSV and XLSX exports (not the HTML page).
func TestWatchlistLatePage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.watchlistHits(t)
		db.Exec(t.Context(), `UPDATE findings SET due_at = 1000 WHERE kind = 'warning_list'`)
		st, page := w.getPage("analyst", "vi", "/watchlist/late?sort=unit&order=desc")
		if st != 200 || !strings.Contains(page, `id="late-units"`) || !strings.Contains(page, "contact.b@test.vigil") || !strings.Contains(page, "/watchlist/late?") {
			t.Fatalf("late units page: %d", st)
		}
		if b, a := strings.Index(page, ">B — "), strings.Index(page, ">A — "); b < 0 || a < 0 || b > a {
			t.Errorf("sorted by unit descending: B at %d, A at %d", b, a)
		}
		if _, page := w.getPage("analyst", "en", "/watchlist/late?unit=A"); strings.Contains(page, "contact.b@test.vigil") {
			t.Errorf("the unit filter A shows B")
		}
		r := w.call("analyst", "GET", "/api/v1/watchlist/late-units?limit=1", nil)
		m := r.json(t)
		if r.Status != 200 || m["total"] != float64(2) || len(m["items"].([]any)) != 1 || m["next"] == nil {
			t.Errorf("first page of one: %d %s", r.Status, r.Body)
		}
		for _, f := range []string{"csv", "xlsx"} {
			for _, path := range []string{"/watchlist/late?format=" + f, "/api/v1/watchlist/late-units?format=" + f} {
				r := w.call("analyst", "GET", path, nil)
				if r.Status != 200 || strings.Contains(r.Header.Get("Content-Type"), "html") || !strings.Contains(r.Header.Get("Content-Disposition"), "watchlist-late-units") {
					t.Errorf("%s: %d %s", path, r.Status, r.Header.Get("Content-Type"))
				}
			}
		}
		if r := w.call("analyst", "GET", "/api/v1/watchlist/late-units?format=csv", nil); !strings.Contains(string(r.Body), "contact.b@test.vigil") {
			t.Errorf("the CSV holds no contact: %q", r.Body)
		}
	})
}

// What verified an action is said in the reader's language on the item
// page, and the closing note is the officer's words without an action code.
func TestWatchlistVerifiedInWords(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		h := w.watchlistHits(t)
		if r := w.call("officerA", "POST", "/api/v1/watchlist/hits/"+h["A"]+"/action", map[string]any{"action": "scan", "note": "Đã quét toàn bộ"}); r.Status != 200 {
			t.Fatalf("record: %d %s", r.Status, r.Body)
		}
		later := store.Micros(time.Now().Add(time.Minute))
		if _, err := db.Exec(t.Context(), `INSERT INTO agent_tasks (id, host_id, kind, params, status, result, created_by, created_at, updated_at)
			SELECT 'quet-sach-1', w.host_id, 'scan', '{}', 'done', '{"findings":[]}', 'test', ?, ? FROM watchlist_hits w WHERE w.id = ?`, later, later, h["A"]); err != nil {
			t.Fatal(err)
		}
		if n, err := w.hub.Watchlist.Verify(t.Context()); err != nil || n != 1 {
			t.Fatalf("verify: %d %v", n, err)
		}
		for lang, want := range map[string]string{"vi": "Đã xác nhận: lần quét mã độc quet-sach-1 của máy", "en": "Verified: malware scan quet-sach-1 of the host"} {
			st, page := w.getPage("officerA", lang, "/watchlist/hits/"+h["A"])
			if st != 200 || !strings.Contains(page, want) || strings.Contains(page, "verified by scan task") || strings.Contains(page, "scan: Đã quét") {
				t.Errorf("%s item page: %d, want %q", lang, st, want)
			}
		}
	})
}
