package monthly

import (
	"bytes"
	"fmt"
	"image/color"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"vigil/internal/docx"
	"vigil/internal/fonts"
	"vigil/internal/i18n"
	"vigil/internal/incident"
)

// DOCXType is the media type of the report's .docx.
const DOCXType = docx.MediaType

// Title is the report's title.
const Title = "BÁO CÁO KỸ THUẬT TÌNH HÌNH AN TOÀN THÔNG TIN HÀNG THÁNG"

// Block is a section of the report as every rendering shows it: a
// heading, lines of text, a table and a chart (any may be empty). The
// PDF, the DOCX and the page are written from the same blocks.
type Block struct {
	Key    string
	Title  string
	Lines  []string
	Table  *Table
	Chart  *Chart
	NoData bool
}

// Table is a block's table; the first column is text, the rest numbers.
type Table struct {
	Head []string
	Rows [][]string
}

// Meta is what a document says about the report's life.
type Meta struct {
	Status      string
	ReviewedBy  string
	ReviewedAt  time.Time
	PublishedBy string
	PublishedAt time.Time
	Watchlist   string // the attached warning list's name; "" none
}

// Num writes an integer the Vietnamese way (1.234.567).
func Num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Percent writes a share as "87,5% (35/40)"; nil is "không có số liệu".
func Percent(s *Share) string {
	if s == nil {
		return noData
	}
	if s.Den == 0 {
		return "— (0/0)"
	}
	return strings.Replace(strconv.FormatFloat(s.Percent, 'f', 1, 64), ".", ",", 1) + "% (" + Num(s.Num) + "/" + Num(s.Den) + ")"
}

const noData = "không có số liệu"

// MonthTitle is "Tháng 11/2026".
func MonthTitle(month string) string {
	y, m, _ := strings.Cut(month, "-")
	return "Tháng " + m + "/" + y
}

func vnDate(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.In(i18n.Location).Format(layout)
}

// maxChartUnits bounds the bars of a per-unit chart (the table lists
// every unit).
const maxChartUnits = 15

