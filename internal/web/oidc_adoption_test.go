package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/org"
	"vigil/internal/store/storetest"
)

// TestOIDCDoesNotAdoptLocalAccount: a provider identity whose e-mail is
// not verified, or that matches a local password account, does not take
// that account over (re-bind its subject, change its role, act under its
// name): sign-in requires email_verified and never links a local account
// to an SSO subject implicitly.
func TestOIDCDoesNotAdoptLocalAccount(t *testing.T) {
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
	if _, err := h.Org.CreateUnit(auth.WithPrincipal(ctx, auth.System), org.UnitInput{Code: "T66", Name: "Tỉnh", Kind: "province", Parent: "BHXHVN"}); err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = h.Server.Handler()
	ts.Start()
	t.Cleanup(ts.Close)

	// A provider account whose e-mail the provider never verified.
	idp.claims = map[string]any{"sub": "attacker-1", "email": "admin@test.vigil", "name": "Mallory", "vigil_role": "viewer", "vigil_unit": "T66"}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(ts.URL + "/auth/oidc/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = c.Get(ts.URL + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	var me map[string]any
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if me["email"] == "admin@test.vigil" {
		t.Errorf("an ID token without email_verified signed in as the local account admin@test.vigil: %v", me)
	}
	var role, subject string
	db.QueryRow(ctx, `SELECT role, oidc_subject FROM users WHERE email = ?`, "admin@test.vigil").Scan(&role, &subject)
	if role != "admin" || subject != "" {
		t.Errorf("the local admin account was rewritten by an SSO sign-in: role=%s oidc_subject=%s", role, subject)
	}
}
