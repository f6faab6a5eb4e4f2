package web_test

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"vigil/internal/agent/agentapi"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// postIntel sends a multipart import form (fields, and a file when name
// is set) to path as actor.
func (w *world) postIntel(actor, lang, path string, fields map[string]string, name, file string) (int, string) {
	w.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		io.WriteString(fw, file)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", w.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+w.tokens[actor])
	req.AddCookie(&http.Cookie{Name: "vigil_lang", Value: lang})
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestIntelPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// The IT Center imports a file into a new list: published at once;
		// the result says what was read and each problem, translated.
		st, body := w.postIntel("admin", "vi", "/watchlists/import", map[string]string{"list": "Danh sách tháng 12", "severity": "critical", "reason": "Máy chủ điều khiển"},
			"t12.csv", "type,value,comment\nip,203.0.113.5,C2\ndomain,evil.example,\nbogus,zzz,\n")
		if st != 200 || !strings.Contains(body, "Đã đọc 3 đối tượng, nạp 2 chỉ báo, bỏ qua 1") || !strings.Contains(body, "t12.csv, dòng 4") || !strings.Contains(body, "Đã phát hành") {
			t.Fatalf("import page: %d %s", st, body)
		}
		// Pasted values into the same list, for unit A by its officer.
		st, body = w.postIntel("officerA", "en", "/watchlists/import", map[string]string{"list": "Danh sách tháng 12", "unit": "A", "values": "198.51.100.7\n"}, "", "")
		if st != 200 || !strings.Contains(body, "1 indicators loaded") {
			t.Errorf("paste: %d %s", st, body)
		}
		// Bad input comes back kept, the reason beside the field.
		st, body = w.postIntel("admin", "vi", "/watchlists/import", map[string]string{"list": "L", "tlp": "purple", "values": "ip,192.0.2.1\n"}, "", "")
		if st != 400 || fieldMessage(body, "tlp") == "" || !strings.Contains(body, "ip,192.0.2.1") {
			t.Errorf("bad tlp: %d %q", st, fieldMessage(body, "tlp"))
		}
		st, body = w.postIntel("admin", "vi", "/watchlists/import", map[string]string{"list": "L"}, "", "")
		if st != 400 || fieldMessage(body, "file") != "Hãy chọn tệp hoặc dán giá trị" {
			t.Errorf("nothing to import: %d %q", st, fieldMessage(body, "file"))
		}
		st, body = w.postForm("admin", "vi", "/watchlists", url.Values{"name": {"Danh sách sai tháng"}, "month": {"2026-13"}})
		if st != 400 || fieldMessage(body, "month") == "" || !strings.Contains(body, "Danh sách sai tháng") {
			t.Errorf("bad month: %d %q", st, fieldMessage(body, "month"))
		}
		st, _ = w.postForm("admin", "vi", "/watchlists", url.Values{"name": {"Nháp bí mật tháng 11"}, "month": {"2026-11"}, "retro_days": {"14"}})
		if st != http.StatusSeeOther {
			t.Errorf("create: %d", st)
		}
		lists := w.call("admin", "GET", "/api/v1/watchlists?status=published", nil).items(t)
		if len(lists) != 1 {
			t.Fatalf("published lists %v", lists)
		}
		id := itoa(int64(lists[0]["id"].(float64)))
		for _, lang := range []string{"vi", "en"} {
			for path, want := range map[string]string{
				"/watchlists":       map[string]string{"vi": "Danh sách cảnh báo", "en": "Warning lists"}[lang],
				"/watchlists/" + id: map[string]string{"vi": "Quét toàn bộ mã độc", "en": "Block at the perimeter"}[lang],
				"/intel":            map[string]string{"vi": "Địa chỉ IP / dải mạng", "en": "IP address / network"}[lang],
			} {
				st, page := w.getPage("admin", lang, path)
				if st != 200 || !strings.Contains(page, want) || !strings.Contains(page, "203.0.113.5") && path != "/watchlists" {
					t.Errorf("%s %s: %d, want %q", lang, path, st, want)
				}
				if lang == "vi" && (strings.Contains(page, ">published<") || strings.Contains(page, ">block<")) {
					t.Errorf("%s shows a raw enum", path)
				}
			}
		}
		// Officers see the list, the entries for every unit and their own.
		_, page := w.getPage("officerB", "vi", "/watchlists/"+id)
		if !strings.Contains(page, "203.0.113.5") || strings.Contains(page, "198.51.100.7") || strings.Contains(page, `action="/watchlists/`+id+`/publish"`) {
			t.Errorf("officerB's list page shows A's entry or the IT Center's buttons")
		}
		if _, page := w.getPage("officerB", "vi", "/watchlists"); strings.Contains(page, "Nháp bí mật tháng 11") {
			t.Error("officerB sees a draft")
		}
		// Exports from the page.
		for _, f := range []string{"csv", "xlsx"} {
			if st, _ := w.getPage("admin", "vi", "/watchlists/"+id+"?format="+f); st != 200 {
				t.Errorf("entries %s: %d", f, st)
			}
			if st, _ := w.getPage("admin", "vi", "/intel?format="+f); st != 200 {
				t.Errorf("indicators %s: %d", f, st)
			}
		}
		// Withdraw through the page's button.
		if st, _ := w.postForm("admin", "vi", "/watchlists/"+id+"/withdraw", url.Values{}); st != http.StatusSeeOther {
			t.Errorf("withdraw: %d", st)
		}
		if _, page := w.getPage("admin", "vi", "/watchlists/"+id+"?done=withdrawn"); !strings.Contains(page, "Đã thu hồi danh sách") {
			t.Error("no withdrawn flash")
		}
	})
}

