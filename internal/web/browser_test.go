package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/internal/i18n"
)

// TestBrowserScope drives real headless Chromium through the hub's UI: the
// administrator signs in, creates a unit under one province and an officer
// for another province, and signs out; the officer signs in and finds the
// first unit nowhere — not in the tree, not in search, not by its address,
// not in the audit log, not among the units a new user may be put in. On
// the way it checks the UI is Vietnamese by default, the English switch
// works, and no page logs an error or a Content-Security-Policy violation.
func TestBrowserScope(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			srv := browserHub(t, engine)
			ctx := newBrowser(t, 2*time.Minute)
			b := &browser{t: t, ctx: ctx, base: srv.URL}
			con := recordConsole(ctx)
			b.scopeScenario()
			b.checkConsole(con)
		})
	}
}

const (
	// The unit the administrator creates under Hà Nội (T01), and a search
	// for it written without accents, as people type on a laptop.
	secretUnitCode   = "T01-KTTD"
	secretUnitName   = "Phòng Kiểm thử Trình duyệt Hà Nội"
	secretUnitSearch = "kiem thu trinh duyet"
	// The officer the administrator creates for Đà Nẵng (T48).
	officerEmail    = "attt.browser@danang.vigil.local"
	officerName     = "Lê Thị Kiểm Thử"
	officerPassword = "officer-browser-pass-1"
	officerUnit     = "T48"
)

func (b *browser) scopeScenario() {
	t := b.t
	// Vietnamese by default, before anyone signs in, although Chromium
	// asks for English (en-US).
	b.open("/")
	b.wantPath("/login")
	b.wantLang("vi")
	b.wantText("h1", i18n.T("vi", "login.title"))

	// The administrator creates the unit under a province.
	b.login("admin@vigil.local", browserAdminPassword)
	b.wantText("h1", i18n.T("vi", "dash.title"))
	screenshot(t, b.ctx, "dashboard-admin")

	b.open("/units")
	b.do(chromedp.Click(chromedp.CSS(`details.panel > summary`)))
	b.do(
		chromedp.SendKeys(chromedp.CSS(`#unit-form input[name=code]`), secretUnitCode),
		chromedp.SendKeys(chromedp.CSS(`#unit-form input[name=name]`), secretUnitName),
		chromedp.SetValue(chromedp.CSS(`#unit-form select[name=kind]`), "district"),
		chromedp.SetValue(chromedp.CSS(`#unit-form select[name=parent]`), "T01"),
	)
	b.submit(`#unit-form button[type=submit]`)
	b.wantPath("/units/" + secretUnitCode)
	b.wantText("h1", secretUnitName)
	b.wantText("nav.crumbs", "Hà Nội")
	// Control: the accent-free search finds the unit for someone in scope,
	// so the officer's empty result below means scope, not a broken search.
	b.search("/units", secretUnitSearch)
	b.wantText("#units-table", secretUnitName)

	// ... and an officer for another province, through the Users form.
	b.open("/users")
	b.do(chromedp.Click(chromedp.CSS(`details.panel > summary`)))
	b.do(
		chromedp.SendKeys(chromedp.CSS(`#user-form input[name=email]`), officerEmail),
		chromedp.SendKeys(chromedp.CSS(`#user-form input[name=name]`), officerName),
		chromedp.SendKeys(chromedp.CSS(`#user-form input[name=password]`), officerPassword),
		chromedp.SetValue(chromedp.CSS(`#user-form select[name=role]`), "officer"),
		chromedp.SetValue(chromedp.CSS(`#user-form select[name=unit]`), officerUnit),
	)
	b.submit(`#user-form button[type=submit]`)
	b.wantPathPrefix("/users/")
	b.wantText("h1", officerName)
	b.wantText("dl.facts", "Đà Nẵng")
	b.logout()
	if b.open("/units"); !strings.HasPrefix(b.path(), "/login") {
		t.Fatalf("after sign-out /units shows %s, want the sign-in page", b.path())
	}

	// The officer finds the unit nowhere.
	b.login(officerEmail, officerPassword)
	b.wantText("h1", i18n.T("vi", "dash.title"))
	b.wantText("header .me", officerName)
	screenshot(t, b.ctx, "dashboard-officer")
	b.wantAbsent("dashboard")

	b.open("/units")
	b.wantText("#units-table", "Đà Nẵng")
	b.wantAbsent("units tree")
	if html := b.html(); strings.Contains(html, `href="/units/T01"`) || strings.Contains(html, "Hà Nội") {
		t.Errorf("the officer of %s sees Hà Nội in the units tree", officerUnit)
	}

	b.search("/units", secretUnitSearch)
	b.wantAbsent("unit search")
	if n := b.count(`#units-table tbody tr`); n != 0 {
		t.Errorf("unit search for %q shows the officer %d units, want none", secretUnitSearch, n)
	}
	b.search("/units", secretUnitCode)
	b.wantAbsent("unit search by code")

	for _, code := range []string{secretUnitCode, "T01"} {
		if status := b.open("/units/" + code); status != 404 {
			t.Errorf("GET /units/%s as the officer: status %d, want 404", code, status)
		}
		b.wantText("main", i18n.T("vi", "err.notfound"))
		b.wantAbsent("GET /units/" + code)
	}

	// The users page offers only units of the officer's own subtree.
	b.open("/users")
	b.do(chromedp.Click(chromedp.CSS(`details.panel > summary`)))
	units := b.optionValues(`#user-form select[name=unit]`)
	if len(units) == 0 {
		t.Errorf("the officer's new-user form offers no unit")
	}
	for _, code := range units {
		if code != officerUnit && !strings.HasPrefix(code, officerUnit+"-") {
			t.Errorf("the officer's new-user form offers unit %s, outside %s", code, officerUnit)
		}
	}
	b.wantAbsent("users page")

	b.open("/audit")
	b.wantAbsent("audit log")
	b.open("/audit?unit=" + url.QueryEscape(secretUnitCode))
	b.wantAbsent("audit log filtered by the unit")

	// The same session cookie on the API says the same.
	for _, path := range []string{"/api/v1/units/" + secretUnitCode, "/api/v1/units?q=" + url.QueryEscape(secretUnitSearch), "/api/v1/audit?unit=" + secretUnitCode} {
		status, body := b.fetch(path)
		if strings.Contains(body, `"code":"`+secretUnitCode+`"`) || strings.Contains(body, `"object_id":"`+secretUnitCode+`"`) ||
			strings.Contains(body, `"unit":"`+secretUnitCode+`"`) || strings.Contains(body, secretUnitName) {
			t.Errorf("GET %s as the officer (status %d) shows the unit: %s", path, status, body)
		}
		if strings.HasPrefix(path, "/api/v1/units/") && status != 404 {
			t.Errorf("GET %s as the officer: status %d, want 404", path, status)
		}
	}

	// The English switch, on the page the officer is on.
	b.open("/units")
	b.clickAndWait(`a[href^="/lang/en"]`)
	b.wantPath("/units")
	b.wantLang("en")
	b.wantText("h1", i18n.T("en", "units.title"))
	b.wantText("header nav", "Units")
	b.open("/units/" + secretUnitCode)
	b.wantText("main", i18n.T("en", "err.notfound"))
	b.open("/units")
	b.clickAndWait(`a[href^="/lang/vi"]`)
	b.wantLang("vi")
}

