package i18n

// The monthly technical security report's words (internal/monthly,
// web/routes_monthly.go), in a file of their own; init merges them into
// messages, errorFormats and the audit log's words. The report itself
// is written in Vietnamese (internal/monthly/document.go), as the IT
// Center sends it.
func init() {
	for k, v := range monthlyMessages {
		messages[k] = v
	}
	for k, v := range monthlyAudit {
		auditMessages[k] = v
	}
	for k, v := range monthlyErrors {
		errorFormats[k] = v
	}
}

var monthlyMessages = map[string][2]string{
	"monthly.patch.open":     {"Chưa khắc phục", "Open"},
	"monthly.patch.closed":   {"Đã khắc phục", "Fixed"},
	"monthly.patch.accepted": {"Chấp nhận rủi ro", "Risk accepted"},
	"nav.monthly":            {"Báo cáo tháng", "Monthly reports"},
	"monthly.title":          {"Báo cáo kỹ thuật hàng tháng", "Monthly technical reports"},
	"monthly.report_title":   {"Báo cáo kỹ thuật tình hình an toàn thông tin", "Technical security report"},
	"monthly.intro": {"Báo cáo kỹ thuật tình hình an toàn thông tin hàng tháng: cảnh báo theo đơn vị và mức độ, quy tắc nổi bật, vấn đề phát hiện và đã xử lý, bản vá Microsoft, đào tạo nhận thức, sự cố. Trung tâm CNTT lập, rà soát và công bố; các đơn vị xác nhận đã nhận. Báo cáo tháng trước được lập tự động vào ngày làm việc đầu tiên của tháng.",
		"The monthly technical security report: alerts by unit and severity, top rules, findings opened and closed, Microsoft patches, awareness training, incidents. The IT Center generates, reviews and publishes it; units acknowledge it. Last month's report is generated on the first working day of the month."},
	"monthly.figures":          {"Số liệu một tháng", "A month's figures"},
	"monthly.month":            {"Tháng (YYYY-MM)", "Month (YYYY-MM)"},
	"monthly.my_scope":         {"Phạm vi của tôi", "My scope"},
	"monthly.whole_org":        {"Toàn ngành", "Whole organisation"},
	"monthly.format":           {"Định dạng", "Format"},
	"monthly.download":         {"Tải về", "Download"},
	"monthly.generate":         {"Lập báo cáo", "Generate a report"},
	"monthly.generate_hint":    {"Báo cáo toàn ngành kèm theo báo cáo riêng của từng đơn vị cấp trên cùng. Lập lại một bản nháp sẽ tính lại số liệu.", "The organisation's report brings each top-level unit's own report with it. Generating a draft again counts it again."},
	"monthly.generate_button":  {"Lập báo cáo", "Generate"},
	"monthly.regenerate":       {"Tính lại số liệu", "Count again"},
	"monthly.list":             {"Các báo cáo đã lập", "Reports generated"},
	"monthly.none":             {"Chưa có báo cáo nào.", "No report yet."},
	"monthly.generated":        {"Lập lúc", "Generated"},
	"monthly.reviewed":         {"Rà soát", "Reviewed"},
	"monthly.published":        {"Công bố", "Published"},
	"monthly.published_by":     {"Người công bố", "Published by"},
	"monthly.acks":             {"Đơn vị đã xác nhận", "Units acknowledged"},
	"monthly.acked":            {"Xác nhận đã nhận", "Acknowledged"},
	"monthly.acked_by":         {"Đơn vị đã xác nhận đã nhận báo cáo:", "The unit acknowledged the report:"},
	"monthly.not_acked":        {"Chưa xác nhận", "Not yet"},
	"monthly.acknowledge":      {"Xác nhận đã nhận báo cáo", "Acknowledge the report"},
	"monthly.pdf_sha256":       {"SHA-256 của PDF", "PDF SHA-256"},
	"monthly.docx_sha256":      {"SHA-256 của DOCX", "DOCX SHA-256"},
	"monthly.note":             {"Ghi chú", "Note"},
	"monthly.watchlist":        {"Danh sách cảnh báo kèm theo", "Warning list attached"},
	"monthly.review":           {"Đánh dấu đã rà soát", "Mark reviewed"},
	"monthly.return":           {"Trả lại để tính lại", "Send back"},
	"monthly.publish":          {"Công bố", "Publish"},
	"monthly.publish_confirm":  {"Công bố báo cáo? Bản PDF và DOCX sẽ được cố định, danh sách cảnh báo tháng tới được đính kèm.", "Publish the report? The PDF and DOCX are frozen and next month's warning list is attached."},
	"monthly.no_data":          {"Không có số liệu: chưa có nguồn dữ liệu cho mục này.", "No data: nothing in this hub measures this section yet."},
	"monthly.status.draft":     {"Bản nháp", "Draft"},
	"monthly.status.reviewed":  {"Đã rà soát", "Reviewed"},
	"monthly.status.published": {"Đã công bố", "Published"},
}

