-- Duty rosters (internal/duty): a unit's shifts over a period, who is on
-- each, swaps between two people, and the handover notes of each shift.
-- Times are Unix microseconds (UTC); days and start times are read and
-- shown in Asia/Ho_Chi_Minh.
CREATE TABLE duty_rosters (
	id         {{id}},
	unit_id    BIGINT NOT NULL REFERENCES units(id),
	name       TEXT NOT NULL,
	preset     TEXT NOT NULL DEFAULT '',
	pattern    TEXT NOT NULL,
	starts     TEXT NOT NULL,
	first_day  TEXT NOT NULL,
	last_day   TEXT NOT NULL,
	starts_at  BIGINT NOT NULL,
	ends_at    BIGINT NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);
CREATE INDEX duty_rosters_unit ON duty_rosters(unit_id, starts_at);

CREATE TABLE duty_shifts (
	id        {{id}},
	roster_id BIGINT NOT NULL REFERENCES duty_rosters(id) ON DELETE CASCADE,
	starts_at BIGINT NOT NULL,
	ends_at   BIGINT NOT NULL
);
CREATE INDEX duty_shifts_roster ON duty_shifts(roster_id, starts_at);
CREATE INDEX duty_shifts_time ON duty_shifts(starts_at, ends_at);

-- role: on_duty or lead.
CREATE TABLE duty_assignments (
	shift_id   BIGINT NOT NULL REFERENCES duty_shifts(id) ON DELETE CASCADE,
	user_id    BIGINT NOT NULL REFERENCES users(id),
	role       TEXT NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	PRIMARY KEY (shift_id, user_id)
);
CREATE INDEX duty_assignments_user ON duty_assignments(user_id);

-- A swap: user_a leaves shift_a for shift_b and user_b the reverse; with
-- shift_b 0, user_b takes user_a's place on shift_a (a cover).
CREATE TABLE duty_swaps (
	id         {{id}},
	roster_id  BIGINT NOT NULL REFERENCES duty_rosters(id) ON DELETE CASCADE,
	shift_a    BIGINT NOT NULL,
	user_a     BIGINT NOT NULL,
	shift_b    BIGINT NOT NULL DEFAULT 0,
	user_b     BIGINT NOT NULL,
	reason     TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);
CREATE INDEX duty_swaps_roster ON duty_swaps(roster_id, id);

CREATE TABLE duty_notes (
	id         {{id}},
	shift_id   BIGINT NOT NULL REFERENCES duty_shifts(id) ON DELETE CASCADE,
	author_id  BIGINT NOT NULL REFERENCES users(id),
	body       TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX duty_notes_shift ON duty_notes(shift_id, id);

-- The unit that runs the 24/7 SOC, when an administrator has named one
-- (otherwise the root's IT Center; see duty.Service.SOCUnit).
CREATE TABLE duty_settings (
	id          INTEGER PRIMARY KEY,
	soc_unit_id BIGINT NOT NULL DEFAULT 0
);
