package sources

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/auth"
	"vigil/internal/store"
)

// LoadDemo registers the demo organisation's event sources: the IT
// Center's SIEM and central anti-malware console, and an IDS in a few
// provinces, with counts as if they had been sending (one has gone
// quiet, for health to find). The tokens are not kept: rotate one to
// send to a demo hub. It does nothing when sources exist.
func (s *Service) LoadDemo(ctx context.Context) (int, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM sources`).Scan(&n); err != nil {
		return 0, err
	}
	if n > 0 {
		return 0, nil
	}
	var central string
	if err := s.DB.QueryRow(ctx, `SELECT code FROM units WHERE code = 'TTCNTT'`).Scan(&central); store.IsNoRows(err) {
		return 0, nil // not the demo organisation
	} else if err != nil {
		return 0, err
	}
	rows, err := s.DB.Query(ctx, `SELECT code FROM units WHERE kind = 'province' ORDER BY id LIMIT 3`)
	if err != nil {
		return 0, err
	}
	var provinces []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return 0, err
		}
		provinces = append(provinces, c)
	}
	rows.Close()
	type demo struct {
		in                Input
		accepted, refused int64
		lastAgo, firstAgo time.Duration
	}
	list := []demo{
		{Input{Unit: central, Name: "SIEM trung tâm (Wazuh)", Kind: KindSIEM, IntervalMinutes: 5, Senders: []string{"10.10.1.20"}}, 1_284_311, 37, 40 * time.Second, 30 * 24 * time.Hour},
		{Input{Unit: central, Name: "Bảng điều khiển phòng chống mã độc tập trung", Kind: KindAntimalware, IntervalMinutes: 60, Senders: []string{"10.10.1.30"}}, 18_402, 0, 12 * time.Minute, 30 * 24 * time.Hour},
	}
	for i, p := range provinces {
		last := 2 * time.Minute
		if i == len(provinces)-1 {
			last = 7 * time.Hour // gone quiet
		}
		list = append(list, demo{Input{Unit: p, Name: "IDS Suricata " + p, Kind: KindIDS, IntervalMinutes: 30, Senders: []string{fmt.Sprintf("10.%d.0.0/24", 20+i)}},
			int64(52_000 + 9_731*i), int64(3 * i), last, 21 * 24 * time.Hour})
	}
	now := s.now()
	for _, d := range list {
		src, err := s.Create(ctx, d.in)
		if err != nil {
			return n, fmt.Errorf("sources: demo %q: %w", d.in.Name, err)
		}
		if _, err := s.DB.Exec(ctx, `UPDATE sources SET accepted = ?, refused = ?, first_event_at = ?, last_event_at = ? WHERE id = ?`,
			d.accepted, d.refused, store.Micros(now.Add(-d.firstAgo)), store.Micros(now.Add(-d.lastAgo)), src.ID); err != nil {
			return n, err
		}
		if d.refused > 0 {
			if _, err := s.DB.Exec(ctx, `INSERT INTO source_refusals (source_id, reason, count) VALUES (?, ?, ?)`, src.ID, ReasonOversize, d.refused); err != nil {
				return n, err
			}
		}
		n++
	}
	return n, nil
}