// Blocks lays the figures out as the report's sections.
func (f *Figures) Blocks(m Meta) []Block {
	gap := map[string]bool{}
	for _, g := range f.Gaps {
		gap[g] = true
	}
	var out []Block

	// I. Overview.
	ov := Block{Key: "overview", Title: "I. Tổng quan"}
	ov.Lines = append(ov.Lines,
		"Đơn vị: "+f.UnitName+" ("+f.Unit+")",
		"Kỳ báo cáo: từ "+vnDate(f.From, "02/01/2006")+" đến hết "+vnDate(f.To.AddDate(0, 0, -1), "02/01/2006"),
		"Số liệu tính đến: "+vnDate(f.Now, "15:04 02/01/2006"),
		"Số đơn vị trực thuộc trong báo cáo: "+Num(int64(len(f.Units))))
	out = append(out, ov)

	// 1. Alerts by unit and severity.
	b := Block{Key: SectionAlerts, Title: "1. Cảnh báo theo đơn vị và mức độ", NoData: gap[SectionAlerts]}
	if !b.NoData {
		line := "Tổng số cảnh báo: " + Num(f.AlertsTotal)
		for _, c := range f.AlertsBySeverity {
			line += "; " + c.Label + ": " + Num(c.Count)
		}
		b.Lines = append(b.Lines, line)
		if f.AlertsAcked != nil {
			b.Lines = append(b.Lines, "Cảnh báo được xác nhận trong thời gian mục tiêu: "+Percent(f.AlertsAcked))
		}
		t := &Table{Head: []string{"Đơn vị"}}
		for _, s := range Severities {
			t.Head = append(t.Head, label("alert.sev.", s))
		}
		t.Head = append(t.Head, "Tổng")
		ch := &Chart{Title: "Cảnh báo theo đơn vị và mức độ", Stacked: true}
		colors := []color.RGBA{ColorCritical, ColorHigh, ColorMedium, ColorLow, ColorInfo}
		for i, s := range Severities {
			ch.Series = append(ch.Series, Series{Name: label("alert.sev.", s), Color: colors[min(i, len(colors)-1)]})
		}
		rows := byAlerts(f.Units)
		for i, u := range rows {
			r := []string{u.Name}
			for _, n := range u.Alerts {
				r = append(r, Num(n))
			}
			t.Rows = append(t.Rows, append(r, Num(u.AlertsTotal)))
			if i < maxChartUnits && u.AlertsTotal > 0 {
				ch.Labels = append(ch.Labels, u.Name)
				for j := range ch.Series {
					ch.Series[j].Values = append(ch.Series[j].Values, float64(u.Alerts[j]))
				}
			}
		}
		if len(rows) > maxChartUnits {
			ch.Title += " (" + Num(maxChartUnits) + " đơn vị nhiều nhất)"
		}
		b.Table, b.Chart = t, ch
	}
	out = append(out, b)

	// 2. Top rules.
	b = Block{Key: SectionRules, Title: "2. Các quy tắc phát hiện sinh nhiều cảnh báo nhất", NoData: gap[SectionRules]}
	if !b.NoData {
		b.Table, b.Chart = countBlock("Quy tắc", f.TopRules, "Quy tắc phát hiện nhiều cảnh báo nhất", ColorMain)
		if len(f.TopRules) == 0 {
			b.Lines = append(b.Lines, "Không có cảnh báo trong tháng.")
		}
	}
	out = append(out, b)

	// 3. Findings opened and closed.
	b = Block{Key: SectionFindings, Title: "3. Vấn đề phát hiện mới và đã xử lý", NoData: gap[SectionFindings]}
	if !b.NoData {
		b.Lines = append(b.Lines, "Phát hiện mới: "+Num(f.FindingsOpenedTotal)+"; đã xử lý: "+Num(f.FindingsClosedTotal))
		if f.FindingsOverdue != nil {
			b.Lines = append(b.Lines, "Vấn đề còn mở quá hạn xử lý: "+Num(*f.FindingsOverdue))
		}
		t := &Table{Head: []string{"Loại", "Phát hiện mới", "Đã xử lý"}}
		ch := &Chart{Title: "Vấn đề phát hiện mới và đã xử lý theo loại", Series: []Series{{Name: "Phát hiện mới", Color: ColorHigh}, {Name: "Đã xử lý", Color: ColorGood}}}
		for i, c := range f.FindingsOpened {
			t.Rows = append(t.Rows, []string{c.Label, Num(c.Count), Num(f.FindingsClosed[i].Count)})
			ch.Labels = append(ch.Labels, c.Label)
			ch.Series[0].Values = append(ch.Series[0].Values, float64(c.Count))
			ch.Series[1].Values = append(ch.Series[1].Values, float64(f.FindingsClosed[i].Count))
		}
		t.Rows = append(t.Rows, []string{"Tổng", Num(f.FindingsOpenedTotal), Num(f.FindingsClosedTotal)})
		b.Table = t
		if len(ch.Labels) > 0 {
			b.Chart = ch
		}
	}
	out = append(out, b)

	// 4. Microsoft patch state.
	b = Block{Key: SectionPatch, Title: "4. Tình trạng cập nhật bản vá Microsoft", NoData: gap[SectionPatch]}
	if !b.NoData {
		if f.MS2023Open != nil {
			b.Lines = append(b.Lines, "Lỗ hổng Microsoft năm 2023 mức cao/nghiêm trọng chưa khắc phục (không tính chấp nhận rủi ro): "+Num(*f.MS2023Open))
		}
		b.Table, b.Chart = countBlock("Tình trạng", f.PatchState, "Vấn đề bản vá Microsoft theo tình trạng", ColorMain)
	}
	out = append(out, b)

	// 5. Training completion.
	b = Block{Key: SectionTraining, Title: "5. Hoàn thành đào tạo nâng cao nhận thức", NoData: gap[SectionTraining]}
	if !b.NoData {
		b.Lines = append(b.Lines, "Tỷ lệ hoàn thành: "+Percent(f.Completed), "Tỷ lệ đạt bài kiểm tra: "+Percent(f.Passed))
		t := &Table{Head: []string{"Đơn vị", "Hoàn thành", "Đạt"}}
		ch := &Chart{Title: "Tỷ lệ hoàn thành đào tạo theo đơn vị (%)", Suffix: "%", Max: 100, Series: []Series{{Name: "Hoàn thành", Color: ColorGood}}}
		rows := byCompletion(f.Units)
		for _, u := range rows {
			if u.Completed == nil && u.Passed == nil {
				continue
			}
			t.Rows = append(t.Rows, []string{u.Name, Percent(u.Completed), Percent(u.Passed)})
			if u.Completed != nil && u.Completed.Den > 0 && len(ch.Labels) < maxChartUnits {
				ch.Labels = append(ch.Labels, u.Name)
				ch.Series[0].Values = append(ch.Series[0].Values, u.Completed.Percent)
			}
		}
		if len(t.Rows) > 0 {
			b.Table = t
		}
		if len(ch.Labels) > 0 {
			if len(rows) > maxChartUnits {
				ch.Title += " — " + Num(maxChartUnits) + " đơn vị thấp nhất"
			}
			b.Chart = ch
		}
	}
	out = append(out, b)

	// 6. Incidents by category.
	b = Block{Key: SectionIncidents, Title: "6. Sự cố an toàn thông tin theo loại", NoData: f.Incidents == nil}
	if inc := f.Incidents; inc != nil {
		b.Lines = append(b.Lines, "Tổng số sự cố: "+Num(int64(inc.Total))+"; đang xử lý: "+Num(int64(inc.Open))+"; đã đóng: "+Num(int64(inc.Closed)),
			"Đã ngăn chặn: "+Num(int64(inc.Contained))+"; thời gian ngăn chặn (trung vị): "+incident.Duration(time.Duration(inc.MedianContain)*time.Second).Text("vi")+
				"; trung bình: "+incident.Duration(time.Duration(inc.MeanContain)*time.Second).Text("vi"),
			"Báo cáo ban đầu gửi muộn hoặc quá hạn: "+Num(int64(inc.InitialLate)))
		var cats []Count
		for _, c := range inc.ByCategory {
			if c.Count > 0 {
				cats = append(cats, c)
			}
		}
		if len(cats) > 0 {
			b.Table, b.Chart = countBlock("Loại sự cố", cats, "Sự cố theo loại", ColorCritical)
		}
	}
	out = append(out, b)

	// 7. The warning list.
	b = Block{Key: "watchlist", Title: "7. Danh sách cảnh báo tháng tới"}
	switch {
	case m.Watchlist != "":
		b.Lines = append(b.Lines, "Kèm theo báo cáo: "+m.Watchlist+" (tệp CSV và STIX 2.1). Đề nghị các đơn vị rà soát và xử lý theo danh sách.")
	case m.Status == StatusPublished:
		b.Lines = append(b.Lines, "Chưa có danh sách cảnh báo tháng tới được phát hành khi công bố báo cáo.")
	default:
		b.Lines = append(b.Lines, "Danh sách cảnh báo tháng tới được đính kèm khi Trung tâm CNTT công bố báo cáo.")
	}
	out = append(out, b)
	return out
}

