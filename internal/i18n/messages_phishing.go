package i18n

// Phishing drills' words (internal/phishing, web/routes_phishing.go).
func init() {
	for k, v := range phishingMessages {
		messages[k] = v
	}
	for k, v := range phishingErrors {
		errorFormats[k] = v
	}
	for k, v := range phishingAudit {
		auditMessages[k] = v
	}
}

var phishingMessages = map[string][2]string{
	"nav.phishing":                 {"Diễn tập lừa đảo", "Phishing drills"},
	"field.subject":                {"Tiêu đề thư", "Subject"},
	"field.template":               {"Mẫu thư", "Template"},
	"field.start_at":               {"Bắt đầu gửi", "Start"},
	"field.window_minutes":         {"Rải đều trong (phút)", "Spread over (minutes)"},
	"field.landing":                {"Trang đích", "Landing page"},
	"field.department":             {"Phòng, bộ phận", "Department"},
	"ph.title":                     {"Diễn tập phòng chống thư lừa đảo", "Phishing drills"},
	"ph.intro":                     {"Gửi thư lừa đảo giả lập tới chính cán bộ của đơn vị để đo mức cảnh giác: ai mở, ai bấm, ai nhập thông tin (nội dung nhập không bao giờ được lưu), ai báo cáo. Người bấm được giao ngay bài học nhận diện lừa đảo. Lượt truy cập của máy quét thư được ghi riêng, không tính.", "Send a simulated phishing e-mail to your own unit's employees to measure vigilance: who opened, clicked, submitted (what was typed is never kept), reported. Whoever clicks is assigned the phishing lesson. Mail scanners' requests are recorded apart, not counted."},
	"ph.new":                       {"Tổ chức đợt diễn tập", "Run a drill"},
	"ph.template":                  {"Mẫu thư", "Template"},
	"ph.window":                    {"Rải đều trong (phút)", "Spread over (minutes)"},
	"ph.start":                     {"Lên lịch gửi", "Schedule"},
	"ph.drills":                    {"Các đợt diễn tập", "Drills"},
	"ph.none":                      {"Chưa có đợt diễn tập nào.", "No drills yet."},
	"ph.sent":                      {"Đã gửi", "Sent"},
	"ph.opened":                    {"Đã mở", "Opened"},
	"ph.clicked":                   {"Đã bấm", "Clicked"},
	"ph.submitted":                 {"Đã nhập", "Submitted"},
	"ph.reported":                  {"Đã báo cáo", "Reported"},
	"ph.bounced":                   {"Bị trả lại", "Bounced"},
	"ph.scanner":                   {"Lượt của máy quét (không tính)", "Scanner requests (not counted)"},
	"ph.scanner_hint":              {"Lượt truy cập bằng HEAD, từ trình quét đã biết hoặc chỉ vài giây sau khi gửi được coi là của máy quét thư.", "HEAD requests, known scanner agents and requests seconds after delivery are taken for mail scanners."},
	"ph.window_text":               {"Gửi rải từ %s đến %s.", "Sent between %s and %s."},
	"ph.status.scheduled":          {"Chờ gửi", "Scheduled"},
	"ph.status.sent":               {"Đã gửi", "Sent"},
	"ph.status.bounced":            {"Bị trả lại", "Bounced"},
	"ph.status.refused":            {"Không gửi (mẫu lỗi)", "Not sent (broken template)"},
	"audit.type.phishing_campaign": {"đợt diễn tập", "phishing drill"},
	"audit.type.phishing_template": {"mẫu thư diễn tập", "drill template"},
}

var phishingAudit = map[string][2]string{
	"audit.do.phishing.create_campaign": {"{actor} đã lên lịch diễn tập lừa đảo {object}", "{actor} scheduled phishing drill {object}"},
	"audit.do.phishing.create_template": {"{actor} đã lưu mẫu thư diễn tập {object}", "{actor} saved drill template {object}"},
	"audit.a.phishing.":                 {"Diễn tập lừa đảo (mẫu thư, đợt diễn tập)", "Phishing drills (templates, drills)"},
}

var phishingErrors = map[string]string{
	"only officers run phishing drills":                               "chỉ cán bộ ATTT được tổ chức diễn tập lừa đảo",
	"only the unit's officers run phishing drills":                    "chỉ cán bộ ATTT của đơn vị được tổ chức diễn tập cho đơn vị",
	"the body must hold the drill's link: write {link} where it goes": "nội dung thư phải có đường dẫn diễn tập: hãy viết {link} vào chỗ cần đặt",
	"%q is not a time: write it as 2026-12-20T08:00:00+07:00":         "%q không phải thời điểm: hãy viết dạng 2026-12-20T08:00:00+07:00",
	"choose a template": "hãy chọn mẫu thư",
	"no template %d":    "không có mẫu thư %d",
	"the unit has no employees: import them first":           "đơn vị chưa có cán bộ: hãy nhập danh sách trước",
	"must be from 0 to %d minutes (a week)":                  "phải từ 0 đến %d phút (một tuần)",
	"line %d, column %d: a placeholder is not closed with }": "dòng %d, cột %d: chỗ điền chưa đóng bằng }",
	"line %d, column %d: a } without its {":                  "dòng %d, cột %d: dấu } không có { đi kèm",
	"line %d, column %d: unknown placeholder {%s}; use {name}, {email}, {position}, {department}, {unit}, {link} or {date}": "dòng %d, cột %d: không có chỗ điền {%s}; hãy dùng {name}, {email}, {position}, {department}, {unit}, {link} hoặc {date}",
}
