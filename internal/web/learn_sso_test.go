package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/org"
	"vigil/internal/store/storetest"
	"vigil/internal/training"
)

// TestLearnSSO: an employee signs in to /learn with the organisation's
// identity provider (the officers' OIDC client and callback); the ID
// token's groups claim places them in the mapped unit, they land on their
// training with a learner session, and never get an officer's session.
// Someone in no mapped group is refused with the reason.
func TestLearnSSO(t *testing.T) {
	t.Parallel()
	idp := newFakeIdP(t)
	db := storetest.Open(t, "sqlite")
	ts := httptest.NewUnstartedServer(nil)
	h, err := hub.New(db, hub.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OIDC: auth.OIDCConfig{Issuer: idp.srv.URL, ClientID: "vigil", ClientSecret: "s3cret", RedirectURL: "http://" + ts.Listener.Addr().String() + "/auth/oidc/callback"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@test.vigil", AdminPassword: testPassword}); err != nil {
		t.Fatal(err)
	}
	sys := auth.WithPrincipal(ctx, auth.System)
	if _, err := h.Org.CreateUnit(sys, org.UnitInput{Code: "T66", Name: "Bảo hiểm xã hội tỉnh Đắk Lắk", Kind: "province", Parent: "BHXHVN"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Training.SaveDirectory(sys, training.Directory{GroupsClaim: "roles_groups", Groups: []training.GroupMapping{{Group: "bhxh-daklak", Unit: "T66"}}}); err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = h.Server.Handler()
	ts.Start()
	t.Cleanup(ts.Close)

	resp, _ := http.Get(ts.URL + "/learn")
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `href="/learn/sso"`) {
		t.Fatal("/learn does not offer SSO")
	}
	signIn := func() (*http.Client, int, string) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		resp, err := c.Get(ts.URL + "/learn/sso")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return c, resp.StatusCode, string(body)
	}

	idp.claims = map[string]any{"sub": "e-1", "email_verified": true, "email": "hoa.nt@daklak.vn", "name": "Nguyễn Thị Hoa", "roles_groups": []string{"all-staff", "bhxh-daklak"}}
	c, status, body := signIn()
	if status != 200 || !strings.Contains(body, "Nguyễn Thị Hoa") || !strings.Contains(body, "Đắk Lắk") {
		t.Fatalf("employee SSO: %d %.400s", status, body)
	}
	// Not an officer: the API answers 401 to this browser.
	r, _ := c.Get(ts.URL + "/api/v1/me")
	if r.StatusCode != 401 {
		t.Errorf("the employee's browser reaches the API: %d", r.StatusCode)
	}
	r.Body.Close()
	people, _, err := h.Training.People(sys, training.PeopleFilter{Unit: "T66"})
	if err != nil || len(people) != 1 || people[0].Email != "hoa.nt@daklak.vn" {
		t.Fatalf("placed by the groups claim: %v %+v", err, people)
	}
	// The officer sign-in's claims are not needed for an employee, and
	// no officer account was made.
	var users int
	db.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE email = 'hoa.nt@daklak.vn'`).Scan(&users)
	if users != 0 {
		t.Error("an employee's SSO sign-in made an officer account")
	}

	idp.claims = map[string]any{"sub": "e-2", "email_verified": true, "email": "stranger@daklak.vn", "name": "Người lạ", "roles_groups": "all-staff"}
	if _, status, body = signIn(); status != 403 || !strings.Contains(body, "chưa có trong danh sách") {
		t.Errorf("someone in no mapped group: %d %.300s", status, body)
	}
}
