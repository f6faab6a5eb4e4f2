package web_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/intel"
	"vigil/internal/store/storetest"
)

// TestDemoWarningLists: `vigil serve --demo` publishes this month's list
// (shared samples when present, the demo hosts' addresses, an account, a
// host name) through the import path, and last month's list in two
// versions, the first superseded; the watchlist matches the hosts.
func TestDemoWarningLists(t *testing.T) {
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
	lists, _, err := h.Intel.Lists(actx, intel.ListFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]int{}
	var current *intel.List
	for _, l := range lists {
		status[l.Status]++
		if strings.HasPrefix(l.Name, "Danh sách cảnh báo tháng ") && l.Status == intel.ListPublished && (current == nil || l.Month > current.Month) {
			current = l
		}
	}
	if status[intel.ListSuperseded] != 1 || status[intel.ListPublished] < 2 || current == nil {
		t.Fatalf("demo lists: %v", status)
	}
	ents, total, err := h.Intel.Entries(actx, current.ID, intel.EntryFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, e := range ents {
		kinds[e.Kind]++
	}
	if kinds["account"] != 1 || kinds["hostname"] != 1 || kinds["ip"] < 3 || total < 6 {
		t.Errorf("%s holds %d entries: %v", current.Name, total, kinds)
	}
	t.Logf("%s: %d entries %v", current.Name, total, kinds)
	if got, _ := h.Intel.AgentIndicators(ctx); len(got) < total {
		t.Errorf("agents get %d indicators", len(got))
	}
}
