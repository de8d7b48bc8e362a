"""`python -m tools.harness.ledger_probe`: the event ids of a stopped product's embedded ledger
(its settings from `ROLLWATCH_*`), as JSON on stdout: `{"rows": N, "ids": [...], "duplicated":
[...]}`. A separate process, because chDB hosts one ledger folder per process and a test
process has its own."""

from __future__ import annotations

import sys

import orjson

from rollwatch.core.clickhouse import connect
from rollwatch.core.settings import Settings


def main() -> int:
    client = connect(Settings())
    rows = client.query(
        "SELECT toString(event_id), count() FROM movement_ledger GROUP BY event_id"
    ).result_rows
    report = {
        "rows": sum(count for _, count in rows),
        "ids": [event_id for event_id, _ in rows],
        "duplicated": [event_id for event_id, count in rows if count > 1],
    }
    sys.stdout.buffer.write(orjson.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
