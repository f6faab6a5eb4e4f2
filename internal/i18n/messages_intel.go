package i18n

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Threat intelligence and the IT Center's warning lists (internal/intel,
// web/ui_intel*.go, `vigil intel`), kept in a file of their own; init
// merges them into messages and errorFormats.
func init() {
	for k, v := range intelMessages {
		messages[k] = v
	}
	for k, v := range intelErrors {
		errorFormats[k] = v
	}
}

// IntelProblem is why an import skipped an object, in lang: format (one
// of the readers' format.ReasonFormats or the intel service's reasons)
// formatted with args in Vietnamese; reason (the English text) in English
// or when the format has no translation.
func IntelProblem(lang, format, reason string, args []any) string {
	if lang == "en" || format == "" {
		return reason
	}
	vi, ok := intelReasons[format]
	if rest, pat := strings.CutPrefix(format, intelBadPattern); pat {
		vi, ok = intelReasons[rest]
		vi = intelReasons[intelBadPattern] + vi
	}
	if !ok {
		return reason
	}
	a := make([]any, len(args))
	for i, x := range args {
		if f, ok := x.(float64); ok && f == math.Trunc(f) { // a number that came through JSON
			x = int(f)
		}
		a[i] = x
	}
	switch format {
	case "missing %s": // a field's name
		if s, ok := a[0].(string); len(a) == 1 && ok {
			if l, ok := FieldLabel(lang, s); ok {
				a[0] = lowerFirst(l)
			}
		}
	case "%q is not a valid %s": // an indicator kind
		if s, ok := a[1].(string); len(a) == 2 && ok {
			if l, ok := Lookup(lang, "intel.kind."+s); ok {
				a[1] = lowerFirst(l)
			}
		}
	}
	if format == "%s where %s is expected" || strings.HasPrefix(format, intelBadPattern) {
		for i, x := range a {
			if w, ok := x.(string); ok {
				if v, ok := intelWords[w]; ok {
					a[i] = v
				}
			}
		}
	}
	if out := fmt.Sprintf(vi, a...); !strings.Contains(out, "%!") {
		return out
	}
	return reason
}

// HasIntelProblem reports whether an import problem's format has its
// Vietnamese text.
func HasIntelProblem(format string) bool {
	if rest, ok := strings.CutPrefix(format, intelBadPattern); ok {
		format = rest
	}
	_, ok := intelReasons[format]
	return ok
}

// PastedName is the file name an import of pasted values goes by
// (ImportInput.Name): IntelWhere says "pasted text" instead.
const PastedName = "pasted"

// intelBadPattern leads the formats of a bad STIX pattern's problems
// (internal/intel/format's reasonBadPattern).
const intelBadPattern = "bad pattern at character %d: "

// intelWords are the words problems' arguments name JSON values and the
// end of a pattern by (format.JSONWords), in Vietnamese.
var intelWords = map[string]string{
	"a string": "chuỗi", "a number": "số", "true or false": "đúng/sai", "an array": "danh sách",
	"an object": "đối tượng", "null": "rỗng (null)", "a value": "giá trị",
	"the end of the pattern": "chỗ kết thúc mẫu",
}

// HasIntelWord reports whether a word of format.JSONWords has its
// Vietnamese text.
func HasIntelWord(w string) bool { _, ok := intelWords[w]; return ok }

var (
	objectRE          = regexp.MustCompile(`^object (\d+)$`)
	attributeRE       = regexp.MustCompile(`^Attribute (\d+)$`)
	objectAttributeRE = regexp.MustCompile(`^Object (\d+) Attribute (\d+)$`)
)

