package web_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// formClient is a cookie-keeping form client that does not follow redirects.
type formClient struct {
	t *testing.T
	w *world
	c *http.Client
}

func newFormClient(t *testing.T, w *world) *formClient {
	jar, _ := cookiejar.New(nil)
	return &formClient{t: t, w: w, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *formClient) do(method, path string, form url.Values, header map[string]string) (int, string, http.Header) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.w.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp.Header
}

func (b *formClient) login(email, password string) int {
	status, _, _ := b.do("POST", "/login", url.Values{"email": {email}, "password": {password}, "next": {"/"}}, nil)
	return status
}

func (b *formClient) csrf(page string) string {
	_, body, _ := b.do("GET", page, nil, nil)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s", page)
	}
	return m[1]
}

func TestSessionCookieAndCSRF(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		b := newFormClient(t, w)
		if s, _, _ := b.do("GET", "/units", nil, nil); s != 303 {
			t.Fatalf("anonymous /units: %d, want redirect to login", s)
		}
		if s := b.login("officera@test.vigil", testPassword); s != 303 {
			t.Fatalf("login: %d", s)
		}
		u, _ := url.Parse(w.srv.URL)
		var sess *http.Cookie
		for _, c := range b.c.Jar.Cookies(u) {
			if c.Name == "vigil_session" {
				sess = c
			}
		}
		if sess == nil {
			t.Fatal("no session cookie")
		}
		// Cookie attributes are not visible through the jar; check the raw header.
		_, _, h := newFormClient(t, w).do("POST", "/login", url.Values{"email": {"officera@test.vigil"}, "password": {testPassword}}, nil)
		sc := h.Get("Set-Cookie")
		if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") {
			t.Errorf("session cookie %q lacks HttpOnly/SameSite", sc)
		}
		token := b.csrf("/units")
		form := url.Values{"code": {"A3"}, "name": {"Huyện ba"}, "kind": {"district"}, "parent": {"A"}}
		if s, body, _ := b.do("POST", "/units", form, nil); s != 403 {
			t.Errorf("POST without CSRF token: %d %s", s, body)
		}
		form.Set("csrf", "wrong")
		if s, _, _ := b.do("POST", "/units", form, nil); s != 403 {
			t.Errorf("POST with a wrong CSRF token: %d", s)
		}
		form.Set("csrf", token)
		if s, body, _ := b.do("POST", "/units", form, nil); s != 303 {
			t.Errorf("POST with the CSRF token: %d %s", s, body)
		}
		// The API with the session cookie also needs the token (header).
		if s, _, _ := b.do("DELETE", "/api/v1/units/A3", nil, nil); s != 403 {
			t.Errorf("API DELETE by cookie without X-CSRF-Token: %d", s)
		}
		if s, body, _ := b.do("DELETE", "/api/v1/units/A3", nil, map[string]string{"X-CSRF-Token": token}); s != 204 {
			t.Errorf("API DELETE by cookie with X-CSRF-Token: %d %s", s, body)
		}
		// A cross-site form post is refused before it reaches the handler.
		if s, _, _ := b.do("POST", "/units", url.Values{"csrf": {token}}, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}); s != 403 {
			t.Errorf("cross-site POST: %d", s)
		}
		// Officer pages never show the other province.
		_, body, _ := b.do("GET", "/units", nil, nil)
		if strings.Contains(body, "Hà Nội") || !strings.Contains(body, "Đắk Lắk") {
			t.Error("officer's units page shows B or lacks A")
		}
		if s, _, _ := b.do("GET", "/units/B", nil, nil); s != 404 {
			t.Errorf("officer GET /units/B: %d", s)
		}
		// Sign-out ends the session server-side.
		b.do("POST", "/logout", url.Values{"csrf": {token}}, nil)
		req, _ := http.NewRequest("GET", w.srv.URL+"/api/v1/me", nil)
		req.AddCookie(sess)
		resp, _ := http.DefaultClient.Do(req)
		if resp.StatusCode != 401 {
			t.Errorf("old session cookie after logout: %d", resp.StatusCode)
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	b := newFormClient(t, w)
	_, body, h := b.do("GET", "/login", nil, nil)
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	for _, k := range []string{"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
		if h.Get(k) == "" {
			t.Errorf("missing %s", k)
		}
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, " onclick=") || strings.Contains(body, "style=\"") {
		t.Error("login page has inline script or style")
	}
	if !strings.Contains(body, "Đăng nhập") {
		t.Error("login page is not in Vietnamese by default")
	}
	b.do("GET", "/lang/en?back=/login", nil, nil)
	_, body, _ = b.do("GET", "/login", nil, nil)
	if !strings.Contains(body, "Sign in") {
		t.Error("English switch did not take")
	}
}

func TestLoginLockout(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for i := 0; i < 5; i++ {
			expect(t, w.call("", "POST", "/api/v1/auth/token", map[string]string{"email": "viewera@test.vigil", "password": "wrong-password"}), 401, "wrong password")
		}
		r := w.call("", "POST", "/api/v1/auth/token", map[string]string{"email": "viewera@test.vigil", "password": testPassword})
		expect(t, r, 401, "right password on a locked account")
		// The answer is a wrong password's, so it does not tell an
		// attacker the account exists (auth.ErrBadCredentials).
		wrong := w.call("", "POST", "/api/v1/auth/token", map[string]string{"email": "nobody@test.vigil", "password": "wrong-password"})
		if string(r.Body) != string(wrong.Body) || !strings.Contains(string(r.Body), "15 minutes") {
			t.Errorf("lockout answer %s, unknown account %s", r.Body, wrong.Body)
		}
		// The failures and the lockout are in the audit log.
		items := w.call("admin", "GET", "/api/v1/audit?action=auth.login_failed", nil).items(t)
		if len(items) < 6 {
			t.Errorf("audit has %d failed logins, want 6", len(items))
		}
		// An admin unlocks; the user signs in again.
		expect(t, w.call("admin", "PATCH", "/api/v1/users/"+itoa(w.userIDs["viewerA"]), map[string]any{"unlock": true}), 200, "unlock")
		expect(t, w.call("", "POST", "/api/v1/auth/token", map[string]string{"email": "viewera@test.vigil", "password": testPassword}), 201, "after unlock")
	})
}
