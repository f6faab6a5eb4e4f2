-- Awareness additions (issue 14, the rest).
--
-- Completion counters per (campaign, unit), kept current by
-- internal/training in the same transaction as the assignments they count
-- (a campaign's creation, a follow-up enrolment, a quiz that completes or
-- passes an assignment): the IT Center's dashboard reads 90 rows a
-- campaign instead of counting 30,000 assignments on every view.
CREATE TABLE training_unit_counts (
	campaign_id BIGINT NOT NULL REFERENCES training_campaigns(id) ON DELETE CASCADE,
	unit_id     BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
	due_at      BIGINT NOT NULL,
	assigned    INTEGER NOT NULL DEFAULT 0,
	completed   INTEGER NOT NULL DEFAULT 0,
	passed      INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (campaign_id, unit_id)
);
CREATE INDEX training_unit_counts_unit ON training_unit_counts(unit_id);

INSERT INTO training_unit_counts (campaign_id, unit_id, due_at, assigned, completed, passed)
	SELECT a.campaign_id, a.unit_id, MIN(a.due_at), COUNT(*),
		SUM(CASE WHEN a.completed_at > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN a.passed_at > 0 THEN 1 ELSE 0 END)
	FROM training_assignments a JOIN units u ON u.id = a.unit_id
	GROUP BY a.campaign_id, a.unit_id;
