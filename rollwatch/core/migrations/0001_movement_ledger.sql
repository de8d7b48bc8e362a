-- The movement ledger: one row per accepted event, never updated or deleted.
-- Ordered by pupil then time so that a pupil's history is one short range read.
CREATE TABLE IF NOT EXISTS movement_ledger
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
    event           String CODEC(ZSTD(3))
)
ENGINE = MergeTree
ORDER BY (upn, occurred_on, recorded_at, event_id)
-- Remember enough insert tokens to cover every batch a restart can replay.
SETTINGS non_replicated_deduplication_window = 10000;
