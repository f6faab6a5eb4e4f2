package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vigil/internal/measure"
	"vigil/internal/monthly"
	"vigil/internal/store/storetest"
)

// monthlyProvider answers fixed alert samples: 3 critical in A, 4 high in
// A1, 5 medium in B (a stand-in for the capabilities' providers, which
// are wired when they implement measure.Provider).
type monthlyProvider struct{ ids map[string]int64 }

func (p monthlyProvider) Samples(ctx context.Context, r measure.Request) ([]measure.Sample, error) {
	var out []measure.Sample
	for _, s := range []measure.Sample{
		{Key: measure.KeyAlertsBySeverity, UnitID: p.ids["A"], Dim: "critical", Num: 3},
		{Key: measure.KeyAlertsBySeverity, UnitID: p.ids["A1"], Dim: "high", Num: 4},
		{Key: measure.KeyAlertsBySeverity, UnitID: p.ids["B"], Dim: "medium", Num: 5},
		{Key: measure.KeyAlertsByRule, UnitID: p.ids["B"], Dim: "Quét cổng từ Internet", Num: 5},
	} {
		if r.Wants(s.Key) {
			out = append(out, s)
		}
	}
	return out, nil
}

// lastMonth is the month before this one, as the report's API defaults.
func lastMonth() string { return monthly.PreviousMonth(time.Now()) }

// monthly gives the world's monthly report service a provider with known
// figures (once).
func (w *world) monthlyData(t *testing.T) {
	t.Helper()
	for _, p := range w.hub.Monthly.Providers {
		if _, ok := p.(monthlyProvider); ok {
			return
		}
	}
	ids := map[string]int64{}
	for _, code := range []string{"A", "A1", "B"} {
		var id int64
		if err := w.db.QueryRow(context.Background(), `SELECT id FROM units WHERE code = ?`, code).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[code] = id
	}
	w.hub.Monthly.Providers = append(w.hub.Monthly.Providers, monthlyProvider{ids: ids})
}

var monthlyMonths sync.Map // *world -> *atomic.Int32: months used

