package format

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// XLSX limits: the file's size, what it may unzip to, and the rows read
// unless ReadOptions.MaxRows says otherwise.
const (
	maxXLSXSize    = 64 << 20
	maxXLSXUnzip   = 512 << 20
	defaultMaxRows = 100_000
)

// TemplateSheet is the template's data sheet; Read takes it, or else the
// first sheet with a header naming type and value.
const TemplateSheet = "Danh sách"

// templateColumns are the template's columns: Vietnamese header (with
// the column's name in brackets, which is what Read goes by), English
// header below it, and what the instructions say of each.
var templateColumns = []struct{ name, vi, en, helpVI, helpEN string }{
	{"type", "Loại chỉ báo", "Kind", "Bắt buộc. Chọn trong danh sách: địa chỉ IP hoặc dải mạng (CIDR), tên miền, URL, mã băm SHA-256/SHA-1/MD5, tài khoản, tên máy, e-mail.", "Required. Pick from the list: IP address or network (CIDR), domain, URL, SHA-256/SHA-1/MD5 hash, account, host name, e-mail."},
	{"value", "Giá trị", "Value", "Bắt buộc. Ví dụ 203.0.113.7, 10.0.0.0/8, evil.example, http://evil.example/a, corp\\user. Có thể dán dạng đã vô hiệu hoá (hxxp, [.]).", "Required. E.g. 203.0.113.7, 10.0.0.0/8, evil.example, http://evil.example/a, corp\\user."},
	{"comment", "Ghi chú", "Comment", "Tuỳ chọn.", "Optional."},
	{"source", "Nguồn", "Source", "Tổ chức đưa ra cảnh báo; để trống là nguồn của lần nhập.", "Who issued it; empty: the import's source."},
	{"confidence", "Độ tin cậy", "Confidence", "Số nguyên 0–100; để trống là 50.", "Whole number 0–100; empty: 50."},
	{"tlp", "TLP", "TLP", "clear, green, amber, amber+strict, red; để trống là amber.", "clear, green, amber, amber+strict, red; empty: amber."},
	{"first_seen", "Thấy lần đầu", "First seen", "Ngày dd/mm/yyyy.", "Date dd/mm/yyyy."},
	{"last_seen", "Thấy lần cuối", "Last seen", "Ngày dd/mm/yyyy.", "Date dd/mm/yyyy."},
	{"valid_until", "Hiệu lực đến", "Valid until", "Ngày dd/mm/yyyy (hết ngày đó); để trống là không hết hạn.", "Date dd/mm/yyyy (to the end of that day); empty: no end."},
	{"tags", "Nhãn", "Tags", "Ngăn cách bằng dấu ; hoặc |.", "Separated by ; or |."},
	{"report", "Báo cáo", "Report", "Báo cáo nêu chỉ báo này, ví dụ BC-11/2026.", "The report it comes from, e.g. BC-11/2026."},
	{"unit", "Đơn vị", "Unit", "Mã đơn vị nếu chỉ áp dụng cho đơn vị đó (và đơn vị cấp dưới); để trống là mọi đơn vị.", "Unit code when it applies to that unit (and below) only; empty: every unit."},
	{"action", "Biện pháp", "Action", "Việc đơn vị phải làm; để trống là theo đối tượng khớp (quét toàn bộ cho địa chỉ, tên máy; gỡ bỏ cho mã băm; đặt lại mật khẩu hoặc vô hiệu hóa cho tài khoản).", "What the unit must do; empty: by what matched (full scan for an address or host name, removal for a hash, password reset or disabling for an account)."},
	{"severity", "Mức độ", "Severity", "Nghiêm trọng, cao, trung bình, thấp; để trống là cao.", "Critical, high, medium, low; empty: high."},
	{"reason", "Lý do", "Reason", "Vì sao chỉ báo có trong danh sách.", "Why it is on the list."},
}

