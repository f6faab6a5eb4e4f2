// Package measuretest builds, for benchmarks, the world the measure
// providers read at the issues' scale (90 units, tens of thousands of
// hosts, a million findings) in seconds: rows written by the database
// itself, not through the services one by one. Only tests and benchmarks
// import it.
package measuretest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"vigil/internal/org"
	"vigil/internal/store"
)

// SeedWorld fills db with 90 units, hosts spread over them and
// perHost findings each, of every kind and status: the data the
// providers' queries read. Rows are written by the database itself (a
// recursive CTE), not one by one.
func SeedWorld(ctx context.Context, db *store.DB, hosts, perHost int, now time.Time) error {
	o := &org.Service{DB: db}
	if _, err := o.EnsureRoot(ctx); err != nil {
		return err
	}
	for u := range 90 {
		if _, err := o.CreateUnit(ctx, org.UnitInput{Code: fmt.Sprintf("U%02d", u), Name: fmt.Sprintf("Đơn vị %02d", u), Kind: org.KindProvince, Parent: org.RootCode}); err != nil {
			return err
		}
	}
	var firstUnit int64
	if err := db.QueryRow(ctx, `SELECT MIN(id) FROM units WHERE code LIKE 'U%'`).Scan(&firstUnit); err != nil {
		return err
	}
	us := now.UnixMicro()
	const day = int64(24 * time.Hour / time.Microsecond)
	// Every argument is a number; PostgreSQL would take them for int4.
	big := func(q string) string { return strings.ReplaceAll(q, "?", "CAST(? AS BIGINT)") }
	if _, err := db.Exec(ctx, big(`WITH RECURSIVE n(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO hosts (unit_id, hostname, hostname_key, source, av_ok, av_updated_at, edr_ok, firewall_ok, agent_id, agent_seen_at, first_seen_at, last_seen_at)
		SELECT ? + i % 90, 'h' || i, 'h' || i, 'agent', i % 7 <> 0, ? - (i % 5) * ?, i % 11 = 0, i % 6 <> 0,
			CASE WHEN i % 9 = 0 THEN '' ELSE 'a' || i END, ? - (i % 3) * ?, ? - 100 * ?, ? FROM n`),
		hosts, firstUnit, us, day, us, day/2, us, day, us); err != nil {
		return fmt.Errorf("seed hosts: %w", err)
	}
	var firstHost int64
	if err := db.QueryRow(ctx, `SELECT MIN(id) FROM hosts`).Scan(&firstHost); err != nil {
		return err
	}
	// Findings: of every 20, 12 missing updates from MSRC (a third of
	// them from 2023 documents), 5 scanner vulnerabilities, 2 warning-list
	// matches and a malware hit; statuses open 50 %, in progress 5 %,
	// resolved 35 %, accepted 5 %, false positive 5 %.
	if _, err := db.Exec(ctx, big(`WITH RECURSIVE n(i) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
		INSERT INTO findings (host_id, kind, finding_key, title, severity, evidence, source, status, status_since, due_at, first_seen, last_seen, updated_at, cve, risk_expires_at)
		SELECT ? + i / ?, k.kind, 'k' || i, 'KB50' || (i % 1000) || ' Windows 10 Version 22H2 for x64-based Systems',
			CASE (i / 20) % 4 WHEN 0 THEN 'critical' WHEN 1 THEN 'high' WHEN 2 THEN 'medium' ELSE 'low' END,
			'{"update":"KB50' || (i % 1000) || '","product":"Windows 10 Version 22H2 for x64-based Systems","kb":"50' || (i % 1000) ||
				'","cves":["CVE-' || CASE WHEN i % 3 = 0 THEN '2023' ELSE '2024' END || '-' || (i % 9000) || '","CVE-2024-21307"],"cvss":8.8,"document":"' ||
				CASE WHEN i % 3 = 0 THEN '2023-Dec' ELSE '2024-Mar' END || '"}',
			CASE k.kind WHEN 'missing_update' THEN 'msrc' WHEN 'vulnerability' THEN 'import scan.nessus' ELSE 'scan' END,
			CASE WHEN (i / 7) % 20 < 10 THEN 'open' WHEN (i / 7) % 20 = 10 THEN 'in_progress' WHEN (i / 7) % 20 < 18 THEN 'resolved'
				WHEN (i / 7) % 20 = 18 THEN 'accepted_risk' ELSE 'false_positive' END,
			? - (i % 90) * ? + ?, ? - (i % 90) * ? + 7 * ?, ? - (i % 90) * ?, ?, ?,
			CASE WHEN i % 3 = 0 THEN 'CVE-2023-' || (i % 9000) ELSE '' END,
			CASE WHEN (i / 7) % 20 = 18 THEN ? + 30 * ? ELSE 0 END
		FROM n JOIN (SELECT 0 AS lo, 12 AS hi, 'missing_update' AS kind UNION ALL SELECT 12, 17, 'vulnerability'
			UNION ALL SELECT 17, 19, 'warning_list' UNION ALL SELECT 19, 20, 'malware') k ON i % 20 >= k.lo AND i % 20 < k.hi`),
		hosts*perHost, firstHost, perHost, us, day, day, us, day, day, us, day, us, us, us, day); err != nil {
		return fmt.Errorf("seed findings: %w", err)
	}
	_, err := db.Exec(ctx, `ANALYZE`)
	return err
}
