-- Measure 1: hosts and their inventories, endpoint agents and their
-- enrolment tokens, tasks sent to agents, and malware-review findings.
CREATE TABLE enrollment_tokens (
	id         {{id}},
	unit_id    BIGINT NOT NULL REFERENCES units(id),
	token_hash TEXT NOT NULL UNIQUE,
	prefix     TEXT NOT NULL,
	created_by BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	max_uses   INTEGER NOT NULL,
	uses       INTEGER NOT NULL DEFAULT 0,
	revoked_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX enrollment_tokens_unit ON enrollment_tokens(unit_id);

CREATE TABLE hosts (
	id             {{id}},
	unit_id        BIGINT NOT NULL REFERENCES units(id),
	hostname       TEXT NOT NULL,
	hostname_key   TEXT NOT NULL,
	fqdn           TEXT NOT NULL DEFAULT '',
	machine_id     TEXT NOT NULL DEFAULT '',
	os_family      TEXT NOT NULL DEFAULT '',
	os_name        TEXT NOT NULL DEFAULT '',
	os_version     TEXT NOT NULL DEFAULT '',
	os_build       TEXT NOT NULL DEFAULT '',
	role           TEXT NOT NULL DEFAULT '',
	addresses      TEXT NOT NULL DEFAULT '',
	source         TEXT NOT NULL,
	search         TEXT NOT NULL DEFAULT '',
	av_ok          BOOLEAN NOT NULL DEFAULT FALSE,
	av_product     TEXT NOT NULL DEFAULT '',
	av_updated_at  BIGINT NOT NULL DEFAULT 0,
	edr_ok         BOOLEAN NOT NULL DEFAULT FALSE,
	firewall_ok    BOOLEAN NOT NULL DEFAULT FALSE,
	software_count INTEGER NOT NULL DEFAULT 0,
	controls       TEXT NOT NULL DEFAULT '[]',
	agent_id       TEXT NOT NULL DEFAULT '',
	agent_seen_at  BIGINT NOT NULL DEFAULT 0,
	first_seen_at  BIGINT NOT NULL,
	last_seen_at   BIGINT NOT NULL,
	inventory_at   BIGINT NOT NULL DEFAULT 0,
	inventory_hash TEXT NOT NULL DEFAULT '',
	inventory      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX hosts_unit ON hosts(unit_id, id);
CREATE INDEX hosts_key ON hosts(unit_id, hostname_key);
CREATE INDEX hosts_machine ON hosts(unit_id, machine_id);

CREATE TABLE host_changes (
	id      {{id}},
	host_id BIGINT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
	at      BIGINT NOT NULL,
	kind    TEXT NOT NULL,
	subject TEXT NOT NULL,
	old     TEXT NOT NULL DEFAULT '',
	new     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX host_changes_host ON host_changes(host_id, id);

CREATE TABLE agents (
	id          TEXT PRIMARY KEY,
	host_id     BIGINT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
	unit_id     BIGINT NOT NULL REFERENCES units(id),
	secret_hash TEXT NOT NULL,
	token_id    BIGINT NOT NULL DEFAULT 0,
	version     TEXT NOT NULL DEFAULT '',
	enrolled_at BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL DEFAULT 0,
	revoked_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX agents_host ON agents(host_id);

CREATE TABLE agent_tasks (
	id          TEXT PRIMARY KEY,
	host_id     BIGINT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
	kind        TEXT NOT NULL,
	params      TEXT NOT NULL DEFAULT '{}',
	status      TEXT NOT NULL,
	progress    TEXT NOT NULL DEFAULT '',
	result      TEXT NOT NULL DEFAULT '',
	error       TEXT NOT NULL DEFAULT '',
	created_by  TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
CREATE INDEX agent_tasks_host ON agent_tasks(host_id, status);

CREATE TABLE host_findings (
	id         {{id}},
	host_id    BIGINT NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
	task_id    TEXT NOT NULL DEFAULT '',
	kind       TEXT NOT NULL,
	indicator_type  TEXT NOT NULL DEFAULT '',
	indicator  TEXT NOT NULL DEFAULT '',
	comment    TEXT NOT NULL DEFAULT '',
	path       TEXT NOT NULL DEFAULT '',
	sha256     TEXT NOT NULL DEFAULT '',
	process    TEXT NOT NULL DEFAULT '',
	pid        INTEGER NOT NULL DEFAULT 0,
	remote     TEXT NOT NULL DEFAULT '',
	domain     TEXT NOT NULL DEFAULT '',
	found_at   BIGINT NOT NULL,
	status     TEXT NOT NULL DEFAULT 'open',
	note       TEXT NOT NULL DEFAULT '',
	updated_by TEXT NOT NULL DEFAULT '',
	updated_at BIGINT NOT NULL
);
CREATE INDEX host_findings_host ON host_findings(host_id, id);
