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
	"vigil/internal/errs"
	"vigil/internal/hub"
	"vigil/internal/incident"
	"vigil/internal/natreport"
	"vigil/internal/org"
	"vigil/internal/store/storetest"
)

// cliCases is one case of unit T01, for the hub's reports while the
// incidents service is not wired into this test hub.
type cliCases struct{ c *natreport.Case }

func (f cliCases) ReportCase(ctx context.Context, id int64) (*natreport.Case, error) {
	if id != f.c.ID {
		return nil, errs.NotFound("incident")
	}
	cp := *f.c
	return &cp, nil
}

func (f cliCases) ReportCases(ctx context.Context, unit string, from, to time.Time) ([]*natreport.Case, error) {
	return []*natreport.Case{f.c}, nil
}

// TestReportCommands drafts, fills, submits, approves and downloads a
// case's initial report, prints the summary and the template, all through
// the hub's API.
func TestReportCommands(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	ctx := context.Background()
	h, err := hub.New(db, hub.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	const pw = "report-cli-password"
	if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@cli.vigil", AdminPassword: pw}); err != nil {
		t.Fatal(err)
	}
	sys := auth.WithPrincipal(ctx, auth.System)
	u, err := h.Org.CreateUnit(sys, org.UnitInput{Code: "T01", Name: "Bảo hiểm xã hội thành phố Hà Nội", Kind: org.KindProvince, Parent: org.RootCode})
	if err != nil {
		t.Fatal(err)
	}
	p, err := h.Auth.Login(ctx, "admin@cli.vigil", pw)
	if err != nil {
		t.Fatal(err)
	}
	if h.Reports.Cases == nil {
		h.Reports.Cases = cliCases{&natreport.Case{ID: 1, Number: "SC-2026-0001", Title: "Tấn công thay đổi giao diện cổng thông tin", Category: "defacement",
			UnitID: u.ID, UnitCode: "T01", UnitName: u.Name, Status: "recovery", DetectedAt: time.Now().Add(-2 * time.Hour)}}
	} else if _, err := h.Incidents.Create(auth.WithPrincipal(ctx, p), incident.Input{Title: "Tấn công thay đổi giao diện cổng thông tin",
		Category: "defacement", Severity: "high", Units: []string{"T01"}}); err != nil {
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
	run("report", "profile", "--unit", "T01", "address=Số 86 Trần Hưng Đạo", "phone=024 3942 0000", "email=vanphong@hn.vss.gov.vn",
		"contact_name=Phạm Quang Huy", "contact_phone=0913 000 111", "contact_email=huy.pq@hn.vss.gov.vn", "number_prefix=BC-HN")
	out := run("report", "draft", "--case", "1", "--form", "initial")
	if !strings.Contains(out, "report 1: initial of case 1") || !strings.Contains(out, "to fix: detection") {
		t.Fatalf("draft: %s", out)
	}
	run("report", "set", "1", "detection=monitoring", "notified=owner,vncert")
	run("report", "submit", "1")
	if out := run("report", "approve", "1"); !strings.Contains(out, "number 001/BC-HN") {
		t.Errorf("approve: %s", out)
	}
	file := filepath.Join(t.TempDir(), "r.pdf")
	run("report", "download", "1", "--format", "pdf", "--out", file)
	if b, _ := os.ReadFile(file); !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("download: %.20q", b)
	}
	if out := run("report", "show", "1"); !strings.Contains(out, "BÁO CÁO BAN ĐẦU SỰ CỐ MẠNG") || !strings.Contains(out, "Phạm Quang Huy") {
		t.Errorf("show: %s", out)
	}
	month := time.Now().Format("2006-01")
	if out := run("report", "summary", "--from", month, "--to", month, "--unit", "T01"); !strings.Contains(out, "Thay đổi giao diện | 1 | 1") {
		t.Errorf("summary: %s", out)
	}
	if out := run("report", "template", "final"); !strings.Contains(out, "title = BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ") {
		t.Errorf("template: %s", out)
	}
	if out := run("report", "list"); !strings.Contains(out, "001/BC-HN") {
		t.Errorf("list: %s", out)
	}
	var errb bytes.Buffer
	if code := cli.Execute(ctx, root(), []string{"report", "submit", "x", "--server", srv.URL, "--token", token}, strings.NewReader(""), io.Discard, &errb); code == 0 {
		t.Error("a bad id was accepted")
	}
}
