package web_test

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// postWatchlist posts the item page's form (action, note, an optional file)
// as actor.
func (w *world) postWatchlist(actor, lang, hit string, fields map[string]string, name, file string) (int, string, string) {
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
	req, _ := http.NewRequest("POST", w.srv.URL+"/watchlist/hits/"+hit, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+w.tokens[actor])
	req.AddCookie(&http.Cookie{Name: "vigil_lang", Value: lang})
	client := *w.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header.Get("Location")
}

func TestWatchlistPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		h := w.watchlistHits(t)
		for _, lang := range []string{"vi", "en"} {
			st, page := w.getPage("officerA", lang, "/watchlist")
			want := map[string]string{"vi": "Xử lý theo danh sách cảnh báo", "en": "Warning-list clean-up"}[lang]
			if st != 200 || !strings.Contains(page, want) || !strings.Contains(page, "ws-a-01") || strings.Contains(page, "ws-b-01") {
				t.Errorf("%s queue of officerA: %d", lang, st)
			}
			if lang == "vi" && (!strings.Contains(page, "Quét toàn bộ mã độc") || !strings.Contains(page, "còn 7 ngày")) {
				t.Errorf("the queue names no action or deadline in Vietnamese")
			}
		}
		// A note left empty comes back beside its field with the file name
		// and the action kept; nothing is attached.
		st, body, _ := w.postWatchlist("officerA", "vi", h["A"], map[string]string{"action": "reimage", "note": " "}, "scan.txt", "clean")
		if st != 400 || !strings.Contains(fieldMessage(body, "note"), "việc đã làm") || !strings.Contains(body, `<option value="reimage" selected`) {
			t.Errorf("empty note: %d %q", st, fieldMessage(body, "note"))
		}
		st, _, loc := w.postWatchlist("officerA", "vi", h["A"], map[string]string{"action": "scan", "note": "Đã quét toàn bộ bằng Defender"}, "bao-cao-quet.txt", "Defender: 0 threats\n")
		if st != 303 || !strings.Contains(loc, "flash=saved") {
			t.Fatalf("record: %d %s", st, loc)
		}
		st, page := w.getPage("officerA", "vi", "/watchlist/hits/"+h["A"])
		if st != 200 || !strings.Contains(page, "bao-cao-quet.txt") || !strings.Contains(page, "chờ xác nhận") || !strings.Contains(page, "Đã quét toàn bộ bằng Defender") {
			t.Errorf("item page after recording: %d", st)
		}
		if st, _ := w.getPage("officerA", "en", "/watchlist/hits/"+h["B"]); st != 404 {
			t.Errorf("officerA opens B's item: %d", st)
		}
		if st, _, _ := w.postWatchlist("viewerA", "en", h["A"], map[string]string{"action": "scan", "note": "x"}, "", ""); st != 403 {
			t.Errorf("viewerA records: %d", st)
		}
		db.Exec(t.Context(), `UPDATE findings SET due_at = 1000 WHERE kind = 'warning_list'`)
		st, page = w.getPage("analyst", "en", "/watchlist/late")
		if st != 200 || !strings.Contains(page, "late-units") || !strings.Contains(page, "contact.b@test.vigil") {
			t.Errorf("late units page: %d", st)
		}
		st, page = w.getPage("analyst", "en", "/watchlist")
		if st != 200 || !strings.Contains(page, "Matching the lists") {
			t.Errorf("the IT Center's queue shows no run progress: %d", st)
		}
		for _, f := range []string{"csv", "xlsx"} {
			if st, _ := w.getPage("officerA", "vi", "/watchlist?format="+f); st != 200 {
				t.Errorf("export %s: %d", f, st)
			}
		}
		// The queue opens on what is still to do: its export links say so,
		// and the export holds exactly the rows the page shows.
		if _, err := db.Exec(t.Context(), `UPDATE findings SET status = 'resolved' WHERE kind = 'warning_list' AND id = (SELECT finding_id FROM watchlist_hits WHERE id = ?)`, h["A"]); err != nil {
			t.Fatal(err)
		}
		_, page = w.getPage("analyst", "en", "/watchlist")
		if !strings.Contains(page, `href="/watchlist?format=csv&amp;status=active"`) {
			t.Errorf("the CSV link omits the status the page shows")
		}
		r := w.call("analyst", "GET", "/watchlist?format=csv&status=active&lang=en", nil)
		all := w.call("analyst", "GET", "/watchlist?format=csv&lang=en", nil)
		ids := func(re *regexp.Regexp, s string) string {
			seen := map[string]bool{}
			for _, m := range re.FindAllStringSubmatch(s, -1) {
				seen[m[1]] = true
			}
			return fmt.Sprint(slices.Sorted(maps.Keys(seen)))
		}
		shown := ids(regexp.MustCompile(`href="/watchlist/hits/(\d+)"`), page)
		exported := ids(regexp.MustCompile(`(?m)^"?(\d+)"?,`), string(all.Body))
		if string(r.Body) != string(all.Body) || shown != exported || shown == "[]" {
			t.Errorf("the export holds other rows than the page: page %s, export %s", shown, exported)
		}
		if strings.Contains(string(r.Body), "Resolved") {
			t.Errorf("the default export holds a resolved item")
		}
		// A closed item shows why no action can be recorded, and the server
		// refuses one with its reason in words.
		_, page = w.getPage("officerA", "vi", "/watchlist/hits/"+h["A"])
		if !strings.Contains(page, `id="record-closed"`) || strings.Contains(page, `name="note"`) || !strings.Contains(page, "Đã khắc phục") || strings.Contains(page, "scan:") {
			t.Errorf("a closed item offers the record form")
		}
		st, body, _ = w.postWatchlist("officerA", "vi", h["A"], map[string]string{"action": "scan", "note": "Quét lại"}, "", "")
		if st != 409 || !strings.Contains(body, "trạng thái Đã khắc phục") || strings.Contains(body, "trạng thái resolved") {
			t.Errorf("action on a closed item: %d %s", st, body[strings.Index(body, "<main"):])
		}
	})
}
