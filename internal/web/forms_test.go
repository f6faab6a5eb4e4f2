package web_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// postForm posts a page form as actor (a bearer token stands for the
// session) reading lang, and returns the status and page.
func (w *world) postForm(actor, lang, path string, form url.Values) (int, string) {
	w.t.Helper()
	req, _ := http.NewRequest("POST", w.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+w.tokens[actor])
	req.AddCookie(&http.Cookie{Name: "vigil_lang", Value: lang})
	c := *w.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// fieldMessage is the message shown beside the input named name: the
// field-error element that input's aria-describedby names, right after it.
func fieldMessage(body, name string) string {
	re := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `"[^>]*aria-describedby="` + regexp.QuoteMeta(name) + `-error"[^>]*>(?s:.*?)<span class="field-error" id="` + regexp.QuoteMeta(name) + `-error" role="alert">([^<]*)</span>`)
	if m := re.FindStringSubmatch(body); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

// TestFormsForgive sends every page form a bad value: each comes back
// with what was typed (passwords excepted) and the message beside the
// field, in the reader's language; lifetimes are days or a date.
func TestFormsForgive(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		type check struct {
			actor, lang, path string
			form              url.Values
			status            int
			field, message    string   // beside field
			kept              []string // in the page
		}
		checks := []check{
			{"admin", "vi", "/units", url.Values{"code": {"bad code!"}, "name": {"Đơn vị thử"}, "kind": {"province"}, "parent": {"BHXHVN"}},
				400, "code", "Phải gồm 1–64 chữ cái", []string{`value="bad code!"`, `value="Đơn vị thử"`}},
			{"admin", "en", "/units", url.Values{"code": {"A"}, "name": {"Duplicate"}, "kind": {"province"}, "parent": {"BHXHVN"}},
				409, "code", `A unit with code "A" already exists`, []string{`value="Duplicate"`}},
			{"officerA", "vi", "/units/A/contacts", url.Values{"name": {"Nguyễn Văn B"}, "phone": {"gọi tôi"}, "email": {"b@test.vigil"}},
				400, "phone", "Chỉ được gồm chữ số", []string{`value="Nguyễn Văn B"`, `value="gọi tôi"`}},
			{"officerA", "vi", "/users", url.Values{"email": {"không-phải-thư"}, "name": {"Trần Thị C"}, "password": {"a-secret-password-1"}, "role": {"viewer"}, "unit": {"A1"}},
				400, "email", "Không phải địa chỉ thư điện tử", []string{`value="Trần Thị C"`, `<option value="A1" selected>`}},
			{"officerA", "vi", "/users/" + itoa(w.userIDs["viewerA"]), url.Values{"name": {"Người xem A"}, "role": {"admin"}, "unit": {"A"}},
				403, "", "Bạn không được đặt người dùng này làm Quản trị trong đơn vị A", []string{`value="Người xem A"`}},
			{"officerA", "vi", "/tokens", url.Values{"name": {"máy chủ sao lưu"}, "expires_in": {"3 tuần"}},
				400, "expires_in", `"3 tuần" không phải số ngày`, []string{`value="máy chủ sao lưu"`, `value="3 tuần"`}},
			{"officerA", "vi", "/tokens", url.Values{"name": {"quá dài"}, "expires_in": {"400"}},
				400, "expires_in", "Phải từ 1 phút đến 366 ngày", []string{`value="400"`}},
			{"officerA", "vi", "/enrollment", url.Values{"unit": {"A1"}, "expires_in": {"ba ngày"}, "max_uses": {"5"}},
				400, "expires_in", `"ba ngày" không phải số ngày`, []string{`value="ba ngày"`, `value="5"`, `<option value="A1" selected>`}},
			{"officerA", "vi", "/enrollment", url.Values{"unit": {"A"}, "expires_in": {"3"}, "max_uses": {"nhiều"}},
				400, "max_uses", `Phải là số nguyên, không phải "nhiều"`, []string{`value="nhiều"`}},
			{"officerA", "vi", "/hosts/" + itoa(w.hostIDs["A"]) + "/scan", url.Values{"paths": {"   \n  "}},
				400, "paths", "Hãy nhập ít nhất một thư mục cần quét", nil},
			{"officerB", "vi", "/findings/" + itoa(w.findingIDs["B"]), url.Values{"status": {"resolved"}, "note": {"  "}},
				400, "note", "Hãy ghi đã làm gì", []string{`<option value="resolved" selected>`}},
		}
		for _, c := range checks {
			status, body := w.postForm(c.actor, c.lang, c.path, c.form)
			what := c.actor + " " + c.lang + " POST " + c.path
			if status != c.status {
				t.Errorf("%s: status %d, want %d", what, status, c.status)
			}
			if !strings.Contains(body, "</html>") {
				t.Errorf("%s: not a page: %.300s", what, body)
				continue
			}
			if c.field != "" {
				if got := fieldMessage(body, c.field); !strings.HasPrefix(got, c.message) {
					t.Errorf("%s: beside %s: %q, want %q…", what, c.field, got, c.message)
				}
			} else if !strings.Contains(body, c.message) {
				t.Errorf("%s: page lacks %q", what, c.message)
			}
			for _, k := range c.kept {
				if !strings.Contains(body, k) {
					t.Errorf("%s: input not kept: no %s", what, k)
				}
			}
			if strings.Contains(body, "a-secret-password-1") {
				t.Errorf("%s: a password is sent back", what)
			}
			for _, p := range languageProblems(c.lang, readerText(body)) {
				t.Errorf("%s: %s", what, p)
			}
		}

		// Lifetimes in days or as a date work; "72h" still does.
		for _, v := range []string{"3 ngày", "3", "72h", time.Now().AddDate(0, 0, 2).Format("02/01/2006")} {
			status, body := w.postForm("officerA", "vi", "/enrollment", url.Values{"unit": {"A"}, "expires_in": {v}, "max_uses": {"5"}})
			if status != 200 || !strings.Contains(body, `id="new-token"`) {
				t.Errorf("enrolment token lasting %q: %d", v, status)
			}
		}
		status, body := w.postForm("officerA", "vi", "/tokens", url.Values{"name": {"sao lưu"}, "expires_in": {"30 ngày"}})
		if status != 200 || !strings.Contains(body, `id="new-token"`) {
			t.Errorf("API token lasting 30 ngày: %d", status)
		}
	})
}

