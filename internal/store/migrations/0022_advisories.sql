-- Advisories (issue 12, internal/advisory): the IT Center's or a national
-- agency's advisory to the units — title, severity, affected products,
-- CVEs, required actions and a deadline (the end of a day in Vietnam) —
-- with a reference number per year ("CB-2026-014"). A draft keeps the
-- targets chosen (all units, or unit codes each meaning that unit and its
-- subtree); issuing lists every target unit as its own row of
-- advisory_targets, where the unit acknowledges it and reports its
-- completion. advisory_feed_items remembers the RSS/Atom items already
-- filed, so an item becomes a draft once.
CREATE TABLE advisories (
	id           {{id}},
	ref          TEXT NOT NULL,
	ref_year     INTEGER NOT NULL,
	ref_seq      INTEGER NOT NULL,
	title        TEXT NOT NULL,
	severity     TEXT NOT NULL DEFAULT 'medium',
	summary      TEXT NOT NULL DEFAULT '',
	products     TEXT NOT NULL DEFAULT '',
	cves         TEXT NOT NULL DEFAULT '',
	actions      TEXT NOT NULL DEFAULT '',
	deadline     BIGINT NOT NULL DEFAULT 0,
	issuer       TEXT NOT NULL DEFAULT '',
	channel      TEXT NOT NULL DEFAULT '',
	link         TEXT NOT NULL DEFAULT '',
	published_at BIGINT NOT NULL DEFAULT 0,
	all_units    BOOLEAN NOT NULL DEFAULT FALSE,
	target_codes TEXT NOT NULL DEFAULT '',
	status       TEXT NOT NULL DEFAULT 'draft',
	status_since BIGINT NOT NULL,
	status_by    TEXT NOT NULL DEFAULT '',
	created_by   TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL,
	issued_by    TEXT NOT NULL DEFAULT '',
	issued_at    BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX advisories_ref ON advisories(ref);
CREATE UNIQUE INDEX advisories_year_seq ON advisories(ref_year, ref_seq);
CREATE INDEX advisories_status ON advisories(status, deadline);

CREATE TABLE advisory_targets (
	advisory_id  BIGINT NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
	unit_id      BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
	acked_at     BIGINT NOT NULL DEFAULT 0,
	acked_by     TEXT NOT NULL DEFAULT '',
	completed_at BIGINT NOT NULL DEFAULT 0,
	completed_by TEXT NOT NULL DEFAULT '',
	note         TEXT NOT NULL DEFAULT '',
	evidence     TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (advisory_id, unit_id)
);
CREATE INDEX advisory_targets_unit ON advisory_targets(unit_id, completed_at);

CREATE TABLE advisory_feed_items (
	channel     TEXT NOT NULL,
	item_key    TEXT NOT NULL,
	advisory_id BIGINT NOT NULL DEFAULT 0,
	seen_at     BIGINT NOT NULL,
	PRIMARY KEY (channel, item_key)
);