// monthlyReports generates a month's organisation report (with A's and
// B's; each call a month further back, so the checks of one world do not
// meet) and returns the ids of the organisation's, A's and B's.
func (w *world) monthlyReports(t *testing.T, publish bool) (org, a, b string) {
	t.Helper()
	w.monthlyData(t)
	v, _ := monthlyMonths.LoadOrStore(w, new(atomic.Int32))
	back := int(v.(*atomic.Int32).Add(1))
	from, _, _ := monthly.ParseMonth(lastMonth())
	month := from.AddDate(0, 1-back, 0).Format("2006-01")
	r := w.call("admin", "POST", "/api/v1/monthly-reports", map[string]string{"month": month})
	expect(t, r, 201, "generate")
	org = fmt.Sprint(r.json(t)["id"])
	if publish {
		expect(t, w.call("admin", "POST", "/api/v1/monthly-reports/"+org+"/review", nil), 200, "review")
		expect(t, w.call("admin", "POST", "/api/v1/monthly-reports/"+org+"/publish", nil), 200, "publish")
	}
	for _, it := range w.call("admin", "GET", "/api/v1/monthly-reports?month="+month, nil).items(t) {
		switch it["unit"] {
		case "A":
			a = fmt.Sprint(it["id"])
		case "B":
			b = fmt.Sprint(it["id"])
		}
	}
	if a == "" || b == "" {
		t.Fatalf("the organisation's report brought no unit reports")
	}
	return org, a, b
}

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/reports/monthly": func(t *testing.T, w *world) {
			w.monthlyData(t)
			r := w.call("officerA", "GET", "/api/v1/reports/monthly?format=json", nil)
			expect(t, r, 200, "officerA's figures")
			m := r.json(t)
			if m["unit"] != "A" || m["alerts_total"] != float64(7) || r.Header.Get("X-Report-Status") != "preview" {
				t.Errorf("officerA's figures: %v", m)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/reports/monthly?unit=B", nil), 404, "officerA asks B's")
			expect(t, w.call("officerA", "GET", "/api/v1/reports/monthly?month=2026-13", nil), 400, "bad month")
			expect(t, w.call("officerA", "GET", "/api/v1/reports/monthly?format=odt", nil), 400, "bad format")
			if m := w.call("analyst", "GET", "/api/v1/reports/monthly?month="+lastMonth(), nil).json(t); m["alerts_total"] != float64(12) {
				t.Errorf("analyst's figures: %v", m)
			}
			r = w.call("viewerA", "GET", "/api/v1/reports/monthly?format=pdf", nil)
			expect(t, r, 200, "viewerA's PDF")
			if !strings.HasPrefix(string(r.Body), "%PDF-") {
				t.Errorf("not a PDF: %.20s", r.Body)
			}
			r = w.call("viewerA", "GET", "/api/v1/reports/monthly?format=docx", nil)
			expect(t, r, 200, "viewerA's DOCX")
			if !strings.HasPrefix(string(r.Body), "PK") {
				t.Errorf("not a DOCX: %.20s", r.Body)
			}
		},
		"GET /api/v1/monthly-reports": func(t *testing.T, w *world) {
			org, a, b := w.monthlyReports(t, false)
			if got := codes(t, w.call("officerA", "GET", "/api/v1/monthly-reports", nil), "id"); !got[a] || got[b] || got[org] {
				t.Errorf("officerA lists %v", got)
			}
			if got := codes(t, w.call("analyst", "GET", "/api/v1/monthly-reports?status=draft", nil), "id"); !got[a] || !got[b] || !got[org] {
				t.Errorf("analyst lists %v", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/monthly-reports?unit=B", nil), 404, "officerA filters on B")
			expect(t, w.call("officerA", "GET", "/api/v1/monthly-reports?status=bogus", nil), 400, "bad status")
			r := w.call("officerA", "GET", "/api/v1/monthly-reports?format=csv", nil)
			expect(t, r, 200, "export")
			if strings.Contains(string(r.Body), "Hà Nội") || !strings.Contains(string(r.Body), "Đắk Lắk") {
				t.Errorf("officerA's export: %s", r.Body)
			}
		},
		"POST /api/v1/monthly-reports": func(t *testing.T, w *world) {
			in := map[string]string{"month": "2025-01"}
			expect(t, w.call("officerA", "POST", "/api/v1/monthly-reports", map[string]string{"month": lastMonth(), "unit": "A"}), 403, "officerA generates")
			expect(t, w.call("analyst", "POST", "/api/v1/monthly-reports", in), 403, "analyst generates")
			expect(t, w.call("admin", "POST", "/api/v1/monthly-reports", map[string]string{"month": "2026/11"}), 400, "bad month")
			expect(t, w.call("admin", "POST", "/api/v1/monthly-reports", in), 201, "admin generates")
		},
		"GET /api/v1/monthly-reports/{id}": func(t *testing.T, w *world) {
			org, a, _ := w.monthlyReports(t, false)
			expect(t, w.call("officerB", "GET", "/api/v1/monthly-reports/"+a, nil), 404, "officerB reads A's")
			expect(t, w.call("officerA", "GET", "/api/v1/monthly-reports/"+org, nil), 404, "officerA reads the organisation's")
			r := w.call("viewerA", "GET", "/api/v1/monthly-reports/"+a, nil)
			expect(t, r, 200, "viewerA reads A's")
			if fig, _ := r.json(t)["figures"].(map[string]any); fig["alerts_total"] != float64(7) {
				t.Errorf("A's figures: %v", fig)
			}
		},
		"GET /api/v1/monthly-reports/{id}/document": func(t *testing.T, w *world) {
			_, a, _ := w.monthlyReports(t, true)
			expect(t, w.call("officerB", "GET", "/api/v1/monthly-reports/"+a+"/document?format=pdf", nil), 404, "officerB")
			r := w.call("viewerA", "GET", "/api/v1/monthly-reports/"+a+"/document?format=pdf", nil)
			expect(t, r, 200, "viewerA's frozen PDF")
			if r.Header.Get("X-Report-Status") != "published" || !strings.HasPrefix(string(r.Body), "%PDF-") {
				t.Errorf("document: %v %.20s", r.Header, r.Body)
			}
		},
		"GET /api/v1/monthly-reports/{id}/acks": func(t *testing.T, w *world) {
			org, a, _ := w.monthlyReports(t, true)
			expect(t, w.call("officerB", "GET", "/api/v1/monthly-reports/"+a+"/acks", nil), 404, "officerB")
			expect(t, w.call("officerA", "POST", "/api/v1/monthly-reports/"+a+"/acknowledge", nil), 200, "officerA acknowledges")
			items := w.call("admin", "GET", "/api/v1/monthly-reports/"+org+"/acks", nil).items(t)
			acked := map[string]bool{}
			for _, it := range items {
				acked[fmt.Sprint(it["unit"])] = it["acked_by"] != nil
			}
			if len(items) != 3 || !acked["A"] || acked["B"] || acked["ITC"] {
				t.Errorf("acks: %v", items)
			}
			if n := len(w.call("viewerA", "GET", "/api/v1/monthly-reports/"+a+"/acks", nil).items(t)); n != 1 {
				t.Errorf("viewerA sees %d", n)
			}
		},
		"POST /api/v1/monthly-reports/{id}/review": func(t *testing.T, w *world) {
			_, a, _ := w.monthlyReports(t, false)
			expect(t, w.call("officerB", "POST", "/api/v1/monthly-reports/"+a+"/review", nil), 404, "officerB")
			expect(t, w.call("officerA", "POST", "/api/v1/monthly-reports/"+a+"/review", nil), 403, "officerA")
			expect(t, w.call("admin", "POST", "/api/v1/monthly-reports/"+a+"/review", nil), 200, "admin")
			expect(t, w.call("admin", "POST", "/api/v1/monthly-reports/"+a+"/review", nil), 409, "twice")
		},
		"POST /api/v1/monthly-reports/{id}/return": func(t *testing.T, w *world) {
			_, a, _ := w.monthlyReports(t, false)
			expect(t, w.call("admin", "POST", "/api/v1/monthly-reports/"+a+"/review", nil), 200, "review")
			note := map[string]string{"note": "Kiểm tra lại"}
			expect(t, w.call("officerB", "POST", "/api/v1/monthly-reports/"+a+"/return", note), 404, "officerB")
			expect(t, w.call("officerA", "POST", "/api/v1/monthly-reports/"+a+"/return", note), 403, "officerA")
			expect(t, w.call("admin", "POST", "/api/v1/monthly-reports/"+a+"/return", map[string]string{}), 400, "no note")
			expect(t, w.call("admin", "POST", "/api/v1/monthly-reports/"+a+"/return", note), 200, "admin")
		},
		"POST /api/v1/monthly-reports/{id}/publish": func(t *testing.T, w *world) {
			_, a, _ := w.monthlyReports(t, false)
			expect(t, w.call("admin", "POST", "/api/v1/monthly-reports/"+a+"/publish", nil), 409, "a draft")
			expect(t, w.call("admin", "POST", "/api/v1/monthly-reports/"+a+"/review", nil), 200, "review")
			expect(t, w.call("officerB", "POST", "/api/v1/monthly-reports/"+a+"/publish", nil), 404, "officerB")
			expect(t, w.call("officerA", "POST", "/api/v1/monthly-reports/"+a+"/publish", nil), 403, "officerA")
			r := w.call("admin", "POST", "/api/v1/monthly-reports/"+a+"/publish", nil)
			expect(t, r, 200, "admin")
			if m := r.json(t); m["status"] != "published" || len(fmt.Sprint(m["pdf_sha256"])) != 64 {
				t.Errorf("published: %v", m)
			}
		},
		"POST /api/v1/monthly-reports/{id}/acknowledge": func(t *testing.T, w *world) {
			_, a, b := w.monthlyReports(t, true)
			expect(t, w.call("officerB", "POST", "/api/v1/monthly-reports/"+a+"/acknowledge", nil), 404, "officerB")
			expect(t, w.call("viewerA", "POST", "/api/v1/monthly-reports/"+a+"/acknowledge", nil), 403, "viewerA")
			expect(t, w.call("officerA", "POST", "/api/v1/monthly-reports/"+a+"/acknowledge", nil), 200, "officerA")
			expect(t, w.call("officerB", "POST", "/api/v1/monthly-reports/"+b+"/acknowledge", nil), 200, "officerB, its own")
		},
	} {
		scopeMatrix[k] = v
	}
}

