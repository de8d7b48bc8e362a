-- Every step of every alert's life, kept for ever; written only by the alert service.
-- An alert's current state is its row with the highest seq.
CREATE TABLE IF NOT EXISTS alert_lifecycle
(
    alert_id            String,
    fingerprint         String,
    seq                 UInt32,
    transition          LowCardinality(String),
    status              LowCardinality(String),
    rule                LowCardinality(String),
    severity            LowCardinality(String),
    la_code             LowCardinality(String),
    school_urn          String,
    upn                 Nullable(String),
    evidence            Array(String),
    reason              String,
    statutory_reference String,
    as_of               Date32,
    key_event_id        Nullable(String),
    due_on              Nullable(Date32),
    opened_at           DateTime64(3, 'UTC'),
    updated_at          DateTime64(3, 'UTC'),
    actor               String,
    outcome             Nullable(String),
    note                Nullable(String),
    by_event_id         Nullable(String),
    silenced_by         Nullable(String),
    parameters_version  String
)
ENGINE = MergeTree
ORDER BY (la_code, alert_id, seq);

-- Silences mute notifications for matching alerts until they expire; alerts are still recorded.
CREATE TABLE IF NOT EXISTS alert_silences
(
    silence_id String,
    matchers   Map(String, String),
    author     String,
    reason     String,
    created_at DateTime64(3, 'UTC'),
    expires_at DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (silence_id);

-- Every delivery attempt of an alert notification (email digest or webhook), and the deliveries
-- given up on after their last retry: nothing is lost silently.
CREATE TABLE IF NOT EXISTS alert_deliveries
(
    delivery_id  String,
    channel      LowCardinality(String),
    route_id     String,
    la_code      LowCardinality(String),
    alert_id     String,
    alert_status LowCardinality(String),
    attempt      UInt16,
    status       LowCardinality(String),
    at           DateTime64(3, 'UTC'),
    error        Nullable(String),
    code         Nullable(Int32)
)
ENGINE = MergeTree
ORDER BY (la_code, at);

CREATE TABLE IF NOT EXISTS alert_dead_letters
(
    delivery_id   String,
    channel       LowCardinality(String),
    route_id      String,
    la_code       LowCardinality(String),
    attempts      UInt16,
    error         String,
    at            DateTime64(3, 'UTC'),
    alert_ids     Array(String),
    notifications String
)
ENGINE = MergeTree
ORDER BY (la_code, at);
