package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// auditActions are every action the hub records (grep -rn
// "audit.Append\|Action:\|s.Audit(" internal): none may show as a code.
var auditActions = []string{
	"unit.create", "unit.update", "unit.delete", "user.create", "user.update", "user.password_reset",
	"contact.create", "contact.delete", "auth.login", "auth.logout", "auth.login_failed",
	"token.create", "token.revoke", "enrollment_token.create", "enrollment_token.revoke", "agent.enroll",
	"host.import", "host.delete", "host.scan_requested", "host.scan_finished", "host.scan_reported", "finding.update", "finding.reopen",
	"alert.acknowledge", "alert.update", "alert.close", "alert.reopen", "alert_suppression.create", "alert_suppression.delete",
	"probe.create", "probe.update", "probe.delete",
}

var (
	mainRE  = regexp.MustCompile(`(?s)<main[^>]*>(.*)</main>`)
	tagRE   = regexp.MustCompile(`(?s)<[^>]*>`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// pageText is what a reader sees of a page's main part: tags stripped,
// entities decoded, white space collapsed.
func pageText(t *testing.T, body string) string {
	t.Helper()
	m := mainRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("page has no <main>: %.300s", body)
	}
	return spaceRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(m[1], " ")), " ")
}

// auditRowsHTML returns the markup of each row of the audit table (or of
// the dashboard's recent changes).
func auditRowsHTML(body string) []string {
	chunks := strings.Split(body, `<tr class="audit-row`)
	var out []string
	for _, c := range chunks[1:] {
		// The table of rows ends on a line of its own; a row's table of
		// changes does not.
		if i := strings.Index(c, "</tbody></table>\n"); i >= 0 {
			c = c[:i]
		}
		out = append(out, `<tr class="audit-row`+c)
	}
	return out
}

// auditRows returns the text of each row.
func auditRows(body string) []string {
	var out []string
	for _, r := range auditRowsHTML(body) {
		out = append(out, spaceRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(r, " ")), " "))
	}
	return out
}

func hasRow(rows []string, parts ...string) bool {
	for _, r := range rows {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(r, p)
		}
		if ok {
			return true
		}
	}
	return false
}

