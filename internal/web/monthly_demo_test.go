package web_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/monthly"
	"vigil/internal/store/storetest"
)

// TestDemoMonthlyReport: the demo organisation has last month's report,
// a draft of the whole organisation with a report per top-level unit,
// whose PDF renders; sections no provider measures yet are gaps. It also
// has the current month's so far, which shows the demo's alerts.
func TestDemoMonthlyReport(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	ctx := context.Background()
	h, err := hub.New(db, hub.Config{Logger: slog.New(slog.DiscardHandler), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@test.vigil", AdminPassword: testPassword, Demo: true, Stderr: io.Discard, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	p, err := h.Auth.Login(ctx, "admin@test.vigil", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	actx := auth.WithPrincipal(ctx, p)
	month := monthly.PreviousMonth(time.Now())
	r, err := h.Monthly.Find(actx, month, "")
	if err != nil {
		t.Fatalf("demo report of %s: %v", month, err)
	}
	if r.Status != monthly.StatusDraft || r.GeneratedBy != "system" || r.Figures.Incidents == nil {
		t.Errorf("demo report: %+v", r)
	}
	_, total, err := h.Monthly.List(actx, monthly.Filter{Month: month})
	if err != nil || total < 10 {
		t.Errorf("demo reports of %s: %d %v", month, total, err)
	}
	cur, err := h.Monthly.Find(actx, monthly.MonthOf(time.Now()), "")
	if err != nil || cur.Figures.AlertsTotal == 0 {
		t.Errorf("the current month's demo report: %v %+v", err, cur)
	}
	pdf, err := h.Monthly.Document(actx, r, monthly.FormatPDF)
	if err != nil || !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("pdf: %v", err)
	}
	// Loading the demo again makes no second report.
	if made, err := h.Monthly.LoadDemo(ctx); err != nil || made {
		t.Errorf("second demo load: %v %v", made, err)
	}
}
