"""The tracker figure's I/O floor: the tracker's own consumer loop (`LedgerConsumer`: the same
group consumer settings, batch size and window, commit after each batch) with a bare sink behind
it that inserts each batch's rows into a fresh ledger through the same ClickHouse client path
(`ClientPerThread`, `insert` of the same columns into the same table, one writer thread) and does
nothing else: no validation, no hash chain, no duplicate check, no placements, no `pupil-moves`.

`python -m tools.bench.io_floor COUNT OUT` with the product's `ROLLWATCH_*` settings (a
folder of its own: chDB opens one folder per process); writes {"events", "seconds"} to OUT, timed
like the tracker figure: from the first batch in the ledger to the last."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson

from rollwatch.core.clickhouse import ClientPerThread
from rollwatch.core.migrate import migrate
from rollwatch.core.settings import Settings, get_settings
from services.tracker.agent import Record
from services.tracker.batch_consumer import LedgerConsumer
from services.tracker.hash_chain import CHAIN_VERSION, GENESIS
from services.tracker.ledger_writer import COLUMNS
from services.tracker.tables import LEDGER


class BareInsert:
    """A `BatchSink` that turns each record into a ledger row as it stands and inserts them."""

    last_write_ok = True

    def __init__(self, settings: Settings, expected: int) -> None:
        self.clients = ClientPerThread(settings)
        self.expected = expected
        self.done = asyncio.Event()
        self.rows = 0
        self.first: tuple[float, int] | None = None  # (time, rows) when the first batch was in
        self.last = 0.0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="io-floor")

    def migrate(self) -> None:
        migrate(self.clients.get())

    async def prepare(self, records: Sequence[Record]) -> list[list[Any]]:
        """The rows, built where the tracker parses its batch (overlapping the write before)."""
        now = dt.datetime.now(dt.UTC)
        return [_row(record, now) for record in records]

    async def process(self, rows: list[list[Any]]) -> None:
        written = await asyncio.get_running_loop().run_in_executor(self._executor, self._insert, rows)
        self.rows += written
        self.last = time.perf_counter()
        if self.first is None:
            self.first = (self.last, written)
        if self.rows >= self.expected:
            self.done.set()

    def _insert(self, rows: list[list[Any]]) -> int:
        self.clients.get().insert(LEDGER, rows, column_names=COLUMNS)
        return len(rows)

    async def checkpoint(self) -> None:
        return None

    async def forget(self) -> None:
        return None

    async def stop(self) -> None:
        self._executor.shutdown(wait=True)
        self.clients.close()


def _row(record: Record, now: dt.datetime) -> list[Any]:
    # The columns the tracker writes, taken from the event as it came (no parse_event): the
    # conversions are only those the client needs for the column types.
    raw = record.value or b"{}"
    event = orjson.loads(raw)
    return [
        uuid.UUID(event["event_id"]),
        event["type"],
        event["upn"],
        event["school_urn"],
        dt.date.fromisoformat(event["occurred_on"]),
        dt.datetime.fromisoformat(event["recorded_at"]),
        now,
        record.partition,
        record.offset,
        1,
        GENESIS,
        GENESIS,
        CHAIN_VERSION,
        raw.decode(),
    ]


async def _drain(settings: Settings, sink: BareInsert, timeout_s: float) -> None:
    # A group of its own on the product's `pupil-events`, read from the beginning.
    group = f"{settings.namespace}bench-io-floor-{uuid.uuid4().hex[:6]}"
    consumer = LedgerConsumer(settings, sink, group=group)
    await consumer.start()
    try:
        await asyncio.wait_for(sink.done.wait(), timeout_s)
    finally:
        await consumer.stop()


def main(argv: list[str]) -> int:
    count, out = int(argv[0]), Path(argv[1])
    settings = get_settings()
    sink = BareInsert(settings, count)
    sink.migrate()
    asyncio.run(_drain(settings, sink, timeout_s=1800))
    assert sink.first is not None
    first_at, first_rows = sink.first
    out.write_text(json.dumps({"events": sink.rows - first_rows, "seconds": sink.last - first_at}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
