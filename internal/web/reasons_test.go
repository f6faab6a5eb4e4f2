package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"vigil/internal/asset"
	"vigil/internal/auth"
	"vigil/internal/i18n"
)

// TestFailedChecksSayWhy: a failed check says why on the host page, in
// the hosts list and on the coverage page, in both languages; the host
// page shows the agent's last heartbeat beside the inventory time, and
// warns beside the scan button that a scan waits for a silent agent.
func TestFailedChecksSayWhy(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		ctx := auth.WithPrincipal(context.Background(), auth.System)
		// A1's server: antivirus on, signatures 6 days old when read (30
		// hours from now); the firewall off on the Domain profile.
		srv := testInventory("srv-a1-fw", "10.0.11.7", 6*24*time.Hour+time.Hour-30*time.Hour)
		srv.Controls[1].Enabled = false
		srv.Controls[1].Profiles = []asset.ControlProfile{{Name: "Domain", Enabled: false}, {Name: "Private", Enabled: true}, {Name: "Public", Enabled: true}}
		if _, err := w.hub.Hosts.Import(ctx, "A1", "fw.json", []*asset.Inventory{srv}); err != nil {
			t.Fatal(err)
		}
		w.hub.Hosts.Now = func() time.Time { return time.Now().Add(30 * time.Hour) }
		defer func() { w.hub.Hosts.Now = nil }()
		hs := w.call("officerA", "GET", "/api/v1/hosts?q=srv-a1-fw", nil).items(t)
		if len(hs) != 1 {
			t.Fatalf("hosts: %v", hs)
		}
		why := hs[0]["status"].(map[string]any)["why"].(map[string]any)
		if av := why["antivirus"].(map[string]any); av["code"] != "av_signatures_old" || av["args"].([]any)[0] != float64(6) {
			t.Errorf("API antivirus reason: %v", av)
		}
		srvID := itoa(int64(hs[0]["id"].(float64)))

		// A's agent, heard from at enrolment, is silent 30 hours later.
		var beat time.Time
		for _, h := range w.call("officerA", "GET", "/api/v1/hosts?unit=A&q=ws-a-01", nil).items(t) {
			beat, _ = time.Parse(time.RFC3339Nano, h["agent_seen_at"].(string))
		}
		if beat.IsZero() {
			t.Fatal("ws-a-01 has no heartbeat")
		}
		agentID := itoa(w.hostIDs["A"])

		b := newFormClient(t, w)
		if st := b.login("officera@test.vigil", testPassword); st != http.StatusSeeOther && st != http.StatusFound {
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
			return pageText(t, body)
		}
		for lang, want := range map[string]struct{ av, fw, silent, noAgent, waits, heartbeat string }{
			"vi": {"Chữ ký cũ 6 ngày", "Tường lửa tắt ở hồ sơ Domain", "Không có tín hiệu từ " + i18n.FormatTime(beat, "vi"), "Chưa cài tác tử",
				"yêu cầu quét sẽ chờ đến khi tác tử liên lạc lại", "Tín hiệu tác tử lần cuối"},
			"en": {"Signatures 6 days old", "Firewall off on the Domain profile", "No heartbeat since " + i18n.FormatTime(beat, "en"), "No agent",
				"the scan will wait until the agent calls in", "Agent's last heartbeat"},
		} {
			page := get(lang, "/hosts/"+srvID)
			for _, s := range []string{want.av, want.fw, want.noAgent} {
				if !strings.Contains(page, s) {
					t.Errorf("%s host page of srv-a1-fw lacks %q", lang, s)
				}
			}
			page = get(lang, "/hosts/"+agentID)
			for _, s := range []string{want.silent, want.waits, want.heartbeat + " " + i18n.FormatTime(beat, lang), i18n.T(lang, "hosts.inventory_at")} {
				if !strings.Contains(page, s) {
					t.Errorf("%s host page of ws-a-01 lacks %q", lang, s)
				}
			}
			page = get(lang, "/hosts?unit=A")
			for _, s := range []string{want.av, want.fw, want.silent, want.noAgent} {
				if !strings.Contains(page, s) {
					t.Errorf("%s hosts list lacks %q", lang, s)
				}
			}
			page = get(lang, "/units/A/coverage")
			for _, s := range []string{want.av, want.fw, want.silent, want.noAgent} {
				if !strings.Contains(page, s) {
					t.Errorf("%s coverage of A lacks %q", lang, s)
				}
			}
		}
	})
}
