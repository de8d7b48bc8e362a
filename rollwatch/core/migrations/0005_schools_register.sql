-- The schools register, loaded by `rollwatch schools import` from Get Information About Schools.
-- Versioned by import and append-only: every import writes a complete new version of the
-- establishments and links, then one row in schools_imports. Nothing is updated or deleted.
-- The current register is the highest version whose import row says 'completed'; rows of an
-- import that failed half-way stay in place, invisible, and its import row says why it failed.

CREATE TABLE IF NOT EXISTS schools_imports
(
    version            UInt32,
    status             LowCardinality(String),   -- 'completed' or 'failed'
    started_at         DateTime64(3, 'UTC'),
    finished_at        DateTime64(3, 'UTC'),
    source_file        String,                   -- the file's name, not its path
    source_sha256      String,
    links_file         String,                   -- '' when the links came from links_from_version
    links_sha256       String,
    links_from_version UInt32,                   -- 0 unless the links were carried over
    previous_version   UInt32,                   -- the version this import was compared with (0: none)
    establishments     UInt32,
    links              UInt32,
    added              UInt32,
    changed            UInt32,
    closed             UInt32,
    removed            UInt32,
    error              String
)
ENGINE = MergeTree
ORDER BY version;

CREATE TABLE IF NOT EXISTS schools_register
(
    version              UInt32,
    urn                  String,
    name                 String,
    la_code              LowCardinality(String),
    la_name              LowCardinality(String),
    establishment_number String,                 -- '' when GIAS gives none
    type_name            LowCardinality(String),
    type_group           LowCardinality(String),
    status               LowCardinality(String),
    phase                LowCardinality(String),
    statutory_low_age    Nullable(UInt8),
    statutory_high_age   Nullable(UInt8),
    opened_on            Nullable(Date32),
    closed_on            Nullable(Date32),
    ukprn                String,                 -- '' when GIAS gives none
    -- What an import compares to tell a changed school from an unchanged one.
    row_hash             UInt64 MATERIALIZED sipHash64(tuple(
                             name, la_code, la_name, establishment_number, type_name, type_group,
                             status, phase, statutory_low_age, statutory_high_age, opened_on,
                             closed_on, ukprn))
)
ENGINE = MergeTree
ORDER BY (version, urn);

-- GIAS links between establishments: link_urn is urn's link_type ("Successor", "Predecessor",
-- "Successor - amalgamated", "Sixth Form Centre Link", ...).
CREATE TABLE IF NOT EXISTS schools_links
(
    version        UInt32,
    urn            String,
    link_urn       String,
    link_type      LowCardinality(String),
    link_name      String,
    established_on Nullable(Date32)
)
ENGINE = MergeTree
ORDER BY (version, urn, link_urn, link_type);
