package web_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"vigil/internal/asset"
	"vigil/internal/auth"
	"vigil/internal/hosts"
	"vigil/internal/i18n"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// deniedWords are codes and English words seen on Vietnamese pages: a
// token of page text equal to one of them fails the page.
var deniedWords = []string{
	"antivirus", "auto_update", "disk_encryption", "firewall", "edr", "monitoring",
	"on", "off", "done", "running", "pending", "failed", "files", "enabled", "disabled", "admin",
	"csv", "registry", "registry32", "registry_user",
	"Evidence", "Indicator", "Prefix", "darwin", "Error", "Next", "Previous",
	"software_added", "control_added", "port_opened", "account_added", "hostname_changed",
	"headquarters", "service_unit", "province", "district",
	"open", "in_progress", "resolved", "accepted_risk", "false_positive", "malware", "missing_update",
	"critical", "high", "medium", "low", "Save", "Create", "Filter", "Search", "Delete", "Revoke",
}

// deniedPhrases are English phrases no Vietnamese page may hold.
var deniedPhrases = []string{"page not found", "FQDN / domain", "real-time off", "internal error", "not found", "must be", "Must be", "is required", "Is required", "is not a"}

var (
	postFormRE   = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	uiGetRouteRE = regexp.MustCompile(`s\.mux\.HandleFunc\("GET (/[^"]*)"`)
	scriptRE     = regexp.MustCompile(`(?s)<(script|style)\b.*?</(script|style)>`)
	readAttrRE   = regexp.MustCompile(`\b(?:placeholder|title|aria-label|alt)="([^"]*)"`)
	pageTagRE    = regexp.MustCompile(`(?s)<[^>]*>`)
	tokenRE      = regexp.MustCompile(`[\p{L}\p{N}_./:@-]+`)
)

// readerText is what a reader of an HTML page reads: its text and the
// placeholders, titles and labels of its elements.
func readerText(body string) string {
	body = scriptRE.ReplaceAllString(body, " ")
	var b strings.Builder
	for _, m := range readAttrRE.FindAllStringSubmatch(body, -1) {
		b.WriteString(html.UnescapeString(m[1]))
		b.WriteString("\n")
	}
	b.WriteString(html.UnescapeString(pageTagRE.ReplaceAllString(body, " ")))
	return b.String()
}

