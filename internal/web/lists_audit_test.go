package web_test

import (
	"context"
	"strings"
	"testing"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/org"
	"vigil/internal/store"
)

// TestAuditListPagesSortsAndExports pages the audit log both ways with its
// total, oldest first on request, and exports it in words, a formula
// actor name neutralised and an officer's export holding only rows of
// their subtree.
func TestAuditListPagesSortsAndExports(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		ctx := context.Background()
		sys := auth.WithPrincipal(ctx, auth.System)
		evil, err := w.hub.Org.CreateUser(sys, org.UserInput{Email: "evil@test.vigil", Name: formula, Password: testPassword, Role: "officer", Unit: "A"})
		if err != nil {
			t.Fatal(err)
		}
		actx := auth.WithPrincipal(ctx, &auth.Principal{UserID: evil.ID, Email: evil.Email, Name: evil.Name, Role: auth.RoleOfficer, UnitPath: "/1/3/"})
		if _, err := w.hub.Org.AddContact(actx, "A", org.ContactInput{Name: "Lê Văn C", Phone: "0900 000 003"}); err != nil {
			t.Fatal(err)
		}
		m := w.call("admin", "GET", "/api/v1/audit?limit=1", nil).json(t)
		n := int(m["total"].(float64))
		if n < 20 || m["total_capped"] != nil {
			t.Fatalf("admin's audit log: total %v, capped %v", m["total"], m["total_capped"])
		}
		seqs := pageBoth(t, w, "admin", "/api/v1/audit?limit=7", n, "seq")
		if seqs[0] <= seqs[n-1] {
			t.Errorf("audit log not newest first: %s ... %s", seqs[0], seqs[n-1])
		}
		if it := w.call("admin", "GET", "/api/v1/audit?sort=at&order=asc&limit=1", nil).items(t); it[0]["seq"] != float64(1) {
			t.Errorf("oldest first starts at %v", it[0]["seq"])
		}
		expect(t, w.call("admin", "GET", "/api/v1/audit?sort=actor", nil), 400, "unknown sort")

		// Officer A's view: rows of A's subtree only, counted truly.
		m = w.call("officerA", "GET", "/api/v1/audit?limit=2", nil).json(t)
		na := int(m["total"].(float64))
		pageBoth(t, w, "officerA", "/api/v1/audit?limit=2", na, "seq")
		recs := readCSV(t, w.call("officerA", "GET", "/api/v1/audit?format=csv", nil))
		if len(recs) != na+1 {
			t.Errorf("officer A's export: %d rows, the list counts %d", len(recs)-1, na)
		}
		actor, unit := column(t, recs, "Người thực hiện"), column(t, recs, "Đơn vị")
		var found bool
		for _, rec := range recs[1:] {
			if strings.Contains(rec[unit], "Hà Nội") || strings.Contains(strings.Join(rec, ","), "officerb@") {
				t.Errorf("officer A's audit export holds %v", rec)
			}
			if strings.Contains(rec[actor], "HYPERLINK") {
				found = true
				if !strings.HasPrefix(rec[actor], "'=") {
					t.Errorf("formula actor name written as %q", rec[actor])
				}
			}
		}
		if !found {
			t.Errorf("the formula user's row is not in the export")
		}
		if rows := readXLSX(t, w.call("officerA", "GET", "/audit?format=xlsx&lang=en", nil)); len(rows) != na+1 || rows[0][0] != "Time" {
			t.Errorf("audit XLSX: %d rows, header %v", len(rows), rows[0])
		}
		body := string(w.call("officerA", "GET", "/audit?limit=2", nil).Body)
		for _, want := range []string{"1–2 trên tổng " + itoa(int64(na)), `rel="next"`, "sort=at", "/audit?format=csv"} {
			if !strings.Contains(body, want) {
				t.Errorf("audit page lacks %q", want)
			}
		}
	})
}

// TestAuditCountIsBoundedHonestly fills the log past the count's bound:
// the list says "more than 10,000", still pages on, and counts exactly
// once the page is near the end; an export counts all it writes.
func TestAuditCountIsBoundedHonestly(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		ctx := auth.WithPrincipal(context.Background(), &auth.Principal{UserID: w.userIDs["officerB"], Email: "officerb@test.vigil", Role: auth.RoleOfficer, UnitPath: "/1/5/"})
		var unitB int64
		if err := w.db.QueryRow(ctx, `SELECT id FROM units WHERE code = 'B'`).Scan(&unitB); err != nil {
			t.Fatal(err)
		}
		err := w.db.InTx(ctx, func(tx *store.Tx) error {
			for i := range audit.CountCap + 30 {
				if err := audit.Append(ctx, tx, audit.Entry{Action: "contact.update", ObjectType: "contact", ObjectID: itoa(int64(i)), UnitID: unitB}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		m := w.call("officerB", "GET", "/api/v1/audit?limit=50", nil).json(t)
		if m["total"] != float64(audit.CountCap) || m["total_capped"] != true || m["next"] == "" {
			t.Fatalf("first page: total %v capped %v next %q", m["total"], m["total_capped"], m["next"])
		}
		body := string(w.call("officerB", "GET", "/audit", nil).Body)
		if !strings.Contains(body, "1–50 trên hơn 10.000") {
			t.Errorf("audit page does not say it counts more than 10.000")
		}
		if body := string(w.call("officerB", "GET", "/audit?lang=en", nil).Body); strings.Contains(body, "of 10,000<") {
			t.Errorf("English audit page shows the bound as the total")
		}
		// Near the end the count is exact.
		m = w.call("officerB", "GET", "/api/v1/audit?limit=50&offset=10000", nil).json(t)
		exact := m["total"].(float64)
		if m["total_capped"] != nil || exact < float64(audit.CountCap+30) || m["next"] != "" {
			t.Errorf("last page: total %v capped %v next %q", exact, m["total_capped"], m["next"])
		}
		if n := len(readCSV(t, w.call("officerB", "GET", "/api/v1/audit?format=csv", nil))) - 1; float64(n) != exact {
			t.Errorf("export holds %d rows, the log %v", n, exact)
		}
	})
}
