package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"vigil/internal/alerts"
	"vigil/internal/i18n"
)

func init() {
	alerts.PollEvery = 100 * time.Millisecond // live pages in tests need not wait a second
}

// streamEvent is one server-sent event.
type streamEvent struct {
	Name string
	Data map[string]any
}

// openStream opens the live alert stream as actor; events arrive on the
// channel until the test ends.
func openStream(t *testing.T, w *world, actor, query string) (<-chan streamEvent, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", w.srv.URL+"/api/v1/alerts/stream?"+query, nil)
	req.Header.Set("Authorization", "Bearer "+w.tokens[actor])
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan streamEvent, 100)
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		close(out)
		return out, resp
	}
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var ev streamEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.Name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.Data)
			case line == "" && ev.Name != "":
				out <- ev
				ev = streamEvent{}
			}
		}
	}()
	return out, resp
}

// nextAlert waits for the stream's next alert event naming rule.
func nextAlert(t *testing.T, ch <-chan streamEvent, rule string, wait time.Duration) map[string]any {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return nil
			}
			if ev.Name == "alert" && ev.Data["rule_id"] == rule {
				return ev.Data
			}
		case <-deadline:
			return nil
		}
	}
}

func recordFor(t *testing.T, w *world, unit, rule, host string) {
	t.Helper()
	var id int64
	if err := w.db.QueryRow(context.Background(), `SELECT id FROM units WHERE code = ?`, unit).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if err := w.hub.Alerts.Record(context.Background(), []alerts.Match{{RuleID: rule, RuleTitle: "Rule " + rule, Level: "critical", UnitID: id, Host: host, Time: time.Now()}}); err != nil {
		t.Fatal(err)
	}
}

func init() {
	for k, v := range map[string]func(t *testing.T, w *world){
		"GET /api/v1/alerts/stream": func(t *testing.T, w *world) {
			seedAlerts(t, w)
			a, resp := openStream(t, w, "officerA", "status=active")
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
				t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			_, resp = openStream(t, w, "officerA", "unit=B")
			expect(t, response{Status: resp.StatusCode}, 404, "officerA streams unit B")
			recordFor(t, w, "B", "stream-b", "pc-b")
			recordFor(t, w, "A1", "stream-a1", "pc-a1")
			got := nextAlert(t, a, "stream-a1", 5*time.Second)
			if got == nil || got["unit"] != "A1" || got["match"] != true || got["severity_label"] == "" {
				t.Fatalf("officerA's stream: %v", got)
			}
			if nextAlert(t, a, "stream-b", 500*time.Millisecond) != nil {
				t.Error("officerA's stream carried B's alert")
			}
		},
		"GET /api/v1/alerts/suppressions": func(t *testing.T, w *world) {
			w.call("officerB", "POST", "/api/v1/alerts/suppressions", map[string]any{"rule_id": "sup-list-b", "unit": "B", "reason": "máy quét lỗ hổng của tỉnh", "expires": time.Now().AddDate(0, 0, 5).Format("2006-01-02")})
			for _, it := range w.call("officerA", "GET", "/api/v1/alerts/suppressions?inactive=true", nil).items(t) {
				if it["unit"] == "B" {
					t.Errorf("officerA sees B's suppression rule %v", it["rule_id"])
				}
			}
			if got := codes(t, w.call("analyst", "GET", "/api/v1/alerts/suppressions", nil), "rule_id"); !got["sup-list-b"] {
				t.Errorf("the SOC does not see B's rule: %v", got)
			}
			expect(t, w.call("officerA", "GET", "/api/v1/alerts/suppressions?unit=B", nil), 404, "officerA filters on B")
		},
		"POST /api/v1/alerts/suppressions": func(t *testing.T, w *world) {
			day := time.Now().AddDate(0, 0, 3).Format("02/01/2006")
			in := func(unit string) map[string]any {
				return map[string]any{"rule_id": "sup-post", "unit": unit, "reason": "quét định kỳ", "expires": day}
			}
			expect(t, w.call("officerA", "POST", "/api/v1/alerts/suppressions", in("B")), 404, "officerA suppresses in B")
			expect(t, w.call("viewerA", "POST", "/api/v1/alerts/suppressions", in("A")), 403, "viewerA suppresses")
			expect(t, w.call("officerA", "POST", "/api/v1/alerts/suppressions", in("")), 403, "officerA suppresses everywhere")
			past := in("A")
			past["expires"] = "01/01/2020"
			expect(t, w.call("officerA", "POST", "/api/v1/alerts/suppressions", past), 400, "an expiry in the past")
			expect(t, w.call("officerA", "POST", "/api/v1/alerts/suppressions", in("A1")), 201, "officerA suppresses in A1")
			expect(t, w.call("analyst", "POST", "/api/v1/alerts/suppressions", in("")), 201, "the SOC suppresses everywhere")
		},
		"DELETE /api/v1/alerts/suppressions/{id}": func(t *testing.T, w *world) {
			r := w.call("officerB", "POST", "/api/v1/alerts/suppressions", map[string]any{"rule_id": "sup-del", "unit": "B", "reason": "thử", "expires": time.Now().AddDate(0, 0, 1).Format("2006-01-02")})
			expect(t, r, 201, "setup")
			id := itoa(int64(r.json(t)["id"].(float64)))
			expect(t, w.call("officerA", "DELETE", "/api/v1/alerts/suppressions/"+id, nil), 404, "officerA removes B's rule")
			expect(t, w.call("viewerA", "DELETE", "/api/v1/alerts/suppressions/"+id, nil), 404, "viewerA removes B's rule")
			expect(t, w.call("officerB", "DELETE", "/api/v1/alerts/suppressions/"+id, nil), 204, "officerB removes its rule")
			expect(t, w.call("officerB", "DELETE", "/api/v1/alerts/suppressions/"+id, nil), 400, "removed twice")
		},
	} {
		scopeMatrix[k] = v
	}
}

