package i18n

// The outbox's words (internal/outbox, web/routes_outbox.go, templates
// outbox*.html), in a file of their own; init merges them into messages,
// errorFormats and the audit log's words.
func init() {
	for k, v := range outboxMessages {
		messages[k] = v
	}
	for k, v := range outboxErrors {
		errorFormats[k] = v
	}
	for k, v := range outboxAudit {
		auditMessages[k] = v
	}
}

var outboxMessages = map[string][2]string{
	"nav.outbox":                      {"Gửi báo cáo", "Outbox"},
	"outbox.title":                    {"Gửi báo cáo sự cố", "Report deliveries"},
	"outbox.intro":                    {"Mỗi báo cáo đã duyệt được gửi tới từng nơi nhận (thư điện tử kèm tệp, hoặc HTTP): nơi nhận gián đoạn thì hệ thống tự gửi lại, giãn dần tới mỗi giờ một lần, trong nhiều ngày; mọi lần gửi đều được ghi lại.", "Each approved report goes to each recipient (e-mail with the file attached, or HTTP): a recipient that is down is retried on its own, backing off to once an hour, for days; every attempt is recorded."},
	"outbox.settings":                 {"Nơi nhận báo cáo", "Report recipients"},
	"outbox.settings_help":            {"Nơi nhận theo từng loại báo cáo (Thông tư 20/2017/TT-BTTTT, Điều 9): cơ quan chủ quản, cơ quan điều phối quốc gia (VNCERT/CC, nay thuộc Cục A05), đơn vị chuyên trách ứng cứu sự cố. Tên cơ quan sửa được vì các cơ quan đã được tổ chức lại. Nhiều địa chỉ cách nhau bằng dấu phẩy.", "Recipients per kind of report (Circular 20/2017/TT-BTTTT, Art. 9): the system's owner body, the national coordinator (VNCERT/CC, now under A05), the specialised response unit. The names are editable since agencies were reorganised. Separate several addresses with commas."},
	"outbox.purpose":                  {"Loại báo cáo", "Report"},
	"outbox.purpose.incident_initial": {"Báo cáo ban đầu (Mẫu 03)", "Initial report (Mẫu 03)"},
	"outbox.purpose.incident_final":   {"Báo cáo kết thúc (Mẫu 04)", "Final report (Mẫu 04)"},
	"outbox.purpose.incident_summary": {"Báo cáo tổng hợp (Mẫu 05)", "Summary report (Mẫu 05)"},
	"outbox.channel":                  {"Kênh", "Channel"},
	"outbox.channel.email":            {"Thư điện tử", "E-mail"},
	"outbox.channel.http":             {"HTTP", "HTTP"},
	"outbox.status.pending":           {"Chờ gửi", "Waiting"},
	"outbox.status.sending":           {"Đang gửi", "Sending"},
	"outbox.status.delivered":         {"Đã gửi", "Delivered"},
	"outbox.status.failed":            {"Không gửi được", "Failed"},
	"outbox.result.delivered":         {"Đã gửi", "Delivered"},
	"outbox.result.retry":             {"Lỗi, sẽ gửi lại", "Failed, will retry"},
	"outbox.result.failed":            {"Lỗi, dừng gửi", "Failed, given up"},
	"outbox.id":                       {"Mã", "Id"},
	"outbox.created":                  {"Tạo lúc", "Created"},
	"outbox.object":                   {"Đối tượng", "About"},
	"outbox.case":                     {"Sự cố", "Case"},
	"outbox.recipient":                {"Nơi nhận", "Recipient"},
	"outbox.subject":                  {"Tiêu đề", "Subject"},
	"outbox.attempts":                 {"Số lần gửi", "Attempts"},
	"outbox.last_error":               {"Lỗi gần nhất", "Last error"},
	"outbox.delivered":                {"Gửi xong lúc", "Delivered at"},
	"outbox.next_attempt":             {"Gửi lại lúc", "Next attempt"},
	"outbox.retry_now":                {"Gửi lại ngay", "Retry now"},
	"outbox.none":                     {"Chưa có báo cáo nào được gửi.", "No deliveries yet."},
	"outbox.search_hint":              {"địa chỉ, nơi nhận, tiêu đề", "address, recipient, subject"},
	"outbox.http_help":                {"Tùy chọn: địa chỉ nhận báo cáo dạng JSON (POST) khi có hệ thống tiếp nhận; IRLab chưa có API công khai.", "Optional: an address that receives the report as JSON (POST) where a receiving system exists; IRLab has no public API."},
	"outbox.secret_help":              {"Tùy chọn: khóa ký HMAC-SHA256 (X-Vigil-Signature), ít nhất 16 ký tự; để trống là giữ khóa cũ.", "Optional: the HMAC-SHA256 signing key (X-Vigil-Signature), at least 16 characters; empty keeps the current one."},
	"outbox.secret_kept":              {"đã đặt (%s) — để trống là giữ nguyên", "set (%s) — leave empty to keep it"},
	"outbox.clear_secret":             {"Bỏ khóa ký (gửi không ký)", "Remove the signing key (send unsigned)"},
	"outbox.updated":                  {"Sửa lần cuối bởi %s lúc %s", "Last changed by %s at %s"},
	"outbox.receiver_title":           {"Hệ thống tiếp nhận qua HTTP cần làm gì", "What an HTTP receiver does"},
	"outbox.recv.signature":           {"HMAC-SHA256(khóa bí mật, \"1767225600\" + \".\" + thân yêu cầu)", "HMAC-SHA256(secret, \"1767225600\" + \".\" + body)"},
	"outbox.recv.delivered":           {"2xx với thân rỗng hoặc JSON ({\"id\": \"…\"}): đã gửi", "2xx with an empty body or JSON ({\"id\": \"…\"}): delivered"},
	"outbox.recv.retried":             {"408, 409, 425, 429, 5xx, quá thời gian chờ, 2xx không phải JSON: gửi lại sau", "408, 409, 425, 429, 5xx, timeout, a 2xx that is not JSON: retried"},
	"outbox.recv.failed":              {"3xx, các mã 4xx khác: không gửi được (sửa cấu hình rồi bấm \"gửi lại ngay\")", "3xx, other 4xx: failed (fix the settings, then \"retry now\")"},
	"outbox.receiver_help":            {"Mỗi báo cáo được POST dưới dạng JSON với khóa Idempotency-Key không đổi qua các lần gửi lại: hệ thống tiếp nhận bỏ qua khóa đã nhận. Trả 2xx (thân rỗng hoặc JSON) là đã nhận.", "Each report is POSTed as JSON with an Idempotency-Key that stays the same across retries: the receiver drops a key it has seen. A 2xx answer (empty or JSON) accepts it."},
	"outbox.delivery":                 {"Lần gửi báo cáo", "Delivery"},
	"outbox.attempt_log":              {"Các lần gửi", "Attempts"},
	"outbox.at":                       {"Lúc", "At"},
	"outbox.result":                   {"Kết quả", "Result"},
	"outbox.detail":                   {"Máy nhận trả lời", "What the recipient answered"},
	"outbox.give_up_at":               {"Dừng gửi lại sau", "Gives up after"},
	"outbox.no_attempts":              {"Chưa gửi lần nào.", "Not tried yet."},
	"outbox.deliveries":               {"Gửi báo cáo", "Deliveries"},
	"field.purpose":                   {"Loại báo cáo", "Report"},
	"field.subject":                   {"Tiêu đề", "Subject"},
	"field.files":                     {"Tệp đính kèm", "Attachments"},
	"field.json":                      {"Tài liệu JSON", "JSON document"},
	"field.key":                       {"Khóa chống gửi trùng", "Idempotency key"},
	"field.recipients":                {"Nơi nhận", "Recipients"},
	"field.owner_name":                {"Cơ quan chủ quản", "Owner body"},
	"field.owner_emails":              {"Thư điện tử cơ quan chủ quản", "Owner body's e-mail"},
	"field.coordinator_name":          {"Cơ quan điều phối quốc gia", "National coordinator"},
	"field.coordinator_emails":        {"Thư điện tử cơ quan điều phối", "National coordinator's e-mail"},
	"field.specialised_name":          {"Đơn vị chuyên trách", "Specialised unit"},
	"field.specialised_emails":        {"Thư điện tử đơn vị chuyên trách", "Specialised unit's e-mail"},
	"field.http_url":                  {"Địa chỉ HTTP nhận báo cáo", "HTTP endpoint"},
}

