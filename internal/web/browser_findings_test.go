package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/internal/demo"
	"vigil/internal/i18n"
)

// TestBrowserFindingsQueue works the findings queue in real Chromium on the
// demo organisation: the SOC analyst sees every unit's findings and may not
// change them; Hà Nội's officer sees only Hà Nội's, sorts them, tries to
// close one without a note (the form comes back with the input kept and the
// reason beside the field), closes it with a note, and finds it resolved;
// then the same page in English. No page logs an error or a CSP violation.
func TestBrowserFindingsQueue(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			srv := browserHub(t, engine)
			ctx := newBrowser(t, 2*time.Minute)
			b := &browser{t: t, ctx: ctx, base: srv.URL}
			con := recordConsole(ctx)
			b.findingsScenario()
			b.checkConsole(con)
		})
	}
}

func (b *browser) findingsScenario() {
	t := b.t
	// The SOC: every unit, read-only.
	b.login("soc@demo.vigil.local", demo.Password)
	b.open("/")
	b.clickAndWait(`#measure-m1 a[href^="/findings"]`)
	b.wantPath("/findings")
	b.wantText("h1", i18n.T("vi", "findings.title"))
	socRows := b.count(`#findings-table tbody tr`)
	if socRows < 3 {
		t.Fatalf("the SOC sees %d findings, want the whole country's", socRows)
	}
	units := map[string]bool{}
	for _, u := range strings.Split(b.text(`#findings-table tbody`), "\n") {
		if strings.Contains(u, "Bảo hiểm xã hội") {
			units[strings.TrimSpace(u)] = true
		}
	}
	if len(units) < 2 {
		t.Errorf("the SOC's queue shows %d units, want several", len(units))
	}
	if b.count(`#findings-bulk fieldset`) != 0 || b.count(`#findings-table input[name=id]`) != 0 {
		t.Errorf("the SOC analyst is offered a bulk change it may not make")
	}
	screenshot(t, b.ctx, "findings-soc")
	b.logout()

	// Hà Nội's officer: Hà Nội only.
	b.login("attt.hanoi@demo.vigil.local", demo.Password)
	b.open("/findings?status=")
	rows := b.count(`#findings-table tbody tr`)
	if rows == 0 || rows >= socRows+10 {
		t.Fatalf("Hà Nội's officer sees %d findings", rows)
	}
	if body := b.text(`#findings-table tbody`); strings.Contains(body, "Đà Nẵng") {
		t.Errorf("Hà Nội's officer sees Đà Nẵng's findings")
	}
	b.wantText(".pager .range", "trên tổng")
	// Sorting by host name puts them in order.
	b.clickAndWait(`#findings-table thead a[href*="sort=host"]`)
	if !strings.Contains(b.text(`#findings-table thead`), "▲") {
		t.Errorf("the sorted column shows no arrow")
	}

	// Close an open finding without a note: refused, input kept, reason
	// beside the note.
	b.open("/findings")
	if b.count(`#findings-table input[name=id]`) == 0 {
		t.Fatal("no open finding to close in Hà Nội's queue")
	}
	b.do(
		chromedp.Click(chromedp.CSS(`#findings-table tbody input[name=id]`)),
		chromedp.SetValue(chromedp.CSS(`#findings-bulk select[name=status]`), "resolved"),
		chromedp.SendKeys(chromedp.CSS(`#findings-bulk input[name=due]`), "31/01/2027"),
	)
	if st := b.submitStatus(`#findings-bulk button[type=submit]`); st != 400 {
		t.Errorf("closing without a note answered %d, want 400", st)
	}
	if msg := b.text(`#findings-bulk .field-error`); msg == "" {
		t.Errorf("no reason beside the field after closing without a note")
	}
	if v := b.value(`#findings-bulk input[name=due]`); v != "31/01/2027" {
		t.Errorf("the due date typed is gone after the error: %q", v)
	}
	screenshot(t, b.ctx, "findings-officer-error")

	// With a note it closes.
	before := b.count(`#findings-table tbody tr`)
	b.do(
		chromedp.Click(chromedp.CSS(`#findings-table tbody input[name=id]`)),
		chromedp.SetValue(chromedp.CSS(`#findings-bulk select[name=status]`), "resolved"),
		chromedp.SendKeys(chromedp.CSS(`#findings-bulk input[name=note]`), "Đã xoá tệp và quét lại sạch"),
	)
	b.submit(`#findings-bulk button[type=submit]`)
	b.wantText(".flash", i18n.T("vi", "common.saved"))
	if after := b.count(`#findings-table tbody tr`); after != before-1 {
		t.Errorf("after closing one, the to-do queue shows %d rows, want %d", after, before-1)
	}
	b.open("/findings?status=resolved")
	b.wantText(`#findings-table`, "Đã xoá tệp và quét lại sạch")

	// The same queue in English.
	b.open("/lang/en?back=" + url.QueryEscape("/findings?status="))
	b.wantPath("/findings")
	b.wantText("h1", i18n.T("en", "findings.title"))
	b.wantText(`#findings-table thead`, i18n.T("en", "finding.severity"))
	screenshot(t, b.ctx, "findings-officer-en")
	b.open("/lang/vi?back=/")
	b.logout()
}

// submitStatus clicks a submit button and returns the status of the page
// it leads to, whatever it is.
func (b *browser) submitStatus(sel string) int {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("click %s on %s: %v", sel, b.path(), err)
	}
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// value is the current value of a form field.
func (b *browser) value(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector(`+jsString(sel)+`).value`))
	if err != nil {
		b.t.Fatalf("value of %s: %v", sel, err)
	}
	return v
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
