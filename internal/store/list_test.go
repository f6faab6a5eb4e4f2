package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// TestLikePatternsAreLiteral: the characters LIKE treats specially are
// matched literally on both engines, so a search for "nguyen_van" finds
// that e-mail and not "nguyenXvan".
func TestLikePatternsAreLiteral(t *testing.T) {
	t.Parallel()
	cases := []struct {
		value, search string
		prefix, want  bool
	}{
		{"nguyen_van@test.vigil", "n_v", false, true},
		{"nguyenXvan@test.vigil", "n_v", false, false},
		{"chiếm 50% ổ đĩa", "50%", false, true},
		{"chiếm 50 ổ đĩa", "50%", false, false},
		{`C:\Windows`, `:\W`, false, true},
		{`C:Windows`, `:\W`, false, false},
		{"plain", "", false, true},
		{"/1/7/23/", "/1/7/", true, true},
		{"/1/70/", "/1/7/", true, false},
		{"/1_7/", "/1_", true, true},
		{"/1x7/", "/1_", true, false},
		{"xx/1/7/", "/1/7/", true, false},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, c := range cases {
			pattern := store.LikeContains(c.search)
			if c.prefix {
				pattern = store.LikePrefix(c.search)
			}
			var got bool
			err := db.QueryRow(context.Background(), `SELECT CASE WHEN CAST(? AS TEXT) LIKE CAST(? AS TEXT) ESCAPE '\' THEN TRUE ELSE FALSE END`, c.value, pattern).Scan(&got)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("%q LIKE pattern of %q (prefix %v) = %v, want %v", c.value, c.search, c.prefix, got, c.want)
			}
		}
	})
}

// TestListPagesInKeyOrder walks a list page by page in both orders, with a
// condition, and checks every row comes once, in order, and the last page
// says there is no next one.
func TestListPagesInKeyOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var want []int64
		for i := 1; i <= 23; i++ {
			var id int64
			err := db.QueryRow(ctx, `INSERT INTO units (code, name, name_fold, kind, path, created_at, updated_at) VALUES (?, ?, ?, 'district', '', 0, 0) RETURNING id`,
				fmt.Sprintf("U%02d", i), "n", "n").Scan(&id)
			if err != nil {
				t.Fatal(err)
			}
			if i%3 != 0 { // the condition below keeps these
				want = append(want, id)
			}
		}
		scan := func(sc store.Scanner) (int64, error) {
			var id int64
			return id, sc.Scan(&id)
		}
		key := func(id int64) int64 { return id }
		for _, order := range []string{"id", "id DESC"} {
			var got []int64
			var cursor int64
			pages := 0
			for {
				l := store.NewList(order, 5, 100).Where("code NOT IN (?, ?, ?, ?, ?, ?, ?)", "U03", "U06", "U09", "U12", "U15", "U18", "U21").After(cursor)
				page, next, err := store.Fetch(ctx, db, l, `SELECT id FROM units`, scan, key)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) > 5 {
					t.Fatalf("%s: page of %d rows, limit 5", order, len(page))
				}
				got = append(got, page...)
				pages++
				if next == 0 {
					break
				}
				if next != page[len(page)-1] {
					t.Fatalf("%s: next cursor %d, last row %d", order, next, page[len(page)-1])
				}
				cursor = next
				if pages > 10 {
					t.Fatalf("%s: paging does not end", order)
				}
			}
			exp := slices.Clone(want)
			if order == "id DESC" {
				slices.Reverse(exp)
			}
			if !slices.Equal(got, exp) || pages != 4 {
				t.Errorf("%s: %d pages %v, want 4 pages %v", order, pages, got, exp)
			}
		}
		// A limit outside 1..1000 takes the default.
		if l := store.NewList("id", 5000, 50); l.Limit != 50 {
			t.Errorf("NewList limit 5000 -> %d, want the default 50", l.Limit)
		}
		if c, args := store.NewList("id", 0, 50).Conditions(); c != "1=1" || len(args) != 0 {
			t.Errorf("no conditions: %q %v", c, args)
		}
	})
}

// TestFetchPageByPosition orders by a non-key column both ways, pages by
// position and counts the true total, on both engines.
func TestFetchPageByPosition(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, `CREATE TABLE pets (id BIGINT PRIMARY KEY, name TEXT NOT NULL, legs INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		for i, p := range []struct {
			name string
			legs int
		}{{"cat", 4}, {"bird", 2}, {"dog", 4}, {"fish", 0}, {"ant", 6}} {
			if _, err := db.Exec(ctx, `INSERT INTO pets (id, name, legs) VALUES (?, ?, ?)`, i+1, p.name, p.legs); err != nil {
				t.Fatal(err)
			}
		}
		scan := func(sc store.Scanner) (string, error) {
			var n string
			return n, sc.Scan(&n)
		}
		page := func(desc bool, skip, limit int, cond string, args ...any) ([]string, int) {
			l := store.NewList("p.id", limit, 100).OrderBy("p.legs", desc).Skip(skip)
			if cond != "" {
				l.Where(cond, args...)
			}
			got, total, err := store.FetchPage(ctx, db, l, "SELECT p.name", " FROM pets p", scan)
			if err != nil {
				t.Fatal(err)
			}
			return got, total
		}
		got, total := page(false, 0, 2, "")
		if total != 5 || strings.Join(got, ",") != "fish,bird" {
			t.Errorf("first page: %v of %d", got, total)
		}
		// cat and dog tie on legs: the key orders them, the same way on every page.
		got, _ = page(false, 2, 2, "")
		if strings.Join(got, ",") != "cat,dog" {
			t.Errorf("second page: %v", got)
		}
		got, _ = page(true, 0, 5, "")
		if strings.Join(got, ",") != "ant,dog,cat,bird,fish" {
			t.Errorf("descending: %v", got)
		}
		got, total = page(false, 0, 10, "p.legs = ?", 4)
		if total != 2 || len(got) != 2 {
			t.Errorf("filtered: %v of %d", got, total)
		}
		if got, total = page(false, 10, 2, ""); len(got) != 0 || total != 5 {
			t.Errorf("past the end: %v of %d", got, total)
		}
	})
}
