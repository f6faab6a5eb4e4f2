-- The watch: registered event sources (docs/watch.md). A source belongs to
-- a unit, has a kind and a token (kept as its SHA-256 only) and, for
-- syslog senders that carry no token, the addresses it sends from. The
-- counters are flushed from memory in batches, never per event.
CREATE TABLE sources (
	id               {{id}},
	unit_id          BIGINT NOT NULL REFERENCES units(id),
	name             TEXT NOT NULL,
	name_key         TEXT NOT NULL,
	kind             TEXT NOT NULL,
	interval_minutes INTEGER NOT NULL DEFAULT 60,
	senders          TEXT NOT NULL DEFAULT '',
	token_hash       TEXT NOT NULL UNIQUE,
	prefix           TEXT NOT NULL,
	created_by       BIGINT NOT NULL DEFAULT 0,
	created_at       BIGINT NOT NULL,
	token_at         BIGINT NOT NULL,
	revoked_at       BIGINT NOT NULL DEFAULT 0,
	accepted         BIGINT NOT NULL DEFAULT 0,
	refused          BIGINT NOT NULL DEFAULT 0,
	first_event_at   BIGINT NOT NULL DEFAULT 0,
	last_event_at    BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX sources_unit_name ON sources(unit_id, name_key);

-- Events refused per source and reason (oversize, invalid_utf8, ...).
CREATE TABLE source_refusals (
	source_id BIGINT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
	reason    TEXT NOT NULL,
	count     BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (source_id, reason)
);

-- Syslog senders no source claims: shown so an administrator can register
-- them; capped in number.
CREATE TABLE unknown_senders (
	address    TEXT PRIMARY KEY,
	count      BIGINT NOT NULL DEFAULT 0,
	first_seen BIGINT NOT NULL,
	last_seen  BIGINT NOT NULL,
	sample     TEXT NOT NULL DEFAULT ''
);

-- Counters of ingest as a whole (UDP datagrams dropped by the hub's queue
-- or by the kernel, refusals no source can be charged with), added to by
-- every ingest process.
CREATE TABLE ingest_counters (
	name       TEXT PRIMARY KEY,
	value      BIGINT NOT NULL DEFAULT 0,
	since      BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
