-- The tracker's whole placement state (services/tracker/placement.py: schools with enrolment
-- status, open AP, last exit, the offset applied), beside the readers' summary in `placement`.
-- The tracker reads it back for pupils it does not hold in memory (after a restart, a rebalance,
-- or when its bounded cache let them go) instead of keeping every pupil in a Faust table.
-- Rows written before keep '' and are rebuilt from their summary.
ALTER TABLE pupil_placements
    ADD COLUMN IF NOT EXISTS state String DEFAULT '' AFTER placement;
