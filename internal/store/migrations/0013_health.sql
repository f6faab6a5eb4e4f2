-- Health of the watch (internal/health): probes of the connection to the
-- national monitoring center with their results and hourly roll-up, and
-- the episodes (a probe down, a source silent, a unit's agents offline, a
-- feed stale) each of which raises one alert and records its recovery.
CREATE TABLE health_probes (
	id               {{id}},
	name             TEXT NOT NULL UNIQUE,
	kind             TEXT NOT NULL,
	target           TEXT NOT NULL,
	interval_s       INTEGER NOT NULL,
	timeout_s        INTEGER NOT NULL,
	want_status      INTEGER NOT NULL DEFAULT 0,
	want_body        TEXT NOT NULL DEFAULT '',
	want_fingerprint TEXT NOT NULL DEFAULT '',
	want_banner      TEXT NOT NULL DEFAULT '',
	down_after_s     INTEGER NOT NULL,
	enabled          BOOLEAN NOT NULL DEFAULT TRUE,
	created_at       BIGINT NOT NULL,
	updated_at       BIGINT NOT NULL,
	next_at          BIGINT NOT NULL DEFAULT 0,
	last_at          BIGINT NOT NULL DEFAULT 0,
	last_ok          BOOLEAN NOT NULL DEFAULT FALSE,
	last_latency_us  BIGINT NOT NULL DEFAULT 0,
	last_error_kind  TEXT NOT NULL DEFAULT '',
	last_error       TEXT NOT NULL DEFAULT '',
	down_since       BIGINT NOT NULL DEFAULT 0
);

-- Every check, kept for a few days (Service.ResultRetention).
CREATE TABLE health_probe_results (
	id         {{id}},
	probe_id   BIGINT NOT NULL REFERENCES health_probes(id) ON DELETE CASCADE,
	at         BIGINT NOT NULL,
	ok         BOOLEAN NOT NULL,
	latency_us BIGINT NOT NULL,
	error_kind TEXT NOT NULL DEFAULT '',
	error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX health_probe_results_probe ON health_probe_results(probe_id, at);

-- One row per probe and hour, kept long: the time each check vouches for
-- (its interval, split at hour boundaries) as up or down. An hour's time
-- vouched for by no check is unknown (the hub was not running).
CREATE TABLE health_probe_hours (
	probe_id       BIGINT NOT NULL REFERENCES health_probes(id) ON DELETE CASCADE,
	hour           BIGINT NOT NULL,
	checks         INTEGER NOT NULL DEFAULT 0,
	failures       INTEGER NOT NULL DEFAULT 0,
	up_us          BIGINT NOT NULL DEFAULT 0,
	down_us        BIGINT NOT NULL DEFAULT 0,
	latency_sum_us BIGINT NOT NULL DEFAULT 0,
	latency_max_us BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (probe_id, hour)
);

-- An episode of ill health: kind probe (subject the probe id), source
-- (the source id), agents (the unit id) or feed (the feed's name). At most
-- one is open per subject, so however many hubs look, one episode raises
-- one alert.
CREATE TABLE health_episodes (
	id         {{id}},
	kind       TEXT NOT NULL,
	subject    TEXT NOT NULL,
	unit_id    BIGINT NOT NULL DEFAULT 0,
	title      TEXT NOT NULL DEFAULT '',
	started_at BIGINT NOT NULL,
	alerted_at BIGINT NOT NULL DEFAULT 0,
	ended_at   BIGINT NOT NULL DEFAULT 0,
	detail     TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX health_episodes_open ON health_episodes(kind, subject) WHERE ended_at = 0;
CREATE INDEX health_episodes_recent ON health_episodes(started_at);
