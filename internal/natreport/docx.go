package natreport

import (
	"fmt"

	"vigil/internal/docx"
)

// DOCX renders the document through internal/docx (the hub's one Word
// writer): paragraphs, runs and, for Mẫu 05, one table.

// DOCXType is the media type of a .docx file.
const DOCXType = docx.MediaType

// DOCX returns the document as a .docx file.
func (d *Document) DOCX() ([]byte, error) {
	var w docx.Writer
	draft := d.Status != StatusApproved
	w.Para(d.Code+" "+d.Basis, "right", false, 10, 0)
	w.Para(d.Nation, "center", true, 13, 0)
	w.Para(d.Motto, "center", true, 13, 0)
	w.Para(d.NumberLine(), "left", false, 13, 0)
	if dl := d.DateLine(); dl != "" {
		w.Para(dl, "right", false, 13, 0)
	}
	if draft {
		w.Para("BẢN NHÁP — CHƯA PHÊ DUYỆT", "center", true, 12, 0)
	}
	w.Para(d.Title, "center", true, 14, 0)
	if d.Period != nil {
		w.Para(d.Fields["period"], "center", true, 13, 0)
	}
	w.Para(d.To, "center", false, 13, 0)
	for _, s := range d.Sections {
		if s.Key == "signature" {
			break
		}
		w.Para(s.Title, "left", true, 13, 0)
		for _, it := range s.Items {
			if len(it.Choices) > 0 {
				w.Para(it.Label+":", "left", false, 13, 284)
				for _, c := range it.Choices {
					box := "☐"
					if c.Checked {
						box = "☒"
					}
					label := c.Label
					if c.Checked && c.Code == "other" && it.Key == "detection" && d.Fields["detection_note"] != "" {
						label += ": " + d.Fields["detection_note"]
					}
					w.Para(box+" "+label, "left", false, 13, 567)
				}
				continue
			}
			v := it.Value
			if v == "" {
				v = "……………………"
			}
			w.Labelled(it.Label, v)
		}
		if s.Key == "table" && d.Table != nil {
			w.Table(docx.Table{Head: d.Table.Head, Rows: d.Table.Rows, Align: []string{"center", "left"},
				Bold: func(r []string) bool { return r[0] == "" }, CenterBold: true})
		}
	}
	for _, s := range d.Sections {
		if s.Key == "signature" {
			w.Para(s.Title, "right", true, 13, 0)
		}
	}
	if t := d.Fields["signer_title"]; t != "" {
		w.Para(t, "right", false, 13, 0)
	}
	w.Para(d.Sign, "right", false, 12, 0)
	w.Para("\n\n", "right", false, 13, 0)
	if n := d.Fields["signer_name"]; n != "" {
		w.Para(n, "right", true, 13, 0)
	}
	if d.ApprovedBy != "" {
		w.Para("Phê duyệt trên Vigil: "+d.ApprovedBy+" — "+vnTime(d.ApprovedAt, "02/01/2006 15:04"), "right", false, 10, 0)
	}
	w.Para(d.Mandatory, "left", false, 10, 0)

	b, err := w.Bytes(d.Title + " " + d.Number)
	if err != nil {
		return nil, fmt.Errorf("natreport: %w", err)
	}
	return b, nil
}
