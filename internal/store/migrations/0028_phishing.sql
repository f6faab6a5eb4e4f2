-- Phishing drills (issue 14, internal/phishing): an officer sends a
-- simulated phishing e-mail to their unit's own employees (training_people)
-- from a template with placeholders, spread over a window; each recipient
-- gets a unique signed link and open pixel. What the landing page's form
-- receives is never read nor stored: only that it was submitted. Requests
-- from mail scanners and sandboxes are kept apart (scanner) and not counted.
CREATE TABLE phishing_templates (
	id          {{id}},
	name        TEXT NOT NULL,
	subject     TEXT NOT NULL,
	sender_name TEXT NOT NULL DEFAULT '',
	body        TEXT NOT NULL,
	landing     TEXT NOT NULL DEFAULT '',
	course_id   BIGINT NOT NULL DEFAULT 0,
	unit_id     BIGINT NOT NULL DEFAULT 0,
	builtin     BOOLEAN NOT NULL DEFAULT FALSE,
	created_by  TEXT NOT NULL DEFAULT '',
	created_at  BIGINT NOT NULL
);

CREATE TABLE phishing_campaigns (
	id                 {{id}},
	name               TEXT NOT NULL,
	unit_id            BIGINT NOT NULL REFERENCES units(id),
	template_id        BIGINT NOT NULL REFERENCES phishing_templates(id),
	department         TEXT NOT NULL DEFAULT '',
	start_at           BIGINT NOT NULL,
	end_at             BIGINT NOT NULL,
	secret             TEXT NOT NULL,
	followup_id        BIGINT NOT NULL DEFAULT 0,
	recipients         INTEGER NOT NULL DEFAULT 0,
	created_by         TEXT NOT NULL DEFAULT '',
	created_at         BIGINT NOT NULL
);

CREATE TABLE phishing_recipients (
	id           {{id}},
	campaign_id  BIGINT NOT NULL REFERENCES phishing_campaigns(id) ON DELETE CASCADE,
	person_id    BIGINT NOT NULL REFERENCES training_people(id) ON DELETE CASCADE,
	unit_id      BIGINT NOT NULL,
	send_at      BIGINT NOT NULL,
	status       TEXT NOT NULL DEFAULT 'scheduled',
	error        TEXT NOT NULL DEFAULT '',
	sent_at      BIGINT NOT NULL DEFAULT 0,
	opened_at    BIGINT NOT NULL DEFAULT 0,
	clicked_at   BIGINT NOT NULL DEFAULT 0,
	submitted_at BIGINT NOT NULL DEFAULT 0,
	reported_at  BIGINT NOT NULL DEFAULT 0,
	enrolled_at  BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX phishing_recipients_person ON phishing_recipients(campaign_id, person_id);
CREATE INDEX phishing_recipients_due ON phishing_recipients(status, send_at);

-- Every request a tracked link, the pixel or the report address received,
-- counted or not: scanner says it looked like a mail scanner or sandbox
-- (HEAD, a known agent, seconds after delivery) and why.
CREATE TABLE phishing_events (
	id           {{id}},
	campaign_id  BIGINT NOT NULL REFERENCES phishing_campaigns(id) ON DELETE CASCADE,
	recipient_id BIGINT NOT NULL,
	kind         TEXT NOT NULL,
	at           BIGINT NOT NULL,
	scanner      BOOLEAN NOT NULL DEFAULT FALSE,
	reason       TEXT NOT NULL DEFAULT '',
	ip           TEXT NOT NULL DEFAULT '',
	user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX phishing_events_campaign ON phishing_events(campaign_id, kind);
