package training

import (
	"context"
	"fmt"

	"vigil/internal/errs"
	"vigil/internal/measure"
	"vigil/internal/store"
)

// Training is a measure.Provider (readiness measure 4, the monthly
// report's training completion).
var _ measure.Provider = (*Service)(nil)

// Samples computes training.completed and training.passed over the
// assignments in play during [From, To): assigned before To and due at
// or after From (so a campaign due in the period, or still running in
// it, counts whole; follow-up assignments after a phishing drill are
// assignments too). Each is counted on its unit_id, the person's unit
// when assigned, as the completion dashboard counts it. Completed and
// passed are as of Now (an assignment done after Now is not yet done).
// Every unit gets both samples, 0 of 0 when none of its people has an
// assignment in play: the hub has training, there is just nothing to
// measure there.
func (s *Service) Samples(ctx context.Context, r measure.Request) ([]measure.Sample, error) {
	if !r.WantsAny(measure.KeyTrainingCompleted, measure.KeyTrainingPassed) {
		return nil, nil
	}
	if r.From.IsZero() || !r.From.Before(r.To) {
		return nil, errs.Invalid("from", "must be before the end of the period")
	}
	now := r.Now
	if now.IsZero() {
		now = s.now()
	}
	at := store.Micros(now)
	// One pass over the assignments in play, grouped by unit; units
	// without any are added from the units table with 0 of 0.
	rows, err := s.DB.Query(ctx, `SELECT u.id, COALESCE(t.n, 0), COALESCE(t.completed, 0), COALESCE(t.passed, 0)
		FROM units u LEFT JOIN (SELECT a.unit_id, COUNT(*) AS n,
			SUM(CASE WHEN a.completed_at > 0 AND a.completed_at <= ? THEN 1 ELSE 0 END) AS completed,
			SUM(CASE WHEN a.passed_at > 0 AND a.passed_at <= ? THEN 1 ELSE 0 END) AS passed
			FROM training_assignments a WHERE a.due_at >= ? AND a.assigned_at < ? GROUP BY a.unit_id) t ON t.unit_id = u.id
		ORDER BY u.id`, at, at, store.Micros(r.From), store.Micros(r.To))
	if err != nil {
		return nil, fmt.Errorf("training: samples: %w", err)
	}
	defer rows.Close()
	var out []measure.Sample
	for rows.Next() {
		var unit int64
		var n, completed, passed int64
		if err := rows.Scan(&unit, &n, &completed, &passed); err != nil {
			return nil, fmt.Errorf("training: samples: %w", err)
		}
		if r.Wants(measure.KeyTrainingCompleted) {
			out = append(out, measure.Sample{Key: measure.KeyTrainingCompleted, UnitID: unit, Num: float64(completed), Den: float64(n)})
		}
		if r.Wants(measure.KeyTrainingPassed) {
			out = append(out, measure.Sample{Key: measure.KeyTrainingPassed, UnitID: unit, Num: float64(passed), Den: float64(n)})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("training: samples: %w", err)
	}
	return out, nil
}
