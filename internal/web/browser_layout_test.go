package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/internal/demo"
	"vigil/internal/i18n"
)

// layoutProblems lists what is wrong with the page's layout at the
// current width: the page wider than the window (a table not scrolling
// in its box), an address broken over lines, a unit drop-down too
// narrow for its longest name (on a desktop screen: a phone shows the
// options in a list of its own).
const layoutProblems = `(function(){
var out = [];
var de = document.documentElement;
if (de.scrollWidth > window.innerWidth + 1) {
  var wide = Array.from(document.querySelectorAll("main *")).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest(".scroll"));
  out.push("page is " + de.scrollWidth + " px wide in a " + window.innerWidth + " px window: " + wide.slice(0, 3).map(e => e.tagName + "." + e.className + " " + (e.textContent || "").slice(0, 40)).join(" | "));
}
document.querySelectorAll("code.nowrap").forEach(function (c) {
  if (c.getClientRects().length > 1) out.push("address wraps: " + c.textContent);
});
var probe = document.createElement("span");
probe.style.position = "absolute"; probe.style.visibility = "hidden"; probe.style.whiteSpace = "pre";
document.body.appendChild(probe);
if (window.innerWidth >= 1000) document.querySelectorAll("select[name=unit], select[name=parent]").forEach(function (s) {
  probe.style.font = getComputedStyle(s).font;
  var widest = 0, name = "";
  Array.from(s.options).forEach(function (o) { probe.textContent = o.text; if (probe.offsetWidth > widest) { widest = probe.offsetWidth; name = o.text; } });
  if (s.offsetWidth > 0 && widest + 24 > s.clientWidth) out.push("drop-down " + s.name + " (" + s.clientWidth + " px) cuts " + JSON.stringify(name) + " (" + widest + " px)");
});
probe.remove();
return out;
})()`

// TestBrowserLayout looks at the pages in real Chromium as a phone shows
// them (400 px) and over plain HTTP on a name that is not localhost (so
// the page is not a secure context and has no navigator.clipboard): as
// Hà Nội's officer and the SOC, in both languages, no page is wider than
// the screen, no address wraps, unit drop-downs show whole names; the
// copy button still copies (or selects the token and says to press
// Ctrl+C); no page logs an error.
func TestBrowserLayout(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	srv := browserHub(t, "sqlite")
	u, _ := url.Parse(srv.URL)
	ctx := newBrowser(t, 8*time.Minute, chromedp.Flag("host-resolver-rules", "MAP vigil.test 127.0.0.1"))
	b := &browser{t: t, ctx: ctx, base: "http://vigil.test:" + u.Port()}
	con := recordConsole(ctx)

	pages := []string{"/", "/hosts", "/findings", "/units", "/units/T01", "/units/T01/coverage", "/users", "/audit", "/no/such/page"}
	for _, who := range []struct{ email, first string }{{"attt.hanoi@demo.vigil.local", "/enrollment"}, {"soc@demo.vigil.local", "/tokens"}} {
		b.login(who.email, demo.Password)
		if secure, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.isSecureContext`)); secure {
			t.Fatalf("http://vigil.test is a secure context: the copy fallback is not tested")
		}
		// Copy over plain HTTP: a new token, then its copy button.
		b.open("/lang/vi?back=" + who.first)
		if who.first == "/tokens" {
			b.do(chromedp.SendKeys(chromedp.CSS(`form[action="/tokens"] input[name=name]`), "sao lưu hằng đêm"))
		}
		b.submit(`main form[action="` + who.first + `"] button[type=submit]`)
		token := strings.TrimSpace(b.text("#new-token"))
		if token == "" {
			t.Fatalf("%s: no new token on %s: %s", who.email, who.first, b.text("main"))
		}
		b.do(chromedp.Click(chromedp.CSS(`button[data-copy="#new-token"]`)))
		selected, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`window.getSelection().toString().trim()`))
		status := b.text(".copy-status")
		if selected != token || (status != i18n.T("vi", "common.copied") && status != i18n.T("vi", "common.copy_hint")) {
			t.Errorf("%s: copy over HTTP selected %q (token %q) and said %q", who.email, selected, token, status)
		}

		b.open("/hosts")
		host := b.attr(`#hosts-table tbody a[href^="/hosts/"]`, "href")
		check := func(lang string, width int64, paths []string) {
			b.do(chromedp.EmulateViewport(width, 800))
			for _, p := range paths {
				b.open(p)
				problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](layoutProblems))
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				for _, pr := range problems {
					t.Errorf("%s %s %s at %d px: %s", who.email, lang, p, width, pr)
				}
				if width == 400 {
					screenshot(t, ctx, fmt.Sprintf("layout-%s-%s-%s", strings.Split(who.email, "@")[0], lang, strings.NewReplacer("/", "_", "?", "_").Replace(p)))
				}
			}
		}
		// On a desktop the drop-downs show whole names; on a phone, in
		// both languages, nothing runs off the screen.
		check("vi", 1366, []string{"/hosts", "/findings", "/users", "/units", host, who.first})
		for _, lang := range i18n.Langs {
			b.open("/lang/" + lang + "?back=/")
			check(lang, 400, append(append([]string{}, pages...), host, who.first))
		}
		b.do(chromedp.EmulateViewport(1366, 900))
		b.logout()
	}
	// Over plain HTTP Chromium says it ignores Cross-Origin-Opener-Policy
	// (true, and harmless); the missing page answers 404 on purpose.
	expected := func(m chromedp.ConsoleMessage) bool {
		return strings.Contains(m.Text, "Cross-Origin-Opener-Policy header has been ignored") ||
			m.Source == "network" && strings.Contains(m.Text, "404") && strings.HasSuffix(m.URL, "/no/such/page")
	}
	for _, p := range con.problems(expected) {
		t.Errorf("browser console: %s", p)
	}
}
