package docx

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

func TestWriterPartsAndImage(t *testing.T) {
	var w Writer
	w.Para("Báo cáo kỹ thuật\ndòng hai", "center", true, 14, 0)
	w.Labelled("Đơn vị", "Sở Y tế <Đắk Lắk>")
	w.Table(Table{Head: []string{"Đơn vị", "Số"}, Rows: [][]string{{"T01", "3"}, {"", "3"}}, Align: []string{"left"}, Bold: func(r []string) bool { return r[0] == "" }})
	png := []byte("\x89PNG fake")
	w.Image(png, 800, 400, 160, `Biểu đồ "cảnh báo"`)
	b, err := w.Bytes("Tiêu đề")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name] = string(data)
	}
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "docProps/core.xml", "word/document.xml", "word/_rels/document.xml.rels", "word/media/image1.png"} {
		if _, ok := files[name]; !ok {
			t.Errorf("no part %s", name)
		}
	}
	if files["word/media/image1.png"] != string(png) {
		t.Error("image bytes changed")
	}
	doc := files["word/document.xml"]
	// Every XML part is well formed.
	for name, data := range files {
		if !strings.HasSuffix(name, ".xml") && !strings.HasSuffix(name, ".rels") {
			continue
		}
		d := xml.NewDecoder(strings.NewReader(data))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
	for _, want := range []string{"Báo cáo kỹ thuật", "Sở Y tế &lt;Đắk Lắk&gt;", `r:embed="rIdImg1"`, `cx="5760000" cy="2880000"`, "&#34;cảnh báo&#34;"} {
		if !strings.Contains(doc, want) {
			t.Errorf("document.xml lacks %q", want)
		}
	}
	if !strings.Contains(files["word/_rels/document.xml.rels"], `Target="media/image1.png"`) || !strings.Contains(files["[Content_Types].xml"], `Extension="png"`) {
		t.Error("image relationship or content type missing")
	}
}
