package i18n

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"vigil/internal/errs"
)

// Services say what is wrong in English (errs.Invalid(field, format,
// args...)): that is the API's language. Pages say it in the reader's: the
// English format is the key of its Vietnamese text below, and the args are
// put in the same way. A format missing here shows in English; a test walks
// the source for every errs.* call and fails on one without a translation.

// ErrorMessage is err's message in lang, without its field: what a form
// shows beside the field. An error that is not an *errs.Error is an
// internal one and says only that.
func ErrorMessage(lang string, err error) string {
	e, ok := errs.As(err)
	if !ok || e.Code == errs.EINTERNAL {
		return T(lang, "err.internal")
	}
	return capitalise(errorText(lang, e))
}

// ErrorText is err's message in lang led by its field's name ("Thư điện
// tử: không phải địa chỉ thư điện tử"): what a page shows above a form
// or on an error page.
func ErrorText(lang string, err error) string {
	e, ok := errs.As(err)
	if !ok || e.Code == errs.EINTERNAL {
		return T(lang, "err.internal")
	}
	msg := errorText(lang, e)
	if label, ok := FieldLabel(lang, e.Field); ok {
		return label + ": " + msg
	}
	return capitalise(msg)
}

// FieldLabel is the name of a form or API field in lang ("paths[2]" is
// "paths"); ok is false for a field without a name here.
func FieldLabel(lang, field string) (string, bool) {
	if i := strings.IndexByte(field, '['); i > 0 {
		field = field[:i]
	}
	if field == "" {
		return "", false
	}
	if label, ok := Lookup(lang, "field."+field); ok {
		return label, true
	}
	if i := strings.LastIndexByte(field, '.'); i >= 0 { // "params.paths": paths
		return Lookup(lang, "field."+field[i+1:])
	}
	return "", false
}

// HasErrorFormat reports whether format has a Vietnamese text.
func HasErrorFormat(format string) bool {
	_, ok := errorFormats[format]
	return ok
}

// Localizer is an error argument that says itself in a language (an
// import file's problem: internal/intel/format.Problem).
type Localizer interface {
	Localize(lang string) string
}

func errorText(lang string, e *errs.Error) string {
	if lang == "en" && !hasWordArgs(e.Args) {
		return e.Message
	}
	if e.Format == "" {
		// Made without a constructor: a constant message is its own format.
		if vi, ok := errorFormats[e.Message]; ok && !strings.Contains(vi, "%") {
			return vi
		}
		return e.Message
	}
	vi, ok := errorFormats[e.Format]
	if lang == "en" {
		vi, ok = e.Format, true
	}
	if !ok {
		return e.Message
	}
	args := make([]any, len(e.Args))
	for i, a := range e.Args {
		switch x := a.(type) {
		case *errs.Error:
			args[i] = errorText(lang, x)
		case Localizer:
			args[i] = x.Localize(lang)
		case errs.OneOf:
			args[i] = oneOfText(lang, x)
		case fmt.Stringer:
			args[i] = codeWord(lang, x.String())
		case string:
			args[i] = codeWord(lang, x)
		default:
			args[i] = a
		}
	}
	return fmt.Sprintf(vi, args...)
}

// hasWordArgs reports whether an English message needs its arguments put
// in words (choices by their labels, a problem with its place).
func hasWordArgs(args []any) bool {
	for _, a := range args {
		switch a.(type) {
		case errs.OneOf, Localizer:
			return true
		}
	}
	return false
}

// oneOfText lists the choices by their labels in lang.
func oneOfText(lang string, o errs.OneOf) string {
	out := make([]string, len(o.Codes))
	for i, c := range o.Codes {
		if l, ok := Lookup(lang, o.Prefix+c); ok {
			out[i] = l
		} else {
			out[i] = c
		}
	}
	sep := ", "
	if strings.Contains(strings.Join(out, ""), ",") {
		sep = "; "
	}
	return strings.Join(out, sep)
}

