package natreport_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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
	"vigil/internal/natreport"
	"vigil/internal/org"
	"vigil/internal/outbox"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// fakeCases is a CaseSource over cases held in memory, checking the
// caller's scope on the case's unit path as internal/incident does.
type fakeCases struct {
	paths map[int64]string  // unit id -> path
	codes map[string]string // unit code -> path
	cases map[int64]*natreport.Case
}

func (f *fakeCases) ReportCase(ctx context.Context, id int64) (*natreport.Case, error) {
	c := f.cases[id]
	if c == nil || !auth.FromContext(ctx).CanRead(f.paths[c.UnitID]) {
		return nil, errs.NotFound("incident")
	}
	cp := *c
	return &cp, nil
}

func (f *fakeCases) ReportCases(ctx context.Context, unitCode string, from, to time.Time) ([]*natreport.Case, error) {
	var out []*natreport.Case
	for _, c := range f.cases {
		p := f.paths[c.UnitID]
		if !auth.FromContext(ctx).CanRead(p) || c.DetectedAt.Before(from) || !c.DetectedAt.Before(to) {
			continue
		}
		if unitCode != "" && !strings.HasPrefix(p, f.codes[unitCode]) {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// fakeOutbox records what is enqueued.
type fakeOutbox struct {
	mu   sync.Mutex
	msgs []outbox.Message
}

func (f *fakeOutbox) Enqueue(ctx context.Context, tx *store.Tx, m outbox.Message) ([]int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgs = append(f.msgs, m)
	return []int64{int64(len(f.msgs))}, nil
}

type fixture struct {
	svc   *natreport.Service
	cases *fakeCases
	box   *fakeOutbox
	units map[string]*org.Unit
	now   time.Time
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	f := &fixture{units: map[string]*org.Unit{}, now: time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC), box: &fakeOutbox{}}
	root, err := o.EnsureRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.units[root.Code] = root
	for _, u := range []org.UnitInput{
		{Code: "A", Name: "Bảo hiểm xã hội tỉnh Đắk Lắk", Kind: org.KindProvince, Parent: org.RootCode},
		{Code: "B", Name: "Bảo hiểm xã hội thành phố Hà Nội", Kind: org.KindProvince, Parent: org.RootCode},
	} {
		x, err := o.CreateUnit(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		f.units[u.Code] = x
	}
	if _, err := o.AddContact(ctx, "A", org.ContactInput{Name: "Nguyễn Văn Đức", Position: "Phó Giám đốc", Phone: "0262 3855 555", Email: "duc.nv@dl.vss.gov.vn"}); err != nil {
		t.Fatal(err)
	}
	f.cases = &fakeCases{paths: map[int64]string{}, codes: map[string]string{}, cases: map[int64]*natreport.Case{}}
	for _, u := range f.units {
		f.cases.paths[u.ID] = u.Path
		f.cases.codes[u.Code] = u.Path
	}
	a := f.units["A"]
	f.cases.cases[7] = &natreport.Case{ID: 7, Number: "SC-2026-0007", Title: "Mã độc mã hoá dữ liệu trên máy chủ tệp",
		Description: "Phát hiện tiến trình lạ mã hoá tệp trên ổ chia sẻ.", Category: "ransomware", Severity: "critical", Status: "containment",
		UnitID: a.ID, UnitCode: "A", UnitName: a.Name, SystemName: "Hệ thống quản lý hồ sơ điện tử", SecurityLevel: 3,
		Domains: []string{"hoso.dl.vss.gov.vn"}, PublicIPs: []string{"203.0.113.10"}, OS: []string{"Windows Server 2019"}, Services: []string{"SMB", "IIS"},
		DetectedAt: time.Date(2026, 12, 1, 1, 30, 0, 0, time.UTC), OpenedAt: time.Date(2026, 12, 1, 1, 45, 0, 0, time.UTC),
		Hosts: []string{"dl-fs01"}, SupportFrom: "domestic", VNCERTHelp: true, DamageVND: 12500000,
		Timeline:   []natreport.Entry{{At: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC), Kind: "status", Text: "Chuyển sang ngăn chặn"}},
		Resolution: "Cô lập máy chủ, khôi phục từ bản sao lưu.", Lessons: "Tách mạng sao lưu."}
	f.cases.cases[8] = &natreport.Case{ID: 8, Number: "SC-2026-0008", Title: "Giả mạo thư", Category: "phishing", UnitID: f.units["B"].ID,
		UnitCode: "B", UnitName: f.units["B"].Name, DetectedAt: time.Date(2026, 10, 1, 1, 0, 0, 0, time.UTC)}
	f.svc = &natreport.Service{DB: db, Cases: f.cases, Outbox: f.box, Now: func() time.Time { return f.now }}
	return f
}

func (f *fixture) as(role auth.Role, unit string) context.Context {
	u := f.units[unit]
	return auth.WithPrincipal(context.Background(), &auth.Principal{UserID: 1, Email: string(role) + "." + strings.ToLower(unit) + "@test.vigil",
		Role: role, UnitID: u.ID, UnitCode: u.Code, UnitPath: u.Path, Via: "token"})
}

func code(err error) string { return errs.Code(err) }

// pdfText extracts a PDF's text with pdftotext (poppler-utils).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		storetest.SkipOrFail(t, "pdftotext", "pdftotext (poppler-utils) is not installed")
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

// docxText reads word/document.xml's text back, a paragraph a line.
func docxText(t *testing.T, docx []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		t.Fatalf("docx is not a zip: %v", err)
	}
	var names []string
	var body string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Name == "word/document.xml" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			body = string(b)
		}
	}
	for _, want := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("docx lacks %s: %v", want, names)
		}
	}
	body = strings.ReplaceAll(body, "</w:p>", "\n")
	body = strings.ReplaceAll(body, "<w:br/>", "\n")
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'").Replace(tagRE.ReplaceAllString(body, ""))
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestInitialAndFinalLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		officerA, officerB, viewerA, analyst := f.as(auth.RoleOfficer, "A"), f.as(auth.RoleOfficer, "B"), f.as(auth.RoleViewer, "A"), f.as(auth.RoleAnalyst, org.RootCode)

		if _, err := f.svc.Create(officerB, 7, natreport.FormInitial); code(err) != errs.ENOTFOUND {
			t.Fatalf("officerB drafts A's case: %v", err)
		}
		if _, err := f.svc.Create(viewerA, 7, natreport.FormInitial); code(err) != errs.EFORBIDDEN {
			t.Fatalf("viewerA drafts: %v", err)
		}
		r, err := f.svc.Create(analyst, 7, natreport.FormInitial)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != "draft" || r.Version != 1 || r.Number != "" || r.Fields["org_name"] != "Bảo hiểm xã hội tỉnh Đắk Lắk" ||
			r.Fields["contact_name"] != "Nguyễn Văn Đức" || r.Fields["detected_date"] != "01/12/26" || r.Fields["detected_time"] != "08:30" ||
			r.Fields["security_level"] != "3" || r.Fields["incident_status"] != "contained" {
			t.Fatalf("filled: %+v", r)
		}
		if _, err := f.svc.Create(officerA, 7, natreport.FormInitial); code(err) != errs.ECONFLICT {
			t.Fatalf("second initial report: %v", err)
		}
		// Mandatory fields missing: address, phone, e-mail, detection, notified.
		want := map[string]bool{"org_address": true, "org_phone": true, "org_email": true, "detection": true, "notified": true}
		got := map[string]bool{}
		for _, p := range r.Problems {
			got[p.Field] = true
		}
		for k := range want {
			if !got[k] {
				t.Errorf("no problem on %s: %+v", k, r.Problems)
			}
		}
		if _, err := f.svc.Submit(officerA, r.ID); code(err) != errs.EINVALID {
			t.Fatalf("submit incomplete: %v", err)
		}
		if _, err := f.svc.Update(officerA, r.ID, map[string]string{"detected_time": "25:00", "nope": "x"}); code(err) != errs.EINVALID {
			t.Fatalf("unknown field: %v", err)
		}
		r, err = f.svc.Update(officerA, r.ID, map[string]string{"org_address": "Số 1 Nguyễn Tất Thành, Buôn Ma Thuột", "org_phone": "0262 3855 555",
			"org_email": "vanthu@dl.vss.gov.vn", "detection": "monitoring,other", "detection_note": "Cảnh báo từ NCSC", "notified": "owner,vncert",
			"detected_time": "25:00"})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Problems) != 1 || r.Problems[0].Field != "detected_time" || r.Problems[0].Code != "format" {
			t.Fatalf("problems: %+v", r.Problems)
		}
		if r, err = f.svc.Update(officerA, r.ID, map[string]string{"detected_time": "08:30"}); err != nil || len(r.Problems) != 0 {
			t.Fatalf("fixed: %v %+v", err, r)
		}
		if _, err := f.svc.Approve(officerA, r.ID); code(err) != errs.ECONFLICT {
			t.Fatalf("approve a draft: %v", err)
		}
		if r, err = f.svc.Submit(analyst, r.ID); err != nil || r.Status != "review" || r.SubmittedBy == "" {
			t.Fatalf("submit: %v %+v", err, r)
		}
		if _, err := f.svc.Approve(analyst, r.ID); code(err) != errs.EFORBIDDEN {
			t.Fatalf("analyst approves: %v", err)
		}
		if r, err = f.svc.Approve(officerA, r.ID); err != nil || r.Status != "approved" || r.Number != "001/BC-A" || r.ApprovedBy != "officer.a@test.vigil" {
			t.Fatalf("approve: %v %+v", err, r)
		}
		if at, _ := f.svc.SentAt(context.Background(), 7, natreport.FormInitial); !at.IsZero() {
			t.Fatalf("sent before sending: %v", at)
		}

		// The documents say what the form says, diacritics intact.
		doc, err := f.svc.Document(officerA, r)
		if err != nil {
			t.Fatal(err)
		}
		pdf, err := doc.PDF()
		if err != nil {
			t.Fatal(err)
		}
		text := squash(pdfText(t, pdf))
		for _, want := range []string{"BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG", "Số: 001/BC-A", "ngày 04/12/2026", "Bảo hiểm xã hội tỉnh Đắk Lắk",
			"Nguyễn Văn Đức", "Số 1 Nguyễn Tất Thành, Buôn Ma Thuột", "01/12/26", "08:30", "☒ Hệ thống giám sát, IDS/IPS, SIEM",
			"☒ Khác (ghi rõ): Cảnh báo từ NCSC", "☐ Người dùng thông báo", "☒ Cơ quan điều phối quốc gia (VNCERT/CC)", "Mã độc mã hoá dữ liệu trên máy chủ tệp",
			"203.0.113.10", "Windows Server 2019", "Mẫu 03"} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF text lacks %q:\n%s", want, text)
			}
		}
		docx, err := doc.DOCX()
		if err != nil {
			t.Fatal(err)
		}
		dtext := squash(docxText(t, docx))
		for _, want := range []string{"BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG", "Số: 001/BC-A", "Tên tổ chức, cá nhân (*): Bảo hiểm xã hội tỉnh Đắk Lắk", "☒ Đang xử lý"[:0] + "☒ Đã ngăn chặn, đang khắc phục"} {
			if !strings.Contains(dtext, want) {
				t.Errorf("DOCX text lacks %q:\n%s", want, dtext)
			}
		}
		js, err := doc.JSON()
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(js, &m); err != nil || m["number"] != "001/BC-A" || m["template"] != "Mẫu 03" {
			t.Fatalf("JSON: %v %s", err, js)
		}
		if txt := doc.Text(); !strings.Contains(txt, "- Tên tổ chức, cá nhân (*): Bảo hiểm xã hội tỉnh Đắk Lắk") {
			t.Errorf("text: %s", txt)
		}

		// Sending: the outbox gets the documents, [TBSC] subject, key per version.
		if _, err := f.svc.Send(analyst, r.ID, nil); code(err) != errs.EFORBIDDEN {
			t.Fatalf("analyst sends: %v", err)
		}
		f.now = f.now.Add(time.Hour)
		if r, err = f.svc.Send(officerA, r.ID, nil); err != nil || r.SentAt.IsZero() {
			t.Fatalf("send: %v %+v", err, r)
		}
		msg := f.box.msgs[0]
		if !strings.HasPrefix(msg.Subject, "[TBSC] ") || msg.Purpose != "incident_initial" || msg.ObjectType != "incident" || msg.ObjectID != "7" ||
			msg.Key != r.Key() || len(msg.Files) != 2 || !strings.HasSuffix(msg.Files[0].Name, ".pdf") || !strings.HasSuffix(msg.Files[1].Name, ".docx") || len(msg.JSON) == 0 {
			t.Fatalf("message: %+v", msg)
		}
		if _, err := f.svc.Send(officerA, r.ID, nil); code(err) != errs.ECONFLICT {
			t.Fatalf("sent twice: %v", err)
		}
		at, err := f.svc.SentAt(context.Background(), 7, natreport.FormInitial)
		if err != nil || !at.Equal(f.now) {
			t.Fatalf("SentAt %v %v", at, err)
		}

		// An edit after approval is a new version; the number stays.
		r2, err := f.svc.Update(officerA, r.ID, map[string]string{"support_request": "Đề nghị hỗ trợ phân tích mẫu mã độc."})
		if err != nil || r2.Version != 2 || r2.Status != "draft" || r2.Number != "001/BC-A" || !r2.SentAt.IsZero() {
			t.Fatalf("new version: %v %+v", err, r2)
		}
		old, err := f.svc.Get(officerA, r.ID, 1)
		if err != nil || old.Status != "approved" || old.Fields["support_request"] == "Đề nghị hỗ trợ phân tích mẫu mã độc." {
			t.Fatalf("version 1: %v %+v", err, old)
		}
		if vs, err := f.svc.Versions(officerA, r.ID); err != nil || len(vs) != 2 {
			t.Fatalf("versions: %v %d", err, len(vs))
		}

		// The final report references the initial report's number and date.
		fin, err := f.svc.Create(officerA, 7, natreport.FormFinal)
		if err != nil {
			t.Fatal(err)
		}
		if fin.Fields["initial_number"] != "001/BC-A" || fin.Fields["initial_date"] != "04/12/2026" || !strings.Contains(fin.Fields["resolution"], "bản sao lưu") {
			t.Fatalf("final filled: %+v", fin.Fields)
		}
		if fin, err = f.svc.Submit(officerA, fin.ID); err != nil {
			t.Fatalf("submit final: %v %+v", err, fin)
		}
		if fin, err = f.svc.Approve(officerA, fin.ID); err != nil || fin.Number != "002/BC-A" {
			t.Fatalf("approve final: %v %+v", err, fin)
		}
		fdoc, _ := f.svc.Document(officerA, fin)
		fpdf, err := fdoc.PDF()
		if err != nil {
			t.Fatal(err)
		}
		ftext := squash(pdfText(t, fpdf))
		for _, want := range []string{"BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ", "Số báo cáo ban đầu (*): 001/BC-A", "04/12/2026", "Cô lập máy chủ, khôi phục từ bản sao lưu."} {
			if !strings.Contains(ftext, want) {
				t.Errorf("final PDF lacks %q:\n%s", want, ftext)
			}
		}
		if _, err := f.svc.Send(officerA, fin.ID, nil); err != nil {
			t.Fatal(err)
		}
		if m := f.box.msgs[1]; strings.HasPrefix(m.Subject, "[TBSC]") || m.Purpose != "incident_final" {
			t.Errorf("final message: %+v", m)
		}
		// Out of scope: B sees nothing of A's.
		if _, err := f.svc.Get(officerB, r.ID, 0); code(err) != errs.ENOTFOUND {
			t.Errorf("officerB reads A's report: %v", err)
		}
		if list, total, err := f.svc.List(officerB, natreport.Filter{}); err != nil || total != 0 || len(list) != 0 {
			t.Errorf("officerB lists %d: %v", total, err)
		}
		if _, total, err := f.svc.List(officerA, natreport.Filter{}); err != nil || total != 2 {
			t.Errorf("officerA lists %d: %v", total, err)
		}
	})
}