// TestAgentsReceivePublishedLists: what a published list holds is what
// an agent's /indicators answer holds (those for its unit included),
// and a withdrawn list's is gone.
func TestAgentsReceivePublishedLists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		agentValues := func(unit string) map[string]bool {
			r := w.call(w.agentTok[unit], "GET", agentapi.PathIndicators, nil)
			expect(t, r, 200, "agent indicators "+unit)
			var resp agentapi.IndicatorsResponse
			if err := json.Unmarshal(r.Body, &resp); err != nil {
				t.Fatal(err)
			}
			out := map[string]bool{}
			for _, in := range resp.Indicators {
				out[in.Value] = true
			}
			return out
		}
		if got := agentValues("A"); got["203.0.113.200"] {
			t.Errorf("agent gets %v before the list", got)
		}
		id := w.intelList(t, "Gửi tác tử", true, map[string]string{"": "sha256,e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n", "A": "ip,203.0.113.200\n"})
		a, b := agentValues("A"), agentValues("B")
		if !a["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"] || !a["203.0.113.200"] || b["203.0.113.200"] || !b["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"] {
			t.Errorf("agent A gets %v, agent B %v", a, b)
		}
		// An agent that sends back its cursor while nothing changed is told
		// "no change"; another unit's cursor is not its own.
		since := func(unit, cursor string) agentapi.IndicatorsResponse {
			r := w.call(w.agentTok[unit], "GET", agentapi.PathIndicators+"?since="+url.QueryEscape(cursor), nil)
			expect(t, r, 200, "agent indicators since "+cursor)
			var resp agentapi.IndicatorsResponse
			if err := json.Unmarshal(r.Body, &resp); err != nil {
				t.Fatal(err)
			}
			return resp
		}
		first := since("A", "")
		if !first.Full || len(first.Indicators) < 2 || !strings.HasPrefix(first.Cursor, "v1:") {
			t.Fatalf("first answer: full %v, %d indicators, cursor %q", first.Full, len(first.Indicators), first.Cursor)
		}
		if again := since("A", first.Cursor); again.Full || len(again.Indicators) != 0 || again.Cursor != first.Cursor {
			t.Errorf("nothing changed, yet: full %v, %d indicators, cursor %q", again.Full, len(again.Indicators), again.Cursor)
		}
		if other := since("B", first.Cursor); !other.Full || other.Cursor == first.Cursor {
			t.Errorf("B's agent with A's cursor: full %v", other.Full)
		}
		expect(t, w.call("admin", "POST", "/api/v1/watchlists/"+id+"/withdraw", nil), 200, "withdraw")
		if after := since("A", first.Cursor); !after.Full || after.Cursor == first.Cursor {
			t.Errorf("after the withdrawal the old cursor gets: full %v, cursor %q", after.Full, after.Cursor)
		}
		if got := agentValues("A"); got["203.0.113.200"] || got["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"] {
			t.Errorf("agent gets %v after the withdrawal", got)
		}
	})
}

