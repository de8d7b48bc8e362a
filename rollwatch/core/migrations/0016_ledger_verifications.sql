-- Every verification of the ledger (the console's "verify now", GET /v1/ledger/verify,
-- `rollwatch verify`): when, by whom, how, and what it found. A sealed, append-only log like the
-- access log (rollwatch/core/sealed_log.py): each writing process keeps a chain of its own, and
-- verify checks it, so a record of a failed verification cannot quietly become a pass.
CREATE TABLE IF NOT EXISTS ledger_verifications
(
    verified_at   DateTime64(3, 'UTC'),
    started_at    DateTime64(3, 'UTC'),
    key_id        String,
    actor_name    String,
    role          LowCardinality(String),
    via           LowCardinality(String),
    placements    UInt8,
    ok            UInt8,
    rows          UInt64,
    pupils        UInt64,
    checkpoint_id Nullable(UInt64),
    checkpoint_ok Nullable(UInt8),
    first_break   String,
    chain_id      String,
    chain_seq     UInt64,
    prev_hash     String,
    hash          String,
    sealed        String CODEC(ZSTD(3))
)
ENGINE = MergeTree ORDER BY (verified_at, key_id);
