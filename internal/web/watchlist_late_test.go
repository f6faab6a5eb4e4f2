package web_test

import (
	"strings"
	"testing"

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
