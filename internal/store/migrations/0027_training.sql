-- Awareness training (issue 14, internal/training): employees — a lighter
-- kind of user than officers, kept apart from users: they sign in only by
-- a one-time e-mail link and see only their own training —, courses of
-- Markdown lessons each ending with a quiz, campaigns assigning a course
-- to units with a deadline, each person's assignment and progress, and the
-- queue of invitation and reminder e-mails the hub sends at its own rate.
CREATE TABLE training_people (
	id         {{id}},
	unit_id    BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	email      TEXT NOT NULL,
	position   TEXT NOT NULL DEFAULT '',
	department TEXT NOT NULL DEFAULT '',
	disabled   BOOLEAN NOT NULL DEFAULT FALSE,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX training_people_email ON training_people(email);
CREATE INDEX training_people_unit ON training_people(unit_id, department);

-- Sign-in links: only the SHA-256 of the token is kept; a link works once
-- and for a few minutes. Sessions likewise keep the cookie's hash.
CREATE TABLE training_links (
	token_hash TEXT PRIMARY KEY,
	person_id  BIGINT NOT NULL REFERENCES training_people(id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at    BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX training_links_person ON training_links(person_id, created_at);

CREATE TABLE training_sessions (
	id         TEXT PRIMARY KEY,
	person_id  BIGINT NOT NULL REFERENCES training_people(id) ON DELETE CASCADE,
	csrf       TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);

CREATE TABLE training_courses (
	id           {{id}},
	slug         TEXT NOT NULL,
	title        TEXT NOT NULL,
	summary      TEXT NOT NULL DEFAULT '',
	pass_mark    INTEGER NOT NULL DEFAULT 80,
	max_attempts INTEGER NOT NULL DEFAULT 3,
	builtin      BOOLEAN NOT NULL DEFAULT FALSE,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL,
	updated_by   TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX training_courses_slug ON training_courses(slug);

-- A lesson's body is Markdown (rendered and sanitised when shown); its
-- quiz is the text format of docs/training.md ("? question", "- wrong",
-- "+ right", "> why").
CREATE TABLE training_lessons (
	id        {{id}},
	course_id BIGINT NOT NULL REFERENCES training_courses(id) ON DELETE CASCADE,
	position  INTEGER NOT NULL,
	title     TEXT NOT NULL,
	body      TEXT NOT NULL DEFAULT '',
	quiz      TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX training_lessons_pos ON training_lessons(course_id, position);

-- Progress per person and lesson, saved as the person goes.
CREATE TABLE training_progress (
	person_id  BIGINT NOT NULL REFERENCES training_people(id) ON DELETE CASCADE,
	lesson_id  BIGINT NOT NULL REFERENCES training_lessons(id) ON DELETE CASCADE,
	course_id  BIGINT NOT NULL,
	opened_at  BIGINT NOT NULL DEFAULT 0,
	attempts   INTEGER NOT NULL DEFAULT 0,
	last_score INTEGER NOT NULL DEFAULT 0,
	best_score INTEGER NOT NULL DEFAULT 0,
	passed_at  BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (person_id, lesson_id)
);
CREATE INDEX training_progress_course ON training_progress(person_id, course_id);

CREATE TABLE training_campaigns (
	id             {{id}},
	name           TEXT NOT NULL,
	course_id      BIGINT NOT NULL REFERENCES training_courses(id),
	unit_codes     TEXT NOT NULL DEFAULT '',
	owner_unit_id  BIGINT NOT NULL REFERENCES units(id),
	due_at         BIGINT NOT NULL,
	target         INTEGER NOT NULL DEFAULT 90,
	remind_days    INTEGER NOT NULL DEFAULT 0,
	next_remind_at BIGINT NOT NULL DEFAULT 0,
	people         INTEGER NOT NULL DEFAULT 0,
	created_by     TEXT NOT NULL DEFAULT '',
	created_at     BIGINT NOT NULL
);

CREATE TABLE training_assignments (
	id           {{id}},
	campaign_id  BIGINT NOT NULL REFERENCES training_campaigns(id) ON DELETE CASCADE,
	person_id    BIGINT NOT NULL REFERENCES training_people(id) ON DELETE CASCADE,
	course_id    BIGINT NOT NULL,
	unit_id      BIGINT NOT NULL,
	due_at       BIGINT NOT NULL,
	assigned_at  BIGINT NOT NULL,
	completed_at BIGINT NOT NULL DEFAULT 0,
	passed_at    BIGINT NOT NULL DEFAULT 0,
	score        INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX training_assignments_person ON training_assignments(campaign_id, person_id);
CREATE INDEX training_assignments_unit ON training_assignments(unit_id, campaign_id);
CREATE INDEX training_assignments_course ON training_assignments(person_id, course_id);

-- Invitations and reminders waiting for the sender (which sends at the
-- hub's configured rate, off the request path); a refusal the mail server
-- means for good is recorded as a bounce.
CREATE TABLE training_mail (
	id          {{id}},
	kind        TEXT NOT NULL,
	campaign_id BIGINT NOT NULL REFERENCES training_campaigns(id) ON DELETE CASCADE,
	person_id   BIGINT NOT NULL REFERENCES training_people(id) ON DELETE CASCADE,
	created_at  BIGINT NOT NULL,
	send_after  BIGINT NOT NULL DEFAULT 0,
	status      TEXT NOT NULL DEFAULT 'queued',
	attempts    INTEGER NOT NULL DEFAULT 0,
	sent_at     BIGINT NOT NULL DEFAULT 0,
	error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX training_mail_queue ON training_mail(status, send_after, id);
CREATE INDEX training_mail_campaign ON training_mail(campaign_id, status);
