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
	"vigil/internal/store/storetest"
)

// TestIncidentCommands opens a case, moves it, notes it and closes it,
// and reads its clocks, the summary and its STIX export, all through the
// hub's API.
func TestIncidentCommands(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	ctx := context.Background()
	h, err := hub.New(db, hub.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	const pw = "incident-cli-password"
	if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@cli.vigil", AdminPassword: pw}); err != nil {
		t.Fatal(err)
	}
	sys := auth.WithPrincipal(ctx, auth.System)
	if _, err := h.Org.CreateUnit(sys, org.UnitInput{Code: "T01", Name: "Hà Nội", Kind: org.KindProvince, Parent: org.RootCode}); err != nil {
		t.Fatal(err)
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
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := cli.Execute(ctx, root(), append(args, "--server", srv.URL, "--token", token), strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	if out := run("incident", "create", "--title", "Giả mạo thư điện tử lãnh đạo", "--category", "phishing", "--severity", "high", "--unit", "T01",
		"--detected", "01/12/2026 08:30"); !strings.Contains(out, "opened for T01, initial report due 06/12/2026 08:30") {
		t.Errorf("create: %s", out)
	}
	run("incident", "status", "1", "triage")
	run("incident", "note", "1", "Đã chặn tên miền giả mạo.")
	if out := run("incident", "list", "--unit", "T01"); !strings.Contains(out, "SC-") || !strings.Contains(out, "triage") {
		t.Errorf("list: %s", out)
	}
	if out := run("incident", "show", "1"); !strings.Contains(out, "initial") || !strings.Contains(out, "Đã chặn tên miền giả mạo.") {
		t.Errorf("show: %s", out)
	}
	run("incident", "status", "1", "closed", "--note", "Đã thu hồi thư, đổi mật khẩu.")
	if out := run("incident", "timers", "--legal"); !strings.Contains(out, "final") {
		t.Errorf("timers: %s", out)
	}
	if out := run("incident", "summary", "--month", "2026-12"); !strings.Contains(out, "1 cases (0 open, 1 closed)") {
		t.Errorf("summary: %s", out)
	}
	if out := run("incident", "stix", "1"); !strings.Contains(out, `"type": "incident"`) {
		t.Errorf("stix: %s", out)
	}
	var errb bytes.Buffer
	if code := cli.Execute(ctx, root(), []string{"incident", "status", "1", "--server", srv.URL, "--token", token}, strings.NewReader(""), io.Discard, &errb); code == 0 {
		t.Error("status without the status succeeded")
	}
}