// TestMonthlyPages renders the list and a report's page in both
// languages and runs its lifecycle through the forms.
func TestMonthlyPages(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	org, a, _ := w.monthlyReports(t, false)
	for _, lang := range []string{"vi", "en"} {
		for _, c := range []struct{ actor, path, want string }{
			{"admin", "/monthly-reports", `id="generate"`},
			{"viewerA", "/monthly-reports", "Bảo hiểm xã hội tỉnh Đắk Lắk"},
			{"admin", "/monthly-reports/" + org, "<svg"},
			{"admin", "/monthly-reports/" + org, "Bảo hiểm xã hội thành phố Hà Nội"},
			{"admin", "/monthly-reports/" + org, `action="/monthly-reports/` + org + `/review"`},
		} {
			status, body := w.getPage(c.actor, lang, c.path)
			if status != 200 || !strings.Contains(body, c.want) {
				t.Errorf("%s %s (%s): status %d, want %q in the page", c.actor, c.path, lang, status, c.want)
			}
			if strings.Contains(body, ">monthly.") || strings.Contains(body, "%!") {
				t.Errorf("%s %s (%s) shows a raw key", c.actor, c.path, lang)
			}
		}
	}
	if status, body := w.getPage("viewerA", "vi", "/monthly-reports"); status != 200 || strings.Contains(body, `id="generate"`) {
		t.Errorf("viewerA is offered to generate")
	}
	if status, _ := w.getPage("officerB", "vi", "/monthly-reports/"+a); status != 404 {
		t.Errorf("officerB opens A's report: %d", status)
	}
	// A bad month comes back with the input kept and the reason beside it.
	status, body := w.postForm("admin", "vi", "/monthly-reports", url.Values{"month": {"11/2026"}})
	if status != 400 || !strings.Contains(body, `value="11/2026"`) || !strings.Contains(fieldMessage(body, "month"), "không phải tháng") {
		t.Errorf("bad month: %d %q", status, fieldMessage(body, "month"))
	}
	if status, _ := w.postForm("admin", "vi", "/monthly-reports/"+org+"/review", url.Values{}); status != 303 {
		t.Fatalf("review: %d", status)
	}
	status, body = w.postForm("admin", "vi", "/monthly-reports/"+org+"/return", url.Values{"note": {""}})
	if status != 400 || fieldMessage(body, "note") == "" {
		t.Errorf("return without a note: %d %q", status, fieldMessage(body, "note"))
	}
	if status, body := w.postForm("admin", "vi", "/monthly-reports/"+org+"/publish", url.Values{}); status != 303 {
		t.Fatalf("publish: %d %s", status, body)
	}
	if _, body := w.getPage("officerA", "vi", "/monthly-reports/"+a); !strings.Contains(body, `action="/monthly-reports/`+a+`/acknowledge"`) {
		t.Errorf("officerA is not offered to acknowledge")
	}
	if status, _ := w.postForm("officerA", "vi", "/monthly-reports/"+a+"/acknowledge", url.Values{}); status != 303 {
		t.Fatalf("acknowledge: %d", status)
	}
	_, body = w.getPage("admin", "vi", "/monthly-reports/"+org)
	if !strings.Contains(body, "Chưa xác nhận") || !strings.Contains(body, "officera@test.vigil") {
		t.Errorf("the IT Center does not see who has acknowledged")
	}
	// The audit log names the reports and says what was done.
	var publish string
	for _, it := range w.call("admin", "GET", "/api/v1/audit?object_type=monthly_report&lang=vi", nil).items(t) {
		if it["action"] == "monthly.publish" {
			publish = fmt.Sprint(it["summary_text"])
		}
	}
	if !strings.Contains(publish, "đã công bố báo cáo kỹ thuật hàng tháng") || !strings.Contains(publish, " — ") {
		t.Errorf("audit sentence: %q", publish)
	}
}

