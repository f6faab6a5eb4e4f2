package duty

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/errs"
	"vigil/internal/measure"
	"vigil/internal/store"
)

// The duty roster is a measure.Provider (readiness measure 2 for every
// unit, measure 5 for the SOC's unit).
var _ measure.Provider = (*Service)(nil)

// Samples computes duty.covered: for each unit with a roster overlapping
// [From, To), the hours of [From, To) inside at least one of its shifts
// that an active (not disabled) user is on, of the hours of [From, To).
// Shifts of several rosters of a unit that overlap count once (their
// union). A unit without any roster overlapping the period has no sample
// (a gap, "no roster"), not 0 of the period: parent units and units that
// keep no duty would otherwise drag their subtree's rollup down. Rules as
// for the roster pages: coverage is today's people on the shifts (who was
// disabled later no longer counts). Now plays no part: shifts still to
// come count as planned, which is what readiness asks before a holiday.
func (s *Service) Samples(ctx context.Context, r measure.Request) ([]measure.Sample, error) {
	if !r.Wants(measure.KeyDutyCovered) {
		return nil, nil
	}
	if r.From.IsZero() || !r.From.Before(r.To) {
		return nil, errs.Invalid("from", "must be before the end of the period")
	}
	from, to := store.Micros(r.From), store.Micros(r.To)
	// The shifts that start from maxShift before the period to its end (a
	// tight index range however long the rosters run); each shift's
	// people are one probe of the assignments' primary key, the disabled
	// users read once (joining users per shift made PostgreSQL hash
	// every assignment of every year, or scan users once per shift).
	rows, err := s.DB.Query(ctx, `SELECT r.unit_id, s.starts_at, s.ends_at, `+onShift+`
		FROM duty_rosters r JOIN duty_shifts s ON s.roster_id = r.id
		WHERE r.starts_at < ? AND r.ends_at > ? AND s.starts_at < ? AND s.starts_at > ? AND s.ends_at > ?
		ORDER BY r.unit_id, s.starts_at`, to, from, to, from-int64(maxShift/time.Microsecond), from)
	if err != nil {
		return nil, fmt.Errorf("duty: samples: %w", err)
	}
	defer rows.Close()
	period := float64(to-from) / float64(time.Hour/time.Microsecond)
	var out []measure.Sample
	var unit int64 = -1
	var sum, curFrom, curTo int64 // covered µs of unit; the covered interval being merged
	flush := func() {
		if unit < 0 {
			return
		}
		sum += curTo - curFrom
		out = append(out, measure.Sample{Key: measure.KeyDutyCovered, UnitID: unit,
			Num: float64(sum) / float64(time.Hour/time.Microsecond), Den: period})
	}
	for rows.Next() {
		var u, a, b int64
		var on int64
		if err := rows.Scan(&u, &a, &b, &on); err != nil {
			return nil, fmt.Errorf("duty: samples: %w", err)
		}
		if u != unit {
			flush()
			unit, sum, curFrom, curTo = u, 0, 0, 0
		}
		if on == 0 {
			continue
		}
		a, b = max(a, from), min(b, to)
		switch {
		case curTo == curFrom: // nothing merged yet
			curFrom, curTo = a, b
		case a <= curTo: // overlaps or touches: extend
			curTo = max(curTo, b)
		default:
			sum += curTo - curFrom
			curFrom, curTo = a, b
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("duty: samples: %w", err)
	}
	flush()
	return out, nil
}

// onShift counts the active (not disabled) users on a shift (alias s).
const onShift = `(SELECT COUNT(*) FROM duty_assignments a WHERE a.shift_id = s.id AND a.user_id NOT IN (SELECT us.id FROM users us WHERE us.disabled))`

// maxShift bounds a shift's length: ShiftTimes runs each from one start
// time to the next, a day at most (one start a day); twice that for
// margin.
const maxShift = 48 * time.Hour
