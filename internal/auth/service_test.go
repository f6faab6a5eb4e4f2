package auth_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// signIn returns a context acting as the user with email.
func signIn(t *testing.T, s *auth.Service, email string) (context.Context, *auth.Principal) {
	t.Helper()
	p, err := s.Login(from("192.0.2.1"), email, lockoutPassword)
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	return auth.WithPrincipal(context.Background(), p), p
}

// TestTokenIssueVerifyRevoke: an API token acts as its owner until it is
// revoked, expires or its owner is disabled; a wrong secret is nobody.
func TestTokenIssueVerifyRevoke(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := lockoutWorld(t, db)
		bg := context.Background()
		if _, err := db.Exec(bg, `UPDATE users SET role = 'viewer' WHERE email = 'other@test.vigil'`); err != nil {
			t.Fatal(err)
		}
		ctx, p := signIn(t, s, "admin@test.vigil")
		other, _ := signIn(t, s, "other@test.vigil")

		tok, secret, err := s.CreateToken(ctx, "ci", 0)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, auth.TokenPrefix) || tok.Prefix != auth.DisplayPrefix(secret) || strings.Contains(tok.Prefix, secret[len(tok.Prefix):]) {
			t.Errorf("token %q shown as %q", secret, tok.Prefix)
		}
		if d := time.Until(tok.ExpiresAt); d < 89*24*time.Hour || d > 91*24*time.Hour {
			t.Errorf("default lifetime %s, want 90 days", d)
		}
		got, err := s.TokenPrincipal(bg, secret)
		if err != nil || got == nil || got.UserID != p.UserID || got.Via != "token" || got.Role != auth.RoleAdmin {
			t.Fatalf("TokenPrincipal = %+v, %v", got, err)
		}
		for _, wrong := range []string{secret + "x", secret[:len(secret)-1], auth.NewSecret(auth.TokenPrefix), ""} {
			if got, err := s.TokenPrincipal(bg, wrong); got != nil || err != nil {
				t.Errorf("TokenPrincipal(%q) = %+v, %v; want nobody", wrong, got, err)
			}
		}
		// Refused requests.
		if _, _, err := s.CreateToken(ctx, " ", 0); errs.Code(err) != errs.EINVALID {
			t.Errorf("blank name: %v", err)
		}
		if _, _, err := s.CreateToken(ctx, "x", 10*time.Second); errs.Code(err) != errs.EINVALID {
			t.Errorf("10 s lifetime: %v", err)
		}
		if _, _, err := s.CreateToken(auth.WithPrincipal(bg, auth.System), "x", 0); errs.Code(err) != errs.EFORBIDDEN {
			t.Errorf("token for the system principal: %v", err)
		}
		// Each sees its own; a non-admin cannot revoke another's token.
		if ts, _, err := s.ListTokens(other, auth.TokenFilter{All: true}); err != nil || len(ts) != 0 {
			t.Errorf("viewer lists %d tokens (all=true), %v; want 0", len(ts), err)
		}
		if err := s.RevokeToken(other, tok.ID); errs.Code(err) != errs.ENOTFOUND {
			t.Errorf("viewer revokes the admin's token: %v, want not found", err)
		}
		if err := s.RevokeToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := s.TokenPrincipal(bg, secret); got != nil || err != nil {
			t.Errorf("revoked token still acts: %+v %v", got, err)
		}
		if ts, _, err := s.ListTokens(ctx, auth.TokenFilter{}); err != nil || len(ts) != 1 || ts[0].Active() || ts[0].RevokedAt.IsZero() {
			t.Errorf("ListTokens after revoke: %+v %v", ts, err)
		}
		// Expiry and a disabled owner stop a token too.
		_, expiring, err := s.CreateToken(ctx, "short", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(bg, `UPDATE api_tokens SET expires_at = ? WHERE name = 'short'`, time.Now().Add(-time.Second).UnixMicro()); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.TokenPrincipal(bg, expiring); got != nil {
			t.Error("expired token still acts")
		}
		_, live, err := s.CreateToken(ctx, "live", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(bg, `UPDATE users SET disabled = TRUE WHERE id = ?`, p.UserID); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.TokenPrincipal(bg, live); got != nil {
			t.Error("a disabled user's token still acts")
		}
		// The list pages newest first, with the true total.
		page1, total, err := s.ListTokens(ctx, auth.TokenFilter{Limit: 2})
		if err != nil || len(page1) != 2 || total != 3 || page1[0].Name != "live" || page1[1].Name != "short" {
			t.Fatalf("first page: %+v total %d, %v", page1, total, err)
		}
		page2, total, err := s.ListTokens(ctx, auth.TokenFilter{Limit: 2, Offset: 2})
		if err != nil || len(page2) != 1 || total != 3 || page2[0].ID != tok.ID {
			t.Fatalf("second page: %+v total %d, %v", page2, total, err)
		}
		byName, _, err := s.ListTokens(ctx, auth.TokenFilter{Sort: "name"})
		if err != nil || len(byName) != 3 || byName[0].Name != "ci" || byName[2].Name != "short" {
			t.Fatalf("by name: %+v, %v", byName, err)
		}
		if _, _, err := s.ListTokens(ctx, auth.TokenFilter{Sort: "prefix"}); errs.Code(err) != errs.EINVALID {
			t.Errorf("unknown sort: %v", err)
		}
	})
}