// codeWord names a role or a unit kind given as an argument ("you may not
// create a %s") in words; anything else is left as it is.
func codeWord(lang, s string) string {
	for _, prefix := range []string{"role.", "kind."} {
		if w, ok := Lookup(lang, prefix+s); ok {
			return w
		}
	}
	return s
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// errorFormats maps a service error's English format to its Vietnamese
// text. Verbs may be reordered with explicit indexes (%[2]s).
var errorFormats = map[string]string{
	"%s not found":   "không tìm thấy %s",
	"internal error": "lỗi hệ thống",

	// Detection rules (internal/pipeline).
	"only administrators, SOC analysts and unit officers see detection rules":                                "chỉ quản trị viên, chuyên viên SOC và cán bộ phụ trách đơn vị được xem luật phát hiện",
	"only administrators and SOC analysts manage detection rules":                                            "chỉ quản trị viên và chuyên viên SOC được quản lý luật phát hiện",
	"paste or upload a Sigma rule":                                                                           "hãy dán hoặc tải lên một luật Sigma",
	"a rule must be at most %d KiB":                                                                          "một luật chỉ được dài tối đa %d KiB",
	"give exactly one rule (this text holds %d); add the others one by one":                                  "hãy đưa đúng một luật (văn bản này có %d luật); thêm các luật khác lần lượt từng luật",
	"line %d: the rule has no id: add one, such as id: %s":                                                   "dòng %d: luật chưa có id: hãy thêm, ví dụ id: %s",
	"line %d: the id %q is not usable: use a UUID":                                                           "dòng %d: không dùng được id %q: hãy dùng một UUID",
	"line %d: the rule has no title":                                                                         "dòng %d: luật chưa có tiêu đề (title)",
	"line %d: %v":                                                                                            "dòng %d: %v",
	"the rule cannot be read: %v":                                                                            "không đọc được luật: %v",
	"%v: the inventory gives values for %s only":                                                             "%v: danh mục tài sản chỉ cho giá trị của %s",
	"the rules directory has a rule with the id %s: give this one another id":                                "thư mục luật đã có luật mang id %s: hãy đặt id khác cho luật này",
	"a rule with the id %s exists already: give this one another id":                                         "đã có luật mang id %s: hãy đặt id khác cho luật này",
	"nothing to change: give enabled or yaml":                                                                "không có gì để thay đổi: hãy gửi enabled hoặc yaml",
	"the id cannot change (%s): add the rule anew under its new id":                                          "không được đổi id (%s): hãy thêm luật mới với id mới",
	"rules from the rules directory are changed in the directory; here they can only be enabled or disabled": "luật từ thư mục luật được sửa trong thư mục; ở đây chỉ bật hoặc tắt được",
	"rules from the rules directory are removed from the directory; here they can be disabled":               "luật từ thư mục luật được xóa trong thư mục; ở đây chỉ tắt được",
	"say why this rule does not apply to the unit":                                                           "hãy ghi lý do luật này không áp dụng cho đơn vị",
	"choose a unit":                                 "hãy chọn đơn vị",
	"no unit %q in your scope":                      "không có đơn vị %q trong phạm vi của bạn",
	"you may not set exceptions for unit %s":        "bạn không được đặt ngoại lệ cho đơn vị %s",
	"the rule already has an exception for unit %s": "luật đã có ngoại lệ cho đơn vị %s",

	// Signing in and sessions.
	"authentication required":                                                       "cần đăng nhập",
	"authentication required: send Authorization: Bearer <token>":                   "cần đăng nhập: gửi Authorization: Bearer <khóa>",
	"Authorization must be \"Bearer <token>\"":                                      "Authorization phải có dạng \"Bearer <khóa>\"",
	"the token is unknown, expired or revoked":                                      "khóa không tồn tại, đã hết hạn hoặc đã bị thu hồi",
	"missing or wrong CSRF token; reload the page and try again":                    "phiên làm việc của biểu mẫu không hợp lệ; hãy tải lại trang rồi thử lại",
	"wrong e-mail or password (after %d wrong tries sign-in pauses for %d minutes)": "sai thư điện tử hoặc mật khẩu (sau %d lần sai, việc đăng nhập tạm dừng %d phút)",
	"too many sign-in attempts from your address; wait a minute":                    "có quá nhiều lần đăng nhập từ địa chỉ của bạn; hãy chờ một phút",
	"is not your current password (after %d wrong tries, wait %d minutes)":          "mật khẩu hiện tại không đúng (sau %d lần sai, hãy chờ %d phút rồi thử lại)",
	"this account is disabled":                                                      "tài khoản này đã bị khóa",
	"sign-in state does not match; start again":                                     "trạng thái đăng nhập không khớp; hãy đăng nhập lại từ đầu",
	"the identity provider refused the sign-in code":                                "hệ thống xác thực của tổ chức từ chối mã đăng nhập",
	"the identity provider sent no ID token":                                        "hệ thống xác thực của tổ chức không gửi mã định danh (ID token)",
	"the ID token is not valid: %v":                                                 "mã định danh (ID token) không hợp lệ: %v",
	"the ID token's nonce does not match":                                           "mã định danh (ID token) không khớp với lần đăng nhập này",
	"unreadable ID token claims":                                                    "không đọc được thông tin trong mã định danh (ID token)",
	"the identity provider has not verified this e-mail address":                    "hệ thống xác thực của tổ chức chưa xác minh địa chỉ thư điện tử này",
	"the ID token carries no e-mail":                                                "mã định danh (ID token) không có địa chỉ thư điện tử",
	"the ID token's %s claim %q is not a Vigil role":                                "trường %s = %q trong mã định danh không phải vai trò của Vigil",
	"the ID token carries no %s claim":                                              "mã định danh (ID token) không có trường %s",
	"the ID token names unit %q, which this hub does not know":                      "mã định danh nêu đơn vị %q, đơn vị này không có trong hệ thống",
	"this e-mail is bound to another identity at the provider":                      "thư điện tử này đã gắn với một danh tính khác ở hệ thống xác thực",
	"a local account already uses this e-mail; sign in with its password, or ask an administrator to remove it before using single sign-on": "đã có tài khoản nội bộ dùng thư điện tử này; hãy đăng nhập bằng mật khẩu của tài khoản đó, hoặc đề nghị quản trị viên xóa nó trước khi dùng đăng nhập một lần (SSO)",
	"the sign-in took too long or cookies are blocked; start again":                                                                         "đăng nhập quá lâu hoặc trình duyệt chặn cookie; hãy đăng nhập lại từ đầu",
	"bad sign-in state; start again": "trạng thái đăng nhập không hợp lệ; hãy đăng nhập lại từ đầu",
	"the identity provider said: %s": "hệ thống xác thực của tổ chức báo: %s",

	// Passwords, users and API tokens.
	"must be at least %d characters":                       "phải có ít nhất %d ký tự",
	"must be at most 256 bytes":                            "dài quá 256 byte",
	"is required to change your own password":              "hãy nhập mật khẩu hiện tại để đổi mật khẩu",
	"only a user may own API tokens":                       "chỉ người dùng mới có khóa API",
	"must be 1-100 bytes":                                  "phải dài từ 1 đến 100 byte",
	"must be 1-200 bytes":                                  "phải dài từ 1 đến 200 byte",
	"must be one of admin, analyst, officer, viewer":       "phải là một trong các vai trò: quản trị, chuyên viên giám sát, cán bộ an toàn thông tin, người xem",
	"your role may not manage users":                       "vai trò của bạn không được quản lý người dùng",
	"you may not create a %s in unit %s":                   "bạn không được tạo người dùng vai trò %s trong đơn vị %s",
	"a user with this e-mail already exists":               "đã có người dùng với thư điện tử này",
	"you may not change this user":                         "bạn không được thay đổi người dùng này",
	"you may not disable yourself or change your own role": "bạn không được tự khóa tài khoản của mình hay tự đổi vai trò",
	"you may not make this user a %s in unit %s":           "bạn không được đặt người dùng này làm %s trong đơn vị %s",

	// Units and contacts.
	"is required":                                                                    "chưa được nhập",
	"is not an e-mail address":                                                       "không phải địa chỉ thư điện tử",
	"must be at most 200 bytes":                                                      "dài quá 200 byte",
	"name and position must be at most 200 bytes":                                    "họ tên và chức vụ không được dài quá 200 byte",
	"may hold only digits, spaces, +, -, . and parentheses":                          "chỉ được gồm chữ số, dấu cách, +, -, . và dấu ngoặc",
	"a phone or an e-mail is required":                                               "cần có số điện thoại hoặc thư điện tử",
	"you may not change contacts of unit %s":                                         "bạn không được thay đổi đầu mối liên hệ của đơn vị %s",
	"you may not change this unit's contacts":                                        "bạn không được thay đổi đầu mối liên hệ của đơn vị này",
	"must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit": "phải gồm 1–64 chữ cái không dấu, chữ số, '.', '_' hoặc '-', bắt đầu bằng chữ cái hoặc chữ số",
	"must be one of %s":                                                              "phải là một trong: %s",
	"a unit cannot be its own parent":                                                "đơn vị không thể là cấp trên của chính nó",
	"unit %q does not exist":                                                         "không có đơn vị %q",
	"choose the unit the scanned hosts belong to":                                    "hãy chọn đơn vị quản lý các máy được quét",
	"you may not import scans into unit %s":                                          "bạn không được nhập kết quả quét vào đơn vị %s",
	"unknown scan format %q; give one of %s":                                         "không biết định dạng kết quả quét %q; hãy chọn một trong: %s",
	"the page takes reports up to %d MiB; import larger ones with vigil import scan": "trang này chỉ nhận báo cáo tối đa %d MiB; báo cáo lớn hơn hãy nhập bằng lệnh vigil import scan",
	"choose the report file to import":                                               "hãy chọn tệp báo cáo cần nhập",
	"%s; nothing was imported":                                                       "%s; chưa nhập gì",
	"%q is neither an IP address nor a host name":                                    "%q không phải địa chỉ IP hay tên máy",
	"the hub is importing as many scans as it may at once; try again shortly":        "hệ thống đang nhập tối đa số báo cáo quét cùng lúc; hãy thử lại sau ít phút",
	"%s: a scan report may be at most %d MiB; nothing was imported":                  "%s: báo cáo quét chỉ được tối đa %d MiB; chưa nhập gì",
	"you may not add units under %s":                                                 "bạn không được thêm đơn vị trực thuộc %s",
	"only an administrator may create a top-level unit":                              "chỉ quản trị viên mới được tạo đơn vị cấp cao nhất",
	"a unit with code %q already exists":                                             "đã có đơn vị mang mã %q",
	"you may not change unit %s":                                                     "bạn không được thay đổi đơn vị %s",
	"you may not delete unit %s":                                                     "bạn không được xóa đơn vị %s",
	"unit %s still has child units or users":                                         "đơn vị %s vẫn còn đơn vị trực thuộc hoặc người dùng",
	"unit %s is still referenced by other records":                                   "đơn vị %s vẫn đang được dữ liệu khác tham chiếu",

	// Agents, enrolment, hosts and scans.
	"you may not enrol agents in unit %s":                                                 "bạn không được đăng ký tác tử cho đơn vị %s",
	"must be between 1 and 100000":                                                        "phải từ 1 đến 100000",
	"you may not revoke this token":                                                       "bạn không được thu hồi mã này",
	"not an enrolment token":                                                              "không phải mã đăng ký tác tử",
	"unknown enrolment token":                                                             "mã đăng ký tác tử không tồn tại",
	"this enrolment token was revoked":                                                    "mã đăng ký tác tử này đã bị thu hồi",
	"this enrolment token has expired":                                                    "mã đăng ký tác tử này đã hết hạn",
	"this enrolment token has been used its %d times":                                     "mã đăng ký tác tử này đã được dùng đủ %d lần",
	"this enrolment token has been used up":                                               "mã đăng ký tác tử này đã hết lượt dùng",
	"agent credentials required":                                                          "cần thông tin xác thực của tác tử",
	"agent credentials required: Authorization: Bearer agent.<id>.<secret>":               "cần thông tin xác thực của tác tử: Authorization: Bearer agent.<id>.<secret>",
	"agent credentials may call only the agent API":                                       "thông tin xác thực của tác tử chỉ dùng được cho API của tác tử",
	"the changes do not apply to the inventory the hub holds (%s); send a full inventory": "các thay đổi không khớp với danh mục hệ thống đang lưu (%s); hãy gửi danh mục đầy đủ",
	"is required when full is true":                                                       "bắt buộc khi gửi danh mục đầy đủ",
	"is required when full is false":                                                      "bắt buộc khi chỉ gửi thay đổi",
	"must be antivirus, firewall or agent":                                                "phải là phòng chống mã độc, tường lửa hoặc tác tử",
	"you may not remove hosts of unit %s":                                                 "bạn không được gỡ máy của đơn vị %s",
	"you may not import hosts into unit %s":                                               "bạn không được nhập máy vào đơn vị %s",
	"%s holds no host inventories":                                                        "%s không chứa danh mục máy nào",
	"you may not send tasks to hosts of unit %s":                                          "bạn không được giao việc cho máy của đơn vị %s",
	"host %s has no agent; scan it offline with vigil agent scan":                         "máy %s chưa cài tác tử; hãy quét ngoại tuyến bằng vigil agent scan",
	"give at least one path to scan":                                                      "hãy nhập ít nhất một thư mục cần quét",
	"at most 64 paths":                                                                    "tối đa 64 thư mục",
	"must be a non-empty path":                                                            "không được để trống đường dẫn",
	"must not be negative":                                                                "không được là số âm",
	"must be running, done or failed":                                                     "phải là đang chạy, xong hoặc lỗi",
	"cannot be stored: %v":                                                                "không lưu được: %v",
	"inventory is larger than the limit of %d MiB":                                        "danh mục lớn hơn giới hạn %d MiB",
	"%s: import file larger than %d MiB; split it":                                        "%s: tệp nhập lớn hơn %d MiB; hãy chia nhỏ",
	"import file larger than 256 MiB; split it":                                           "tệp nhập lớn hơn 256 MiB; hãy chia nhỏ",
	"unknown inventory format %q (agent, csv, osquery)":                                   "không rõ định dạng danh mục %q (agent, csv, osquery)",
	"must be a host id":                                                                   "phải là mã số của một máy",

	// Findings.
	"%q is not one of %s": "%q không thuộc: %s",
	"%q is not a date: write it as dd/mm/yyyy (31/12/2026) or yyyy-mm-dd":           "%q không phải ngày: hãy viết dạng dd/mm/yyyy (31/12/2026) hoặc yyyy-mm-dd",
	"choose at least one finding":                                                   "hãy chọn ít nhất một phát hiện",
	"change at most 1000 findings at once":                                          "mỗi lần chỉ thay đổi tối đa 1000 phát hiện",
	"nothing to change: give status, note, owner or due":                            "chưa có gì để thay đổi: hãy chọn trạng thái, ghi chú, người xử lý hoặc hạn xử lý",
	"must be at most 4000 bytes":                                                    "dài quá 4000 byte",
	"you may not change findings of unit %s":                                        "bạn không được thay đổi phát hiện của đơn vị %s",
	"say what was done (the evidence that it is fixed, or why it is not a problem)": "hãy ghi đã làm gì (bằng chứng đã khắc phục, hoặc lý do đây không phải vấn đề)",
	"%q is not an active user who can see unit %s":                                  "%q không phải người dùng đang hoạt động có quyền xem đơn vị %s",
	"not a finding":  "không phải phát hiện",
	"finding %d: %v": "phát hiện %d: %v",

	// Lists, forms and request bodies.
	"is not a cursor this server issued":                             "không phải vị trí trang do hệ thống cấp",
	"must be a number from 1 to 1000":                                "phải là số từ 1 đến 1000",
	"must be a number of rows, 0 or more":                            "phải là số dòng, từ 0 trở lên",
	"cannot sort by %q; sort by one of %s":                           "không sắp xếp được theo %q; hãy chọn một trong: %s",
	"must be asc or desc":                                            "phải là asc (tăng dần) hoặc desc (giảm dần)",
	"must be csv or xlsx":                                            "phải là csv hoặc xlsx",
	"%d rows is more than one export holds (%d): narrow the filters": "%d dòng vượt quá giới hạn một lần xuất (%d): hãy thu hẹp bộ lọc",
	"must be a date (dd/mm/yyyy or yyyy-mm-dd) or RFC 3339 time":     "phải là ngày (dd/mm/yyyy hoặc yyyy-mm-dd) hoặc thời điểm RFC 3339",
	"must be true or false":                                          "phải là true hoặc false",
	"must be a whole number, not %q":                                 "phải là số nguyên, không phải %q",
	"the form is too large":                                          "biểu mẫu quá lớn",
	"the form could not be read: %v":                                 "không đọc được biểu mẫu: %v",
	"Content-Type must be application/json":                          "Content-Type phải là application/json",
	"request body holds more than one JSON value":                    "nội dung yêu cầu chứa nhiều hơn một giá trị JSON",
	"request body holds data after the JSON value":                   "nội dung yêu cầu có dữ liệu thừa sau giá trị JSON",
	"request body is larger than the limit of %d bytes":              "nội dung yêu cầu lớn hơn giới hạn %d byte",
	"malformed JSON at byte %d: %v":                                  "JSON sai cú pháp ở byte %d: %v",
	"must be a %s, not %s":                                           "phải là %s, không phải %s",
	"request body is empty":                                          "nội dung yêu cầu trống",
	"request body is truncated JSON":                                 "JSON trong yêu cầu bị cắt cụt",
	"unknown field":                                                  "trường không được hỗ trợ",
	"bad JSON: %v":                                                   "JSON không hợp lệ: %v",
	"CSV is larger than the limit of %d bytes":                       "tệp CSV lớn hơn giới hạn %d byte",

	// Enrolment through the API.
	"request body must be a JSON object":                           "nội dung yêu cầu phải là một đối tượng JSON",
	"the body's token differs from the Authorization header's":     "mã trong nội dung khác với mã trong tiêu đề Authorization",
	"send the enrolment token as Authorization: Bearer <token>":    "hãy gửi mã đăng ký tác tử dạng Authorization: Bearer <mã>",
	"enrolment token required: send Authorization: Bearer <token>": "cần mã đăng ký tác tử: gửi Authorization: Bearer <mã>",

	// The audit log and metrics.
	"must be vi or en":                                       "phải là vi (tiếng Việt) hoặc en (tiếng Anh)",
	"must be person, system or all":                          "phải là person (người dùng), system (hệ thống) hoặc all (tất cả)",
	"metrics need Authorization: Bearer <the metrics token>": "số liệu giám sát cần Authorization: Bearer <khóa số liệu>",

	// Scan reports an agent sends.
	"give the report an id of 1 to 200 characters":   "hãy đặt cho kết quả quét một mã dài 1 đến 200 ký tự",
	"the scan report is missing":                     "thiếu kết quả quét",
	"at most %d paths":                               "tối đa %d thư mục",
	"at most %d findings":                            "tối đa %d phát hiện",
	"must be file, process or connection":            "phải là tệp, tiến trình hoặc kết nối mạng",
	"the matched indicator is missing":               "thiếu dấu hiệu nhận diện đã khớp",
	"report id %q is taken; send it with another id": "mã kết quả quét %q đã được dùng; hãy gửi với mã khác",

	// Event sources (internal/sources) and ingest.
	"you may not register event sources in unit %s":                                "bạn không được đăng ký nguồn sự kiện cho đơn vị %s",
	"unit %s already has a source named %q":                                        "đơn vị %s đã có nguồn sự kiện tên %q",
	"must be at most %d bytes":                                                     "dài quá %d byte",
	"must be from 1 to %d minutes":                                                 "phải từ 1 đến %d phút",
	"%q is not an IP address or a CIDR prefix":                                     "%q không phải địa chỉ IP hay dải CIDR",
	"at most %d addresses or prefixes":                                             "tối đa %d địa chỉ hoặc dải địa chỉ",
	"%s is already the address of another source":                                  "%s đã là địa chỉ của một nguồn khác",
	"you may not change this source":                                               "bạn không được sửa nguồn sự kiện này",
	"you may not revoke this source":                                               "bạn không được thu hồi nguồn sự kiện này",
	"you may not change this source's token":                                       "bạn không được cấp mã mới cho nguồn sự kiện này",
	"source %q is revoked; register it again":                                      "nguồn %q đã bị thu hồi; hãy đăng ký lại",
	"not an event source token":                                                    "không phải mã nguồn sự kiện",
	"unknown event source token":                                                   "mã nguồn sự kiện không tồn tại",
	"this event source was revoked":                                                "nguồn sự kiện này đã bị thu hồi",
	"the file is larger than the limit of %d bytes":                                "tệp lớn hơn giới hạn %d byte",
	"not an EVTX file: %v":                                                         "không phải tệp EVTX: %v",
	"the body is not gzip: %v":                                                     "nội dung không phải gzip: %v",
	"Content-Encoding %q is not accepted: send gzip or nothing":                    "không nhận Content-Encoding %q: hãy gửi gzip hoặc không nén",
	"the body is larger than the limit of %d bytes":                                "nội dung lớn hơn giới hạn %d byte",
	"the body is larger than the limit of %d bytes once decompressed":              "nội dung sau khi giải nén lớn hơn giới hạn %d byte",
	"event source token required: send Authorization: Bearer <the source's token>": "cần mã của nguồn sự kiện: gửi Authorization: Bearer <mã của nguồn>",
	"Content-Type must be application/json, application/x-ndjson or text/plain":    "Content-Type phải là application/json, application/x-ndjson hoặc text/plain",
	"this hub process does not take events; send them to an ingest process":        "tiến trình này của trung tâm không nhận sự kiện; hãy gửi tới tiến trình nhận sự kiện",
	"the event pipeline is full; try again shortly":                                "hàng đợi sự kiện đang đầy; hãy thử lại sau ít phút",

	// Lifetimes of tokens.
	"%q is not a number of days (3), a last day (31/12/2026) or a duration (72h)":   "%q không phải số ngày (ví dụ 3) hay ngày cuối cùng còn dùng (31/12/2026)",
	"%q is not a number of days (30), a last day (31/12/2026) or a duration (720h)": "%q không phải số ngày (ví dụ 30) hay ngày cuối cùng còn dùng (31/12/2026)",
	"%q is not a number of days (1), a last day (31/12/2026) or a duration (24h)":   "%q không phải số ngày (ví dụ 1) hay ngày cuối cùng còn dùng (31/12/2026)",
	"must be from 1 minute to %d days":                                              "phải từ 1 phút đến %d ngày",
	"your role does not use API tokens":                                             "vai trò của bạn không dùng khóa API",
	"only a unit's officers and administrators enrol agents":                        "chỉ cán bộ an toàn thông tin của đơn vị và quản trị viên mới đăng ký tác tử",

	// The duty roster (internal/duty).
	"%q is not a time of day: write it as HH:MM (06:00)":           "%q không phải giờ trong ngày: hãy viết dạng GG:PP (06:00)",
	"give the shifts' start times, such as 07:00, 15:00, 23:00":    "hãy nhập giờ bắt đầu các ca, ví dụ 07:00, 15:00, 23:00",
	"give at most 24 start times":                                  "nhập tối đa 24 giờ bắt đầu",
	"the start times must differ":                                  "các giờ bắt đầu phải khác nhau",
	"must be a year from 1900 to 2199":                             "phải là năm từ 1900 đến 2199",
	"%q is not a date: write it as dd/mm/yyyy (06/02/2027)":        "%q không phải ngày: hãy viết dạng dd/mm/yyyy (06/02/2027)",
	"the last day is before the first":                             "ngày cuối trước ngày đầu",
	"a roster covers at most %d days":                              "một lịch trực dài tối đa %d ngày",
	"a roster holds at most %d shifts":                             "một lịch trực có tối đa %d ca",
	"you may not plan the duty of unit %s":                         "bạn không được lập lịch trực của đơn vị %s",
	"must be another shift than shift_a":                           "phải là ca khác với ca thứ nhất",
	"must be at most 1000 bytes":                                   "dài quá 1000 byte",
	"must be at most 8000 bytes":                                   "dài quá 8000 byte",
	"must be another person than user_a":                           "phải là người khác với người thứ nhất",
	"%q is not on shift %d":                                        "%q không trực ca %d",
	"%q is already on shift %d":                                    "%q đã trực ca %d",
	"must be a shift of the same roster":                           "phải là một ca của cùng lịch trực",
	"only the people on a shift write its handover note":           "chỉ người trực ca mới được ghi sổ giao ca của ca đó",
	"is required: this hub has no SOC unit named":                  "chưa được nhập: hệ thống chưa xác định đơn vị trực SOC",
	"only an administrator may name the SOC's unit":                "chỉ quản trị viên mới được chọn đơn vị trực SOC",
	"must be a user id":                                            "phải là mã người dùng",
	"must be a roster id":                                          "phải là mã lịch trực",
	"%q is not a moment: write it as dd/mm/yyyy HH:MM or RFC 3339": "%q không phải thời điểm: hãy viết dạng dd/mm/yyyy GG:PP hoặc RFC 3339",

	// Escalation and notifications (internal/escalate).
	"you may not manage escalation of unit %s":                                 "bạn không được quản lý việc leo thang cảnh báo của đơn vị %s",
	"a policy needs at least one step":                                         "chính sách cần ít nhất một bậc",
	"a policy has at most %d steps":                                            "chính sách có tối đa %d bậc",
	"must be a number of minutes from 0 to %d":                                 "phải là số phút từ 0 đến %d",
	"channel %d does not exist":                                                "không có kênh thông báo số %d",
	"unit %s already has a policy named %q":                                    "đơn vị %s đã có chính sách tên %q",
	"unit %s already has a channel named %q":                                   "đơn vị %s đã có kênh thông báo tên %q",
	"channel %q is used by escalation policy %q; change the policy first":      "kênh %q đang được chính sách leo thang %q sử dụng; hãy sửa chính sách trước",
	"give 1 to 20 e-mail addresses":                                            "hãy nhập từ 1 đến 20 địa chỉ thư điện tử",
	"%q is not an e-mail address":                                              "%q không phải địa chỉ thư điện tử",
	"an e-mail channel has no secret":                                          "kênh thư điện tử không có khóa bí mật",
	"must be an http:// or https:// URL without a user name or password":       "phải là địa chỉ http:// hoặc https:// không kèm tên đăng nhập hay mật khẩu",
	"must be a Telegram chat id (a number, -100… for groups) or @channel name": "phải là mã cuộc trò chuyện Telegram (một số, nhóm bắt đầu bằng -100…) hoặc tên kênh dạng @ten_kenh",
	"must be a Telegram bot token (123456789:AA…, from @BotFather)":            "phải là mã bot Telegram (dạng 123456789:AA…, lấy từ @BotFather)",
	"must be at most 2000 bytes":                                               "dài quá 2000 byte",
	"must be a number":                                                         "phải là một số",
	// Health probes.
	"only an administrator may change probes":                                "chỉ quản trị viên mới được thay đổi cấu hình kiểm tra kết nối",
	"a TCP probe checks a banner, not a status, a body or a certificate":     "kiểm tra TCP chỉ so lời chào, không so mã trạng thái, nội dung hay chứng thư",
	"an HTTPS probe checks a status, a body and a certificate, not a banner": "kiểm tra HTTPS so mã trạng thái, nội dung và chứng thư, không so lời chào TCP",
	"must be host:port":                                          "phải có dạng máy:cổng (ví dụ 203.0.113.10:443)",
	"must be an https:// address":                                "phải là địa chỉ bắt đầu bằng https://",
	"must be an HTTP status from 100 to 599":                     "phải là mã trạng thái HTTP từ 100 đến 599",
	"must be at most 500 bytes":                                  "dài quá 500 byte",
	"must be a SHA-256 fingerprint: 64 hexadecimal digits":       "phải là dấu vân tay SHA-256: 64 chữ số thập lục phân",
	"must be from %d seconds to %d minutes":                      "phải từ %d giây đến %d phút",
	"must be from 1 to %d seconds and shorter than the interval": "phải từ 1 đến %d giây và ngắn hơn chu kỳ kiểm tra",
	"must be at least the interval and at most %d days":          "phải không ngắn hơn chu kỳ kiểm tra và không quá %d ngày",
	"a probe named %q already exists":                            "đã có kiểm tra kết nối mang tên %q",
	"must be before the end of the period":                       "phải trước thời điểm kết thúc",
	"the period may be at most %d days":                          "khoảng thời gian không được dài quá %d ngày",
	// Issue 11, knowledge base (internal/vuln, helper kb).
	"only administrators and the SOC may load vulnerability feeds": "chỉ quản trị viên và trung tâm giám sát (SOC) được nạp nguồn dữ liệu lỗ hổng",
	"%s: not a readable gzip file: %v":                             "%s: không đọc được tệp nén gzip: %v",
	"%s: empty file":                                               "%s: tệp rỗng",
	"%s: not a feed Vigil reads (MSRC CVRF XML/JSON or CSAF, NVD CVE API 2.0 JSON, CISA KEV JSON, EPSS CSV)": "%s: không phải nguồn dữ liệu Vigil đọc được (MSRC CVRF XML/JSON hoặc CSAF, NVD CVE API 2.0 JSON, CISA KEV JSON, EPSS CSV)",
	"%s: larger than %d MiB once decompressed; split it":                                                     "%s: lớn hơn %d MiB sau khi giải nén; hãy chia nhỏ",
	"%s: more than %d records; split it":                                                                     "%s: nhiều hơn %d bản ghi; hãy chia nhỏ",
	"%s: feed file larger than %d MiB; split it":                                                             "%s: tệp nguồn dữ liệu lớn hơn %d MiB; hãy chia nhỏ",
	"%q is not a CVE id (CVE-YYYY-NNNN)":                                                                     "%q không phải mã CVE (CVE-YYYY-NNNN)",
}
