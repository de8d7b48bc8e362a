-- The statistics the console's dashboards and the LA summary show (exits by school, month, ground,
-- year group and SEN; rolls; AP placements) come from two narrow tables that materialised views
-- keep in step with every ledger insert, so no page view parses the ledger's JSON or scans it:
--
-- ledger_school_events: one row per ledger event with the typed fields the statistics count by,
-- ordered by school then date, so one LA's schools over a period are one short range per school.
-- Pre-summed counts would not do: which exits are explained depends on things known only when
-- one asks (the register's successors and special schools, an LA's own exit rules, events retracted
-- later), so the exits are classified per query by services/tracker/exit_classification.py.
CREATE TABLE IF NOT EXISTS ledger_school_events
(
    school_urn          LowCardinality(String),
    occurred_on         Date32,
    type                LowCardinality(String),
    event_id            UUID,
    upn                 String,
    kafka_offset        UInt64,                  -- a pupil's events, in the order the tracker applied them
    year_group          Int8,
    sen_provision       LowCardinality(String),
    ground              LowCardinality(String),  -- deletions only, '' otherwise
    destination_kind    LowCardinality(String),
    destination_laestab String,
    ctf_destination     String,
    review_by           Nullable(Date32)         -- AP referrals only
)
ENGINE = MergeTree
ORDER BY (school_urn, occurred_on, type, event_id)
-- An LA's schools lie scattered through the URN order, each with a few hundred rows a year: small
-- granules let a query read about those rows rather than 8,192 around each school (measured on the
-- bench ledger: 15,000 rows read instead of 700,000 for one LA's year).
SETTINGS index_granularity = 256;

-- ledger_references: the events that name another event (a retraction, the end of an AP
-- placement), small enough to read whole.
CREATE TABLE IF NOT EXISTS ledger_references
(
    type        LowCardinality(String),
    refers_to   UUID,
    event_id    UUID,
    upn         String,
    school_urn  LowCardinality(String),
    occurred_on Date32
)
ENGINE = MergeTree
ORDER BY (type, refers_to);

CREATE MATERIALIZED VIEW IF NOT EXISTS ledger_school_events_mv TO ledger_school_events AS
SELECT
    school_urn, occurred_on, type, event_id, upn, kafka_offset,
    toInt8(JSONExtractInt(event, 'pupil', 'year_group')) AS year_group,
    JSONExtractString(event, 'pupil', 'sen_provision') AS sen_provision,
    if(type = 'pupil.deleted', JSONExtractString(event, 'data', 'ground'), '') AS ground,
    if(type = 'pupil.deleted', JSONExtractString(event, 'data', 'destination', 'kind'), '')
        AS destination_kind,
    if(type = 'pupil.deleted', JSONExtractString(event, 'data', 'destination', 'laestab'), '')
        AS destination_laestab,
    if(type = 'pupil.deleted', JSONExtractString(event, 'data', 'ctf_destination'), '') AS ctf_destination,
    if(type = 'pupil.ap_referred', toDate32OrNull(JSONExtractString(event, 'data', 'review_by')), NULL)
        AS review_by
FROM movement_ledger;

CREATE MATERIALIZED VIEW IF NOT EXISTS ledger_references_mv TO ledger_references AS
SELECT
    type,
    toUUIDOrZero(JSONExtractString(event, 'data', if(type = 'event.retracted', 'retracts', 'referral_event_id')))
        AS refers_to,
    event_id, upn, school_urn, occurred_on
FROM movement_ledger
WHERE type IN ('event.retracted', 'pupil.ap_ended');

-- The rows already in the ledger. Run with the trackers stopped (docs/operations.md,
-- "Migrations"): a row written while this runs could be counted twice.
INSERT INTO ledger_school_events
SELECT
    school_urn, occurred_on, type, event_id, upn, kafka_offset,
    toInt8(JSONExtractInt(event, 'pupil', 'year_group')) AS year_group,
    JSONExtractString(event, 'pupil', 'sen_provision') AS sen_provision,
    if(type = 'pupil.deleted', JSONExtractString(event, 'data', 'ground'), '') AS ground,
    if(type = 'pupil.deleted', JSONExtractString(event, 'data', 'destination', 'kind'), '')
        AS destination_kind,
    if(type = 'pupil.deleted', JSONExtractString(event, 'data', 'destination', 'laestab'), '')
        AS destination_laestab,
    if(type = 'pupil.deleted', JSONExtractString(event, 'data', 'ctf_destination'), '') AS ctf_destination,
    if(type = 'pupil.ap_referred', toDate32OrNull(JSONExtractString(event, 'data', 'review_by')), NULL)
        AS review_by
FROM movement_ledger;

INSERT INTO ledger_references
SELECT
    type,
    toUUIDOrZero(JSONExtractString(event, 'data', if(type = 'event.retracted', 'retracts', 'referral_event_id')))
        AS refers_to,
    event_id, upn, school_urn, occurred_on
FROM movement_ledger
WHERE type IN ('event.retracted', 'pupil.ap_ended');
