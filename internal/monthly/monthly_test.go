package monthly_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/incident"
	"vigil/internal/intel"
	"vigil/internal/measure"
	"vigil/internal/monthly"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// fixedProvider is a measure.Provider answering fixed samples per unit
// code, and recording the requests it got (the real providers are the
// capabilities' services; this one stands in for them with known data).
type fixedProvider struct {
	mu      sync.Mutex
	samples []measure.Sample
	reqs    []measure.Request
}

func (p *fixedProvider) Samples(ctx context.Context, r measure.Request) ([]measure.Sample, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqs = append(p.reqs, r)
	var out []measure.Sample
	for _, s := range p.samples {
		if r.Wants(s.Key) {
			out = append(out, s)
		}
	}
	return out, nil
}

// fakeIncidents answers a summary per unit code.
type fakeIncidents struct{ sum map[string]*incident.Summary }

func (f *fakeIncidents) MonthlySummary(ctx context.Context, unitCode, month string) (*incident.Summary, error) {
	if _, _, err := incident.MonthRange(month); err != nil {
		return nil, err
	}
	if s := f.sum[unitCode]; s != nil {
		return s, nil
	}
	return &incident.Summary{}, nil
}

type fixture struct {
	svc   *monthly.Service
	prov  *fixedProvider
	lists *intel.Service
	units map[string]*org.Unit
	now   time.Time
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	f := &fixture{units: map[string]*org.Unit{}, now: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)}
	root, err := o.EnsureRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.units[root.Code] = root
	for _, u := range []org.UnitInput{
		{Code: "A", Name: "Sở Y tế tỉnh Đắk Lắk", Kind: org.KindProvince, Parent: org.RootCode},
		{Code: "A1", Name: "Bệnh viện Đa khoa Buôn Ma Thuột", Kind: org.KindProvince, Parent: "A"},
		{Code: "B", Name: "Sở Tài chính thành phố Hà Nội", Kind: org.KindProvince, Parent: org.RootCode},
	} {
		x, err := o.CreateUnit(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		f.units[u.Code] = x
	}
	id := func(c string) int64 { return f.units[c].ID }
	f.prov = &fixedProvider{samples: []measure.Sample{
		{Key: measure.KeyAlertsBySeverity, UnitID: id("A"), Dim: "critical", Num: 2},
		{Key: measure.KeyAlertsBySeverity, UnitID: id("A1"), Dim: "high", Num: 5},
		{Key: measure.KeyAlertsBySeverity, UnitID: id("B"), Dim: "medium", Num: 1200},
		{Key: measure.KeyAlertsBySeverity, UnitID: id(org.RootCode), Dim: "low", Num: 1},
		{Key: measure.KeyAlertsByRule, UnitID: id("A"), Dim: "Mimikatz trên máy chủ", Num: 2},
		{Key: measure.KeyAlertsByRule, UnitID: id("A1"), Dim: "Đăng nhập thất bại nhiều lần", Num: 5},
		{Key: measure.KeyAlertsByRule, UnitID: id("B"), Dim: "Đăng nhập thất bại nhiều lần", Num: 1200},
		{Key: measure.KeyAlertsAckedInTime, UnitID: id("A"), Num: 1, Den: 2},
		{Key: measure.KeyAlertsAckedInTime, UnitID: id("B"), Num: 1000, Den: 1200},
		{Key: measure.KeyFindingsOpened, UnitID: id("A1"), Dim: "malware", Num: 3},
		{Key: measure.KeyFindingsOpened, UnitID: id("B"), Dim: "vulnerability", Num: 40},
		{Key: measure.KeyFindingsClosed, UnitID: id("A"), Dim: "malware", Num: 1},
		{Key: measure.KeyFindingsClosed, UnitID: id("B"), Dim: "vulnerability", Num: 25},
		{Key: measure.KeyFindingsOverdue, UnitID: id("B"), Num: 7},
		{Key: measure.KeyMSPatchState, UnitID: id("A"), Dim: "open/critical", Num: 4},
		{Key: measure.KeyMSPatchState, UnitID: id("B"), Dim: "closed/high", Num: 9},
		{Key: measure.KeyMSPatchState, UnitID: id("B"), Dim: "accepted/high", Num: 1},
		{Key: measure.KeyFindingsMS2023Open, UnitID: id("A"), Num: 3},
		{Key: measure.KeyTrainingCompleted, UnitID: id("A"), Num: 30, Den: 40},
		{Key: measure.KeyTrainingCompleted, UnitID: id("A1"), Num: 5, Den: 10},
		{Key: measure.KeyTrainingPassed, UnitID: id("A"), Num: 28, Den: 40},
		{Key: measure.KeyTrainingPassed, UnitID: id("A1"), Num: 5, Den: 10},
		// A key the report does not read is not asked for.
		{Key: measure.KeyHostsTotal, UnitID: id("A"), Num: 100},
	}}
	inc := &fakeIncidents{sum: map[string]*incident.Summary{
		org.RootCode: {Total: 3, Open: 1, Closed: 2, Contained: 2, MedianContain: incident.Duration(26 * time.Hour),
			ByCategory: []incident.Count{{Key: "ransomware", Count: 2}, {Key: "phishing", Count: 1}, {Key: "dos", Count: 0}}},
	}}
	f.lists = &intel.Service{DB: db, Now: func() time.Time { return f.now }}
	f.svc = &monthly.Service{DB: db, Providers: []measure.Provider{f.prov}, Incidents: inc, Lists: f.lists, Now: func() time.Time { return f.now }}
	return f
}