func TestSummary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		admin := f.as(auth.RoleAdmin, org.RootCode)
		r, err := f.svc.SummaryPreview(admin, "", "2026-07", "2026-12")
		if err != nil {
			t.Fatal(err)
		}
		total := r.Rows[len(r.Rows)-1]
		if r.Fields["period"] != "6 tháng cuối năm 2026" || total.Count != 2 || total.Domestic != 1 || total.Self != 1 || total.VNCERT != 1 || total.Damage != 12500000 {
			t.Fatalf("summary: %+v %+v", r.Fields, r.Rows)
		}
		if _, err := f.svc.SummaryPreview(f.as(auth.RoleOfficer, "B"), "A", "2026-07", "2026-12"); code(err) != errs.ENOTFOUND {
			t.Fatalf("officerB summarises A: %v", err)
		}
		if _, err := f.svc.SummaryPreview(admin, "", "2026-13", ""); code(err) != errs.EINVALID {
			t.Fatalf("bad month: %v", err)
		}
		s, err := f.svc.CreateSummary(f.as(auth.RoleOfficer, "A"), "", "2026-07", "2026-12")
		if err != nil {
			t.Fatal(err)
		}
		if s.Rows[5].Category != "ransomware" || s.Rows[5].Count != 1 || s.Rows[10].Count != 1 {
			t.Fatalf("A's summary rows: %+v", s.Rows)
		}
		doc, err := f.svc.Document(admin, s)
		if err != nil {
			t.Fatal(err)
		}
		pdf, err := doc.PDF()
		if err != nil {
			t.Fatal(err)
		}
		text := squash(pdfText(t, pdf))
		for _, want := range []string{"BÁO CÁO TỔNG HỢP TÌNH HÌNH SỰ CỐ", "6 tháng cuối năm 2026", "Mã hoá phần mềm, dữ liệu, thiết bị", "Tổng cộng", "12.500.000", "BẢN NHÁP"} {
			if !strings.Contains(text, want) {
				t.Errorf("summary PDF lacks %q:\n%s", want, text)
			}
		}
		docx, _ := doc.DOCX()
		if d := squash(docxText(t, docx)); !strings.Contains(d, "Tổng cộng") || !strings.Contains(d, "Ước tính thiệt hại (VNĐ)") {
			t.Errorf("summary DOCX: %s", d)
		}
	})
}

func TestSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		admin, officerA := f.as(auth.RoleAdmin, org.RootCode), f.as(auth.RoleOfficer, "A")
		if _, err := f.svc.SetOptions(officerA, "status", []natreport.Option{{Code: "x", LabelVI: "X"}}); code(err) != errs.EFORBIDDEN {
			t.Fatalf("officer sets options: %v", err)
		}
		if _, err := f.svc.SetOptions(admin, "status", []natreport.Option{{Code: "X Y", LabelVI: "X"}}); code(err) != errs.EINVALID {
			t.Fatalf("bad code: %v", err)
		}
		opts, err := f.svc.SetOptions(admin, "status", []natreport.Option{{Code: "open", LabelVI: "Chưa xử lý xong"}, {Code: "done", LabelVI: "Đã xử lý xong"}})
		if err != nil || len(opts) != 2 || opts[0].Code != "open" {
			t.Fatalf("options: %v %+v", err, opts)
		}
		words, err := natreport.ParseTemplate(natreport.FormInitial, strings.NewReader("# tiêu đề\ntitle = BÁO CÁO BAN ĐẦU SỰ CỐ AN TOÀN THÔNG TIN MẠNG\nto = Kính gửi: Trung tâm Giám sát\n  an toàn không gian mạng quốc gia (NCSC)\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SetTemplate(officerA, natreport.FormInitial, words); code(err) != errs.EFORBIDDEN {
			t.Fatalf("officer sets template: %v", err)
		}
		if _, err := f.svc.SetTemplate(admin, natreport.FormInitial, words); err != nil {
			t.Fatal(err)
		}
		_, err = natreport.ParseTemplate(natreport.FormInitial, strings.NewReader("title = x\nbogus = y\n"))
		var te *natreport.TemplateError
		if !asTemplateError(err, &te) || te.Line != 2 {
			t.Fatalf("bad key: %v", err)
		}
		r, err := f.svc.Create(officerA, 7, natreport.FormInitial)
		if err != nil {
			t.Fatal(err)
		}
		if r.Fields["incident_status"] != "contained" || len(r.Problems) == 0 {
			t.Fatalf("%+v", r)
		}
		r, _ = f.svc.Update(officerA, r.ID, map[string]string{"incident_status": "open"})
		doc, _ := f.svc.Document(officerA, r)
		if !strings.Contains(doc.Text(), "BÁO CÁO BAN ĐẦU SỰ CỐ AN TOÀN THÔNG TIN MẠNG") || !strings.Contains(doc.Text(), "Chưa xử lý xong") {
			t.Errorf("template not applied:\n%s", doc.Text())
		}
		// Profile: saved, then used by the next draft.
		if _, err := f.svc.SetProfile(f.as(auth.RoleOfficer, "B"), "A", natreport.Profile{}); code(err) != errs.ENOTFOUND {
			t.Fatalf("officerB sets A's profile: %v", err)
		}
		if _, err := f.svc.SetProfile(officerA, "", natreport.Profile{OrgName: "BHXH tỉnh Đắk Lắk", Email: "not mail"}); code(err) != errs.EINVALID {
			t.Fatalf("bad e-mail: %v", err)
		}
		pr, err := f.svc.SetProfile(officerA, "", natreport.Profile{OrgName: "BHXH tỉnh Đắk Lắk", Address: "Buôn Ma Thuột", Phone: "0262", Email: "vt@dl.vss.gov.vn",
			ContactName: "Lê Thị Hoa", ContactPhone: "0912", ContactEmail: "hoa@dl.vss.gov.vn", NumberPrefix: "BC-BHXHDL"})
		if err != nil || !pr.Saved || pr.Prefix() != "BC-BHXHDL" {
			t.Fatalf("profile: %v %+v", err, pr)
		}
	})
}