var outboxErrors = map[string]string{
	"only the IT Center and the SOC see the outbox's recipients":                             "chỉ Trung tâm CNTT và bộ phận SOC được xem nơi nhận báo cáo",
	"only the IT Center (the root unit's officers and administrators) configures the outbox": "chỉ Trung tâm CNTT (cán bộ của đơn vị gốc và quản trị viên) được cấu hình nơi nhận báo cáo",
	"at most 20 addresses":                                             "tối đa 20 địa chỉ",
	"must be an http:// or https:// address":                           "phải là địa chỉ http:// hoặc https://",
	"must not hold a user name or password: use the secret":            "không được chứa tên người dùng hay mật khẩu: hãy dùng khóa bí mật",
	"must be at most 2000 characters":                                  "tối đa 2000 ký tự",
	"must be at most 200 characters":                                   "tối đa 200 ký tự",
	"a message belongs to a unit":                                      "báo cáo phải thuộc một đơn vị",
	"a message needs a subject":                                        "báo cáo cần có tiêu đề",
	"at most %d files":                                                 "tối đa %d tệp",
	"a file needs a name of at most 200 bytes":                         "tệp cần có tên dài không quá 200 byte",
	"%s is larger than %d MiB":                                         "%s lớn hơn %d MiB",
	"the JSON document is larger than %d MiB":                          "tài liệu JSON lớn hơn %d MiB",
	"no recipient is configured for %s: the IT Center sets them on %s": "chưa cấu hình nơi nhận cho %s: Trung tâm CNTT đặt tại trang %s",
	"no unit has the id %d":                                            "không có đơn vị mã số %d",
	"the key %q was used for %s already":                               "khóa %q đã được dùng cho %s",
	"you may not retry deliveries of unit %s":                          "bạn không được gửi lại báo cáo của đơn vị %s",
	"delivery %d was delivered already":                                "lần gửi %d đã gửi xong",
	"delivery %d is being sent now":                                    "lần gửi %d đang được gửi",
}

