-- Threat intelligence and the IT Center's warning lists (issue 12,
-- internal/intel). An indicator is one (kind, value) as one source states
-- it, with that source's confidence, TLP marking, validity, tags and the
-- report it came from; the same value from two sources is two rows, so
-- each keeps its own marking. A warning list is the IT Center's list of a
-- month (versioned: a correction is version 2 of the same month); its
-- entries point at indicators and may target one unit's subtree, with the
-- action the unit must take. Matches (watchlist), TAXII collections,
-- feeds and advisories have tables of their own.
CREATE TABLE intel_indicators (
	id          {{id}},
	kind        TEXT NOT NULL,
	value       TEXT NOT NULL,
	source      TEXT NOT NULL DEFAULT '',
	confidence  INTEGER NOT NULL DEFAULT 50,
	tlp         TEXT NOT NULL DEFAULT 'amber',
	first_seen  BIGINT NOT NULL DEFAULT 0,
	last_seen   BIGINT NOT NULL DEFAULT 0,
	valid_until BIGINT NOT NULL DEFAULT 0,
	tags        TEXT NOT NULL DEFAULT '',
	report      TEXT NOT NULL DEFAULT '',
	comment     TEXT NOT NULL DEFAULT '',
	stix_id     TEXT NOT NULL,
	revoked     BOOLEAN NOT NULL DEFAULT FALSE,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX intel_indicators_identity ON intel_indicators(kind, value, source);
CREATE INDEX intel_indicators_value ON intel_indicators(value);
CREATE INDEX intel_indicators_stix ON intel_indicators(stix_id);
CREATE INDEX intel_indicators_updated ON intel_indicators(updated_at, id);

CREATE TABLE warning_lists (
	id           {{id}},
	name         TEXT NOT NULL,
	month        TEXT NOT NULL,
	version      INTEGER NOT NULL DEFAULT 1,
	issuer       TEXT NOT NULL DEFAULT '',
	description  TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL DEFAULT 'draft',
	status_since BIGINT NOT NULL,
	retro_days   INTEGER NOT NULL DEFAULT 30,
	entries      INTEGER NOT NULL DEFAULT 0,
	created_by   TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	published_by TEXT NOT NULL DEFAULT '',
	published_at BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX warning_lists_version ON warning_lists(month, version);
CREATE INDEX warning_lists_status ON warning_lists(status, published_at);

CREATE TABLE warning_list_entries (
	list_id      BIGINT NOT NULL REFERENCES warning_lists(id) ON DELETE CASCADE,
	indicator_id BIGINT NOT NULL REFERENCES intel_indicators(id) ON DELETE CASCADE,
	unit_id      BIGINT NOT NULL DEFAULT 0,
	action       TEXT NOT NULL DEFAULT '',
	severity     TEXT NOT NULL DEFAULT 'high',
	reason       TEXT NOT NULL DEFAULT '',
	added_at     BIGINT NOT NULL,
	PRIMARY KEY (list_id, indicator_id, unit_id)
);
CREATE INDEX warning_list_entries_indicator ON warning_list_entries(indicator_id);
CREATE INDEX warning_list_entries_added ON warning_list_entries(list_id, added_at, indicator_id);
