-- National incident reports (issue 13, internal/natreport): Mẫu 03
-- (initial), Mẫu 04 (final) and Mẫu 05 (six-monthly / annual summary) of
-- Circular 20/2017/TT-BTTTT.
--
-- natreports is one report: of a case (case_id, form initial or final; one
-- of each per case) or a unit's summary for a period (case_id 0, form
-- summary, period_from/period_to as YYYY-MM). Its number ("007/BC-A") is
-- given when its first version is approved: ref_year and ref_seq number
-- the reports of a unit in a year. natreport_versions holds its versions:
-- a draft is edited in place, submitted for review, approved; an edit
-- after approval starts the next version. fields is the filled form (JSON
-- object of strings), rows the summary's table (JSON), labels the form's
-- words and option labels frozen when the version was approved, so an
-- approved document never changes when the IT Center edits the templates.
-- sent_at is when the version was handed to the outbox.
CREATE TABLE natreports (
	id           {{id}},
	case_id      BIGINT NOT NULL DEFAULT 0,
	form         TEXT NOT NULL,
	unit_id      BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
	period_from  TEXT NOT NULL DEFAULT '',
	period_to    TEXT NOT NULL DEFAULT '',
	number       TEXT NOT NULL DEFAULT '',
	ref_year     INTEGER NOT NULL DEFAULT 0,
	ref_seq      INTEGER NOT NULL DEFAULT 0,
	version      INTEGER NOT NULL DEFAULT 1,
	created_by   TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX natreports_case_form ON natreports(case_id, form) WHERE case_id > 0;
CREATE UNIQUE INDEX natreports_period ON natreports(unit_id, period_from, period_to) WHERE case_id = 0;
CREATE UNIQUE INDEX natreports_number ON natreports(unit_id, ref_year, ref_seq) WHERE ref_seq > 0;

CREATE TABLE natreport_versions (
	report_id    BIGINT NOT NULL REFERENCES natreports(id) ON DELETE CASCADE,
	version      INTEGER NOT NULL,
	status       TEXT NOT NULL DEFAULT 'draft',
	fields       TEXT NOT NULL DEFAULT '{}',
	rows_json    TEXT NOT NULL DEFAULT '',
	labels       TEXT NOT NULL DEFAULT '',
	note         TEXT NOT NULL DEFAULT '',
	created_by   TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	updated_by   TEXT NOT NULL DEFAULT '',
	updated_at   BIGINT NOT NULL,
	submitted_by TEXT NOT NULL DEFAULT '',
	submitted_at BIGINT NOT NULL DEFAULT 0,
	approved_by  TEXT NOT NULL DEFAULT '',
	approved_at  BIGINT NOT NULL DEFAULT 0,
	sent_by      TEXT NOT NULL DEFAULT '',
	sent_at      BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (report_id, version)
);
CREATE INDEX natreport_versions_sent ON natreport_versions(report_id, sent_at);

-- A unit's reporting profile: who reports (form block 1 and 2), its owner
-- body, network member code, ISP, security-service provider, the signer,
-- and the prefix of its report numbers.
CREATE TABLE natreport_profiles (
	unit_id           BIGINT PRIMARY KEY REFERENCES units(id) ON DELETE CASCADE,
	org_name          TEXT NOT NULL DEFAULT '',
	address           TEXT NOT NULL DEFAULT '',
	phone             TEXT NOT NULL DEFAULT '',
	email             TEXT NOT NULL DEFAULT '',
	owner_body        TEXT NOT NULL DEFAULT '',
	member_code       TEXT NOT NULL DEFAULT '',
	isp               TEXT NOT NULL DEFAULT '',
	security_provider TEXT NOT NULL DEFAULT '',
	contact_id        BIGINT NOT NULL DEFAULT 0,
	contact_name      TEXT NOT NULL DEFAULT '',
	contact_position  TEXT NOT NULL DEFAULT '',
	contact_phone     TEXT NOT NULL DEFAULT '',
	contact_email     TEXT NOT NULL DEFAULT '',
	signer_name       TEXT NOT NULL DEFAULT '',
	signer_title      TEXT NOT NULL DEFAULT '',
	number_prefix     TEXT NOT NULL DEFAULT '',
	updated_by        TEXT NOT NULL DEFAULT '',
	updated_at        BIGINT NOT NULL
);

-- The option lists the regulation leaves open (incident status, detection
-- method, notification recipients), as the IT Center set them; a kind with
-- no row uses the defaults in internal/natreport.
CREATE TABLE natreport_options (
	kind      TEXT NOT NULL,
	code      TEXT NOT NULL,
	label_vi  TEXT NOT NULL,
	label_en  TEXT NOT NULL DEFAULT '',
	with_text BOOLEAN NOT NULL DEFAULT FALSE,
	position  INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (kind, code)
);

-- The forms' words (title, headings, labels) the IT Center changed; a key
-- with no row uses the default in internal/natreport.
CREATE TABLE natreport_templates (
	form       TEXT NOT NULL,
	name       TEXT NOT NULL,
	text       TEXT NOT NULL,
	updated_by TEXT NOT NULL DEFAULT '',
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (form, name)
);
