-- The vulnerability knowledge base (issue 11): what the feeds say, as
-- internal/vuln loads it. Every row carries a digest of its content, so a
-- re-import writes nothing and can say "unchanged"; rows are upserted in
-- batches, one transaction each, a record's rows always in one batch.

-- One row per (CVE, feed): MSRC and NVD say different things of the same
-- CVE (MSRC's title and exploited flags, NVD's description and CWE); the
-- reader merges them. modified is the feed's own last-modified time: an
-- older NVD record never replaces a newer one.
CREATE TABLE vuln_cves (
    id TEXT NOT NULL,
    source TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    published BIGINT NOT NULL DEFAULT 0,
    modified BIGINT NOT NULL DEFAULT 0,
    severity TEXT NOT NULL DEFAULT '',
    cvss DOUBLE PRECISION NOT NULL DEFAULT 0,
    vector TEXT NOT NULL DEFAULT '',
    cwe TEXT NOT NULL DEFAULT '',
    exploited BOOLEAN NOT NULL DEFAULT FALSE,
    publicly_known BOOLEAN NOT NULL DEFAULT FALSE,
    digest TEXT NOT NULL,
    loaded_at BIGINT NOT NULL,
    PRIMARY KEY (id, source)
);

-- MSRC's products (ProductTree FullProductName).
CREATE TABLE vuln_ms_products (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    loaded_at BIGINT NOT NULL
);

-- MSRC's security update documents loaded ("2023-Dec").
CREATE TABLE vuln_ms_documents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL DEFAULT '',
    released BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    cves BIGINT NOT NULL DEFAULT 0,
    fixes BIGINT NOT NULL DEFAULT 0,
    loaded_at BIGINT NOT NULL
);

-- One Vendor Fix per (CVE, product, KB); fix_key is the KB, or
-- "build:<FixedBuild>" for a fix MSRC names no KB for (Edge, Office C2R).
-- supersedes is the comma-separated list of KBs (digits) it replaces.
CREATE TABLE vuln_ms_fixes (
    cve TEXT NOT NULL,
    product_id TEXT NOT NULL,
    fix_key TEXT NOT NULL,
    kb TEXT NOT NULL DEFAULT '',
    sub_type TEXT NOT NULL DEFAULT '',
    fixed_build TEXT NOT NULL DEFAULT '',
    supersedes TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    severity TEXT NOT NULL DEFAULT '',
    released BIGINT NOT NULL DEFAULT 0,
    document TEXT NOT NULL DEFAULT '',
    digest TEXT NOT NULL,
    PRIMARY KEY (cve, product_id, fix_key)
);
CREATE INDEX vuln_ms_fixes_kb ON vuln_ms_fixes(kb);
CREATE INDEX vuln_ms_fixes_product ON vuln_ms_fixes(product_id);

-- CISA's Known Exploited Vulnerabilities.
CREATE TABLE vuln_kev (
    cve TEXT PRIMARY KEY,
    vendor TEXT NOT NULL DEFAULT '',
    product TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    added BIGINT NOT NULL DEFAULT 0,
    due BIGINT NOT NULL DEFAULT 0,
    ransomware BOOLEAN NOT NULL DEFAULT FALSE,
    action TEXT NOT NULL DEFAULT '',
    digest TEXT NOT NULL
);

-- FIRST's EPSS, the latest score per CVE.
CREATE TABLE vuln_epss (
    cve TEXT PRIMARY KEY,
    score DOUBLE PRECISION NOT NULL,
    percentile DOUBLE PRECISION NOT NULL,
    scored_on BIGINT NOT NULL DEFAULT 0
);

-- NVD configurations' cpeMatch entries, replaced whole when a newer
-- record of the CVE arrives.
CREATE TABLE vuln_cpe_matches (
    cve TEXT NOT NULL,
    seq INTEGER NOT NULL,
    vulnerable BOOLEAN NOT NULL DEFAULT TRUE,
    criteria TEXT NOT NULL,
    part TEXT NOT NULL DEFAULT '',
    vendor TEXT NOT NULL DEFAULT '',
    product TEXT NOT NULL DEFAULT '',
    version TEXT NOT NULL DEFAULT '',
    start_incl TEXT NOT NULL DEFAULT '',
    start_excl TEXT NOT NULL DEFAULT '',
    end_incl TEXT NOT NULL DEFAULT '',
    end_excl TEXT NOT NULL DEFAULT '',
    config INTEGER NOT NULL DEFAULT 0,
    node INTEGER NOT NULL DEFAULT 0,
    operator TEXT NOT NULL DEFAULT '',
    negate BOOLEAN NOT NULL DEFAULT FALSE,
    config_operator TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (cve, seq)
);
CREATE INDEX vuln_cpe_matches_product ON vuln_cpe_matches(vendor, product);

-- One row per feed (msrc, nvd, kev, epss): the last import's outcome.
CREATE TABLE vuln_feeds (
    feed TEXT PRIMARY KEY,
    source TEXT NOT NULL DEFAULT '',
    loaded_at BIGINT NOT NULL DEFAULT 0,
    data_date BIGINT NOT NULL DEFAULT 0,
    records BIGINT NOT NULL DEFAULT 0,
    changed BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    error_at BIGINT NOT NULL DEFAULT 0
);

-- Every import: which file or URL, by whom, when, what came of it.
CREATE TABLE vuln_imports (
    id {{id}},
    feed TEXT NOT NULL,
    source TEXT NOT NULL,
    actor TEXT NOT NULL DEFAULT '',
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL DEFAULT 0,
    records BIGINT NOT NULL DEFAULT 0,
    changed BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0,
    data_date BIGINT NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX vuln_imports_started ON vuln_imports(started_at);

-- The knowledge base's version: raised by every import that changed a
-- row, so a matcher knows to match again.
CREATE TABLE vuln_kb_version (
    id INTEGER PRIMARY KEY,
    version BIGINT NOT NULL,
    changed_at BIGINT NOT NULL
);
INSERT INTO vuln_kb_version (id, version, changed_at) VALUES (1, 0, 0);
