package format

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func TestTemplate(t *testing.T) {
	b, err := Template()
	if err != nil {
		t.Fatal(err)
	}
	if Detect("mau.xlsx", b) != "xlsx" {
		t.Fatal("Detect does not see the template")
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if sheets := f.GetSheetList(); len(sheets) != 2 || sheets[0] != TemplateSheet {
		t.Errorf("sheets %v", sheets)
	}
	dvs, err := f.GetDataValidations(TemplateSheet)
	if err != nil || len(dvs) != 4 {
		t.Errorf("data validations %d, %v", len(dvs), err)
	}
	if v, _ := f.GetCellValue(TemplateSheet, "B1"); v != "Giá trị (value)" {
		t.Errorf("B1 = %q", v)
	}
	// The template as given reads as its one example row.
	res, err := Read("mau.xlsx", bytes.NewReader(b), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 0 || len(res.Indicators) != 1 {
		t.Fatalf("%+v", res)
	}
	got := res.Indicators[0]
	want := Indicator{Kind: KindIP, Value: "203.0.113.7", Comment: "Máy chủ điều khiển (ví dụ)", Confidence: 80, TLP: TLPAmber,
		FirstSeen: time.Date(2026, 10, 31, 17, 0, 0, 0, time.UTC), ValidUntil: time.Date(2026, 12, 31, 16, 59, 59, 0, time.UTC),
		Tags: []string{"c2", "ví dụ"}, Report: "BC-11/2026", Action: ActionScan, Severity: "high", Reason: "Kết nối tới máy chủ điều khiển"}
	if !equalIndicator(got, want) {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}
}

func TestReadXLSX(t *testing.T) {
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "Ghi chú")
	f.SetCellValue("Ghi chú", "A1", "Trang này không có dữ liệu")
	f.NewSheet("Data")
	rows := [][]any{
		{"Danh sách cảnh báo tháng 11"},
		{"Giá trị", "Loại", "TLP", "Hiệu lực đến", "Đơn vị", "Biện pháp"},
		{"198.51.100.7", "ip", "red", 46022.0, "BHXH-HN", "Khoá tài khoản (disable_account)"},
		{"bad value", "ip", "", "", "", ""},
		{"x.example", "domain", "purple", "", "", ""},
		{},
		{"y.example", "Tên miền (domain)", "", "2026-12-31", "", ""},
	}
	for i, r := range rows {
		for j, v := range r {
			col, _ := excelize.ColumnNumberToName(j + 1)
			f.SetCellValue("Data", col+strconv.Itoa(i+1), v)
		}
	}
	var buf bytes.Buffer
	f.Write(&buf)
	res, err := Read("list.xlsx", bytes.NewReader(buf.Bytes()), ReadOptions{Source: "IT Center"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != "xlsx" || len(res.Indicators) != 2 {
		t.Fatalf("%+v", res)
	}
	a := res.Indicators[0]
	if a.Value != "198.51.100.7" || a.TLP != TLPRed || a.Unit != "BHXH-HN" || a.Action != ActionDisableAccount ||
		!a.ValidUntil.Equal(time.Date(2025, 12, 31, 16, 59, 59, 0, time.UTC)) {
		t.Errorf("%+v", a)
	}
	if len(res.Skipped) != 2 {
		t.Fatalf("problems %+v", res.Skipped)
	}
	if p := res.Skipped[0]; p.Line != 4 || p.Field != "Giá trị" || p.Object != "Data" {
		t.Errorf("%+v", p)
	}
	if p := res.Skipped[1]; p.Line != 5 || p.Field != "TLP" || p.Reason != `unknown TLP marking "purple"` {
		t.Errorf("%+v", p)
	}
	if _, err := Read("list.xlsx", bytes.NewReader(buf.Bytes()), ReadOptions{MaxRows: 2}); err == nil {
		t.Error("no error over the row cap")
	}
	if _, err := ReadAs("xlsx", "x.xlsx", bytes.NewReader([]byte("PK\x03\x04junk")), ReadOptions{}); err == nil {
		t.Error("no error for a broken workbook")
	}
	g := excelize.NewFile()
	g.SetCellValue("Sheet1", "A1", "hostname")
	g.SetCellValue("Sheet1", "B1", "os")
	var gb bytes.Buffer
	g.Write(&gb)
	if _, err := Read("hosts.xlsx", bytes.NewReader(gb.Bytes()), ReadOptions{}); err == nil {
		t.Error("no error for a workbook without our columns")
	}
}
