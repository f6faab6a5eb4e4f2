package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/cli"
	"vigil/internal/hub"
	"vigil/internal/org"
	"vigil/internal/store/storetest"
)

// TestReadinessCommands opens a campaign, lists it, prints and saves its
// scoreboard and refreshes it, all through the hub's API.
func TestReadinessCommands(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	ctx := context.Background()
	h, err := hub.New(db, hub.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	const pw = "readiness-cli-password"
	if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@cli.vigil", AdminPassword: pw}); err != nil {
		t.Fatal(err)
	}
	sys := auth.WithPrincipal(ctx, auth.System)
	for _, u := range []org.UnitInput{{Code: "T01", Name: "Hà Nội", Kind: org.KindProvince, Parent: org.RootCode}, {Code: "T01-01", Name: "Ba Đình", Kind: org.KindDistrict, Parent: "T01"}} {
		if _, err := h.Org.CreateUnit(sys, u); err != nil {
			t.Fatal(err)
		}
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
	run := func(args ...string) (string, string, int) {
		t.Helper()
		var out, errb bytes.Buffer
		code := cli.Execute(ctx, root(), append(args, "--server", srv.URL, "--token", token), strings.NewReader(""), &out, &errb)
		return out.String(), errb.String(), code
	}
	out, _, code := run("readiness", "create", "--name", "Tết Đinh Mùi 2027", "--starts", "04/02/2027", "--due", "12/02/2027", "--units", "T01")
	if code != 0 || strings.TrimSpace(out) != "1" {
		t.Fatalf("create: %d %q", code, out)
	}
	if _, errOut, code := run("readiness", "create", "--name", "x", "--starts", "04/02/2027", "--due", "31/02/2027"); code == 0 || !strings.Contains(errOut, "due_at") {
		t.Errorf("bad deadline: %d %q", code, errOut)
	}
	if out, _, _ := run("readiness", "list"); !strings.Contains(out, "Tết Đinh Mùi 2027") || !strings.Contains(out, "12/02/2027") {
		t.Errorf("list: %s", out)
	}
	out, _, code = run("readiness", "scoreboard", "1")
	if code != 0 || !strings.Contains(out, "T01-01") || !strings.Contains(out, "Ba Đình") || strings.Contains(out, "BHXHVN") {
		t.Errorf("scoreboard: %s", out)
	}
	if out, _, _ := run("readiness", "scoreboard", "1", "--unit", "T01-01", "--criteria"); !strings.Contains(out, "m1.secret_protection") || strings.Contains(out, "T01 ") {
		t.Errorf("scoreboard --criteria: %s", out)
	}
	file := filepath.Join(t.TempDir(), "board.xlsx")
	if _, errOut, code := run("readiness", "scoreboard", "1", "--xlsx", file); code != 0 {
		t.Fatalf("xlsx: %s", errOut)
	}
	if data, err := os.ReadFile(file); err != nil || !bytes.HasPrefix(data, []byte("PK")) {
		t.Errorf("xlsx file: %v", err)
	}
	if out, _, code := run("readiness", "refresh", "1"); code != 0 || !strings.Contains(out, "2 units") {
		t.Errorf("refresh: %d %s", code, out)
	}
	if _, errOut, code := run("readiness", "refresh", "x"); code == 0 || !strings.Contains(errOut, "not a campaign id") {
		t.Errorf("refresh x: %s", errOut)
	}
	var help bytes.Buffer
	cli.Execute(ctx, root(), []string{"readiness", "create", "--help"}, strings.NewReader(""), &help, &help)
	if !strings.Contains(help.String(), "VIGIL_") {
		t.Errorf("help does not name the env vars: %s", help.String())
	}
}