// IntelWhere names where an import problem is, in lang: the file (pasted
// values are "pasted text"), its line and the object ("object 3", a MISP
// "Attribute 2" in words; an id as it is), joined by commas:
// "wrongcols.csv, dòng 1", "Dán trực tiếp, dòng 3".
func IntelWhere(lang, file string, line int, object string) string {
	var parts []string
	switch file {
	case "":
	case PastedName:
		parts = append(parts, T(lang, "intel.where.pasted"))
	default:
		parts = append(parts, file)
	}
	if line > 0 {
		parts = append(parts, fmt.Sprintf(T(lang, "intel.where.line"), line))
	}
	if object != "" {
		if m := objectRE.FindStringSubmatch(object); m != nil {
			object = fmt.Sprintf(T(lang, "intel.where.object"), m[1])
		} else if m := attributeRE.FindStringSubmatch(object); m != nil {
			object = fmt.Sprintf(T(lang, "intel.where.attribute"), m[1])
		} else if m := objectAttributeRE.FindStringSubmatch(object); m != nil {
			object = fmt.Sprintf(T(lang, "intel.where.object"), m[1]) + ", " + fmt.Sprintf(T(lang, "intel.where.attribute"), m[2])
		}
		parts = append(parts, object)
	}
	return strings.Join(parts, ", ")
}

// IntelProblemLine is a whole problem in lang: where, the field, why
// ("wrongcols.csv, dòng 1: không hiểu các cột…").
func IntelProblemLine(lang, file string, line int, object, field, format, reason string, args []any) string {
	s := IntelWhere(lang, file, line, object)
	if field != "" {
		label, ok := FieldLabel(lang, field)
		if !ok {
			label = field
		}
		if s != "" {
			s += " (" + label + ")"
		} else {
			s = fmt.Sprintf(T(lang, "intel.where.field"), label)
		}
	}
	if s != "" {
		s += ": "
	}
	return s + IntelProblem(lang, format, reason, args)
}

