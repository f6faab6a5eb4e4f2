package web_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/natreport"
	"vigil/internal/outbox"
	"vigil/internal/store"
)

// reportCases is the world's case source for the report routes while
// internal/incident is not wired: cases held in memory, scoped on their
// unit's path as the real one is.
type reportCases struct {
	mu    sync.Mutex
	db    *store.DB
	cases map[int64]*natreport.Case
	paths map[int64]string
}

func (c *reportCases) ReportCase(ctx context.Context, id int64) (*natreport.Case, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	x := c.cases[id]
	if x == nil || !auth.FromContext(ctx).CanRead(c.paths[x.UnitID]) {
		return nil, errs.NotFound("incident")
	}
	cp := *x
	return &cp, nil
}

func (c *reportCases) ReportCases(ctx context.Context, unitCode string, from, to time.Time) ([]*natreport.Case, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var root string
	if unitCode != "" {
		c.db.QueryRow(ctx, `SELECT path FROM units WHERE code = ?`, unitCode).Scan(&root)
	}
	var out []*natreport.Case
	for _, x := range c.cases {
		p := c.paths[x.UnitID]
		if auth.FromContext(ctx).CanRead(p) && strings.HasPrefix(p, root) && !x.DetectedAt.Before(from) && x.DetectedAt.Before(to) {
			out = append(out, x)
		}
	}
	return out, nil
}

// reportOutbox takes what is sent while internal/outbox is not wired.
type reportOutbox struct {
	mu   sync.Mutex
	msgs []outbox.Message
}

func (o *reportOutbox) Enqueue(ctx context.Context, tx *store.Tx, m outbox.Message) ([]int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return []int64{int64(len(o.msgs))}, nil
}

var reportWorlds sync.Map // *world -> *reportCases

