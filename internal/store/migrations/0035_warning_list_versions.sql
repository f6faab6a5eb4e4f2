-- Warning-list versions count per (month, name), not across every list of
-- the month: the first "Audit list 12" of a month is version 1 even when
-- another list of that month came before it (issue 12, G11a).
DROP INDEX warning_lists_version;
CREATE UNIQUE INDEX warning_lists_version ON warning_lists(month, name, version);
