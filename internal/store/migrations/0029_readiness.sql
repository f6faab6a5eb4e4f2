-- Readiness campaigns (issue 15, internal/readiness): the directive's five
-- measures as per-unit work with a deadline. A template (the built-in
-- "directive-182-tet" and any the IT Center makes) holds criteria, each
-- computed from a measure metric or attested by the unit's officer; the
-- IT Center edits templates in the UI. A campaign takes a copy of its
-- template's criteria when it opens, so editing a template never changes
-- a running campaign's rules. readiness_snapshots holds the last computed
-- value and status of each (campaign, unit, criterion), with the moment
-- the status began (since); the scoreboard reads only these rows.
-- readiness_history keeps one point a day per (campaign, unit, measure)
-- for the trend.
CREATE TABLE readiness_templates (
	id          {{id}},
	key         TEXT NOT NULL,
	name        TEXT NOT NULL,
	name_en     TEXT NOT NULL DEFAULT '',
	updated_by  TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX readiness_templates_key ON readiness_templates(key);

CREATE TABLE readiness_template_criteria (
	template_id BIGINT NOT NULL REFERENCES readiness_templates(id) ON DELETE CASCADE,
	key         TEXT NOT NULL,
	position    INTEGER NOT NULL DEFAULT 0,
	measure     INTEGER NOT NULL,
	kind        TEXT NOT NULL,
	metric      TEXT NOT NULL DEFAULT '',
	direction   TEXT NOT NULL DEFAULT '',
	target      DOUBLE PRECISION NOT NULL DEFAULT 0,
	margin      DOUBLE PRECISION NOT NULL DEFAULT 0,
	empty_met   BOOLEAN NOT NULL DEFAULT FALSE,
	soc_only    BOOLEAN NOT NULL DEFAULT FALSE,
	org_wide    BOOLEAN NOT NULL DEFAULT FALSE,
	label       TEXT NOT NULL,
	label_en    TEXT NOT NULL DEFAULT '',
	todo        TEXT NOT NULL DEFAULT '',
	todo_en     TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (template_id, key)
);

CREATE TABLE readiness_campaigns (
	id           {{id}},
	name         TEXT NOT NULL,
	template_key TEXT NOT NULL,
	starts_at    BIGINT NOT NULL,
	due_at       BIGINT NOT NULL,
	all_units    BOOLEAN NOT NULL DEFAULT FALSE,
	target_codes TEXT NOT NULL DEFAULT '',
	created_by   TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	refreshed_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX readiness_campaigns_due ON readiness_campaigns(due_at);

CREATE TABLE readiness_campaign_units (
	campaign_id BIGINT NOT NULL REFERENCES readiness_campaigns(id) ON DELETE CASCADE,
	unit_id     BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
	PRIMARY KEY (campaign_id, unit_id)
);
CREATE INDEX readiness_campaign_units_unit ON readiness_campaign_units(unit_id);

CREATE TABLE readiness_campaign_criteria (
	campaign_id BIGINT NOT NULL REFERENCES readiness_campaigns(id) ON DELETE CASCADE,
	key         TEXT NOT NULL,
	position    INTEGER NOT NULL DEFAULT 0,
	measure     INTEGER NOT NULL,
	kind        TEXT NOT NULL,
	metric      TEXT NOT NULL DEFAULT '',
	direction   TEXT NOT NULL DEFAULT '',
	target      DOUBLE PRECISION NOT NULL DEFAULT 0,
	margin      DOUBLE PRECISION NOT NULL DEFAULT 0,
	empty_met   BOOLEAN NOT NULL DEFAULT FALSE,
	soc_only    BOOLEAN NOT NULL DEFAULT FALSE,
	org_wide    BOOLEAN NOT NULL DEFAULT FALSE,
	label       TEXT NOT NULL,
	label_en    TEXT NOT NULL DEFAULT '',
	todo        TEXT NOT NULL DEFAULT '',
	todo_en     TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (campaign_id, key)
);

CREATE TABLE readiness_snapshots (
	campaign_id  BIGINT NOT NULL REFERENCES readiness_campaigns(id) ON DELETE CASCADE,
	unit_id      BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
	criterion    TEXT NOT NULL,
	status       TEXT NOT NULL,
	since        BIGINT NOT NULL,
	has_data     BOOLEAN NOT NULL DEFAULT FALSE,
	num          DOUBLE PRECISION NOT NULL DEFAULT 0,
	den          DOUBLE PRECISION NOT NULL DEFAULT 0,
	refreshed_at BIGINT NOT NULL,
	PRIMARY KEY (campaign_id, unit_id, criterion)
);

CREATE TABLE readiness_history (
	campaign_id BIGINT NOT NULL REFERENCES readiness_campaigns(id) ON DELETE CASCADE,
	unit_id     BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
	measure     INTEGER NOT NULL,
	day         TEXT NOT NULL,
	status      TEXT NOT NULL,
	met         INTEGER NOT NULL DEFAULT 0,
	total       INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (campaign_id, unit_id, measure, day)
);

-- An attestation: the unit's officer says a criterion no data can show is
-- met, with a note and evidence files (internal/attach, object type
-- "readiness_attestation"); the IT Center accepts it or sends it back.
-- One row per (campaign, unit, criterion): attesting again after it was
-- sent back updates the row (the audit log keeps each step).
CREATE TABLE readiness_attestations (
	id          {{id}},
	campaign_id BIGINT NOT NULL REFERENCES readiness_campaigns(id) ON DELETE CASCADE,
	unit_id     BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
	criterion   TEXT NOT NULL,
	state       TEXT NOT NULL,
	note        TEXT NOT NULL DEFAULT '',
	attested_by TEXT NOT NULL DEFAULT '',
	attested_at BIGINT NOT NULL,
	reviewed_by TEXT NOT NULL DEFAULT '',
	reviewed_at BIGINT NOT NULL DEFAULT 0,
	review_note TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX readiness_attestations_key ON readiness_attestations(campaign_id, unit_id, criterion);
CREATE INDEX readiness_attestations_state ON readiness_attestations(state, campaign_id);
