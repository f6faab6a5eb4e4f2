package phishing

import (
	"context"
	"fmt"

	"vigil/internal/errs"
	"vigil/internal/measure"
	"vigil/internal/store"
)

// Phishing drills are a measure.Provider (readiness measure 4).
var _ measure.Provider = (*Service)(nil)

// Samples computes phishing.clicked and phishing.reported over the drill
// recipients whose message went out in [From, To) (sent_at; a bounced,
// refused or still scheduled message was not sent to anyone), each on
// its unit_id, the person's unit when the drill was planned, as the
// drill dashboard counts them. Clicked is a click or a form submitted by
// the person at or before Now: requests that looked like a mail scanner's
// or a sandbox's never set clicked_at (Track keeps them apart), so they
// are out already. Reported is a report at or before Now. Every unit
// gets both samples, 0 of 0 when no drill reached its people in the
// period.
func (s *Service) Samples(ctx context.Context, r measure.Request) ([]measure.Sample, error) {
	if !r.WantsAny(measure.KeyDrillClicked, measure.KeyDrillReported) {
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
	rows, err := s.DB.Query(ctx, `SELECT u.id, COALESCE(t.n, 0), COALESCE(t.clicked, 0), COALESCE(t.reported, 0)
		FROM units u LEFT JOIN (SELECT r.unit_id, COUNT(*) AS n,
			SUM(CASE WHEN r.clicked_at > 0 AND r.clicked_at <= ? THEN 1 ELSE 0 END) AS clicked,
			SUM(CASE WHEN r.reported_at > 0 AND r.reported_at <= ? THEN 1 ELSE 0 END) AS reported
			FROM phishing_recipients r WHERE r.sent_at >= ? AND r.sent_at < ? AND r.sent_at > 0 GROUP BY r.unit_id) t ON t.unit_id = u.id
		ORDER BY u.id`, at, at, store.Micros(r.From), store.Micros(r.To))
	if err != nil {
		return nil, fmt.Errorf("phishing: samples: %w", err)
	}
	defer rows.Close()
	var out []measure.Sample
	for rows.Next() {
		var unit, n, clicked, reported int64
		if err := rows.Scan(&unit, &n, &clicked, &reported); err != nil {
			return nil, fmt.Errorf("phishing: samples: %w", err)
		}
		if r.Wants(measure.KeyDrillClicked) {
			out = append(out, measure.Sample{Key: measure.KeyDrillClicked, UnitID: unit, Num: float64(clicked), Den: float64(n)})
		}
		if r.Wants(measure.KeyDrillReported) {
			out = append(out, measure.Sample{Key: measure.KeyDrillReported, UnitID: unit, Num: float64(reported), Den: float64(n)})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("phishing: samples: %w", err)
	}
	return out, nil
}
