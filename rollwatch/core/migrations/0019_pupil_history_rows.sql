-- A pupil's history (`GET /v1/pupils/{upn}/history`, the console's timeline) is a few rows, but the
-- ledger stores 8,192 rows to a granule, so reading them decompressed some 8,192 events in every part
-- (most of a read's time, and more with every part). This copy of the columns a history shows,
-- ordered by pupil in granules of 256 rows, is kept by a materialised view with every ledger insert;
-- `verify` checks it row for row against the ledger (services/tracker/derived_checks.py), so the
-- history it serves is as tamper-evident as the ledger. The hash-chain columns stay out.
CREATE TABLE IF NOT EXISTS pupil_history_rows
(
    event_id        UUID,
    type            LowCardinality(String),
    upn             String,
    school_urn      LowCardinality(String),
    occurred_on     Date32,
    recorded_at     DateTime64(3, 'UTC'),
    ingested_at     DateTime64(3, 'UTC'),
    kafka_partition UInt32,
    kafka_offset    UInt64,
    chain_seq       UInt32,
    event           String CODEC(ZSTD(3))
)
ENGINE = MergeTree
ORDER BY (upn, occurred_on, recorded_at, event_id)
SETTINGS index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS pupil_history_rows_mv TO pupil_history_rows AS
SELECT
    event_id, type, upn, school_urn, occurred_on, recorded_at, ingested_at, kafka_partition, kafka_offset,
    chain_seq, event
FROM movement_ledger;

-- The rows already in the ledger. Run with the trackers stopped (docs/operations.md, "Migrations"),
-- as 0010: a row written while this runs could be copied twice (`verify` would name the pupil).
INSERT INTO pupil_history_rows
SELECT
    event_id, type, upn, school_urn, occurred_on, recorded_at, ingested_at, kafka_partition, kafka_offset,
    chain_seq, event
FROM movement_ledger;
