package i18n

// The scanner imports' words (internal/scanimport, web/ui_scans.go), in a
// file of their own; init merges them into messages.
func init() {
	for k, v := range scanMessages {
		messages[k] = v
	}
}

var scanMessages = map[string][2]string{
	"scans.all_statuses":           {"Mọi trạng thái", "Any status"},
	"scans.detect":                 {"Tự nhận ra từ nội dung", "Detect from the content"},
	"nav.scans":                    {"Nhập kết quả quét", "Scan imports"},
	"scans.title":                  {"Nhập kết quả quét lỗ hổng", "Vulnerability scan imports"},
	"scans.intro":                  {"Tải lên báo cáo của Nessus, OpenVAS/Greenbone, Qualys, Nexpose, Nmap (vulners), Trivy, Grype, OSV-Scanner hoặc Nuclei. Định dạng được nhận ra từ nội dung tệp. Mỗi báo cáo được nhập trọn vẹn hoặc không nhập gì; lần quét mới hơn đóng các lỗ hổng không còn được báo.", "Upload a report of Nessus, OpenVAS/Greenbone, Qualys, Nexpose, Nmap (vulners), Trivy, Grype, OSV-Scanner or Nuclei. The format is told from the file's content. Each report is imported whole or not at all; a newer scan closes the vulnerabilities it no longer reports."},
	"scans.upload":                 {"Tải lên báo cáo", "Upload a report"},
	"scans.report_file":            {"Tệp báo cáo", "Report file"},
	"scans.host_hint":              {"Máy được quét (chỉ cho Trivy, Grype, OSV-Scanner: địa chỉ IP hoặc tên máy)", "Scanned host (Trivy, Grype, OSV-Scanner only: IP address or host name)"},
	"scans.import":                 {"Nhập", "Import"},
	"scans.imported":               {"Đã nhập %s: %s bản ghi, %s máy mới, %s lỗ hổng mới, %s đã đóng.", "Imported %s: %s records, %s new hosts, %s new findings, %s closed."},
	"scans.history":                {"Các lần nhập", "Past imports"},
	"scans.none":                   {"Chưa có lần nhập nào khớp bộ lọc.", "No import matches these filters."},
	"scans.started":                {"Thời điểm nhập", "Imported at"},
	"scans.scanner":                {"Công cụ quét", "Scanner"},
	"scans.file":                   {"Tệp", "File"},
	"scans.scan_at":                {"Thời điểm quét", "Scanned at"},
	"scans.records_read":           {"Bản ghi đọc", "Records read"},
	"scans.records_loaded":         {"Bản ghi nhập", "Records loaded"},
	"scans.records_skipped":        {"Bản ghi bỏ qua", "Records skipped"},
	"scans.skipped_why":            {"Lý do bỏ qua", "Why skipped"},
	"scans.hosts_new":              {"Máy mới", "New hosts"},
	"scans.hosts_updated":          {"Máy cập nhật", "Updated hosts"},
	"scans.findings_new":           {"Lỗ hổng mới", "New findings"},
	"scans.findings_updated":       {"Lỗ hổng cập nhật", "Updated findings"},
	"scans.findings_closed":        {"Lỗ hổng đã đóng", "Closed findings"},
	"scans.sha256":                 {"Mã băm SHA-256", "SHA-256"},
	"scans.by":                     {"Người nhập", "Imported by"},
	"scans.error":                  {"Lỗi", "Error"},
	"scans.all_scanners":           {"Mọi công cụ", "All scanners"},
	"scans.status.done":            {"Đã nhập", "Imported"},
	"scans.status.failed":          {"Thất bại, không nhập gì", "Failed, nothing imported"},
	"scans.status.running":         {"Đang nhập", "Importing"},
	"scans.skip.informational":     {"chỉ là thông tin, không phải lỗ hổng", "information, not a vulnerability"},
	"scans.skip.not_vulnerable":    {"công cụ đã kiểm tra và không thấy lỗ hổng", "checked and found not vulnerable"},
	"scans.skip.no_host":           {"không rõ máy nào (báo cáo không có địa chỉ hay tên máy)", "no host (the report names no address or host name)"},
	"scans.skip.not_cve":           {"tham chiếu mã khai thác hoặc khuyến cáo, không phải CVE", "an exploit or advisory reference, not a CVE"},
	"scans.skip.not_vulnerability": {"cấu hình sai hoặc lộ bí mật, không phải lỗ hổng", "a misconfiguration or secret, not a vulnerability"},
	"scans.skip.bad_cve":           {"mã CVE không hợp lệ và không có mã kiểm tra", "a CVE id that does not parse, and no check id"},
	"scans.skip.kept_fixed":        {"lần quét cũ hơn lần đã xác nhận khắc phục: giữ trạng thái đã khắc phục", "an older scan than the one that verified the fix: kept fixed"},
	"scans.skip.false_positive":    {"công cụ đánh dấu là báo nhầm", "marked a false positive by the scanner"},
	"scans.skip.no_definition":     {"báo cáo không mô tả phép kiểm tra này", "the report does not define this check"},
	"audit.do.scan.import":         {"{actor} đã nhập kết quả quét vào đơn vị, lần nhập {object}", "{actor} imported a scan report into a unit, import {object}"},
	"audit.do.scan.import_failed":  {"{actor} nhập kết quả quét không thành công, lần nhập {object}", "{actor} failed to import a scan report, import {object}"},
	"audit.type.scan_import":       {"lần nhập kết quả quét", "scan import"},
}
