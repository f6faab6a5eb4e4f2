package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// browserNormalise strips what the WHATWG URL parser strips before it
// resolves a Location header: ASCII tab and newline anywhere, and leading
// and trailing C0 controls and spaces. Browsers also treat "\" as "/" in
// special URLs.
func browserNormalise(loc string) string {
	loc = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		if r == '\\' {
			return '/'
		}
		return r
	}, loc)
	return strings.Trim(loc, " \x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f")
}

// offSite reports whether a browser following loc would leave the hub.
func offSite(loc string) bool {
	n := browserNormalise(loc)
	return strings.HasPrefix(n, "//") || strings.Contains(strings.SplitN(n, "/", 2)[0], ":")
}

// TestRedirectsRefuseControlChars: a redirect target with a tab, newline
// or backslash after the first slash ("/<TAB>/evil.example") stays on the
// hub, both for GET /lang/en (no session needed, so any link to the hub
// could otherwise send its reader anywhere) and for /login?next= after a
// real sign-in. Browsers strip those characters before resolving
// Location, turning it into "//evil.example".
func TestRedirectsRefuseControlChars(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for _, evil := range []string{"/\t/evil.example/x", "/\n/evil.example/x", "/\t\\evil.example/x"} {
			status, h := rawRequest(t, "GET", w.srv.URL+"/lang/en?back="+url.QueryEscape(evil), nil)
			if loc := h.Get("Location"); status/100 == 3 && offSite(loc) {
				t.Errorf("GET /lang/en?back=%q redirects to %q: a browser goes off-site", evil, loc)
			}
		}
		// After a real sign-in.
		status, h := rawRequest(t, "POST", w.srv.URL+"/login", url.Values{"email": {"officera@test.vigil"}, "password": {testPassword}, "next": {"/\t/evil.example/"}})
		if loc := h.Get("Location"); status/100 == 3 && offSite(loc) {
			t.Errorf("POST /login next=/<TAB>/evil.example redirects to %q: a browser goes off-site", loc)
		}
	})
}

// TestRedirectsStayOnSite: absolute and scheme-relative targets are
// refused, ordinary relative ones still work.
func TestRedirectsStayOnSite(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		b := newFormClient(t, w)
		for _, evil := range []string{"//evil.example", "/\\evil.example", "https://evil.example", "evil.example"} {
			_, _, h := b.do("GET", "/lang/en?back="+url.QueryEscape(evil), nil, nil)
			if loc := h.Get("Location"); offSite(loc) {
				t.Errorf("GET /lang/en?back=%q redirects to %q", evil, loc)
			}
		}
		_, _, h := b.do("GET", "/lang/en?back=/units", nil, nil)
		if h.Get("Location") != "/units" {
			t.Errorf("back=/units redirects to %q", h.Get("Location"))
		}
	})
}

// rawRequest sends one request without following or parsing redirects (Go's
// client refuses to parse a Location holding control characters, which is
// exactly what a browser accepts).
func rawRequest(t *testing.T, method, u string, form url.Values) (int, http.Header) {
	t.Helper()
	var req *http.Request
	if form != nil {
		req, _ = http.NewRequest(method, u, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req, _ = http.NewRequest(method, u, nil)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}
