package web_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"vigil/internal/store/storetest"
)

// The incident pages: the list with the open cases by unit and severity,
// the form (prefilled from an alert; input kept with the reason beside
// the field), the case page with its clocks, work forms and timeline, the
// timers, the monthly summary and the settings; in both languages with no
// raw key shown.
func TestIncidentPages(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	al := seedAlerts(t, w)
	id := w.incidentFor(t, "A")
	expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+id+"/observables", []map[string]string{{"value": "203.0.113.7"}}), 201, "observable")
	expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+id+"/tasks", map[string]string{"title": "Cô lập máy", "due": "01/01/2020"}), 201, "task")
	for _, lang := range []string{"vi", "en"} {
		for _, c := range []struct{ actor, path, want string }{
			{"officerA", "/incidents", `id="open-matrix"`},
			{"officerA", "/incidents?status=&format=", `id="incidents"`},
			{"officerA", "/incidents/new", `name="category"`},
			{"officerA", fmt.Sprintf("/incidents/new?alert=%d", al["A"]), "Suspicious Certutil Command Usage"},
			{"officerA", "/incidents/" + id, `id="status-form"`},
			{"officerA", "/incidents/" + id, `id="clocks"`},
			{"officerA", "/incidents/" + id, "203.0.113.7"},
			{"viewerA", "/incidents/" + id, `id="timeline"`},
			{"officerA", "/incidents/" + id + "/edit", `name="public_ips"`},
			{"officerA", "/incidents/timers", `id="timers"`},
			{"analyst", "/incidents/summary", `id="by-category"`},
			{"admin", "/incidents/settings", `name="initial_days"`},
			{"officerA", fmt.Sprintf("/alerts/%d", al["A"]), `id="open-incident"`},
			{"officerA", "/units/A", "/incidents?status=open&amp;unit=A"},
		} {
			status, body := w.getPage(c.actor, lang, c.path)
			if status != 200 || !strings.Contains(body, c.want) {
				t.Errorf("%s %s (%s): status %d, want %q in the page", c.actor, c.path, lang, status, c.want)
				continue
			}
			for _, raw := range []string{"inc.", "field.", "%!"} {
				if strings.Contains(body, ">"+raw) || strings.Contains(body, " "+raw+"") && raw != "inc." {
					t.Errorf("%s %s (%s) shows a raw %q", c.actor, c.path, lang, raw)
				}
			}
		}
	}
	// The case page names kinds, statuses and forms in words, never codes.
	expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+id+"/status", map[string]string{"status": "triage"}), 200, "status")
	expect(t, w.call("officerA", "POST", "/api/v1/incidents/"+id+"/notes", map[string]string{"text": "=HYPERLINK(\"http://evil.example\")"}), 201, "note")
	for lang, want := range map[string][]string{
		"vi": {"Địa chỉ IP / dải mạng: 203.0.113.7", "Mới → Đánh giá, phân loại", "<td>Địa chỉ IP / dải mạng</td>"},
		"en": {"IP address / network: 203.0.113.7", "New → Triage", "<td>IP address / network</td>"},
	} {
		_, body := w.getPage("officerA", lang, "/incidents/"+id)
		for _, s := range want {
			if !strings.Contains(body, html.EscapeString(s)) && !strings.Contains(body, s) {
				t.Errorf("case page (%s) lacks %q", lang, s)
			}
		}
		for _, raw := range []string{"kind.ip", "ip: 203.0.113.7", "new → triage", ">new<"} {
			if strings.Contains(body, raw) {
				t.Errorf("case page (%s) shows the raw %q", lang, raw)
			}
		}
		// The timeline's export links give the file, in words, formulas neutralised.
		links := regexp.MustCompile(`href="([^"]*format=(csv|xlsx)[^"]*)"`).FindAllStringSubmatch(body, -1)
		if len(links) < 2 {
			t.Fatalf("case page (%s): no export links", lang)
		}
		for _, l := range links {
			r := w.call("officerA", "GET", html.UnescapeString(l[1])+"&lang="+lang, nil)
			ct := r.Header.Get("Content-Type")
			if r.Status != 200 || strings.Contains(ct, "html") {
				t.Errorf("timeline export %s: %d %s", l[1], r.Status, ct)
				continue
			}
			if l[2] == "csv" {
				csv := string(r.Body)
				if !strings.Contains(csv, want[0]) || !strings.Contains(csv, want[1]) || !strings.Contains(csv, "'=HYPERLINK") {
					t.Errorf("timeline CSV (%s):\n%s", lang, csv)
				}
			}
		}
	}
	// The month navigation names months as readers write them; the
	// list's export says an unknown security level in words.
	for lang, want := range map[string]string{"vi": "tháng 11/2026", "en": "November 2026"} {
		if _, body := w.getPage("analyst", lang, "/incidents/summary?month=2026-12"); !strings.Contains(body, want) || strings.Contains(body, "‹ 2026-11") {
			t.Errorf("summary (%s): no %q in the month navigation", lang, want)
		}
		if r := w.call("officerA", "GET", "/incidents?status=&format=csv&lang="+lang, nil); !strings.Contains(string(r.Body), map[string]string{"vi": `"Chưa rõ"`, "en": `"Unknown"`}[lang]) {
			t.Errorf("incidents CSV (%s): the unknown security level not in words:\n%s", lang, r.Body)
		}
	}
	// The timers are a list: true total, paging both ways, sort, export.
	w.incidentFor(t, "A")
	w.incidentFor(t, "A")
	r0 := w.call("officerA", "GET", "/api/v1/incidents/timers?limit=2", nil)
	var page struct {
		Items []json.RawMessage `json:"items"`
		Total int               `json:"total"`
		Next  string            `json:"next"`
	}
	if err := json.Unmarshal(r0.Body, &page); err != nil || len(page.Items) != 2 || page.Total <= 2 || page.Next == "" {
		t.Errorf("timers API page: %d items of %d, next %q (%v)", len(page.Items), page.Total, page.Next, err)
	}
	_, tp := w.getPage("officerA", "vi", "/incidents/timers?limit=2&sort=severity&order=desc")
	if !strings.Contains(tp, fmt.Sprintf("/ %d", page.Total)) && !strings.Contains(tp, fmt.Sprintf("%d", page.Total)) || !strings.Contains(tp, "offset=2") || !strings.Contains(tp, "sort=ref") {
		t.Errorf("timers page: no total %d, next page or sort links", page.Total)
	}
	for _, f := range []string{"csv", "xlsx"} {
		r := w.call("officerA", "GET", "/incidents/timers?legal=true&format="+f, nil)
		if r.Status != 200 || strings.Contains(r.Header.Get("Content-Type"), "html") {
			t.Errorf("timers export %s: %d %s", f, r.Status, r.Header.Get("Content-Type"))
		}
		if f == "csv" && !strings.Contains(string(r.Body), "Báo cáo ban đầu") && !strings.Contains(string(r.Body), "Initial") {
			t.Errorf("timers CSV:\n%s", r.Body)
		}
	}
	if r := w.call("officerA", "GET", "/incidents/timers?sort=bogus", nil); r.Status != 400 {
		t.Errorf("timers sort=bogus: %d", r.Status)
	}
	for _, f := range []string{"csv", "xlsx"} {
		r := w.call("officerA", "GET", "/api/v1/incidents/"+id+"/timeline?format="+f, nil)
		if r.Status != 200 || strings.Contains(r.Header.Get("Content-Type"), "json") {
			t.Errorf("API timeline ?format=%s: %d %s", f, r.Status, r.Header.Get("Content-Type"))
		}
	}
	if status, body := w.getPage("viewerA", "vi", "/incidents/"+id); strings.Contains(body, `id="status-form"`) || status != 200 {
		t.Errorf("viewerA sees the work forms (status %d)", status)
	}
	if status, _ := w.getPage("officerB", "vi", "/incidents/"+id); status != 404 {
		t.Errorf("officerB opens A's case: %d", status)
	}
	// The alert page lists the cases the alert is in.
	r := w.call("officerA", "POST", "/api/v1/incidents", map[string]any{"title": "Certutil tải mã độc", "category": "malware",
		"severity": "high", "units": []string{"A"}, "alerts": []int64{al["A"]}})
	expect(t, r, 201, "case from the alert")
	ref := fmt.Sprint(r.json(t)["ref"])
	if _, page := w.getPage("officerA", "vi", fmt.Sprintf("/alerts/%d", al["A"])); !strings.Contains(page, `id="alert-cases"`) || !strings.Contains(page, ref) || !strings.Contains(page, "Mới") {
		t.Errorf("the alert page does not list case %s", ref)
	}

	// A bad time of discovery comes back with the input kept and the reason beside it.
	form := url.Values{"title": {"Lừa đảo qua thư điện tử"}, "category": {"phishing"}, "severity": {"high"}, "units": {"A"}, "detected_at": {"31/02/2026 08:00"}}
	status, body := w.postForm("officerA", "vi", "/incidents", form)
	if status != 400 || !strings.Contains(body, "Lừa đảo qua thư điện tử") || !strings.Contains(fieldMessage(body, "detected_at"), "không phải ngày giờ") {
		t.Errorf("bad detected_at: status %d, message %q", status, fieldMessage(body, "detected_at"))
	}
	form.Set("detected_at", "01/12/2026 08:00")
	if status, _ := w.postForm("officerA", "vi", "/incidents", form); status != 303 {
		t.Errorf("good form: status %d", status)
	}
	// Closing without a note keeps the page with the reason.
	status, body = w.postForm("officerA", "vi", "/incidents/"+id+"/status", url.Values{"status": {"closed"}})
	if status != 400 || !strings.Contains(fieldMessage(body, "note"), "trước khi đóng") {
		t.Errorf("close without a note: status %d, message %q", status, fieldMessage(body, "note"))
	}
	if status, _ := w.postForm("officerA", "vi", "/incidents/"+id+"/notes", url.Values{"text": {"Đã cô lập máy."}}); status != 303 {
		t.Errorf("note: status %d", status)
	}
}

