-- Awareness additions (issue 14, the rest).
--
-- Completion counters per (campaign, unit), kept current by
-- internal/training in the same transaction as the assignments they count
-- (a campaign's creation, a follow-up enrolment, a quiz that completes or
-- passes an assignment): the IT Center's dashboard reads 90 rows a
-- campaign instead of counting 30,000 assignments on every view.
CREATE TABLE training_unit_counts (
	campaign_id BIGINT NOT NULL REFERENCES training_campaigns(id) ON DELETE CASCADE,
	unit_id     BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
	due_at      BIGINT NOT NULL,
	assigned    INTEGER NOT NULL DEFAULT 0,
	completed   INTEGER NOT NULL DEFAULT 0,
	passed      INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (campaign_id, unit_id)
);
CREATE INDEX training_unit_counts_unit ON training_unit_counts(unit_id);

INSERT INTO training_unit_counts (campaign_id, unit_id, due_at, assigned, completed, passed)
	SELECT a.campaign_id, a.unit_id, MIN(a.due_at), COUNT(*),
		SUM(CASE WHEN a.completed_at > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN a.passed_at > 0 THEN 1 ELSE 0 END)
	FROM training_assignments a JOIN units u ON u.id = a.unit_id
	GROUP BY a.campaign_id, a.unit_id;

-- Directory sync: employees come from LDAP groups (a job, docs/training.md)
-- or from the group claims of the ID token when they sign in by SSO.
-- source says where a person came from (csv, ldap, oidc); directory_id is
-- the LDAP entry's DN or the OIDC subject. A sync disables the people it
-- brought in that the directory no longer lists, never those imported
-- from CSV.
ALTER TABLE training_people ADD COLUMN source TEXT NOT NULL DEFAULT 'csv';
ALTER TABLE training_people ADD COLUMN directory_id TEXT NOT NULL DEFAULT '';

-- The directory settings (one row). The bind password is kept to bind and
-- never shown back.
CREATE TABLE training_directory (
	id              INTEGER PRIMARY KEY,
	ldap_url        TEXT NOT NULL DEFAULT '',
	bind_dn         TEXT NOT NULL DEFAULT '',
	bind_password   TEXT NOT NULL DEFAULT '',
	base_dn         TEXT NOT NULL DEFAULT '',
	user_filter     TEXT NOT NULL DEFAULT '(objectClass=person)',
	attr_email      TEXT NOT NULL DEFAULT 'mail',
	attr_name       TEXT NOT NULL DEFAULT 'displayName',
	attr_position   TEXT NOT NULL DEFAULT 'title',
	attr_department TEXT NOT NULL DEFAULT 'department',
	sync_hours      INTEGER NOT NULL DEFAULT 0,
	groups_claim    TEXT NOT NULL DEFAULT 'groups',
	next_sync_at    BIGINT NOT NULL DEFAULT 0,
	updated_at      BIGINT NOT NULL DEFAULT 0,
	updated_by      TEXT NOT NULL DEFAULT ''
);

-- Which directory group's members are the employees of which unit: an
-- LDAP group's DN (matched against memberOf) or a group name of the ID
-- token's groups claim.
CREATE TABLE training_directory_groups (
	id       {{id}},
	grp      TEXT NOT NULL,
	unit_id  BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
	position INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX training_directory_groups_grp ON training_directory_groups(grp);

-- Each sync and what it did; errors name the entry (one a line).
CREATE TABLE training_directory_runs (
	id          {{id}},
	source      TEXT NOT NULL,
	started_at  BIGINT NOT NULL,
	finished_at BIGINT NOT NULL DEFAULT 0,
	started_by  TEXT NOT NULL DEFAULT '',
	added       INTEGER NOT NULL DEFAULT 0,
	updated     INTEGER NOT NULL DEFAULT 0,
	disabled    INTEGER NOT NULL DEFAULT 0,
	entries     INTEGER NOT NULL DEFAULT 0,
	failure     TEXT NOT NULL DEFAULT '',
	errors      TEXT NOT NULL DEFAULT '',
	changes     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX training_directory_runs_started ON training_directory_runs(started_at);

-- Courses editable by the IT Center (new courses and lessons, English
-- text optional: shown to readers of the English interface when given).
ALTER TABLE training_courses ADD COLUMN title_en TEXT NOT NULL DEFAULT '';
ALTER TABLE training_courses ADD COLUMN summary_en TEXT NOT NULL DEFAULT '';
ALTER TABLE training_lessons ADD COLUMN title_en TEXT NOT NULL DEFAULT '';
ALTER TABLE training_lessons ADD COLUMN body_en TEXT NOT NULL DEFAULT '';

-- Drill outcomes per (drill, unit), kept current by internal/phishing with
-- the recipients they count (the drill's creation, each message sent, the
-- first open, click, submission and report of each person): the IT
-- Center's dashboard reads these rows instead of every recipient of every
-- drill.
CREATE TABLE phishing_unit_counts (
	campaign_id BIGINT NOT NULL REFERENCES phishing_campaigns(id) ON DELETE CASCADE,
	unit_id     BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
	recipients  INTEGER NOT NULL DEFAULT 0,
	sent        INTEGER NOT NULL DEFAULT 0,
	opened      INTEGER NOT NULL DEFAULT 0,
	clicked     INTEGER NOT NULL DEFAULT 0,
	submitted   INTEGER NOT NULL DEFAULT 0,
	reported    INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (campaign_id, unit_id)
);
CREATE INDEX phishing_unit_counts_unit ON phishing_unit_counts(unit_id);

INSERT INTO phishing_unit_counts (campaign_id, unit_id, recipients, sent, opened, clicked, submitted, reported)
	SELECT r.campaign_id, r.unit_id, COUNT(*), SUM(CASE WHEN r.sent_at > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN r.opened_at > 0 THEN 1 ELSE 0 END),
		SUM(CASE WHEN r.clicked_at > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN r.submitted_at > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN r.reported_at > 0 THEN 1 ELSE 0 END)
	FROM phishing_recipients r JOIN units u ON u.id = r.unit_id
	GROUP BY r.campaign_id, r.unit_id;
