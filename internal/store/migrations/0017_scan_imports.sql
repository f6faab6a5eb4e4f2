-- Scanner imports (issue 11, internal/scanimport): one row per report
-- imported (or refused) with what it did; which scanner last reported
-- each finding, and when each scanner last scanned each host, so a newer
-- scan closes what it no longer reports and an older one closes nothing.
CREATE TABLE scan_imports (
	id               {{id}},
	unit_id          BIGINT NOT NULL REFERENCES units(id),
	scanner          TEXT NOT NULL,
	status           TEXT NOT NULL,
	error            TEXT NOT NULL DEFAULT '',
	file_name        TEXT NOT NULL,
	sha256           TEXT NOT NULL DEFAULT '',
	bytes            BIGINT NOT NULL DEFAULT 0,
	scope            TEXT NOT NULL DEFAULT '',
	scope_hosts      INTEGER NOT NULL DEFAULT 0,
	scan_at          BIGINT NOT NULL DEFAULT 0,
	started_at       BIGINT NOT NULL,
	finished_at      BIGINT NOT NULL DEFAULT 0,
	records_read     INTEGER NOT NULL DEFAULT 0,
	records_loaded   INTEGER NOT NULL DEFAULT 0,
	records_skipped  INTEGER NOT NULL DEFAULT 0,
	skipped          TEXT NOT NULL DEFAULT '[]',
	hosts_new        INTEGER NOT NULL DEFAULT 0,
	hosts_updated    INTEGER NOT NULL DEFAULT 0,
	hosts_older      INTEGER NOT NULL DEFAULT 0,
	findings_new     INTEGER NOT NULL DEFAULT 0,
	findings_updated INTEGER NOT NULL DEFAULT 0,
	findings_reopened INTEGER NOT NULL DEFAULT 0,
	findings_closed  INTEGER NOT NULL DEFAULT 0,
	created_by       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX scan_imports_unit ON scan_imports(unit_id, id);

CREATE TABLE scan_findings (
	scanner    TEXT NOT NULL,
	finding_id BIGINT NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
	host_id    BIGINT NOT NULL,
	import_id  BIGINT NOT NULL,
	PRIMARY KEY (scanner, finding_id)
);
CREATE INDEX scan_findings_host ON scan_findings(scanner, host_id);

CREATE TABLE scan_hosts (
	scanner   TEXT NOT NULL,
	host_id   BIGINT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
	scan_at   BIGINT NOT NULL,
	import_id BIGINT NOT NULL,
	PRIMARY KEY (scanner, host_id)
);