// TestIncidentFromHit opens a case from a warning-list hit (the hit's
// indicator becomes its first observable) and sends the observable to a
// draft warning list with one click.
func TestIncidentFromHit(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	hits := w.watchlistHits(t)
	status, body := w.getPage("officerA", "vi", "/incidents/new?hit="+hits["A"])
	if status != 200 || !strings.Contains(body, `name="hit" value="`+hits["A"]+`"`) {
		t.Fatalf("form from a hit: %d", status)
	}
	if status, _ := w.getPage("officerA", "vi", "/watchlist/hits/"+hits["A"]); status != 200 {
		t.Errorf("hit page: %d", status)
	}
	if _, page := w.getPage("officerA", "vi", "/watchlist/hits/"+hits["A"]); !strings.Contains(page, `id="open-incident"`) {
		t.Error("the hit page has no button to open a case")
	}
	if status, _ := w.getPage("officerB", "vi", "/incidents/new?hit="+hits["A"]); status != 404 {
		t.Errorf("officerB opens a case from A's hit: %d", status)
	}
	form := url.Values{}
	for _, name := range []string{"title", "category", "severity", "units", "hosts", "alerts", "hit", "value"} {
		if m := regexp.MustCompile(`name="` + name + `"[^>]*value="([^"]*)"`).FindStringSubmatch(body); m != nil {
			form.Set(name, html.UnescapeString(m[1]))
		}
	}
	if form.Get("value") == "" || form.Get("units") != "A" {
		t.Fatalf("prefilled %v", form)
	}
	form.Set("category", "malware")
	form.Set("severity", "high")
	if form.Get("title") == "" {
		form.Set("title", "Mã độc từ danh sách cảnh báo")
	}
	if status, _ := w.postForm("officerA", "vi", "/incidents", form); status != 303 {
		t.Fatalf("open from the hit: %d", status)
	}
	r := w.call("officerA", "GET", "/api/v1/incidents?q="+url.QueryEscape("SC-"), nil)
	items := r.items(t)
	if len(items) != 1 || items[0]["source"] != "hit" {
		t.Fatalf("cases %s", r.Body)
	}
	id := fmt.Sprint(items[0]["id"])
	obs := w.call("officerA", "GET", "/api/v1/incidents/"+id+"/observables", nil)
	var list []map[string]any
	if err := json.Unmarshal(obs.Body, &list); err != nil || len(list) != 1 || list[0]["indicator_id"] == nil {
		t.Fatalf("observables %s", obs.Body)
	}
	// One click: the observable to a draft list (the IT Center's).
	draft := w.intelList(t, "Danh sách tháng bổ sung", false, nil)
	status, _ = w.postForm("admin", "vi", fmt.Sprintf("/incidents/%s/observables/%v/watchlist", id, list[0]["id"]), url.Values{"list": {draft}})
	if status != 303 {
		t.Fatalf("to the warning list: %d", status)
	}
	r = w.call("admin", "GET", "/api/v1/watchlists/"+draft+"/entries", nil)
	if !strings.Contains(string(r.Body), fmt.Sprint(list[0]["value"])) {
		t.Errorf("draft list entries: %s", r.Body)
	}
	tl := w.call("officerA", "GET", "/api/v1/incidents/"+id+"/timeline?kind=watchlist", nil)
	if tl.json(t)["total"] != float64(1) {
		t.Errorf("timeline: %s", tl.Body)
	}
}
