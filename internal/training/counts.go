package training

import (
	"context"
	"fmt"

	"vigil/internal/store"
)

// Completion counters: training_unit_counts holds, per (campaign, unit),
// how many assignments there are and how many are completed and passed.
// They change in the transaction that changes the assignments, by deltas
// on rows the transaction locks, so two quizzes finishing at once in the
// same unit each add their own one (a recount would let the later
// transaction overwrite the earlier one's count on PostgreSQL). The
// dashboard, the campaign list and the completion API read the counters:
// 90 rows a campaign instead of counting every assignment on each view.
// Counts by department still count assignments (they need the person).

// countCampaign writes the counters of a campaign just created (its
// assignments are all written by then).
func countCampaign(ctx context.Context, tx *store.Tx, campaignID int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO training_unit_counts (campaign_id, unit_id, due_at, assigned, completed, passed)
		SELECT a.campaign_id, a.unit_id, MIN(a.due_at), COUNT(*),
			SUM(CASE WHEN a.completed_at > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN a.passed_at > 0 THEN 1 ELSE 0 END)
		FROM training_assignments a WHERE a.campaign_id = ? GROUP BY a.campaign_id, a.unit_id`, campaignID)
	if err != nil {
		return fmt.Errorf("count campaign %d: %w", campaignID, err)
	}
	return nil
}

// countAssigned adds one assignment (not yet completed) due at due to a
// unit's counters.
func countAssigned(ctx context.Context, tx *store.Tx, campaignID, unitID, due int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO training_unit_counts (campaign_id, unit_id, due_at, assigned) VALUES (?, ?, ?, 1)
		ON CONFLICT (campaign_id, unit_id) DO UPDATE SET assigned = training_unit_counts.assigned + 1,
			due_at = CASE WHEN excluded.due_at < training_unit_counts.due_at THEN excluded.due_at ELSE training_unit_counts.due_at END`,
		campaignID, unitID, due)
	if err != nil {
		return fmt.Errorf("count assignment: %w", err)
	}
	return nil
}

// cell is one (campaign, unit) of the counters.
type cell struct{ campaign, unit int64 }

// markAssignments sets column (completed_at or passed_at) to at on the
// person's assignments of a course where it is not set yet, and adds one
// to the counter of each assignment it set. The condition "not set yet"
// makes the change happen once: a second transaction doing the same waits
// for the first's row locks and then finds nothing to set.
func markAssignments(ctx context.Context, tx *store.Tx, column string, at, personID, courseID int64) error {
	counter := map[string]string{"completed_at": "completed", "passed_at": "passed"}[column]
	if counter == "" {
		return fmt.Errorf("markAssignments: unknown column %q", column)
	}
	rows, err := tx.Query(ctx, `UPDATE training_assignments SET `+column+` = ? WHERE person_id = ? AND course_id = ? AND `+column+` = 0
		RETURNING campaign_id, unit_id`, at, personID, courseID)
	if err != nil {
		return fmt.Errorf("mark %s: %w", column, err)
	}
	var cells []cell
	for rows.Next() {
		var c cell
		if err := rows.Scan(&c.campaign, &c.unit); err != nil {
			rows.Close()
			return err
		}
		cells = append(cells, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range cells {
		if _, err := tx.Exec(ctx, `UPDATE training_unit_counts SET `+counter+` = `+counter+` + 1 WHERE campaign_id = ? AND unit_id = ?`, c.campaign, c.unit); err != nil {
			return fmt.Errorf("count %s: %w", counter, err)
		}
	}
	return nil
}

// RecountCompletion rebuilds every completion counter from the
// assignments. The service keeps them current itself; this is for data
// changed behind its back (a restore from an older backup of one table, a
// hand-made correction in SQL) and for benchmarks that build progress in
// bulk.
func (s *Service) RecountCompletion(ctx context.Context) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM training_unit_counts`); err != nil {
			return fmt.Errorf("training: recount: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO training_unit_counts (campaign_id, unit_id, due_at, assigned, completed, passed)
			SELECT a.campaign_id, a.unit_id, MIN(a.due_at), COUNT(*),
				SUM(CASE WHEN a.completed_at > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN a.passed_at > 0 THEN 1 ELSE 0 END)
			FROM training_assignments a JOIN units u ON u.id = a.unit_id GROUP BY a.campaign_id, a.unit_id`); err != nil {
			return fmt.Errorf("training: recount: %w", err)
		}
		return nil
	})
}