func countBlock(head string, counts []Count, title string, c color.RGBA) (*Table, *Chart) {
	t := &Table{Head: []string{head, "Số lượng"}}
	ch := &Chart{Title: title, Series: []Series{{Name: "Số lượng", Color: c}}}
	var nonzero []Count
	for _, x := range counts {
		if x.Count != 0 {
			nonzero = append(nonzero, x)
		}
	}
	counts = nonzero // the JSON keeps the zeros; the page and paper do not
	for _, x := range counts {
		t.Rows = append(t.Rows, []string{x.Label, Num(x.Count)})
		ch.Labels = append(ch.Labels, x.Label)
		ch.Series[0].Values = append(ch.Series[0].Values, float64(x.Count))
	}
	if len(counts) == 0 {
		return nil, nil
	}
	return t, ch
}

// byAlerts orders units by alerts, most first, then by code.
func byAlerts(units []UnitRow) []UnitRow {
	out := append([]UnitRow(nil), units...)
	sortStable(out, func(a, b UnitRow) bool {
		if a.AlertsTotal != b.AlertsTotal {
			return a.AlertsTotal > b.AlertsTotal
		}
		return a.Unit < b.Unit
	})
	return out
}

// byCompletion orders units by completion, lowest first (the ones to
// follow up), units with no data last.
func byCompletion(units []UnitRow) []UnitRow {
	out := append([]UnitRow(nil), units...)
	pct := func(u UnitRow) float64 {
		if u.Completed == nil || u.Completed.Den == 0 {
			return 1000
		}
		return u.Completed.Percent
	}
	sortStable(out, func(a, b UnitRow) bool {
		if pct(a) != pct(b) {
			return pct(a) < pct(b)
		}
		return a.Unit < b.Unit
	})
	return out
}

