package i18n

// The vulnerability knowledge base's words (internal/vuln, web/ui_feeds.go,
// `vigil feeds`), in a file of their own so issue 11's helpers do not all
// edit one map; init merges them like messages_alerts.go.
func init() {
	for k, v := range kbMessages {
		messages[k] = v
	}
	for k, v := range kbErrors {
		errorFormats[k] = v
	}
}

var kbMessages = map[string][2]string{
	"audit.do.feed.import": {"{actor} đã nạp nguồn dữ liệu lỗ hổng {object}", "{actor} loaded the vulnerability feed {object}"},
	"audit.type.feed":      {"nguồn dữ liệu lỗ hổng", "vulnerability feed"},
}

var kbErrors = map[string]string{}

func init() {
	for k, v := range feedsPage {
		messages[k] = v
	}
}

// The /feeds page.
var feedsPage = map[string][2]string{
	"nav.feeds":                     {"Dữ liệu lỗ hổng", "Vulnerability data"},
	"feeds.title":                   {"Cơ sở dữ liệu lỗ hổng", "Vulnerability knowledge base"},
	"feeds.intro":                   {"Các nguồn dữ liệu dùng để đối chiếu máy với lỗ hổng và bản vá: bản tin bảo mật hằng tháng của Microsoft (MSRC), cơ sở dữ liệu lỗ hổng quốc gia Hoa Kỳ (NVD), danh mục lỗ hổng đang bị khai thác của CISA (KEV) và điểm dự báo khả năng bị khai thác (EPSS).", "The feeds hosts are matched against for vulnerabilities and updates: Microsoft's monthly security updates (MSRC), the US National Vulnerability Database (NVD), CISA's Known Exploited Vulnerabilities (KEV) and the Exploit Prediction Scoring System (EPSS)."},
	"feeds.status":                  {"Tình trạng các nguồn", "Feeds"},
	"feeds.feed":                    {"Nguồn", "Feed"},
	"feeds.rows":                    {"Số bản ghi đang có", "Records held"},
	"feeds.fixes":                   {"%s bản vá", "%s fixes"},
	"feeds.matches":                 {"%s điều kiện CPE", "%s CPE matches"},
	"feeds.loaded_at":               {"Nạp lúc", "Loaded"},
	"feeds.age":                     {"Đã qua", "Age"},
	"feeds.data_date":               {"Ngày của dữ liệu", "Data as of"},
	"feeds.last_import":             {"Lần nạp gần nhất", "Last import"},
	"feeds.source":                  {"Tệp hoặc địa chỉ", "File or address"},
	"feeds.last_error":              {"Lỗi", "Error"},
	"feeds.failed":                  {"Nạp thất bại", "Import failed"},
	"feeds.never":                   {"Chưa nạp", "Never loaded"},
	"feeds.stale":                   {"Đã cũ, cần cập nhật", "Out of date"},
	"feeds.counts":                  {"đọc %s · mới hoặc thay đổi %s · không đổi %s · bỏ qua %s", "read %s · new or changed %s · unchanged %s · skipped %s"},
	"feeds.version":                 {"Phiên bản cơ sở dữ liệu: %d (tăng mỗi khi một lần nạp làm thay đổi dữ liệu).", "Knowledge base version: %d (raised by every import that changes something)."},
	"feeds.how_to_load":             {"Nạp dữ liệu bằng dòng lệnh:", "Load data from the command line:"},
	"feeds.name.msrc":               {"Microsoft (MSRC)", "Microsoft (MSRC)"},
	"feeds.name.nvd":                {"NVD", "NVD"},
	"feeds.name.kev":                {"CISA KEV", "CISA KEV"},
	"feeds.name.epss":               {"EPSS", "EPSS"},
	"feeds.what.msrc":               {"Bản tin bảo mật hằng tháng: sản phẩm, CVE, bản vá KB, bản dựng đã vá, bản vá thay thế", "Monthly security updates: products, CVEs, KBs, fixed builds, supersedence"},
	"feeds.what.nvd":                {"CVE, điểm CVSS, cấu hình phần mềm bị ảnh hưởng (CPE)", "CVEs, CVSS scores, affected software configurations (CPE)"},
	"feeds.what.kev":                {"Lỗ hổng đang bị khai thác và hạn khắc phục", "Vulnerabilities exploited in the wild, with remediation due dates"},
	"feeds.what.epss":               {"Xác suất bị khai thác trong 30 ngày tới", "Probability of exploitation in the next 30 days"},
	"feeds.lookup":                  {"Tra cứu CVE", "Look up a CVE"},
	"feeds.cve_id":                  {"Mã CVE", "CVE id"},
	"feeds.look_up":                 {"Tra cứu", "Look up"},
	"feeds.severity":                {"Mức độ", "Severity"},
	"feeds.kev":                     {"Trong danh mục KEV", "In the KEV catalog"},
	"feeds.kev_yes":                 {"Đang bị khai thác", "Exploited"},
	"feeds.kev_no":                  {"Không", "No"},
	"feeds.kev_due":                 {"hạn khắc phục", "due"},
	"feeds.ransomware":              {"đã bị mã độc tống tiền sử dụng", "used by ransomware"},
	"feeds.exploited":               {"Microsoft ghi nhận bị khai thác", "Exploited (Microsoft)"},
	"feeds.published":               {"Công bố", "Published"},
	"feeds.ms_fixes":                {"Bản vá của Microsoft", "Microsoft fixes"},
	"feeds.product":                 {"Sản phẩm", "Product"},
	"feeds.sub_type":                {"Loại bản vá", "Kind of update"},
	"feeds.fixed_build":             {"Bản dựng đã vá", "Fixed build"},
	"feeds.supersedes":              {"Thay thế bản vá", "Supersedes"},
	"feeds.document":                {"Bản tin", "Document"},
	"feeds.documents":               {"Bản tin MSRC đã nạp", "MSRC documents loaded"},
	"feeds.released":                {"Phát hành", "Released"},
	"feeds.updated":                 {"Cập nhật", "Updated"},
	"feeds.fix_count":               {"Số bản vá", "Fixes"},
	"feeds.no_documents":            {"Chưa nạp bản tin MSRC nào.", "No MSRC document is loaded."},
	"feeds.imports":                 {"Các lần nạp gần đây", "Recent imports"},
	"feeds.started":                 {"Bắt đầu", "Started"},
	"feeds.by":                      {"Người nạp", "By"},
	"feeds.subtype.security_update": {"Bản cập nhật bảo mật", "Security update"},
	"feeds.subtype.monthly_rollup":  {"Bản cập nhật tổng hợp hằng tháng", "Monthly rollup"},
	"feeds.subtype.security_only":   {"Bản chỉ gồm bản vá bảo mật", "Security only"},
	"feeds.subtype.hotpatch":        {"Bản vá nóng (không cần khởi động lại)", "Security hotpatch"},
	"feeds.subtype.ie_cumulative":   {"Bản cập nhật tích lũy Internet Explorer", "Internet Explorer cumulative"},
	"feeds.subtype.other":           {"Loại khác", "Other"},
	"feeds.no_imports":              {"Chưa có lần nạp nào.", "Nothing has been imported yet."},
}
