-- Detection rules of the watch (internal/pipeline): the Sigma rules the
-- pipeline runs, from the rules directory (source 'dir', written by the
-- process that loads the directory so every process can list them) and
-- from the UI (source 'ui', the YAML kept here); enabling and disabling
-- any rule by its id; per-unit exceptions; hits per rule and hour; and a
-- version every process polls to reload when any of these change.
CREATE TABLE rules (
	id          {{id}},
	rule_id     TEXT NOT NULL UNIQUE,
	source      TEXT NOT NULL,
	path        TEXT NOT NULL DEFAULT '',
	title       TEXT NOT NULL,
	title_fold  TEXT NOT NULL DEFAULT '',
	level       TEXT NOT NULL DEFAULT '',
	status      TEXT NOT NULL DEFAULT '',
	yaml        TEXT NOT NULL DEFAULT '',
	enabled     BOOLEAN NOT NULL DEFAULT TRUE,
	load_error  TEXT NOT NULL DEFAULT '',
	created_by  TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	updated_by  TEXT NOT NULL DEFAULT '',
	updated_at  BIGINT NOT NULL
);
CREATE INDEX rules_source ON rules(source, rule_id);

CREATE TABLE rule_exceptions (
	id          {{id}},
	rule_id     TEXT NOT NULL,
	unit_id     BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
	note        TEXT NOT NULL DEFAULT '',
	created_by  TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX rule_exceptions_rule_unit ON rule_exceptions(rule_id, unit_id);
CREATE INDEX rule_exceptions_unit ON rule_exceptions(unit_id);

CREATE TABLE rule_hits (
	rule_id TEXT NOT NULL,
	hour    BIGINT NOT NULL,
	hits    BIGINT NOT NULL,
	PRIMARY KEY (rule_id, hour)
);

CREATE TABLE rules_version (
	id      INTEGER PRIMARY KEY,
	version BIGINT NOT NULL
);
INSERT INTO rules_version (id, version) VALUES (1, 1);
