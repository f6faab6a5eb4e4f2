package web_test

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"vigil/internal/store/storetest"
)

// The national report pages: a case's reports with the fields to fix
// marked, the form that comes back with the input and the reason beside
// the field, the summary (Mẫu 05) and the settings; both languages, no raw
// key shown.
func TestReportPages(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	c, id := w.approvedReport(t, "A")
	c2 := w.reportCase(t, "A")
	draft := w.call("officerA", "POST", "/api/v1/incidents/"+c2+"/reports", map[string]string{"form": "initial"}).json(t)["id"]
	draftID := fmt.Sprint(int64(draft.(float64)))
	// A reporting unit: its profile is set.
	expect(t, w.call("officerA", "PUT", "/api/v1/reporting/profile?unit=A", map[string]any{"org_name": "Bảo hiểm xã hội tỉnh Đắk Lắk", "address": "Số 1 Nguyễn Tất Thành, Buôn Ma Thuột",
		"phone": "0262 3855 555", "email": "vanthu@daklak.bhxh.test"}), 200, "profile")
	for _, lang := range []string{"vi", "en"} {
		for _, c := range []struct{ actor, path, want string }{
			{"officerA", "/incidents/" + c + "/reports", `id="report-` + id + `"`},
			{"officerA", "/incidents/" + c + "/reports", `class="irlab"`},
			{"officerA", "/incidents/" + c2 + "/reports", `class="field-error problem" data-field="org_address"`},
			{"viewerA", "/reports", `id="summary-table"`},
			{"officerA", "/reports", `id="summary-deadlines"`},
			{"admin", "/settings/reporting", `id="template-initial"`},
			{"officerA", "/settings/reporting", `name="number_prefix"`},
		} {
			status, body := w.getPage(c.actor, lang, c.path)
			if status != 200 || !strings.Contains(body, c.want) {
				t.Errorf("%s %s (%s): status %d, want %q in the page", c.actor, c.path, lang, status, c.want)
				continue
			}
			for _, raw := range []string{"nr.", "field.", "%!"} {
				if strings.Contains(body, ">"+raw) || strings.Contains(body, " "+raw) && raw == "%!" {
					t.Errorf("%s %s (%s) shows a raw %q", c.actor, c.path, lang, raw)
				}
			}
		}
	}
	// The summary deadline of A: the half-year, the date, days left or over, not sent.
	for lang, want := range map[string][]string{"vi": {"Bảo hiểm xã hội tỉnh Đắk Lắk (A)", "Chưa gửi", "ngày"}, "en": {"Bảo hiểm xã hội tỉnh Đắk Lắk (A)", "Not sent", "days"}} {
		_, page := w.getPage("officerA", lang, "/reports")
		i := strings.Index(page, `id="summary-deadlines"`)
		if i < 0 {
			t.Errorf("/reports (%s): no summary deadlines", lang)
			continue
		}
		sec := page[i:min(len(page), i+3000)]
		for _, s := range want {
			if !strings.Contains(sec, s) {
				t.Errorf("/reports (%s): the deadlines lack %q:\n%s", lang, s, sec)
			}
		}
	}
	// The summary's download links give the document.
	_, page := w.getPage("viewerA", "vi", "/reports?from=2026-07&to=2026-12")
	links := regexp.MustCompile(`href="(/api/v1/reports/summary\?[^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(links) != 4 {
		t.Errorf("summary download links: %d", len(links))
	}
	for _, l := range links {
		href := html.UnescapeString(l[1])
		if r := w.call("viewerA", "GET", href, nil); r.Status != 200 || strings.Contains(href, "%3d") || strings.Contains(href, "%3D") {
			t.Errorf("GET %s: %d %.200s", href, r.Status, r.Body)
		}
	}
	if status, _ := w.getPage("officerB", "vi", "/incidents/"+c+"/reports"); status != 404 {
		t.Errorf("officerB opens A's case reports: %d", status)
	}

	// A bad time comes back with the input kept and the reason beside it.
	form := url.Values{"org_address": {"Số 10 Lê Duẩn, Buôn Ma Thuột"}, "detected_time": {"25:61"}}
	status, body := w.postForm("officerA", "vi", "/reports/"+draftID, form)
	if status != 303 {
		t.Fatalf("save: %d %s", status, body)
	}
	status, body = w.getPage("officerA", "vi", "/incidents/"+c2+"/reports")
	if !strings.Contains(body, "Số 10 Lê Duẩn, Buôn Ma Thuột") || !strings.Contains(body, "phải là giờ dạng hh:mm") {
		t.Errorf("saved draft page: %d", status)
	}
	// The audit log names a report not yet numbered by its form, in words.
	for lang, want := range map[string]string{"vi": "Báo cáo ban đầu sự cố (Mẫu 03) #" + draftID, "en": "Initial report (Mẫu 03) #" + draftID} {
		_, page := w.getPage("admin", lang, "/audit?limit=200")
		if !strings.Contains(page, want) || strings.Contains(page, "initial #") {
			t.Errorf("audit log (%s) does not name the draft %q", lang, want)
		}
	}
	// A private address in the public-address field is a problem beside it.
	if status, _ := w.postForm("officerA", "vi", "/reports/"+draftID, url.Values{"public_ips": {"203.0.113.9\n10.0.0.5"}}); status != 303 {
		t.Errorf("save public_ips: %d", status)
	}
	_, body = w.getPage("officerA", "vi", "/incidents/"+c2+"/reports")
	if !regexp.MustCompile(`data-field="public_ips"[^>]*>[^<]*có địa chỉ IP nội bộ`).MatchString(body) {
		i := strings.Index(body, `data-field="public_ips"`)
		t.Errorf("private public_ips: no problem beside the field (%d)", i)
	}
	// Submitting with fields to fix: the reason beside the first.
	status, body = w.postForm("officerA", "vi", "/reports/"+draftID+"/submit", url.Values{})
	if status != 400 || fieldMessage(body, "org_phone") == "" {
		t.Errorf("submit incomplete: status %d, message %q", status, fieldMessage(body, "org_phone"))
	}
	// Settings: a bad option line is refused naming the line.
	status, body = w.postForm("admin", "vi", "/settings/reporting/options/status", url.Values{"text": {"open | Đang mở\nBAD CODE | x"}})
	if status != 400 || !strings.Contains(fieldMessage(body, "text"), "Dòng 2") {
		t.Errorf("bad options: status %d, message %q", status, fieldMessage(body, "text"))
	}
	if status, _ := w.postForm("officerA", "vi", "/settings/reporting/options/status", url.Values{"text": {"open | Đang mở"}}); status != 403 {
		t.Errorf("officerA sets options: %d", status)
	}
	if status, _ := w.postForm("admin", "vi", "/settings/reporting/templates/final", url.Values{"text": {"title = BÁO CÁO KẾT THÚC ỨNG CỨU SỰ CỐ"}}); status != 303 {
		t.Errorf("admin sets a template: %d", status)
	}
	if status, body := w.postForm("officerA", "vi", "/reports/summary", url.Values{"from": {"2026-07"}, "to": {"2026-12"}}); status != 303 {
		t.Errorf("summary draft: %d %.300s", status, body)
	}
}
