-- Each school's roll for the statistics pages (services/tracker/school_figures.py): per school and
-- pupil, the latest enrolment-or-deletion and the latest SEN provision given, as aggregate states
-- that a materialised view keeps in step with `ledger_school_events` (migration 0010). A page then
-- reads one row per pupil ever at the LA's schools (fewer once merged) instead of every event of
-- their whole history. "Latest" is by Kafka offset, the order the tracker applied them.
CREATE TABLE IF NOT EXISTS school_pupil_rolls
(
    school_urn LowCardinality(String),
    upn        String,
    last_move  AggregateFunction(argMaxIf, String, UInt64, UInt8),
    sen        AggregateFunction(argMaxIf, String, UInt64, UInt8)
)
ENGINE = AggregatingMergeTree
ORDER BY (school_urn, upn)
SETTINGS index_granularity = 1024;

CREATE MATERIALIZED VIEW IF NOT EXISTS school_pupil_rolls_mv TO school_pupil_rolls AS
SELECT
    school_urn,
    upn,
    argMaxIfState(toString(type), kafka_offset, type IN ('pupil.enrolled', 'pupil.deleted')) AS last_move,
    argMaxIfState(toString(sen_provision), kafka_offset, sen_provision != '') AS sen
FROM ledger_school_events
GROUP BY school_urn, upn;

-- The rows already there. Run with the trackers stopped (docs/operations.md, "Migrations"), as
-- 0010: a row written while this runs could be counted twice (harmless here: the latest of the
-- same events is the same).
INSERT INTO school_pupil_rolls
SELECT
    school_urn,
    upn,
    argMaxIfState(toString(type), kafka_offset, type IN ('pupil.enrolled', 'pupil.deleted')) AS last_move,
    argMaxIfState(toString(sen_provision), kafka_offset, sen_provision != '') AS sen
FROM ledger_school_events
GROUP BY school_urn, upn;
