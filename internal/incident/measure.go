package incident

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/errs"
	"vigil/internal/measure"
	"vigil/internal/store"
)

// Incident cases are a measure.Provider (readiness measure 5, the
// monthly report's incidents by category).
var _ measure.Provider = (*Service)(nil)

// Samples computes, on each case's owning unit (incidents.unit_id; a case
// of several units is counted once, where it is reported from):
//
//   - incidents.reported_on_time: the initial national report (Mẫu 03)
//     of the cases whose deadline (Settings: InitialDays after detection,
//     calendar or working days) falls in [From, To), plus the cases
//     overdue at Now whenever their deadline was; Num the reports that
//     went out by the deadline. A report sent after Now counts as not
//     sent yet. A case still running at Now (not sent, deadline not
//     passed) is left out until it is decided, so a clock that has not
//     run out never counts against a unit. The emergency report of a
//     serious case runs on the same sending (InitialSentAt) and is not
//     counted apart. Every unit gets a sample, 0 of 0 when it has no
//     such case.
//   - incidents.by_category: cases detected in [From, To) per category,
//     the rule of Summarize and MonthlySummary (and of Mẫu 05), so the
//     samples of all units add up to the monthly summary's categories.
//     Only categories with cases have a sample.
func (s *Service) Samples(ctx context.Context, r measure.Request) ([]measure.Sample, error) {
	if !r.WantsAny(measure.KeyIncidentsReportedOnTime, measure.KeyIncidentsByCategory) {
		return nil, nil
	}
	if r.From.IsZero() || !r.From.Before(r.To) {
		return nil, errs.Invalid("from", "must be before the end of the period")
	}
	now := r.Now
	if now.IsZero() {
		now = s.now()
	}
	var out []measure.Sample
	if r.Wants(measure.KeyIncidentsReportedOnTime) {
		x, err := s.reportedOnTime(ctx, r.From, r.To, now)
		if err != nil {
			return nil, err
		}
		out = append(out, x...)
	}
	if r.Wants(measure.KeyIncidentsByCategory) {
		rows, err := s.DB.Query(ctx, `SELECT unit_id, category, COUNT(*) FROM incidents WHERE detected_at >= ? AND detected_at < ?
			GROUP BY unit_id, category ORDER BY unit_id, category`, store.Micros(r.From), store.Micros(r.To))
		if err != nil {
			return nil, fmt.Errorf("incident: samples: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var unit, n int64
			var cat string
			if err := rows.Scan(&unit, &cat, &n); err != nil {
				return nil, fmt.Errorf("incident: samples: %w", err)
			}
			out = append(out, measure.Sample{Key: measure.KeyIncidentsByCategory, UnitID: unit, Dim: cat, Num: float64(n)})
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("incident: samples: %w", err)
		}
	}
	return out, nil
}

func (s *Service) reportedOnTime(ctx context.Context, from, to, now time.Time) ([]measure.Sample, error) {
	st, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	// A deadline is at most this long after detection (working days:
	// two weekend days a week and every holiday added, generously), so
	// older cases matter only when still unsent at Now.
	span := time.Duration(2*st.InitialDays+len(st.Holidays)+14) * 24 * time.Hour
	at := store.Micros(now)
	rows, err := s.DB.Query(ctx, `SELECT unit_id, detected_at, initial_sent_at FROM incidents
		WHERE detected_at <= ? AND (detected_at >= ? OR initial_sent_at = 0 OR initial_sent_at > ?)`,
		at, store.Micros(from.Add(-span)), at)
	if err != nil {
		return nil, fmt.Errorf("incident: samples: %w", err)
	}
	defer rows.Close()
	type share struct{ num, den int }
	by := map[int64]*share{}
	for rows.Next() {
		var unit, detected, sentAt int64
		if err := rows.Scan(&unit, &detected, &sentAt); err != nil {
			return nil, fmt.Errorf("incident: samples: %w", err)
		}
		due := st.addDays(store.Time(detected), st.InitialDays)
		var sent time.Time
		if sentAt > 0 && sentAt <= at {
			sent = store.Time(sentAt)
		}
		overdue := sent.IsZero() && now.After(due)
		decided := !sent.IsZero() || overdue
		if !decided || !(overdue || !due.Before(from) && due.Before(to)) {
			continue
		}
		x := by[unit]
		if x == nil {
			x = &share{}
			by[unit] = x
		}
		x.den++
		if !sent.IsZero() && !sent.After(due) {
			x.num++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("incident: samples: %w", err)
	}
	rows.Close()
	units, err := s.DB.Query(ctx, `SELECT id FROM units ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("incident: samples: %w", err)
	}
	defer units.Close()
	var out []measure.Sample
	for units.Next() {
		var id int64
		if err := units.Scan(&id); err != nil {
			return nil, fmt.Errorf("incident: samples: %w", err)
		}
		x := by[id]
		if x == nil {
			x = &share{}
		}
		out = append(out, measure.Sample{Key: measure.KeyIncidentsReportedOnTime, UnitID: id, Num: float64(x.num), Den: float64(x.den)})
	}
	if err := units.Err(); err != nil {
		return nil, fmt.Errorf("incident: samples: %w", err)
	}
	return out, nil
}
