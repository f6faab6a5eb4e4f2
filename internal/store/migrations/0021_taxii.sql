-- TAXII 2.1 sharing and the scheduled intel feeds (issue 12,
-- internal/taxii). A collection shares a selection of the hub's
-- intelligence with units and partners: one warning list, the published
-- list of every month ("current"), or every indicator. Its access rows
-- grant a user (a partner is a user with an API token) or a unit's
-- subtree the right to read and/or write it. A write (POST objects) is
-- recorded as a status resource. A feed is something the hub polls on a
-- schedule: a partner's TAXII collection, a MISP feed, a STIX or CSV file
-- at a URL, or an RSS/Atom advisory channel.
CREATE TABLE taxii_collections (
	id          TEXT NOT NULL PRIMARY KEY,
	title       TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	selection   TEXT NOT NULL,
	list_id     BIGINT NOT NULL DEFAULT 0,
	max_tlp     TEXT NOT NULL DEFAULT 'amber',
	writable    BOOLEAN NOT NULL DEFAULT FALSE,
	source      TEXT NOT NULL DEFAULT '',
	created_by  TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL
);

CREATE TABLE taxii_collection_access (
	collection_id TEXT NOT NULL REFERENCES taxii_collections(id) ON DELETE CASCADE,
	grantee_kind  TEXT NOT NULL,
	grantee_id    BIGINT NOT NULL,
	can_read      BOOLEAN NOT NULL DEFAULT TRUE,
	can_write     BOOLEAN NOT NULL DEFAULT FALSE,
	created_by    TEXT NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL,
	PRIMARY KEY (collection_id, grantee_kind, grantee_id)
);
CREATE INDEX taxii_collection_access_grantee ON taxii_collection_access(grantee_kind, grantee_id);

CREATE TABLE taxii_status (
	id                TEXT NOT NULL PRIMARY KEY,
	collection_id     TEXT NOT NULL,
	user_id           BIGINT NOT NULL DEFAULT 0,
	status            TEXT NOT NULL,
	request_timestamp BIGINT NOT NULL,
	total_count       INTEGER NOT NULL DEFAULT 0,
	success_count     INTEGER NOT NULL DEFAULT 0,
	failure_count     INTEGER NOT NULL DEFAULT 0,
	pending_count     INTEGER NOT NULL DEFAULT 0,
	details           TEXT NOT NULL DEFAULT '',
	created_at        BIGINT NOT NULL
);
CREATE INDEX taxii_status_created ON taxii_status(created_at);

CREATE TABLE intel_feeds (
	id             {{id}},
	kind           TEXT NOT NULL,
	name           TEXT NOT NULL UNIQUE,
	description    TEXT NOT NULL DEFAULT '',
	url            TEXT NOT NULL,
	api_root       TEXT NOT NULL DEFAULT '',
	collection     TEXT NOT NULL DEFAULT '',
	username       TEXT NOT NULL DEFAULT '',
	secret         TEXT NOT NULL DEFAULT '',
	interval_min   INTEGER NOT NULL DEFAULT 60,
	target_list    TEXT NOT NULL DEFAULT '',
	tlp            TEXT NOT NULL DEFAULT '',
	added_after    TEXT NOT NULL DEFAULT '',
	etag           TEXT NOT NULL DEFAULT '',
	last_modified  TEXT NOT NULL DEFAULT '',
	seen           TEXT NOT NULL DEFAULT '',
	enabled        BOOLEAN NOT NULL DEFAULT TRUE,
	next_run_at    BIGINT NOT NULL DEFAULT 0,
	last_run_at    BIGINT NOT NULL DEFAULT 0,
	last_ok_at     BIGINT NOT NULL DEFAULT 0,
	last_status    TEXT NOT NULL DEFAULT '',
	last_error     TEXT NOT NULL DEFAULT '',
	last_count     INTEGER NOT NULL DEFAULT 0,
	status_since   BIGINT NOT NULL DEFAULT 0,
	running_since  BIGINT NOT NULL DEFAULT 0,
	created_by     TEXT NOT NULL DEFAULT '',
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL
);
CREATE INDEX intel_feeds_due ON intel_feeds(enabled, next_run_at);