func sortStable(x []UnitRow, less func(a, b UnitRow) bool) {
	for i := 1; i < len(x); i++ {
		for j := i; j > 0 && less(x[j], x[j-1]); j-- {
			x[j], x[j-1] = x[j-1], x[j]
		}
	}
}

func (m Meta) statusLine() string {
	switch m.Status {
	case StatusPublished:
		return "Đã công bố: " + m.PublishedBy + " — " + vnDate(m.PublishedAt, "15:04 02/01/2006")
	case StatusReviewed:
		return "BẢN NHÁP — đã rà soát: " + m.ReviewedBy + " — " + vnDate(m.ReviewedAt, "15:04 02/01/2006") + ", chưa công bố"
	}
	return "BẢN NHÁP — CHƯA CÔNG BỐ"
}

// FileBase is the documents' file name without extension.
func (f *Figures) FileBase() string { return "bao-cao-ky-thuat-" + f.Month + "-" + f.Unit }

// PDF renders the report on A4 with the embedded DejaVu fonts, charts
// drawn with fpdf's rectangles and text.
func (f *Figures) PDF(m Meta) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes(fonts.Family, "", fonts.Regular())
	pdf.AddUTF8FontFromBytes(fonts.Family, "B", fonts.Bold())
	pdf.SetMargins(20, 15, 15)
	pdf.SetAutoPageBreak(true, 15)
	pdf.SetTitle(Title+" "+MonthTitle(f.Month)+" "+f.UnitName, true)
	pdf.SetCreator("Vigil", true)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont(fonts.Family, "", 8)
		foot := fmt.Sprintf("%s — %s — %s — %d", "Báo cáo kỹ thuật ATTT", MonthTitle(f.Month), f.Unit, pdf.PageNo())
		if m.Status != StatusPublished {
			foot = "BẢN NHÁP — " + foot
		}
		pdf.CellFormat(0, 5, foot, "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	width, _ := pdf.GetPageSize()
	left, _, right, _ := pdf.GetMargins()
	full := width - left - right
	text := func(style string, size, h float64, s, align string) {
		pdf.SetFont(fonts.Family, style, size)
		pdf.MultiCell(full, h, s, "", align, false)
	}
	text("B", 10, 5, "TRUNG TÂM CÔNG NGHỆ THÔNG TIN", "L")
	pdf.Ln(3)
	text("B", 14, 7, Title, "C")
	text("B", 12, 6, MonthTitle(f.Month)+" — "+f.UnitName, "C")
	text("", 9, 5, m.statusLine(), "C")
	pdf.Ln(3)
	for _, b := range f.Blocks(m) {
		text("B", 11, 6, b.Title, "L")
		if b.NoData {
			text("", 10, 5, "Không có số liệu: chưa có nguồn dữ liệu cho mục này.", "L")
		}
		for _, l := range b.Lines {
			text("", 10, 5, l, "L")
		}
		if b.Chart != nil {
			pdf.Ln(1)
			b.Chart.PDF(pdf, full)
		}
		if b.Table != nil {
			pdfTable(pdf, b.Table, full)
		}
		pdf.Ln(2)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("monthly: pdf: %w", err)
	}
	return buf.Bytes(), nil
}

