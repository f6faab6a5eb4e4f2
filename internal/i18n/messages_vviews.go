package i18n

// Issue 11's findings to closure and vulnerability views (internal/findings,
// web/ui_vulnerabilities.go): their words, audit sentences and error
// messages, in a file of their own so the helpers building the issue side
// by side do not all edit one map; init merges them.
func init() {
	for k, v := range vviewsMessages {
		messages[k] = v
	}
	for k, v := range vviewsErrors {
		errorFormats[k] = v
	}
}

var vviewsMessages = map[string][2]string{
	"nav.vulnerabilities":   {"Lỗ hổng", "Vulnerabilities"},
	"vuln.title":            {"Lỗ hổng bảo mật", "Vulnerabilities"},
	"vuln.intro":            {"Lỗ hổng phần mềm và bản cập nhật còn thiếu trên máy chủ, máy trạm của đơn vị và các đơn vị trực thuộc: còn mở theo mức độ, quá hạn, đã bị khai thác trong thực tế (danh mục KEV của CISA), và diễn biến theo tuần.", "Software vulnerabilities and missing updates on the servers and workstations of the unit and the units under it: open by severity, overdue, known exploited (CISA's KEV catalog), and the trend by week."},
	"vuln.views":            {"Các trang về lỗ hổng", "Vulnerability views"},
	"vuln.dashboard":        {"Tổng quan theo đơn vị", "By unit"},
	"vuln.queue":            {"Danh sách cần xử lý", "The queue"},
	"vuln.weeks":            {"Số tuần", "Weeks"},
	"vuln.open_by_severity": {"Còn mở theo mức độ", "Open by severity"},
	"vuln.open":             {"Còn mở", "Open"},
	"vuln.overdue":          {"Quá hạn", "Overdue"},
	"vuln.kev":              {"Đã bị khai thác (KEV)", "Known exploited (KEV)"},
	"vuln.kev_only":         {"Chỉ lỗ hổng đã bị khai thác (KEV)", "Known exploited (KEV) only"},
	"vuln.kev_due":          {"Hạn của CISA", "CISA due"},
	"vuln.hosts":            {"Số máy bị ảnh hưởng", "Hosts affected"},
	"vuln.trend":            {"Diễn biến số lỗ hổng còn mở theo tuần", "Open vulnerabilities by week"},
	"vuln.week_end":         {"Cuối tuần", "Week ending"},
	"vuln.trend_open":       {"Còn mở cuối tuần", "Open at the week's end"},
	"vuln.trend_new":        {"Mới phát hiện trong tuần", "New that week"},
	"vuln.trend_closed":     {"Đã đóng trong tuần", "Closed that week"},
	"vuln.trend_note":       {"Cách tính: một phát hiện được coi là còn mở từ lần thấy đầu tiên đến khi được đóng (khắc phục, chấp nhận rủi ro, cảnh báo nhầm); tuần hiện tại tính đến thời điểm này. Phát hiện đã đóng rồi mở lại được tính theo lần đóng gần nhất, nên đường này là lịch sử như dữ liệu hiện có cho thấy, không phải ảnh chụp hằng ngày.", "How it is counted: a finding counts as open from its first sighting until it was closed (fixed, risk accepted, false positive); the current week runs to now. A finding closed and reopened counts by its latest closing, so the curve is the history as the findings tell it today, not a daily snapshot."},
	"vuln.by_unit":          {"Theo đơn vị (cộng dồn đơn vị trực thuộc)", "By unit (units under each rolled up)"},
	"vuln.self":             {"(máy của chính đơn vị)", "(the unit's own hosts)"},
	"vuln.none":             {"Không có lỗ hổng hay bản cập nhật còn thiếu nào trong phạm vi này.", "No vulnerability or missing update in this scope."},
	"vuln.unit_code":        {"Mã đơn vị", "Unit code"},
	"vuln.priority":         {"Ưu tiên", "Priority"},
	"vuln.priority_note":    {"Độ ưu tiên (0–100) = 45 × CVSS/10 + 15 × EPSS + 20 nếu đã bị khai thác (KEV) + 10 nếu máy mở cổng mạng của dịch vụ bị lỗi (hoặc máy quét thấy trên cổng) + 5 nếu máy có địa chỉ Internet công cộng + 5 nếu là máy chủ.", "Priority (0–100) = 45 × CVSS/10 + 15 × EPSS + 20 if known exploited (KEV) + 10 if the host listens on the flawed service's network port (or a scanner saw it on a port) + 5 if the host has a public Internet address + 5 for a server."},
	"vuln.cve":              {"Mã CVE", "CVE"},
	"vuln.cves":             {"Các CVE được vá", "CVEs fixed"},
	"vuln.cvss":             {"Điểm CVSS", "CVSS"},
	"vuln.epss":             {"Xác suất bị khai thác (EPSS)", "EPSS"},
	"vuln.kb":               {"Bản cập nhật (KB)", "KB"},
	"vuln.kb_to_install":    {"Bản cập nhật cần cài", "KB to install"},
	"vuln.product":          {"Sản phẩm", "Product"},
	"vuln.document":         {"Bản tin MSRC", "MSRC release"},
	"vuln.days":             {"ngày", "days"},
	"vuln.and_more":         {"(tổng %d)", "(%d in all)"},
	"vuln.approver":         {"Người phê duyệt chấp nhận rủi ro", "Risk approved by"},
	"vuln.approver_hint":    {"thư điện tử của cán bộ phụ trách hoặc quản trị", "e-mail of the officer or administrator"},
	"vuln.risk_expires":     {"Chấp nhận rủi ro đến ngày", "Risk accepted until"},
	"vuln.accept_fields":    {"Chấp nhận rủi ro: người phê duyệt và ngày hết hạn", "Accepting a risk: approver and end date"},
	"vuln.accept_hint":      {"Chấp nhận rủi ro cần: lý do (ô ghi chú), người phê duyệt là cán bộ phụ trách của đơn vị hoặc đơn vị cấp trên (hoặc quản trị), và ngày hết hạn (tối đa một năm); hết hạn, phát hiện tự mở lại.", "Accepting a risk needs a reason (the note), an approver who is an officer of the unit or a unit above it (or an administrator), and an end date (at most a year); when it ends the finding reopens."},
	"vuln.approved_by":      {"Phê duyệt:", "Approved by"},
	"vuln.until":            {"đến", "until"},

	"vuln.card.open":          {"Lỗ hổng, bản cập nhật còn thiếu", "Open vulnerabilities and missing updates"},
	"vuln.card.critical_high": {"Mức nghiêm trọng và cao", "Critical and high"},
	"vuln.card.overdue":       {"Quá hạn xử lý", "Overdue"},
	"vuln.card.kev":           {"Đã bị khai thác (KEV)", "Known exploited (KEV)"},
	"vuln.card.ms2023":        {"Máy còn thiếu bản vá Microsoft 2023 mức cao, nghiêm trọng", "Hosts missing Microsoft 2023 high/critical fixes"},

	"vuln.ms2023.title":   {"Bản vá Microsoft 2023 mức cao, nghiêm trọng", "Microsoft 2023 high/critical fixes"},
	"vuln.ms2023.intro":   {"Theo chỉ đạo: các máy của từng đơn vị (cộng dồn đơn vị trực thuộc) còn thiếu bản vá cho lỗ hổng mức cao và nghiêm trọng trong sản phẩm Microsoft công bố năm 2023, và bản cập nhật (KB) cần cài để khắc phục. Tính từ dữ liệu MSRC: bản cập nhật thuộc bản tin năm 2023 hoặc vá CVE năm 2023.", "As the directive asks: the hosts of each unit (units under it rolled up) still missing fixes for high and critical vulnerabilities in Microsoft products announced in 2023, and the KB that closes each. Computed from MSRC data: an update of a 2023 release, or one fixing a CVE of 2023."},
	"vuln.ms2023.both":    {"Cao và nghiêm trọng", "High and critical"},
	"vuln.ms2023.by_unit": {"Theo đơn vị", "By unit"},
	"vuln.ms2023.hosts":   {"Số máy còn thiếu", "Hosts missing fixes"},
	"vuln.ms2023.fixes":   {"Số bản cập nhật còn thiếu (máy × KB)", "Missing fixes (host × KB)"},
	"vuln.ms2023.list":    {"Máy và bản cập nhật cần cài", "Hosts and the KB to install"},
	"vuln.ms2023.none":    {"Không có máy nào còn thiếu bản vá Microsoft 2023 mức cao, nghiêm trọng trong phạm vi và bộ lọc này.", "No host in this scope and filter is missing a Microsoft 2023 high/critical fix."},

	"vuln.due.title":      {"Thời hạn xử lý", "Due dates"},
	"vuln.due.intro":      {"Số ngày để xử lý một phát hiện, tính từ lần thấy đầu tiên (hoặc khi mở lại), theo loại và mức độ. Thay đổi áp dụng cho phát hiện mới và phát hiện mở lại; phát hiện đang có giữ hạn cũ.", "Days to fix a finding, counted from its first sighting (or its reopening), by kind and severity. A change applies to new and reopened findings; those already filed keep their due date."},
	"vuln.due.admin_only": {"Chỉ quản trị viên được thay đổi thời hạn.", "Only an administrator may change due dates."},

	// Audit.
	"audit.do.finding_due.update":         {"{actor} đã đổi thời hạn xử lý {object}", "{actor} changed the due days of {object}"},
	"audit.do.finding.risk_expired":       {"Hết hạn chấp nhận rủi ro, phát hiện {object} được mở lại", "The risk acceptance of finding {object} ended: it was reopened"},
	"audit.type.finding_due":              {"thời hạn xử lý", "due days"},
	"audit.a.finding_due.":                {"Thời hạn xử lý phát hiện", "Finding due days"},
	"audit.f.days":                        {"Số ngày", "Days"},
	"audit.f.severity":                    {"Mức độ", "Severity"},
	"audit.f.finding_kind":                {"Loại phát hiện", "Kind of finding"},
	"audit.f.approver":                    {"Người phê duyệt", "Approved by"},
	"audit.f.expires":                     {"Hết hạn", "Ends"},
	"audit.v.finding_kind.malware":        {"Mã độc", "Malware"},
	"audit.v.finding_kind.vulnerability":  {"Lỗ hổng", "Vulnerability"},
	"audit.v.finding_kind.missing_update": {"Thiếu bản cập nhật", "Missing update"},
	"audit.v.finding_kind.warning_list":   {"Danh sách cảnh báo", "Warning list"},
	"audit.v.severity.critical":           {"Nghiêm trọng", "Critical"},
	"audit.v.severity.high":               {"Cao", "High"},
	"audit.v.severity.medium":             {"Trung bình", "Medium"},
	"audit.v.severity.low":                {"Thấp", "Low"},
	"finding.source":                      {"Nguồn", "Source"},
	"field.approver":                      {"Người phê duyệt", "Approver"},
	"field.cve":                           {"Mã CVE", "CVE"},
	"field.kb":                            {"Bản cập nhật (KB)", "KB"},
	"field.kev":                           {"Đã bị khai thác (KEV)", "Known exploited"},
	"field.ms2023":                        {"Bản vá Microsoft 2023", "Microsoft 2023 fixes"},
	"field.weeks":                         {"Số tuần", "Weeks"},
	"field.days":                          {"Số ngày", "Days"},
}

