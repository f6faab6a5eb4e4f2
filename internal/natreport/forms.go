package natreport

import "slices"

// The three forms' fields, in the order vn-reporting.md gives them (the
// order of the official annexes). Their words — titles, headings, labels —
// are not here but in the templates (defaults below, the IT Center's
// changes in the database), so a renamed heading is a setting, not a
// release.

// Kind is how a field's value is written and checked.
type Kind string

const (
	KindText      Kind = "text"      // one line
	KindLong      Kind = "long"      // several lines
	KindDate      Kind = "date"      // dd/mm/yyyy
	KindShortDate Kind = "shortdate" // dd/mm/yy, as Mẫu 03 writes the detection date
	KindTime      Kind = "time"      // hh:mm
	KindDateTime  Kind = "datetime"  // dd/mm/yyyy hh:mm
	KindChoice    Kind = "choice"    // one code from an option list
	KindMulti     Kind = "multi"     // codes from an option list, comma separated
	KindYesNo     Kind = "yesno"     // "yes" or "no"
	KindLevel     Kind = "level"     // security level 1–5
	KindEmail     Kind = "email"
)

// Field is one field of a form.
type Field struct {
	Key       string `json:"key"`
	Kind      Kind   `json:"kind"`
	Mandatory bool   `json:"mandatory"`
	Options   string `json:"options,omitempty"` // the option list of a choice
}

// Section is a numbered block of a form.
type Section struct {
	Key    string  `json:"key"`
	Fields []Field `json:"fields"`
}

// Option lists the regulation leaves open.
const (
	OptStatus    = "status"    // incident status (Mẫu 03 item 6)
	OptDetection = "detection" // how it was detected (item 7)
	OptRecipient = "recipient" // notification already sent to (item 8)
)

// OptionKinds lists the option lists in the order the settings page shows them.
var OptionKinds = []string{OptStatus, OptDetection, OptRecipient}

func f(key string, kind Kind, mandatory bool) Field {
	return Field{Key: key, Kind: kind, Mandatory: mandatory}
}

var reporterFields = []Field{f("org_name", KindText, true), f("org_address", KindText, true), f("org_phone", KindText, true), f("org_email", KindEmail, true)}
var contactFields = []Field{f("contact_name", KindText, true), f("contact_position", KindText, false), f("contact_phone", KindText, true), f("contact_email", KindEmail, true)}
var systemFields = []Field{f("operator_unit", KindText, true), f("owner_body", KindText, false), f("system_name", KindLong, false),
	f("security_level", KindLevel, false), f("security_provider", KindText, false), f("isp", KindText, false)}
var signatureFields = []Field{f("signer_name", KindText, false), f("signer_title", KindText, false)}

