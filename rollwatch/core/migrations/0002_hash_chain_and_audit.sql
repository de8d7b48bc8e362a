-- Tamper evidence: each row extends its pupil's hash chain.
--   hash = hex(SHA-256(prev_hash || '\n' || event)), prev_hash of a pupil's first row = 64 zeros.
ALTER TABLE movement_ledger
    ADD COLUMN IF NOT EXISTS chain_seq UInt32 AFTER kafka_offset,
    ADD COLUMN IF NOT EXISTS prev_hash String AFTER chain_seq,
    ADD COLUMN IF NOT EXISTS hash      String AFTER prev_hash;

-- Checkpoints: a Merkle root over every pupil's chain head at a point, so that removing the
-- newest rows of a chain (which leaves a chain that still verifies) is caught too.
CREATE TABLE IF NOT EXISTS ledger_checkpoints
(
    checkpoint_id UInt64,
    created_at    DateTime64(3, 'UTC'),
    rows          UInt64,
    pupils        UInt64,
    merkle_root   String
)
ENGINE = MergeTree ORDER BY checkpoint_id;

-- The heads that changed since the previous checkpoint (a pupil's head at checkpoint N is its
-- latest row here with checkpoint_id <= N).
CREATE TABLE IF NOT EXISTS ledger_checkpoint_heads
(
    checkpoint_id UInt64,
    upn           String,
    chain_seq     UInt32,
    hash          String
)
ENGINE = MergeTree ORDER BY (upn, checkpoint_id);

-- A temporary UPN replaced by a permanent one: both histories are one pupil's.
CREATE TABLE IF NOT EXISTS pupil_identity_links
(
    upn        String,
    former_upn String,
    event_id   UUID,
    linked_at  DateTime64(3, 'UTC')
)
ENGINE = MergeTree ORDER BY (upn, former_upn);

-- Every read of a pupil's record: who, when, what, and the purpose they stated.
CREATE TABLE IF NOT EXISTS access_log
(
    read_at  DateTime64(3, 'UTC'),
    key_id   String,
    role     LowCardinality(String),
    la_code  String,
    action   LowCardinality(String),
    subject  String,
    purpose  String,
    rows     UInt32
)
ENGINE = MergeTree ORDER BY (read_at, key_id);
