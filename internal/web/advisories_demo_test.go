package web_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"vigil/internal/advisory"
	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/store/storetest"
)

// TestDemoAdvisories: the demo's Microsoft advisory targets every unit and
// links units to their open findings about its CVEs; the phishing one has
// late units; a draft came from the RSS channel.
func TestDemoAdvisories(t *testing.T) {
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
	list, total, err := h.Advisories.List(actx, advisory.Filter{Sort: "ref"})
	if err != nil || total != 3 {
		t.Fatalf("demo advisories: %d, %v", total, err)
	}
	ms, phishing, draft := list[0], list[1], list[2]
	if ms.Status != "issued" || ms.Completed == 0 || ms.Acked <= ms.Completed || ms.Completed == ms.Targets || draft.Status != "draft" || draft.Issuer != "VNCERT/CC" {
		t.Errorf("demo: %+v / %+v", ms, draft)
	}
	if phishing.Overdue == 0 || phishing.Overdue == phishing.Targets {
		t.Errorf("phishing advisory: %d of %d units overdue", phishing.Overdue, phishing.Targets)
	}
	units, _, err := h.Advisories.Targets(actx, ms.ID, advisory.TargetFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	withFindings, root := 0, 0
	for _, u := range units {
		if u.Findings > 0 && u.Depth > 0 {
			withFindings++
		}
		if u.Depth == 0 {
			root = u.Findings
		}
	}
	if withFindings == 0 || root == 0 {
		t.Errorf("Microsoft advisory: %d units with matching findings, %d in all", withFindings, root)
	}
	t.Logf("demo: %d target units, %d with open findings about the CVEs (%d findings); phishing: %d of %d late", len(units), withFindings, root, phishing.Overdue, phishing.Targets)
	if !strings.Contains(strings.Join(ms.CVEs, " "), "CVE-2023-36025") {
		t.Errorf("CVEs %v", ms.CVEs)
	}
}
