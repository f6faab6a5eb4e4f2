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