// TestIntelImportInWords: a file refused whole, a skipped object, a bad
// choice and pasted values read fully in Vietnamese on the page: no Go
// error, no English detail, no code list.
func TestIntelImportInWords(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	english := []string{"json: cannot", "Go struct", "format:", "mispEvent", "columns not understood", "want ", "found", "not one of",
		"password_reset", "amber+strict, red", "pasted:", "string", "array", "cannot", "expected"}
	clean := func(what, msg string) {
		t.Helper()
		if msg == "" {
			t.Errorf("%s: no message", what)
		}
		for _, e := range english {
			if strings.Contains(msg, e) {
				t.Errorf("%s: %q in %q", what, e, msg)
			}
		}
	}
	st, body := w.postIntel("admin", "vi", "/watchlists/import", map[string]string{"list": "L"}, "wrongcols.csv", "foo,bar\nx,y\n")
	msg := fieldMessage(body, "file")
	if st != 400 || !strings.Contains(msg, "wrongcols.csv, dòng 1") && !strings.Contains(msg, "dòng 1") {
		t.Errorf("wrongcols.csv: %d %q", st, msg)
	}
	clean("wrongcols.csv", msg)
	st, body = w.postIntel("admin", "vi", "/watchlists/import", map[string]string{"list": "L"}, "bad.json", `{"Event":{"info":"x","Attribute":"oops"}}`)
	msg = fieldMessage(body, "file")
	if st != 400 || !strings.Contains(msg, "Event.Attribute") || !strings.Contains(msg, "chuỗi") || !strings.Contains(msg, "danh sách") {
		t.Errorf("bad MISP event: %d %q", st, msg)
	}
	clean("bad MISP event", msg)
	// A bad pattern and pasted text: the problems' place and reason.
	st, body = w.postIntel("admin", "vi", "/watchlists/import", map[string]string{"list": "L"}, "p.json",
		`{"type":"bundle","objects":[{"type":"indicator","id":"indicator--a","pattern":"[ipv4-addr:value = '1.2.3.4'"},5]}`)
	if st != 200 || !strings.Contains(body, "cần &#34;]&#34;, nhưng gặp chỗ kết thúc mẫu") || !strings.Contains(body, "p.json, đối tượng 2") {
		t.Errorf("bad pattern: %d %s", st, problemsOf(body))
	}
	clean("bad pattern", problemsOf(body))
	st, body = w.postIntel("admin", "vi", "/watchlists/import", map[string]string{"list": "L", "values": "192.0.2.1\n???\n"}, "", "")
	if st != 200 || !strings.Contains(body, "Dán trực tiếp, dòng 2") {
		t.Errorf("paste: %d %s", st, problemsOf(body))
	}
	clean("paste", problemsOf(body))
	st, body = w.postIntel("admin", "en", "/watchlists/import", map[string]string{"list": "L", "values": "???\n"}, "", "")
	if st != 200 || !strings.Contains(body, "pasted text, line 1") {
		t.Errorf("paste (en): %d %s", st, problemsOf(body))
	}
	// Choices by their labels.
	for field, label := range map[string]string{"tlp": "TLP:AMBER+STRICT (chỉ nội bộ)", "action": "Cài đặt lại"} {
		st, body = w.postIntel("admin", "vi", "/watchlists/import", map[string]string{"list": "L", field: "bogus", "values": "192.0.2.1"}, "", "")
		msg = fieldMessage(body, field)
		if st != 400 || !strings.Contains(msg, label) {
			t.Errorf("bad %s: %d %q", field, st, msg)
		}
		clean("bad "+field, msg)
	}
	st, body = w.postIntel("admin", "en", "/watchlists/import", map[string]string{"list": "L", "action": "bogus", "values": "192.0.2.1"}, "", "")
	if msg = fieldMessage(body, "action"); st != 400 || !strings.Contains(msg, "Full malware scan") || strings.Contains(msg, "password_reset") {
		t.Errorf("bad action (en): %d %q", st, msg)
	}
	// A filter's bad choice on the lists: the choices by their labels.
	for path, label := range map[string]string{"/watchlist?kind=bogus": "Mã băm SHA-256", "/watchlist?status=bogus": "Đã khắc phục",
		"/advisories?status=bogus": "Đã ban hành", "/intel?tlp=bogus": "TLP:RED (đích danh)", "/watchlists?status=bogus": "Đã thay thế"} {
		st, page := w.getPage("admin", "vi", path)
		if st != 400 || !strings.Contains(page, label) || strings.Contains(page, "in_progress") || strings.Contains(page, "sha256,") || strings.Contains(page, "draft,") {
			t.Errorf("%s: %d, want %q", path, st, label)
		}
	}
	// The API keeps the codes, and gives the format and its arguments.
	r := w.call("admin", "POST", "/api/v1/intel/import?file=wrongcols.csv", "foo,bar\nx,y\n")
	if b := string(r.Body); r.Status != 400 || !strings.Contains(b, `"format":"%s cannot be read: %v"`) || !strings.Contains(b, `"problem"`) || !strings.Contains(b, "columns not understood") {
		t.Errorf("API refusal: %d %s", r.Status, b)
	}
}

