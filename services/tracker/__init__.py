"""Tracker: records. Consumes `pupil-events`, validates again, and appends each event exactly once
to the ClickHouse movement ledger; invalid messages go to `pupil-events.dlq` with the reason."""
