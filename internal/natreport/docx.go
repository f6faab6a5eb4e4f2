package natreport

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

// DOCX renders the document as a WordprocessingML package written by
// hand: [Content_Types].xml, the package relationships, and
// word/document.xml — paragraphs, runs and one table. Times New Roman is
// the font Vietnamese administrative documents use (Decree 30/2020); Word
// substitutes a Vietnamese-capable font where it is missing.

// DOCXType is the media type of a .docx file.
const DOCXType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

const contentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>
</Types>`

const packageRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>
</Relationships>`

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// docxWriter accumulates the body of document.xml.
type docxWriter struct{ b strings.Builder }

// para writes a paragraph; text lines become runs separated by breaks.
func (w *docxWriter) para(text, align string, bold bool, size int, indent int) {
	w.b.WriteString("<w:p><w:pPr>")
	if align != "" {
		w.b.WriteString(`<w:jc w:val="` + align + `"/>`)
	}
	if indent > 0 {
		fmt.Fprintf(&w.b, `<w:ind w:left="%d"/>`, indent)
	}
	w.b.WriteString(`<w:spacing w:after="60"/></w:pPr>`)
	for i, l := range strings.Split(text, "\n") {
		w.b.WriteString("<w:r>" + runProps(bold, size))
		if i > 0 {
			w.b.WriteString("<w:br/>")
		}
		w.b.WriteString(`<w:t xml:space="preserve">` + esc(l) + `</w:t></w:r>`)
	}
	w.b.WriteString("</w:p>")
}

func runProps(bold bool, size int) string {
	s := `<w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:cs="Times New Roman"/>`
	if bold {
		s += "<w:b/>"
	}
	if size > 0 {
		s += fmt.Sprintf(`<w:sz w:val="%d"/>`, size*2)
	}
	return s + "</w:rPr>"
}

// labelled writes "Label: value" with the label in a run of its own.
func (w *docxWriter) labelled(label, value string) {
	w.b.WriteString(`<w:p><w:pPr><w:ind w:left="284"/><w:spacing w:after="40"/></w:pPr>`)
	w.b.WriteString("<w:r>" + runProps(false, 13) + `<w:t xml:space="preserve">` + esc(label+": ") + "</w:t></w:r>")
	for i, l := range strings.Split(value, "\n") {
		w.b.WriteString("<w:r>" + runProps(false, 13))
		if i > 0 {
			w.b.WriteString("<w:br/>")
		}
		w.b.WriteString(`<w:t xml:space="preserve">` + esc(l) + `</w:t></w:r>`)
	}
	w.b.WriteString("</w:p>")
}

func (w *docxWriter) table(t *DocTable) {
	w.b.WriteString(`<w:tbl><w:tblPr><w:tblW w:w="5000" w:type="pct"/><w:tblBorders>`)
	for _, e := range []string{"top", "left", "bottom", "right", "insideH", "insideV"} {
		w.b.WriteString(`<w:` + e + ` w:val="single" w:sz="4" w:space="0" w:color="000000"/>`)
	}
	w.b.WriteString(`</w:tblBorders></w:tblPr>`)
	row := func(cells []string, bold bool) {
		w.b.WriteString("<w:tr>")
		for i, c := range cells {
			align := "right"
			if i == 1 {
				align = "left"
			}
			if bold || i == 0 {
				align = "center"
			}
			w.b.WriteString(`<w:tc><w:tcPr><w:tcW w:w="0" w:type="auto"/></w:tcPr><w:p><w:pPr><w:jc w:val="` + align + `"/></w:pPr><w:r>` +
				runProps(bold, 11) + `<w:t xml:space="preserve">` + esc(c) + `</w:t></w:r></w:p></w:tc>`)
		}
		w.b.WriteString("</w:tr>")
	}
	row(t.Head, true)
	for _, r := range t.Rows {
		row(r, r[0] == "")
	}
	w.b.WriteString("</w:tbl>")
}

// DOCX returns the document as a .docx file.
func (d *Document) DOCX() ([]byte, error) {
	var w docxWriter
	draft := d.Status != StatusApproved
	w.para(d.Code+" "+d.Basis, "right", false, 10, 0)
	w.para(d.Nation, "center", true, 13, 0)
	w.para(d.Motto, "center", true, 13, 0)
	w.para(d.NumberLine(), "left", false, 13, 0)
	if dl := d.DateLine(); dl != "" {
		w.para(dl, "right", false, 13, 0)
	}
	if draft {
		w.para("BẢN NHÁP — CHƯA PHÊ DUYỆT", "center", true, 12, 0)
	}
	w.para(d.Title, "center", true, 14, 0)
	if d.Period != nil {
		w.para(d.Fields["period"], "center", true, 13, 0)
	}
	w.para(d.To, "center", false, 13, 0)
	for _, s := range d.Sections {
		if s.Key == "signature" {
			break
		}
		w.para(s.Title, "left", true, 13, 0)
		for _, it := range s.Items {
			if len(it.Choices) > 0 {
				w.para(it.Label+":", "left", false, 13, 284)
				for _, c := range it.Choices {
					box := "☐"
					if c.Checked {
						box = "☒"
					}
					label := c.Label
					if c.Checked && c.Code == "other" && it.Key == "detection" && d.Fields["detection_note"] != "" {
						label += ": " + d.Fields["detection_note"]
					}
					w.para(box+" "+label, "left", false, 13, 567)
				}
				continue
			}
			v := it.Value
			if v == "" {
				v = "……………………"
			}
			w.labelled(it.Label, v)
		}
		if s.Key == "table" && d.Table != nil {
			w.table(d.Table)
		}
	}
	for _, s := range d.Sections {
		if s.Key == "signature" {
			w.para(s.Title, "right", true, 13, 0)
		}
	}
	if t := d.Fields["signer_title"]; t != "" {
		w.para(t, "right", false, 13, 0)
	}
	w.para(d.Sign, "right", false, 12, 0)
	w.para("\n\n", "right", false, 13, 0)
	if n := d.Fields["signer_name"]; n != "" {
		w.para(n, "right", true, 13, 0)
	}
	if d.ApprovedBy != "" {
		w.para("Phê duyệt trên Vigil: "+d.ApprovedBy+" — "+vnTime(d.ApprovedAt, "02/01/2006 15:04"), "right", false, 10, 0)
	}
	w.para(d.Mandatory, "left", false, 10, 0)

	body := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + w.b.String() +
		`<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" w:right="1134" w:bottom="1134" w:left="1701" w:header="709" w:footer="709" w:gutter="0"/></w:sectPr>` +
		`</w:body></w:document>`
	core := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">` +
		`<dc:title>` + esc(d.Title+" "+d.Number) + `</dc:title><dc:creator>Vigil</dc:creator></cp:coreProperties>`

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, part := range []struct{ name, data string }{
		{"[Content_Types].xml", contentTypes},
		{"_rels/.rels", packageRels},
		{"docProps/core.xml", core},
		{"word/document.xml", body},
	} {
		f, err := zw.Create(part.name)
		if err != nil {
			return nil, fmt.Errorf("natreport: docx: %w", err)
		}
		if _, err := f.Write([]byte(part.data)); err != nil {
			return nil, fmt.Errorf("natreport: docx: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("natreport: docx: %w", err)
	}
	return buf.Bytes(), nil
}