// Drop-down labels: "Vietnamese (code)", read back by their code.
var (
	kindLabels = []string{"Địa chỉ IP (ip)", "Tên miền (domain)", "URL (url)", "SHA-256 (sha256)", "SHA-1 (sha1)", "MD5 (md5)",
		"Tài khoản (account)", "Tên máy (hostname)", "E-mail (email)"}
	tlpLabels    = []string{"clear", "green", "amber", "amber+strict", "red"}
	actionLabels = []string{"Quét toàn bộ mã độc (scan)", "Chặn tại biên (block)", "Gỡ bỏ tệp/phần mềm (removal)",
		"Đổi mật khẩu (password_reset)", "Khoá tài khoản (disable_account)", "Cài lại máy (reimage)"}
	severityLabels = []string{"Nghiêm trọng (critical)", "Cao (high)", "Trung bình (medium)", "Thấp (low)"}
)

// Template is the warning-list XLSX template: the data sheet "Danh sách"
// (row 1 Vietnamese headers with each column's name in brackets, row 2
// the English headers, data from row 3, drop-downs for kind, TLP, action
// and severity), and an instructions sheet in Vietnamese and English.
func Template() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", TemplateSheet); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return nil, err
	}
	italic, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Italic: true, Color: "555555"}})
	const lastRow = 10002
	for i, c := range templateColumns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		f.SetCellValue(TemplateSheet, col+"1", c.vi+" ("+c.name+")")
		f.SetCellValue(TemplateSheet, col+"2", c.en)
		f.SetColWidth(TemplateSheet, col, col, float64(max(14, len([]rune(c.vi))+len(c.name)+4)))
		var list []string
		switch c.name {
		case "type":
			list = kindLabels
		case "tlp":
			list = tlpLabels
		case "action":
			list = actionLabels
		case "severity":
			list = severityLabels
		}
		if list != nil {
			dv := excelize.NewDataValidation(true)
			dv.Sqref = fmt.Sprintf("%s3:%s%d", col, col, lastRow)
			if err := dv.SetDropList(list); err != nil {
				return nil, err
			}
			dv.SetError(excelize.DataValidationErrorStyleStop, "Giá trị không hợp lệ / Invalid value", "Chọn trong danh sách / Pick from the list")
			if err := f.AddDataValidation(TemplateSheet, dv); err != nil {
				return nil, err
			}
		}
	}
	last, _ := excelize.ColumnNumberToName(len(templateColumns))
	f.SetCellStyle(TemplateSheet, "A1", last+"1", bold)
	f.SetCellStyle(TemplateSheet, "A2", last+"2", italic)
	f.SetPanes(TemplateSheet, &excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"})
	// One example row, which users overwrite.
	for i, v := range []string{"Địa chỉ IP (ip)", "203.0.113.7", "Máy chủ điều khiển (ví dụ)", "", "80", "amber", "01/11/2026", "", "31/12/2026",
		"c2;ví dụ", "BC-11/2026", "", "Quét toàn bộ mã độc (scan)", "Cao (high)", "Kết nối tới máy chủ điều khiển"} {
		col, _ := excelize.ColumnNumberToName(i + 1)
		f.SetCellValue(TemplateSheet, col+"3", v)
	}

	const help = "Hướng dẫn - Instructions"
	f.NewSheet(help)
	rows := [][]string{
		{"Mẫu danh sách cảnh báo", "Warning-list template"},
		{"Điền mỗi chỉ báo một dòng trên trang \"" + TemplateSheet + "\", từ dòng 3. Hai dòng đầu là tiêu đề: giữ nguyên.", "One indicator a row on the \"" + TemplateSheet + "\" sheet, from row 3. Keep the two header rows."},
		{"Dòng lỗi được báo theo số dòng và tên cột; các dòng khác vẫn được nhập.", "A bad row is reported by row number and column; the other rows are imported."},
		{"", ""},
		{"Cột", "Column", "Ý nghĩa", "Meaning"},
	}
	for _, c := range templateColumns {
		rows = append(rows, []string{c.vi + " (" + c.name + ")", c.en, c.helpVI, c.helpEN})
	}
	rows = append(rows, []string{"", ""}, []string{"Biện pháp", "Action"})
	for i, a := range actionLabels {
		rows = append(rows, []string{a, Actions[i]})
	}
	for i, r := range rows {
		for j, v := range r {
			col, _ := excelize.ColumnNumberToName(j + 1)
			f.SetCellValue(help, col+strconv.Itoa(i+1), v)
		}
	}
	f.SetColWidth(help, "A", "B", 40)
	f.SetColWidth(help, "C", "D", 70)
	f.SetCellStyle(help, "A1", "D1", bold)
	f.SetCellStyle(help, "A5", "D5", bold)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// readXLSX reads the template's sheet (or the first sheet with a header
// naming type and value): the header row may be Vietnamese, English or
// the column names; a second header row (the template's English one) is
// skipped. Problems name the sheet (Object), the row (Line) and the
// column's header as written (Field).
func readXLSX(name string, r io.Reader, opt ReadOptions) (*Result, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxXLSXSize+1))
	if err != nil {
		return nil, refuse(name, 0, "", "", err, reasonReadFailed)
	}
	if len(data) > maxXLSXSize {
		return nil, refuse(name, 0, "", "", nil, reasonTooBig, maxXLSXSize>>20)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true, UnzipSizeLimit: maxXLSXUnzip, UnzipXMLSizeLimit: maxXLSXUnzip / 4})
	if err != nil {
		return nil, refuse(name, 0, "", "", err, reasonNotXLSX)
	}
	defer f.Close()
	maxRows := opt.MaxRows
	if maxRows <= 0 {
		maxRows = defaultMaxRows
	}
	sheets := f.GetSheetList()
	for i, s := range sheets {
		if s == TemplateSheet && i > 0 {
			sheets[0], sheets[i] = sheets[i], sheets[0]
		}
	}
	for _, sheet := range sheets {
		res, found, err := readSheet(name, f, sheet, opt, maxRows)
		if err != nil || found {
			return res, err
		}
	}
	return nil, refuse(name, 0, "", "", nil, reasonNoHeaderSheet)
}