// TestAuditLogReadsAsSentences makes real changes — a unit and a user
// created, a role changed, a sign-in, contacts the system added, a finding
// handled, an agent's scan — and reads the audit page, the dashboard and
// the API in both languages: sentences with names instead of ids, what
// changed as before → after, no action code or JSON on the page, the
// people/system filter, and the dashboard without the system's rows.
func TestAuditLogReadsAsSentences(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		// The administrator goes by a name.
		expect(t, w.call("admin", "PATCH", "/api/v1/users/"+itoa(w.userIDs["admin"]), map[string]any{"name": "Nguyễn Văn A"}), 200, "rename admin")
		expect(t, w.call("admin", "POST", "/api/v1/units", map[string]string{"code": "A2", "name": "BHXH huyện Ea Kar", "kind": "district", "parent": "A"}), 201, "create unit")
		r := w.call("admin", "POST", "/api/v1/users", map[string]string{"email": "tran.b@test.vigil", "name": "Trần Thị B", "password": testPassword, "role": "viewer", "unit": "A"})
		expect(t, r, 201, "create user")
		userB := int64(r.json(t)["id"].(float64))
		expect(t, w.call("admin", "PATCH", "/api/v1/users/"+itoa(userB), map[string]any{"role": "officer"}), 200, "change role")
		note := "Đã cô lập máy và xóa tệp " + strings.Repeat("độc hại ", 20)
		expect(t, w.call("officerB", "PATCH", "/api/v1/findings/"+itoa(w.findingIDs["B"]), map[string]any{"status": "in_progress", "note": note}), 200, "finding update")
		title := w.call("officerB", "GET", "/api/v1/findings/"+itoa(w.findingIDs["B"]), nil).json(t)["title"].(string)

		b := newFormClient(t, w)
		if st := b.login("admin@test.vigil", testPassword); st != http.StatusSeeOther && st != http.StatusFound {
			t.Fatalf("sign in: %d", st)
		}
		get := func(lang, path string) string {
			t.Helper()
			u, _ := url.Parse(w.srv.URL)
			b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "vigil_lang", Value: lang, Path: "/"}})
			st, body, _ := b.do("GET", path, nil, nil)
			if st != 200 {
				t.Fatalf("GET %s (%s): %d %.300s", path, lang, st, body)
			}
			return body
		}
		checkClean := func(where, body string) {
			t.Helper()
			text := pageText(t, body)
			for _, a := range auditActions {
				if strings.Contains(text, a) {
					t.Errorf("%s shows the action code %q", where, a)
				}
			}
			for _, c := range []string{"{", "}", `"after"`, "user 3", "[redacted]"} {
				if strings.Contains(text, c) {
					t.Errorf("%s shows %q: …%s…", where, c, text[max(0, strings.Index(text, c)-80):min(len(text), strings.Index(text, c)+80)])
				}
			}
		}

		type want struct{ parts []string }
		cases := map[string][]want{
			"vi": {
				{[]string{"Nguyễn Văn A đã tạo đơn vị BHXH huyện Ea Kar", "Mã đơn vị", "A2", "Loại đơn vị", "BHXH huyện, quận"}},
				{[]string{"Nguyễn Văn A đã tạo người dùng Trần Thị B", "tran.b@test.vigil", "Người xem"}},
				{[]string{"Nguyễn Văn A đã đổi vai trò của người dùng Trần Thị B", "Vai trò", "Người xem", "Cán bộ an toàn thông tin đơn vị"}},
				{[]string{"Nguyễn Văn A đã đăng nhập", "Cách đăng nhập", "Mật khẩu"}},
				{[]string{"Hệ thống Vigil đã thêm đầu mối liên hệ Đầu mối A", "Điện thoại", "0900 000 001"}},
				{[]string{"Người dùng officerB đã đổi trạng thái phát hiện “" + title + "” trên máy ws-b-01", "Trạng thái", "Chưa xử lý", "Đang xử lý", "Ghi chú"}},
				{[]string{"Máy ws-a-01 đã đăng ký tác tử Vigil"}},
				{[]string{"Tác tử trên máy ws-b-01 đã rà quét xong máy ws-b-01", "Số tệp đã quét", "10"}},
				{[]string{"Hệ thống Vigil đã nhập danh mục máy cho đơn vị Bảo hiểm xã hội huyện Krông Pắc", "Tệp", "test.json"}},
			},
			"en": {
				{[]string{"Nguyễn Văn A created unit BHXH huyện Ea Kar", "Unit code", "A2", "Kind of unit", "District"}},
				{[]string{"Nguyễn Văn A created user Trần Thị B", "Viewer"}},
				{[]string{"Nguyễn Văn A changed the role of user Trần Thị B", "Role", "Viewer", "Unit security officer"}},
				{[]string{"Nguyễn Văn A signed in", "Signed in with", "Password"}},
				{[]string{"Vigil (system) added contact Đầu mối A", "Phone"}},
				{[]string{"Người dùng officerB changed the status of finding “" + title + "” on ws-b-01", "Status", "Open", "In progress"}},
			},
		}
		for lang, wants := range cases {
			body := get(lang, "/audit?limit=100")
			checkClean("/audit ("+lang+")", body)
			rows := auditRows(body)
			for _, x := range wants {
				if !hasRow(rows, x.parts...) {
					t.Errorf("/audit (%s): no row with %q; rows:\n%s", lang, x.parts, strings.Join(rows, "\n"))
				}
			}
		}
		// The role change is a before → after row of its own.
		body := get("vi", "/audit?limit=100")
		if !strings.Contains(body, `<th scope="row">Vai trò</th><td class="before">Người xem</td><td class="after">Cán bộ an toàn thông tin đơn vị</td>`) {
			t.Errorf("the role change is not shown as before → after")
		}
		// The actor's e-mail is beside the name, the long note clipped with
		// the whole of it a click away.
		if !strings.Contains(body, `title="officerb@test.vigil"`) {
			t.Errorf("no e-mail beside the actor's name")
		}
		if !strings.Contains(body, "<details><summary") || !strings.Contains(body, `<span class="full">`+html.EscapeString(strings.TrimSpace(note))+`</span>`) {
			t.Errorf("the long note is not clipped with its full text in a details element")
		}

		// Filter: the system's rows alone, people's alone.
		body = get("vi", "/audit?actor_kind=system&limit=100")
		sys := auditRows(body)
		if len(sys) == 0 || !hasRow(sys, "Hệ thống Vigil đã thêm đầu mối liên hệ Đầu mối A") || !hasRow(sys, "Tác tử trên máy ws-b-01 đã rà quét xong") {
			t.Errorf("system filter: %q", sys)
		}
		for _, r := range auditRowsHTML(body) {
			if !strings.HasPrefix(r, `<tr class="audit-row actor-system"`) && !strings.HasPrefix(r, `<tr class="audit-row actor-agent"`) {
				t.Errorf("system filter shows a person's row: %.300s", r)
			}
		}
		body = get("vi", "/audit?actor_kind=person&limit=100")
		if people := auditRows(body); !hasRow(people, "Nguyễn Văn A đã tạo người dùng Trần Thị B") {
			t.Errorf("people filter lost the admin's rows: %q", people)
		}
		for _, r := range auditRowsHTML(body) {
			if !strings.HasPrefix(r, `<tr class="audit-row actor-person"`) && !strings.HasPrefix(r, `<tr class="audit-row actor-anonymous"`) {
				t.Errorf("people filter shows a system row: %.300s", r)
			}
		}

		// The dashboard: people's changes, no system rows, no sign-ins,
		// and a link to all of it.
		for lang, first := range map[string]string{"vi": "Nguyễn Văn A đã đổi vai trò của người dùng Trần Thị B", "en": "Nguyễn Văn A changed the role of user Trần Thị B"} {
			dash := get(lang, "/")
			checkClean("dashboard ("+lang+")", dash)
			recent := auditRows(dash)
			if len(recent) == 0 || !hasRow(recent, first) {
				t.Errorf("dashboard (%s) recent changes: %q", lang, recent)
			}
			for _, r := range recent {
				for _, bad := range []string{"Hệ thống Vigil", "Vigil (system)", "Tác tử trên", "The agent on", "đã đăng nhập", "signed in"} {
					if strings.Contains(r, bad) {
						t.Errorf("dashboard (%s) shows %q: %s", lang, bad, r)
					}
				}
			}
			if !strings.Contains(dash, `<a href="/audit">`) {
				t.Errorf("dashboard (%s) has no link to the whole log", lang)
			}
		}

		// The API: raw fields kept, the sentence and names added.
		for lang, sentence := range map[string]string{"vi": "Nguyễn Văn A đã tạo người dùng Trần Thị B", "en": "Nguyễn Văn A created user Trần Thị B"} {
			items := w.call("admin", "GET", "/api/v1/audit?limit=100&lang="+lang, nil).items(t)
			found := false
			for _, it := range items {
				if it["action"] == "user.create" && it["object_id"] == itoa(userB) {
					found = true
					sum, _ := it["summary"].(map[string]any)
					if it["summary_text"] != sentence || it["actor_name"] != "Nguyễn Văn A" || it["object_name"] != "Trần Thị B" ||
						it["actor"] != "admin@test.vigil" || it["hash"] == "" || sum["after"] == nil {
						t.Errorf("API (%s) user.create: %v", lang, it)
					}
				}
			}
			if !found {
				t.Errorf("API (%s): no user.create row", lang)
			}
		}
		for _, it := range w.call("admin", "GET", "/api/v1/audit?limit=100&actor_kind=system", nil).items(t) {
			if k := it["actor_kind"]; k != "system" && k != "agent" {
				t.Errorf("API actor_kind=system returns a row of kind %v: %v", k, it["summary_text"])
			}
		}
		expect(t, w.call("admin", "GET", "/api/v1/audit?actor_kind=robots", nil), 400, "unknown actor kind")
		expect(t, w.call("admin", "GET", "/api/v1/audit?lang=fr", nil), 400, "unknown language")
	})
}
