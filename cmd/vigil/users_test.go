package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/cli"
	"vigil/internal/hub"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// TestUsersListFollowsCursors lists more users than one page holds: the
// command follows the answers' next cursors (opaque offsets) and prints
// every user exactly once.
func TestUsersListFollowsCursors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h, err := hub.New(db, hub.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		const pw = "users-list-password"
		if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@cli.vigil", AdminPassword: pw}); err != nil {
			t.Fatal(err)
		}
		sys := auth.WithPrincipal(ctx, auth.System)
		emails := []string{"admin@cli.vigil"}
		for _, name := range []string{"an", "binh", "chi", "dung", "em"} {
			u, err := h.Org.CreateUser(sys, org.UserInput{Email: name + "@cli.vigil", Name: "Cán bộ " + name, Password: pw, Role: "viewer", Unit: org.RootCode})
			if err != nil {
				t.Fatal(err)
			}
			emails = append(emails, u.Email)
		}
		p, err := h.Auth.Login(ctx, "admin@cli.vigil", pw)
		if err != nil {
			t.Fatal(err)
		}
		_, token, err := h.Auth.CreateToken(auth.WithPrincipal(ctx, p), "cli", 0)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h.Server.Handler())
		defer srv.Close()

		old := usersPageSize
		usersPageSize = 2
		defer func() { usersPageSize = old }()
		var out, errb bytes.Buffer
		if code := cli.Execute(ctx, root(), []string{"users", "list", "--server", srv.URL, "--token", token}, strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("users list: exit %d: %s", code, errb.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 1+len(emails) {
			t.Fatalf("users list printed %d lines, want a header and %d users:\n%s", len(lines), len(emails), out.String())
		}
		for _, e := range emails {
			if n := strings.Count(out.String(), " "+e+" "); n != 1 {
				t.Errorf("%s printed %d times", e, n)
			}
		}
	})
}
