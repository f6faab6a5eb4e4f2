package web_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// postScan uploads a report through the /scans page's form as actor.
func (w *world) postScan(actor, lang string, fields map[string]string, name, report string) (int, string) {
	w.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("report", name)
		io.WriteString(fw, report)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", w.srv.URL+"/scans", &buf)
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

func TestScansPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		st, body := w.postScan("officerA", "vi", map[string]string{"unit": "A"}, "tuan1.nessus", nessusReport)
		if st != 200 || !strings.Contains(body, "Đã nhập tuan1.nessus") {
			t.Fatalf("upload: %d %s", st, body)
		}
		// A report that is not one: the reason beside the file, in Vietnamese's page.
		st, body = w.postScan("officerA", "en", map[string]string{"unit": "A", "host": "10.1.2.3"}, "notes.txt", "hello")
		if st != 400 || !strings.Contains(strings.ToLower(fieldMessage(body, "report")), "notes.txt") {
			t.Errorf("bad report: %d %q", st, fieldMessage(body, "report"))
		}
		for _, lang := range []string{"vi", "en"} {
			st, page := w.getPage("officerA", lang, "/scans")
			want := map[string]string{"vi": "Nhập kết quả quét lỗ hổng", "en": "Vulnerability scan imports"}[lang]
			if st != 200 || !strings.Contains(page, want) || !strings.Contains(page, "tuan1.nessus") || !strings.Contains(page, "notes.txt") {
				t.Errorf("%s page: %d", lang, st)
			}
		}
		if _, page := w.getPage("officerB", "vi", "/scans"); strings.Contains(page, "tuan1.nessus") {
			t.Error("officerB sees unit A's import")
		}
		r := w.call("officerA", "GET", "/api/v1/scan-imports?format=csv", nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), "tuan1.nessus") {
			t.Errorf("csv export: %d", r.Status)
		}
	})
}
