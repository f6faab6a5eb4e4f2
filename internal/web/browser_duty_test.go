package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/internal/demo"
	"vigil/internal/i18n"
)

// TestBrowserDutyRoster walks the duty roster in real Chromium on the
// demo organisation: the dashboard's card 5 names the SOC's people on
// duty now; Đà Nẵng's Tết roster shows its night with nobody on duty in
// red and counts its hours; the week moves both ways; a roster made from
// the form comes back with a bad date kept and the reason beside the
// field, then is made; someone is put on a shift and writes its handover
// note; the page reads in English. No page logs an error or a CSP
// violation.
func TestBrowserDutyRoster(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			srv := browserHub(t, engine)
			ctx := newBrowser(t, 2*time.Minute)
			b := &browser{t: t, ctx: ctx, base: srv.URL}
			con := recordConsole(ctx)
			b.dutyScenario()
			expected := func(m chromedp.ConsoleMessage) bool {
				// The form sent back with a date to mend answers 400.
				return m.Source == "network" && strings.Contains(m.Text, "400") && strings.HasSuffix(m.URL, "/duty/rosters")
			}
			for _, p := range con.problems(expected) {
				t.Errorf("browser console: %s", p)
			}
		})
	}
}

func (b *browser) dutyScenario() {
	t := b.t
	b.login("soc@demo.vigil.local", demo.Password)
	b.open("/")
	card := b.text("#measure-m5")
	if !strings.Contains(card, i18n.T("vi", "duty.on_now")) || !strings.Contains(card, i18n.T("vi", "duty.role.lead")) {
		t.Errorf("card 5 does not say who is on duty: %q", card)
	}
	if !strings.Contains(card, "Trực Tết Đinh Mùi 2027") {
		t.Errorf("card 5 does not show the holiday roster's gaps: %q", card)
	}
	b.clickAndWait(`#measure-m5 a[href="/duty"]`)
	b.wantPath("/duty")
	if n := b.count(`#duty-now li`); n != 2 {
		t.Errorf("the SOC has %d people on duty now, want 2: %s", n, b.text("#duty-now"))
	}
	screenshot(t, b.ctx, "duty-list")

	// Đà Nẵng's Tết roster: the night of mùng 1 is red.
	b.open("/duty?unit=T48")
	b.clickAndWait(`#rosters a[href^="/duty/rosters/"]`)
	b.wantText("h1", "Trực Tết Đinh Mùi 2027")
	if n := b.count(`#duty-grid td.uncovered`); n != 1 {
		t.Errorf("%d red cells in the first week, want 1 (the night of 06/02)", n)
	}
	bg, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("#duty-grid td.uncovered")).backgroundColor`))
	if err != nil || bg != "rgb(254, 243, 242)" {
		t.Errorf("an uncovered cell's background is %q (%v), want the red tint", bg, err)
	}
	b.wantText("#uncovered-hours", "12")
	b.wantText("#duty-grid thead", "06/02/2027")
	b.wantText("#duty-grid thead th.tet-new_year", "06/02/2027")
	if n := b.count(`#duty-grid thead th.tet-off`); n != 2 {
		t.Errorf("%d days off marked in the first week, want 2 (05 and 07/02)", n)
	}
	// The roster as a calendar, from the page's link with the session.
	status, ics := b.fetch(b.attr(`a[href$="/calendar.ics"]`, "href"))
	if status != 200 || !strings.HasPrefix(ics, "BEGIN:VCALENDAR") || strings.Count(ics, "BEGIN:VEVENT") != 22 || !strings.Contains(ics, "CHƯA CÓ NGƯỜI TRỰC") {
		t.Errorf("the roster's calendar: %d %.300s", status, ics)
	}
	screenshot(t, b.ctx, "duty-roster")
	b.clickAndWait(`#week-next`)
	b.wantText("#week-title", "08/02/2027")
	if b.count(`#duty-grid td.uncovered`) != 0 {
		t.Errorf("the second week shows red cells")
	}
	b.clickAndWait(`#week-prev`)
	b.wantText("#week-title", "01/02/2027")

	// The unit's page says who is on duty there and its gaps.
	b.open("/units/T48")
	b.wantText("main", i18n.T("vi", "duty.uncovered_hours"))

	// A new roster from the form: a day that does not exist comes back
	// with the input kept and the reason beside the field.
	b.open("/duty/new")
	b.do(
		chromedp.SetValue(chromedp.CSS(`#roster-form select[name=preset]`), ""),
		chromedp.SendKeys(chromedp.CSS(`#roster-form input[name=name]`), "Trực thử"),
		chromedp.SendKeys(chromedp.CSS(`#roster-form input[name=from]`), "31/02/2027"),
		chromedp.SendKeys(chromedp.CSS(`#roster-form input[name=to]`), "01/03/2027"),
	)
	if st := b.submitStatus(`#roster-form button[type=submit]`); st != 400 {
		t.Errorf("a bad date answered %d, want 400", st)
	}
	if v := b.value(`#roster-form input[name=from]`); v != "31/02/2027" {
		t.Errorf("the date typed is lost: %q", v)
	}
	if v := b.value(`#roster-form input[name=name]`); v != "Trực thử" {
		t.Errorf("the name typed is lost: %q", v)
	}
	b.wantText(`#from-error`, "31/02/2027")
	b.do(chromedp.SetValue(chromedp.CSS(`#roster-form input[name=from]`), "01/03/2027"))
	b.submit(`#roster-form button[type=submit]`)
	b.wantPathPrefix("/duty/rosters/")
	b.wantText("h1", "Trực thử")
	if n := b.count(`#duty-grid td.uncovered`); n != 3 {
		t.Errorf("a new one-day roster has %d red cells, want its 3 shifts", n)
	}
	b.wantText("#uncovered-hours", "24")

	// Put the analyst on the first shift as lead, then write its note.
	b.clickAndWait(`#duty-grid td.uncovered a`)
	b.wantPathPrefix("/duty/shifts/")
	b.do(chromedp.SendKeys(chromedp.CSS(`#assign-form input[name=user]`), "soc@demo.vigil.local"),
		chromedp.SetValue(chromedp.CSS(`#assign-form select[name=role]`), "lead"))
	b.submit(`#assign-form button[type=submit]`)
	b.wantText("#people", "soc@demo.vigil.local")
	b.wantText("#people", i18n.T("vi", "duty.role.lead"))
	if b.count(`#shift-gap`) != 0 {
		t.Errorf("the shift still says nobody is on it")
	}
	shift := b.path()
	b.do(chromedp.SendKeys(chromedp.CSS(`#note-form textarea[name=body]`), "Không có sự cố; SIEM bình thường."))
	b.submit(`#note-form button[type=submit]`)
	b.wantText("main", "Không có sự cố; SIEM bình thường.")
	screenshot(t, b.ctx, "duty-shift")
	// Back on the roster, the shift is covered: two red cells left.
	b.clickAndWait(`nav.crumbs a[href^="/duty/rosters/"]`)
	if n := b.count(`#duty-grid td.uncovered`); n != 2 {
		t.Errorf("%d red cells after staffing one shift, want 2", n)
	}
	b.wantText("#uncovered-hours", "16")
	roster := b.path()

	// In English.
	b.open("/lang/en?back=" + roster)
	b.wantText("main", i18n.T("en", "duty.uncovered_hours"))
	b.wantText("#duty-grid", i18n.T("en", "duty.nobody"))
	b.open(shift)
	b.wantText("#people", i18n.T("en", "duty.role.lead"))
	b.open("/lang/vi?back=/duty")

	// On a desktop the unit drop-downs show whole names; on a phone
	// nothing runs off the screen (the week grid scrolls in its box).
	for _, width := range []int64{1366, 400} {
		b.do(chromedp.EmulateViewport(width, 800))
		for _, p := range []string{"/duty", "/duty/new", roster, shift, "/duty?unit=T48"} {
			b.open(p)
			problems, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](layoutProblems))
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			for _, pr := range problems {
				t.Errorf("%s at %d px: %s", p, width, pr)
			}
		}
	}
	b.do(chromedp.EmulateViewport(1366, 900))
}
