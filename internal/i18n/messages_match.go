package i18n

// The vulnerability matcher's words (internal/vulnmatch, the host page's
// "missing updates" section and its export), in a file of their own; init
// merges them into messages where the tests check them like every other.
func init() {
	for k, v := range matchMessages {
		messages[k] = v
	}
}

var matchMessages = map[string][2]string{
	"match.title":                {"Bản cập nhật Microsoft còn thiếu", "Missing Microsoft updates"},
	"match.kb":                   {"Bản cập nhật (KB)", "Update (KB)"},
	"match.product":              {"Sản phẩm", "Product"},
	"match.severity":             {"Mức độ", "Severity"},
	"match.cvss":                 {"Điểm CVSS", "CVSS score"},
	"match.kev":                  {"Đang bị khai thác (CISA KEV)", "Known exploited (CISA KEV)"},
	"match.cve_count":            {"Số lỗ hổng", "CVEs"},
	"match.cves":                 {"Các lỗ hổng (CVE) được vá", "CVEs it closes"},
	"match.document":             {"Đợt phát hành MSRC", "MSRC release"},
	"match.installed":            {"Bản dựng/phiên bản đang chạy", "Build or version installed"},
	"match.replaces":             {"Thay cho các bản cập nhật", "Replaces updates"},
	"match.due":                  {"Hạn xử lý", "Due"},
	"match.yesno.true":           {"Có", "Yes"},
	"match.yesno.false":          {"Không", "No"},
	"match.none":                 {"Máy không thiếu bản cập nhật bảo mật nào của Microsoft theo dữ liệu MSRC hiện có.", "The host lacks no Microsoft security update in the MSRC data loaded."},
	"match.not_matched":          {"Chưa đối chiếu: chưa nạp cơ sở dữ liệu lỗ hổng, hoặc máy vừa được cập nhật và đang chờ đối chiếu.", "Not matched yet: no vulnerability data is loaded, or the host changed and waits to be matched."},
	"match.matched_at":           {"Đối chiếu lúc %s với dữ liệu phiên bản %s.", "Matched at %s against data version %s."},
	"match.windows":              {"Nhận diện là: %s.", "Recognised as: %s."},
	"match.more_cves":            {"và %d lỗ hổng khác", "and %d more"},
	"match.unmapped":             {"Phần mềm chưa đối chiếu được với NVD: %d trên %d gói", "Software not matched against NVD: %d of %d packages"},
	"match.unmapped_why":         {"Các gói này không có trong bảng tên → sản phẩm NVD (CPE) nên không được kiểm tra lỗ hổng; không có đoán tên.", "These packages are not in the name → NVD product (CPE) table, so they were not checked; names are never guessed."},
	"match.not_covered":          {"Không kiểm tra được", "Not checked"},
	"match.vulns":                {"Lỗ hổng của phần mềm khác (NVD): %d", "CVEs of other software (NVD): %d"},
	"match.export":               {"Tải danh sách", "Download the list"},
	"match.note.unknown_windows": {"chưa nhận diện được phiên bản Windows %s;", "the Windows release %s is not known;"},
	"match.note.no_product":      {"dữ liệu MSRC đã nạp không có sản phẩm %s;", "the MSRC data loaded has no product %s;"},
	"match.note.office":          {"chưa kiểm tra %s: MSRC không công bố bản dựng đã vá cho Office Click-to-Run và bản vá Office không nằm trong danh sách bản vá Windows;", "%s is not checked: MSRC gives no fixed build for Office Click-to-Run and Office's updates are not in the Windows hotfix list;"},
	"match.note.exchange":        {"%s không có bản cập nhật bảo mật trong dữ liệu MSRC (bản CU đã hết hỗ trợ?);", "%s has no security update in the MSRC data (an unsupported cumulative update?);"},
	"match.note.sql":             {"%s không khớp sản phẩm MSRC nào;", "%s matches no MSRC product;"},
}
