package alerts

import (
	"context"
	"fmt"
	"strings"

	"vigil/internal/auth"
)

// Acknowledged reports which of ids escalation need not chase any more:
// acknowledged (now or before) or closed. Alerts outside the caller's
// scope, and unknown ids, are left out. (Written for internal/escalate,
// which cancels the notifications of such alerts not yet sent.)
func (s *Service) Acknowledged(ctx context.Context, ids []int64) (map[int64]bool, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(ids))
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		cond, args := p.Scope("u.path")
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := s.DB.Query(ctx, `SELECT a.id, a.status, a.acked_at FROM alerts a JOIN units u ON u.id = a.unit_id WHERE `+cond+` AND a.id IN (`+marks+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("alerts: acknowledged: %w", err)
		}
		for rows.Next() {
			var id, acked int64
			var status string
			if err := rows.Scan(&id, &status, &acked); err != nil {
				rows.Close()
				return nil, fmt.Errorf("alerts: acknowledged: %w", err)
			}
			out[id] = status != StatusOpen || acked != 0
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("alerts: acknowledged: %w", err)
		}
	}
	return out, nil
}
