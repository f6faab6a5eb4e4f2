package findings_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"vigil/internal/asset"
	"vigil/internal/auth"
	"vigil/internal/findings"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// benchWorld is 20 provinces of 100 hosts (a server in four, listening on
// 445, 3389 and 1801) with 10 findings each: 20,000 findings, a tenth of
// them Microsoft 2023 fixes.
func benchWorld(b *testing.B, engine string) (*store.DB, *findings.Service, context.Context, []int64) {
	b.Helper()
	db := storetest.Open(b, engine)
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	if _, err := o.EnsureRoot(ctx); err != nil {
		b.Fatal(err)
	}
	var hosts []int64
	now := time.Now()
	for p := range 20 {
		code := fmt.Sprintf("P%02d", p)
		if _, err := o.CreateUnit(ctx, org.UnitInput{Code: code, Name: "Tỉnh " + code, Kind: org.KindProvince, Parent: org.RootCode}); err != nil {
			b.Fatal(err)
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for h := range 100 {
				inv := asset.Inventory{Hostname: fmt.Sprintf("h-%s-%d", code, h), Listening: []asset.Listener{{Proto: "tcp", Address: "0.0.0.0", Port: 445}}}
				role := "workstation"
				if h%4 == 0 {
					role = "server"
					inv.Listening = append(inv.Listening, asset.Listener{Proto: "tcp", Address: "0.0.0.0", Port: 3389}, asset.Listener{Proto: "tcp", Address: "0.0.0.0", Port: 1801})
				}
				raw, _ := jsonMarshal(inv)
				var id int64
				if err := tx.QueryRow(ctx, `INSERT INTO hosts (unit_id, hostname, hostname_key, source, role, first_seen_at, last_seen_at, inventory, inventory_hash)
					SELECT id, ?, ?, 'agent', ?, ?, ?, ?, ? FROM units WHERE code = ? RETURNING id`, inv.Hostname, inv.Hostname, role, store.Micros(now), store.Micros(now), string(raw), inv.Hostname, code).Scan(&id); err != nil {
					return err
				}
				hosts = append(hosts, id)
				for k := range 10 {
					o := vuln(id, fmt.Sprintf("CVE-2023-%05d", k), findings.Severities[k%4], 5+float64(k)/2, now.Add(-time.Duration(k)*24*time.Hour))
					if k == 0 {
						o = msUpdate(id, "5033371", "2023-Dec", []string{"CVE-2023-35641"}, "critical", now)
					}
					if _, _, err := findings.Record(ctx, tx, o); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return db, &findings.Service{DB: db}, ctx, hosts
}

// BenchmarkRecordSighting is a feeder reporting a known vulnerability
// again (due date and priority computed, exposure read from its cache),
// beside the peer: the same sighting as one bare UPDATE of the row.
func BenchmarkRecordSighting(b *testing.B) {
	db, _, ctx, hosts := benchWorld(b, "sqlite")
	now := time.Now()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		h := hosts[i%len(hosts)]
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, _, err := findings.Record(ctx, tx, vuln(h, "CVE-2023-00003", "low", 6.5, now))
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	ours := time.Since(start)
	b.StopTimer()
	start = time.Now()
	for i := 0; i < b.N; i++ {
		h := hosts[i%len(hosts)]
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE findings SET times_seen = times_seen + 1, last_seen = ? WHERE host_id = ? AND kind = 'vulnerability' AND finding_key = ?`,
				store.Micros(now), h, "cve:CVE-2023-00003")
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
	peer := time.Since(start)
	b.ReportMetric(float64(ours)/float64(peer), "x-peer-update")
}

// BenchmarkVulnViews computes the country's dashboard (roll-up and an
// 8-week trend) and the first page of the Microsoft 2023 view over 20,000
// findings, beside the peer: one COUNT(*) … GROUP BY severity.
func BenchmarkVulnViews(b *testing.B) {
	db, s, ctx, _ := benchWorld(b, "sqlite")
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := s.VulnDashboard(ctx, "", 8, false); err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.List(ctx, findings.Filter{MS2023: true, Statuses: []string{"active"}, Limit: 100}); err != nil {
			b.Fatal(err)
		}
	}
	ours := time.Since(start)
	b.StopTimer()
	start = time.Now()
	for i := 0; i < b.N; i++ {
		rows, err := db.Query(ctx, `SELECT severity, COUNT(*) FROM findings GROUP BY severity`)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
		}
		rows.Close()
	}
	peer := time.Since(start)
	b.ReportMetric(float64(ours)/float64(peer), "x-peer-count")
}