// TestAPILifetimesInDays: the API's expires_in takes days or a date, and
// Go durations as before.
func TestAPILifetimesInDays(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		day := 24 * time.Hour
		for in, want := range map[string]time.Duration{"30": 30 * day, "30d": 30 * day, "720h": 30 * day, "": 90 * day} {
			r := w.call("officerA", "POST", "/api/v1/tokens", map[string]string{"name": "t " + in, "expires_in": in})
			expect(t, r, 201, "token lasting "+in)
			exp, err := time.Parse(time.RFC3339Nano, r.json(t)["expires_at"].(string))
			if err != nil || exp.Sub(time.Now()) < want-time.Minute || exp.Sub(time.Now()) > want+time.Minute {
				t.Errorf("token lasting %q expires %v, want in %v", in, exp, want)
			}
		}
		for _, in := range []string{"bogus", "0", "01/01/2020", "400"} {
			r := w.call("officerA", "POST", "/api/v1/tokens", map[string]string{"name": "t", "expires_in": in})
			if r.Status != 400 || errorField(t, r) != "expires_in" {
				t.Errorf("token lasting %q: %d %s", in, r.Status, r.Body)
			}
		}
		for _, in := range []string{"3", "3 ngày", "72h", "2099-01-01"} {
			r := w.call("officerA", "POST", "/api/v1/enrollment-tokens", map[string]any{"unit": "A", "expires_in": in})
			want := 201
			if in == "2099-01-01" {
				want = 400 // more than 90 days
			}
			expect(t, r, want, "enrolment token lasting "+in)
		}
	})
}
