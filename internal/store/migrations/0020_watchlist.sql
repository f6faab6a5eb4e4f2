-- Matches of published warning lists (issue 12, internal/watchlist) and
-- evidence files (internal/attach).
--
-- A hit is one indicator seen on one object: a host's address, name,
-- account or executable hash, or an event of a stored alert. It is stored
-- once per (indicator, object); a later publish or inventory that sees it
-- again moves last_at. Links between indicators ("seen on the same host")
-- are computed when asked, never stored as a cross product. The unit's
-- work on a hit is the finding (kind warning_list) it filed.
CREATE TABLE watchlist_hits (
	id           {{id}},
	indicator_id BIGINT NOT NULL REFERENCES intel_indicators(id) ON DELETE CASCADE,
	list_id      BIGINT NOT NULL REFERENCES warning_lists(id) ON DELETE CASCADE,
	object_kind  TEXT NOT NULL,
	object_key   TEXT NOT NULL,
	host_id      BIGINT NOT NULL DEFAULT 0,
	unit_id      BIGINT NOT NULL REFERENCES units(id),
	alert_id     BIGINT NOT NULL DEFAULT 0,
	seen         TEXT NOT NULL DEFAULT '',
	action       TEXT NOT NULL DEFAULT '',
	reason       TEXT NOT NULL DEFAULT '',
	severity     TEXT NOT NULL DEFAULT 'high',
	first_at     BIGINT NOT NULL,
	last_at      BIGINT NOT NULL,
	finding_id   BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX watchlist_hits_identity ON watchlist_hits(indicator_id, object_kind, object_key);
CREATE INDEX watchlist_hits_unit ON watchlist_hits(unit_id, id);
CREATE INDEX watchlist_hits_host ON watchlist_hits(host_id);
CREATE INDEX watchlist_hits_alert ON watchlist_hits(alert_id);
CREATE INDEX watchlist_hits_finding ON watchlist_hits(finding_id);
CREATE INDEX watchlist_hits_list ON watchlist_hits(list_id, id);

-- One matching of a list (after its publication, after a restart, or of
-- the hosts whose inventory changed: list_id 0 then means every published
-- list). Progress is written as the work goes so a long run shows it; a
-- run left running by a stopped hub (heartbeat older than a few minutes)
-- is taken up again.
CREATE TABLE watchlist_runs (
	id             {{id}},
	list_id        BIGINT NOT NULL,
	cause          TEXT NOT NULL DEFAULT 'publish',
	status         TEXT NOT NULL DEFAULT 'queued',
	phase          TEXT NOT NULL DEFAULT '',
	done           BIGINT NOT NULL DEFAULT 0,
	total          BIGINT NOT NULL DEFAULT 0,
	indicators     BIGINT NOT NULL DEFAULT 0,
	hosts_scanned  BIGINT NOT NULL DEFAULT 0,
	hosts_matched  BIGINT NOT NULL DEFAULT 0,
	alerts_scanned BIGINT NOT NULL DEFAULT 0,
	events_scanned BIGINT NOT NULL DEFAULT 0,
	hits           BIGINT NOT NULL DEFAULT 0,
	findings_new   BIGINT NOT NULL DEFAULT 0,
	created_by     TEXT NOT NULL DEFAULT '',
	created_at     BIGINT NOT NULL,
	started_at     BIGINT NOT NULL DEFAULT 0,
	heartbeat_at   BIGINT NOT NULL DEFAULT 0,
	finished_at    BIGINT NOT NULL DEFAULT 0,
	holder         TEXT NOT NULL DEFAULT '',
	error          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX watchlist_runs_list ON watchlist_runs(list_id, id);
CREATE INDEX watchlist_runs_status ON watchlist_runs(status, id);

-- What an officer recorded on a warning-list finding: the action taken
-- and a note; verified_at/verified_by are set when a later clean scan or
-- inventory confirms it (the finding is then resolved).
CREATE TABLE watchlist_actions (
	id          {{id}},
	finding_id  BIGINT NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
	hit_id      BIGINT NOT NULL DEFAULT 0,
	action      TEXT NOT NULL,
	note        TEXT NOT NULL DEFAULT '',
	by_user     TEXT NOT NULL,
	at          BIGINT NOT NULL,
	verified_at BIGINT NOT NULL DEFAULT 0,
	verified_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX watchlist_actions_finding ON watchlist_actions(finding_id, id);
CREATE INDEX watchlist_actions_pending ON watchlist_actions(verified_at, id);

-- Where the inventory re-match left off (one row).
CREATE TABLE watchlist_cursor (
	id           INTEGER PRIMARY KEY,
	inventory_at BIGINT NOT NULL DEFAULT 0
);

-- Evidence files attached to any object (internal/attach): read-only once
-- attached, kept with their SHA-256.
CREATE TABLE attachments (
	id           {{id}},
	object_type  TEXT NOT NULL,
	object_id    TEXT NOT NULL,
	unit_id      BIGINT NOT NULL DEFAULT 0,
	name         TEXT NOT NULL,
	content_type TEXT NOT NULL DEFAULT 'application/octet-stream',
	size         BIGINT NOT NULL,
	sha256       TEXT NOT NULL,
	data         {{blob}} NOT NULL,
	uploaded_by  TEXT NOT NULL,
	uploaded_at  BIGINT NOT NULL
);
CREATE INDEX attachments_object ON attachments(object_type, object_id, id);

-- The re-match after inventories change reads the hosts whose inventory
-- came in since its last pass.
CREATE INDEX watchlist_hosts_inventory ON hosts(inventory_at);
