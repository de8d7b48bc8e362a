-- Records that hold UPNs outside the ledger and the audit logs are kept only so long: the alert
-- delivery log (ROLLWATCH_DELIVERY_LOG_TTL_DAYS, 365) and the deliveries given up on, which hold
-- whole notifications (ROLLWATCH_DEAD_LETTERS_TTL_DAYS, 90). These are the defaults; a start with
-- other settings sets them again (rollwatch/core/retention.py). The ledger, the access log and the
-- alert lifecycle are kept for ever and take no TTL (tests/unit/core/test_migrations_append_only.py).
ALTER TABLE alert_deliveries MODIFY TTL toDateTime(at) + INTERVAL 365 DAY;

ALTER TABLE alert_dead_letters MODIFY TTL toDateTime(at) + INTERVAL 90 DAY;