var schemas = map[Form][]Section{
	FormInitial: {
		{Key: "reporter", Fields: reporterFields},
		{Key: "contact", Fields: contactFields},
		{Key: "system", Fields: systemFields},
		{Key: "description", Fields: []Field{f("description", KindLong, true)}},
		{Key: "detected", Fields: []Field{f("detected_date", KindShortDate, true), f("detected_time", KindTime, true)}},
		{Key: "status", Fields: []Field{{Key: "incident_status", Kind: KindChoice, Mandatory: true, Options: OptStatus}}},
		{Key: "detection", Fields: []Field{{Key: "detection", Kind: KindMulti, Mandatory: true, Options: OptDetection}, f("detection_note", KindText, false)}},
		{Key: "notified", Fields: []Field{{Key: "notified", Kind: KindMulti, Mandatory: true, Options: OptRecipient}}},
		{Key: "additional", Fields: []Field{f("os", KindLong, false), f("services", KindLong, false), f("measures", KindLong, false),
			f("public_ips", KindLong, false), f("domains", KindLong, false), f("purpose", KindText, false), f("attachments", KindLong, false),
			f("confidential", KindYesNo, false)}},
		{Key: "support", Fields: []Field{f("support_request", KindLong, false)}},
		{Key: "reported", Fields: []Field{f("reported_at", KindDateTime, true)}},
		{Key: "signature", Fields: signatureFields},
	},
	FormFinal: {
		{Key: "reporter", Fields: append(slices.Clone(reporterFields), contactFields...)},
		{Key: "initial", Fields: []Field{f("initial_number", KindText, true), f("initial_date", KindDate, true)}},
		{Key: "system", Fields: systemFields},
		{Key: "detected", Fields: []Field{f("detected_date", KindDate, true), f("detected_time", KindTime, true)}},
		{Key: "outcome", Fields: []Field{f("what_happened", KindLong, true), f("resolution", KindLong, true), f("recommendations", KindLong, false)}},
		{Key: "attachments", Fields: []Field{f("attachments", KindLong, false)}},
		{Key: "reported", Fields: []Field{f("reported_at", KindDateTime, true)}},
		{Key: "signature", Fields: signatureFields},
	},
	FormSummary: {
		{Key: "reporter", Fields: []Field{f("period", KindText, true), f("org_name", KindText, true), f("org_address", KindText, true), f("member_code", KindText, false)}},
		{Key: "table"},
		{Key: "reported", Fields: []Field{f("reported_at", KindDateTime, true)}},
		{Key: "signature", Fields: signatureFields},
	},
}

// Forms lists the forms.
var Forms = []Form{FormInitial, FormFinal, FormSummary}

// Schema is a form's sections in order.
func Schema(form Form) []Section { return schemas[form] }

// FieldOf finds a form's field.
func FieldOf(form Form, key string) (Field, bool) {
	for _, s := range schemas[form] {
		for _, fl := range s.Fields {
			if fl.Key == key {
				return fl, true
			}
		}
	}
	return Field{}, false
}

// Categories are the rows of Mẫu 05, Vigil's incident categories, in the
// form's order.
var Categories = []string{"dos", "phishing", "malware", "intrusion", "defacement", "ransomware", "destruction", "espionage", "combined", "other"}

// Columns are the columns of Mẫu 05's table after the category.
var Columns = []string{"count", "self", "domestic", "foreign", "vncert", "damage"}

// Option is one entry of an option list.
type Option struct {
	Code     string `json:"code"`
	LabelVI  string `json:"label_vi"`
	LabelEN  string `json:"label_en,omitempty"`
	WithText bool   `json:"with_text,omitempty"` // the choice takes a text (e.g. "other: …")
}

// DefaultOptions are the option lists before the IT Center edits them:
// the examples vn-reporting.md gives (the official lists are unconfirmed).
var DefaultOptions = map[string][]Option{
	OptStatus: {
		{Code: "detected", LabelVI: "Mới phát hiện, chưa xử lý", LabelEN: "Just detected, not yet handled"},
		{Code: "handling", LabelVI: "Đang xử lý", LabelEN: "Being handled"},
		{Code: "contained", LabelVI: "Đã ngăn chặn, đang khắc phục", LabelEN: "Contained, being remediated"},
		{Code: "resolved", LabelVI: "Đã khắc phục xong", LabelEN: "Resolved"},
		{Code: "unknown", LabelVI: "Chưa xác định", LabelEN: "Unknown"},
	},
	OptDetection: {
		{Code: "monitoring", LabelVI: "Hệ thống giám sát, IDS/IPS, SIEM", LabelEN: "Monitoring, IDS/IPS, SIEM"},
		{Code: "log_review", LabelVI: "Rà soát nhật ký hệ thống", LabelEN: "Log review"},
		{Code: "antivirus", LabelVI: "Phần mềm phòng chống mã độc", LabelEN: "Anti-malware software"},
		{Code: "user_report", LabelVI: "Người dùng thông báo", LabelEN: "User report"},
		{Code: "third_party", LabelVI: "Bên thứ ba thông báo (NCSC, VNCERT/CC, đối tác…)", LabelEN: "Third-party notice (NCSC, VNCERT/CC, partners…)"},
		{Code: "other", LabelVI: "Khác (ghi rõ)", LabelEN: "Other (state it)", WithText: true},
	},
	OptRecipient: {
		{Code: "owner", LabelVI: "Cơ quan chủ quản hệ thống thông tin", LabelEN: "The system's owner body"},
		{Code: "vncert", LabelVI: "Cơ quan điều phối quốc gia (VNCERT/CC)", LabelEN: "National coordinator (VNCERT/CC)"},
		{Code: "specialised", LabelVI: "Đơn vị chuyên trách ứng cứu sự cố", LabelEN: "Specialised response unit"},
		{Code: "network", LabelVI: "Thành viên mạng lưới ứng cứu sự cố", LabelEN: "Members of the response network"},
		{Code: "police", LabelVI: "Cơ quan Công an (A05)", LabelEN: "Police (A05)"},
		{Code: "isp", LabelVI: "Doanh nghiệp cung cấp dịch vụ viễn thông, Internet", LabelEN: "Telecom / Internet provider"},
	},
}

