package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// TestLockoutHoldsAgainstParallelGuesses: wrong passwords sent all at once
// (inside the throttle's burst) count one by one, so the burst locks
// sign-in from that address like the same guesses in a row would, and the
// right password is refused after it.
func TestLockoutHoldsAgainstParallelGuesses(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		var wg sync.WaitGroup
		start := make(chan struct{})
		const n = 16 // inside the throttle's burst of 20
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				body := fmt.Sprintf(`{"email":"viewera@test.vigil","password":"wrong-password-%02d"}`, i)
				req, _ := http.NewRequest("POST", w.srv.URL+"/api/v1/auth/token", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}(i)
		}
		close(start)
		wg.Wait()
		r := w.call("", "POST", "/api/v1/auth/token", map[string]string{"email": "viewera@test.vigil", "password": testPassword})
		if r.Status == 201 {
			t.Errorf("after %d wrong passwords sent together the right one still signs in from the same address", n)
		}
	})
}

// TestTrustProxyUsesAddressProxySaw: with --trust-proxy the client address
// is the rightmost X-Forwarded-For entry, the one the proxy appended; what
// the client wrote to its left proves nothing. A client claiming a new
// address on every request is still throttled as one address, and the
// audit log records the address the proxy saw.
func TestTrustProxyUsesAddressProxySaw(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	h, err := hub.New(db, hub.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test", TrustProxy: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Bootstrap(context.Background(), hub.Config{AdminEmail: "admin@test.vigil", AdminPassword: testPassword}); err != nil {
		t.Fatal(err)
	}
	// This test is about which address the throttle counts, not its rate:
	// a bucket that barely refills keeps a slow machine (40 argon2
	// verifications took 51 s on a loaded one) from refilling it mid-test.
	h.Auth.Throttle = auth.NewThrottle(20, 0.01)
	srv := httptest.NewServer(h.Server.Handler())
	defer srv.Close()
	// The reverse proxy appends the real client (203.0.113.7) to whatever
	// the client sent; the attacker sends a fresh fake address each time.
	post := func(i int, email, password string) int {
		body := fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/auth/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d, 203.0.113.7", i%250+1))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	throttled := false
	for i := 0; i < 40; i++ { // burst is 20 per address
		if post(i, fmt.Sprintf("nobody%d@test.vigil", i), "wrong-password-x") == http.StatusTooManyRequests {
			throttled = true
			break
		}
	}
	if !throttled {
		t.Error("40 sign-in attempts from one real address (203.0.113.7) were never throttled: the throttle keys on the spoofable leftmost X-Forwarded-For")
	}
	// The audit log records the forged address.
	var ip string
	db.QueryRow(context.Background(), `SELECT ip FROM audit_log WHERE action = 'auth.login_failed' ORDER BY seq DESC LIMIT 1`).Scan(&ip)
	if strings.HasPrefix(ip, "198.51.100.") {
		t.Errorf("audit log records the client-forged address %s, not the proxy-reported 203.0.113.7", ip)
	}
}

// TestPasswordResetEndsSessionsAndTokens: resetting a password (the answer
// to a stolen one) ends every session and revokes every API token the
// thief made with the old password.
func TestPasswordResetEndsSessionsAndTokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// The thief signs in with the stolen password: a session and a token.
		thief := newFormClient(t, w)
		if s := thief.login("viewera@test.vigil", testPassword); s != 303 {
			t.Fatalf("login %d", s)
		}
		r := w.call("", "POST", "/api/v1/auth/token", map[string]string{"email": "viewera@test.vigil", "password": testPassword, "expires_in": "8000h"})
		expect(t, r, 201, "thief's token")
		var tok struct{ Token string }
		json.Unmarshal(r.Body, &tok)
		// The admin resets the password.
		expect(t, w.call("admin", "PATCH", "/api/v1/users/"+itoa(w.userIDs["viewerA"]), map[string]any{"password": "a-brand-new-password"}), 200, "reset")
		if s, _, _ := thief.do("GET", "/api/v1/me", nil, nil); s == 200 {
			t.Error("the thief's session still works after the password was reset")
		}
		req, _ := http.NewRequest("GET", w.srv.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("the thief's API token still works after the password was reset")
		}
	})
}