// reportCase opens a case of unit (through the incidents API when the hub
// has it, else in the world's own case source) and returns its id.
func (w *world) reportCase(t *testing.T, unit string) string {
	t.Helper()
	if slices.Contains(w.hub.Server.APIRoutes(), "POST /api/v1/incidents") && w.hub.Reports.Cases != nil {
		r := w.call("admin", "POST", "/api/v1/incidents", map[string]any{"title": "Mã độc mã hoá dữ liệu " + unit, "category": "ransomware", "severity": "high", "units": []string{unit}})
		expect(t, r, 201, "open a case")
		return fmt.Sprint(r.json(t)["id"])
	}
	v, _ := reportWorlds.LoadOrStore(w, &reportCases{db: w.db, cases: map[int64]*natreport.Case{}, paths: map[int64]string{}})
	src := v.(*reportCases)
	if w.hub.Reports.Cases == nil {
		w.hub.Reports.Cases = src
	}
	if w.hub.Reports.Outbox == nil {
		w.hub.Reports.Outbox = &reportOutbox{}
	}
	var id int64
	var path, name string
	if err := w.db.QueryRow(context.Background(), `SELECT id, path, name FROM units WHERE code = ?`, unit).Scan(&id, &path, &name); err != nil {
		t.Fatal(err)
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	n := int64(len(src.cases) + 1)
	src.paths[id] = path
	src.cases[n] = &natreport.Case{ID: n, Number: fmt.Sprintf("SC-2026-%04d", n), Title: "Mã độc mã hoá dữ liệu " + unit, Category: "ransomware", Severity: "high",
		Status: "containment", UnitID: id, UnitCode: unit, UnitName: name, DetectedAt: time.Now().Add(-time.Hour), OpenedAt: time.Now().Add(-time.Hour)}
	return fmt.Sprint(n)
}

// completeReport is every mandatory field a filled draft may lack.
var completeReport = map[string]any{"fields": map[string]string{"org_address": "Số 1 Lê Duẩn", "org_phone": "0262 3855 555", "org_email": "vanthu@test.vigil",
	"contact_name": "Đầu mối A", "contact_phone": "0900 000 001", "contact_email": "contact.a@test.vigil", "description": "Mã độc mã hoá dữ liệu",
	"detection": "monitoring", "notified": "owner,vncert", "incident_status": "handling"}}

// approvedReport drafts, completes, submits and approves a case's initial report.
func (w *world) approvedReport(t *testing.T, unit string) (caseID, reportID string) {
	t.Helper()
	caseID = w.reportCase(t, unit)
	r := w.call("officer"+unit, "POST", "/api/v1/incidents/"+caseID+"/reports", map[string]string{"form": "initial"})
	expect(t, r, 201, "draft")
	reportID = fmt.Sprint(r.json(t)["id"])
	expect(t, w.call("officer"+unit, "PATCH", "/api/v1/reports/"+reportID, completeReport), 200, "complete")
	expect(t, w.call("officer"+unit, "POST", "/api/v1/reports/"+reportID+"/submit", nil), 200, "submit")
	expect(t, w.call("officer"+unit, "POST", "/api/v1/reports/"+reportID+"/approve", nil), 200, "approve")
	return caseID, reportID
}

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/incidents/{id}/report": func(t *testing.T, w *world) {
			c := w.reportCase(t, "A")
			expect(t, w.call("officerB", "GET", "/api/v1/incidents/"+c+"/report?form=initial&format=pdf", nil), 404, "officerB reads A's case report")
			r := w.call("viewerA", "GET", "/api/v1/incidents/"+c+"/report?form=initial&format=pdf", nil)
			expect(t, r, 200, "viewerA previews the PDF")
			if !strings.HasPrefix(string(r.Body), "%PDF-") || r.Header.Get("X-Report-Status") != "draft" {
				t.Errorf("preview: %.40s %v", r.Body, r.Header)
			}
			expect(t, w.call("viewerA", "GET", "/api/v1/incidents/"+c+"/report?form=bogus", nil), 400, "bad form")
			expect(t, w.call("viewerA", "GET", "/api/v1/incidents/"+c+"/report?form=final&format=odt", nil), 400, "bad format")
			r = w.call("analyst", "GET", "/api/v1/incidents/"+c+"/report?form=initial&format=docx", nil)
			expect(t, r, 200, "analyst DOCX")
			if !strings.HasPrefix(string(r.Body), "PK") {
				t.Errorf("docx is not a zip")
			}
		},
		"GET /api/v1/incidents/{id}/reports": func(t *testing.T, w *world) {
			c, id := w.approvedReport(t, "A")
			expect(t, w.call("officerB", "GET", "/api/v1/incidents/"+c+"/reports", nil), 404, "officerB lists A's")
			if got := codes(t, w.call("viewerA", "GET", "/api/v1/incidents/"+c+"/reports", nil), "id"); !got[id] {
				t.Errorf("viewerA lists %v", got)
			}
		},
		"POST /api/v1/incidents/{id}/reports": func(t *testing.T, w *world) {
			c := w.reportCase(t, "A")
			expect(t, w.call("officerB", "POST", "/api/v1/incidents/"+c+"/reports", map[string]string{"form": "initial"}), 404, "officerB drafts A's")
			expect(t, w.call("viewerA", "POST", "/api/v1/incidents/"+c+"/reports", map[string]string{"form": "initial"}), 403, "viewerA drafts")
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+c+"/reports", map[string]string{"form": "summary"}), 400, "summary for a case")
			r := w.call("analyst", "POST", "/api/v1/incidents/"+c+"/reports", map[string]string{"form": "initial"})
			expect(t, r, 201, "analyst drafts")
			if m := r.json(t); m["status"] != "draft" || len(m["problems"].([]any)) == 0 {
				t.Errorf("draft: %v", m)
			}
			expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+c+"/reports", map[string]string{"form": "initial"}), 409, "twice")
		},
		"GET /api/v1/reports": func(t *testing.T, w *world) {
			_, a := w.approvedReport(t, "A")
			_, b := w.approvedReport(t, "B")
			if got := codes(t, w.call("officerA", "GET", "/api/v1/reports", nil), "id"); !got[a] || got[b] {
				t.Errorf("officerA lists %v", got)
			}
			if got := codes(t, w.call("analyst", "GET", "/api/v1/reports?status=approved", nil), "id"); !got[a] || !got[b] {
				t.Errorf("analyst lists %v", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/reports?unit=B", nil), 404, "officerA filters on B")
			expect(t, w.call("officerA", "GET", "/api/v1/reports?status=bogus", nil), 400, "bad status")
			r := w.call("officerA", "GET", "/api/v1/reports?format=csv", nil)
			expect(t, r, 200, "export")
			if strings.Contains(string(r.Body), "BC-B") {
				t.Errorf("officerA's export holds B's report: %s", r.Body)
			}
		},
		"GET /api/v1/reports/summary": func(t *testing.T, w *world) {
			w.reportCase(t, "A")
			w.reportCase(t, "B")
			month := time.Now().Format("2006-01")
			r := w.call("officerA", "GET", "/api/v1/reports/summary?from="+month+"&to="+month+"&format=json", nil)
			expect(t, r, 200, "officerA's summary")
			table, _ := r.json(t)["table"].(map[string]any)
			data, _ := table["data"].([]any)
			total := func(r response) float64 {
				table, _ := r.json(t)["table"].(map[string]any)
				data, _ := table["data"].([]any)
				if len(data) != 11 {
					t.Fatalf("summary rows: %v", table)
				}
				n, _ := data[10].(map[string]any)["count"].(float64)
				return n
			}
			mine, all := total(r), total(w.call("admin", "GET", "/api/v1/reports/summary?from="+month+"&to="+month+"&unit=BHXHVN&format=json", nil))
			if len(data) != 11 || mine < 1 || all <= mine {
				t.Errorf("officerA's summary counts %v of the whole organisation's %v", mine, all)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/reports/summary?from="+month+"&unit=B", nil), 404, "officerA summarises B")
			expect(t, w.call("officerA", "GET", "/api/v1/reports/summary?from=2026-13", nil), 400, "bad month")
			r = w.call("admin", "GET", "/api/v1/reports/summary?from="+month+"&format=pdf", nil)
			expect(t, r, 200, "admin's PDF")
		},
		"POST /api/v1/reports/summary": func(t *testing.T, w *world) {
			w.reportCase(t, "A")
			in := map[string]string{"from": "2026-07", "to": "2026-12"}
			expect(t, w.call("viewerA", "POST", "/api/v1/reports/summary", in), 403, "viewerA drafts")
			expect(t, w.call("officerB", "POST", "/api/v1/reports/summary", map[string]string{"unit": "A", "from": "2026-07", "to": "2026-12"}), 404, "officerB drafts for A")
			expect(t, w.call("officerA", "POST", "/api/v1/reports/summary", in), 201, "officerA drafts")
			expect(t, w.call("officerA", "POST", "/api/v1/reports/summary", in), 409, "twice")
		},
		"GET /api/v1/reports/{id}": func(t *testing.T, w *world) {
			_, id := w.approvedReport(t, "A")
			expect(t, w.call("officerB", "GET", "/api/v1/reports/"+id, nil), 404, "officerB reads A's")
			r := w.call("viewerA", "GET", "/api/v1/reports/"+id, nil)
			expect(t, r, 200, "viewerA reads")
			if m := r.json(t); m["status"] != "approved" || !strings.HasSuffix(fmt.Sprint(m["number"]), "/BC-A") {
				t.Errorf("report: %v", m)
			}
			expect(t, w.call("viewerA", "GET", "/api/v1/reports/"+id+"?version=9", nil), 404, "no such version")
		},
		"PATCH /api/v1/reports/{id}": func(t *testing.T, w *world) {
			_, id := w.approvedReport(t, "A")
			edit := map[string]any{"fields": map[string]string{"support_request": "Đề nghị hỗ trợ"}}
			expect(t, w.call("officerB", "PATCH", "/api/v1/reports/"+id, edit), 404, "officerB edits")
			expect(t, w.call("viewerA", "PATCH", "/api/v1/reports/"+id, edit), 403, "viewerA edits")
			expect(t, w.call("officerA", "PATCH", "/api/v1/reports/"+id, map[string]any{"fields": map[string]string{"bogus": "x"}}), 400, "unknown field")
			r := w.call("officerA", "PATCH", "/api/v1/reports/"+id, edit)
			expect(t, r, 200, "officerA edits an approved report")
			if m := r.json(t); m["version"] != float64(2) || m["status"] != "draft" {
				t.Errorf("new version: %v", m)
			}
		},
		"GET /api/v1/reports/{id}/versions": func(t *testing.T, w *world) {
			_, id := w.approvedReport(t, "A")
			expect(t, w.call("officerB", "GET", "/api/v1/reports/"+id+"/versions", nil), 404, "officerB")
			if n := len(w.call("viewerA", "GET", "/api/v1/reports/"+id+"/versions", nil).items(t)); n != 1 {
				t.Errorf("versions: %d", n)
			}
		},
		"GET /api/v1/reports/{id}/document": func(t *testing.T, w *world) {
			_, id := w.approvedReport(t, "A")
			expect(t, w.call("officerB", "GET", "/api/v1/reports/"+id+"/document?format=pdf", nil), 404, "officerB")
			r := w.call("viewerA", "GET", "/api/v1/reports/"+id+"/document?format=text", nil)
			expect(t, r, 200, "viewerA's text")
			number := fmt.Sprint(w.call("viewerA", "GET", "/api/v1/reports/"+id, nil).json(t)["number"])
			if !strings.Contains(string(r.Body), "BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG") || !strings.Contains(string(r.Body), "Số: "+number) {
				t.Errorf("text: %s", r.Body)
			}
		},
		"POST /api/v1/reports/{id}/refill": func(t *testing.T, w *world) {
			c := w.reportCase(t, "A")
			r := w.call("officerA", "POST", "/api/v1/incidents/"+c+"/reports", map[string]string{"form": "initial"})
			id := fmt.Sprint(r.json(t)["id"])
			expect(t, w.call("officerB", "POST", "/api/v1/reports/"+id+"/refill", nil), 404, "officerB")
			expect(t, w.call("viewerA", "POST", "/api/v1/reports/"+id+"/refill", nil), 403, "viewerA")
			expect(t, w.call("officerA", "POST", "/api/v1/reports/"+id+"/refill", nil), 200, "officerA")
		},
		"POST /api/v1/reports/{id}/submit": func(t *testing.T, w *world) {
			c := w.reportCase(t, "A")
			r := w.call("officerA", "POST", "/api/v1/incidents/"+c+"/reports", map[string]string{"form": "initial"})
			id := fmt.Sprint(r.json(t)["id"])
			expect(t, w.call("officerB", "POST", "/api/v1/reports/"+id+"/submit", nil), 404, "officerB")
			r = w.call("officerA", "POST", "/api/v1/reports/"+id+"/submit", nil)
			expect(t, r, 400, "incomplete")
			if !strings.Contains(string(r.Body), `"field"`) {
				t.Errorf("refusal names no field: %s", r.Body)
			}
			expect(t, w.call("officerA", "PATCH", "/api/v1/reports/"+id, completeReport), 200, "complete")
			expect(t, w.call("viewerA", "POST", "/api/v1/reports/"+id+"/submit", nil), 403, "viewerA")
			expect(t, w.call("analyst", "POST", "/api/v1/reports/"+id+"/submit", nil), 200, "analyst submits")
		},
		"POST /api/v1/reports/{id}/return": func(t *testing.T, w *world) {
			c := w.reportCase(t, "A")
			id := fmt.Sprint(w.call("officerA", "POST", "/api/v1/incidents/"+c+"/reports", map[string]string{"form": "initial"}).json(t)["id"])
			w.call("officerA", "PATCH", "/api/v1/reports/"+id, completeReport)
			expect(t, w.call("officerA", "POST", "/api/v1/reports/"+id+"/submit", nil), 200, "submit")
			note := map[string]string{"note": "Bổ sung địa chỉ IP công khai"}
			expect(t, w.call("officerB", "POST", "/api/v1/reports/"+id+"/return", note), 404, "officerB")
			expect(t, w.call("analyst", "POST", "/api/v1/reports/"+id+"/return", note), 403, "analyst")
			expect(t, w.call("officerA", "POST", "/api/v1/reports/"+id+"/return", map[string]string{}), 400, "no note")
			expect(t, w.call("officerA", "POST", "/api/v1/reports/"+id+"/return", note), 200, "officerA")
		},
		"POST /api/v1/reports/{id}/approve": func(t *testing.T, w *world) {
			c := w.reportCase(t, "A")
			id := fmt.Sprint(w.call("officerA", "POST", "/api/v1/incidents/"+c+"/reports", map[string]string{"form": "initial"}).json(t)["id"])
			w.call("officerA", "PATCH", "/api/v1/reports/"+id, completeReport)
			expect(t, w.call("officerA", "POST", "/api/v1/reports/"+id+"/approve", nil), 409, "approve a draft")
			expect(t, w.call("officerA", "POST", "/api/v1/reports/"+id+"/submit", nil), 200, "submit")
			expect(t, w.call("officerB", "POST", "/api/v1/reports/"+id+"/approve", nil), 404, "officerB")
			expect(t, w.call("analyst", "POST", "/api/v1/reports/"+id+"/approve", nil), 403, "analyst")
			r := w.call("admin", "POST", "/api/v1/reports/"+id+"/approve", nil)
			expect(t, r, 200, "admin approves")
			if m := r.json(t); m["number"] == "" || m["approved_by"] != "admin@test.vigil" {
				t.Errorf("approved: %v", m)
			}
		},
		"POST /api/v1/reports/{id}/send": func(t *testing.T, w *world) {
			_, id := w.approvedReport(t, "A")
			to := map[string]any{"to": []string{"ir@test.vigil"}}
			expect(t, w.call("officerB", "POST", "/api/v1/reports/"+id+"/send", to), 404, "officerB")
			expect(t, w.call("analyst", "POST", "/api/v1/reports/"+id+"/send", to), 403, "analyst")
			r := w.call("officerA", "POST", "/api/v1/reports/"+id+"/send", to)
			expect(t, r, 200, "officerA sends")
			if m := r.json(t); m["sent_at"] == nil {
				t.Errorf("sent: %v", m)
			}
			expect(t, w.call("officerA", "POST", "/api/v1/reports/"+id+"/send", to), 409, "twice")
		},
		"GET /api/v1/reporting/profile": func(t *testing.T, w *world) {
			r := w.call("viewerA", "GET", "/api/v1/reporting/profile", nil)
			expect(t, r, 200, "viewerA reads A's")
			if m := r.json(t); m["unit"] != "A" || m["contact_name"] == "" {
				t.Errorf("profile: %v", m)
			}
			expect(t, w.call("officerB", "GET", "/api/v1/reporting/profile?unit=A", nil), 404, "officerB reads A's")
		},
		"PUT /api/v1/reporting/profile": func(t *testing.T, w *world) {
			in := map[string]any{"org_name": "BHXH tỉnh Đắk Lắk", "address": "Buôn Ma Thuột", "number_prefix": "BC-DL"}
			expect(t, w.call("officerB", "PUT", "/api/v1/reporting/profile?unit=A", in), 404, "officerB")
			expect(t, w.call("viewerA", "PUT", "/api/v1/reporting/profile", in), 403, "viewerA")
			expect(t, w.call("officerA", "PUT", "/api/v1/reporting/profile", map[string]any{"email": "x"}), 400, "bad e-mail")
			expect(t, w.call("officerA", "PUT", "/api/v1/reporting/profile?unit=A1", in), 200, "officerA for A1")
		},
		"GET /api/v1/reporting/options/{kind}": func(t *testing.T, w *world) {
			if got := codes(t, w.call("viewerA", "GET", "/api/v1/reporting/options/detection", nil), "code"); !got["monitoring"] {
				t.Errorf("options: %v", got)
			}
			expect(t, w.call("viewerA", "GET", "/api/v1/reporting/options/bogus", nil), 400, "bad kind")
		},
		"PUT /api/v1/reporting/options/{kind}": func(t *testing.T, w *world) {
			in := map[string]any{"options": []map[string]any{{"code": "vncert", "label_vi": "VNCERT/CC"}, {"code": "a05", "label_vi": "Cục A05 — Bộ Công an"}}}
			expect(t, w.call("officerA", "PUT", "/api/v1/reporting/options/recipient", in), 403, "officerA")
			expect(t, w.call("analyst", "PUT", "/api/v1/reporting/options/recipient", in), 403, "analyst")
			expect(t, w.call("admin", "PUT", "/api/v1/reporting/options/recipient", map[string]any{"options": []any{}}), 400, "empty")
			expect(t, w.call("admin", "PUT", "/api/v1/reporting/options/recipient", in), 200, "admin")
		},
		"GET /api/v1/reporting/templates/{form}": func(t *testing.T, w *world) {
			expect(t, w.call("viewerA", "GET", "/api/v1/reporting/templates/initial", nil), 200, "viewerA")
			r := w.call("viewerA", "GET", "/api/v1/reporting/templates/summary?format=text", nil)
			if !strings.Contains(string(r.Body), "row.total = Tổng cộng") {
				t.Errorf("text: %s", r.Body)
			}
			expect(t, w.call("viewerA", "GET", "/api/v1/reporting/templates/bogus", nil), 400, "bad form")
		},
		"PUT /api/v1/reporting/templates/{form}": func(t *testing.T, w *world) {
			in := map[string]any{"words": map[string]string{"to": "Kính gửi: Trung tâm Giám sát an toàn không gian mạng quốc gia"}}
			expect(t, w.call("officerA", "PUT", "/api/v1/reporting/templates/initial", in), 403, "officerA")
			expect(t, w.call("admin", "PUT", "/api/v1/reporting/templates/initial", in), 200, "admin JSON")
			r := w.call("admin", "PUT", "/api/v1/reporting/templates/initial", "title = BÁO CÁO\nbogus = x\n")
			expect(t, r, 400, "admin text with a bad key")
			if !strings.Contains(string(r.Body), "ine 2") && !strings.Contains(string(r.Body), "òng 2") {
				t.Errorf("refusal names no line: %s", r.Body)
			}
		},
	} {
		scopeMatrix[k] = v
	}
}
