-- The audit page filters rows by who acted: people or the system (the hub
-- itself, its agents). System rows are few beside people's sign-ins and
-- changes, so a query for them would walk most of the log newest first;
-- this partial index holds just those rows.
CREATE INDEX audit_system ON audit_log(seq) WHERE actor_id = 0;
