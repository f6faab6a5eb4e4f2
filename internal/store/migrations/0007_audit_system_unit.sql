-- The system's audit rows of one unit, for an officer filtering the audit
-- page to them: List reads each unit of a small subtree from its own index
-- branch, and without this one a unit with no system rows is read through
-- to its first row (half a second for a province of a million-row log).
CREATE INDEX audit_system_unit ON audit_log(unit_id, seq) WHERE actor_id = 0;
