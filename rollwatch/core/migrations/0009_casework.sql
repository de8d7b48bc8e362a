-- Case work on alerts (the console and its JSON API): who took each step by name, who holds the
-- case, when an officer last acted on it, and the enquiries recorded. Columns are added; every
-- older row reads as "nobody, never".
ALTER TABLE alert_lifecycle ADD COLUMN IF NOT EXISTS actor_name String DEFAULT '';
ALTER TABLE alert_lifecycle ADD COLUMN IF NOT EXISTS assignee Nullable(String);
ALTER TABLE alert_lifecycle ADD COLUMN IF NOT EXISTS assignee_name Nullable(String);
ALTER TABLE alert_lifecycle ADD COLUMN IF NOT EXISTS touched_at Nullable(DateTime64(3, 'UTC'));
ALTER TABLE alert_lifecycle ADD COLUMN IF NOT EXISTS enquiry_kind Nullable(String);
ALTER TABLE alert_lifecycle ADD COLUMN IF NOT EXISTS enquiry_on Nullable(Date32);

-- A silence ended early is one more row of the same silence_id with ended_at set: the latest wins.
ALTER TABLE alert_silences ADD COLUMN IF NOT EXISTS author_name String DEFAULT '';
ALTER TABLE alert_silences ADD COLUMN IF NOT EXISTS ended_at Nullable(DateTime64(3, 'UTC'));
ALTER TABLE alert_silences ADD COLUMN IF NOT EXISTS ended_by Nullable(String);