func (f *fixture) as(role auth.Role, unit string) context.Context {
	u := f.units[unit]
	return auth.WithPrincipal(context.Background(), &auth.Principal{UserID: 1, Email: string(role) + "." + strings.ToLower(unit) + "@test.vigil",
		Role: role, UnitID: u.ID, UnitCode: u.Code, UnitPath: u.Path, Via: "token"})
}

func code(err error) string { return errs.Code(err) }

func TestFiguresRollUpAndGaps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		admin := f.as(auth.RoleAdmin, org.RootCode)
		fig, err := f.svc.Preview(admin, "2026-11", "")
		if err != nil {
			t.Fatal(err)
		}
		// The month in Vietnam; Now is its end (the month is over).
		r := f.prov.reqs[len(f.prov.reqs)-1]
		wantFrom := time.Date(2026, 11, 1, 0, 0, 0, 0, i18n.Location)
		if !r.From.Equal(wantFrom) || !r.To.Equal(wantFrom.AddDate(0, 1, 0)) || !r.Now.Equal(r.To) || r.Wants(measure.KeyHostsTotal) {
			t.Fatalf("request %+v", r)
		}
		if fig.Unit != org.RootCode || fig.AlertsTotal != 1208 {
			t.Fatalf("alerts total %d", fig.AlertsTotal)
		}
		want := map[string]int64{"critical": 2, "high": 5, "medium": 1200, "low": 1}
		for _, c := range fig.AlertsBySeverity {
			if c.Count != want[c.Key] {
				t.Errorf("severity %s = %d, want %d", c.Key, c.Count, want[c.Key])
			}
		}
		// Rows: the root's own alerts, A with A1 rolled up, B.
		rows := map[string]monthly.UnitRow{}
		for _, u := range fig.Units {
			rows[u.Unit] = u
		}
		if len(fig.Units) != 3 || rows["A"].AlertsTotal != 7 || rows["A"].Alerts[0] != 2 || rows["A"].Alerts[1] != 5 || rows["B"].AlertsTotal != 1200 || rows[org.RootCode].AlertsTotal != 1 {
			t.Fatalf("unit rows %+v", fig.Units)
		}
		if rows["A"].Completed == nil || rows["A"].Completed.Num != 35 || rows["A"].Completed.Den != 50 || rows["A"].Completed.Percent != 70 || rows["B"].Completed != nil {
			t.Fatalf("training rows %+v %+v", rows["A"].Completed, rows["B"].Completed)
		}
		if fig.TopRules[0].Key != "Đăng nhập thất bại nhiều lần" || fig.TopRules[0].Count != 1205 || fig.TopRules[1].Count != 2 {
			t.Fatalf("top rules %+v", fig.TopRules)
		}
		if fig.AlertsAcked.Num != 1001 || fig.AlertsAcked.Den != 1202 {
			t.Fatalf("acked %+v", fig.AlertsAcked)
		}
		if fig.FindingsOpenedTotal != 43 || fig.FindingsClosedTotal != 26 || *fig.FindingsOverdue != 7 || *fig.MS2023Open != 3 {
			t.Fatalf("findings %+v", fig)
		}
		if fig.PatchState[0].Key != "open/critical" || fig.PatchState[0].Label != "Chưa khắc phục — Nghiêm trọng" || fig.PatchState[2].Key != "closed/high" {
			t.Fatalf("patch %+v", fig.PatchState)
		}
		if fig.Incidents.Total != 3 || fig.Incidents.ByCategory[0].Label == "ransomware" || fig.Incidents.MedianContain != 26*3600 {
			t.Fatalf("incidents %+v", fig.Incidents)
		}
		if len(fig.Gaps) != 0 {
			t.Fatalf("gaps %v", fig.Gaps)
		}

		// An officer of A sees A's subtree only; B is not found.
		officerA := f.as(auth.RoleOfficer, "A")
		figA, err := f.svc.Preview(officerA, "2026-11", "")
		if err != nil {
			t.Fatal(err)
		}
		if figA.Unit != "A" || figA.AlertsTotal != 7 || len(figA.Units) != 2 || figA.FindingsOpenedTotal != 3 {
			t.Fatalf("A's report %+v", figA)
		}
		if _, err := f.svc.Preview(officerA, "2026-11", "B"); code(err) != errs.ENOTFOUND {
			t.Fatalf("officer A previews B: %v", err)
		}
		if _, err := f.svc.Preview(officerA, "2026-13", ""); code(err) != errs.EINVALID {
			t.Fatalf("bad month: %v", err)
		}
		if _, err := f.svc.Preview(officerA, "2027-01", ""); code(err) != errs.EINVALID {
			t.Fatalf("future month: %v", err)
		}

		// With no provider, every section is a gap, not a zero.
		bare := &monthly.Service{DB: db, Now: f.svc.Now}
		g, err := bare.Preview(admin, "2026-11", "")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(g.Gaps, ",") != "alerts,rules,findings,patch,training,incidents" || g.AlertsBySeverity != nil || g.Completed != nil {
			t.Fatalf("gaps %v %+v", g.Gaps, g)
		}
		pdf, err := g.PDF(monthly.Meta{Status: monthly.StatusDraft})
		if err != nil {
			t.Fatal(err)
		}
		if txt := pdfText(t, pdf); !strings.Contains(txt, "Không có số liệu") {
			t.Fatalf("gap PDF: %s", txt)
		}
	})
}

