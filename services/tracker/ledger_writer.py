"""Appends a batch of validated events to the movement ledger exactly once.

Kafka delivers at least once, so a batch can come again after a crash or a rebalance. Two guards
make the write idempotent: the batch's `insert_deduplication_token` (derived from the Kafka
coordinates and ids of the rows it inserts: an identical replay is dropped by ClickHouse itself), and an
`event_id` check against the ledger (a replay cut into different batches, or the same event sent
twice by a producer)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from uuid import UUID

from rollwatch.clickhouse import ClientPerThread
from schemas import Envelope

LEDGER = "movement_ledger"
COLUMNS = [
    "event_id", "type", "upn", "school_urn", "occurred_on", "recorded_at",
    "ingested_at", "kafka_partition", "kafka_offset", "event",
]  # fmt: skip


@dataclass(frozen=True)
class Received:
    """A valid event and where Kafka had it."""

    event: Envelope
    canonical: bytes
    partition: int
    offset: int


@dataclass(frozen=True)
class WriteResult:
    written: int
    duplicates: int


class LedgerWriter:
    def __init__(self, clients: ClientPerThread) -> None:
        self._clients = clients

    def write(self, batch: list[Received]) -> WriteResult:
        """Blocking: call from a worker thread."""
        unique: dict[UUID, Received] = {}
        for item in batch:
            unique.setdefault(item.event.event_id, item)
        known = self._already_recorded(list(unique.values()))
        fresh = [item for event_id, item in unique.items() if event_id not in known]
        if fresh:
            now = dt.datetime.now(dt.UTC)
            rows = [
                [
                    item.event.event_id, item.event.type, item.event.upn, item.event.school_urn,
                    item.event.occurred_on, item.event.recorded_at, now,
                    item.partition, item.offset, item.canonical.decode(),
                ]
                for item in fresh
            ]  # fmt: skip
            self._clients.get().insert(
                LEDGER, rows, column_names=COLUMNS, settings={"insert_deduplication_token": _token(fresh)}
            )
        return WriteResult(written=len(fresh), duplicates=len(batch) - len(fresh))

    def _already_recorded(self, items: list[Received]) -> set[UUID]:
        # The ledger is ordered by UPN, so filtering on the batch's UPNs first keeps this a
        # few granule reads however large the ledger grows.
        result = self._clients.get().query(
            f"SELECT DISTINCT event_id FROM {LEDGER} "
            "WHERE upn IN {upns:Array(String)} AND event_id IN {ids:Array(UUID)}",
            parameters={
                "upns": sorted({i.event.upn for i in items}),
                "ids": [str(i.event.event_id) for i in items],
            },
        )
        return {row[0] if isinstance(row[0], UUID) else UUID(str(row[0])) for row in result.result_rows}


def _token(items: list[Received]) -> str:
    digest = hashlib.sha256()
    for item in sorted(items, key=lambda i: (i.partition, i.offset)):
        # The event id is part of it so that a recreated topic (offsets from 0 again) can never
        # make a new batch look like a replay.
        digest.update(f"{item.partition}:{item.offset}:{item.event.event_id};".encode())
    return digest.hexdigest()
