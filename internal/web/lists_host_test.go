package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"vigil/internal/asset"
	"vigil/internal/auth"
)

// TestHostChangesAndTasksPageSortAndExport pages a host's change history
// (API and host page) and its tasks both ways with their totals, sorts
// them and exports them, a formula software name neutralised.
func TestHostChangesAndTasksPageSortAndExport(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		id := itoa(w.hostIDs["A"])
		inv := testInventory("ws-a-01", "10.0.1.10", time.Hour)
		for _, name := range []string{formula, "Notepad++", "Zalo"} {
			inv.Software = append(inv.Software, asset.Software{Name: name, Version: "1.0", Source: asset.SoftwareRegistry})
		}
		if _, err := w.hub.Hosts.Import(auth.WithPrincipal(context.Background(), auth.System), "A", "again.json", []*asset.Inventory{inv}); err != nil {
			t.Fatal(err)
		}
		all := w.call("officerA", "GET", "/api/v1/hosts/"+id+"/changes", nil).json(t)
		n := int(all["total"].(float64))
		if n < 3 {
			t.Fatalf("host A has %d changes, want at least the 3 new programs: %v", n, all)
		}
		pageBoth(t, w, "officerA", "/api/v1/hosts/"+id+"/changes?limit=2&sort=subject", n, "id")
		expect(t, w.call("officerB", "GET", "/api/v1/hosts/"+id+"/changes?format=csv", nil), 404, "officer B exports A's host changes")
		expect(t, w.call("officerA", "GET", "/api/v1/hosts/"+id+"/changes?sort=old", nil), 400, "unknown sort")
		recs := readCSV(t, w.call("officerA", "GET", "/api/v1/hosts/"+id+"/changes?format=csv&sort=subject", nil))
		subject := column(t, recs, "Đối tượng")
		var found bool
		for _, rec := range recs[1:] {
			found = found || strings.Contains(rec[subject], "HYPERLINK")
			for _, cell := range rec {
				if strings.HasPrefix(cell, "=") {
					t.Errorf("changes CSV holds a formula cell %q", cell)
				}
			}
		}
		if len(recs) != n+1 || !found {
			t.Errorf("changes CSV: %d records for %d changes, formula found %v", len(recs), n, found)
		}
		body := string(w.call("officerA", "GET", "/hosts/"+id+"?limit=2", nil).Body)
		for _, want := range []string{"1–2 trên tổng " + itoa(int64(n)), `id="changes-table"`, "sort=subject", "/hosts/" + id + "?format=csv"} {
			if !strings.Contains(body, want) {
				t.Errorf("host page lacks %q", want)
			}
		}
		if rows := readXLSX(t, w.call("officerA", "GET", "/hosts/"+id+"?format=xlsx", nil)); len(rows) != n+1 {
			t.Errorf("changes XLSX from the host page: %d rows, want %d", len(rows), n+1)
		}

		// Tasks: B's host has one from the world; two more.
		idB := itoa(w.hostIDs["B"])
		for range 2 {
			expect(t, w.call("officerB", "POST", "/api/v1/hosts/"+idB+"/scan", map[string]any{"paths": []string{`C:\Users`}}), 201, "scan")
		}
		ids := pageBoth(t, w, "officerB", "/api/v1/hosts/"+idB+"/tasks?limit=1", 3, "id")
		asc := pageBoth(t, w, "officerB", "/api/v1/hosts/"+idB+"/tasks?limit=2&sort=created", 3, "id")
		if ids[0] != asc[2] || ids[2] != asc[0] {
			t.Errorf("tasks newest first %v, oldest first %v", ids, asc)
		}
		if it := w.call("officerB", "GET", "/api/v1/hosts/"+idB+"/tasks?sort=status", nil).items(t); it[0]["status"] != "done" {
			t.Errorf("tasks by status start with %v", it[0]["status"])
		}
		expect(t, w.call("officerA", "GET", "/api/v1/hosts/"+idB+"/tasks?format=csv", nil), 404, "officer A exports B's tasks")
		recs = readCSV(t, w.call("officerB", "GET", "/api/v1/hosts/"+idB+"/tasks?format=csv&sort=status", nil))
		if len(recs) != 4 || recs[1][column(t, recs, "Trạng thái")] != "Đã xong" {
			t.Errorf("tasks CSV: %v", recs)
		}
		if rows := readXLSX(t, w.call("officerB", "GET", "/api/v1/hosts/"+idB+"/tasks?format=xlsx&lang=en", nil)); len(rows) != 4 || rows[0][1] != "Created" {
			t.Errorf("tasks XLSX: %v", rows)
		}
		if body := string(w.call("officerB", "GET", "/hosts/"+idB, nil).Body); !strings.Contains(body, "/api/v1/hosts/"+idB+"/tasks?format=xlsx") {
			t.Errorf("host page has no export of its tasks")
		}
	})
}
