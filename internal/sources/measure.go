package sources

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/measure"
	"vigil/internal/store"
)

var _ measure.Provider = (*Service)(nil)

// ReportingWithin is how recently a registered source must have sent for
// the readiness measure to count it as reporting.
const ReportingWithin = 24 * time.Hour

// Samples is the sources' side of measure.Provider: per unit (its own
// sources, not its subtree's), the share of its registered sources that
// sent in the 24 hours before r.Now, in one grouped query.
//
//   - Registered at Now: created by Now and not revoked, or revoked after
//     Now. A revoked source is no longer expected to send and is left out
//     of both Num and Den.
//   - Sent: its last accepted event (last_event_at, written by the
//     counters' flush a few seconds behind ingest) is at or after
//     Now − 24 h. Refused events do not count: a source whose every event
//     is refused is not reporting.
//
// A unit with no registered source gets no sample: no data, not 0 %.
func (s *Service) Samples(ctx context.Context, r measure.Request) ([]measure.Sample, error) {
	if !r.Wants(measure.KeySourcesReporting) {
		return nil, nil
	}
	now := r.Now
	if now.IsZero() {
		now = s.now()
	}
	at := store.Micros(now)
	rows, err := s.DB.Query(ctx, `SELECT unit_id, COUNT(*), COUNT(CASE WHEN last_event_at >= ? THEN 1 END) FROM sources
		WHERE created_at <= ? AND (revoked_at = 0 OR revoked_at > ?) GROUP BY unit_id ORDER BY unit_id`,
		store.Micros(now.Add(-ReportingWithin)), at, at)
	if err != nil {
		return nil, fmt.Errorf("sources: samples: %w", err)
	}
	defer rows.Close()
	var out []measure.Sample
	for rows.Next() {
		var unit, registered, reporting int64
		if err := rows.Scan(&unit, &registered, &reporting); err != nil {
			return nil, fmt.Errorf("sources: samples: %w", err)
		}
		out = append(out, measure.Sample{Key: measure.KeySourcesReporting, UnitID: unit, Num: float64(reporting), Den: float64(registered)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sources: samples: %w", err)
	}
	return out, nil
}
