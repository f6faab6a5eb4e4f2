-- The monthly technical security report (issue 15 part 3,
-- internal/monthly): one report per (month YYYY-MM, unit); the IT Center
-- generates it (a draft: figures counted from the capabilities, kept as
-- JSON so the page, the API and the documents say the same numbers),
-- marks it reviewed and publishes it. Publishing freezes it: the PDF and
-- DOCX as rendered then, with their SHA-256, and next month's warning
-- list as CSV and STIX 2.1 (watchlist_id 0: none was published yet).
CREATE TABLE monthly_reports (
	id             {{id}},
	month          TEXT NOT NULL,
	unit_id        BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
	status         TEXT NOT NULL DEFAULT 'draft',
	figures        TEXT NOT NULL DEFAULT '{}',
	note           TEXT NOT NULL DEFAULT '',
	generated_by   TEXT NOT NULL DEFAULT '',
	generated_at   BIGINT NOT NULL,
	reviewed_by    TEXT NOT NULL DEFAULT '',
	reviewed_at    BIGINT NOT NULL DEFAULT 0,
	published_by   TEXT NOT NULL DEFAULT '',
	published_at   BIGINT NOT NULL DEFAULT 0,
	pdf            {{blob}},
	pdf_sha256     TEXT NOT NULL DEFAULT '',
	docx           {{blob}},
	docx_sha256    TEXT NOT NULL DEFAULT '',
	watchlist_id   BIGINT NOT NULL DEFAULT 0,
	watchlist_name TEXT NOT NULL DEFAULT '',
	watchlist_csv  {{blob}},
	watchlist_stix {{blob}}
);
CREATE UNIQUE INDEX monthly_reports_month_unit ON monthly_reports(month, unit_id);
CREATE INDEX monthly_reports_unit ON monthly_reports(unit_id);

-- A unit's acknowledgement of its published report of a month: who,
-- when. The organisation's report goes to the top-level units, each
-- receiving its own report (published with it); the IT Center sees which
-- have not acknowledged.
CREATE TABLE monthly_report_acks (
	month     TEXT NOT NULL,
	unit_id   BIGINT NOT NULL REFERENCES units(id) ON DELETE CASCADE,
	report_id BIGINT NOT NULL REFERENCES monthly_reports(id) ON DELETE CASCADE,
	acked_by  TEXT NOT NULL,
	acked_at  BIGINT NOT NULL,
	PRIMARY KEY (month, unit_id)
);
