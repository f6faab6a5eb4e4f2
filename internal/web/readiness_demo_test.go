package web_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/readiness"
	"vigil/internal/store/storetest"
)

// TestDemoReadiness: the demo opens "Tết Đinh Mùi 2027" over every demo
// unit, computed, with one officer's attestation waiting for review and
// measure 5 on the IT Center alone.
func TestDemoReadiness(t *testing.T) {
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
	list, total, err := h.Readiness.List(actx, readiness.Filter{})
	if err != nil || total != 1 || list[0].Name != readiness.DemoCampaign || list[0].RefreshedAt.IsZero() {
		t.Fatalf("demo campaigns: %d %+v %v", total, list, err)
	}
	sb, err := h.Readiness.Scoreboard(actx, list[0].ID, readiness.ScoreFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sb.Units) != list[0].Targets || len(sb.Units) < 5 {
		t.Fatalf("%d units on the scoreboard of %d targets", len(sb.Units), list[0].Targets)
	}
	m5 := 0
	for _, u := range sb.Units {
		if u.Measure(5) != nil {
			m5++
		}
	}
	if m5 != 1 {
		t.Errorf("measure 5 on %d units, want the IT Center alone", m5)
	}
	waiting, n, err := h.Readiness.Attestations(actx, readiness.AttestFilter{Campaign: list[0].ID, State: readiness.AttestSubmitted})
	if err != nil || n != 1 || len(waiting[0].Files) != 1 {
		t.Fatalf("demo attestation: %d %v", n, err)
	}
	// Loading the demo again adds nothing.
	if n, err := h.Readiness.LoadDemo(ctx, nil); err != nil || n != 0 {
		t.Errorf("second demo load: %d %v", n, err)
	}
}
