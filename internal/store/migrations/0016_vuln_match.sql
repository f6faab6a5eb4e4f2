-- What the vulnerability matcher (internal/vulnmatch) last computed for
-- each host: the inventory and knowledge-base versions it matched, so a
-- host is matched again when either changes, and the counts the host page
-- shows (updates missing, CVEs of other software, packages that could not
-- be named as an NVD product, with their list).
CREATE TABLE vuln_match_state (
	host_id        BIGINT PRIMARY KEY,
	inventory_hash TEXT NOT NULL DEFAULT '',
	kb_version     TEXT NOT NULL DEFAULT '',
	matched_at     BIGINT NOT NULL DEFAULT 0,
	windows        TEXT NOT NULL DEFAULT '',
	updates        INTEGER NOT NULL DEFAULT 0,
	vulns          INTEGER NOT NULL DEFAULT 0,
	mapped         INTEGER NOT NULL DEFAULT 0,
	unmapped       INTEGER NOT NULL DEFAULT 0,
	unmapped_list  TEXT NOT NULL DEFAULT '[]',
	not_covered    TEXT NOT NULL DEFAULT '[]'
);
