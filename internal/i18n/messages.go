package i18n

// Langs are the UI languages, Vietnamese first.
var Langs = []string{"vi", "en"}

// T returns the message for key in lang, falling back to Vietnamese, then
// to the key itself (so a missing entry is visible, not blank).
func T(lang, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if lang == "en" && m[1] != "" {
		return m[1]
	}
	return m[0]
}

// messages maps a key to its Vietnamese and English text. Capability
// packages' UI strings live here too so translators have one file.
var messages = map[string][2]string{
	"app.name":    {"Vigil", "Vigil"},
	"app.tagline": {"Trung tâm điều hành an toàn thông tin", "Security operations hub"},
	"lang.switch": {"English", "Tiếng Việt"},

	"nav.dashboard": {"Tổng quan", "Dashboard"},
	"nav.units":     {"Đơn vị", "Units"},
	"nav.users":     {"Người dùng", "Users"},
	"nav.tokens":    {"Khóa API", "API tokens"},
	"nav.audit":     {"Nhật ký kiểm toán", "Audit log"},
	"nav.hosts":     {"Máy chủ & máy trạm", "Hosts"},
	"nav.logout":    {"Đăng xuất", "Sign out"},
	"nav.skip":      {"Bỏ qua đến nội dung", "Skip to content"},

	"login.title":    {"Đăng nhập", "Sign in"},
	"login.email":    {"Thư điện tử", "E-mail"},
	"login.password": {"Mật khẩu", "Password"},
	"login.submit":   {"Đăng nhập", "Sign in"},
	"login.sso":      {"Đăng nhập bằng tài khoản tổ chức (SSO)", "Sign in with your organisation (SSO)"},
	"login.failed":   {"Sai thư điện tử hoặc mật khẩu.", "Wrong e-mail or password."},

	"common.search":    {"Tìm kiếm", "Search"},
	"common.save":      {"Lưu", "Save"},
	"common.create":    {"Tạo mới", "Create"},
	"common.delete":    {"Xóa", "Delete"},
	"common.revoke":    {"Thu hồi", "Revoke"},
	"common.next":      {"Trang sau", "Next page"},
	"common.none":      {"Chưa có dữ liệu.", "Nothing here yet."},
	"common.code":      {"Mã", "Code"},
	"common.name":      {"Tên", "Name"},
	"common.kind":      {"Loại", "Kind"},
	"common.parent":    {"Đơn vị cấp trên", "Parent unit"},
	"common.unit":      {"Đơn vị", "Unit"},
	"common.role":      {"Vai trò", "Role"},
	"common.email":     {"Thư điện tử", "E-mail"},
	"common.phone":     {"Điện thoại", "Phone"},
	"common.position":  {"Chức vụ", "Position"},
	"common.created":   {"Ngày tạo", "Created"},
	"common.status":    {"Trạng thái", "Status"},
	"common.actions":   {"Thao tác", "Actions"},
	"common.filter":    {"Lọc", "Filter"},
	"common.all":       {"Tất cả", "All"},
	"common.saved":     {"Đã lưu.", "Saved."},
	"common.error":     {"Lỗi", "Error"},
	"common.yes":       {"Có", "Yes"},
	"common.no":        {"Không", "No"},
	"common.password":  {"Mật khẩu", "Password"},
	"common.expires":   {"Hết hạn", "Expires"},
	"common.last_used": {"Dùng lần cuối", "Last used"},

	"kind.headquarters": {"Cơ quan Trung ương", "Headquarters"},
	"kind.service_unit": {"Đơn vị sự nghiệp", "Service unit"},
	"kind.province":     {"BHXH tỉnh, thành phố", "Province"},
	"kind.district":     {"BHXH huyện, quận", "District"},

	"role.admin":   {"Quản trị", "Administrator"},
	"role.analyst": {"Chuyên viên giám sát (SOC)", "SOC analyst"},
	"role.officer": {"Cán bộ an toàn thông tin đơn vị", "Unit security officer"},
	"role.viewer":  {"Người xem", "Viewer"},

	"dash.title":    {"Tổng quan bảo đảm an toàn thông tin dịp Tết", "Holiday security overview"},
	"dash.units":    {"Đơn vị trong phạm vi", "Units in scope"},
	"dash.users":    {"Người dùng", "Users"},
	"dash.m1.title": {"1. Rà soát máy chủ, máy trạm", "1. Review servers and workstations"},
	"dash.m1.empty": {"Danh sách máy chủ, máy trạm và mức độ trang bị biện pháp bảo vệ (phòng chống mã độc, tường lửa) theo từng đơn vị sẽ hiển thị ở đây. Cài tác tử Vigil (vigil agent enroll) hoặc nhập danh mục (vigil import inventory).", "Servers and workstations with their security-control coverage per unit will appear here. Enrol the Vigil agent (vigil agent enroll) or import an inventory (vigil import inventory)."},
	"dash.m2.title": {"2. Giám sát liên tục", "2. Continuous monitoring"},
	"dash.m2.empty": {"Cảnh báo từ SIEM, hệ thống phòng chống mã độc tập trung và kênh cảnh báo sẽ hiển thị ở đây khi nguồn sự kiện được kết nối. Có thể săn tìm ngoại tuyến ngay bằng vigil detect.", "Alerts from the SIEM, the central anti-malware system and warning channels will appear here once event sources are connected. Hunt offline today with vigil detect."},
	"dash.m3.title": {"3. Lỗ hổng bảo mật", "3. Vulnerabilities"},
	"dash.m3.empty": {"Lỗ hổng mức cao và nghiêm trọng, trước hết của Microsoft năm 2023, theo từng đơn vị sẽ hiển thị ở đây sau khi nạp dữ liệu NVD/MSRC/KEV và kết quả rà quét.", "High and critical vulnerabilities, Microsoft 2023 first, per unit will appear here once NVD/MSRC/KEV feeds and scanner reports are loaded."},
	"dash.m4.title": {"4. Nâng cao nhận thức", "4. Awareness"},
	"dash.m4.empty": {"Tỷ lệ cán bộ hoàn thành khóa học về lừa đảo, tin giả và mã độc theo từng đơn vị sẽ hiển thị ở đây.", "Completion of the phishing, fake-news and fraud courses per unit will appear here."},
	"dash.m5.title": {"5. Trực 24/7 và ứng cứu sự cố", "5. 24/7 watch and incident response"},
	"dash.m5.empty": {"Sự cố, báo cáo gửi nền tảng điều phối quốc gia (IRLab) và trạng thái kết nối với NCSC sẽ hiển thị ở đây.", "Incidents, reports to the national coordination platform (IRLab) and the link to the NCSC will appear here."},
	"dash.audit":    {"Thay đổi gần đây", "Recent changes"},

	"units.title":       {"Đơn vị", "Units"},
	"units.new":         {"Thêm đơn vị", "Add a unit"},
	"units.search":      {"Tìm theo tên hoặc mã (không cần dấu)", "Search by name or code (accents optional)"},
	"units.children":    {"Đơn vị trực thuộc", "Units below"},
	"units.contacts":    {"Đầu mối liên hệ", "Points of contact"},
	"units.add_contact": {"Thêm đầu mối", "Add a contact"},
	"units.users":       {"Người dùng của đơn vị", "Users of this unit"},
	"units.import":      {"Nhập từ CSV: vigil units import FILE.csv", "Import from CSV: vigil units import FILE.csv"},

	"users.title":      {"Người dùng", "Users"},
	"users.new":        {"Thêm người dùng", "Add a user"},
	"users.disabled":   {"Đã khóa", "Disabled"},
	"users.locked":     {"Tạm khóa do đăng nhập sai", "Locked after failed sign-ins"},
	"users.active":     {"Hoạt động", "Active"},
	"users.last_login": {"Đăng nhập lần cuối", "Last sign-in"},
	"users.disable":    {"Khóa tài khoản", "Disable"},
	"users.enable":     {"Mở khóa tài khoản", "Enable"},

	"tokens.title":    {"Khóa API", "API tokens"},
	"tokens.new":      {"Tạo khóa API", "Create an API token"},
	"tokens.created":  {"Khóa mới — sao chép ngay, khóa sẽ không hiển thị lại:", "New token — copy it now, it will not be shown again:"},
	"tokens.lifetime": {"Thời hạn (ví dụ 720h)", "Lifetime (e.g. 720h)"},
	"tokens.revoked":  {"Đã thu hồi", "Revoked"},
	"tokens.help":     {"Dùng với dòng lệnh: VIGIL_SERVER=… VIGIL_TOKEN=… vigil units import FILE.csv", "Use from the command line: VIGIL_SERVER=… VIGIL_TOKEN=… vigil units import FILE.csv"},

	"audit.title":   {"Nhật ký kiểm toán", "Audit log"},
	"audit.time":    {"Thời gian", "Time"},
	"audit.actor":   {"Người thực hiện", "Actor"},
	"audit.action":  {"Hành động", "Action"},
	"audit.object":  {"Đối tượng", "Object"},
	"audit.summary": {"Nội dung", "Summary"},
	"audit.ip":      {"Địa chỉ IP", "IP address"},
	"audit.from":    {"Từ ngày", "From"},
	"audit.to":      {"Đến ngày", "To"},
	"audit.chain":   {"Nhật ký được liên kết bằng chuỗi băm; kiểm tra toàn vẹn bằng vigil audit verify.", "Rows are hash-chained; check integrity with vigil audit verify."},

	"err.notfound":  {"Không tìm thấy (hoặc nằm ngoài phạm vi của bạn).", "Not found (or outside your scope)."},
	"err.forbidden": {"Bạn không có quyền thực hiện thao tác này.", "You are not allowed to do this."},
}
