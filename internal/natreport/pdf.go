package natreport

import (
	"bytes"
	"fmt"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"vigil/internal/fonts"
)

// PDF renders the document on A4 with the embedded DejaVu fonts, so the
// Vietnamese prints right on a hub with no font installed. A draft says
// so in its header and footer.
func (d *Document) PDF() ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes(fonts.Family, "", fonts.Regular())
	pdf.AddUTF8FontFromBytes(fonts.Family, "B", fonts.Bold())
	pdf.SetMargins(20, 15, 15)
	pdf.SetAutoPageBreak(true, 15)
	pdf.SetTitle(d.Title+" "+d.Number, true)
	pdf.SetCreator("Vigil", true)
	draft := d.Status != StatusApproved
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont(fonts.Family, "", 8)
		foot := fmt.Sprintf("%s — %s — %d", d.Code, d.NumberLine(), pdf.PageNo())
		if draft {
			foot = "BẢN NHÁP — " + foot
		}
		pdf.CellFormat(0, 5, foot, "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	width, _ := pdf.GetPageSize()
	left, _, right, _ := pdf.GetMargins()
	full := width - left - right

	text := func(style string, size float64, h float64, s, align string) {
		if strings.TrimSpace(s) == "" {
			return
		}
		pdf.SetFont(fonts.Family, style, size)
		pdf.MultiCell(full, h, s, "", align, false)
	}
	text("", 8, 4, d.Code+" "+d.Basis, "R")
	pdf.Ln(2)
	text("B", 11, 5, d.Nation, "C")
	text("B", 11, 5, d.Motto, "C")
	pdf.Ln(3)
	text("", 10, 5, d.NumberLine(), "L")
	text("", 10, 5, d.DateLine(), "R")
	pdf.Ln(2)
	if draft {
		text("B", 10, 5, "BẢN NHÁP — CHƯA PHÊ DUYỆT", "C")
	}
	text("B", 14, 7, d.Title, "C")
	if d.Period != nil {
		text("B", 11, 6, d.Fields["period"], "C")
	}
	pdf.Ln(1)
	text("", 10, 5, d.To, "C")
	pdf.Ln(3)

	for _, s := range d.Sections {
		if s.Key == "signature" {
			break
		}
		text("B", 11, 6, s.Title, "L")
		for _, it := range s.Items {
			d.pdfItem(pdf, it, full)
		}
		if s.Key == "table" && d.Table != nil {
			d.pdfTable(pdf, full)
		}
		pdf.Ln(1.5)
	}

	// Signature block on the right half.
	pdf.Ln(4)
	half := full / 2
	sigLine := func(style string, s string) {
		if strings.TrimSpace(s) == "" {
			return
		}
		pdf.SetX(left + half)
		pdf.SetFont(fonts.Family, style, 10)
		pdf.MultiCell(half, 5, s, "", "C", false)
	}
	for _, s := range d.Sections {
		if s.Key == "signature" {
			sigLine("B", s.Title)
		}
	}
	sigLine("", d.Fields["signer_title"])
	sigLine("", d.Sign)
	pdf.Ln(14)
	sigLine("B", d.Fields["signer_name"])
	if d.ApprovedBy != "" {
		sigLine("", "Phê duyệt trên Vigil: "+d.ApprovedBy+" — "+vnTime(d.ApprovedAt, "02/01/2006 15:04"))
	}
	pdf.Ln(4)
	text("", 8, 4, d.Mandatory, "L")

	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("natreport: pdf: %w", err)
	}
	return b.Bytes(), nil
}

func (d *Document) pdfItem(pdf *fpdf.Fpdf, it DocItem, full float64) {
	left, _, _, _ := pdf.GetMargins()
	pdf.SetFont(fonts.Family, "", 10)
	if len(it.Choices) > 0 {
		pdf.MultiCell(full, 5, it.Label+":", "", "L", false)
		for _, c := range it.Choices {
			box := "☐"
			if c.Checked {
				box = "☒"
			}
			pdf.SetX(left + 6)
			label := c.Label
			if c.Checked && c.Code == "other" && d.Fields["detection_note"] != "" && it.Key == "detection" {
				label += ": " + d.Fields["detection_note"]
			}
			pdf.MultiCell(full-6, 5, box+" "+label, "", "L", false)
		}
		return
	}
	v := it.Value
	if v == "" {
		v = "……………………"
	}
	if strings.Contains(v, "\n") {
		pdf.MultiCell(full, 5, it.Label+":", "", "L", false)
		pdf.SetX(left + 6)
		pdf.MultiCell(full-6, 5, v, "", "L", false)
		return
	}
	pdf.MultiCell(full, 5, it.Label+": "+v, "", "L", false)
}

// pdfTable draws Mẫu 05's table: wrapped header cells, numbers right-aligned.
func (d *Document) pdfTable(pdf *fpdf.Fpdf, full float64) {
	left, _, _, _ := pdf.GetMargins()
	widths := []float64{8, 48}
	rest := (full - 56) / 6
	for range 6 {
		widths = append(widths, rest)
	}
	row := func(cells []string, style string, header bool) {
		pdf.SetFont(fonts.Family, style, 8)
		h := 4.0
		lines := 1
		for i, c := range cells {
			if n := len(pdf.SplitText(c, widths[i]-1.5)); n > lines {
				lines = n
			}
		}
		height := float64(lines)*h + 1.5
		_, pageH := pdf.GetPageSize()
		if pdf.GetY()+height > pageH-18 {
			pdf.AddPage()
		}
		y := pdf.GetY()
		x := left
		for i, c := range cells {
			pdf.Rect(x, y, widths[i], height, "D")
			pdf.SetXY(x+0.75, y+0.75)
			align := "R"
			if header || i == 1 {
				align = "L"
			}
			if header || i == 0 {
				align = "C"
			}
			pdf.MultiCell(widths[i]-1.5, h, c, "", align, false)
			x += widths[i]
		}
		pdf.SetXY(left, y+height)
	}
	row(d.Table.Head, "B", true)
	for _, r := range d.Table.Rows {
		style := ""
		if r[0] == "" {
			style = "B"
		}
		row(r, style, false)
	}
	pdf.Ln(2)
}
