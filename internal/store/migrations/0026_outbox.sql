-- The outbox (issue 13, internal/outbox): documents the hub must get out —
-- the national incident reports first — to the recipients the IT Center
-- configured per purpose. outbox_messages holds what was handed over (one
-- row per idempotency key) and outbox_files its attachments; every
-- recipient is a row of outbox_deliveries before anything is sent, claimed
-- by one hub process at a time (claimed_until lapses if the process dies),
-- retried with backoff until give_up_at; outbox_attempts logs every try.
CREATE TABLE outbox_settings (
	purpose            TEXT PRIMARY KEY,
	owner_name         TEXT NOT NULL DEFAULT '',
	owner_emails       TEXT NOT NULL DEFAULT '',
	coordinator_name   TEXT NOT NULL DEFAULT '',
	coordinator_emails TEXT NOT NULL DEFAULT '',
	specialised_name   TEXT NOT NULL DEFAULT '',
	specialised_emails TEXT NOT NULL DEFAULT '',
	http_url           TEXT NOT NULL DEFAULT '',
	http_secret        TEXT NOT NULL DEFAULT '',
	updated_by         TEXT NOT NULL DEFAULT '',
	updated_at         BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE outbox_messages (
	id          {{id}},
	msg_key     TEXT NOT NULL,
	purpose     TEXT NOT NULL,
	object_type TEXT NOT NULL DEFAULT '',
	object_id   TEXT NOT NULL DEFAULT '',
	unit_id     BIGINT NOT NULL REFERENCES units(id),
	subject     TEXT NOT NULL DEFAULT '',
	body        TEXT NOT NULL DEFAULT '',
	json_body   TEXT NOT NULL DEFAULT '',
	created_by  TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX outbox_messages_key ON outbox_messages(msg_key);
CREATE INDEX outbox_messages_object ON outbox_messages(object_type, object_id);

CREATE TABLE outbox_files (
	message_id   BIGINT NOT NULL REFERENCES outbox_messages(id) ON DELETE CASCADE,
	seq          INTEGER NOT NULL,
	name         TEXT NOT NULL,
	content_type TEXT NOT NULL DEFAULT 'application/octet-stream',
	data         {{blob}} NOT NULL,
	PRIMARY KEY (message_id, seq)
);

CREATE TABLE outbox_deliveries (
	id            {{id}},
	message_id    BIGINT NOT NULL REFERENCES outbox_messages(id) ON DELETE CASCADE,
	unit_id       BIGINT NOT NULL REFERENCES units(id),
	channel       TEXT NOT NULL,
	target        TEXT NOT NULL,
	recipient     TEXT NOT NULL DEFAULT '',
	secret        TEXT NOT NULL DEFAULT '',
	status        TEXT NOT NULL DEFAULT 'pending',
	attempts      INTEGER NOT NULL DEFAULT 0,
	next_at       BIGINT NOT NULL DEFAULT 0,
	give_up_at    BIGINT NOT NULL DEFAULT 0,
	claimed_by    TEXT NOT NULL DEFAULT '',
	claimed_until BIGINT NOT NULL DEFAULT 0,
	last_error    TEXT NOT NULL DEFAULT '',
	delivered_at  BIGINT NOT NULL DEFAULT 0,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX outbox_deliveries_once ON outbox_deliveries(message_id, channel, target);
CREATE INDEX outbox_deliveries_due ON outbox_deliveries(status, next_at);
CREATE INDEX outbox_deliveries_unit ON outbox_deliveries(unit_id, id);

CREATE TABLE outbox_attempts (
	delivery_id BIGINT NOT NULL REFERENCES outbox_deliveries(id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL,
	at          BIGINT NOT NULL,
	result      TEXT NOT NULL,
	detail      TEXT NOT NULL DEFAULT '',
	took_ms     BIGINT NOT NULL DEFAULT 0,
	holder      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (delivery_id, seq)
);
