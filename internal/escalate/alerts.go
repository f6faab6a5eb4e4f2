package escalate

import (
	"context"
	"time"

	"vigil/internal/alerts"
)

// FromAlerts is the alert queue of internal/alerts as escalation reads it.
func FromAlerts(q *alerts.Service) Alerts { return alertQueue{q} }

type alertQueue struct{ q *alerts.Service }

func (a alertQueue) Unacknowledged(ctx context.Context, minSeverity string, olderThan time.Duration, afterID int64, limit int) ([]Alert, error) {
	list, err := a.q.Unacknowledged(ctx, minSeverity, olderThan, afterID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Alert, 0, len(list))
	for _, x := range list {
		out = append(out, Alert{ID: x.ID, RuleID: x.RuleID, Title: x.RuleTitle, Severity: x.Severity, Host: x.Host, UnitID: x.UnitID,
			Count: int(x.Count), FirstSeen: x.FirstSeen, LastSeen: x.LastSeen, Raised: x.CreatedAt})
	}
	return out, nil
}

func (a alertQueue) Acknowledged(ctx context.Context, ids []int64) (map[int64]bool, error) {
	return a.q.Acknowledged(ctx, ids)
}
