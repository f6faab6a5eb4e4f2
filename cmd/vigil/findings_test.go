package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/cli"
	"vigil/internal/findings"
	"vigil/internal/hub"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// TestFindingsCommands lists a unit's Microsoft 2023 fixes and a CVE's
// findings through the API, and changes a due-day setting.
func TestFindingsCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h, err := hub.New(db, hub.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		const pw = "findings-cli-password"
		if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@cli.vigil", AdminPassword: pw}); err != nil {
			t.Fatal(err)
		}
		sys := auth.WithPrincipal(ctx, auth.System)
		if _, err := h.Org.CreateUnit(sys, org.UnitInput{Code: "T01", Name: "Hà Nội", Kind: org.KindProvince, Parent: org.RootCode}); err != nil {
			t.Fatal(err)
		}
		var host int64
		now := time.Now()
		if err := db.QueryRow(ctx, `INSERT INTO hosts (unit_id, hostname, hostname_key, source, first_seen_at, last_seen_at) SELECT id, 'SRV-01', 'srv-01', 'csv', ?, ? FROM units WHERE code = 'T01' RETURNING id`,
			store.Micros(now), store.Micros(now)).Scan(&host); err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			for _, o := range []findings.Observation{
				{HostID: host, Kind: findings.KindMissingUpdate, Key: "kb:5033371", Title: "KB5033371", Severity: "critical", Source: "msrc", CVE: "CVE-2023-35641", CVSS: 8.8,
					Evidence: findings.MissingUpdateEvidence{KB: "5033371", CVEs: []string{"CVE-2023-35641"}, Document: "2023-Dec"}},
				{HostID: host, Kind: findings.KindVulnerability, Key: "cve:CVE-2023-44487:443", Title: "HTTP/2 Rapid Reset", Severity: "high", Source: "nvd", CVE: "CVE-2023-44487",
					CVSS: 7.5, KEV: true, KEVDue: time.Date(2023, 10, 31, 0, 0, 0, 0, time.UTC), Port: "443"},
			} {
				if _, _, err := findings.Record(ctx, tx, o); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
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
		out := run("findings", "list", "--unit", "T01", "--ms2023")
		if !strings.Contains(out, "KB5033371") || strings.Contains(out, "CVE-2023-44487") || !strings.Contains(out, "SRV-01") {
			t.Errorf("ms2023 list:\n%s", out)
		}
		out = run("findings", "list", "--cve", "cve-2023-44487", "--json")
		if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1 || !strings.Contains(out, `"kev_due":"2023-10-31`) {
			t.Errorf("cve list as JSON:\n%s", out)
		}
		out = run("findings", "due-days", "--set", "vulnerability/critical=5")
		if !regexp.MustCompile(`vulnerability +critical +5 +admin@cli.vigil`).MatchString(out) {
			t.Errorf("due days:\n%s", out)
		}
		var errb bytes.Buffer
		if code := cli.Execute(ctx, root(), []string{"findings", "due-days", "--set", "vulnerability=5", "--server", srv.URL, "--token", token}, strings.NewReader(""), io.Discard, &errb); code == 0 {
			t.Errorf("a malformed --set was accepted")
		}
	})
}
