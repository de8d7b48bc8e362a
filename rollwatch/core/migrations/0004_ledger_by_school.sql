-- School reports (a school's movements, an LA's summary) select by school and date, but the ledger
-- is ordered by pupil, so one school's rows lie in nearly every granule and such a query reads the
-- whole table. This projection keeps a second copy of the columns those reports read, ordered by
-- school then date; ClickHouse chooses it by itself for a query that filters on school_urn, and
-- keeps it in step with every insert. The hash-chain columns stay out (verification reads by
-- pupil), so the copy costs about the size of the event column.
ALTER TABLE movement_ledger
    ADD PROJECTION IF NOT EXISTS by_school_and_date
    (
        SELECT event_id, type, upn, school_urn, occurred_on, recorded_at, ingested_at, chain_seq, event
        ORDER BY school_urn, occurred_on, recorded_at
    );

-- Builds the projection for the rows already in the ledger, in the background (new rows get it as
-- they are inserted; until then a report reads those parts from the table itself). It writes
-- projection parts only: no ledger row is rewritten.
ALTER TABLE movement_ledger MATERIALIZE PROJECTION by_school_and_date;
