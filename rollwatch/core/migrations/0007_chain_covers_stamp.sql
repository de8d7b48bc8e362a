-- Hash chain version 2: a row's hash also covers what the tracker stamps on it (ingested_at and
-- the Kafka coordinates), which readers show and sort by. Rows written before keep version 1 and
-- are verified by the version 1 formula (services/tracker/hash_chain.py).
ALTER TABLE movement_ledger
    ADD COLUMN IF NOT EXISTS chain_version UInt8 DEFAULT 1 AFTER hash;