// intelReasons are the Vietnamese texts of the import problems' formats.
var intelReasons = map[string]string{
	// The readers' (internal/intel/format, problems.go).
	"unknown object type %q":                                "loại đối tượng %q không được hỗ trợ",
	"%s where %s is expected":                               "giá trị kiểu %s ở chỗ cần kiểu %s",
	"missing %s":                                            "thiếu %s",
	"%q is not a valid %s":                                  "%q không phải %s hợp lệ",
	"unknown indicator type %q":                             "loại chỉ báo %q không được hỗ trợ",
	"unknown TLP marking %q":                                "mức TLP %q không hợp lệ",
	"confidence %q is not a whole number from 0 to 100":     "độ tin cậy %q không phải số nguyên từ 0 đến 100",
	"%q is not a date (dd/mm/yyyy, yyyy-mm-dd or RFC 3339)": "%q không phải ngày (dd/mm/yyyy, yyyy-mm-dd hoặc RFC 3339)",
	"unknown action %q":                                     "yêu cầu xử lý %q không hợp lệ",
	"unknown severity %q":                                   "mức độ %q không hợp lệ",
	"bad CSV row: %s":                                       "dòng CSV không hợp lệ: %s",
	"line too long":                                         "dòng quá dài",
	"cannot tell what %q is":                                "không nhận ra %q là loại chỉ báo gì",
	"%d more problems not listed":                           "còn %d lỗi khác không liệt kê",
	"unknown MISP attribute type %q":                        "loại thuộc tính MISP %q không được hỗ trợ",
	"more than %d rows: the rest is not read":               "quá %d dòng: phần còn lại không được đọc",
	"columns not understood: want a header naming type and value, or rows type,value[,comment]": "không hiểu các cột: cần dòng tiêu đề có cột type và value, hoặc các dòng dạng type,value[,comment]",
	// Why a whole file is refused (format.FileError).
	"a MISP feed manifest lists events and holds no indicators: import its event files": "đây là tệp danh mục (manifest) của nguồn MISP, chỉ liệt kê các sự kiện, không chứa chỉ báo: hãy nhập các tệp sự kiện mà nó liệt kê",
	"the file cannot be read (an error in Vigil's reader)":                              "không đọc được tệp (lỗi trong bộ đọc của Vigil)",
	"unknown format %q":                                       "định dạng %q không được hỗ trợ",
	"the file could not be read to its end":                   "không đọc được tệp đến hết",
	"not valid JSON (at byte %d)":                             "không phải JSON hợp lệ (tại byte thứ %d)",
	"the JSON ends before it is complete":                     "nội dung JSON bị cắt cụt, chưa kết thúc",
	"not a STIX bundle or object: the file is no JSON object": "không phải gói hoặc đối tượng STIX: tệp không phải một đối tượng JSON",
	"not a STIX object: it has no type":                       "không phải đối tượng STIX: thiếu trường type",
	"more than %d objects: split the file":                    "quá %d đối tượng: hãy chia nhỏ tệp",
	"more than %d rows: split the sheet":                      "quá %d dòng: hãy chia nhỏ trang tính",
	"larger than %d MB":                                       "lớn hơn %d MB",
	"not an XLSX workbook":                                    "không phải sổ tính XLSX",
	"no sheet has a header row naming the columns type and value (use the template)": "không trang tính nào có dòng tiêu đề gồm cột type và value (hãy dùng tệp mẫu)",
	"the sheet cannot be read":         "không đọc được trang tính",
	"the header has no %s column":      "dòng tiêu đề thiếu cột %s",
	"column %d repeats column %d (%q)": "cột %d trùng với cột %d (%q)",
	"%q is not an event uuid":          "%q không phải mã uuid của sự kiện",
	// A bad STIX pattern: the lead, then the pattern's message
	// (internal/intel/format/pattern.go).
	"bad pattern at character %d: ":                      "mẫu STIX sai ở ký tự %d: ",
	"pattern too long":                                   "mẫu quá dài",
	"unexpected %s":                                      "thừa %s",
	"unterminated string":                                "chuỗi chưa đóng dấu nháy",
	"odd number of hex digits":                           "số chữ số thập lục phân lẻ",
	"bad hex literal":                                    "giá trị thập lục phân không hợp lệ",
	"bad base64 literal":                                 "giá trị base64 không hợp lệ",
	"bad timestamp (want t'yyyy-mm-ddThh:mm:ssZ')":       "mốc thời gian không hợp lệ (cần dạng t'yyyy-mm-ddThh:mm:ssZ')",
	`unterminated string or bad escape (only \' and \\)`: `chuỗi chưa đóng dấu nháy hoặc ký tự thoát không hợp lệ (chỉ dùng \' và \\)`,
	"unexpected character %q":                            "ký tự %q không hợp lệ",
	"want %q, found %s":                                  "cần %q, nhưng gặp %s",
	"pattern nested too deeply":                          "mẫu lồng nhau quá sâu",
	"want an observation expression in [ ], found %s":    "cần một biểu thức quan sát trong [ ], nhưng gặp %s",
	"WITHIN wants a number of seconds, found %s":         "sau WITHIN cần số giây, nhưng gặp %s",
	"WITHIN wants a positive number":                     "sau WITHIN cần một số dương",
	"want SECONDS, found %s":                             "cần SECONDS, nhưng gặp %s",
	"REPEATS wants a whole number, found %s":             "sau REPEATS cần một số nguyên, nhưng gặp %s",
	"REPEATS wants a positive number":                    "sau REPEATS cần một số dương",
	"want TIMES, found %s":                               "cần TIMES, nhưng gặp %s",
	"START wants a timestamp t'…', found %s":             "sau START cần mốc thời gian t'…', nhưng gặp %s",
	"want STOP, found %s":                                "cần STOP, nhưng gặp %s",
	"STOP wants a timestamp t'…', found %s":              "sau STOP cần mốc thời gian t'…', nhưng gặp %s",
	"%s cannot compare a boolean":                        "phép %s không so sánh được giá trị đúng/sai",
	"%s wants a string, found %s":                        "phép %s cần một chuỗi, nhưng gặp %s",
	"want a comparison operator, found %s":               "cần một phép so sánh, nhưng gặp %s",
	"want an object type, found %s":                      "cần loại đối tượng, nhưng gặp %s",
	"want a property name, found %s":                     "cần tên thuộc tính, nhưng gặp %s",
	"want a list index or *, found %s":                   "cần chỉ số danh sách hoặc *, nhưng gặp %s",
	"want a value, found %s":                             "cần một giá trị, nhưng gặp %s",
	// The intel service's (internal/intel/import.go).
	"no unit has this code":          "không có đơn vị mang mã này (hoặc đơn vị không thuộc phạm vi của bạn)",
	"the unit is outside your units": "đơn vị nằm ngoài phạm vi của bạn",
	"unknown action":                 "yêu cầu xử lý không hợp lệ",
	"unknown severity":               "mức độ không hợp lệ",
	"unknown TLP marking":            "mức TLP không hợp lệ",
	"unknown indicator kind":         "loại chỉ báo không hợp lệ",
	"no indicator has this id":       "không có chỉ báo mang mã này",
}