// languageProblems lists what is wrong with a page's text in lang:
// message keys shown as they are (i18n.T found no text) and, in
// Vietnamese, codes and English.
func languageProblems(lang, text string) []string {
	prefixes := map[string]bool{}
	for _, k := range i18n.Keys() {
		prefixes[k[:strings.IndexByte(k+".", '.')]] = true
	}
	denied := map[string]bool{}
	for _, w := range deniedWords {
		denied[w] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, tok := range tokenRE.FindAllString(text, -1) {
		tok = strings.Trim(tok, ".:-/")
		if seen[tok] {
			continue
		}
		seen[tok] = true
		if p, rest, ok := strings.Cut(tok, "."); ok && prefixes[p] && regexp.MustCompile(`^[a-z0-9_.]+$`).MatchString(rest) {
			out = append(out, "untranslated key "+tok)
		}
		if lang == "vi" && denied[tok] {
			out = append(out, "raw code or English word "+tok)
		}
	}
	if lang == "vi" {
		for _, p := range deniedPhrases {
			if strings.Contains(text, p) {
				out = append(out, "English phrase "+p)
			}
		}
	}
	return out
}

// uiPagePaths lists the GET page routes in routes.go with their wildcards
// filled from w: a new page is walked without touching this test, and a
// page with a wildcard this test does not know fails it.
func uiPagePaths(t *testing.T, w *world, extraHost int64) []string {
	t.Helper()
	src, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	hostIDs := []string{itoa(extraHost)}
	for _, id := range w.hostIDs {
		hostIDs = append(hostIDs, itoa(id))
	}
	sort.Strings(hostIDs)
	values := map[string][]string{
		"/units/{code}":       {"A", "B"},
		"/users/{id}":         {itoa(w.userIDs["officerA"]), itoa(w.userIDs["analyst"])},
		"/hosts/{id}":         hostIDs,
		"/{$}":                {""},
		"/units/{code}/":      {"A", "B"},
		"/enrollment/{id}/":   {},
		"/health/probes/{id}": {w.anyProbe(t)},
		"/rules/{id}":         {w.anyRule(t)},
		"/alerts/{id}":        {itoa(seedAlerts(t, w)["A"])},
	}
	esc := w.escalation(t)
	values["/escalation/policies/{id}"] = []string{esc.policyA, esc.policyB}
	values["/escalation/channels/{id}"] = []string{esc.channelA, esc.channelB}
	roster, shift := w.dutyRoster(t)
	values["/duty/rosters/{id}"], values["/duty/shifts/{id}"] = []string{roster}, []string{shift}
	var out []string
	for _, m := range uiGetRouteRE.FindAllStringSubmatch(string(src), -1) {
		route := m[1]
		switch {
		case strings.HasPrefix(route, "/api/"), strings.HasPrefix(route, "/static/"), strings.HasPrefix(route, "/lang/"),
			strings.HasPrefix(route, "/auth/oidc/"), route == "/healthz", route == "/readyz", route == "/metrics":
			continue
		}
		if !strings.Contains(route, "{") {
			out = append(out, route)
			continue
		}
		i := strings.Index(route, "{")
		j := strings.Index(route, "}")
		key := route[:j+1]
		vals, ok := values[key]
		if !ok {
			vals, ok = values[route[:i]+route[i:j+1]+"/"]
		}
		if !ok {
			t.Fatalf("page route %s has a wildcard this test cannot fill: add it to uiPagePaths", route)
		}
		for _, v := range vals {
			out = append(out, route[:i]+v+route[j+1:])
		}
	}
	if len(out) < 10 {
		t.Fatalf("found only %d page routes in routes.go", len(out))
	}
	// Pages that are not routes: no such page, an object out of reach, a
	// refused filter.
	return append(out, "/no/such/page", "/hosts/999999", "/units/NOPE", "/hosts?failing=everything", "/audit?since=yesterday")
}

// getPage fetches path as actor (a bearer token, as a browser's session
// would be) reading lang.
func (w *world) getPage(actor, lang, path string) (int, string) {
	w.t.Helper()
	req, _ := http.NewRequest("GET", w.srv.URL+path, nil)
	if actor != "" {
		req.Header.Set("Authorization", "Bearer "+w.tokens[actor])
	}
	req.AddCookie(&http.Cookie{Name: "vigil_lang", Value: lang})
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// addEveryControl imports into unit A a host from a CSV-like source with
// every kind of security control, on and off, so its page shows them all.
func (w *world) addEveryControl(t *testing.T) int64 {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	inv := testInventory("PC-KeToan-02", "10.0.1.22", 6*24*time.Hour)
	inv.Source = asset.SourceCSV
	off := false
	inv.Controls = append(inv.Controls,
		asset.Control{Kind: asset.ControlDiskEncryption, Product: "BitLocker", Enabled: false},
		asset.Control{Kind: asset.ControlAutoUpdate, Product: "Windows Update", Enabled: true},
		asset.Control{Kind: asset.ControlEDR, Product: "Some EDR", Enabled: true, RealTime: &off})
	inv.Accounts = append(inv.Accounts, asset.Account{Name: "ketoan", Enabled: true})
	if _, err := w.hub.Hosts.Import(ctx, "A", "pc.csv", []*asset.Inventory{inv}); err != nil {
		t.Fatal(err)
	}
	hs, _, err := w.hub.Hosts.ListHosts(ctx, hosts.HostFilter{Query: "PC-KeToan-02"})
	if err != nil || len(hs) != 1 {
		t.Fatalf("imported host: %v %v", hs, err)
	}
	return hs[0].ID
}

// TestEveryPageSpeaksTheReadersLanguage renders every page of routes.go
// as an officer, the SOC analyst and a viewer, in Vietnamese and English,
// and fails on a message key shown as it is, or a code or English word on
// a Vietnamese page.
func TestEveryPageSpeaksTheReadersLanguage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		extra := w.addEveryControl(t)
		paths := uiPagePaths(t, w, extra)
		for _, actor := range []string{"officerA", "analyst", "viewerA"} {
			for _, lang := range i18n.Langs {
				ok := 0
				for _, path := range paths {
					status, body := w.getPage(actor, lang, path)
					if status >= 500 || !strings.Contains(body, "</html>") {
						t.Errorf("%s %s %s: status %d, not a page: %.200s", actor, lang, path, status, body)
						continue
					}
					if status == 200 {
						ok++
					}
					if !strings.Contains(body, `<html lang="`+lang+`">`) {
						t.Errorf("%s %s %s: page not in %s", actor, lang, path, lang)
					}
					for _, p := range languageProblems(lang, readerText(body)) {
						t.Errorf("%s %s %s: %s", actor, lang, path, p)
					}
					if actor == "viewerA" {
						// A viewer sees no form it cannot submit and no
						// link to a page it cannot use.
						for _, m := range postFormRE.FindAllStringSubmatch(body, -1) {
							if m[1] != "/logout" && m[1] != "/users/"+itoa(w.userIDs["viewerA"]) {
								t.Errorf("viewer %s: a form to %s", path, m[1])
							}
						}
						if strings.Contains(body, `href="/tokens"`) || strings.Contains(body, `href="/enrollment"`) {
							t.Errorf("viewer %s: a link to the token or enrolment page", path)
						}
					}
				}
				if ok < len(paths)/2 {
					t.Errorf("%s %s: only %d of %d pages answered 200", actor, lang, ok, len(paths))
				}
			}
		}
		// The sign-in page, to someone not signed in.
		for _, lang := range i18n.Langs {
			_, body := w.getPage("", lang, "/login")
			for _, p := range languageProblems(lang, readerText(body)) {
				t.Errorf("anonymous %s /login: %s", lang, p)
			}
		}
	})
}
