-- Escalation (internal/escalate): who is told, how and when, about an
-- alert nobody acknowledges, and the record of every notification.
--
-- A channel is somewhere to send to that is not a person: a mailing list,
-- a webhook (HMAC-signed JSON) or a Telegram chat. Its secret (the webhook
-- signing key, the bot token) is needed to send, so it is kept as is and
-- never shown back in full.
CREATE TABLE escalation_channels (
	id         {{id}},
	unit_id    BIGINT NOT NULL REFERENCES units(id),
	name       TEXT NOT NULL,
	kind       TEXT NOT NULL,
	target     TEXT NOT NULL,
	secret     TEXT NOT NULL DEFAULT '',
	lang       TEXT NOT NULL DEFAULT 'vi',
	disabled   BOOLEAN NOT NULL DEFAULT FALSE,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX escalation_channels_name ON escalation_channels(unit_id, name);

-- A policy applies to alerts of its unit's subtree at or above a severity;
-- its steps (JSON: delay in minutes after the previous step, target) say
-- who is told as the alert stays unacknowledged.
CREATE TABLE escalation_policies (
	id           {{id}},
	unit_id      BIGINT NOT NULL REFERENCES units(id),
	name         TEXT NOT NULL,
	min_severity TEXT NOT NULL,
	soc_unit_id  BIGINT NOT NULL DEFAULT 0,
	steps        TEXT NOT NULL DEFAULT '[]',
	disabled     BOOLEAN NOT NULL DEFAULT FALSE,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX escalation_policies_name ON escalation_policies(unit_id, name);

-- One row per step an alert has reached: inserting it is the claim, so two
-- hub processes never both escalate the same step.
CREATE TABLE escalation_steps (
	alert_id   BIGINT NOT NULL,
	policy_id  BIGINT NOT NULL,
	step       INTEGER NOT NULL,
	reached_at BIGINT NOT NULL,
	holder     TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (alert_id, policy_id, step)
);

-- The outbox: every notification, its content as sent, and its delivery.
-- A worker claims a due row (claimed_until) before sending, retries with
-- backoff (next_attempt_at) and records the result; rows survive restarts.
CREATE TABLE notifications (
	id              {{id}},
	alert_id        BIGINT NOT NULL DEFAULT 0,
	policy_id       BIGINT NOT NULL DEFAULT 0,
	step            INTEGER NOT NULL DEFAULT 0,
	target          TEXT NOT NULL,
	recipient_key   TEXT NOT NULL,
	recipient       TEXT NOT NULL,
	user_id         BIGINT NOT NULL DEFAULT 0,
	channel_id      BIGINT NOT NULL DEFAULT 0,
	kind            TEXT NOT NULL,
	address         TEXT NOT NULL DEFAULT '',
	unit_id         BIGINT NOT NULL REFERENCES units(id),
	alert_title     TEXT NOT NULL DEFAULT '',
	severity        TEXT NOT NULL DEFAULT '',
	host            TEXT NOT NULL DEFAULT '',
	lang            TEXT NOT NULL DEFAULT 'vi',
	subject         TEXT NOT NULL DEFAULT '',
	body            TEXT NOT NULL DEFAULT '',
	payload         TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL DEFAULT 'pending',
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL DEFAULT 0,
	claimed_by      TEXT NOT NULL DEFAULT '',
	claimed_until   BIGINT NOT NULL DEFAULT 0,
	last_error      TEXT NOT NULL DEFAULT '',
	delivered_at    BIGINT NOT NULL DEFAULT 0,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX notifications_once ON notifications(alert_id, policy_id, step, recipient_key);
CREATE INDEX notifications_due ON notifications(status, next_attempt_at);
CREATE INDEX notifications_alert ON notifications(alert_id);
CREATE INDEX notifications_unit ON notifications(unit_id, id);
