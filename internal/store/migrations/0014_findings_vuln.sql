-- Vulnerability facts on findings (issue 11): the CVE a finding is about,
-- its CVSS base score, EPSS probability, whether CISA lists it as known
-- exploited (and the federal due date), the network port a scanner saw it
-- on, and a priority computed from these, the host's exposure and role.
-- Columns, not evidence JSON, so the queue filters and sorts on them.
ALTER TABLE findings ADD COLUMN cve TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN cvss DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN epss DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN kev BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE findings ADD COLUMN kev_due BIGINT NOT NULL DEFAULT 0;
ALTER TABLE findings ADD COLUMN port TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
CREATE INDEX findings_cve ON findings(cve);
