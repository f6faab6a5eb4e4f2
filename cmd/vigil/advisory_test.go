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
	"vigil/internal/org"
	"vigil/internal/store/storetest"
)

// TestAdvisoryCommands drafts and issues an advisory, acknowledges and
// completes it for a unit, and imports an RSS document, all through the
// hub's API.
func TestAdvisoryCommands(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	ctx := context.Background()
	h, err := hub.New(db, hub.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	const pw = "advisory-cli-password"
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
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := cli.Execute(ctx, root(), append(args, "--server", srv.URL, "--token", token), strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	deadline := time.Now().AddDate(0, 0, 20).Format("02/01/2006")
	out := run("advisory", "create", "--title", "Vá Microsoft Outlook", "--severity", "critical", "--cve", "cve-2023-23397", "--product", "Microsoft Outlook 2016",
		"--deadline", deadline, "--unit", "T01", "--issue")
	if !strings.Contains(out, "CB-") || !strings.Contains(out, "issued, 2 target units") {
		t.Fatalf("create --issue: %s", out)
	}
	out = run("advisory", "ack", "1", "--unit", "T01-01")
	if !strings.Contains(out, "unit T01-01: acknowledged") {
		t.Errorf("ack: %s", out)
	}
	out = run("advisory", "complete", "1", "--unit", "T01", "--note", "Đã cài bản vá", "--evidence", "CV 15/BHXH-CNTT")
	if !strings.Contains(out, "unit T01: completed") {
		t.Errorf("complete: %s", out)
	}
	out = run("advisory", "show", "1")
	if !strings.Contains(out, "2 units: 2 acknowledged, 1 completed, 0 overdue") || !strings.Contains(out, "CVE-2023-23397") {
		t.Errorf("show: %s", out)
	}
	file := filepath.Join(t.TempDir(), "cert.xml")
	doc, err := os.ReadFile("../../internal/advisory/testdata/cert-rss.xml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	if out := run("advisory", "import-feed", file, "--channel", "VNCERT/CC"); !strings.Contains(out, "3 new drafts from channel VNCERT/CC") {
		t.Errorf("import-feed: %s", out)
	}
	out = run("advisory", "list", "--status", "draft")
	if strings.Count(out, "draft") != 3 {
		t.Errorf("list drafts:\n%s", out)
	}
	var errb bytes.Buffer
	if code := cli.Execute(ctx, root(), []string{"advisory", "complete", "1", "--server", srv.URL, "--token", token}, strings.NewReader(""), io.Discard, &errb); code == 0 {
		t.Error("complete without --note was accepted")
	}
}
