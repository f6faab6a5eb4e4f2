package fonts

import (
	"bytes"
	"testing"

	"codeberg.org/go-pdf/fpdf"
)

// TestVietnameseInPDF: both faces load into fpdf and set Vietnamese text
// (every tone mark on every vowel, and đ/Đ) without an error.
func TestVietnameseInPDF(t *testing.T) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes(Family, "", Regular())
	pdf.AddUTF8FontFromBytes(Family, "B", Bold())
	pdf.AddPage()
	for _, style := range []string{"", "B"} {
		pdf.SetFont(Family, style, 12)
		pdf.MultiCell(0, 6, "Báo cáo ban đầu sự cố mạng — Đơn vị: Bảo hiểm xã hội tỉnh Quảng Ngãi. "+
			"àáảãạ ằắẳẵặ ầấẩẫậ èéẻẽẹ ềếểễệ ìíỉĩị òóỏõọ ồốổỗộ ờớởỡợ ùúủũụ ừứửữự ỳýỷỹỵ đĐ", "", "L", false)
	}
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		t.Fatal(err)
	}
	if b.Len() < 1000 || !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %d bytes", b.Len())
	}
}