// TestSystemActorInWords: what the system did (a demo's list, an
// advisory) names it in words, not by its account name.
func TestSystemActorInWords(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	if st, _ := w.postIntel("admin", "vi", "/watchlists/import", map[string]string{"list": "Danh sách tháng 12"}, "", ""); st != 400 {
		t.Fatalf("empty import: %d", st)
	}
	if st, _ := w.postIntel("admin", "vi", "/watchlists/import", map[string]string{"list": "Danh sách tháng 12", "values": "192.0.2.1"}, "", ""); st != 200 {
		t.Fatalf("import: %d", st)
	}
	adv := w.advisoryFor(t, false, "A")
	for _, q := range []string{`UPDATE warning_lists SET published_by = 'system'`, `UPDATE advisories SET created_by = 'system', issued_by = 'system', status_by = 'system'`} {
		if _, err := w.db.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	lists := w.call("admin", "GET", "/api/v1/watchlists", nil).items(t)
	if len(lists) == 0 {
		t.Fatal("no list")
	}
	for _, path := range []string{"/watchlists", "/watchlists/" + itoa(int64(lists[0]["id"].(float64))), "/advisories/" + adv} {
		_, page := w.getPage("admin", "vi", path)
		if !strings.Contains(page, "Hệ thống Vigil") || strings.Contains(page, ">system<") || strings.Contains(page, " system,") || strings.Contains(page, ", system") {
			t.Errorf("%s names the system by its account name", path)
		}
	}
}

// problemsOf is the list of problems an import page shows.
func problemsOf(body string) string {
	i := strings.Index(body, `<ul class="problems">`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</ul>")
	return html.UnescapeString(body[i : i+j])
}