// checkConsole fails the test for any error, warning or CSP report other
// than the 404 responses the scenario asks for, then proves the recorder
// would have seen a violation by provoking one.
func (b *browser) checkConsole(con *consoleLog) {
	t := b.t
	expected := func(m chromedp.ConsoleMessage) bool {
		// The browser logs every 404 response it loads; the scenario
		// fetches some on purpose. A form sent back with a mistake to
		// mend answers 400, as the findings scenario provokes.
		return m.Source == "network" && (strings.Contains(m.Text, "404") &&
			(strings.Contains(m.URL, "/units/"+secretUnitCode) || strings.Contains(m.URL, "/units/T01")) ||
			strings.Contains(m.Text, "400") && strings.HasSuffix(m.URL, "/findings"))
	}
	for _, p := range con.problems(expected) {
		t.Errorf("browser console: %s", p)
	}
	// Control: an inline script must be refused by the CSP, and the refusal
	// must reach the recorder.
	b.do(chromedp.Evaluate[chromedp.Void](`(function(){var s=document.createElement("script");s.textContent="window.__inline=1";document.body.appendChild(s);})()`))
	deadline := time.Now().Add(5 * time.Second)
	for {
		if ran, _ := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.__inline === 1`)); ran {
			t.Fatalf("an inline script ran: the Content-Security-Policy does not forbid inline script")
		}
		if len(con.problems(expected)) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the console recorder saw no CSP violation for an inline script; messages: %v", con.all())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// browser is a tab on the hub under test, with the test's assertions.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("browser at %s: %v", b.path(), err)
	}
}

// open loads path and returns the HTTP status of the page (after
// redirects).
func (b *browser) open(path string) int {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// submit clicks a submit button and waits for the page it leads to.
func (b *browser) submit(sel string) int {
	b.t.Helper()
	return b.clickAndWait(sel)
}

func (b *browser) clickAndWait(sel string) int {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("click %s on %s: %v", sel, b.path(), err)
	}
	if resp == nil {
		return 0
	}
	if resp.Status >= 400 {
		b.t.Fatalf("click %s on %s: status %d; page: %s", sel, b.path(), resp.Status, b.text("main"))
	}
	return int(resp.Status)
}

func (b *browser) login(email, password string) {
	b.t.Helper()
	b.open("/login")
	b.do(
		chromedp.SendKeys(chromedp.CSS(`form[action="/login"] input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`form[action="/login"] input[name=password]`), password),
	)
	b.submit(`form[action="/login"] button[type=submit]`)
	if p := b.path(); strings.HasPrefix(p, "/login") {
		b.t.Fatalf("sign-in as %s failed: %s", email, b.text("main"))
	}
}