// Template words shared by the three forms.
var commonTemplate = map[string]string{
	"nation":         "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM",
	"motto":          "Độc lập - Tự do - Hạnh phúc",
	"number":         "Số",
	"version":        "Phiên bản",
	"mandatory":      "(*) Thông tin bắt buộc",
	"date_line":      "ngày %s",
	"yes":            "Có",
	"no":             "Không",
	"sign":           "(Ký, ghi rõ họ tên, đóng dấu)",
	"f.signer_name":  "Người đại diện theo pháp luật / cá nhân báo cáo",
	"f.signer_title": "Chức vụ",
	"s.signature":    "Xác nhận của tổ chức, cá nhân báo cáo",
	"s.reported":     "Thời gian thực hiện báo cáo",
	"f.reported_at":  "Thời gian báo cáo (dd/mm/yyyy hh:mm)",
}

// DefaultTemplates are each form's words before the IT Center edits them.
var DefaultTemplates = map[Form]map[string]string{
	FormInitial: merge(commonTemplate, map[string]string{
		"code":                "Mẫu 03",
		"basis":               "(Ban hành kèm theo Thông tư số 20/2017/TT-BTTTT ngày 12/9/2017 của Bộ Thông tin và Truyền thông)",
		"title":               "BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG",
		"to":                  "Kính gửi: Cơ quan điều phối quốc gia; Cơ quan chủ quản; Đơn vị chuyên trách ứng cứu sự cố",
		"s.reporter":          "1. Thông tin về tổ chức, cá nhân báo cáo sự cố",
		"f.org_name":          "Tên tổ chức, cá nhân (*)",
		"f.org_address":       "Địa chỉ (*)",
		"f.org_phone":         "Điện thoại (*)",
		"f.org_email":         "Thư điện tử (*)",
		"s.contact":           "2. Thông tin người liên hệ",
		"f.contact_name":      "Họ và tên (*)",
		"f.contact_position":  "Chức vụ",
		"f.contact_phone":     "Điện thoại (*)",
		"f.contact_email":     "Thư điện tử (*)",
		"s.system":            "3. Thông tin về hệ thống thông tin bị sự cố",
		"f.operator_unit":     "Đơn vị vận hành hệ thống thông tin (*)",
		"f.owner_body":        "Cơ quan chủ quản",
		"f.system_name":       "Tên hệ thống, tên miền, địa chỉ IP",
		"f.security_level":    "Cấp độ an toàn hệ thống thông tin (1–5)",
		"f.security_provider": "Đơn vị cung cấp dịch vụ bảo đảm an toàn thông tin",
		"f.isp":               "Nhà cung cấp dịch vụ kết nối Internet (ISP)",
		"s.description":       "4. Mô tả sơ bộ về sự cố (*)",
		"f.description":       "Đánh giá ban đầu về việc có bị tấn công hay không; nguy cơ phá hoại, gián đoạn dịch vụ; mức độ nhạy cảm của thông tin và đối tượng bị ảnh hưởng",
		"s.detected":          "5. Thời điểm phát hiện sự cố",
		"f.detected_date":     "Ngày phát hiện (*) (dd/mm/yy)",
		"f.detected_time":     "Giờ phát hiện (*) (hh:mm)",
		"s.status":            "6. Tình trạng sự cố (*)",
		"f.incident_status":   "Tình trạng",
		"s.detection":         "7. Cách thức phát hiện sự cố (*)",
		"f.detection":         "Phát hiện qua",
		"f.detection_note":    "Ghi rõ",
		"s.notified":          "8. Đã thông báo sự cố cho (*)",
		"f.notified":          "Đã gửi tới",
		"s.additional":        "9. Thông tin bổ sung về hệ thống bị sự cố",
		"f.os":                "Hệ điều hành, phiên bản",
		"f.services":          "Các dịch vụ đang chạy",
		"f.measures":          "Các biện pháp bảo đảm an toàn thông tin đã triển khai",
		"f.public_ips":        "Địa chỉ IP công khai (không ghi địa chỉ IP nội bộ)",
		"f.domains":           "Tên miền",
		"f.purpose":           "Mục đích sử dụng của hệ thống",
		"f.attachments":       "Tài liệu gửi kèm",
		"f.confidential":      "Đề nghị giữ bí mật thông tin báo cáo",
		"s.support":           "10. Đề nghị hỗ trợ",
		"f.support_request":   "Nội dung đề nghị hỗ trợ",
		"s.reported":          "11. Thời gian thực hiện báo cáo (*)",
		"s.signature":         "12. Xác nhận của tổ chức, cá nhân báo cáo",
	}),
	FormFinal: merge(commonTemplate, map[string]string{
		"code":                "Mẫu 04",
		"basis":               "(Ban hành kèm theo Thông tư số 20/2017/TT-BTTTT ngày 12/9/2017 của Bộ Thông tin và Truyền thông)",
		"title":               "BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ",
		"to":                  "Kính gửi: Cơ quan điều phối quốc gia; Cơ quan chủ quản; Đơn vị chuyên trách ứng cứu sự cố",
		"s.reporter":          "1. Thông tin về tổ chức, cá nhân báo cáo",
		"f.org_name":          "Tên tổ chức, cá nhân (*)",
		"f.org_address":       "Địa chỉ (*)",
		"f.org_phone":         "Điện thoại (*)",
		"f.org_email":         "Thư điện tử (*)",
		"f.contact_name":      "Người liên hệ (*)",
		"f.contact_position":  "Chức vụ",
		"f.contact_phone":     "Điện thoại người liên hệ (*)",
		"f.contact_email":     "Thư điện tử người liên hệ (*)",
		"s.initial":           "2. Báo cáo ban đầu sự cố",
		"f.initial_number":    "Số báo cáo ban đầu (*)",
		"f.initial_date":      "Ngày báo cáo ban đầu (*)",
		"s.system":            "3. Thông tin về hệ thống thông tin bị sự cố",
		"f.operator_unit":     "Đơn vị vận hành hệ thống thông tin (*)",
		"f.owner_body":        "Cơ quan chủ quản",
		"f.system_name":       "Tên hệ thống, tên miền, địa chỉ IP",
		"f.security_level":    "Cấp độ an toàn hệ thống thông tin (1–5)",
		"f.security_provider": "Đơn vị cung cấp dịch vụ bảo đảm an toàn thông tin",
		"f.isp":               "Nhà cung cấp dịch vụ kết nối Internet (ISP)",
		"s.detected":          "4. Thời điểm phát hiện sự cố",
		"f.detected_date":     "Ngày phát hiện (*)",
		"f.detected_time":     "Giờ phát hiện (*)",
		"s.outcome":           "5. Kết quả xử lý sự cố",
		"f.what_happened":     "Mô tả sự cố đã xảy ra (*)",
		"f.resolution":        "Cách thức đã xử lý, khắc phục (*)",
		"f.recommendations":   "Đề xuất, khuyến nghị để xử lý nhanh các sự cố tương tự",
		"s.attachments":       "6. Tài liệu gửi kèm",
		"f.attachments":       "Báo cáo tiến độ, phương án ứng cứu, nhật ký",
		"s.reported":          "7. Thời gian thực hiện báo cáo (*)",
		"s.signature":         "8. Xác nhận của tổ chức, cá nhân báo cáo",
	}),
	FormSummary: merge(commonTemplate, map[string]string{
		"code":            "Mẫu 05",
		"basis":           "(Ban hành kèm theo Thông tư số 20/2017/TT-BTTTT ngày 12/9/2017 của Bộ Thông tin và Truyền thông)",
		"title":           "BÁO CÁO TỔNG HỢP TÌNH HÌNH SỰ CỐ",
		"to":              "Kính gửi: Cơ quan điều phối quốc gia (VNCERT/CC)",
		"s.reporter":      "1. Thông tin chung",
		"f.period":        "Kỳ báo cáo (*)",
		"f.org_name":      "Tên tổ chức (*)",
		"f.org_address":   "Địa chỉ (*)",
		"f.member_code":   "Mã thành viên mạng lưới ứng cứu sự cố",
		"s.table":         "2. Tình hình sự cố trong kỳ",
		"col.category":    "Loại sự cố",
		"col.count":       "Số lượng",
		"col.self":        "Tự xử lý",
		"col.domestic":    "Có hỗ trợ của tổ chức khác trong nước",
		"col.foreign":     "Có hỗ trợ của tổ chức nước ngoài",
		"col.vncert":      "Đề nghị VNCERT/CC hỗ trợ",
		"col.damage":      "Ước tính thiệt hại (VNĐ)",
		"row.dos":         "Tấn công từ chối dịch vụ",
		"row.phishing":    "Tấn công giả mạo",
		"row.malware":     "Tấn công sử dụng mã độc",
		"row.intrusion":   "Truy cập trái phép, chiếm quyền điều khiển",
		"row.defacement":  "Thay đổi giao diện",
		"row.ransomware":  "Mã hoá phần mềm, dữ liệu, thiết bị",
		"row.destruction": "Phá hoại thông tin, dữ liệu, phần mềm",
		"row.espionage":   "Nghe trộm, gián điệp, lấy cắp thông tin, dữ liệu",
		"row.combined":    "Tấn công tổng hợp sử dụng nhiều hình thức",
		"row.other":       "Các hình thức tấn công khác",
		"row.total":       "Tổng cộng",
		"s.reported":      "3. Thời gian thực hiện báo cáo (*)",
		"s.signature":     "4. Xác nhận của tổ chức báo cáo",
	}),
}

func merge(a, b map[string]string) map[string]string {
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// TemplateKeys lists a form's template keys in the order the settings
// page shows them (the document's order).
func TemplateKeys(form Form) []string {
	keys := []string{"nation", "motto", "code", "basis", "title", "to", "number", "version", "mandatory", "date_line"}
	for _, s := range schemas[form] {
		keys = append(keys, "s."+s.Key)
		for _, fl := range s.Fields {
			keys = append(keys, "f."+fl.Key)
		}
		if s.Key == "table" {
			keys = append(keys, "col.category")
			for _, c := range Columns {
				keys = append(keys, "col."+c)
			}
			for _, c := range Categories {
				keys = append(keys, "row."+c)
			}
			keys = append(keys, "row.total")
		}
	}
	keys = append(keys, "yes", "no", "sign")
	var out []string
	for _, k := range keys {
		if _, ok := DefaultTemplates[form][k]; ok && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}
