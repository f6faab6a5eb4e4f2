package alerts

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"vigil/internal/measure"
	"vigil/internal/store"
)

var _ measure.Provider = (*Service)(nil)

// DefaultAckTarget is the SOC's time to acknowledge an alert when the
// reader gives none (measure.Request.AckTarget).
const DefaultAckTarget = 30 * time.Minute

// Samples is the alert queue's side of measure.Provider: per unit (the
// alerts attributed to it, not its subtree's), over the alerts raised in
// [r.From, r.To), one grouped query answering every key:
//
//   - raised means created in the queue (created_at) in the period: the
//     moment escalation also counts from. An alert's later matches are the
//     same alert. The hub's own health alerts (rules vigil.health.*) are
//     alerts the SOC works like any other and are counted.
//   - acknowledged in time: acknowledged (or closed, which acknowledges)
//     at most r.AckTarget (30 minutes when zero) after being raised — at
//     exactly the target is in time. Den leaves out the alerts nobody has
//     acknowledged yet whose target has not passed at r.Now: they can still
//     make it. One never acknowledged past its target counts as late.
//   - by severity: Dim is the severity (critical … informational);
//     by rule: Dim is the rule's title as the alert carries it.
//
// The queue covers every unit, so every unit gets acked_in_time (0 of 0
// when nothing was raised) and a count for each severity (zeros too); by
// rule lists the rules that raised something. Without a period (To zero
// or not after From) nothing is computed.
func (s *Service) Samples(ctx context.Context, r measure.Request) ([]measure.Sample, error) {
	if !r.WantsAny(measure.KeyAlertsAckedInTime, measure.KeyAlertsBySeverity, measure.KeyAlertsByRule) || r.To.IsZero() || !r.From.Before(r.To) {
		return nil, nil
	}
	now := r.Now
	if now.IsZero() {
		now = s.now()
	}
	target := r.AckTarget
	if target <= 0 {
		target = DefaultAckTarget
	}
	units, err := s.unitIDs(ctx)
	if err != nil {
		return nil, err
	}
	type unitAlerts struct {
		raised, inTime, pending int64
		bySeverity              map[string]int64
		byRule                  map[string]int64
	}
	byUnit := map[int64]*unitAlerts{}
	tus := target.Microseconds()
	rows, err := s.DB.Query(ctx, `SELECT a.unit_id, a.severity, a.rule_title, COUNT(*),
		COUNT(CASE WHEN a.acked_at > 0 AND a.acked_at <= a.created_at + ? THEN 1 END),
		COUNT(CASE WHEN a.acked_at = 0 AND a.created_at + ? > ? THEN 1 END)
		FROM alerts a WHERE a.created_at >= ? AND a.created_at < ?
		GROUP BY a.unit_id, a.severity, a.rule_title`, tus, tus, store.Micros(now), store.Micros(r.From), store.Micros(r.To))
	if err != nil {
		return nil, fmt.Errorf("alerts: samples: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var unit, n, inTime, pending int64
		var severity, rule string
		if err := rows.Scan(&unit, &severity, &rule, &n, &inTime, &pending); err != nil {
			return nil, fmt.Errorf("alerts: samples: %w", err)
		}
		u := byUnit[unit]
		if u == nil {
			u = &unitAlerts{bySeverity: map[string]int64{}, byRule: map[string]int64{}}
			byUnit[unit] = u
			if !slices.Contains(units, unit) {
				units = append(units, unit)
			}
		}
		u.raised += n
		u.inTime += inTime
		u.pending += pending
		u.bySeverity[severity] += n
		u.byRule[rule] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("alerts: samples: %w", err)
	}
	var out []measure.Sample
	for _, unit := range units {
		u := byUnit[unit]
		if u == nil {
			u = &unitAlerts{}
		}
		if r.Wants(measure.KeyAlertsAckedInTime) {
			out = append(out, measure.Sample{Key: measure.KeyAlertsAckedInTime, UnitID: unit, Num: float64(u.inTime), Den: float64(u.raised - u.pending)})
		}
		if r.Wants(measure.KeyAlertsBySeverity) {
			for _, sev := range Severities {
				out = append(out, measure.Sample{Key: measure.KeyAlertsBySeverity, UnitID: unit, Dim: sev, Num: float64(u.bySeverity[sev])})
			}
		}
		if r.Wants(measure.KeyAlertsByRule) {
			for _, rule := range slices.Sorted(maps.Keys(u.byRule)) {
				out = append(out, measure.Sample{Key: measure.KeyAlertsByRule, UnitID: unit, Dim: rule, Num: float64(u.byRule[rule])})
			}
		}
	}
	return out, nil
}

// unitIDs lists every unit, in id order.
func (s *Service) unitIDs(ctx context.Context) ([]int64, error) {
	rows, err := s.DB.Query(ctx, `SELECT id FROM units ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("alerts: samples: units: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("alerts: samples: units: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
