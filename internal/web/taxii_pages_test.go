package web_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestTAXIIPages: the collections and feeds pages in both languages, a
// refused form back with its input and the reason beside the field, the
// grant form, run now.
func TestTAXIIPages(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		id := w.taxiiCollection(t)
		for _, lang := range []string{"vi", "en"} {
			code, body := w.getPage("admin", lang, "/taxii")
			if code != 200 || !strings.Contains(body, "Danh sách cảnh báo (hiện hành)") || !strings.Contains(body, "/taxii2/intel/collections/"+id+"/") {
				t.Fatalf("%s: /taxii %d", lang, code)
			}
			want := map[string]string{"vi": "Chia sẻ qua TAXII 2.1", "en": "Sharing over TAXII 2.1"}[lang]
			if !strings.Contains(body, want) || !strings.Contains(body, "/taxii2/") {
				t.Errorf("%s: /taxii lacks %q", lang, want)
			}
			if lang == "vi" && (strings.Contains(body, ">list<") || strings.Contains(body, ">amber<")) {
				t.Error("a raw value on the Vietnamese page")
			}
			// The list selector names the month and the status in words.
			opt := map[string]string{"vi": "Danh sách cảnh báo (tháng 11/2026, phiên bản ", "en": "Danh sách cảnh báo (11/2026, version "}[lang]
			status := map[string]string{"vi": " · Đã phát hành</option>", "en": " · Published</option>"}[lang]
			if !strings.Contains(body, opt) || !strings.Contains(body, status) || strings.Contains(body, "2026-11 v") || strings.Contains(body, "· published<") {
				t.Errorf("%s: the list selector shows codes: %s", lang, body[strings.Index(body, `name="list_id"`):][:600])
			}
		}
		// viewerA (unit A is granted) sees it without the forms; officerB not.
		if _, body := w.getPage("viewerA", "vi", "/taxii"); !strings.Contains(body, id) || strings.Contains(body, `action="/taxii/collections"`) {
			t.Error("viewerA's page")
		}
		if _, body := w.getPage("officerB", "vi", "/taxii"); strings.Contains(body, id) {
			t.Error("officerB sees a collection not granted")
		}
		// A refused collection form.
		code, body := w.postForm("admin", "vi", "/taxii/collections", url.Values{"title": {"Bộ thử"}, "selection": {"list"}, "description": {"giữ lại"}})
		if code != 400 || fieldMessage(body, "list_id") == "" || !strings.Contains(body, "giữ lại") {
			t.Errorf("refused collection: %d, beside list_id %q", code, fieldMessage(body, "list_id"))
		}
		if code, _ := w.postForm("admin", "vi", "/taxii/collections", url.Values{"title": {"Mọi chỉ dấu"}, "selection": {"indicators"}, "max_tlp": {"green"}}); code != 303 {
			t.Errorf("collection form: %d", code)
		}
		// A grant to someone unknown comes back beside "who".
		code, body = w.postForm("admin", "en", "/taxii/collections/"+id+"/grants", url.Values{"who": {"nobody@test.vigil"}, "can_read": {"1"}})
		if code != 400 || !strings.Contains(fieldMessage(body, "who"), "nobody@test.vigil") {
			t.Errorf("refused grant: %d %q", code, fieldMessage(body, "who"))
		}
		if code, _ := w.postForm("admin", "en", "/taxii/collections/"+id+"/grants", url.Values{"who": {"B"}, "can_read": {"1"}}); code != 303 {
			t.Errorf("grant to unit B: %d", code)
		}
		if code, _ := w.postForm("officerA", "en", "/taxii/collections/"+id+"/grants", url.Values{"who": {"B"}, "can_read": {"1"}}); code != 403 {
			t.Errorf("officerA grants: %d", code)
		}

		// Feeds: empty state, a refused form, one added, run now.
		if code, body := w.getPage("admin", "vi", "/intel/feeds"); code != 200 || !strings.Contains(body, "Chưa có nguồn tin nào") {
			t.Errorf("empty feeds page: %d", code)
		}
		if code, _ := w.getPage("viewerA", "vi", "/intel/feeds"); code != 403 {
			t.Errorf("viewerA's feeds page: %d", code)
		}
		code, body = w.postForm("admin", "vi", "/intel/feeds", url.Values{"kind": {"taxii"}, "name": {"Đối tác"}, "url": {"https://taxii.example.org/taxii2/"}, "interval_minutes": {"60"}})
		if code != 400 || fieldMessage(body, "collection") == "" || !strings.Contains(body, "https://taxii.example.org/taxii2/") {
			t.Errorf("refused feed: %d, beside collection %q", code, fieldMessage(body, "collection"))
		}
		code, _ = w.postForm("admin", "vi", "/intel/feeds", url.Values{"kind": {"stix"}, "name": {"Tệp STIX"}, "url": {"https://intel.example.invalid/x.json"}, "interval_minutes": {"60"}, "secret": {"k3y-secret"}})
		if code != 303 {
			t.Fatalf("feed form: %d", code)
		}
		items := w.call("admin", "GET", "/api/v1/intel/feeds", nil).items(t)
		fid := itoa(int64(items[0]["id"].(float64)))
		if code, _ := w.postForm("admin", "vi", "/intel/feeds/"+fid+"/run", url.Values{}); code != 303 {
			t.Errorf("run now: %d", code)
		}
		code, body = w.getPage("admin", "vi", "/intel/feeds")
		if code != 200 || !strings.Contains(body, "Tệp STIX") || !strings.Contains(body, "Không kết nối được địa chỉ") || strings.Contains(body, "k3y-secret") {
			t.Errorf("feeds page after a failed run: %d", code)
		}
		if _, body := w.getPage("admin", "en", "/intel/feeds?edit="+fid); !strings.Contains(body, `action="/intel/feeds/`+fid+`"`) {
			t.Error("edit form")
		}
	})
}