// TestAlertSuppressionAndLimits: a suppression rule stops matches from
// alerting and counts them; an expired one does not; a user may keep only
// a few live pages open.
func TestAlertSuppressionAndLimits(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		r := w.call("officerA", "POST", "/api/v1/alerts/suppressions", map[string]any{"rule_id": "noisy", "host": "pc-scan", "unit": "A",
			"reason": "máy quét lỗ hổng", "expires": time.Now().AddDate(0, 0, 2).Format("2006-01-02")})
		expect(t, r, 201, "suppress")
		for range 3 {
			recordFor(t, w, "A1", "noisy", "PC-SCAN.bhxh.local")
		}
		recordFor(t, w, "A1", "noisy", "pc-other")
		items := w.call("officerA", "GET", "/api/v1/alerts?rule=noisy", nil).items(t)
		if len(items) != 1 || items[0]["host"] != "pc-other" {
			t.Errorf("alerts of the suppressed rule: %v", items)
		}
		sup := w.call("officerA", "GET", "/api/v1/alerts/suppressions?rule=noisy", nil).items(t)
		if len(sup) != 1 || sup[0]["hits"].(float64) != 3 || sup[0]["active"] != true {
			t.Errorf("suppression rule: %v", sup)
		}
		// Live pages: at most five per user.
		for i := range alerts.MaxSubscriptionsPerUser {
			if _, resp := openStream(t, w, "viewerA", ""); resp.StatusCode != 200 {
				t.Fatalf("stream %d: %d", i, resp.StatusCode)
			}
		}
		_, resp := openStream(t, w, "viewerA", "")
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Errorf("one stream too many: %d", resp.StatusCode)
		}
		if _, resp := openStream(t, w, "officerA", ""); resp.StatusCode != 200 {
			t.Errorf("another user's stream: %d", resp.StatusCode)
		}
	})
}

