package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"vigil/internal/findings"
	"vigil/internal/store"
)

// The scope checks of issue 11's new endpoints. The shared world has no
// vulnerability findings (other entries count findings), so these check
// who may do what; TestVulnerabilityAPIAndViews checks the figures on a
// world of its own.
func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/findings/due-days": func(t *testing.T, w *world) {
			for _, who := range []string{"viewerA", "officerB", "analyst", "admin"} {
				r := w.call(who, "GET", "/api/v1/findings/due-days", nil)
				expect(t, r, 200, who+" reads due days")
				if n := len(r.items(t)); n != len(findings.Kinds)*len(findings.Severities) {
					t.Errorf("%s: %d settings", who, n)
				}
			}
		},
		"PUT /api/v1/findings/due-days": func(t *testing.T, w *world) {
			body := map[string]any{"items": []map[string]any{{"kind": "vulnerability", "severity": "low", "days": 60}}}
			expect(t, w.call("officerA", "PUT", "/api/v1/findings/due-days", body), 403, "officer changes due days")
			expect(t, w.call("analyst", "PUT", "/api/v1/findings/due-days", body), 403, "analyst changes due days")
			expect(t, w.call("viewerA", "PUT", "/api/v1/findings/due-days", body), 403, "viewer changes due days")
			bad := map[string]any{"items": []map[string]any{{"kind": "vulnerability", "severity": "low", "days": 0}}}
			expect(t, w.call("admin", "PUT", "/api/v1/findings/due-days", bad), 400, "zero days")
			r := w.call("admin", "PUT", "/api/v1/findings/due-days", body)
			expect(t, r, 200, "admin changes due days")
			for _, it := range r.items(t) {
				if it["kind"] == "vulnerability" && it["severity"] == "low" && it["days"] != float64(60) {
					t.Errorf("after the change: %v", it)
				}
			}
		},
		"GET /api/v1/vulnerabilities/dashboard": func(t *testing.T, w *world) {
			expect(t, w.call("officerA", "GET", "/api/v1/vulnerabilities/dashboard?unit=B", nil), 404, "officerA reads B's dashboard")
			expect(t, w.call("viewerA", "GET", "/api/v1/vulnerabilities/dashboard?unit=BHXHVN", nil), 404, "viewerA reads the root's")
			r := w.call("officerA", "GET", "/api/v1/vulnerabilities/dashboard", nil)
			expect(t, r, 200, "officerA's own")
			if u := r.json(t)["unit"].(map[string]any); u["code"] != "A" {
				t.Errorf("officerA's dashboard is about %v", u)
			}
			r = w.call("analyst", "GET", "/api/v1/vulnerabilities/dashboard", nil)
			if u := r.json(t)["unit"].(map[string]any); u["code"] != "BHXHVN" {
				t.Errorf("the SOC's dashboard is about %v", u)
			}
			expect(t, w.call("viewerA", "GET", "/api/v1/vulnerabilities/dashboard?unit=A1&weeks=4&ms2023=true", nil), 200, "viewerA reads A1's")
			expect(t, w.call("viewerA", "GET", "/api/v1/vulnerabilities/dashboard?weeks=99", nil), 400, "too many weeks")
		},
	} {
		scopeMatrix[k] = v
	}
}

