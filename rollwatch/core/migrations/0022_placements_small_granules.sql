-- The history read and the tracker read a few pupils' placements at a time, `FINAL`, but 0003 made
-- the table with 8,192-row granules: each part decompressed some 8,192 placements to find one.
-- On the bench's 10M-row ledger (1.08M pupils, 7 parts) the placement's subquery was most of a
-- history read: 21 ms against 11 ms with 256-row granules and 4-16 KiB compressed blocks, timed
-- side by side on the same parts. A granule size is fixed when a table is made, so this makes the
-- table again and copies the rows. Run with the trackers stopped (docs/operations.md, "Migrations"),
-- as 0010 and 0019. Interrupted, it runs again from the start: the first statement drops a copy
-- left half made, or the old table left after the exchange (the current one holds every row then).
DROP TABLE IF EXISTS pupil_placements_0022;

-- The columns are the table's own; only the engine's settings change.
CREATE TABLE IF NOT EXISTS pupil_placements_0022 AS pupil_placements
ENGINE = ReplacingMergeTree(version)
ORDER BY upn
SETTINGS index_granularity = 256, min_compress_block_size = 4096, max_compress_block_size = 16384;

INSERT INTO pupil_placements_0022 SELECT * FROM pupil_placements;

EXCHANGE TABLES pupil_placements AND pupil_placements_0022;

DROP TABLE IF EXISTS pupil_placements_0022;
