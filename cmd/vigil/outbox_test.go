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
	"vigil/internal/outbox"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// TestOutboxCommands sets the recipients, lists a queued report's
// deliveries and retries one, through the hub's API.
func TestOutboxCommands(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	ctx := context.Background()
	h, err := hub.New(db, hub.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	const pw = "outbox-cli-password"
	if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@cli.vigil", AdminPassword: pw}); err != nil {
		t.Fatal(err)
	}
	sys := auth.WithPrincipal(ctx, auth.System)
	u, err := h.Org.CreateUnit(sys, org.UnitInput{Code: "T01", Name: "Hà Nội", Kind: org.KindProvince, Parent: org.RootCode})
	if err != nil {
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
	run := func(args ...string) (string, string, int) {
		t.Helper()
		var out, errb bytes.Buffer
		code := cli.Execute(ctx, root(), append(args, "--server", srv.URL, "--token", token), strings.NewReader(""), &out, &errb)
		return out.String(), errb.String(), code
	}
	out, errOut, code := run("outbox", "settings", "incident_initial", "--coordinator-name", "VNCERT/CC", "--coordinator-email", "ir@vncert.test,soc@a05.test",
		"--http-url", "http://127.0.0.1:9/irlab", "--secret", "outbox-cli-secret-0123456789")
	if code != 0 || !strings.Contains(out, "VNCERT/CC: ir@vncert.test, soc@a05.test") || !strings.Contains(out, "secret …6789") || strings.Contains(out, "cli-secret") {
		t.Fatalf("settings: %d %s %s", code, out, errOut)
	}
	if _, errOut, code := run("outbox", "settings", "incident_initial", "--coordinator-email", "nope"); code == 0 || !strings.Contains(errOut, "nope") {
		t.Fatalf("bad address: %d %s", code, errOut)
	}
	err = db.InTx(sys, func(tx *store.Tx) error {
		_, err := h.Outbox.Enqueue(sys, tx, outbox.Message{Purpose: outbox.PurposeInitial, ObjectType: "incident", ObjectID: "3", UnitID: u.ID,
			Subject: "[TBSC] Báo cáo ban đầu", Body: "x", JSON: []byte(`{}`), Key: "BC-1"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code = run("outbox", "list", "--case", "3", "--channel", "email")
	if code != 0 || strings.Count(out, "incident_initial") != 2 || !strings.Contains(errOut, "2 of 2 deliveries") {
		t.Fatalf("list: %d %s %s", code, out, errOut)
	}
	if out, errOut, code = run("outbox", "retry", "1"); code != 0 || !strings.Contains(out, "delivery 1 to ir@vncert.test: pending") {
		t.Fatalf("retry: %d %s %s", code, out, errOut)
	}
	if _, errOut, code = run("outbox", "retry", "x"); code == 0 || !strings.Contains(errOut, "not a delivery id") {
		t.Fatalf("retry x: %d %s", code, errOut)
	}
	out, _, code = run("outbox", "settings")
	if code != 0 || !strings.Contains(out, "incident_summary") {
		t.Fatalf("settings: %s", out)
	}
	var help bytes.Buffer
	cli.Execute(ctx, root(), []string{"outbox", "list", "--help"}, strings.NewReader(""), &help, &help)
	if !strings.Contains(help.String(), "--purpose") {
		t.Fatalf("help: %s", help.String())
	}
}
