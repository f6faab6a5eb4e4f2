package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"vigil/internal/demo"
)

// TestBrowserReadiness walks issue 15's pages in real Chromium on the
// demo organisation: leadership opens the Tết campaign's scoreboard
// (every unit, each cell coloured and worded, no work buttons) and its
// one-screen view, which prints without the navigation; Hà Nội's officer
// sees only the province's rows, opens the unit's sheet with what to do
// next, and attests a criterion from the form; the monthly report's page
// draws its charts. No page logs an error or a CSP violation.
func TestBrowserReadiness(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	srv := browserHub(t, "sqlite")
	ctx := newBrowser(t, 2*time.Minute)
	b := &browser{t: t, ctx: ctx, base: srv.URL}
	con := recordConsole(ctx)
	b.readinessScenario()
	for _, p := range con.problems(nil) {
		t.Errorf("browser console: %s", p)
	}
}

func (b *browser) readinessScenario() {
	t := b.t
	b.login("lanhdao@demo.vigil.local", demo.Password)
	b.open("/readiness")
	href := b.attr(`#campaigns a[href^="/readiness/"]`, "href")
	if href == "" {
		t.Fatal("no campaign listed")
	}
	b.open(href)
	b.wantText("h1", "Tết Đinh Mùi 2027")
	if n := b.count(`#scoreboard tbody tr`); n < 50 {
		t.Errorf("leadership sees %d units on the scoreboard, want the whole organisation", n)
	}
	if n := b.count(`#scoreboard td.rd`); n == 0 {
		t.Error("no coloured cell on the scoreboard")
	}
	if b.text(".countdown") == "" {
		t.Error("no countdown to the deadline")
	}
	if n := b.count(`form[action$="/refresh"]`); n != 0 {
		t.Error("leadership (read-only) is offered the refresh button")
	}
	for sel, want := range map[string]string{"#scoreboard td.rd-failed": "rgb(254, 228, 226)", "#scoreboard td.rd-met": "rgb(220, 250, 230)"} {
		if b.count(sel) == 0 {
			continue
		}
		bg, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("`+sel+`")).backgroundColor`))
		if err != nil || bg != want {
			t.Errorf("%s: background %q (%v), want %s", sel, bg, err, want)
		}
	}
	screenshot(t, b.ctx, "readiness-scoreboard")

	// The leadership view prints on its own: no navigation on paper.
	b.open(href + "/leadership")
	if b.count("#leadership") != 1 {
		t.Fatal("no leadership view")
	}
	display := func() string {
		d, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("nav")).display`))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := display(); d == "none" {
		t.Error("the navigation is hidden on screen")
	}
	media := func(m string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
			return err
		})
	}
	if _, err := chromedp.Run(b.ctx, media("print")); err != nil {
		t.Fatal(err)
	}
	if d := display(); d != "none" {
		t.Errorf("the navigation prints (display %q)", d)
	}
	if _, err := chromedp.Run(b.ctx, media("")); err != nil {
		t.Fatal(err)
	}
	screenshot(t, b.ctx, "readiness-leadership")
	b.logout()

	// Hà Nội's officer: the province's rows, its sheet, an attestation.
	b.login("attt.hanoi@demo.vigil.local", demo.Password)
	b.open(href)
	rows := b.count(`#scoreboard tbody tr`)
	if rows == 0 || rows > 40 {
		t.Errorf("Hà Nội's officer sees %d rows, want the province and its districts", rows)
	}
	if body := b.text("#scoreboard"); strings.Contains(body, "Đà Nẵng") {
		t.Error("Hà Nội's officer sees Đà Nẵng")
	}
	b.clickAndWait(`a[href$="/units/T01"]`)
	b.wantPathPrefix(href + "/units/T01")
	if n := b.count(`#next li`); n == 0 {
		t.Errorf("the unit's sheet says nothing to do next: %q", b.text("main"))
	}
	sel := `form.attest input[name="criterion"][value="m2.response_plan"]`
	if b.count(sel) != 1 {
		t.Fatalf("no attestation form for the response plan: %q", b.text("main"))
	}
	form := `form.attest:has(input[name="criterion"][value="m2.response_plan"])`
	b.do(chromedp.SetValue(chromedp.CSS(form+` textarea[name="note"]`), "Phương án ứng phó đã được Giám đốc phê duyệt ngày 10/01/2027."))
	if st := b.submit(form + ` button[type="submit"]`); st != 200 {
		t.Errorf("attesting answered %d", st)
	}
	if body := b.text("main"); !strings.Contains(body, "Phương án ứng phó đã được Giám đốc phê duyệt") {
		t.Errorf("the sheet does not show the attestation: %q", body)
	}
	screenshot(t, b.ctx, "readiness-unit")

	// The monthly report draws its charts in the page.
	b.open("/monthly-reports")
	if rep := b.attr(`#monthly-reports a[href^="/monthly-reports/"]`, "href"); rep != "" {
		b.open(rep)
		if n := b.count("figure.chart svg"); n == 0 {
			t.Errorf("the monthly report's page draws no chart: %q", b.text("main"))
		}
		screenshot(t, b.ctx, "monthly-report")
	} else {
		t.Error("no monthly report listed for the officer")
	}
}
