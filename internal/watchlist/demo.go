package watchlist

import (
	"context"
	"fmt"
	"strings"
	"time"

	"vigil/internal/auth"
	"vigil/internal/i18n"
	"vigil/internal/intel/format"
	"vigil/internal/store"
)

// LoadDemo matches the demo's published warning lists and gives the demo
// units queues in the states a reader wants to see: in T01 (Hà Nội) one
// item already closed with evidence (the officer recorded a scan with its
// report, a later clean scan verified it), in T48 (Đà Nẵng) one item past
// its deadline for the late-units view. While the intel demo has published
// no list, a small one naming a few demo hosts stands in for it. It does
// nothing once matches exist, and returns how many it made.
func (s *Service) LoadDemo(ctx context.Context, officers map[string]string) (int, error) {
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM watchlist_hits`).Scan(&n); err != nil {
		return 0, fmt.Errorf("watchlist demo: %w", err)
	}
	if n > 0 {
		return 0, nil
	}
	var lists int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM warning_lists WHERE status = 'published'`).Scan(&lists); err != nil {
		return 0, fmt.Errorf("watchlist demo: %w", err)
	}
	if lists == 0 {
		if err := s.demoList(ctx); err != nil {
			return 0, err
		}
	}
	rows, err := s.DB.Query(ctx, `SELECT id FROM warning_lists WHERE status = 'published' ORDER BY id`)
	if err != nil {
		return 0, fmt.Errorf("watchlist demo: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if err := s.queue(ctx, id, CausePublish, "system"); err != nil {
			return 0, err
		}
	}
	if _, err := s.RunPending(ctx); err != nil {
		return 0, err
	}
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM watchlist_hits`).Scan(&n); err != nil {
		return 0, err
	}
	if err := s.demoClosed(ctx, "T01", officers["T01"]); err != nil {
		return n, err
	}
	if err := s.demoOverdue(ctx, "T48"); err != nil {
		return n, err
	}
	return n, nil
}

// demoList publishes a small list naming demo hosts of T01 and T48 (their
// addresses, a user logged on in T01) and an address seen nowhere.
func (s *Service) demoList(ctx context.Context) error {
	now := s.now()
	type ind struct{ kind, value, unit, severity, reason string }
	var inds []ind
	for _, unit := range []string{"T01", "T48"} {
		var addrs string
		err := s.DB.QueryRow(ctx, `SELECT h.addresses FROM hosts h JOIN units u ON u.id = h.unit_id WHERE u.code = ? AND h.addresses <> '' ORDER BY h.id LIMIT 1`, unit).Scan(&addrs)
		if store.IsNoRows(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("watchlist demo: %w", err)
		}
		if f := strings.Fields(addrs); len(f) > 0 {
			inds = append(inds, ind{format.KindIP, f[0], "", "critical", "Máy liên lạc với máy chủ điều khiển của mã độc đánh cắp thông tin (báo cáo kỹ thuật tháng)"})
		}
	}
	inds = append(inds,
		ind{format.KindAccount, "canbo03", "T01", "high", "Tài khoản bị lộ mật khẩu trong vụ lộ lọt dữ liệu được Cục An toàn thông tin thông báo"},
		ind{format.KindIP, "203.0.113.66", "", "high", "Máy chủ điều khiển (C2) của chiến dịch lừa đảo"},
		ind{format.KindDomain, "cap-nhat-bhxh.example", "", "medium", "Tên miền giả mạo trang cập nhật của ngành"},
	)
	at := store.Micros(now)
	month := now.In(i18n.Location).Format("2006-01")
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		name := "Danh sách cảnh báo tháng " + month + " (mẫu)"
		var version int // per month and name (migration 0035)
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM warning_lists WHERE month = ? AND name = ?`, month, name).Scan(&version); err != nil {
			return err
		}
		var listID int64
		if err := tx.QueryRow(ctx, `INSERT INTO warning_lists (name, month, version, issuer, description, status, status_since, retro_days, entries, created_by, created_at, published_by, published_at)
			VALUES (?, ?, ?, 'Trung tâm Công nghệ thông tin', 'Danh sách mẫu của bản trình diễn', 'published', ?, 30, ?, 'system', ?, 'system', ?) RETURNING id`,
			name, month, version, at, len(inds), at, at).Scan(&listID); err != nil {
			return fmt.Errorf("watchlist demo: list: %w", err)
		}
		for i, in := range inds {
			var id int64
			err := tx.QueryRow(ctx, `SELECT id FROM intel_indicators WHERE kind = ? AND value = ? AND source = 'Trung tâm Công nghệ thông tin'`, in.kind, in.value).Scan(&id)
			if store.IsNoRows(err) {
				err = tx.QueryRow(ctx, `INSERT INTO intel_indicators (kind, value, source, confidence, tlp, first_seen, last_seen, report, stix_id, created_at, updated_at)
					VALUES (?, ?, 'Trung tâm Công nghệ thông tin', 80, 'amber', ?, ?, 'Báo cáo kỹ thuật tháng', ?, ?, ?) RETURNING id`,
					in.kind, in.value, at, at, fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", listID*100+int64(i)), at, at).Scan(&id)
			}
			if err != nil {
				return fmt.Errorf("watchlist demo: indicator: %w", err)
			}
			var unitID int64
			if in.unit != "" {
				if err := tx.QueryRow(ctx, `SELECT id FROM units WHERE code = ?`, in.unit).Scan(&unitID); err != nil {
					continue
				}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO warning_list_entries (list_id, indicator_id, unit_id, severity, reason, added_at) VALUES (?, ?, ?, ?, ?, ?)`,
				listID, id, unitID, in.severity, in.reason, at); err != nil {
				return fmt.Errorf("watchlist demo: entry: %w", err)
			}
		}
		return nil
	})
}

// demoClosed records, as the unit's officer, a scan with its report on the
// unit's first item, then a clean scan task of the host, and verifies it.
func (s *Service) demoClosed(ctx context.Context, unit, officer string) error {
	p, err := s.demoPrincipal(ctx, officer)
	if err != nil || p == nil {
		return err
	}
	actx := auth.WithPrincipal(ctx, p)
	hits, _, err := s.List(actx, Filter{Unit: unit, Statuses: []string{"active"}, Objects: []string{ObjectHostAddress, ObjectHostname, ObjectFileHash}, Limit: 1})
	if err != nil || len(hits) == 0 {
		return err
	}
	h := hits[0]
	if _, err := s.RecordAction(actx, h.ID, ActionInput{Action: format.ActionScan, Note: "Đã ngắt mạng máy, quét toàn bộ bằng Kaspersky Endpoint Security (bản mẫu mới nhất), xóa 2 tệp độc hại; đính kèm báo cáo quét."}); err != nil {
		return err
	}
	report := "Kaspersky Endpoint Security 12 — Full scan report\nHost: " + h.Host + "\nObjects scanned: 412 087\nThreats detected: 2 (Trojan-PSW.Win32.Stealer.gen) — deleted\nThreats remaining: 0\n"
	if _, err := s.AddEvidence(actx, h.ID, "bao-cao-quet-"+strings.ToLower(h.Host)+".txt", "text/plain", strings.NewReader(report)); err != nil {
		return err
	}
	at := store.Micros(s.now().Add(time.Minute))
	taskID := fmt.Sprintf("demo%012d", h.HostID)
	if _, err := s.DB.Exec(ctx, `INSERT INTO agent_tasks (id, host_id, kind, params, status, result, created_by, created_at, updated_at) VALUES (?, ?, 'scan', '{}', 'done', '{"files":412087,"findings":[]}', 'system', ?, ?)`,
		taskID, h.HostID, at, at); err != nil {
		return fmt.Errorf("watchlist demo: scan task: %w", err)
	}
	_, err = s.Verify(ctx)
	return err
}

// demoOverdue makes the unit's first item ten days old and three days
// past its deadline.
func (s *Service) demoOverdue(ctx context.Context, unit string) error {
	var findingID int64
	err := s.DB.QueryRow(ctx, `SELECT w.finding_id FROM watchlist_hits w JOIN units u ON u.id = w.unit_id JOIN findings f ON f.id = w.finding_id
		WHERE u.code = ? AND f.status = 'open' ORDER BY w.id LIMIT 1`, unit).Scan(&findingID)
	if store.IsNoRows(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("watchlist demo: %w", err)
	}
	now := s.now()
	first, due := store.Micros(now.AddDate(0, 0, -10)), store.Micros(now.AddDate(0, 0, -3))
	_, err = s.DB.Exec(ctx, `UPDATE findings SET first_seen = ?, status_since = ?, due_at = ? WHERE id = ?`, first, first, due, findingID)
	return err
}

func (s *Service) demoPrincipal(ctx context.Context, email string) (*auth.Principal, error) {
	if email == "" {
		return nil, nil
	}
	var p auth.Principal
	err := s.DB.QueryRow(ctx, `SELECT us.id, us.name, us.role, un.id, un.code, un.path FROM users us JOIN units un ON un.id = us.unit_id WHERE us.email = ?`, email).
		Scan(&p.UserID, &p.Name, &p.Role, &p.UnitID, &p.UnitCode, &p.UnitPath)
	if store.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("watchlist demo: %w", err)
	}
	p.Email, p.Via = email, "session"
	return &p, nil
}
