-- The access log and the alert lifecycle become hash-chained, append-only logs (see
-- rollwatch/core/sealed_log.py): each writing process keeps a chain of its own; `sealed` is the
-- canonical JSON of the row as written, which the hash covers. Rows written before stay unsealed
-- (empty chain_id) and are counted by the verifier, not judged.
ALTER TABLE access_log
    ADD COLUMN IF NOT EXISTS chain_id  String,
    ADD COLUMN IF NOT EXISTS chain_seq UInt64,
    ADD COLUMN IF NOT EXISTS prev_hash String,
    ADD COLUMN IF NOT EXISTS hash      String,
    ADD COLUMN IF NOT EXISTS sealed    String CODEC(ZSTD(3));

ALTER TABLE alert_lifecycle
    ADD COLUMN IF NOT EXISTS chain_id  String,
    ADD COLUMN IF NOT EXISTS chain_seq UInt64,
    ADD COLUMN IF NOT EXISTS prev_hash String,
    ADD COLUMN IF NOT EXISTS hash      String,
    ADD COLUMN IF NOT EXISTS sealed    String CODEC(ZSTD(3));

-- At each ledger checkpoint, the head of every chain of every sealed table, so that removing a
-- chain's newest rows is caught as removing a ledger chain's newest rows is.
CREATE TABLE IF NOT EXISTS sealed_log_heads
(
    checkpoint_id UInt64,
    table_name    LowCardinality(String),
    chain_id      String,
    chain_seq     UInt64,
    hash          String
)
ENGINE = MergeTree ORDER BY (table_name, chain_id, checkpoint_id);