func asTemplateError(err error, te **natreport.TemplateError) bool {
	e, ok := err.(*natreport.TemplateError)
	*te = e
	return ok
}

func TestPeriodText(t *testing.T) {
	for _, c := range []struct{ from, to, want string }{
		{"2026-01", "2026-06", "6 tháng đầu năm 2026"},
		{"2026-07", "2026-12", "6 tháng cuối năm 2026"},
		{"2026-01", "2026-12", "năm 2026"},
		{"2026-03", "2026-03", "tháng 03/2026"},
		{"2025-11", "2026-02", "từ tháng 11/2025 đến tháng 02/2026"},
	} {
		p, _, _, err := natreport.ParsePeriod(c.from, c.to)
		if err != nil || p.Text() != c.want {
			t.Errorf("%s..%s: %q %v", c.from, c.to, p.Text(), err)
		}
	}
	if got := natreport.FormatVND(1234567); got != "1.234.567" {
		t.Errorf("FormatVND %s", got)
	}
}

func FuzzParseTemplate(f *testing.F) {
	f.Add("title = BÁO CÁO\n# c\nto = a\n  b\n")
	f.Add("  x\n")
	f.Add("nope\n")
	f.Add("title = a\ntitle = b\n")
	f.Fuzz(func(t *testing.T, s string) {
		words, err := natreport.ParseTemplate(natreport.FormInitial, strings.NewReader(s))
		if err != nil {
			if _, ok := err.(*natreport.TemplateError); !ok {
				t.Fatalf("error is %T: %v", err, err)
			}
			return
		}
		for k := range words {
			if _, ok := natreport.DefaultTemplates[natreport.FormInitial][k]; !ok {
				t.Fatalf("unknown key %q accepted", k)
			}
		}
	})
}

