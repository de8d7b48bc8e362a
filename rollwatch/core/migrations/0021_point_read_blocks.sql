-- A pupil's history reads a few rows from one granule in each part of `pupil_history_rows`, but
-- ClickHouse decompresses whole compressed blocks, and by default a block holds at least 64 KiB
-- (for a small column, many granules' worth). With blocks of 4-16 KiB the bench's history read
-- (11 parts) decompressed 2.7 MB instead of 4.7 MB per pupil and took ~0.45 ms less (p50 of ~9 ms,
-- chDB, 10M rows); the table grew ~16% on disk (881 MiB to 1.02 GiB). Parts written before keep
-- their blocks until a merge rewrites them; `OPTIMIZE TABLE pupil_history_rows FINAL` in a quiet
-- hour rewrites them all (docs/operations.md, "Migrations").
ALTER TABLE pupil_history_rows MODIFY SETTING min_compress_block_size = 4096, max_compress_block_size = 16384;