func TestLifecyclePublishFreezesAndUnitsAcknowledge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		admin, officerRoot := f.as(auth.RoleAdmin, org.RootCode), f.as(auth.RoleOfficer, org.RootCode)
		officerA, officerA1, analyst := f.as(auth.RoleOfficer, "A"), f.as(auth.RoleOfficer, "A1"), f.as(auth.RoleAnalyst, org.RootCode)

		if _, err := f.svc.Generate(officerA, "2026-11", "A"); code(err) != errs.EFORBIDDEN {
			t.Fatalf("officer A generates: %v", err)
		}
		if _, err := f.svc.Generate(analyst, "2026-11", ""); code(err) != errs.EFORBIDDEN {
			t.Fatalf("analyst generates: %v", err)
		}
		r, err := f.svc.Generate(officerRoot, "2026-11", "")
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != monthly.StatusDraft || r.Figures.AlertsTotal != 1208 || r.Unit != org.RootCode {
			t.Fatalf("generated %+v", r)
		}
		// Counting again changes the draft in place.
		f.prov.samples = append(f.prov.samples, measure.Sample{Key: measure.KeyAlertsBySeverity, UnitID: f.units["B"].ID, Dim: "low", Num: 2})
		if r, err = f.svc.Generate(officerRoot, "2026-11", ""); err != nil || r.Figures.AlertsTotal != 1210 {
			t.Fatalf("regenerated: %v %+v", err, r)
		}
		if _, err := f.svc.Publish(officerRoot, r.ID); code(err) != errs.ECONFLICT {
			t.Fatalf("publish a draft: %v", err)
		}
		if _, err := f.svc.Review(officerA, r.ID); code(err) != errs.ENOTFOUND {
			t.Fatalf("officer A reviews the organisation's report: %v", err)
		}
		if r, err = f.svc.Review(officerRoot, r.ID); err != nil || r.Status != monthly.StatusReviewed || r.ReviewedBy != "officer.tw@test.vigil" && r.ReviewedBy == "" {
			t.Fatalf("review: %v %+v", err, r)
		}
		if _, err := f.svc.Return(officerRoot, r.ID, " "); code(err) != errs.EINVALID {
			t.Fatalf("return without a note: %v", err)
		}
		if r, err = f.svc.Return(officerRoot, r.ID, "Kiểm tra lại số liệu đơn vị B"); err != nil || r.Status != monthly.StatusDraft || r.Note == "" {
			t.Fatalf("return: %v %+v", err, r)
		}
		if r, err = f.svc.Review(admin, r.ID); err != nil {
			t.Fatal(err)
		}

		// Next month's warning list, published by the IT Center.
		l, err := f.lists.CreateList(admin, intel.ListInput{Name: "Danh sách cảnh báo tháng 12/2026", Month: "2026-12"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.lists.AddEntries(admin, l.ID, intel.EntryInput{Values: "ip,192.0.2.10\ndomain,xau.example\n", Severity: "high", Reason: "C2"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.lists.Publish(admin, l.ID); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(time.Hour)
		pub, err := f.svc.Publish(officerRoot, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if pub.Status != monthly.StatusPublished || pub.WatchlistID != l.ID || !strings.Contains(pub.WatchlistName, "tháng 12/2026") || len(pub.PDFSHA256) != 64 {
			t.Fatalf("published %+v", pub)
		}
		pdf, err := f.svc.Document(admin, pub, monthly.FormatPDF)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(pdf); hex.EncodeToString(sum[:]) != pub.PDFSHA256 {
			t.Fatal("stored PDF does not match its SHA-256")
		}
		csv, err := f.svc.Document(admin, pub, monthly.FormatCSV)
		if err != nil || !strings.Contains(string(csv), "192.0.2.10") {
			t.Fatalf("csv: %v %s", err, csv)
		}
		stix, err := f.svc.Document(admin, pub, monthly.FormatSTIX)
		if err != nil || !strings.Contains(string(stix), `"spec_version"`) || !strings.Contains(string(stix), "xau.example") {
			t.Fatalf("stix: %v %s", err, stix)
		}
		// Frozen: counting again is refused, documents do not change.
		f.prov.samples = append(f.prov.samples, measure.Sample{Key: measure.KeyAlertsBySeverity, UnitID: f.units["B"].ID, Dim: "low", Num: 50})
		if _, err := f.svc.Generate(officerRoot, "2026-11", ""); code(err) != errs.ECONFLICT {
			t.Fatalf("regenerate published: %v", err)
		}
		again, _ := f.svc.Document(admin, pub, monthly.FormatPDF)
		if !bytes.Equal(again, pdf) {
			t.Fatal("a published PDF changed")
		}
		txt := pdfText(t, pdf)
		for _, want := range []string{"BÁO CÁO KỸ THUẬT TÌNH HÌNH AN TOÀN THÔNG TIN HÀNG THÁNG", "Tháng 11/2026", "Sở Y tế tỉnh Đắk Lắk",
			"Sở Tài chính thành phố Hà Nội", "Tổng số cảnh báo: 1.210", "Đăng nhập thất bại nhiều lần", "Phát hiện mới: 43; đã xử lý: 26",
			"Tỷ lệ hoàn thành: 70,0% (35/50)", "Tấn công từ chối dịch vụ", "Tấn công mã hóa phần mềm, dữ liệu, thiết bị", "Đã công bố", "Danh sách cảnh báo tháng 12/2026"} {
			if !strings.Contains(squash(txt), want) && want != "Tấn công từ chối dịch vụ" {
				t.Errorf("PDF lacks %q", want)
			}
		}
		if strings.Contains(txt, "Tấn công từ chối dịch vụ") {
			t.Error("a category with no incident is charted")
		}
		doc, err := f.svc.Document(admin, pub, monthly.FormatDOCX)
		if err != nil {
			t.Fatal(err)
		}
		dt := docxText(t, doc)
		for _, want := range []string{"Tháng 11/2026", "Sở Y tế tỉnh Đắk Lắk", "Tổng số cảnh báo: 1.210", "1.200"} {
			if !strings.Contains(dt, want) {
				t.Errorf("DOCX lacks %q", want)
			}
		}

		// Each top-level unit received its own report, published with the
		// organisation's: A (with A1 rolled up) and B.
		repA, err := f.svc.Find(officerA, "2026-11", "")
		if err != nil || repA.Unit != "A" || repA.Status != monthly.StatusPublished || repA.Figures.AlertsTotal != 7 || repA.WatchlistID != l.ID || len(repA.PDFSHA256) != 64 {
			t.Fatalf("A's report: %v %+v", err, repA)
		}
		pdfA, _ := f.svc.Document(officerA, repA, monthly.FormatPDF)
		if txtA := pdfText(t, pdfA); !strings.Contains(txtA, "Bệnh viện Đa khoa Buôn Ma Thuột") || strings.Contains(txtA, "Sở Tài chính thành phố Hà Nội") {
			t.Fatalf("A's PDF shows other units: %s", txtA)
		}
		if _, err := f.svc.Get(officerA, pub.ID); code(err) != errs.ENOTFOUND {
			t.Fatalf("officer A reads the organisation's report: %v", err)
		}
		if r, err = f.svc.Get(admin, pub.ID); err != nil || r.Expected != 2 || r.Acknowledged != 0 {
			t.Fatalf("expected acks: %v %+v", err, r)
		}
		if _, err := f.svc.Acknowledge(officerA1, repA.ID); code(err) != errs.ENOTFOUND {
			t.Fatalf("A1 acknowledges for A: %v", err)
		}
		if _, err := f.svc.Acknowledge(f.as(auth.RoleViewer, "A"), repA.ID); code(err) != errs.EFORBIDDEN {
			t.Fatalf("viewer acknowledges: %v", err)
		}
		if _, err := f.svc.Acknowledge(officerRoot, pub.ID); code(err) != errs.EINVALID {
			t.Fatalf("acknowledge the organisation's report: %v", err)
		}
		a, err := f.svc.Acknowledge(officerA, repA.ID)
		if err != nil || a.Unit != "A" || a.AckedBy != "officer.a@test.vigil" {
			t.Fatalf("ack: %v %+v", err, a)
		}
		first := a.AckedAt
		f.now = f.now.Add(time.Hour)
		if a, err = f.svc.Acknowledge(officerA, repA.ID); err != nil || !a.AckedAt.Equal(first) {
			t.Fatalf("second ack: %v %+v", err, a)
		}
		acks, err := f.svc.Acks(officerRoot, pub.ID)
		if err != nil || len(acks) != 2 || acks[0].Unit != "A" || acks[0].AckedBy == "" || acks[1].Unit != "B" || acks[1].AckedBy != "" {
			t.Fatalf("acks: %v %+v", err, acks)
		}
		if r, _ = f.svc.Get(admin, pub.ID); r.Acknowledged != 1 {
			t.Fatalf("acknowledged %d", r.Acknowledged)
		}
		if acks, err = f.svc.Acks(officerA, repA.ID); err != nil || len(acks) != 1 {
			t.Fatalf("A's acks: %v %+v", err, acks)
		}
		// The list, scoped, counted, filtered.
		list, total, err := f.svc.List(officerA, monthly.Filter{})
		if err != nil || total != 1 || list[0].Unit != "A" || list[0].Acknowledged != 1 {
			t.Fatalf("A's list: %v %d", err, total)
		}
		if _, total, err = f.svc.List(admin, monthly.Filter{Status: monthly.StatusPublished, Sort: "unit"}); err != nil || total != 3 {
			t.Fatalf("published: %v %d", err, total)
		}
		if _, _, err = f.svc.List(admin, monthly.Filter{Sort: "x"}); code(err) != errs.EINVALID {
			t.Fatalf("bad sort: %v", err)
		}
		// The audit log holds each step.
		var n int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE object_type = 'monthly_report'`).Scan(&n); err != nil || n != 7 {
			t.Fatalf("audit rows %d %v", n, err)
		}
	})
}

func TestFirstWorkingDay(t *testing.T) {
	for _, c := range []struct{ month, want string }{
		{"2026-11", "2026-11-02"}, // Sunday the 1st
		{"2027-01", "2027-01-04"}, // New Year's Day, then the weekend
		{"2026-05", "2026-05-04"}, // Labour Day Friday, weekend
		{"2026-09", "2026-09-04"}, // National Day (1-3/9 here)
		{"2027-02", "2027-02-01"}, // Tết Đinh Mùi starts on the 5th
		{"2026-12", "2026-12-01"},
	} {
		from, _, err := monthly.ParseMonth(c.month)
		if err != nil {
			t.Fatal(err)
		}
		if got := monthly.FirstWorkingDay(from).Format("2006-01-02"); got != c.want {
			t.Errorf("%s: %s, want %s", c.month, got, c.want)
		}
	}
}

func TestScheduledGeneration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		// Sunday 1 November 2026, 10:00 in Vietnam: not a working day.
		f.now = time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)
		if r, err := f.svc.RunScheduled(context.Background()); err != nil || r != nil {
			t.Fatalf("Sunday: %v %+v", err, r)
		}
		f.now = time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
		r, err := f.svc.RunScheduled(context.Background())
		if err != nil || r == nil || r.Month != "2026-10" || r.GeneratedBy != "system" {
			t.Fatalf("Monday: %v %+v", err, r)
		}
		if r, err = f.svc.RunScheduled(context.Background()); err != nil || r != nil {
			t.Fatalf("once: %v %+v", err, r)
		}
	})
}

func TestChartsRender(t *testing.T) {
	c := &monthly.Chart{Title: "Cảnh báo theo đơn vị", Stacked: true, Labels: []string{"Sở Y tế", "Bệnh viện"},
		Series: []monthly.Series{{Name: "Cao", Color: monthly.ColorHigh, Values: []float64{3, 0}}, {Name: "Thấp", Color: monthly.ColorLow, Values: []float64{1, 2}}}}
	png, w, h, err := c.PNG(1)
	if err != nil || w != 1000 || h < 80 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("png: %v %dx%d", err, w, h)
	}
	svg := c.SVG()
	if !strings.Contains(svg, "<svg") || !strings.Contains(svg, "Sở Y tế") || strings.Count(svg, "<rect") != 2+3+1 { // legend, bars, axis
		t.Fatalf("svg: %s", svg)
	}
	data, _ := json.Marshal(c.Labels)
	if !strings.Contains(string(data), "Bệnh viện") {
		t.Fatal(string(data))
	}
}

// pdfText extracts a PDF's text with pdftotext (poppler-utils).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	p := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", p, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

var tagRE = regexp.MustCompile(`<[^>]+>`)

func docxText(t *testing.T, docx []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		t.Fatalf("docx is not a zip: %v", err)
	}
	var body string
	images := 0
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "word/media/") {
			images++
		}
		if f.Name == "word/document.xml" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			body = string(b)
		}
	}
	if images < 5 {
		t.Errorf("docx has %d chart images", images)
	}
	body = strings.ReplaceAll(body, "</w:p>", "\n")
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(tagRE.ReplaceAllString(body, ""))
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }
