package web_test

import (
	"strings"
	"testing"
	"time"

	"vigil/internal/demo"
	"vigil/internal/i18n"
)

// TestBrowserVulnerabilityViews walks issue 11's two views in real Chromium
// on the demo organisation, in Vietnamese and English: the SOC follows the
// dashboard's card 3 to the vulnerability dashboard (totals, trend, units
// rolled up, sorted, paged both ways, exports offered), then the Microsoft
// 2023 high/critical view (hosts and the KB to install); Hà Nội's officer
// sees only Hà Nội's. No page logs an error or a CSP violation.
func TestBrowserVulnerabilityViews(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			srv := browserHub(t, engine)
			ctx := newBrowser(t, 2*time.Minute)
			b := &browser{t: t, ctx: ctx, base: srv.URL}
			con := recordConsole(ctx)
			b.vulnScenario()
			b.checkConsole(con)
			// After the console check, which takes a 404 for a fault.
			if st := b.open("/vulnerabilities?unit=T48"); st != 404 {
				t.Errorf("Hà Nội's officer opens Đà Nẵng's dashboard: %d", st)
			}
		})
	}
}

func (b *browser) vulnScenario() {
	t := b.t
	b.login("soc@demo.vigil.local", demo.Password)
	b.open("/")
	b.wantText(`#measure-m3`, i18n.T("vi", "vuln.card.ms2023"))
	b.clickAndWait(`#measure-m3 p a[href^="/vulnerabilities"]`)
	b.wantPath("/vulnerabilities")
	b.wantText("h1", i18n.T("vi", "vuln.title"))
	if n := b.text(`#total-open`); n == "" || n == "0" {
		t.Errorf("the SOC's dashboard shows %q open", n)
	}
	if b.count(`#vuln-units-table tbody tr`) < 3 {
		t.Errorf("the roll-up shows %d units", b.count(`#vuln-units-table tbody tr`))
	}
	if b.count(`#trend-table tbody tr`) != 8 {
		t.Errorf("the trend shows %d weeks, want 8", b.count(`#trend-table tbody tr`))
	}
	b.wantText(`#vuln-units .pager .export`, "XLSX")
	// Sort by the open count, most first.
	b.clickAndWait(`#vuln-units-table thead a[href*="sort=open"]`)
	b.clickAndWait(`#vuln-units-table thead a[href*="sort=open"]`)
	if !strings.Contains(b.text(`#vuln-units-table thead`), "▼") {
		t.Errorf("the sorted column shows no arrow")
	}
	// Pages both ways.
	b.open("/vulnerabilities?limit=2&sort=unit")
	b.clickAndWait(`#vuln-units .pager a[rel=next]`)
	if b.count(`#vuln-units .pager a[rel=prev]`) == 0 {
		t.Errorf("the second page of units has no way back")
	}
	screenshot(t, b.ctx, "vuln-dashboard-soc")

	// The Microsoft 2023 view.
	b.open("/vulnerabilities")
	b.clickAndWait(`#link-ms2023`)
	b.wantPath("/vulnerabilities/ms2023")
	b.wantText("h1", i18n.T("vi", "vuln.ms2023.title"))
	rows := b.count(`#ms2023-table tbody tr`)
	if rows == 0 {
		t.Fatal("the Microsoft 2023 view lists no host")
	}
	if body := b.text(`#ms2023-table tbody`); !strings.Contains(body, "KB50") || strings.Contains(body, "2024-") {
		t.Errorf("the Microsoft 2023 view: %.300s", body)
	}
	b.clickAndWait(`#ms2023-table thead a[href*="sort=host"]`)
	if !strings.Contains(b.text(`#ms2023-table thead`), "▲") {
		t.Errorf("sorting by host shows no arrow")
	}
	if st, body := b.fetch("/vulnerabilities/ms2023?format=csv"); st != 200 || !strings.Contains(body, "KB50") {
		t.Errorf("CSV export: %d %.200s", st, body)
	}
	screenshot(t, b.ctx, "vuln-ms2023-soc")

	// In English.
	b.open("/lang/en?back=/vulnerabilities/ms2023")
	b.wantPath("/vulnerabilities/ms2023")
	b.wantText("h1", i18n.T("en", "vuln.ms2023.title"))
	b.wantText(`#ms2023-table thead`, i18n.T("en", "vuln.kb_to_install"))
	b.open("/vulnerabilities")
	b.wantText("h1", i18n.T("en", "vuln.title"))
	b.wantText(`#vuln-trend`, i18n.T("en", "vuln.trend_open"))
	screenshot(t, b.ctx, "vuln-dashboard-en")
	b.open("/lang/vi?back=/")
	b.logout()

	// Hà Nội's officer: Hà Nội only.
	b.login("attt.hanoi@demo.vigil.local", demo.Password)
	b.open("/vulnerabilities/ms2023")
	if body := b.text(`main`); strings.Contains(body, "Đà Nẵng") {
		t.Errorf("Hà Nội's officer sees Đà Nẵng in the Microsoft 2023 view")
	}
}
