package phishing

import (
	"context"
	"fmt"

	"vigil/internal/store"
)

// Drill counters: phishing_unit_counts holds per (drill, unit) how many
// people were sent the drill and how many opened, clicked, submitted and
// reported. Each changes by +1 in the transaction that sets the
// recipient's time for the first time, and only the statement that found
// it unset does so, so two requests at once count once. The IT Center's
// dashboard (ByUnit) reads them; a drill's own page still counts its
// recipients (Results).

const countCols = `SUM(CASE WHEN r.sent_at > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN r.opened_at > 0 THEN 1 ELSE 0 END),
	SUM(CASE WHEN r.clicked_at > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN r.submitted_at > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN r.reported_at > 0 THEN 1 ELSE 0 END)`

// countDrill writes the counters of a drill just scheduled.
func countDrill(ctx context.Context, tx *store.Tx, campaignID int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO phishing_unit_counts (campaign_id, unit_id, recipients, sent, opened, clicked, submitted, reported)
		SELECT r.campaign_id, r.unit_id, COUNT(*), `+countCols+` FROM phishing_recipients r WHERE r.campaign_id = ? GROUP BY r.campaign_id, r.unit_id`, campaignID)
	if err != nil {
		return fmt.Errorf("count drill %d: %w", campaignID, err)
	}
	return nil
}

// stepColumns maps a recipient's time column to its counter.
var stepColumns = map[string]string{"sent_at": "sent", "opened_at": "opened", "clicked_at": "clicked", "submitted_at": "submitted", "reported_at": "reported"}

// markStep sets a recipient's column to at when it is not set yet and then
// adds one to the counter; it reports whether it set it.
func markStep(ctx context.Context, tx *store.Tx, column string, at, recipientID int64) (bool, error) {
	counter := stepColumns[column]
	if counter == "" {
		return false, fmt.Errorf("markStep: unknown column %q", column)
	}
	res, err := tx.Exec(ctx, `UPDATE phishing_recipients SET `+column+` = ? WHERE id = ? AND `+column+` = 0`, at, recipientID)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return false, nil
	}
	_, err = tx.Exec(ctx, `UPDATE phishing_unit_counts SET `+counter+` = `+counter+` + 1
		WHERE campaign_id = (SELECT campaign_id FROM phishing_recipients WHERE id = ?) AND unit_id = (SELECT unit_id FROM phishing_recipients WHERE id = ?)`, recipientID, recipientID)
	return err == nil, err
}

// Recount rebuilds every drill counter from the recipients (after data
// was changed behind the service's back: a hand correction, a benchmark's
// bulk results).
func (s *Service) Recount(ctx context.Context) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM phishing_unit_counts`); err != nil {
			return fmt.Errorf("phishing: recount: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO phishing_unit_counts (campaign_id, unit_id, recipients, sent, opened, clicked, submitted, reported)
			SELECT r.campaign_id, r.unit_id, COUNT(*), `+countCols+` FROM phishing_recipients r JOIN units u ON u.id = r.unit_id GROUP BY r.campaign_id, r.unit_id`); err != nil {
			return fmt.Errorf("phishing: recount: %w", err)
		}
		return nil
	})
}
