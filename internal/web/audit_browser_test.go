package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserAuditLog reads the audit log of the demo hub in real
// Chromium, in Vietnamese and English: rows are sentences with names, no
// action code or JSON is visible, the filter by who acted keeps only the
// system's rows, and the dashboard's recent changes are people's.
func TestBrowserAuditLog(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	srv := browserHub(t, "sqlite")
	ctx := newBrowser(t, 2*time.Minute)
	b := &browser{t: t, ctx: ctx, base: srv.URL}
	con := recordConsole(ctx)
	b.login("admin@vigil.local", browserAdminPassword)

	visibleClean := func(where string) {
		t.Helper()
		text := b.text("main")
		for _, a := range auditActions {
			if strings.Contains(text, a) {
				t.Errorf("%s shows the action code %q", where, a)
			}
		}
		for _, s := range []string{"{", "}", "[redacted]"} {
			if strings.Contains(text, s) {
				t.Errorf("%s shows %q", where, s)
			}
		}
	}
	for _, lang := range []string{"vi", "en"} {
		if lang == "en" {
			b.open("/lang/en?back=/audit")
		}
		b.open("/audit")
		b.wantLang(lang)
		visibleClean("/audit (" + lang + ")")
		signedIn := map[string]string{"vi": "Quản trị hệ thống đã đăng nhập", "en": "Quản trị hệ thống signed in"}[lang]
		b.wantText("#audit-table", signedIn)
		if b.count("#audit-table tr.audit-row") == 0 {
			t.Fatalf("/audit (%s): no rows", lang)
		}

		// Only the system's rows.
		b.do(chromedp.SetValue(chromedp.CSS(`select[name=actor_kind]`), "system"))
		b.submit(`form[role=search] button[type=submit]`)
		n, sys := b.count("#audit-table tr.audit-row"), b.count("#audit-table tr.actor-system, #audit-table tr.actor-agent")
		if n == 0 || n != sys {
			t.Errorf("/audit?actor_kind=system (%s): %d rows, %d of them the system's", lang, n, sys)
		}
		if strings.Contains(b.text("#audit-table"), signedIn) {
			t.Errorf("/audit?actor_kind=system (%s) shows a sign-in", lang)
		}
		visibleClean("/audit?actor_kind=system (" + lang + ")")

		// The dashboard: people's changes, and a way to all of it.
		b.open("/")
		visibleClean("dashboard (" + lang + ")")
		if n := b.count("#recent-changes tr.actor-system, #recent-changes tr.actor-agent"); n != 0 {
			t.Errorf("dashboard (%s): %d of the system's rows in recent changes", lang, n)
		}
		b.clickAndWait(`main a[href="/audit"]`)
		b.wantPath("/audit")
	}
	b.checkConsole(con)
}