var vviewsErrors = map[string]string{
	"give at least one kind, severity and number of days":                                   "hãy cho ít nhất một loại, mức độ và số ngày",
	"give a number of days from 1 to %d":                                                    "hãy nhập số ngày từ 1 đến %d",
	"only an administrator may change due dates":                                            "chỉ quản trị viên được thay đổi thời hạn xử lý",
	"accepting a risk needs the e-mail of the officer or administrator who approved it":     "chấp nhận rủi ro cần thư điện tử của cán bộ phụ trách hoặc quản trị viên đã phê duyệt",
	"accepting a risk needs the day the acceptance ends":                                    "chấp nhận rủi ro cần ngày hết hạn chấp nhận",
	"the acceptance must end after today":                                                   "ngày hết hạn chấp nhận rủi ro phải sau hôm nay",
	"a risk is accepted for at most %d days":                                                "chỉ được chấp nhận rủi ro tối đa %d ngày",
	"%q is not an active officer of unit %s or of a unit above it, nor an administrator":    "%q không phải cán bộ phụ trách đang hoạt động của đơn vị %s hay đơn vị cấp trên, cũng không phải quản trị viên",
	"say why the risk is accepted":                                                          "hãy nêu lý do chấp nhận rủi ro",
	"%q is not a CVE id: write it as CVE-2023-21554":                                        "%q không phải mã CVE: hãy viết dạng CVE-2023-21554",
	"%q is not a KB number: write it as KB5034441 or 5034441":                               "%q không phải số hiệu bản cập nhật: hãy viết dạng KB5034441 hoặc 5034441",
	"an approver and an end date go with accepting a risk: choose the status accepted_risk": "người phê duyệt và ngày hết hạn chỉ dùng khi chấp nhận rủi ro: hãy chọn trạng thái Chấp nhận rủi ro",
	"must be a number of weeks from 1 to 26":                                                "phải là số tuần từ 1 đến 26",
}
