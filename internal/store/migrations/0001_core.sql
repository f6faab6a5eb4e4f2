-- Core of the hub: units, contacts, users, sessions, API tokens, the audit
-- chain and job runs. Times are Unix microseconds (UTC) in BIGINT columns.
-- Written once for both engines: {{id}} is the table's generated primary key
-- and booleans are BOOLEAN (see the top of internal/store/migrate.go).
CREATE TABLE units (
	id         {{id}},
	code       TEXT NOT NULL UNIQUE,
	name       TEXT NOT NULL,
	name_fold  TEXT NOT NULL,
	kind       TEXT NOT NULL,
	parent_id  BIGINT REFERENCES units(id),
	path       TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE INDEX units_parent ON units(parent_id);
CREATE INDEX units_path ON units(path);

CREATE TABLE contacts (
	id         {{id}},
	unit_id    BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	position   TEXT NOT NULL DEFAULT '',
	phone      TEXT NOT NULL DEFAULT '',
	email      TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE INDEX contacts_unit ON contacts(unit_id);

CREATE TABLE users (
	id            {{id}},
	email         TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	name_fold     TEXT NOT NULL,
	role          TEXT NOT NULL,
	unit_id       BIGINT NOT NULL REFERENCES units(id),
	password_hash TEXT NOT NULL DEFAULT '',
	disabled      BOOLEAN NOT NULL DEFAULT FALSE,
	failed_logins INTEGER NOT NULL DEFAULT 0,
	locked_until  BIGINT NOT NULL DEFAULT 0,
	last_login_at BIGINT NOT NULL DEFAULT 0,
	oidc_subject  TEXT NOT NULL DEFAULT '',
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL
);
CREATE INDEX users_unit ON users(unit_id);

CREATE TABLE sessions (
	id           TEXT PRIMARY KEY,
	user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	csrf         TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	ip           TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
	id           {{id}},
	user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	token_hash   TEXT NOT NULL UNIQUE,
	prefix       TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL DEFAULT 0,
	last_used_at BIGINT NOT NULL DEFAULT 0,
	revoked_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE audit_log (
	seq         BIGINT PRIMARY KEY,
	at          BIGINT NOT NULL,
	actor_id    BIGINT NOT NULL DEFAULT 0,
	actor       TEXT NOT NULL,
	action      TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id   TEXT NOT NULL,
	unit_id     BIGINT,
	summary     TEXT NOT NULL,
	ip          TEXT NOT NULL DEFAULT '',
	prev_hash   TEXT NOT NULL,
	hash        TEXT NOT NULL
);
CREATE INDEX audit_action ON audit_log(action, seq);
CREATE INDEX audit_actor ON audit_log(actor, seq);
CREATE INDEX audit_unit ON audit_log(unit_id, seq);
CREATE INDEX audit_object ON audit_log(object_type, object_id, seq);

CREATE TABLE audit_head (
	id        INTEGER PRIMARY KEY,
	last_seq  BIGINT NOT NULL,
	last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, '');

CREATE TABLE job_runs (
	name        TEXT NOT NULL,
	slot        BIGINT NOT NULL,
	holder      TEXT NOT NULL,
	started_at  BIGINT NOT NULL,
	finished_at BIGINT NOT NULL DEFAULT 0,
	error       TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (name, slot)
);
