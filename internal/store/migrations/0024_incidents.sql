-- Incident cases (issue 13, internal/incident): a case from one or more
-- alerts, a warning-list hit or by hand, numbered per year
-- ("SC-2026-0012"), with its category (the rows of Mẫu 05), severity,
-- affected system and its security level, affected units and hosts, status
-- with who moved it and when, owner and participants, tasks, a timeline,
-- observables and the clocks of the national reporting rules. Evidence
-- files are attachments (object_type 'incident').
CREATE TABLE incidents (
	id                {{id}},
	ref               TEXT NOT NULL,
	ref_year          INTEGER NOT NULL,
	ref_seq           INTEGER NOT NULL,
	title             TEXT NOT NULL,
	description       TEXT NOT NULL DEFAULT '',
	category          TEXT NOT NULL,
	severity          TEXT NOT NULL,
	severity_rank     INTEGER NOT NULL DEFAULT 2,
	unit_id           BIGINT NOT NULL REFERENCES units(id),
	system_name       TEXT NOT NULL DEFAULT '',
	security_level    INTEGER NOT NULL DEFAULT 0,
	personal_data     BOOLEAN NOT NULL DEFAULT FALSE,
	serious           BOOLEAN NOT NULL DEFAULT FALSE,
	serious_at        BIGINT NOT NULL DEFAULT 0,
	domains           TEXT NOT NULL DEFAULT '',
	public_ips        TEXT NOT NULL DEFAULT '',
	os                TEXT NOT NULL DEFAULT '',
	services          TEXT NOT NULL DEFAULT '',
	security_measures TEXT NOT NULL DEFAULT '',
	purpose           TEXT NOT NULL DEFAULT '',
	status            TEXT NOT NULL DEFAULT 'new',
	status_since      BIGINT NOT NULL,
	status_by         TEXT NOT NULL DEFAULT '',
	owner_id          BIGINT NOT NULL DEFAULT 0,
	source            TEXT NOT NULL DEFAULT 'manual',
	detected_at       BIGINT NOT NULL,
	opened_at         BIGINT NOT NULL,
	acked_at          BIGINT NOT NULL DEFAULT 0,
	contained_at      BIGINT NOT NULL DEFAULT 0,
	closed_at         BIGINT NOT NULL DEFAULT 0,
	initial_sent_at   BIGINT NOT NULL DEFAULT 0,
	final_sent_at     BIGINT NOT NULL DEFAULT 0,
	pd_notified_at    BIGINT NOT NULL DEFAULT 0,
	resolution        TEXT NOT NULL DEFAULT '',
	lessons           TEXT NOT NULL DEFAULT '',
	support_from      TEXT NOT NULL DEFAULT '',
	vncert_help       BOOLEAN NOT NULL DEFAULT FALSE,
	damage_vnd        BIGINT NOT NULL DEFAULT 0,
	reminded          TEXT NOT NULL DEFAULT '',
	created_by        TEXT NOT NULL DEFAULT '',
	created_at        BIGINT NOT NULL,
	updated_at        BIGINT NOT NULL
);
CREATE UNIQUE INDEX incidents_ref ON incidents(ref);
CREATE UNIQUE INDEX incidents_year_seq ON incidents(ref_year, ref_seq);
CREATE INDEX incidents_status ON incidents(status, severity_rank);
CREATE INDEX incidents_detected ON incidents(detected_at);

-- Every unit the case concerns (the owning unit included): scope.
CREATE TABLE incident_units (
	incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
	unit_id     BIGINT NOT NULL REFERENCES units(id),
	PRIMARY KEY (incident_id, unit_id)
);
CREATE INDEX incident_units_unit ON incident_units(unit_id, incident_id);

CREATE TABLE incident_hosts (
	incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
	host        TEXT NOT NULL,
	host_id     BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (incident_id, host)
);

-- Participants (users, often of other units) see and work the case.
CREATE TABLE incident_participants (
	incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
	user_id     BIGINT NOT NULL REFERENCES users(id),
	added_by    TEXT NOT NULL DEFAULT '',
	added_at    BIGINT NOT NULL,
	PRIMARY KEY (incident_id, user_id)
);
CREATE INDEX incident_participants_user ON incident_participants(user_id);

CREATE TABLE incident_alerts (
	incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
	alert_id    BIGINT NOT NULL,
	added_by    TEXT NOT NULL DEFAULT '',
	added_at    BIGINT NOT NULL,
	PRIMARY KEY (incident_id, alert_id)
);
CREATE INDEX incident_alerts_alert ON incident_alerts(alert_id);

-- The timeline: status changes, notes, tasks, alerts, observables,
-- evidence, reports, in the order they happened.
CREATE TABLE incident_events (
	id          {{id}},
	incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
	at          BIGINT NOT NULL,
	who         TEXT NOT NULL DEFAULT '',
	kind        TEXT NOT NULL,
	text        TEXT NOT NULL DEFAULT '',
	ref_id      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX incident_events_case ON incident_events(incident_id, at, id);

CREATE TABLE incident_tasks (
	id          {{id}},
	incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
	title       TEXT NOT NULL,
	owner       TEXT NOT NULL DEFAULT '',
	due_at      BIGINT NOT NULL DEFAULT 0,
	done_at     BIGINT NOT NULL DEFAULT 0,
	done_by     TEXT NOT NULL DEFAULT '',
	created_by  TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL
);
CREATE INDEX incident_tasks_case ON incident_tasks(incident_id, id);

CREATE TABLE incident_observables (
	id           {{id}},
	incident_id  BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
	kind         TEXT NOT NULL,
	value        TEXT NOT NULL,
	note         TEXT NOT NULL DEFAULT '',
	added_by     TEXT NOT NULL DEFAULT '',
	added_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX incident_observables_once ON incident_observables(incident_id, kind, value);
CREATE INDEX incident_observables_value ON incident_observables(kind, value);

-- The IT Center's settings of the clocks (one row, JSON).
CREATE TABLE incident_settings (
	id         INTEGER PRIMARY KEY,
	data       TEXT NOT NULL,
	updated_by TEXT NOT NULL DEFAULT '',
	updated_at BIGINT NOT NULL
);
