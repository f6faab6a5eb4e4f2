// Package docx writes WordprocessingML (.docx) documents by hand:
// [Content_Types].xml, the package relationships, docProps/core.xml and
// word/document.xml — paragraphs, runs, tables and PNG images. It is the
// one writer of Vigil's Word documents (the national incident reports of
// internal/natreport, the monthly technical security report of
// internal/monthly). Times New Roman is the font Vietnamese
// administrative documents use (Decree 30/2020); Word substitutes a
// Vietnamese-capable font where it is missing.
package docx

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

// MediaType is the media type of a .docx file.
const MediaType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

const packageRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>
</Relationships>`

// Esc escapes s for XML text.
func Esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Writer accumulates the body of document.xml and the images it shows.
type Writer struct {
	b      strings.Builder
	images [][]byte
}

// Para writes a paragraph; text lines become runs separated by breaks.
// align is "left", "center", "right" or ""; size is in points (0: the
// default); indent is in twentieths of a point.
func (w *Writer) Para(text, align string, bold bool, size int, indent int) {
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
		w.b.WriteString(`<w:t xml:space="preserve">` + Esc(l) + `</w:t></w:r>`)
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

// Labelled writes "Label: value" with the label in a run of its own.
func (w *Writer) Labelled(label, value string) {
	w.b.WriteString(`<w:p><w:pPr><w:ind w:left="284"/><w:spacing w:after="40"/></w:pPr>`)
	w.b.WriteString("<w:r>" + runProps(false, 13) + `<w:t xml:space="preserve">` + Esc(label+": ") + "</w:t></w:r>")
	for i, l := range strings.Split(value, "\n") {
		w.b.WriteString("<w:r>" + runProps(false, 13))
		if i > 0 {
			w.b.WriteString("<w:br/>")
		}
		w.b.WriteString(`<w:t xml:space="preserve">` + Esc(l) + `</w:t></w:r>`)
	}
	w.b.WriteString("</w:p>")
}

// Table is a bordered table: a header row and rows of cells.
type Table struct {
	Head []string
	Rows [][]string
	// Align holds each column's alignment ("left", "center", "right");
	// a column past its end is right-aligned (numbers). The header is
	// centred.
	Align []string
	// Bold reports whether a row is printed bold (a total), and centred
	// when CenterBold.
	Bold       func(row []string) bool
	CenterBold bool
	Size       int // points; 11 when 0
}

// Table writes t.
func (w *Writer) Table(t Table) {
	size := t.Size
	if size == 0 {
		size = 11
	}
	w.b.WriteString(`<w:tbl><w:tblPr><w:tblW w:w="5000" w:type="pct"/><w:tblBorders>`)
	for _, e := range []string{"top", "left", "bottom", "right", "insideH", "insideV"} {
		w.b.WriteString(`<w:` + e + ` w:val="single" w:sz="4" w:space="0" w:color="000000"/>`)
	}
	w.b.WriteString(`</w:tblBorders></w:tblPr>`)
	row := func(cells []string, header, bold bool) {
		w.b.WriteString("<w:tr>")
		for i, c := range cells {
			align := "right"
			if i < len(t.Align) && t.Align[i] != "" {
				align = t.Align[i]
			}
			if header || (bold && t.CenterBold) {
				align = "center"
			}
			w.b.WriteString(`<w:tc><w:tcPr><w:tcW w:w="0" w:type="auto"/></w:tcPr><w:p><w:pPr><w:jc w:val="` + align + `"/></w:pPr><w:r>` +
				runProps(header || bold, size) + `<w:t xml:space="preserve">` + Esc(c) + `</w:t></w:r></w:p></w:tc>`)
		}
		w.b.WriteString("</w:tr>")
	}
	row(t.Head, true, true)
	for _, r := range t.Rows {
		row(r, false, t.Bold != nil && t.Bold(r))
	}
	w.b.WriteString("</w:tbl>")
}

// emuPerMM converts millimetres to the English Metric Units DrawingML
// sizes are written in.
const emuPerMM = 36000

// Image writes a PNG as a centred paragraph of its own, widthMM wide,
// its height in proportion to pxW×pxH; alt is its description (what a
// screen reader says, and the text a reader of document.xml finds).
func (w *Writer) Image(png []byte, pxW, pxH int, widthMM float64, alt string) {
	w.images = append(w.images, png)
	n := len(w.images)
	cx := int64(widthMM * emuPerMM)
	cy := cx * int64(pxH) / int64(max(pxW, 1))
	fmt.Fprintf(&w.b, `<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:drawing>`+
		`<wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="%d" cy="%d"/><wp:docPr id="%d" name="Chart %d" descr="%s"/>`+
		`<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">`+
		`<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:nvPicPr><pic:cNvPr id="%d" name="image%d.png"/><pic:cNvPicPr/></pic:nvPicPr>`+
		`<pic:blipFill><a:blip r:embed="rIdImg%d"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>`+
		`<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="%d" cy="%d"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>`+
		`</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>`,
		cx, cy, n, n, xmlAttr(alt), n, n, n, cx, cy)
}

// xmlAttr escapes s for an attribute value (xml.EscapeText escapes the
// quotes and writes a newline as &#xA;).
func xmlAttr(s string) string { return Esc(s) }

// Bytes returns the .docx file, titled title in its properties. The page
// is A4 with the margins of Decree 30/2020.
func (w *Writer) Bytes(title string) ([]byte, error) {
	body := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"` +
		` xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"` +
		` xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"><w:body>` + w.b.String() +
		`<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" w:right="1134" w:bottom="1134" w:left="1701" w:header="709" w:footer="709" w:gutter="0"/></w:sectPr>` +
		`</w:body></w:document>`
	core := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">` +
		`<dc:title>` + Esc(title) + `</dc:title><dc:creator>Vigil</dc:creator></cp:coreProperties>`
	types := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Default Extension="png" ContentType="image/png"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>
</Types>`
	parts := []struct {
		name string
		data []byte
	}{
		{"[Content_Types].xml", []byte(types)},
		{"_rels/.rels", []byte(packageRels)},
		{"docProps/core.xml", []byte(core)},
		{"word/document.xml", []byte(body)},
	}
	if len(w.images) > 0 {
		var rels strings.Builder
		rels.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
		for i, img := range w.images {
			fmt.Fprintf(&rels, `<Relationship Id="rIdImg%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image%d.png"/>`, i+1, i+1)
			parts = append(parts, struct {
				name string
				data []byte
			}{fmt.Sprintf("word/media/image%d.png", i+1), img})
		}
		rels.WriteString(`</Relationships>`)
		parts = append(parts, struct {
			name string
			data []byte
		}{"word/_rels/document.xml.rels", []byte(rels.String())})
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, part := range parts {
		f, err := zw.Create(part.name)
		if err != nil {
			return nil, fmt.Errorf("docx: %w", err)
		}
		if _, err := f.Write(part.data); err != nil {
			return nil, fmt.Errorf("docx: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("docx: %w", err)
	}
	return buf.Bytes(), nil
}