func pdfTable(pdf *fpdf.Fpdf, t *Table, full float64) {
	left, _, _, _ := pdf.GetMargins()
	n := len(t.Head)
	first := full * 0.45
	switch {
	case n == 2:
		first = full * 0.7
	case n > 4:
		first = full * 0.34
	}
	rest := (full - first) / float64(max(n-1, 1))
	row := func(cells []string, style string) {
		pdf.SetFont(fonts.Family, style, 8.5)
		lines := 1
		for i, c := range cells {
			w := rest
			if i == 0 {
				w = first
			}
			if k := len(pdf.SplitText(c, w-1.5)); k > lines {
				lines = k
			}
		}
		h := float64(lines)*4 + 1.5
		_, pageH := pdf.GetPageSize()
		if pdf.GetY()+h > pageH-18 {
			pdf.AddPage()
		}
		y, x := pdf.GetY(), left
		for i, c := range cells {
			w, align := rest, "R"
			if i == 0 {
				w, align = first, "L"
			}
			if style == "B" {
				align = "C"
			}
			pdf.Rect(x, y, w, h, "D")
			pdf.SetXY(x+0.75, y+0.75)
			pdf.MultiCell(w-1.5, 4, c, "", align, false)
			x += w
		}
		pdf.SetXY(left, y+h)
	}
	row(t.Head, "B")
	for _, r := range t.Rows {
		row(r, "")
	}
	pdf.Ln(1)
}

// chartScale is the PNG's pixels per canvas unit: 1 250 px wide, 200 dpi
// at 16 cm on paper. Encoding the PNG is most of a DOCX's time, so no
// more.
const chartScale = 1.25

// DOCX renders the report as a Word document, the charts as PNG images.
func (f *Figures) DOCX(m Meta) ([]byte, error) {
	var w docx.Writer
	w.Para("TRUNG TÂM CÔNG NGHỆ THÔNG TIN", "left", true, 12, 0)
	w.Para(Title, "center", true, 14, 0)
	w.Para(MonthTitle(f.Month)+" — "+f.UnitName, "center", true, 13, 0)
	w.Para(m.statusLine(), "center", false, 11, 0)
	for _, b := range f.Blocks(m) {
		w.Para(b.Title, "left", true, 13, 0)
		if b.NoData {
			w.Para("Không có số liệu: chưa có nguồn dữ liệu cho mục này.", "left", false, 12, 284)
		}
		for _, l := range b.Lines {
			w.Para(l, "left", false, 12, 284)
		}
		if b.Chart != nil {
			img, pw, ph, err := b.Chart.PNG(chartScale)
			if err != nil {
				return nil, err
			}
			w.Image(img, pw, ph, 160, b.Chart.Title)
		}
		if b.Table != nil {
			w.Table(docx.Table{Head: b.Table.Head, Rows: b.Table.Rows, Align: []string{"left"}, Size: 10})
		}
	}
	out, err := w.Bytes(Title + " " + MonthTitle(f.Month) + " " + f.UnitName)
	if err != nil {
		return nil, fmt.Errorf("monthly: %w", err)
	}
	return out, nil
}
