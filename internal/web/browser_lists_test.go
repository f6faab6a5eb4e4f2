package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/internal/demo"
)

// TestBrowserLists pages, sorts and exports lists in real Chromium on the
// demo organisation: the administrator walks the hosts list forward and
// back with its true total, sorts it by host name, downloads the filtered
// export the page links to; Hà Nội's officer sees Hà Nội's hosts only,
// counted truly, in the list and in its export, and the coverage page's
// counts match the hosts list it links to; the units, users and audit
// pages show their pagers. No page logs an error or a CSP violation.
func TestBrowserLists(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			srv := browserHub(t, engine)
			ctx := newBrowser(t, 2*time.Minute)
			b := &browser{t: t, ctx: ctx, base: srv.URL}
			con := recordConsole(ctx)
			b.listsScenario()
			b.checkConsole(con)
		})
	}
}

// rangeOf reads "1–100 trên tổng 792" off the page's first pager.
func (b *browser) rangeOf() (from, to, total int) {
	b.t.Helper()
	s := b.text(".pager .range")
	if _, err := fmt.Sscanf(strings.ReplaceAll(s, ".", ""), "%d–%d trên tổng %d", &from, &to, &total); err != nil {
		b.t.Fatalf("%s: pager says %q: %v", b.path(), s, err)
	}
	return from, to, total
}

func (b *browser) listsScenario() {
	t := b.t
	b.login("admin@vigil.local", browserAdminPassword)
	b.open("/hosts")
	from, to, total := b.rangeOf()
	if from != 1 || to != 100 || total < 500 {
		t.Fatalf("hosts page 1: %d–%d of %d", from, to, total)
	}
	if b.count(`.pager a[rel="prev"]`) != 0 {
		t.Errorf("the first page offers a previous page")
	}
	b.clickAndWait(`.pager a[rel="next"]`)
	if f, tt, n := b.rangeOf(); f != 101 || tt != 200 || n != total {
		t.Errorf("hosts page 2: %d–%d of %d", f, tt, n)
	}
	b.clickAndWait(`.pager a[rel="prev"]`)
	if f, _, _ := b.rangeOf(); f != 1 {
		t.Errorf("previous page starts at %d", f)
	}
	// Sort by host name: an arrow, and the rows in order.
	b.clickAndWait(`#hosts-table thead a[href*="sort=hostname"]`)
	if !strings.Contains(b.text(`#hosts-table thead`), "▲") {
		t.Errorf("the sorted column shows no arrow")
	}
	var names []string
	for _, line := range strings.Split(b.text(`#hosts-table tbody`), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, strings.ToLower(f[0]))
		}
	}
	if len(names) < 2 || names[0] > names[1] {
		t.Errorf("hosts by name start %v", names[:min(3, len(names))])
	}
	// The export link carries the filters and order; what it downloads is
	// every host the filter selects.
	b.open("/hosts?failing=agent&sort=hostname")
	_, _, failing := b.rangeOf()
	href := b.attr(`.pager a[href*="format=csv"]`, "href")
	if !strings.Contains(href, "failing=agent") || !strings.Contains(href, "sort=hostname") {
		t.Errorf("export link %q drops the filter or order", href)
	}
	status, csv := b.fetch(href)
	if status != 200 || strings.Count(strings.TrimSpace(csv), "\r\n") != failing {
		t.Errorf("export of %d failing hosts: status %d, %d lines", failing, status, strings.Count(strings.TrimSpace(csv), "\r\n"))
	}
	b.logout()

	// Hà Nội's officer: only Hà Nội, counted truly; the coverage page's
	// count matches the hosts list it links to.
	b.login("attt.hanoi@demo.vigil.local", demo.Password)
	b.open("/hosts")
	_, _, mine := b.rangeOf()
	if mine == 0 || mine >= total {
		t.Errorf("Hà Nội's officer counts %d of the country's %d hosts", mine, total)
	}
	if _, csv := b.fetch("/hosts?format=csv"); strings.Contains(csv, "Đà Nẵng") {
		t.Errorf("Hà Nội's export holds Đà Nẵng's hosts")
	}
	b.open("/units/T01/coverage")
	summary := b.text(`details.panel summary`)
	b.clickAndWait(`details.panel a[href*="failing="]`)
	_, _, listed := b.rangeOf()
	if !strings.Contains(summary, fmt.Sprintf("— %d", listed)) {
		t.Errorf("coverage says %q, its hosts list counts %d", summary, listed)
	}
	b.logout()

	// Other lists show their pagers.
	b.login("admin@vigil.local", browserAdminPassword)
	for _, page := range []string{"/units", "/users", "/audit", "/tokens", "/enrollment"} {
		b.open(page)
		// A list with nothing in it says so instead.
		if s := b.text(".pager .range"); !strings.Contains(s, "trên") && b.count(".empty") == 0 {
			t.Errorf("%s: pager says %q and the page no empty state", page, s)
		}
	}
}

// attr reads an attribute of the first element sel matches.
func (b *browser) attr(sel, name string) string {
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`(function(){var e=document.querySelector(%q);return e?e.getAttribute(%q):""})()`, sel, name)))
	if err != nil {
		return ""
	}
	return s
}