// readSheet reads one sheet; found is false when no header is in its
// first 10 rows.
func readSheet(name string, f *excelize.File, sheet string, opt ReadOptions, maxRows int) (*Result, bool, error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, false, nil
	}
	defer rows.Close()
	rr := &rowReader{reader: newReader(name, "xlsx", opt), xlsx: true}
	var header []string
	line := 0
	for rows.Next() {
		line++
		row, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, true, refuse(name, line, sheet, "", err, reasonBadSheet)
		}
		if header == nil {
			if line > 10 {
				return nil, false, nil
			}
			lay, ok, herr := headerLayout(name, line, row)
			if herr != nil {
				if fe, ok := herr.(*FileError); ok {
					fe.Object = sheet
				}
				return nil, true, herr
			}
			if ok {
				header, rr.lay = row, lay
			}
			continue
		}
		// The template's English header row, or a repeated header.
		if t := rr.cell(row, "type"); t != "" {
			if c, ok := columns.Lookup(code(t)); ok && c.Name == "type" {
				continue
			}
		}
		if line-1 > maxRows {
			return nil, true, refuse(name, 0, sheet, "", ErrTooManyObjects, reasonTooManyRows, maxRows)
		}
		empty := true
		for _, c := range row {
			if strings.TrimSpace(c) != "" {
				empty = false
				break
			}
		}
		if empty {
			continue
		}
		if err := rr.count(); err != nil {
			return nil, true, err
		}
		ln := line
		rr.row(ln, row, func(col string) string {
			if i := rr.lay[col]; i >= 0 && i < len(header) {
				return strings.TrimSpace(header[i])
			}
			return col
		})
		for k := len(rr.res.Skipped) - 1; k >= 0 && rr.res.Skipped[k].Line == ln && rr.res.Skipped[k].Object == ""; k-- {
			rr.res.Skipped[k].Object = sheet
		}
	}
	if header == nil {
		return nil, false, nil
	}
	if err := rows.Error(); err != nil && !errors.Is(err, io.EOF) {
		return nil, true, refuse(name, 0, sheet, "", err, reasonBadSheet)
	}
	rr.collect()
	rr.res.finish(name)
	return rr.res, true, nil
}

// serialDate reads a spreadsheet's date serial number (days since
// 1899-12-30) as a wall-clock time in Vietnam.
func serialDate(s string, endOfDay bool) (time.Time, bool) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 1 || v > 2958465 {
		return time.Time{}, false
	}
	t, err := excelize.ExcelDateToTime(v, false)
	if err != nil {
		return time.Time{}, false
	}
	t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, vn)
	if endOfDay && v == float64(int64(v)) {
		t = t.AddDate(0, 0, 1).Add(-time.Second)
	}
	return t.UTC(), true
}