// TestMonthlyPDFSaysTheAPIsFigures extracts the PDF's text (pdftotext)
// and finds in it the units' names with their diacritics and the figures
// the JSON gives.
func TestMonthlyPDFSaysTheAPIsFigures(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	w := newWorld(t, storetest.Open(t, "sqlite"))
	w.monthlyData(t)
	q := "/api/v1/reports/monthly?month=" + lastMonth() + "&unit=BHXHVN&format="
	var fig monthly.Figures
	if err := json.Unmarshal(w.call("admin", "GET", q+"json", nil).Body, &fig); err != nil {
		t.Fatal(err)
	}
	r := w.call("admin", "GET", q+"pdf", nil)
	expect(t, r, 200, "pdf")
	p := filepath.Join(t.TempDir(), "m.pdf")
	if err := os.WriteFile(p, r.Body, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", p, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	want := []string{"Tháng " + lastMonth()[5:] + "/" + lastMonth()[:4], "Tổng số cảnh báo: " + monthly.Num(fig.AlertsTotal)}
	for _, u := range fig.Units {
		if u.AlertsTotal > 0 {
			want = append(want, u.Name)
		}
	}
	for _, c := range fig.TopRules {
		want = append(want, c.Label+" "+monthly.Num(c.Count))
	}
	if fig.AlertsTotal != 12 || len(fig.TopRules) != 1 {
		t.Fatalf("figures: %+v", fig)
	}
	for _, s := range want {
		if !strings.Contains(text, s) {
			t.Errorf("the PDF lacks %q", s)
		}
	}
}
