-- The alert queue (internal/alerts): detection matches grouped into
-- alerts, a bounded sample of the matched events, and suppression rules.
-- open_key identifies the group an alert still takes matches for (rule,
-- unit, host and key fields, hashed); it is NULL once the grouping window
-- has passed or the alert is closed, so the unique index lets exactly one
-- alert per group take matches, across hub processes.
CREATE TABLE alerts (
	id            {{id}},
	rule_id       TEXT NOT NULL,
	rule_title    TEXT NOT NULL,
	severity      TEXT NOT NULL,
	severity_rank INTEGER NOT NULL,
	group_key     TEXT NOT NULL DEFAULT '',
	open_key      TEXT,
	host          TEXT NOT NULL DEFAULT '',
	host_key      TEXT NOT NULL DEFAULT '',
	host_id       BIGINT NOT NULL DEFAULT 0,
	unit_id       BIGINT NOT NULL REFERENCES units(id),
	source_id     BIGINT NOT NULL DEFAULT 0,
	match_count   BIGINT NOT NULL DEFAULT 1,
	first_seen    BIGINT NOT NULL,
	last_seen     BIGINT NOT NULL,
	status        TEXT NOT NULL DEFAULT 'open',
	status_since  BIGINT NOT NULL,
	status_by     TEXT NOT NULL DEFAULT '',
	acked_at      BIGINT NOT NULL DEFAULT 0,
	acked_by      TEXT NOT NULL DEFAULT '',
	assignee_id   BIGINT NOT NULL DEFAULT 0,
	close_reason  TEXT NOT NULL DEFAULT '',
	note          TEXT NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL,
	changed_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX alerts_open_key ON alerts(open_key);
CREATE INDEX alerts_unit ON alerts(unit_id, id);
CREATE INDEX alerts_status ON alerts(status, severity_rank, created_at);
CREATE INDEX alerts_changed ON alerts(changed_at);
CREATE INDEX alerts_host ON alerts(host_id);

-- The matched events kept with an alert: the first few and the latest
-- (seq is the match's number in the alert, 1 for the first).
CREATE TABLE alert_events (
	id        {{id}},
	alert_id  BIGINT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
	seq       BIGINT NOT NULL,
	at        BIGINT NOT NULL,
	source_id BIGINT NOT NULL DEFAULT 0,
	fields    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX alert_events_alert ON alert_events(alert_id, seq);

-- Suppression rules: matches of a rule (optionally on one host, in one
-- unit's subtree, or with one field value) are counted, not alerted,
-- until the rule expires or is removed.
CREATE TABLE alert_suppressions (
	id          {{id}},
	rule_id     TEXT NOT NULL,
	host_key    TEXT NOT NULL DEFAULT '',
	unit_id     BIGINT NOT NULL DEFAULT 0,
	field       TEXT NOT NULL DEFAULT '',
	value       TEXT NOT NULL DEFAULT '',
	reason      TEXT NOT NULL,
	expires_at  BIGINT NOT NULL,
	created_by  TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	removed_at  BIGINT NOT NULL DEFAULT 0,
	removed_by  TEXT NOT NULL DEFAULT '',
	hits        BIGINT NOT NULL DEFAULT 0,
	last_hit_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX alert_suppressions_rule ON alert_suppressions(rule_id);