var monthlyAudit = map[string][2]string{
	"audit.do.monthly.generate":    {"{actor} đã lập báo cáo kỹ thuật hàng tháng {object}", "{actor} generated monthly technical report {object}"},
	"audit.do.monthly.regenerate":  {"{actor} đã tính lại số liệu báo cáo kỹ thuật hàng tháng {object}", "{actor} counted monthly technical report {object} again"},
	"audit.do.monthly.review":      {"{actor} đã rà soát báo cáo kỹ thuật hàng tháng {object}", "{actor} reviewed monthly technical report {object}"},
	"audit.do.monthly.return":      {"{actor} đã trả lại báo cáo kỹ thuật hàng tháng {object} để sửa", "{actor} sent monthly technical report {object} back"},
	"audit.do.monthly.publish":     {"{actor} đã công bố báo cáo kỹ thuật hàng tháng {object}", "{actor} published monthly technical report {object}"},
	"audit.do.monthly.acknowledge": {"{actor} đã xác nhận đã nhận báo cáo kỹ thuật hàng tháng {object}", "{actor} acknowledged monthly technical report {object}"},
	"audit.a.monthly.":             {"Báo cáo kỹ thuật hàng tháng (lập, rà soát, công bố, xác nhận)", "Monthly technical reports (generated, reviewed, published, acknowledged)"},
	"audit.type.monthly_report":    {"báo cáo kỹ thuật hàng tháng", "monthly technical report"},
}

var monthlyErrors = map[string]string{
	"%q is not a month: write it as YYYY-MM (2026-11)": "%q không phải tháng: viết dạng YYYY-MM (2026-11)",
	"%s has not begun": "tháng %s chưa bắt đầu",
	"only the IT Center (the root unit's officers and administrators) generates, reviews and publishes the monthly reports": "chỉ Trung tâm CNTT (cán bộ và quản trị viên của đơn vị gốc) được lập, rà soát và công bố báo cáo kỹ thuật hàng tháng",
	"the report of %s for unit %s is published: it no longer changes":                                                       "báo cáo tháng %s của đơn vị %s đã công bố: không thể thay đổi nữa",
	"the report of %s for unit %s is being generated: try again":                                                            "báo cáo tháng %s của đơn vị %s đang được lập: hãy thử lại",
	"monthly report %d is not a draft: only a draft is reviewed":                                                            "báo cáo tháng %d không phải bản nháp: chỉ bản nháp được rà soát",
	"monthly report %d is not reviewed":                                                                                     "báo cáo tháng %d chưa được rà soát",
	"monthly report %d is not reviewed: review it before publishing":                                                        "báo cáo tháng %d chưa được rà soát: hãy rà soát trước khi công bố",
	"monthly report %d changed while it was being published: try again":                                                     "báo cáo tháng %d vừa thay đổi trong lúc công bố: hãy thử lại",
	"monthly report %d is not published: only a published report is acknowledged":                                           "báo cáo tháng %d chưa công bố: chỉ báo cáo đã công bố mới được xác nhận",
	"the organisation's report is acknowledged by each unit on its own report":                                              "báo cáo toàn ngành được từng đơn vị xác nhận trên báo cáo của chính đơn vị",
	"only the unit's officers acknowledge a report for it":                                                                  "chỉ cán bộ phụ trách của đơn vị được xác nhận đã nhận báo cáo",
	"must be pdf, docx or json":                                                                                             "phải là pdf, docx hoặc json",
}
