package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"vigil/internal/auth"
	"vigil/internal/cli"
	"vigil/internal/hub"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// TestWatchlistCommands lists a unit's warning-list matches through the
// API, as a table and as JSON, and records an action with an evidence file.
func TestWatchlistCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h, err := hub.New(db, hub.Config{Logger: slog.New(slog.DiscardHandler), Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		const pw = "watchlist-cli-password"
		if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@cli.vigil", AdminPassword: pw}); err != nil {
			t.Fatal(err)
		}
		sys := auth.WithPrincipal(ctx, auth.System)
		if _, err := h.Org.CreateUnit(sys, org.UnitInput{Code: "T01", Name: "Hà Nội", Kind: org.KindProvince, Parent: org.RootCode}); err != nil {
			t.Fatal(err)
		}
		now := store.Now()
		if _, err := db.Exec(ctx, `INSERT INTO hosts (unit_id, hostname, hostname_key, addresses, source, first_seen_at, last_seen_at) SELECT id, 'PC-KT-01', 'pc-kt-01', '10.1.1.5', 'csv', ?, ? FROM units WHERE code = 'T01'`, now, now); err != nil {
			t.Fatal(err)
		}
		var list, ind int64
		db.QueryRow(ctx, `INSERT INTO warning_lists (name, month, status, status_since, created_at) VALUES ('Tháng 12', '2026-12', 'published', ?, ?) RETURNING id`, now, now).Scan(&list)
		db.QueryRow(ctx, `INSERT INTO intel_indicators (kind, value, source, stix_id, created_at, updated_at) VALUES ('ip', '10.1.1.5', 'test', 'indicator--x', ?, ?) RETURNING id`, now, now).Scan(&ind)
		if _, err := db.Exec(ctx, `INSERT INTO warning_list_entries (list_id, indicator_id, reason, added_at) VALUES (?, ?, 'Máy bị điều khiển', ?)`, list, ind, now); err != nil {
			t.Fatal(err)
		}
		h.Watchlist.Start(sys, list)
		h.Watchlist.Wait()
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
		out := run("watchlist", "hits", "--unit", "T01", "--status", "active")
		if !strings.Contains(out, "10.1.1.5") || !strings.Contains(out, "PC-KT-01") || !strings.Contains(out, "scan") {
			t.Errorf("hits:\n%s", out)
		}
		// The deadline as the page shows it: dd/mm/yyyy in Vietnam.
		if !regexp.MustCompile(`\s\d\d/\d\d/\d{4}\s`).MatchString(out) || regexp.MustCompile(`\d{4}-\d\d-\d\d`).MatchString(out) {
			t.Errorf("hits' deadline is not dd/mm/yyyy:\n%s", out)
		}
		out = run("watchlist", "hits", "--unit", "T01", "--json")
		for _, k := range []string{`"kind":"ip"`, `"value":"10.1.1.5"`, `"host":"PC-KT-01"`, `"unit":"T01"`, `"reason":"Máy bị điều khiển"`, `"status":"open"`, `"due_at":`} {
			if !strings.Contains(out, k) {
				t.Errorf("hits --json lacks %s:\n%s", k, out)
			}
		}
		file := filepath.Join(t.TempDir(), "bao-cao.txt")
		os.WriteFile(file, []byte("sạch\n"), 0o600)
		out = run("watchlist", "action", "--action", "scan", "--note", "Đã quét toàn bộ", "--evidence", file, "1")
		if !strings.Contains(out, "bao-cao.txt attached") || !strings.Contains(out, "in_progress") {
			t.Errorf("action:\n%s", out)
		}
		var errb bytes.Buffer
		if code := cli.Execute(ctx, root(), []string{"watchlist", "action", "--action", "pray", "--note", "x", "1", "--server", srv.URL, "--token", token}, strings.NewReader(""), io.Discard, &errb); code == 0 || !strings.Contains(errb.String(), "pray") {
			t.Errorf("a bad action was accepted: %s", errb.String())
		}
	})
}
