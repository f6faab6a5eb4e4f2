-- The version of what warning lists send to agents and the detection
-- pipeline (internal/intel): every transaction that publishes, withdraws,
-- changes a published list's entries or updates indicators adds one, so
-- a hub process rebuilds its in-memory indicator set only when this
-- number (or an entry's end of validity) moved, and 50,000 polling agents
-- do not each read the lists.
CREATE TABLE intel_version (
	id      INTEGER PRIMARY KEY,
	version BIGINT NOT NULL
);
INSERT INTO intel_version (id, version) VALUES (1, 0);
CREATE INDEX warning_lists_month_name ON warning_lists(month, name);
