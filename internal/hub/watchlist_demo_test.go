package hub_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/watchlist"
)

// `vigil serve --demo`: the published demo list is matched and the demo
// units have queues, one item already closed with evidence (T01), one past
// its deadline (T48, among the late units).
func TestWatchlistDemo(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h, err := hub.New(db, hub.Config{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Bootstrap(ctx, hub.Config{Logger: slog.New(slog.DiscardHandler), Demo: true, AdminEmail: "admin@test.vigil", AdminPassword: "correct-horse-battery"}); err != nil {
			t.Fatal(err)
		}
		sys := auth.WithPrincipal(ctx, auth.System)
		closed, _, err := h.Watchlist.List(sys, watchlist.Filter{Unit: "T01", Statuses: []string{"resolved"}})
		if err != nil || len(closed) == 0 {
			t.Fatalf("T01 has no closed item: %v", err)
		}
		files, err := h.Watchlist.Evidence(sys, closed[0].ID)
		if err != nil || len(files) != 1 || len(files[0].SHA256) != 64 {
			t.Errorf("the closed item's evidence: %v %v", files, err)
		}
		open, _, err := h.Watchlist.List(sys, watchlist.Filter{Unit: "T48", Statuses: []string{"active"}})
		if err != nil || len(open) == 0 {
			t.Fatalf("T48 has no queue: %v", err)
		}
		late, total, err := h.Watchlist.LateUnits(sys, watchlist.LateFilter{})
		if err != nil || len(late) == 0 || total != len(late) || late[0].Unit != "T48" {
			t.Errorf("late units: %+v %d %v", late, total, err)
		}
		// The demo's account is one in use: never a disabled account
		// (the built-in Guest), which matching leaves out.
		accounts, _, err := h.Watchlist.List(sys, watchlist.Filter{Unit: "T01", Objects: []string{watchlist.ObjectAccount}})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range accounts {
			if strings.EqualFold(a.Value, "guest") {
				t.Errorf("a hit on the disabled Guest account: %+v", a)
			}
		}
		// Loading again adds nothing.
		if n, err := h.Watchlist.LoadDemo(ctx, nil); err != nil || n != 0 {
			t.Errorf("second load: %d %v", n, err)
		}
	})
}
