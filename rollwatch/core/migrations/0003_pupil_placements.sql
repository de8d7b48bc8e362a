-- Where each pupil is now: the tracker appends a snapshot whenever a pupil's placement changes;
-- the newest version (the Kafka offset that changed it) is the current one. Read with FINAL.
CREATE TABLE IF NOT EXISTS pupil_placements
(
    upn              String,
    version          UInt64,
    schools_on_roll  Array(String),
    open_ap          UInt16,
    last_exit_school String,
    last_exit_on     Nullable(Date32),
    placement        String,
    updated_at       DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY upn;
