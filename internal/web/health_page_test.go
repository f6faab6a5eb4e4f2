package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/sources"
	"vigil/internal/store/storetest"
)

// The health page and a probe's page: an administrator adds a probe by
// the form (a refused value comes back beside its field, input kept),
// sees its state, uptime and the SVG history in both languages; others
// read them without the forms.
func TestHealthPages(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db)
	if _, err := w.hub.Health.LoadDemo(context.Background(), "127.0.0.1:9"); err != nil {
		t.Fatal(err)
	}
	b := newFormClient(t, w)
	if st := b.login("admin@test.vigil", testPassword); st != http.StatusSeeOther {
		t.Fatalf("sign in: %d", st)
	}
	csrf := b.csrf("/health")
	st, body, _ := b.do("POST", "/health/probes", url.Values{"csrf": {csrf}, "name": {"NCSC HTTPS"}, "kind": {"https"}, "target": {"http://ncsc.example/"},
		"interval": {"2"}, "interval_unit": {"m"}, "enabled": {"1"}}, nil)
	if st != http.StatusBadRequest || !strings.Contains(body, `id="target-error"`) || !strings.Contains(body, `value="http://ncsc.example/"`) {
		t.Fatalf("refused form: %d %s", st, pageText(t, body))
	}
	st, _, hdr := b.do("POST", "/health/probes", url.Values{"csrf": {csrf}, "name": {"NCSC HTTPS"}, "kind": {"https"}, "target": {"https://127.0.0.1:9/health"},
		"interval": {"2"}, "interval_unit": {"m"}, "timeout_seconds": {"1"}, "down_after": {"10"}, "down_after_unit": {"m"}, "enabled": {"1"}}, nil)
	if st != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/health/probes/") {
		t.Fatalf("create: %d %v", st, hdr)
	}
	probePage := strings.SplitN(hdr.Get("Location"), "?", 2)[0]
	st, body, _ = b.do("POST", probePage+"/check", url.Values{"csrf": {csrf}}, nil)
	if st != http.StatusSeeOther {
		t.Fatalf("check now: %d %s", st, body)
	}
	for _, lang := range []string{"vi", "en"} {
		u, _ := url.Parse(w.srv.URL)
		b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "vigil_lang", Value: lang, Path: "/"}})
		st, body, _ = b.do("GET", "/health", nil, nil)
		if st != 200 {
			t.Fatalf("/health %s: %d", lang, st)
		}
		text := pageText(t, body)
		want := map[string][]string{
			"vi": {"Kết nối tới NCSC", "Hoạt động 7 ngày qua", "không rõ", "Bị từ chối kết nối", "Diễn biến gần đây", "chưa có số liệu trong tiến trình này", "Nguồn sự kiện", "Mọi tác tử đều đang liên lạc"},
			"en": {"Connection to the NCSC", "Uptime, last 7 days", "unknown", "Connection refused", "Recent episodes", "no figure in this process", "Event sources", "Every agent is calling in"},
		}[lang]
		for _, s := range want {
			if !strings.Contains(text, s) {
				t.Errorf("/health (%s) lacks %q: %s", lang, s, text)
			}
		}
		if !strings.Contains(body, `<svg class="uptime"`) || !strings.Contains(body, `class="down"`) || !strings.Contains(body, `class="unknown"`) {
			t.Errorf("/health (%s) has no uptime strip with outages and gaps", lang)
		}
		st, body, _ = b.do("GET", probePage+"?period=24h", nil, nil)
		if st != 200 || !strings.Contains(body, `name="want_fingerprint"`) || !strings.Contains(pageText(t, body), "127.0.0.1:9") {
			t.Errorf("probe page (%s): %d", lang, st)
		}
	}
	st, body, hdr = b.do("GET", probePage+"?format=csv", nil, nil)
	if st != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") || strings.Count(body, "\n") < 2 {
		t.Errorf("results export: %d %s %q", st, hdr.Get("Content-Type"), body)
	}
	st, body, _ = b.do("GET", "/health?silent=true&format=csv", nil, nil)
	if st != 200 || !strings.Contains(body, ",") {
		t.Errorf("sources export: %d %q", st, body)
	}
	// The dashboard's measure-5 card carries the link's state, its week
	// and the strip, beside the duty roster's figures.
	st, body, _ = b.do("GET", "/", nil, nil)
	card := body[strings.Index(body, `id="measure-m5"`):]
	card = card[:strings.Index(card, "</section>")]
	if st != 200 || !strings.Contains(card, `<svg class="uptime"`) || !strings.Contains(card, "/health/probes/") {
		t.Errorf("dashboard card 5: %d %s", st, card)
	}
	// A unit's page says how its sources and agents are.
	if _, err := w.hub.Sources.Create(auth.WithPrincipal(context.Background(), auth.System), sources.Input{Unit: "A1", Name: "SIEM A1", Kind: "siem"}); err != nil {
		t.Fatal(err)
	}
	st, body, _ = b.do("GET", "/units/A", nil, nil)
	if text := pageText(t, body); st != 200 || !strings.Contains(text, "Health of the watch") || !strings.Contains(text, "Event sources 1") {
		t.Errorf("unit page has no health section: %d %s", st, text)
	}
	// The demo's week reads as a believable uptime: outages, a gap.
	var id int64
	db.QueryRow(context.Background(), `SELECT id FROM health_probes WHERE target = '127.0.0.1:9'`).Scan(&id)
	h, err := w.hub.Health.ProbeHistory(auth.WithPrincipal(context.Background(), auth.System), id, time.Now().Add(-7*24*time.Hour), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if p := h.Uptime.Percent; p == nil || *p < 98 || *p > 99.9 || h.Uptime.Unknown < 3*3600 {
		t.Errorf("demo week: %+v", h.Uptime)
	}
	// A viewer reads, without forms.
	v := newFormClient(t, w)
	v.login("viewera@test.vigil", testPassword)
	st, body, _ = v.do("GET", "/health", nil, nil)
	if st != 200 || strings.Contains(body, `action="/health/probes"`) {
		t.Errorf("viewer's /health: %d, form shown %v", st, strings.Contains(body, `action="/health/probes"`))
	}
	st, _, _ = v.do("POST", "/health/probes", url.Values{"csrf": {v.csrf("/health")}, "name": {"x"}, "kind": {"tcp"}, "target": {"a:1"}}, nil)
	if st != http.StatusForbidden {
		t.Errorf("viewer adds a probe: %d", st)
	}
}