// addVulns files, as the feeders would, vulnerabilities and Microsoft
// missing updates on A's and B's hosts: on A a 2023 critical KB and a
// KEV-listed CVE, on B a 2023 high KB and a 2024 one.
func addVulns(t *testing.T, w *world) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	ms := func(unit, kb, doc, sev string, cves ...string) findings.Observation {
		return findings.Observation{HostID: w.hostIDs[unit], Kind: findings.KindMissingUpdate, Key: "kb:" + kb, Title: "KB" + kb + " Windows Server 2019", Severity: sev,
			Source: "msrc", SeenAt: now.Add(-20 * 24 * time.Hour), CVE: cves[0], CVSS: 9.8,
			Evidence: findings.MissingUpdateEvidence{Update: "KB" + kb, Product: "Windows Server 2019", KB: kb, CVEs: cves, CVSS: 9.8, Document: doc}}
	}
	obs := []findings.Observation{
		ms("A", "5033371", "2023-Dec", "critical", "CVE-2023-35641", "CVE-2023-35628"),
		ms("B", "5029377", "2023-Oct", "high", "CVE-2023-36730", "CVE-2023-36420"),
		ms("B", "5034127", "2024-Jan", "critical", "CVE-2024-20674"),
		{HostID: w.hostIDs["A"], Kind: findings.KindVulnerability, Key: "cve:CVE-2023-44487:443", Title: "HTTP/2 Rapid Reset", Severity: "high", Source: "import scan.nessus",
			SeenAt: now.Add(-3 * 24 * time.Hour), CVE: "CVE-2023-44487", CVSS: 7.5, EPSS: 0.82, KEV: true, KEVDue: time.Date(2023, 10, 31, 0, 0, 0, 0, time.UTC), Port: "443",
			Evidence: findings.VulnerabilityEvidence{CVE: "CVE-2023-44487", CVSS: 7.5, Exploited: true, Port: "443"}},
	}
	err := w.db.InTx(ctx, func(tx *store.Tx) error {
		for _, o := range obs {
			if _, _, err := findings.Record(ctx, tx, o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestVulnerabilityAPIAndViews(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		addVulns(t, w)
		// The fixed interface: ?unit=&cve= with the fields.
		r := w.call("analyst", "GET", "/api/v1/findings?unit=A&cve=CVE-2023-44487", nil)
		expect(t, r, 200, "cve filter")
		items := r.items(t)
		if len(items) != 1 {
			t.Fatalf("cve filter: %s", r.Body)
		}
		for _, k := range []string{"host", "cve", "severity", "cvss", "kev", "epss", "status", "due_at", "source", "priority", "kev_due"} {
			if _, ok := items[0][k]; !ok {
				t.Errorf("item has no %s: %v", k, items[0])
			}
		}
		it := items[0]
		if it["host"] == "" || it["cve"] != "CVE-2023-44487" || it["cvss"] != 7.5 || it["kev"] != true || it["epss"] != 0.82 || it["source"] != "import scan.nessus" ||
			!strings.HasPrefix(it["kev_due"].(string), "2023-10-31") || it["priority"].(float64) < 50 {
			t.Errorf("item %v", it)
		}
		// A missing update answers for each CVE it fixes.
		if n := len(w.call("analyst", "GET", "/api/v1/findings?cve=cve-2023-35628", nil).items(t)); n != 1 {
			t.Errorf("cve of a missing update: %d", n)
		}
		expect(t, w.call("analyst", "GET", "/api/v1/findings?cve=2023-1", nil), 400, "bad cve")
		expect(t, w.call("officerA", "GET", "/api/v1/findings?unit=B&cve=CVE-2023-36730", nil), 404, "officerA asks B")
		if n := len(w.call("officerA", "GET", "/api/v1/findings?cve=CVE-2023-36730", nil).items(t)); n != 0 {
			t.Errorf("officerA sees B's CVE")
		}
		if n := len(w.call("analyst", "GET", "/api/v1/findings?kev=true", nil).items(t)); n != 1 {
			t.Errorf("kev filter: %d", n)
		}
		ms := w.call("analyst", "GET", "/api/v1/findings?ms2023=true", nil).items(t)
		if len(ms) != 2 {
			t.Errorf("ms2023 filter: %d, want A's December KB and B's SQL Server KB", len(ms))
		}
		if n := len(w.call("analyst", "GET", "/api/v1/findings?kb=KB5033371", nil).items(t)); n != 1 {
			t.Errorf("kb filter: %d", n)
		}
		// Sorted by priority on request.
		all := w.call("analyst", "GET", "/api/v1/findings?kind=vulnerability,missing_update&sort=priority&order=desc", nil).items(t)
		for i := 1; i < len(all); i++ {
			if all[i-1]["priority"].(float64) < all[i]["priority"].(float64) {
				t.Errorf("not by priority: %v then %v", all[i-1]["priority"], all[i]["priority"])
			}
		}
		// The dashboard's figures.
		d := w.call("analyst", "GET", "/api/v1/vulnerabilities/dashboard", nil).json(t)
		total := d["total"].(map[string]any)
		if total["open"] != float64(4) || total["kev"] != float64(1) || total["hosts"] != float64(2) {
			t.Errorf("dashboard total %v", total)
		}
		d = w.call("officerA", "GET", "/api/v1/vulnerabilities/dashboard?ms2023=true", nil).json(t)
		if d["total"].(map[string]any)["open"] != float64(1) {
			t.Errorf("officerA's MS 2023 total %v", d["total"])
		}

		// Accepting a risk through the queue's bulk change needs an approver
		// and an end.
		id := int64(all[0]["id"].(float64))
		unit := all[0]["unit"].(string)
		officer := map[string]string{"A": "officerA", "B": "officerB"}[unit]
		body := map[string]any{"ids": []int64{id}, "status": "accepted_risk", "note": "Dịch vụ chỉ mở trong mạng nội bộ"}
		expect(t, w.call(officer, "POST", "/api/v1/findings/bulk", body), 400, "no approver")
		body["approver"] = strings.ToLower(officer) + "@test.vigil"
		body["expires"] = time.Now().AddDate(0, 1, 0).Format("2006-01-02")
		expect(t, w.call(officer, "POST", "/api/v1/findings/bulk", body), 200, "with approver and end")

		// The pages, in both languages, with their exports.
		for _, lang := range []string{"vi", "en"} {
			st, page := w.getPage("analyst", lang, "/vulnerabilities")
			if st != 200 || !strings.Contains(page, `id="vuln-units-table"`) || !strings.Contains(page, "Bảo hiểm xã hội tỉnh Đắk Lắk") {
				t.Fatalf("%s dashboard: %d %.300s", lang, st, page)
			}
			if p := languageProblems(lang, readerText(page)); len(p) > 0 {
				t.Errorf("%s dashboard: %v", lang, p)
			}
			st, page = w.getPage("analyst", lang, "/vulnerabilities/ms2023")
			if st != 200 || !strings.Contains(page, "KB5033371") || !strings.Contains(page, "KB5029377") || strings.Contains(page, "KB5034127") {
				t.Fatalf("%s MS 2023: %d %.300s", lang, st, page)
			}
			if p := languageProblems(lang, readerText(page)); len(p) > 0 {
				t.Errorf("%s MS 2023: %v", lang, p)
			}
		}
		st, page := w.getPage("officerA", "vi", "/vulnerabilities/ms2023")
		if st != 200 || !strings.Contains(page, "KB5033371") || strings.Contains(page, "KB5029377") {
			t.Errorf("officerA's MS 2023 view shows B's hosts or not A's: %d", st)
		}
		if st, _ := w.getPage("officerA", "vi", "/vulnerabilities/ms2023?unit=B"); st != 404 {
			t.Errorf("officerA's MS 2023 view of B: %d", st)
		}
		if st, _ := w.getPage("officerA", "vi", "/vulnerabilities?unit=B"); st != 404 {
			t.Errorf("officerA's dashboard of B: %d", st)
		}
		st, csvBody := w.getPage("analyst", "vi", "/vulnerabilities/ms2023?format=csv")
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvBody, "\ufeff"))).ReadAll()
		if st != 200 || err != nil || len(recs) != 3 {
			t.Fatalf("MS 2023 CSV: %d %v %d rows: %.300s", st, err, len(recs), csvBody)
		}
		if !strings.Contains(strings.Join(recs[0], ","), "Bản cập nhật (KB)") {
			t.Errorf("CSV header %v", recs[0])
		}
		st, x := w.getPage("analyst", "en", "/vulnerabilities/ms2023?format=xlsx&sort=host")
		f, err := excelize.OpenReader(bytes.NewReader([]byte(x)))
		if st != 200 || err != nil {
			t.Fatalf("MS 2023 XLSX: %d %v", st, err)
		}
		rows, _ := f.GetRows(f.GetSheetList()[0])
		if len(rows) != 3 || rows[0][3] != "KB" {
			t.Errorf("XLSX rows %v", rows)
		}
		st, csvBody = w.getPage("analyst", "en", "/vulnerabilities?format=csv&sort=open&order=desc")
		recs, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(csvBody, "\ufeff"))).ReadAll()
		if st != 200 || err != nil || len(recs) < 3 {
			t.Fatalf("dashboard CSV: %d %v %.300s", st, err, csvBody)
		}
		// Paging the roll-up both ways.
		st, page = w.getPage("analyst", "en", "/vulnerabilities?limit=1&offset=1&sort=unit")
		if st != 200 || !strings.Contains(page, `rel="prev"`) || !strings.Contains(page, `rel="next"`) {
			t.Errorf("roll-up pages: %d", st)
		}

		// Due days: the page shows them; only an administrator saves, and
		// a bad number comes back beside its field.
		st, page = w.getPage("officerA", "vi", "/vulnerabilities/due-days")
		if st != 200 || strings.Contains(page, `name="vulnerability/critical"`) {
			t.Errorf("officer sees an editable due-days form: %d", st)
		}
		form := url.Values{"vulnerability/critical": {"0"}, "vulnerability/high": {"10"}}
		st, page = w.postForm("admin", "vi", "/vulnerabilities/due-days", form)
		if st != 400 || fieldMessage(page, "vulnerability/critical") == "" || !strings.Contains(page, `value="10"`) {
			t.Errorf("bad days: %d, message %q", st, fieldMessage(page, "vulnerability/critical"))
		}
		form.Set("vulnerability/critical", "5")
		if st, _ := w.postForm("admin", "vi", "/vulnerabilities/due-days", form); st != 303 {
			t.Errorf("saving due days: %d", st)
		}
		for _, s := range w.call("admin", "GET", "/api/v1/findings/due-days", nil).items(t) {
			if s["kind"] == "vulnerability" && s["severity"] == "critical" && s["days"] != float64(5) {
				t.Errorf("saved: %v", s)
			}
		}
		// The unit's page has its vulnerabilities.
		if st, page := w.getPage("officerA", "vi", "/units/A"); st != 200 || !strings.Contains(page, "Máy còn thiếu bản vá Microsoft 2023") {
			t.Errorf("unit page section: %d", st)
		}
		// The dashboard's card 3 with its totals and the Microsoft 2023 link.
		st, page = w.getPage("analyst", "vi", "/")
		if st != 200 || !strings.Contains(page, `href="/vulnerabilities/ms2023?unit=BHXHVN"`) || !strings.Contains(page, "Máy còn thiếu bản vá Microsoft 2023") {
			t.Errorf("card 3: %d", st)
		}
	})
}