func TestLoadDemo(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	f := newFixture(t, db)
	n, err := f.svc.LoadDemo(context.Background())
	if err != nil || n != 3 {
		t.Fatalf("demo: %d %v", n, err)
	}
	admin := f.as(auth.RoleAdmin, org.RootCode)
	list, _, err := f.svc.List(admin, natreport.Filter{Status: "approved"})
	if err != nil || len(list) != 1 || list[0].Form != natreport.FormInitial || list[0].Number == "" {
		t.Fatalf("approved: %v %+v", err, list)
	}
	if n, err := f.svc.LoadDemo(context.Background()); err != nil || n != 0 {
		t.Fatalf("again: %d %v", n, err)
	}
}

// markingCases is a case source that keeps reporting clocks.
type markingCases struct {
	*fakeCases
	marked []string
}

func (m *markingCases) MarkReported(ctx context.Context, tx *store.Tx, id int64, form string, at time.Time) error {
	m.marked = append(m.marked, fmt.Sprintf("%d/%s", id, form))
	return nil
}

func TestSendMarksTheCase(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	f := newFixture(t, db)
	mc := &markingCases{fakeCases: f.cases}
	f.svc.Cases = mc
	officerA := f.as(auth.RoleOfficer, "A")
	if _, err := f.svc.SetProfile(officerA, "", natreport.Profile{OrgName: "BHXH Đắk Lắk", Address: "Buôn Ma Thuột", Phone: "0262", Email: "vt@dl.vss.gov.vn"}); err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.Create(officerA, 7, natreport.FormInitial)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Update(officerA, r.ID, map[string]string{"detection": "monitoring", "notified": "owner"}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []func(context.Context, int64) (*natreport.Report, error){f.svc.Submit, f.svc.Approve} {
		if _, err := step(officerA, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.Send(officerA, r.ID, nil); err != nil {
		t.Fatal(err)
	}
	if len(mc.marked) != 1 || mc.marked[0] != "7/initial" {
		t.Errorf("marked %v", mc.marked)
	}
}

// TestSendToTheRealOutbox hands an approved report to internal/outbox:
// the deliveries are stored for the case with the [TBSC] subject.
func TestSendToTheRealOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ob := &outbox.Service{DB: db}
		f.svc.Outbox = ob
		officerA := f.as(auth.RoleOfficer, "A")
		if _, err := f.svc.SetProfile(officerA, "", natreport.Profile{OrgName: "BHXH Đắk Lắk", Address: "Buôn Ma Thuột", Phone: "0262", Email: "vt@dl.vss.gov.vn"}); err != nil {
			t.Fatal(err)
		}
		r, err := f.svc.Create(officerA, 7, natreport.FormInitial)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Update(officerA, r.ID, map[string]string{"detection": "monitoring", "notified": "owner"}); err != nil {
			t.Fatal(err)
		}
		f.svc.Submit(officerA, r.ID)
		f.svc.Approve(officerA, r.ID)
		if _, err := f.svc.Send(officerA, r.ID, nil); code(err) != errs.EINVALID {
			t.Fatalf("no recipient configured: %v", err)
		}
		if _, err := f.svc.Send(officerA, r.ID, []string{"ir@vncert.test", "owner@vss.test"}); err != nil {
			t.Fatal(err)
		}
		ds, err := ob.ForObject(officerA, "incident", "7")
		if err != nil || len(ds) != 2 {
			t.Fatalf("deliveries: %v %d", err, len(ds))
		}
		for _, d := range ds {
			if !strings.HasPrefix(d.Subject, "[TBSC] Báo cáo ban đầu sự cố mạng số 001/BC-A") || d.Purpose != "incident_initial" || d.Channel != "email" {
				t.Errorf("delivery: %+v", d)
			}
		}
	})
}