// TestSessionLifecycle: a session lives until sign-out, its idle timeout
// or its end; using it slides the idle timeout.
func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := lockoutWorld(t, db)
		bg := context.Background()
		ctx, p := signIn(t, s, "admin@test.vigil")
		sess, err := s.CreateSession(ctx, p, strings.Repeat("Mozilla ", 100))
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.SessionPrincipal(bg, sess.Token)
		if err != nil || got == nil || got.UserID != p.UserID || got.Via != "session" || got.SessionCSRF != sess.CSRF || got.SessionID != auth.HashSecret(sess.Token) {
			t.Fatalf("SessionPrincipal = %+v, %v", got, err)
		}
		for _, wrong := range []string{"", sess.Token + "x", sess.CSRF} {
			if got, err := s.SessionPrincipal(bg, wrong); got != nil || err != nil {
				t.Errorf("SessionPrincipal(%q) = %+v, %v; want nobody", wrong, got, err)
			}
		}
		setSeen := func(token string, at time.Time) {
			t.Helper()
			if _, err := db.Exec(bg, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, at.UnixMicro(), auth.HashSecret(token)); err != nil {
				t.Fatal(err)
			}
		}
		seenAt := func(token string) (int64, int) {
			var at int64
			var n int
			err := db.QueryRow(bg, `SELECT COALESCE(MAX(last_seen_at), 0), COUNT(*) FROM sessions WHERE id = ?`, auth.HashSecret(token)).Scan(&at, &n)
			if err != nil {
				t.Fatal(err)
			}
			return at, n
		}
		// Use slides the idle timeout (to the minute).
		setSeen(sess.Token, time.Now().Add(-10*time.Minute))
		if got, _ := s.SessionPrincipal(bg, sess.Token); got == nil {
			t.Fatal("session idle 10 minutes ended")
		}
		if at, _ := seenAt(sess.Token); time.Since(time.UnixMicro(at)) > time.Minute {
			t.Errorf("last seen not moved: %s ago", time.Since(time.UnixMicro(at)))
		}
		// Idle too long: ended and deleted.
		setSeen(sess.Token, time.Now().Add(-auth.SessionIdle-time.Minute))
		if got, _ := s.SessionPrincipal(bg, sess.Token); got != nil {
			t.Error("idle session still signs in")
		}
		if _, n := seenAt(sess.Token); n != 0 {
			t.Error("idle session not deleted")
		}
		// Sign-out.
		sess2, err := s.CreateSession(ctx, p, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.EndSession(ctx, sess2.Token); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.SessionPrincipal(bg, sess2.Token); got != nil {
			t.Error("ended session still signs in")
		}
		// Past its lifetime: refused, and the purge job removes it.
		sess3, err := s.CreateSession(ctx, p, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(bg, `UPDATE sessions SET expires_at = ? WHERE id = ?`, time.Now().Add(-time.Second).UnixMicro(), auth.HashSecret(sess3.Token)); err != nil {
			t.Fatal(err)
		}
		if n, err := s.PurgeSessions(bg); err != nil || n != 1 {
			t.Errorf("PurgeSessions = %d, %v; want 1", n, err)
		}
		if got, _ := s.SessionPrincipal(bg, sess3.Token); got != nil {
			t.Error("expired session still signs in")
		}
	})
}

// TestCheckRead: a missing object and one outside the caller's subtree
// answer the same "not found"; any other failure passes through.
func TestCheckRead(t *testing.T) {
	officer := &auth.Principal{Role: auth.RoleOfficer, UnitPath: "/1/7/", Via: "token"}
	notFound := errs.NotFound("host")
	never := func() string { panic("unitPath called although the load failed") }
	path := func(p string) func() string { return func() string { return p } }
	if err := officer.CheckRead(nil, path("/1/7/23/"), notFound); err != nil {
		t.Errorf("own subtree: %v", err)
	}
	if err := officer.CheckRead(nil, path("/1/8/"), notFound); err != notFound {
		t.Errorf("other subtree: %v", err)
	}
	if err := officer.CheckRead(sql.ErrNoRows, never, notFound); err != notFound {
		t.Errorf("no row: %v", err)
	}
	if err := officer.CheckRead(errs.NotFound("unit"), never, notFound); err != notFound {
		t.Errorf("not found from the loader: %v", err)
	}
	broken := errors.New("database is on fire")
	if err := officer.CheckRead(broken, never, notFound); !errors.Is(err, broken) {
		t.Errorf("database failure: %v, want it passed through", err)
	}
	if err := (&auth.Principal{Role: auth.RoleAdmin, Via: "agent"}).CheckRead(nil, path("/1/"), notFound); err != notFound {
		t.Errorf("agent credentials read nothing: %v", err)
	}
}