// TestAlertPages: the queue, an alert and the suppression rules as pages,
// in scope, with forms that come back with the reason beside the field.
func TestAlertPages(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		ids := seedAlerts(t, w)
		st, body := w.getPage("analyst", "vi", "/alerts")
		if st != 200 || !strings.Contains(body, "Suspicious Certutil Command Usage") || !strings.Contains(body, `data-live="/api/v1/alerts/stream?status=active"`) {
			t.Fatalf("queue page: %d", st)
		}
		st, body = w.getPage("officerA", "vi", "/alerts?severity=critical")
		if st != 200 || strings.Contains(body, `data-alert-id="`+itoa(ids["B"])+`"`) {
			t.Errorf("officerA's queue shows B's alert")
		}
		if st, _ := w.getPage("officerA", "vi", "/alerts/"+itoa(ids["B"])); st != 404 {
			t.Errorf("officerA opens B's alert: %d", st)
		}
		st, body = w.getPage("officerA", "en", "/alerts/"+itoa(ids["A"]))
		if st != 200 || !strings.Contains(body, "certutil -urlcache") || !strings.Contains(body, "Suppress alerts like this one") {
			t.Errorf("alert page: %d", st)
		}
		// Close without a reason: the form comes back, the reason beside it.
		st, body = w.postForm("officerA", "vi", "/alerts", url.Values{"id": {itoa(ids["A"])}, "action": {"close"}, "back": {"/alerts?status=active"}})
		if st != 400 || !strings.Contains(fieldMessage(body, "reason"), "lý do") {
			t.Errorf("bulk close without a reason: %d %q", st, fieldMessage(body, "reason"))
		}
		st, _ = w.postForm("officerA", "vi", "/alerts", url.Values{"id": {itoa(ids["A"])}, "action": {"close"}, "reason": {"false_positive"}, "back": {"/alerts?status=active"}})
		if st != http.StatusSeeOther {
			t.Errorf("bulk close: %d", st)
		}
		st, _ = w.postForm("officerA", "vi", "/alerts/"+itoa(ids["A"]), url.Values{"action": {"reopen"}, "assignee": {"viewera@test.vigil"}, "note": {"Mở lại để kiểm tra"}})
		if st != http.StatusSeeOther {
			t.Errorf("reopen and assign: %d", st)
		}
		a := w.call("officerA", "GET", "/api/v1/alerts/"+itoa(ids["A"]), nil).json(t)
		if a["status"] != "acknowledged" || a["assignee"] != "viewera@test.vigil" || a["note"] != "Mở lại để kiểm tra" {
			t.Errorf("after the page's changes: %v", a)
		}
		// The audit log says it in words.
		_, body = w.getPage("officerA", "vi", "/audit")
		text := pageText(t, body)
		for _, want := range []string{"đã đóng cảnh báo Suspicious Certutil Command Usage", "Cảnh báo nhầm", "đã mở lại cảnh báo", "Đã tiếp nhận"} {
			if !strings.Contains(text, want) {
				t.Errorf("the audit log does not say %q", want)
			}
		}
		for _, code := range []string{"false_positive", "acknowledged", "alert.close", "Assignee"} {
			if strings.Contains(text, code) {
				t.Errorf("the audit log shows %q", code)
			}
		}
		// A suppression rule from the page; the form keeps its input.
		st, body = w.postForm("officerA", "vi", "/alerts/suppressions", url.Values{"rule_id": {"r-page"}, "unit": {"A"}, "expires": {"31/12/2020"}, "reason": {"thử"}})
		if st != 400 || fieldMessage(body, "expires") == "" || !strings.Contains(body, `value="r-page"`) {
			t.Errorf("suppression with a past expiry: %d %q", st, fieldMessage(body, "expires"))
		}
		st, _ = w.postForm("officerA", "vi", "/alerts/suppressions", url.Values{"rule_id": {"r-page"}, "unit": {"A"}, "expires": {time.Now().AddDate(0, 0, 3).Format("02/01/2006")}, "reason": {"thử"}})
		if st != http.StatusSeeOther {
			t.Errorf("suppression from the page: %d", st)
		}
		st, body = w.getPage("officerA", "vi", "/alerts/suppressions")
		if st != 200 || !strings.Contains(body, "r-page") || !strings.Contains(body, i18n.T("vi", "sup.active")) {
			t.Errorf("suppression page: %d", st)
		}
		// The dashboard's card 2 and the unit's section.
		_, body = w.getPage("analyst", "vi", "/")
		if !strings.Contains(body, `id="measure-m2"`) || !strings.Contains(body, i18n.T("vi", "alert.unacked_critical")) {
			t.Errorf("dashboard card 2 missing")
		}
		_, body = w.getPage("officerB", "vi", "/units/B")
		if !strings.Contains(body, "/alerts?status=active&amp;unit=B") {
			t.Errorf("unit page has no alert section")
		}
		// Exports of what the page shows.
		r := w.call("analyst", "GET", "/api/v1/alerts?format=csv&lang=vi", nil)
		if r.Status != 200 || !strings.Contains(string(r.Body), "Suspicious Certutil Command Usage") {
			t.Errorf("CSV export: %d", r.Status)
		}
	})
}
