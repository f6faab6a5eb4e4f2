package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// TestDemoHostsExportInOneFile loads the demo organisation and exports
// all its hosts — the nine pages the issue could not send to the IT
// Center — as one CSV and one XLSX, the list counting the same.
func TestDemoHostsExportInOneFile(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h, err := hub.New(db, hub.Config{Logger: slog.New(slog.DiscardHandler), Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@test.vigil", AdminPassword: testPassword, Demo: true, Stderr: io.Discard, Logger: slog.New(slog.DiscardHandler)}); err != nil {
			t.Fatal(err)
		}
		p, err := h.Auth.Login(ctx, "admin@test.vigil", testPassword)
		if err != nil {
			t.Fatal(err)
		}
		_, token, err := h.Auth.CreateToken(auth.WithPrincipal(ctx, p), "test", 0)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h.Server.Handler())
		defer srv.Close()
		w := &world{t: t, db: db, hub: h, srv: srv, tokens: map[string]string{"admin": token}}

		total := int(w.call("admin", "GET", "/api/v1/hosts?limit=1", nil).json(t)["total"].(float64))
		if total < 500 {
			t.Fatalf("the demo has %d hosts; the issue counted 811", total)
		}
		recs := readCSV(t, w.call("admin", "GET", "/api/v1/hosts?format=csv&sort=unit", nil))
		if len(recs) != total+1 {
			t.Errorf("CSV export: %d hosts of %d", len(recs)-1, total)
		}
		if rows := readXLSX(t, w.call("admin", "GET", "/hosts?format=xlsx", nil)); len(rows) != total+1 {
			t.Errorf("XLSX export: %d hosts of %d", len(rows)-1, total)
		}
		req, _ := http.NewRequest("GET", srv.URL+"/hosts", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := "1–100 trên tổng " + strings.ReplaceAll(fmtThousands(total), ",", "."); !strings.Contains(string(body), want) {
			t.Errorf("hosts page lacks %q", want)
		}
		t.Logf("demo: %d hosts exported in one file", total)
	})
}

// fmtThousands writes n with a comma every three digits.
func fmtThousands(n int) string {
	s := itoa(int64(n))
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
