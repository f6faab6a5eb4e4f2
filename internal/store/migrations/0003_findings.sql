-- One queue of things to fix on the hosts (internal/findings): malware
-- hits, missing updates, vulnerabilities and warning-list matches share a
-- lifecycle, an owner and a due date. A finding is identified by its host,
-- kind and key, so a repeated report updates it instead of adding a row.
CREATE TABLE findings (
	id           {{id}},
	host_id      BIGINT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
	kind         TEXT NOT NULL,
	finding_key  TEXT NOT NULL,
	title        TEXT NOT NULL,
	severity     TEXT NOT NULL,
	evidence     TEXT NOT NULL DEFAULT '{}',
	source       TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL DEFAULT 'open',
	status_since BIGINT NOT NULL,
	owner_id     BIGINT NOT NULL DEFAULT 0,
	due_at       BIGINT NOT NULL DEFAULT 0,
	first_seen   BIGINT NOT NULL,
	last_seen    BIGINT NOT NULL,
	times_seen   INTEGER NOT NULL DEFAULT 1,
	reopened     INTEGER NOT NULL DEFAULT 0,
	note         TEXT NOT NULL DEFAULT '',
	updated_by   TEXT NOT NULL DEFAULT '',
	updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX findings_identity ON findings(host_id, kind, finding_key);
CREATE INDEX findings_status ON findings(status, due_at);

-- The malware-review findings of measure 1 become findings of kind
-- "malware"; "removed" and "reimaged" were ways of resolving one.
INSERT INTO findings (host_id, kind, finding_key, title, severity, evidence, source, status, status_since, due_at,
	first_seen, last_seen, note, updated_by, updated_at)
SELECT host_id, 'malware',
	kind || ':' || indicator_type || ':' || indicator || ':' || path || ':' || process || ':' || remote || ':' || CAST(id AS TEXT),
	CASE WHEN comment <> '' THEN comment ELSE indicator END,
	CASE WHEN kind = 'file' THEN 'high' ELSE 'critical' END,
	CAST({{json_object}}('task_id', task_id, 'match', kind, 'indicator_type', indicator_type, 'indicator', indicator, 'comment', comment,
		'path', path, 'sha256', sha256, 'process', process, 'pid', pid, 'remote', remote, 'domain', domain) AS TEXT),
	CASE WHEN task_id <> '' THEN 'scan task ' || task_id ELSE 'scan' END,
	CASE WHEN status IN ('removed', 'reimaged') THEN 'resolved' ELSE status END,
	updated_at,
	found_at + CASE WHEN kind = 'file' THEN 604800000000 ELSE 259200000000 END,
	found_at, found_at,
	CASE WHEN status IN ('removed', 'reimaged') THEN status || ': ' || note ELSE note END,
	updated_by, updated_at
FROM host_findings;

DROP TABLE host_findings;