func (b *browser) logout() {
	b.t.Helper()
	b.submit(`form[action="/logout"] button[type=submit]`)
	b.wantPath("/login")
}

// search types q into the search form of page and submits it.
func (b *browser) search(page, q string) {
	b.t.Helper()
	b.open(page)
	b.do(chromedp.SendKeys(chromedp.CSS(`form[role=search] input[name=q]`), q))
	b.submit(`form[role=search] button[type=submit]`)
}

// fetch requests path from the page's JavaScript, with its cookies.
func (b *browser) fetch(path string) (int, string) {
	b.t.Helper()
	type result struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	r, err := chromedp.Run(b.ctx, chromedp.Evaluate[result](fmt.Sprintf(
		`fetch(%q, {credentials: "same-origin"}).then(r => r.text().then(body => ({status: r.status, body})))`, path), chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("fetch %s: %v", path, err)
	}
	return r.Status, r.Body
}

func (b *browser) path() string {
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	u, err := url.Parse(loc)
	if err != nil {
		return loc
	}
	return u.Path
}

func (b *browser) wantPath(want string) {
	b.t.Helper()
	if got := b.path(); got != want {
		b.t.Fatalf("at %s, want %s; page: %s", got, want, b.text("main"))
	}
}

func (b *browser) wantPathPrefix(want string) {
	b.t.Helper()
	if got := b.path(); !strings.HasPrefix(got, want) {
		b.t.Fatalf("at %s, want %s...; page: %s", got, want, b.text("main"))
	}
}

func (b *browser) wantLang(want string) {
	b.t.Helper()
	lang, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil {
		b.t.Fatal(err)
	}
	if lang != want {
		b.t.Errorf("%s: <html lang=%q>, want %q", b.path(), lang, want)
	}
}

// text returns the visible text of the first element matching sel, or ""
// when there is none.
func (b *browser) text(sel string) string {
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`(function(){var e=document.querySelector(%q);return e?e.innerText:""})()`, sel)))
	if err != nil {
		return ""
	}
	return s
}

func (b *browser) wantText(sel, want string) {
	b.t.Helper()
	if got := b.text(sel); !strings.Contains(got, want) {
		b.t.Errorf("%s: %s says %q, want it to contain %q", b.path(), sel, got, want)
	}
}

func (b *browser) html() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil {
		b.t.Fatal(err)
	}
	return s
}

// wantAbsent checks the page's HTML (text, links, form options) does not
// show the secret unit. The code may only appear where the page echoes what
// the officer typed (the search box, the address in the language switch).
func (b *browser) wantAbsent(where string) {
	b.t.Helper()
	html := b.html()
	for _, s := range []string{secretUnitName, "Kiểm thử Trình duyệt", `href="/units/` + secretUnitCode + `"`,
		`<code>` + secretUnitCode + `</code>`, `<option value="` + secretUnitCode + `"`, `<td>` + secretUnitCode + `</td>`} {
		if strings.Contains(html, s) {
			b.t.Errorf("%s (%s): the officer sees %s", where, b.path(), s)
		}
	}
}

func (b *browser) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

func (b *browser) optionValues(sel string) []string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](fmt.Sprintf(
		`Array.from(document.querySelectorAll(%q + " option")).map(o => o.value)`, sel)))
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}
