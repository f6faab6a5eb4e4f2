package i18n

// The rest of issue 14 (directory sync, course and template editing, the
// report mailbox), in a file of their own; init merges them like
// messages_training.go.
func init() {
	for k, v := range awarenessMessages {
		messages[k] = v
	}
	for k, v := range awarenessErrors {
		errorFormats[k] = v
	}
	for k, v := range awarenessAudit {
		auditMessages[k] = v
	}
}

var awarenessMessages = map[string][2]string{
	"field.ldap_url":                    {"Máy chủ LDAP", "LDAP server"},
	"field.base_dn":                     {"Nhánh tìm kiếm (base DN)", "Search base (base DN)"},
	"field.bind_dn":                     {"Tài khoản kết nối (bind DN)", "Bind DN"},
	"field.bind_password":               {"Mật khẩu kết nối", "Bind password"},
	"field.user_filter":                 {"Bộ lọc người dùng", "User filter"},
	"field.sync_hours":                  {"Đồng bộ mỗi (giờ, 0: chỉ khi bấm)", "Sync every (hours, 0: on demand only)"},
	"field.attr_email":                  {"Thuộc tính e-mail", "E-mail attribute"},
	"field.attr_name":                   {"Thuộc tính họ tên", "Name attribute"},
	"field.attr_position":               {"Thuộc tính chức vụ", "Position attribute"},
	"field.attr_department":             {"Thuộc tính phòng, bộ phận", "Department attribute"},
	"field.groups_claim":                {"Claim chứa nhóm (OIDC)", "Groups claim (OIDC)"},
	"field.groups":                      {"Nhóm → đơn vị", "Group → unit"},
	"tr.directory":                      {"Đồng bộ danh bạ (LDAP, SSO)", "Directory sync (LDAP, SSO)"},
	"tr.dir.title":                      {"Đồng bộ cán bộ từ danh bạ", "Employees from the directory"},
	"tr.dir.intro":                      {"Cán bộ thuộc các nhóm trong danh bạ (LDAP/Active Directory) được đưa vào đơn vị tương ứng; người không còn trong nhóm nào thì bị tạm khóa (người nhập từ CSV không bị ảnh hưởng). Khi đăng nhập học bằng SSO, nhóm trong ID token xếp cán bộ vào đơn vị theo cùng bảng nhóm → đơn vị.", "Members of the directory's groups (LDAP/Active Directory) become employees of the mapped units; people no longer in any mapped group are disabled (those imported from CSV are left alone). At SSO sign-in to training, the ID token's groups place the person through the same group → unit table."},
	"tr.dir.ldap":                       {"LDAP / Active Directory", "LDAP / Active Directory"},
	"tr.dir.sso":                        {"Đăng nhập một lần (OIDC)", "Single sign-on (OIDC)"},
	"tr.dir.sso_on":                     {"Cán bộ bấm \"Đăng nhập bằng tài khoản cơ quan\" ở trang học; người chưa có trong danh sách được thêm vào đơn vị theo nhóm của họ.", "Employees press \"Sign in with your organisation's account\" on the training page; someone not on the list yet is added to the unit of their group."},
	"tr.dir.sso_off":                    {"Hub chưa cấu hình OIDC (--oidc-issuer): cán bộ đăng nhập học bằng đường dẫn e-mail.", "The hub has no OIDC provider (--oidc-issuer): employees sign in to training with an e-mail link."},
	"tr.dir.groups_hint":                {"Mỗi dòng \"nhóm = MÃ ĐƠN VỊ\": DN của nhóm LDAP (khớp memberOf) hoặc tên nhóm trong claim; nhóm ở dòng trên được ưu tiên.", "One \"group = UNIT CODE\" a line: the LDAP group's DN (matched with memberOf) or a group name of the claim; earlier lines win."},
	"tr.dir.password_kept":              {"đã lưu — để trống để giữ nguyên", "stored — leave empty to keep it"},
	"tr.dir.sync_now":                   {"Đồng bộ ngay", "Sync now"},
	"tr.dir.runs":                       {"Các lần đồng bộ", "Syncs"},
	"tr.dir.no_runs":                    {"Chưa đồng bộ lần nào.", "No sync yet."},
	"tr.dir.started_at":                 {"Bắt đầu", "Started"},
	"tr.dir.started_by":                 {"Người/tác vụ chạy", "Started by"},
	"tr.dir.source":                     {"Nguồn", "Source"},
	"tr.dir.source.ldap":                {"LDAP", "LDAP"},
	"tr.dir.source.oidc":                {"SSO (OIDC)", "SSO (OIDC)"},
	"tr.dir.source.csv":                 {"Tệp CSV", "CSV file"},
	"tr.dir.entries":                    {"Mục đọc được", "Entries read"},
	"tr.dir.added":                      {"Thêm mới", "Added"},
	"tr.dir.updated":                    {"Cập nhật", "Updated"},
	"tr.dir.disabled":                   {"Tạm khóa", "Disabled"},
	"tr.dir.problems":                   {"Lỗi, ghi chú", "Problems"},
	"tr.dir.n_problems":                 {"%d mục không nhận", "%d entries not taken"},
	"tr.dir.n_changes":                  {"%d thay đổi", "%d changes"},
	"tr.dir.change.added":               {"Thêm", "Added"},
	"tr.dir.change.updated":             {"Cập nhật", "Updated"},
	"tr.dir.change.disabled":            {"Tạm khóa (không còn trong nhóm)", "Disabled (no longer in a group)"},
	"tr.dir.problem.no_email":           {"không có địa chỉ e-mail (thuộc tính %s)", "no e-mail address (attribute %s)"},
	"tr.dir.problem.bad_email":          {"%q không phải địa chỉ e-mail", "%q is not an e-mail address"},
	"tr.dir.problem.no_name":            {"không có họ tên (thuộc tính %s)", "no name (attribute %s)"},
	"tr.dir.problem.too_long":           {"họ tên, chức vụ hoặc phòng dài quá %s ký tự", "a name, position or department longer than %s characters"},
	"tr.dir.problem.two_units":          {"thuộc nhóm của nhiều đơn vị (%s)", "in the groups of several units (%s)"},
	"tr.dir.problem.duplicate":          {"trùng địa chỉ e-mail với mục khác, giữ mục đầu (%s)", "same e-mail address as another entry, the first kept (%s)"},
	"tr.dir.problem.none_listed":        {"danh bạ không trả về ai trong các nhóm đã chọn: không tạm khóa ai", "the directory listed no one in the mapped groups: nobody was disabled"},
	"tr.dir.problem.more":               {"và %s mục khác", "and %s more"},
	"tr.dir.problem.unreachable":        {"không kết nối được máy chủ LDAP, không thay đổi gì (%s)", "cannot reach the LDAP server, nothing changed (%s)"},
	"tr.dir.problem.bind":               {"máy chủ LDAP từ chối tài khoản kết nối, không thay đổi gì (%s)", "the LDAP server refused the bind, nothing changed (%s)"},
	"tr.dir.problem.search":             {"không đọc được thành viên của nhóm, không thay đổi gì (%s)", "cannot read the group's members, nothing changed (%s)"},
	"tr.dir.problem.base_dn":            {"nhánh tìm kiếm %s không có trên máy chủ LDAP, không thay đổi gì", "search base %s does not exist on the LDAP server, nothing changed"},
	"learn.sso":                         {"Đăng nhập bằng tài khoản cơ quan", "Sign in with your organisation's account"},
	"audit.type.training_directory":     {"cấu hình đồng bộ danh bạ", "directory sync settings"},
	"audit.type.training_directory_run": {"lần đồng bộ danh bạ", "directory sync"},
}

