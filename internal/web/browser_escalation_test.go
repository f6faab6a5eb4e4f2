package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/internal/demo"
	"vigil/internal/i18n"
)

// TestBrowserEscalation works the escalation pages in real Chromium on the
// demo organisation: Hà Nội's officer finds its own policy (not the
// organisation's), names an unknown user in a step (the form comes back
// with what was typed and the reason beside that step's row), mends it and
// saves; reads the notification log of Hà Nội's alerts; every page fits
// 400 px in both languages; no page logs an error or a CSP violation.
func TestBrowserEscalation(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	srv := browserHub(t, "sqlite")
	ctx := newBrowser(t, 3*time.Minute)
	b := &browser{t: t, ctx: ctx, base: srv.URL}
	con := recordConsole(ctx)

	b.login("attt.hanoi@demo.vigil.local", demo.Password)
	b.open("/")
	b.clickAndWait(`header nav a[href="/escalation"]`)
	b.wantText("h1", i18n.T("vi", "esc.title"))
	policies := b.text("#policies-table tbody")
	if !strings.Contains(policies, "Hà Nội: cảnh báo nghiêm trọng báo ngay") || strings.Contains(policies, "Mặc định") {
		t.Fatalf("Hà Nội's officer sees the policies:\n%s", policies)
	}
	b.clickAndWait(`#policies-table tbody a[href^="/escalation/policies/"]`)
	if got := b.value(`select[name=target_2]`); got != "user" {
		t.Fatalf("step 2's target %q, want user", got)
	}
	b.do(chromedp.SetValue(chromedp.CSS(`input[name=user_2]`), "khong.ton.tai@demo.vigil.local"),
		chromedp.SetValue(chromedp.CSS(`input[name=delay_1]`), "7"))
	if st := b.submitStatus(`#policy-form button[type=submit]`); st != 400 {
		t.Fatalf("an unknown user: status %d", st)
	}
	if v := b.value(`input[name=user_2]`); v != "khong.ton.tai@demo.vigil.local" {
		t.Errorf("the typed user is gone: %q", v)
	}
	if v := b.value(`input[name=delay_1]`); v != "7" {
		t.Errorf("the typed delay is gone: %q", v)
	}
	if msg := b.text(`#steps tbody tr:nth-child(2) .field-error`); !strings.Contains(msg, "khong.ton.tai@demo.vigil.local") {
		t.Errorf("row 2's message: %q", msg)
	}
	b.do(chromedp.SetValue(chromedp.CSS(`input[name=user_2]`), "soc@demo.vigil.local"))
	b.submit(`#policy-form button[type=submit]`)
	b.wantText(".flash", i18n.T("vi", "common.saved"))
	if v := b.value(`input[name=delay_1]`); v != "7" {
		t.Errorf("the saved delay reads %q", v)
	}

	b.open("/escalation/notifications")
	log := b.text("#notifications-table tbody")
	if !strings.Contains(log, "attt.hanoi@demo.vigil.local") || !strings.Contains(log, i18n.T("vi", "esc.status.delivered")) || strings.Contains(log, "Đà Nẵng") {
		t.Errorf("Hà Nội's log:\n%s", log)
	}
	if b.count(`.pager a[href*="format=csv"]`) == 0 {
		t.Errorf("the log offers no export")
	}

	b.open("/escalation")
	policy := b.attr(`#policies-table tbody a[href^="/escalation/policies/"]`, "href")
	b.do(chromedp.EmulateViewport(400, 800))
	for _, lang := range i18n.Langs {
		b.open("/lang/" + lang + "?back=/")
		for _, p := range []string{"/escalation", policy, "/escalation/policies/new", "/escalation/channels", "/escalation/channels/new", "/escalation/notifications"} {
			b.open(p)
			problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](layoutProblems))
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			for _, pr := range problems {
				t.Errorf("%s %s at 400 px: %s", lang, p, pr)
			}
		}
	}
	screenshot(t, ctx, "escalation-policy-400")
	b.do(chromedp.EmulateViewport(1366, 900))

	expected := func(m chromedp.ConsoleMessage) bool {
		return m.Source == "network" && strings.Contains(m.Text, "400") && strings.Contains(m.URL, "/escalation/policies/")
	}
	for _, p := range con.problems(expected) {
		t.Errorf("browser console: %s", p)
	}
}