var outboxAudit = map[string][2]string{
	"audit.do.outbox.settings":   {"{actor} đã sửa nơi nhận báo cáo {object}", "{actor} changed the recipients of {object}"},
	"audit.do.outbox.retry":      {"{actor} đã yêu cầu gửi lại ngay {object}", "{actor} asked to send {object} again now"},
	"audit.a.outbox.":            {"Gửi báo cáo (nơi nhận, gửi lại)", "Report deliveries (recipients, retries)"},
	"audit.type.outbox_settings": {"nơi nhận báo cáo", "report recipients"},
	"audit.type.outbox_delivery": {"lần gửi báo cáo", "report delivery"},
	"audit.f.owner_name":         {"Cơ quan chủ quản", "Owner body"},
	"audit.f.owner_emails":       {"Thư điện tử cơ quan chủ quản", "Owner body's e-mail"},
	"audit.f.coordinator_name":   {"Cơ quan điều phối quốc gia", "National coordinator"},
	"audit.f.coordinator_emails": {"Thư điện tử cơ quan điều phối", "National coordinator's e-mail"},
	"audit.f.specialised_name":   {"Đơn vị chuyên trách", "Specialised unit"},
	"audit.f.specialised_emails": {"Thư điện tử đơn vị chuyên trách", "Specialised unit's e-mail"},
	"audit.f.http_url":           {"Địa chỉ HTTP", "HTTP endpoint"},
	"audit.f.secret_hint":        {"Khóa ký (4 ký tự cuối)", "Signing key (last four characters)"},
	"audit.f.purpose":            {"Loại báo cáo", "Report"},
	"audit.f.object_type":        {"Loại đối tượng", "Object type"},
	"audit.f.object_id":          {"Đối tượng", "Object"},
}
