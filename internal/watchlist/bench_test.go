package watchlist_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"vigil/internal/asset"
	"vigil/internal/auth"
	"vigil/internal/intel"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/watchlist"
)

// benchScale is the size of the publish benchmark. The figure
// (1,000,000 indicators against 50,000 hosts and 10,000,000 stored alert
// events on SQLite, < 60 s) runs with VIGIL_BENCH_WATCHLIST=full
// (scripts/bench-watchlist.sh, part of make bench); without it `go test
// -bench` runs a hundredth of it.
type benchScale struct {
	indicators, hosts, alerts, events int
}

func scaleOf() benchScale {
	if os.Getenv("VIGIL_BENCH_WATCHLIST") == "full" {
		return benchScale{indicators: 1_000_000, hosts: 50_000, alerts: 100_000, events: 10_000_000}
	}
	return benchScale{indicators: 10_000, hosts: 500, alerts: 1_000, events: 100_000}
}

// benchDB builds (once per directory) a SQLite database of the scale:
// units, hosts with inventories (an address, three accounts, ten process
// hashes), a warning list of the indicators (1 in 1,000 of them naming
// something a host or an event shows), alerts and their events. Rows are
// generated with SQL in big transactions.
func benchDB(b *testing.B, sc benchScale) (*store.DB, int64) {
	b.Helper()
	ctx := context.Background()
	dir := os.Getenv("VIGIL_BENCH_WATCHLIST_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	db, err := store.Open(ctx, dir, "")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	var listID int64
	if err := db.QueryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM warning_lists WHERE name = 'bench'`).Scan(&listID); err != nil {
		b.Fatal(err)
	}
	if listID > 0 {
		return db, listID // built by an earlier run
	}
	var partial int
	db.QueryRow(ctx, `SELECT COUNT(*) FROM warning_lists`).Scan(&partial)
	if partial > 0 {
		b.Fatalf("%s holds a database an interrupted run left half built: remove it", dir)
	}
	start := time.Now()
	sys := auth.WithPrincipal(ctx, auth.System)
	o := &org.Service{DB: db}
	if _, err := o.EnsureRoot(sys); err != nil {
		b.Fatal(err)
	}
	const units = 60
	for i := range units {
		if _, err := o.CreateUnit(sys, org.UnitInput{Code: fmt.Sprintf("T%02d", i+1), Name: fmt.Sprintf("Tỉnh %d", i+1), Kind: org.KindProvince, Parent: org.RootCode}); err != nil {
			b.Fatal(err)
		}
	}
	now := store.Now()
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for i := range sc.hosts {
			inv := asset.Inventory{Hostname: fmt.Sprintf("PC-%06d", i), CollectedAt: time.Now().UTC(),
				Interfaces: []asset.Interface{{Name: "eth0", Addresses: []string{hostIP(i) + "/16"}}},
				Accounts:   []asset.Account{{Name: "Administrator", Admin: true}, {Name: fmt.Sprintf("canbo%05d", i), Enabled: true}, {Name: "svc_" + strconv.Itoa(i%97), Enabled: true}},
			}
			for p := range 10 {
				inv.Processes = append(inv.Processes, asset.Process{PID: 100 + p, Name: fmt.Sprintf("p%d.exe", p), Path: fmt.Sprintf(`C:\Program Files\App%d\p%d.exe`, p, p), SHA256: fmt.Sprintf("%064x", i*10+p+1)})
			}
			raw, _ := json.Marshal(inv)
			if _, err := tx.Exec(ctx, `INSERT INTO hosts (unit_id, hostname, hostname_key, addresses, source, first_seen_at, last_seen_at, inventory_at, inventory_hash, inventory)
				VALUES (?, ?, ?, ?, 'agent', ?, ?, ?, 'x', ?)`, 2+i%units, inv.Hostname, fmt.Sprintf("pc-%06d", i), hostIP(i), now, now, now, string(raw)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// The list: of every 1,000 indicators one names a host's address, one
	// a process hash, one an account and one an address events contain;
	// the rest name nothing here (addresses, domains, hashes of elsewhere).
	if err := db.QueryRow(ctx, `INSERT INTO warning_lists (name, month, version, status, status_since, retro_days, created_at) VALUES ('bench-building', '2099-01', 1, 'draft', ?, 30, ?) RETURNING id`, now, now).Scan(&listID); err != nil {
		b.Fatal(err)
	}
	const chunk = 250_000
	for lo := 1; lo <= sc.indicators; lo += chunk {
		hi := min(lo+chunk-1, sc.indicators)
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `WITH RECURSIVE c(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM c WHERE x < ?)
				INSERT INTO intel_indicators (kind, value, source, stix_id, created_at, updated_at)
				SELECT CASE x % 4 WHEN 0 THEN 'ip' WHEN 1 THEN 'domain' WHEN 2 THEN 'sha256' ELSE 'account' END,
					CASE
						WHEN x % 1000 = 0 THEN printf('10.%d.%d.%d', (x / 1000 * 7 % ?) / 65536 % 256, (x / 1000 * 7 % ?) / 256 % 256, (x / 1000 * 7 % ?) % 256)
						WHEN x % 1000 = 2 THEN printf('%064x', (x / 1000 * 13 % ?) * 10 + 3)
						WHEN x % 1000 = 3 THEN printf('canbo%05d', x / 1000 * 11 % ?)
						WHEN x % 1000 = 4 THEN printf('198.51.%d.%d', x / 1000 / 250 % 200, x / 1000 % 250)
						WHEN x % 4 = 0 THEN printf('100.%d.%d.%d', x / 65536 % 256, x / 256 % 256, x % 256)
						WHEN x % 4 = 1 THEN printf('d%d.example-bad.com', x)
						WHEN x % 4 = 2 THEN printf('%064x', 1000000000 + x)
						ELSE printf('leaked_%d', x)
					END,
					'bench', printf('indicator--%d', x), ?, ?
				FROM c`, lo, hi, sc.hosts, sc.hosts, sc.hosts, sc.hosts, sc.hosts, now, now)
			if err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO warning_list_entries (list_id, indicator_id, unit_id, severity, reason, added_at)
				SELECT ?, id, 0, 'high', 'Báo cáo kỹ thuật', ? FROM intel_indicators WHERE stix_id >= 'indicator--' AND id BETWEEN ? AND ?`, listID, now, lo, hi)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	// Alerts over the last week, and their kept events: one in 1,000
	// names a listed address.
	err = db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)
			INSERT INTO alerts (rule_id, rule_title, severity, severity_rank, host, host_key, host_id, unit_id, first_seen, last_seen, status_since, created_at, changed_at)
			SELECT 'r' || (x % 50), 'Rule ' || (x % 50), 'high', 3, printf('PC-%06d', x % ?), printf('pc-%06d', x % ?), 1 + x % ?, 2 + (x % ?) % ?, ?, ?, ?, ?, ?
			FROM c`, sc.alerts, sc.hosts, sc.hosts, sc.hosts, sc.hosts, units, now, now, now, now, now)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	const eventChunk = 1_000_000
	for lo := 1; lo <= sc.events; lo += eventChunk {
		hi := min(lo+eventChunk-1, sc.events)
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `WITH RECURSIVE c(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM c WHERE x < ?)
				INSERT INTO alert_events (alert_id, seq, at, source_id, fields)
				SELECT 1 + x % ?, x, ?, 0,
					'{"_host":"' || printf('PC-%06d', x % ?) || '","EventID":"3","Image":"C:\\Windows\\System32\\svchost.exe","User":"BHXH\\canbo' || (x % 900) ||
					'","DestinationIp":"' || CASE WHEN x % 1000 = 7 THEN printf('198.51.%d.%d', x / 1000 % ? / 250, x / 1000 % ? % 250) ELSE printf('172.16.%d.%d', x / 256 % 256, x % 256) END ||
					'","DestinationPort":"443","QueryName":"' || printf('cdn%d.example.org', x % 5000) || '"}'
				FROM c`, lo, hi, sc.alerts, now, sc.hosts, sc.indicators/1000, sc.indicators/1000)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.Exec(ctx, `UPDATE warning_lists SET name = 'bench' WHERE id = ?`, listID); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d indicators, %d hosts, %d alerts, %d events in %v", sc.indicators, sc.hosts, sc.alerts, sc.events, time.Since(start).Round(time.Second))
	return db, listID
}

func hostIP(i int) string { return fmt.Sprintf("10.%d.%d.%d", i/65536%256, i/256%256, i%256) }

// BenchmarkPublishMatch publishes the list and matches it: the set built
// from the list's entries, every host's inventory matched, the retro-hunt
// over the events, hits and findings written. One op is one publication.
func BenchmarkPublishMatch(b *testing.B) {
	sc := scaleOf()
	db, listID := benchDB(b, sc)
	ctx := context.Background()
	svc := &watchlist.Service{DB: db}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		// A fresh publication: earlier matches and findings gone.
		for _, q := range []string{`DELETE FROM watchlist_hits`, `DELETE FROM findings WHERE kind = 'warning_list'`, `DELETE FROM watchlist_runs`,
			`UPDATE warning_lists SET status = 'draft' WHERE id = ?`} {
			if _, err := db.Exec(ctx, q, listID); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if _, err := db.Exec(ctx, `UPDATE warning_lists SET status = 'published', published_at = ? WHERE id = ?`, store.Now(), listID); err != nil {
			b.Fatal(err)
		}
		if err := svc.Start(ctx, listID); err != nil {
			b.Fatal(err)
		}
		svc.Wait()
	}
	b.StopTimer()
	runs, err := svc.Runs(auth.WithPrincipal(ctx, auth.System), listID, 1)
	if err != nil || len(runs) == 0 || runs[0].Status != watchlist.RunDone {
		b.Fatalf("run: %+v %v", runs, err)
	}
	r := runs[0]
	b.ReportMetric(float64(r.Indicators), "indicators")
	b.ReportMetric(float64(r.HostsScanned), "hosts")
	b.ReportMetric(float64(r.EventsScanned), "events")
	b.ReportMetric(float64(r.Hits), "hits")
	b.Logf("run: %d indicators, %d hosts (%d matched), %d events of %d alerts, %d hits, %d findings, %.1f s", r.Indicators, r.HostsScanned, r.HostsMatched,
		r.EventsScanned, r.AlertsScanned, r.Hits, r.FindingsNew, r.Seconds)
}

// BenchmarkImportPublishMatch is the figure as the IT Center
// lives it: `vigil intel import --list` of the month's 1,000,000-line CSV
// (the bench list's values, from a source of their own, so every row is
// a new indicator beside the million already stored) read, stored,
// published and matched against every host and the stored events. One op
// runs from the start of the import to the end of the matching run.
func BenchmarkImportPublishMatch(b *testing.B) {
	sc := scaleOf()
	db, listID := benchDB(b, sc)
	ctx := context.Background()
	sys := auth.WithPrincipal(ctx, auth.System)
	var csv bytes.Buffer
	csv.WriteString("type,value,comment\n")
	rows, err := db.Query(ctx, `SELECT i.kind, i.value FROM warning_list_entries e JOIN intel_indicators i ON i.id = e.indicator_id WHERE e.list_id = ? ORDER BY e.indicator_id`, listID)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var kind, value string
		if err := rows.Scan(&kind, &value); err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(&csv, "%s,%s,Báo cáo kỹ thuật tháng\n", kind, value)
	}
	if err := rows.Close(); err != nil {
		b.Fatal(err)
	}
	svc := &watchlist.Service{DB: db}
	in := &intel.Service{DB: db, Logger: slog.New(slog.DiscardHandler), MaxIndicators: 2 * sc.indicators,
		OnPublish: []func(context.Context, int64) error{svc.Start}}
	b.SetBytes(int64(csv.Len()))
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		// Each op imports the list as new: the previous op's list, its
		// indicators, hits and findings gone.
		for _, q := range []string{`DELETE FROM watchlist_hits`, `DELETE FROM findings WHERE kind = 'warning_list'`, `DELETE FROM watchlist_runs`,
			`DELETE FROM warning_list_entries WHERE list_id IN (SELECT id FROM warning_lists WHERE name = 'bench-import')`,
			`DELETE FROM warning_lists WHERE name = 'bench-import'`,
			`DELETE FROM intel_indicators WHERE source = 'bench-import'`} {
			if _, err := db.Exec(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		res, err := in.Import(sys, intel.ImportInput{Name: "canh-bao.csv", Data: bytes.NewReader(csv.Bytes()), List: "bench-import", Source: "bench-import"})
		if err != nil {
			b.Fatal(err)
		}
		imported := time.Since(start)
		svc.Wait()
		b.StopTimer()
		if res.IndicatorsLoaded != sc.indicators || res.List == nil || res.List.Status != intel.ListPublished {
			b.Fatalf("import: %d loaded, list %+v", res.IndicatorsLoaded, res.List)
		}
		runs, err := svc.Runs(sys, res.List.ID, 1)
		if err != nil || len(runs) == 0 || runs[0].Status != watchlist.RunDone {
			b.Fatalf("run: %+v %v", runs, err)
		}
		r := runs[0]
		b.ReportMetric(imported.Seconds(), "import-s")
		b.ReportMetric(float64(r.Hits), "hits")
		b.Logf("import %.1f s (%d indicators), then matching: %d hosts (%d matched), %d events of %d alerts, %d hits, %d findings; %.1f s in all",
			imported.Seconds(), res.IndicatorsLoaded, r.HostsScanned, r.HostsMatched, r.EventsScanned, r.AlertsScanned, r.Hits, r.FindingsNew, time.Since(start).Seconds())
		b.StartTimer()
	}
}
