-- Notifications on their way to a route (services/alerts/delivery/pending.py): a `queued` row
-- before the alert service may commit the offset that raised them, then a `delivered` or
-- `dead_lettered` row once the delivery settles. At start the service takes up again every
-- notification whose latest row is `queued` (an email digest still waiting, a webhook still
-- retrying), so a crash loses none. `notification` is the copy the route receives (no UPN unless
-- the route is secure), as JSON; empty on the settling rows. Kept as long as the dead letters
-- (ROLLWATCH_DEAD_LETTERS_TTL_DAYS, 90; set again at every start by rollwatch/core/retention.py):
-- a secure route's copy holds UPNs, and the dead-letter listing reads what became of each here.
CREATE TABLE IF NOT EXISTS alert_outbox
(
    route_id       String,
    channel        LowCardinality(String),
    transition_key String,
    state          LowCardinality(String),
    at             DateTime64(6, 'UTC'),
    alert_id       String,
    la_code        LowCardinality(String),
    notification   String
)
ENGINE = MergeTree
ORDER BY (route_id, transition_key, at)
TTL toDateTime(at) + INTERVAL 90 DAY;