var intelMessages = map[string][2]string{
	"nav.intel":      {"Tình báo mối đe dọa", "Threat intelligence"},
	"nav.watchlists": {"Danh sách cảnh báo", "Warning lists"},

	"field.issuer":        {"Đơn vị phát hành", "Issuer"},
	"field.description":   {"Mô tả", "Description"},
	"field.month":         {"Tháng", "Month"},
	"field.retro_days":    {"Số ngày dò ngược", "Retro-hunt days"},
	"field.list":          {"Danh sách", "List"},
	"field.tlp":           {"Mức chia sẻ TLP", "TLP marking"},
	"field.file":          {"Tệp", "File"},
	"field.values":        {"Giá trị dán vào", "Pasted values"},
	"field.indicator_ids": {"Chỉ báo", "Indicators"},
	"field.intel_report":  {"Báo cáo nguồn", "Source report"},
	"field.type":          {"Loại chỉ báo", "Indicator type"},
	"field.confidence":    {"Độ tin cậy", "Confidence"},
	"field.valid_until":   {"Hiệu lực đến", "Valid until"},
	"field.tags":          {"Nhãn", "Tags"},
	"field.comment":       {"Ghi chú", "Comment"},
	"field.pattern":       {"Mẫu STIX", "STIX pattern"},

	"intel.where.pasted":    {"Dán trực tiếp", "pasted text"},
	"intel.where.line":      {"dòng %d", "line %d"},
	"intel.where.field":     {"trường %s", "field %s"},
	"intel.where.object":    {"đối tượng %s", "object %s"},
	"intel.where.attribute": {"thuộc tính %s", "Attribute %s"},

	"intel.title":          {"Chỉ báo tấn công", "Indicators"},
	"intel.intro":          {"Các chỉ báo (địa chỉ IP, tên miền, URL, mã băm tệp, tài khoản, tên máy, thư điện tử) nhập từ STIX, MISP, CSV, XLSX hoặc dán vào. Cán bộ đơn vị thấy các chỉ báo nằm trong danh sách cảnh báo đã phát hành cho đơn vị mình.", "Indicators (IP addresses, domains, URLs, file hashes, accounts, host names, e-mail addresses) imported from STIX, MISP, CSV, XLSX or pasted. Units' officers see the indicators on warning lists published for their units."},
	"intel.kind":           {"Loại", "Kind"},
	"intel.value":          {"Giá trị", "Value"},
	"intel.source":         {"Nguồn", "Source"},
	"intel.confidence":     {"Độ tin cậy", "Confidence"},
	"intel.tlp":            {"TLP", "TLP"},
	"intel.first_seen":     {"Thấy lần đầu", "First seen"},
	"intel.last_seen":      {"Thấy lần cuối", "Last seen"},
	"intel.valid_until":    {"Hiệu lực đến", "Valid until"},
	"intel.status":         {"Trạng thái", "Status"},
	"intel.tags":           {"Nhãn", "Tags"},
	"intel.report":         {"Báo cáo nguồn", "Source report"},
	"intel.comment":        {"Ghi chú", "Comment"},
	"intel.stix_id":        {"Mã STIX", "STIX id"},
	"intel.search":         {"Tìm giá trị, ghi chú, nhãn", "Search value, comment, tags"},
	"intel.all_kinds":      {"Mọi loại", "Every kind"},
	"intel.all_tlps":       {"Mọi mức TLP", "Every marking"},
	"intel.all_statuses":   {"Mọi trạng thái", "Every status"},
	"intel.all_lists":      {"Mọi danh sách", "Every list"},
	"intel.all_units":      {"Mọi đơn vị", "Every unit"},
	"intel.all_severities": {"Mọi mức độ", "Every severity"},
	"intel.all_actions":    {"Mọi yêu cầu", "Every action"},
	"intel.none":           {"Không có chỉ báo nào khớp bộ lọc.", "No indicator matches these filters."},
	"intel.filter":         {"Lọc", "Filter"},

	"intel.kind.ip":       {"Địa chỉ IP / dải mạng", "IP address / network"},
	"intel.kind.domain":   {"Tên miền", "Domain"},
	"intel.kind.url":      {"URL", "URL"},
	"intel.kind.md5":      {"Mã băm MD5", "MD5 hash"},
	"intel.kind.sha1":     {"Mã băm SHA-1", "SHA-1 hash"},
	"intel.kind.sha256":   {"Mã băm SHA-256", "SHA-256 hash"},
	"intel.kind.account":  {"Tài khoản", "Account"},
	"intel.kind.hostname": {"Tên máy", "Host name"},
	"intel.kind.email":    {"Thư điện tử", "E-mail address"},

	"intel.tlp.clear":        {"TLP:CLEAR (công khai)", "TLP:CLEAR"},
	"intel.tlp.green":        {"TLP:GREEN (cộng đồng)", "TLP:GREEN"},
	"intel.tlp.amber":        {"TLP:AMBER (hạn chế)", "TLP:AMBER"},
	"intel.tlp.amber+strict": {"TLP:AMBER+STRICT (chỉ nội bộ)", "TLP:AMBER+STRICT"},
	"intel.tlp.red":          {"TLP:RED (đích danh)", "TLP:RED"},

	"intel.status.active":  {"Còn hiệu lực", "Active"},
	"intel.status.expired": {"Hết hiệu lực", "Expired"},
	"intel.status.revoked": {"Đã thu hồi", "Revoked"},

	"intel.action.scan":            {"Quét toàn bộ mã độc", "Full malware scan"},
	"intel.action.block":           {"Chặn tại biên", "Block at the perimeter"},
	"intel.action.removal":         {"Gỡ bỏ tệp/phần mềm", "Remove the file/software"},
	"intel.action.password_reset":  {"Đặt lại mật khẩu", "Reset the password"},
	"intel.action.disable_account": {"Vô hiệu hóa tài khoản", "Disable the account"},
	"intel.action.reimage":         {"Cài đặt lại máy", "Reinstall the host"},

	"intel.list_status.draft":      {"Bản nháp", "Draft"},
	"intel.list_status.published":  {"Đã phát hành", "Published"},
	"intel.list_status.superseded": {"Đã thay thế", "Superseded"},
	"intel.list_status.withdrawn":  {"Đã thu hồi", "Withdrawn"},

	"intel.lists_title":      {"Danh sách cảnh báo", "Warning lists"},
	"intel.lists_intro":      {"Danh sách cảnh báo hằng tháng của Trung tâm CNTT: mỗi tháng có thể có nhiều phiên bản; phát hành một phiên bản thì phiên bản trước cùng tên bị thay thế. Khi phát hành, Vigil đối chiếu danh sách với tài sản, cảnh báo đã lưu, và gửi cho các tác tử và bộ phát hiện.", "The IT Center's monthly warning lists: a month may have several versions; publishing one supersedes the previous of the same name. On publishing, Vigil matches the list against the inventory and stored alerts and sends it to the agents and the detection pipeline."},
	"intel.list_name":        {"Tên danh sách", "List name"},
	"intel.month":            {"Tháng", "Month"},
	"intel.version":          {"Phiên bản", "Version"},
	"intel.issuer":           {"Đơn vị phát hành", "Issuer"},
	"intel.description":      {"Mô tả", "Description"},
	"intel.retro_days":       {"Số ngày dò ngược cảnh báo", "Retro-hunt days"},
	"intel.status_since":     {"Trạng thái từ", "Status since"},
	"intel.entries":          {"Số mục", "Entries"},
	"intel.published_by":     {"Người phát hành", "Published by"},
	"intel.published_at":     {"Ngày phát hành", "Published at"},
	"intel.created_by":       {"Người tạo", "Created by"},
	"intel.lists_none":       {"Chưa có danh sách cảnh báo nào.", "No warning list yet."},
	"intel.create":           {"Tạo danh sách mới", "Create a list"},
	"intel.create_button":    {"Tạo bản nháp", "Create the draft"},
	"intel.import":           {"Nhập chỉ báo", "Import indicators"},
	"intel.import_intro":     {"Tải lên tệp STIX 2.x, MISP, CSV (type,value,comment), XLSX theo mẫu, hoặc dán mỗi dòng một giá trị. Với tên danh sách, các chỉ báo vào danh sách của tháng này; Trung tâm CNTT nhập thì danh sách được tạo (nếu chưa có) và phát hành ngay.", "Upload a STIX 2.x, MISP, CSV (type,value,comment) or template XLSX file, or paste one value a line. With a list name the indicators join this month's list; the IT Center's import creates it when new and publishes it at once."},
	"intel.file":             {"Tệp", "File"},
	"intel.paste":            {"Hoặc dán giá trị (mỗi dòng một giá trị)", "Or paste values (one a line)"},
	"intel.target":           {"Áp dụng cho", "Target"},
	"intel.target_hint":      {"Để trống: mọi đơn vị (chỉ Trung tâm CNTT)", "Empty: every unit (the IT Center only)"},
	"intel.action":           {"Yêu cầu xử lý", "Required action"},
	"intel.action_default":   {"Theo đối tượng khớp", "By what matched"},
	"intel.severity":         {"Mức độ", "Severity"},
	"intel.reason":           {"Lý do", "Reason"},
	"intel.added_at":         {"Ngày thêm", "Added"},
	"intel.template":         {"Tải mẫu XLSX", "Download the XLSX template"},
	"intel.import_button":    {"Nhập", "Import"},
	"intel.result":           {"Kết quả nhập", "Import result"},
	"intel.problems":         {"Các đối tượng bị bỏ qua", "Objects skipped"},
	"intel.cli_refused":      {"Không nhập tệp:", "File not imported:"},
	"intel.cli_files_failed": {"%d trên %d tệp không nhập được", "%d of %d files not imported"},
	"intel.cli_summary":      {"Đã đọc %s đối tượng, nạp %s chỉ báo, bỏ qua %s", "%s objects read, %s indicators loaded, %s skipped"},
	"intel.cli_list":         {"Danh sách %q phiên bản %d: %s, %d mục", "List %q version %d: %s, %d entries"},
	"intel.list_title":       {"Danh sách cảnh báo", "Warning list"},
	"intel.publish":          {"Phát hành", "Publish"},
	"intel.publish_confirm":  {"Phát hành danh sách này? Vigil sẽ đối chiếu ngay với tài sản và cảnh báo của mọi đơn vị, gửi cho các tác tử; phiên bản đang phát hành cùng tên sẽ bị thay thế.", "Publish this list? Vigil matches it at once against every unit's inventory and alerts and sends it to the agents; the published version of the same name is superseded."},
	"intel.withdraw":         {"Thu hồi", "Withdraw"},
	"intel.withdraw_confirm": {"Thu hồi danh sách này? Các tác tử và bộ phát hiện sẽ ngừng dùng nó.", "Withdraw this list? The agents and the detection pipeline stop using it."},
	"intel.new_version":      {"Tạo phiên bản mới", "Make a new version"},
	"intel.export":           {"Xuất", "Export"},
	"intel.export_stix":      {"STIX 2.1", "STIX 2.1"},
	"intel.export_misp":      {"Sự kiện MISP", "MISP event"},
	"intel.export_csv":       {"CSV chỉ báo", "Indicator CSV"},
	"intel.match_progress":   {"Tiến độ đối chiếu và xử lý", "Matching and clean-up progress"},
	"intel.entries_none":     {"Danh sách chưa có mục nào bạn được xem.", "The list has no entry you may see."},
	"intel.add_entries":      {"Thêm mục vào danh sách", "Add entries to the list"},
	"intel.published_flash":  {"Đã phát hành danh sách.", "The list is published."},
	"intel.withdrawn_flash":  {"Đã thu hồi danh sách.", "The list is withdrawn."},
	"intel.created_flash":    {"Đã tạo bản nháp.", "The draft is created."},
	"intel.remove":           {"Bỏ khỏi danh sách", "Remove from the list"},
	"intel.removed_flash":    {"Đã bỏ mục khỏi danh sách.", "The entry is removed."},
	"intel.version_of":       {"Tháng %s, phiên bản %d", "Month %s, version %d"},

	// The audit log.
	"audit.do.intel.import":           {"{actor} đã nhập tệp tình báo {object}", "{actor} imported the intelligence file {object}"},
	"audit.do.watchlist.create":       {"{actor} đã tạo danh sách cảnh báo {object}", "{actor} created warning list {object}"},
	"audit.do.watchlist.update":       {"{actor} đã sửa danh sách cảnh báo {object}", "{actor} changed warning list {object}"},
	"audit.do.watchlist.new_version":  {"{actor} đã tạo phiên bản mới {object} của danh sách cảnh báo", "{actor} made a new version {object} of a warning list"},
	"audit.do.watchlist.publish":      {"{actor} đã phát hành danh sách cảnh báo {object}", "{actor} published warning list {object}"},
	"audit.do.watchlist.supersede":    {"Danh sách cảnh báo {object} đã được thay thế bằng phiên bản mới do {actor} phát hành", "Warning list {object} was superseded by a new version {actor} published"},
	"audit.do.watchlist.withdraw":     {"{actor} đã thu hồi danh sách cảnh báo {object}", "{actor} withdrew warning list {object}"},
	"audit.do.watchlist.entry_add":    {"{actor} đã thêm mục vào danh sách cảnh báo {object}", "{actor} added entries to warning list {object}"},
	"audit.do.watchlist.entry_remove": {"{actor} đã bỏ mục khỏi danh sách cảnh báo {object}", "{actor} removed entries from warning list {object}"},
	"audit.a.intel.":                  {"Tình báo (nhập chỉ báo)", "Intelligence (indicator imports)"},
	"audit.a.watchlist.":              {"Danh sách cảnh báo (tạo, phát hành, thu hồi, sửa mục)", "Warning lists (create, publish, withdraw, entries)"},
	"audit.type.warning_list":         {"danh sách cảnh báo", "warning list"},
	"audit.pasted_values":             {"(các giá trị dán trực tiếp)", "(pasted values)"},
	"audit.type.intel_import":         {"tệp tình báo", "intelligence file"},
	"audit.f.objects_read":            {"Số đối tượng đã đọc", "Objects read"},
	"audit.f.indicators_loaded":       {"Số chỉ báo đã nạp", "Indicators loaded"},
	"audit.f.skipped":                 {"Số bị bỏ qua", "Skipped"},
	"audit.f.entries":                 {"Số mục", "Entries"},
	"audit.f.list":                    {"Danh sách", "List"},
	"audit.f.month":                   {"Tháng", "Month"},
	"audit.f.version":                 {"Phiên bản", "Version"},
	"audit.f.issuer":                  {"Đơn vị phát hành", "Issuer"},
	"audit.f.retro_days":              {"Số ngày dò ngược", "Retro-hunt days"},
	"audit.f.superseded":              {"Các phiên bản bị thay thế", "Versions superseded"},
	"audit.f.indicator_ids":           {"Chỉ báo", "Indicators"},
	"audit.f.file":                    {"Tệp", "File"},
}