var awarenessAudit = map[string][2]string{
	"audit.do.training.directory_settings": {"{actor} đã sửa cấu hình đồng bộ cán bộ từ danh bạ", "{actor} changed the directory sync settings"},
	"audit.do.training.directory_sync":     {"{actor} đã đồng bộ cán bộ từ danh bạ ({object})", "{actor} synced the employees from the directory ({object})"},
	"audit.do.training.sign_in_sso":        {"{actor} đã đăng nhập học ATTT bằng tài khoản cơ quan (SSO)", "{actor} signed in to training with single sign-on"},
	"audit.do.training.sso_enrol":          {"{actor} được đưa vào danh sách học ATTT theo nhóm SSO ({object})", "{actor} was placed among the employees by their SSO groups ({object})"},
}

var awarenessErrors = map[string]string{
	"only the IT Center configures the directory":                                  "chỉ Trung tâm CNTT được cấu hình đồng bộ danh bạ",
	"%q is not an ldap:// or ldaps:// address":                                     "%q không phải địa chỉ ldap:// hoặc ldaps://",
	"is required with an LDAP server":                                              "bắt buộc khi dùng máy chủ LDAP",
	"longer than 500 characters":                                                   "dài quá 500 ký tự",
	"%q is not an LDAP filter: write it in parentheses, e.g. (objectClass=person)": "%q không phải bộ lọc LDAP: hãy viết trong ngoặc, ví dụ (objectClass=person)",
	"must be from 0 (only on demand) to 168 hours":                                 "phải từ 0 (chỉ khi bấm) đến 168 giờ",
	"line %d: a group and a unit code are both needed":                             "dòng %d: cần cả nhóm và mã đơn vị",
	"line %d: group %q is mapped twice":                                            "dòng %d: nhóm %q được khai hai lần",
	"line %d: no unit %q":                                                          "dòng %d: không có đơn vị %q",
	"line %d: write \"group = UNIT CODE\"":                                         "dòng %d: hãy viết \"nhóm = MÃ ĐƠN VỊ\"",
	"no LDAP server is configured":                                                 "chưa cấu hình máy chủ LDAP",
	"map at least one directory group to a unit":                                   "hãy khai ít nhất một nhóm → đơn vị",
	"you are not on the list of employees, nor in a directory group the hub knows: ask your unit's officer": "bạn chưa có trong danh sách cán bộ học ATTT, cũng không thuộc nhóm nào hệ thống biết: hãy liên hệ cán bộ ATTT của đơn vị",
}
