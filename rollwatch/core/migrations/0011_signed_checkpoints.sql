-- Signed checkpoints (services/tracker/checkpoints.py). `sealed_root` is the Merkle root over the
-- head of every sealed audit chain the checkpoint records, so the signature covers those heads
-- too; empty on checkpoints from before signing.
ALTER TABLE ledger_checkpoints
    ADD COLUMN IF NOT EXISTS sealed_root String DEFAULT '';

-- The HMAC-SHA256 of each checkpoint under a key derived from ROLLWATCH_SECRET_KEY, one row per
-- secret that signed it: the tracker signs each new checkpoint, and after a rotation signs the
-- earlier ones again with the new secret (once their old signature checked out), so the old
-- secret can be retired without leaving checkpoints nobody can verify. Written only by the tracker.
CREATE TABLE IF NOT EXISTS ledger_checkpoint_signatures
(
    checkpoint_id UInt64,
    secret_id     String,
    signature     String,
    signed_at     DateTime64(3, 'UTC')
)
ENGINE = MergeTree ORDER BY (checkpoint_id, secret_id);
