package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"vigil/internal/hub"
	"vigil/internal/store/storetest"
)

func get(t *testing.T, url, bearer string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func testHub(t *testing.T, cfg hub.Config) *httptest.Server {
	t.Helper()
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Version = "test"
	h, err := hub.New(storetest.Open(t, "sqlite"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Bootstrap(context.Background(), hub.Config{AdminEmail: "admin@test.vigil", AdminPassword: testPassword}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Server.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// TestMetricsRouteLabels: requests are counted by the route pattern that
// served them; only requests no route matched are "unmatched".
func TestMetricsRouteLabels(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	expect(t, w.call("admin", "GET", "/api/v1/hosts/"+itoa(w.hostIDs["A"]), nil), 200, "a host")
	expect(t, w.call("admin", "GET", "/api/v1/units/A", nil), 200, "a unit")
	expect(t, w.call("admin", "GET", "/api/v1/no-such-thing", nil), 404, "unknown API path")
	if s, _, _ := get(t, w.srv.URL+"/no-such-page", ""); s != 404 {
		t.Errorf("unknown page: %d", s)
	}
	_, body, _ := get(t, w.srv.URL+"/metrics", "")
	for _, want := range []string{
		`vigil_http_requests_total{code="200",method="GET",route="GET /api/v1/hosts/{id}"} 1`,
		`vigil_http_requests_total{code="200",method="GET",route="GET /api/v1/units/{code}"} 1`,
		`vigil_http_requests_total{code="404",method="GET",route="unmatched"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, `code="200",method="GET",route="unmatched"`) {
		t.Error("a served request is counted as unmatched")
	}
}

// TestMetricsToken: with a metrics token, /metrics wants it as a bearer
// token; without one it stays open.
func TestMetricsToken(t *testing.T) {
	t.Parallel()
	srv := testHub(t, hub.Config{MetricsToken: "scrape-secret-1234"})
	for _, c := range []struct {
		bearer string
		want   int
	}{{"", 401}, {"wrong", 401}, {"vgl_notatoken", 401}, {"scrape-secret-1234", 200}} {
		if s, body, _ := get(t, srv.URL+"/metrics", c.bearer); s != c.want || (s == 200 && !strings.Contains(body, "vigil_http_requests_total")) {
			t.Errorf("bearer %q: %d, want %d", c.bearer, s, c.want)
		}
	}
	open := testHub(t, hub.Config{})
	if s, _, _ := get(t, open.URL+"/metrics", ""); s != 200 {
		t.Errorf("no token configured: %d", s)
	}
}

// TestHSTS: with --secure-cookies the hub is behind HTTPS and says so to
// browsers; without, it sends no HSTS over plain HTTP.
func TestHSTS(t *testing.T) {
	t.Parallel()
	srv := testHub(t, hub.Config{SecureCookies: true})
	for _, path := range []string{"/login", "/healthz", "/api/v1/me"} {
		if _, _, h := get(t, srv.URL+path, ""); h.Get("Strict-Transport-Security") != "max-age=63072000; includeSubDomains" {
			t.Errorf("%s: Strict-Transport-Security %q", path, h.Get("Strict-Transport-Security"))
		}
	}
	plain := testHub(t, hub.Config{})
	if _, _, h := get(t, plain.URL+"/login", ""); h.Get("Strict-Transport-Security") != "" {
		t.Errorf("plain HTTP sends HSTS %q", h.Get("Strict-Transport-Security"))
	}
}
