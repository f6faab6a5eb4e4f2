package web_test

import (
	"strings"
	"testing"
)

// TestTokenListsPageSortAndExport pages, sorts and exports the API token
// and enrolment token lists, each scoped as before: one's own API tokens
// (an administrator's ?all=1: everyone's), the enrolment tokens of one's
// subtree.
func TestTokenListsPageSortAndExport(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		for _, name := range []string{formula, "zeta"} {
			expect(t, w.call("officerA", "POST", "/api/v1/tokens", map[string]any{"name": name, "expires_in": "720h"}), 201, "create token "+name)
		}
		names := pageBoth(t, w, "officerA", "/api/v1/tokens?limit=1&sort=created&order=desc", 3, "name")
		if names[0] != "zeta" || names[1] != formula || names[2] != "test" {
			t.Errorf("tokens newest first: %v", names)
		}
		expect(t, w.call("officerA", "GET", "/api/v1/tokens?sort=hash", nil), 400, "unknown sort")
		if m := w.call("officerA", "GET", "/api/v1/tokens?all=1", nil).json(t); m["total"] != float64(3) {
			t.Errorf("an officer's all=1 counts %v tokens, want their own 3", m["total"])
		}
		if m := w.call("admin", "GET", "/api/v1/tokens?all=1", nil).json(t); m["total"] != float64(len(actors)+2) {
			t.Errorf("admin's all=1 counts %v tokens, want %d", m["total"], len(actors)+2)
		}
		recs := readCSV(t, w.call("officerA", "GET", "/api/v1/tokens?format=csv&sort=created", nil))
		name := column(t, recs, "Tên")
		if len(recs) != 4 || recs[2][name] != "'"+formula || recs[0][column(t, recs, "Tiền tố")] == "" {
			t.Errorf("tokens CSV: %v", recs)
		}
		for _, rec := range recs[1:] {
			if rec[column(t, recs, "Người sở hữu")] != "officera@test.vigil" {
				t.Errorf("officer A's export holds a token of %v", rec)
			}
		}
		body := string(w.call("officerA", "GET", "/tokens?limit=2", nil).Body)
		for _, want := range []string{"1–2 trên tổng 3", `rel="next"`, `id="tokens-table"`, "sort=last_used", "/tokens?format=xlsx"} {
			if !strings.Contains(body, want) {
				t.Errorf("tokens page lacks %q", want)
			}
		}
		if rows := readXLSX(t, w.call("officerA", "GET", "/tokens?format=xlsx", nil)); len(rows) != 4 {
			t.Errorf("tokens XLSX: %d rows", len(rows))
		}

		// Enrolment tokens: A's subtree only.
		expect(t, w.call("officerA", "POST", "/api/v1/enrollment-tokens", map[string]any{"unit": "A1", "expires_in": "72h", "max_uses": 3}), 201, "token for A1")
		units := pageBoth(t, w, "officerA", "/api/v1/enrollment-tokens?limit=1&sort=unit", 2, "unit")
		if strings.Join(units, ",") != "A,A1" {
			t.Errorf("enrolment tokens by unit: %v", units)
		}
		if m := w.call("admin", "GET", "/api/v1/enrollment-tokens?unit=A1", nil).json(t); m["total"] != float64(1) {
			t.Errorf("tokens of A1: %v", m["total"])
		}
		expect(t, w.call("officerA", "GET", "/api/v1/enrollment-tokens?unit=B", nil), 404, "officer A lists B's enrolment tokens")
		recs = readCSV(t, w.call("officerA", "GET", "/enrollment?format=csv&sort=unit&order=desc", nil))
		if len(recs) != 3 || recs[1][column(t, recs, "Đơn vị")] != "A1" || recs[2][column(t, recs, "Đơn vị")] != "A" {
			t.Errorf("enrolment tokens CSV: %v", recs)
		}
		body = string(w.call("officerA", "GET", "/enrollment", nil).Body)
		for _, want := range []string{"1–2 trên tổng 2", `id="enrollment-table"`, "sort=uses", "/enrollment?format=csv"} {
			if !strings.Contains(body, want) {
				t.Errorf("enrolment page lacks %q", want)
			}
		}
		if rows := readXLSX(t, w.call("admin", "GET", "/api/v1/enrollment-tokens?format=xlsx&lang=en", nil)); len(rows) != 4 || rows[0][0] != "Prefix" {
			t.Errorf("enrolment XLSX: %v", rows)
		}
	})
}
