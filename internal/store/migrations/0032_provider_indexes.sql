-- Indexes for the measure providers (internal/measure; readiness and the
-- monthly report read every unit's figures through them).
--
-- The findings provider counts every finding by unit, kind, source,
-- severity and state at a moment (status, status_since, first_seen,
-- due_at, risk_expires_at): this index holds all of those, so the count
-- over a million findings reads the index, not the rows and their
-- evidence, and the Microsoft 2023 count seeks (host, missing_update,
-- msrc, severity) before it reads a row.
CREATE INDEX findings_measure ON findings(host_id, kind, source, severity, status, status_since, first_seen, due_at, risk_expires_at);

-- The alerts provider counts the alerts raised in a period (a month):
-- without this, the period's alerts are found by reading them all.
CREATE INDEX alerts_created ON alerts(created_at);
