package export

import (
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// XLSXWriter writes one sheet of an Office Open XML workbook, row by row,
// through excelize's stream writer (rows go to a temporary file, not
// memory). Every cell is written as a string cell, so nothing an attacker
// puts in a host name or a log field can become a formula: a cell that
// starts with "=" is shown as the text it is. The first row is the header,
// bold and frozen.
type XLSXWriter struct {
	w       io.Writer
	f       *excelize.File
	sw      *excelize.StreamWriter
	row     int
	widths  []int
	pending [][]string // the first rows, held until column widths are known
	bold    int
	err     error
}

// NewXLSX returns a writer of a workbook with one sheet named sheet. Call
// Flush to write the workbook to w.
func NewXLSX(w io.Writer, sheet string) *XLSXWriter {
	x := &XLSXWriter{w: w, f: excelize.NewFile()}
	if sheet == "" {
		sheet = "Sheet1"
	}
	if len(sheet) > 31 { // Excel's limit on sheet names
		sheet = sheet[:31]
	}
	if err := x.f.SetSheetName("Sheet1", sheet); err != nil {
		x.err = err
		return x
	}
	x.sw, x.err = x.f.NewStreamWriter(sheet)
	if x.err == nil {
		x.bold, x.err = x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	}
	if x.err == nil {
		x.err = x.sw.SetPanes(&excelize.Panes{Freeze: true, Split: false, XSplit: 0, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}
	return x
}

// widthSample is how many rows decide the column widths.
const widthSample = 200

// Write adds one row; the first row written is the header.
func (x *XLSXWriter) Write(record []string) error {
	if x.err != nil {
		return x.err
	}
	if x.pending != nil || x.row == 0 {
		for i, v := range record {
			if i >= len(x.widths) {
				x.widths = append(x.widths, 0)
			}
			if n := utf8.RuneCountInString(v); n > x.widths[i] {
				x.widths[i] = n
			}
		}
		x.pending = append(x.pending, append([]string(nil), record...))
		if len(x.pending) < widthSample {
			return nil
		}
		return x.release()
	}
	return x.writeRow(record)
}

// release sets the column widths (the stream writer takes them only before
// the first row) and writes the rows held back.
func (x *XLSXWriter) release() error {
	for i, n := range x.widths {
		if err := x.sw.SetColWidth(i+1, i+1, float64(min(max(n, 6), 60))+2); err != nil {
			x.err = err
			return err
		}
	}
	rows := x.pending
	x.pending = nil
	for _, r := range rows {
		if err := x.writeRow(r); err != nil {
			return err
		}
	}
	return nil
}

func (x *XLSXWriter) writeRow(record []string) error {
	x.row++
	cells := make([]any, len(record))
	for i, v := range record {
		c := excelize.Cell{Value: v}
		if x.row == 1 {
			c.StyleID = x.bold
		}
		cells[i] = c
	}
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err == nil {
		err = x.sw.SetRow(cell, cells)
	}
	if err != nil {
		x.err = fmt.Errorf("export: xlsx row %d: %w", x.row, err)
	}
	return x.err
}

// Flush finishes the sheet and writes the workbook.
func (x *XLSXWriter) Flush() error {
	defer x.f.Close()
	if x.err == nil && x.pending != nil {
		x.release()
	}
	if x.err != nil {
		return x.err
	}
	if err := x.sw.Flush(); err != nil {
		return err
	}
	_, err := x.f.WriteTo(x.w)
	return err
}
