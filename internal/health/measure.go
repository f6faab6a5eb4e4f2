package health

import (
	"context"
	"fmt"

	"vigil/internal/auth"
	"vigil/internal/measure"
	"vigil/internal/org"
	"vigil/internal/store"
)

var _ measure.Provider = (*Service)(nil)

// Samples is health's side of measure.Provider: the uptime of the link to
// the national monitoring center (NCSC) over [r.From, r.To), as seconds up
// of seconds probed, read as the probe's page reads it (ProbeHistory), so
// the criterion and the page it links to agree.
//
//   - The link: every probe of this package is a probe of the connection
//     to the NCSC (the probes page adds no other kind), so the seconds of
//     all probes are pooled. With two probes (the portal over HTTPS and
//     the syslog port over TCP, say) a minute one of them is down is a
//     minute down of two probed.
//   - Seconds probed are the seconds some check vouches for, up or down
//     (uptime.go); time no check vouches for — the hub was not running, a
//     probe disabled — is unknown and counts in neither Num nor Den.
//   - The period ends at r.Now when that is earlier than r.To (the rest is
//     still to come; the last check vouches only up to the end), and, as
//     on the probe's page, starts at the top of the hour From falls in;
//     a period longer than the hourly roll-up is kept (MaxHistory) keeps
//     its last MaxHistory.
//   - The unit: the probe is the SOC's link, so the sample goes to the
//     SOC unit (SOCUnit, the duty setting); without one, to the root unit,
//     where the probe's down alerts go too.
//
// No probe at all: no sample (no data). Probes but no check in the
// period: 0 of 0.
func (s *Service) Samples(ctx context.Context, r measure.Request) ([]measure.Sample, error) {
	if !r.Wants(measure.KeyNCSCUptime) || r.To.IsZero() || !r.From.Before(r.To) {
		return nil, nil
	}
	ctx = auth.WithPrincipal(ctx, auth.System)
	rows, err := s.DB.Query(ctx, `SELECT id FROM health_probes ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("health: samples: %w", err)
	}
	var probes []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("health: samples: %w", err)
		}
		probes = append(probes, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("health: samples: %w", err)
	}
	if len(probes) == 0 {
		return nil, nil
	}
	from, to := r.From, r.To
	if !r.Now.IsZero() && r.Now.Before(to) {
		to = r.Now
	}
	if now := s.now(); now.Before(to) {
		to = now
	}
	if to.Sub(from) > MaxHistory {
		from = to.Add(-MaxHistory)
	}
	var up, down float64
	if from.Before(to) {
		for _, id := range probes {
			h, err := s.ProbeHistory(ctx, id, from, to)
			if err != nil {
				return nil, fmt.Errorf("health: samples: %w", err)
			}
			up += h.Uptime.Up
			down += h.Uptime.Down
		}
	}
	unit, err := s.linkUnit(ctx)
	if err != nil {
		return nil, err
	}
	return []measure.Sample{{Key: measure.KeyNCSCUptime, UnitID: unit, Num: up, Den: up + down}}, nil
}

// linkUnit is the unit the NCSC link's uptime belongs to: the SOC unit, or
// the root unit when the hub names none.
func (s *Service) linkUnit(ctx context.Context) (int64, error) {
	if s.SOCUnit != nil {
		id, err := s.SOCUnit(ctx)
		if err != nil {
			return 0, fmt.Errorf("health: samples: the SOC unit: %w", err)
		}
		if id != 0 {
			return id, nil
		}
	}
	var id int64
	err := s.DB.QueryRow(ctx, `SELECT id FROM units WHERE code = ?`, org.RootCode).Scan(&id)
	if store.IsNoRows(err) { // as rootUnit: the first unit
		err = s.DB.QueryRow(ctx, `SELECT MIN(id) FROM units`).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("health: samples: root unit: %w", err)
	}
	return id, nil
}
