-- Findings to closure (issue 11, item 5): an accepted risk names the
-- person who approved it and when the acceptance ends (a job reopens the
-- finding then); due dates per kind and severity are a setting an
-- administrator changes; each host's network exposure (the ports it
-- listens on, whether it has a public address) is kept beside its
-- inventory's hash so a finding's priority is computed without reading
-- the inventory every time.
ALTER TABLE findings ADD COLUMN risk_approver_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN risk_expires_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX findings_priority ON findings(priority, id);
CREATE INDEX findings_risk_expiry ON findings(status, risk_expires_at);

CREATE TABLE finding_due_days (
	kind       TEXT NOT NULL,
	severity   TEXT NOT NULL,
	days       INTEGER NOT NULL,
	updated_by TEXT NOT NULL DEFAULT '',
	updated_at BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (kind, severity)
);
-- Vulnerabilities and missing updates: critical 7 days, high 15, medium 30,
-- low 90 (the directive's figures). Malware and warning-list matches keep
-- the tighter deadlines they had: a live infection is not a patch cycle.
INSERT INTO finding_due_days (kind, severity, days) VALUES
	('vulnerability', 'critical', 7), ('vulnerability', 'high', 15), ('vulnerability', 'medium', 30), ('vulnerability', 'low', 90),
	('missing_update', 'critical', 7), ('missing_update', 'high', 15), ('missing_update', 'medium', 30), ('missing_update', 'low', 90),
	('malware', 'critical', 3), ('malware', 'high', 7), ('malware', 'medium', 30), ('malware', 'low', 90),
	('warning_list', 'critical', 3), ('warning_list', 'high', 7), ('warning_list', 'medium', 30), ('warning_list', 'low', 90);

CREATE TABLE finding_host_exposure (
	host_id        BIGINT PRIMARY KEY REFERENCES hosts(id) ON DELETE CASCADE,
	inventory_hash TEXT NOT NULL DEFAULT '',
	ports          TEXT NOT NULL DEFAULT '',
	internet       BOOLEAN NOT NULL DEFAULT FALSE
);
