package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/org"
	"vigil/internal/store/storetest"
)

// fakeIdP is a minimal OpenID Connect provider: discovery, JWKS, an
// authorization endpoint that approves at once, and a token endpoint that
// checks PKCE and signs an RS256 ID token.
type fakeIdP struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	mu     sync.Mutex
	codes  map[string]map[string]string // code -> nonce, challenge
	claims map[string]any
}

func newFakeIdP(t *testing.T) *fakeIdP {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeIdP{key: key, codes: map[string]map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.srv.URL, "authorization_endpoint": p.srv.URL + "/authorize", "token_endpoint": p.srv.URL + "/token",
			"jwks_uri": p.srv.URL + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		code := auth.NewSecret("code")
		p.mu.Lock()
		p.codes[code] = map[string]string{"nonce": q.Get("nonce"), "challenge": q.Get("code_challenge")}
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+code+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		p.mu.Lock()
		c := p.codes[r.PostForm.Get("code")]
		delete(p.codes, r.PostForm.Get("code"))
		claims := map[string]any{}
		for k, v := range p.claims {
			claims[k] = v
		}
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if c == nil || base64.RawURLEncoding.EncodeToString(sum[:]) != c["challenge"] {
			http.Error(w, `{"error":"invalid_grant"}`, 400)
			return
		}
		now := time.Now()
		claims["iss"], claims["aud"], claims["nonce"] = p.srv.URL, "vigil", c["nonce"]
		claims["iat"], claims["exp"] = now.Unix(), now.Add(5*time.Minute).Unix()
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: p.key, KeyID: "k1"}}, nil)
		payload, _ := json.Marshal(claims)
		jws, _ := signer.Sign(payload)
		idt, _ := jws.CompactSerialize()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": idt})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func TestOIDCSignIn(t *testing.T) {
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
	if _, err := h.Org.CreateUnit(auth.WithPrincipal(ctx, auth.System), org.UnitInput{Code: "T66", Name: "Bảo hiểm xã hội tỉnh Đắk Lắk", Kind: "province", Parent: "BHXHVN"}); err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = h.Server.Handler()
	ts.Start()
	t.Cleanup(ts.Close)

	signIn := func() (*http.Client, int, string) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		resp, err := c.Get(ts.URL + "/auth/oidc/login")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return c, resp.StatusCode, string(body)
	}
	me := func(c *http.Client) map[string]any {
		resp, err := c.Get(ts.URL + "/api/v1/me")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return m
	}

	// The login page offers SSO.
	resp, _ := http.Get(ts.URL + "/login")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "/auth/oidc/login") {
		t.Error("login page does not offer SSO")
	}

	idp.claims = map[string]any{"sub": "u-123", "email_verified": true, "email": "Officer.DakLak@test.vigil", "name": "Cán bộ Đắk Lắk", "vigil_role": "officer", "vigil_unit": "T66"}
	c, status, body := signIn()
	if status != 200 {
		t.Fatalf("first SSO sign-in: %d %s", status, body)
	}
	if m := me(c); m["role"] != "officer" || m["unit"] != "T66" || m["email"] != "officer.daklak@test.vigil" {
		t.Fatalf("SSO user: %v", m)
	}
	// The provider is the authority: a new role claim changes the account.
	idp.claims["vigil_role"] = "viewer"
	c, status, _ = signIn()
	if m := me(c); status != 200 || m["role"] != "viewer" {
		t.Fatalf("role from claim not applied: %d %v", status, m)
	}
	// Bad claims are refused with a reason.
	idp.claims["vigil_role"] = "superuser"
	if _, status, body = signIn(); status != 403 || !strings.Contains(body, "superuser") {
		t.Errorf("bad role claim: %d", status)
	}
	idp.claims["vigil_role"], idp.claims["vigil_unit"] = "officer", "NOPE"
	if _, status, _ = signIn(); status != 403 {
		t.Errorf("unknown unit claim: %d", status)
	}
	// Another identity with the same e-mail cannot take the account over.
	idp.claims["vigil_unit"], idp.claims["sub"] = "T66", "someone-else"
	if _, status, _ = signIn(); status != 401 {
		t.Errorf("different subject, same e-mail: %d", status)
	}
	// A callback without the flow cookie (CSRF on the login) is refused.
	resp, _ = http.Get(ts.URL + "/auth/oidc/callback?code=x&state=y")
	if resp.StatusCode != 401 {
		t.Errorf("callback without flow cookie: %d", resp.StatusCode)
	}
	resp.Body.Close()
}
