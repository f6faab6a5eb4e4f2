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
	"time"

	"vigil/internal/auth"
	"vigil/internal/cli"
	"vigil/internal/hub"
	"vigil/internal/monthly"
	"vigil/internal/org"
	"vigil/internal/store/storetest"
)

// TestMonthlyCommands generates, reviews, publishes, lists and downloads
// last month's report through the hub's API.
func TestMonthlyCommands(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	ctx := context.Background()
	h, err := hub.New(db, hub.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	const pw = "monthly-cli-password"
	if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@cli.vigil", AdminPassword: pw}); err != nil {
		t.Fatal(err)
	}
	sys := auth.WithPrincipal(ctx, auth.System)
	if _, err := h.Org.CreateUnit(sys, org.UnitInput{Code: "T01", Name: "Bảo hiểm xã hội thành phố Hà Nội", Kind: org.KindProvince, Parent: org.RootCode}); err != nil {
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
	month := monthly.PreviousMonth(time.Now())
	out := run("report", "monthly", "generate", "--month", month)
	if !strings.Contains(out, "monthly report 1: "+month) || !strings.Contains(out, "draft") {
		t.Fatalf("generate: %s", out)
	}
	run("report", "monthly", "review", "1")
	if out := run("report", "monthly", "publish", "1"); !strings.Contains(out, "published by admin@cli.vigil") {
		t.Errorf("publish: %s", out)
	}
	if out := run("report", "monthly", "list", "--status", "published"); !strings.Contains(out, "T01") || !strings.Contains(out, month) {
		t.Errorf("list: %s", out)
	}
	if out := run("report", "monthly", "acks", "1"); !strings.Contains(out, "T01") {
		t.Errorf("acks: %s", out)
	}
	file := filepath.Join(t.TempDir(), "m.pdf")
	run("report", "monthly", "download", "--month", month, "--out", file)
	if b, _ := os.ReadFile(file); !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("download: %.20q", b)
	}
	if out := run("report", "monthly", "download", "--month", month, "--unit", "T01", "--format", "json", "--out", "-"); !strings.Contains(out, `"unit":"T01"`) {
		t.Errorf("json: %s", out)
	}
	var errb bytes.Buffer
	if code := cli.Execute(ctx, root(), []string{"report", "monthly", "review", "x", "--server", srv.URL, "--token", token}, strings.NewReader(""), io.Discard, &errb); code == 0 {
		t.Error("a bad id was accepted")
	}
}