var intelErrors = map[string]string{
	"is not valid UTF-8 text":                                                "không phải văn bản UTF-8 hợp lệ",
	"only the IT Center may create warning lists":                            "chỉ Trung tâm CNTT được tạo danh sách cảnh báo",
	"only the IT Center may make a new version of a warning list":            "chỉ Trung tâm CNTT được tạo phiên bản mới của danh sách cảnh báo",
	"only the IT Center may change warning lists":                            "chỉ Trung tâm CNTT được sửa danh sách cảnh báo",
	"only the IT Center may publish warning lists":                           "chỉ Trung tâm CNTT được phát hành danh sách cảnh báo",
	"only the IT Center may withdraw warning lists":                          "chỉ Trung tâm CNTT được thu hồi danh sách cảnh báo",
	"only the IT Center may import intelligence outside a warning list":      "chỉ Trung tâm CNTT được nhập tình báo không gắn với danh sách cảnh báo",
	"only the IT Center and units' officers may change warning-list entries": "chỉ Trung tâm CNTT và cán bộ an toàn thông tin của đơn vị được sửa mục của danh sách cảnh báo",
	"only the IT Center may change entries targeting every unit":             "chỉ Trung tâm CNTT được sửa các mục áp dụng cho mọi đơn vị",
	"you may not add warning-list entries for unit %s":                       "bạn không được thêm mục danh sách cảnh báo cho đơn vị %s",
	"choose one of your units: only the IT Center targets every unit":        "hãy chọn một đơn vị của bạn: chỉ Trung tâm CNTT được áp dụng cho mọi đơn vị",
	"the hub has no units yet":                                               "hệ thống chưa có đơn vị nào",
	"%q is not a month written YYYY-MM":                                      "%q không phải tháng viết theo dạng YYYY-MM",
	"must be between 0 and 365 days":                                         "phải từ 0 đến 365 ngày",
	"another version of %s of %s was created at the same time; try again":    "một phiên bản khác của danh sách %s tháng %s vừa được tạo cùng lúc; hãy thử lại",
	"a superseded or withdrawn list can no longer change":                    "danh sách đã bị thay thế hoặc thu hồi, không thể sửa nữa",
	"only a draft can be published":                                          "chỉ bản nháp mới được phát hành",
	"only a draft or a published list can be withdrawn":                      "chỉ bản nháp hoặc danh sách đã phát hành mới thu hồi được",
	"the hub is importing another intelligence file; try again shortly":      "hệ thống đang nhập một tệp tình báo khác; hãy thử lại sau ít phút",
	"a unit applies to the entries of a list: name the list too":             "đơn vị chỉ áp dụng cho các mục của một danh sách: hãy nêu cả tên danh sách",
	"no file given":         "chưa có tệp nào",
	"%s cannot be read: %v": "không đọc được %s: %v",
	"%s holds %d indicators, more than the %d one import may hold; split it":        "%s có %d chỉ báo, nhiều hơn mức %d chỉ báo của một lần nhập; hãy chia nhỏ tệp",
	"there is no list %q of %s; the IT Center creates lists":                        "không có danh sách %q của tháng %s; danh sách do Trung tâm CNTT tạo",
	"give pasted values or indicator ids, not both":                                 "hãy dán giá trị hoặc chọn chỉ báo, không dùng cả hai",
	"give pasted values or indicator ids":                                           "hãy dán giá trị hoặc chọn chỉ báo",
	"at most %d indicators at once":                                                 "tối đa %d chỉ báo mỗi lần",
	"name the indicators whose entries to remove":                                   "hãy chọn các chỉ báo cần bỏ khỏi danh sách",
	"%d indicators match; export at most %d: narrow the filters":                    "có %d chỉ báo khớp; mỗi lần xuất tối đa %d: hãy thu hẹp bộ lọc",
	"%s: file larger than %d MiB; split it":                                         "%s: tệp lớn hơn %d MiB; hãy chia nhỏ",
	"the page takes files up to %d MiB; import larger ones with vigil intel import": "trang này nhận tệp tối đa %d MiB; tệp lớn hơn hãy nhập bằng lệnh vigil intel import",
	"choose a file or paste values":                                                 "hãy chọn tệp hoặc dán giá trị",
	"%s holds more than the %d indicators one import may hold; split it":            "%s có nhiều hơn %d chỉ báo, mức tối đa của một lần nhập; hãy chia nhỏ tệp",
	"must be a list id": "phải là mã số của một danh sách",
}

// lowerFirst lowers a label's first letter for use inside a sentence,
// leaving acronyms ("Địa chỉ IP" → "địa chỉ IP").
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}
