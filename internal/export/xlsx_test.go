package export

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestXLSXCellsAreText writes cells that a spreadsheet would run as
// formulas and reads the workbook back: every cell holds its text and no
// cell is a formula.
func TestXLSXCellsAreText(t *testing.T) {
	var buf bytes.Buffer
	x := NewXLSX(&buf, "Phát hiện")
	rows := [][]string{
		{"Máy", "Chỉ báo", "Ghi chú"},
		{"=HYPERLINK(\"http://evil.example\",\"bấm\")", "+cmd|' /C calc'!A0", "@SUM(1+1)"},
		{"-2+3", "\tx", "Nguyễn Văn A"},
	}
	for _, r := range rows {
		if err := x.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if name := f.GetSheetName(0); name != "Phát hiện" {
		t.Errorf("sheet %q", name)
	}
	for i, r := range rows {
		for j, want := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			got, err := f.GetCellValue("Phát hiện", cell)
			if err != nil || got != want {
				t.Errorf("%s = %q (%v), want %q", cell, got, err, want)
			}
			if formula, _ := f.GetCellFormula("Phát hiện", cell); formula != "" {
				t.Errorf("%s is a formula: %q", cell, formula)
			}
			if typ, _ := f.GetCellType("Phát hiện", cell); typ == excelize.CellTypeFormula {
				t.Errorf("%s has formula type", cell)
			}
		}
	}
	if w, err := f.GetColWidth("Phát hiện", "A"); err != nil || w < 20 {
		t.Errorf("column A width %v (%v), want it to fit the longest cell", w, err)
	}
}

// TestXLSXManyRows checks the stream writer keeps going past a few
// thousand rows (it spills to a temporary file).
func TestXLSXManyRows(t *testing.T) {
	var buf bytes.Buffer
	x := NewXLSX(&buf, "hosts")
	x.Write([]string{"n"})
	for i := range 20000 {
		if err := x.Write([]string{strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("hosts", "A20001"); v != "19999" {
		t.Errorf("last row %q", v)
	}
}
