package web_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/scanimport"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// TestDemoScanImports: the demo shows two weekly scans per demo officer's
// unit, the second closing what it no longer sees, and a scanned host the
// inventory did not know.
func TestDemoScanImports(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
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
		l, total, err := h.Scans.List(auth.WithPrincipal(ctx, p), scanimport.Filter{})
		if err != nil || total != 4 {
			t.Fatalf("demo imports: %d, %v", total, err)
		}
		closed := 0
		for _, im := range l {
			closed += im.FindClose
			if im.FindNew+im.FindUpd == 0 || im.Status != "done" {
				t.Errorf("demo import %s: %+v", im.File, im)
			}
		}
		var fixed int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM findings WHERE status = 'resolved' AND note LIKE '%fixed, verified by scan quet-tuan-2-%'`).Scan(&fixed)
		if closed < 2 || fixed != closed {
			t.Errorf("demo: %d closed by the second scans, %d findings say so", closed, fixed)
		}
		var nas int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM hosts WHERE source = 'scan' AND hostname = 'nas-luutru'`).Scan(&nas)
		if nas != 2 || !strings.HasPrefix(l[0].File, "quet-tuan-2") {
			t.Errorf("demo: %d scanned NAS hosts, newest import %s", nas, l[0].File)
		}
	})
}
