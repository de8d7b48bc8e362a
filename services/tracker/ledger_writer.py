"""Appends a batch of validated events to the movement ledger exactly once, extending each
pupil's hash chain.

Kafka delivers at least once, so a batch can come again after a crash or a rebalance. Two guards
make the write idempotent: the batch's `insert_deduplication_token` (derived from the Kafka
coordinates and ids of the rows it inserts: an identical replay is dropped by ClickHouse itself),
and an `event_id` check against the ledger (a replay cut into different batches, or the same
event sent twice by a producer)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from rollwatch.core.clickhouse import LONG_QUERY, ClientPerThread, batch_token, in_list
from rollwatch.core.signing import SecretKeys
from schemas import Event
from schemas.authority import Records
from schemas.events import PupilEvent, SchoolRollChecked
from services.tracker import view_copies
from services.tracker.checkpoints import Checkpoint, countersign, signed_after, write_checkpoint
from services.tracker.hash_chain import (
    CHAIN_VERSION,
    GENESIS,
    HeadCache,
    chain_hash,
    row_stamps,
    to_millisecond,
)
from services.tracker.ledger_reads import pupil_records
from services.tracker.placement import from_summary as placement_from_summary
from services.tracker.placement import summary as placement_summary
from services.tracker.tables import IDENTITY_LINKS, LEDGER, PLACEMENTS

COLUMNS = [
    "event_id",
    "type",
    "upn",
    "school_urn",
    "occurred_on",
    "recorded_at",
    "ingested_at",
    "kafka_partition",
    "kafka_offset",
    "chain_seq",
    "prev_hash",
    "hash",
    "chain_version",
    "event",
]


PLACEMENT_COLUMNS = [
    "upn",
    "version",
    "schools_on_roll",
    "open_ap",
    "last_exit_school",
    "last_exit_on",
    "placement",
    "state",
    "updated_at",
]


def placement_row(upn: str, version: int, state: dict[str, Any], now: dt.datetime) -> list[Any]:
    """A `pupil_placements` row in `PLACEMENT_COLUMNS`' order: the readers' summary, the whole state."""
    view = placement_summary(state)
    last_exit = view["last_exit"]
    return [
        upn,
        version,
        view["schools_on_roll"],
        len(view["open_ap"]),
        last_exit["school_urn"] if last_exit else "",
        dt.date.fromisoformat(last_exit["occurred_on"]) if last_exit else None,
        orjson.dumps(view).decode(),
        orjson.dumps(state).decode(),
        now,
    ]


@dataclass(frozen=True)
class Received:
    """A valid event and where Kafka had it."""

    event: Event
    canonical: bytes
    partition: int
    offset: int

    @property
    def pupil(self) -> PupilEvent:
        """The event about one pupil; a school event here is a programming error."""
        if isinstance(self.event, SchoolRollChecked):
            raise TypeError("a school event has no place in the movement ledger")
        return self.event


@dataclass(frozen=True)
class WriteResult:
    written: int
    duplicates: int
    # Events whose id the ledger already holds with other content: never written, sent to the DLQ.
    conflicts: tuple[Received, ...] = ()
    # Copies the materialised views lacked for events already in the ledger, written again.
    restored: int = 0


class LedgerWriter:
    def __init__(self, clients: ClientPerThread, heads: HeadCache | None = None) -> None:
        self._clients = clients
        self._heads = heads or HeadCache()

    def checkpoint(self, secrets: SecretKeys) -> Checkpoint | None:
        """Blocking: record a signed checkpoint in the writer's own thread, between batches, after
        signing with the current secret what only a previous one signed (a rotation)."""
        client = self._clients.get()
        countersign(client, secrets)
        return write_checkpoint(client, secrets)

    def signed_checkpoints(self, secrets: SecretKeys, after_id: int) -> list[tuple[Checkpoint, str]]:
        """Blocking: the signed checkpoints after `after_id`, each with its signature."""
        return signed_after(self._clients.get(), secrets, after_id)

    def record_placements(self, changed: dict[str, tuple[int, dict[str, Any]]]) -> None:
        """Blocking: append the new placement of each pupil whose placement changed."""
        now = dt.datetime.now(dt.UTC)
        rows = [placement_row(upn, offset, state, now) for upn, (offset, state) in sorted(changed.items())]
        self._clients.get().insert(PLACEMENTS, rows, column_names=PLACEMENT_COLUMNS)

    def placements(self, upns: list[str]) -> dict[str, dict[str, Any]]:
        """Blocking: the current placement state of those pupils that have one."""
        if not upns:
            return {}
        result = self._clients.get().query(
            f"SELECT upn, max(version), argMax(state, version), argMax(placement, version) "
            f"FROM {PLACEMENTS} WHERE upn IN {in_list(sorted(upns))} GROUP BY upn",
            settings=LONG_QUERY,
        )
        return {
            str(upn): orjson.loads(state)
            if state
            else placement_from_summary(orjson.loads(view), int(version))
            for upn, version, state, view in result.result_rows
        }

    def records(self, upns: set[str]) -> Records:
        """Blocking: the pupils' records the authority rules judge a batch against, read in the
        writer's thread so that they include every batch written before."""
        return pupil_records(self._clients, upns)

    def forget_heads(self) -> None:
        """After a rebalance another worker may have extended our pupils' chains."""
        self._heads.clear()

    def write(self, batch: list[Received]) -> WriteResult:
        """Blocking: call from a worker thread."""
        unique: dict[UUID, Received] = {}
        for item in sorted(batch, key=lambda i: (i.partition, i.offset)):
            unique.setdefault(item.event.event_id, item)
        known = self._already_recorded(list(unique.values()))
        fresh = [item for event_id, item in unique.items() if event_id not in known]
        conflicts = tuple(
            item
            for event_id, item in unique.items()
            if event_id in known and known[event_id] != item.canonical
        )
        recorded = [item for event_id, item in unique.items() if known.get(event_id) == item.canonical]
        restored = self._restore_copies(recorded) if recorded else 0
        if not fresh:
            return WriteResult(
                written=0, duplicates=len(batch) - len(conflicts), conflicts=conflicts, restored=restored
            )
        heads = self._chain_heads({item.pupil.upn for item in fresh})
        now = to_millisecond(dt.datetime.now(dt.UTC))
        stamp = row_stamps(now)
        rows = []
        links = []
        for item in fresh:
            event = item.pupil
            upn = event.upn
            seq, prev = heads.get(upn, (0, GENESIS))
            digest = chain_hash(prev, item.canonical, stamp(item.partition, item.offset))
            heads[upn] = (seq + 1, digest)
            rows.append(
                [
                    event.event_id,
                    event.type,
                    upn,
                    event.school_urn,
                    event.occurred_on,
                    event.recorded_at,
                    now,
                    item.partition,
                    item.offset,
                    seq + 1,
                    prev,
                    digest,
                    CHAIN_VERSION,
                    item.canonical.decode(),
                ]
            )
            if event.former_upn and event.former_upn != upn:
                links.append([upn, event.former_upn, event.event_id, now])
        client = self._clients.get()
        token = _token(fresh)
        # Links first: if the ledger insert then fails, the retry finds these events unrecorded
        # and writes both again, and the token makes the second links insert a no-op.
        if links:
            client.insert(
                IDENTITY_LINKS,
                links,
                column_names=["upn", "former_upn", "event_id", "linked_at"],
                settings={"insert_deduplication_token": token + ":links"},
            )
        client.insert(LEDGER, rows, column_names=COLUMNS, settings={"insert_deduplication_token": token})
        # Only now, with the rows in the ledger, do the new heads become the truth.
        for upn, head in heads.items():
            self._heads.put(upn, head)
        return WriteResult(
            written=len(fresh),
            duplicates=len(batch) - len(fresh) - len(conflicts),
            conflicts=conflicts,
            restored=restored,
        )

    def _restore_copies(self, recorded: list[Received]) -> int:
        """A batch seen before (a resend after a crash, or an event Kafka holds twice): the copies
        its first write may have left unwritten, if the process died between the ledger's part and
        its views' parts (services/tracker/view_copies.py)."""
        return view_copies.restore(
            self._clients.get(),
            upns=sorted({item.pupil.upn for item in recorded}),
            schools=sorted({item.pupil.school_urn for item in recorded}),
            event_ids=[str(item.event.event_id) for item in recorded],
        )

    def _already_recorded(self, items: list[Received]) -> dict[UUID, bytes]:
        """The batch's event ids the ledger holds already, with the content it holds."""
        # The ledger is ordered by UPN, so filtering on the batch's UPNs first keeps this a
        # few granule reads however large the ledger grows.
        upns = in_list(sorted({i.pupil.upn for i in items}))
        ids = in_list([str(i.event.event_id) for i in items], of="UUID")
        result = self._clients.get().query(
            f"SELECT event_id, any(event) FROM {LEDGER} WHERE upn IN {upns} AND event_id IN {ids} "
            "GROUP BY event_id",
            settings=LONG_QUERY,
        )
        return {
            (row[0] if isinstance(row[0], UUID) else UUID(str(row[0]))): row[1].encode()
            for row in result.result_rows
        }

    def _chain_heads(self, upns: set[str]) -> dict[str, tuple[int, str]]:
        heads: dict[str, tuple[int, str]] = {}
        missing = []
        for upn in upns:
            head = self._heads.get(upn)
            if head is None:
                missing.append(upn)
            else:
                heads[upn] = head
        if missing:
            result = self._clients.get().query(
                f"SELECT upn, max(chain_seq), argMax(hash, chain_seq) FROM {LEDGER} "
                f"WHERE upn IN {in_list(sorted(missing))} GROUP BY upn",
                settings=LONG_QUERY,
            )
            for upn, seq, digest in result.result_rows:
                heads[upn] = (int(seq), digest)
        return heads


def _token(items: list[Received]) -> str:
    # The event id is part of it so that a recreated topic (offsets from 0 again) can never make a
    # new batch look like a replay.
    return batch_token([f"{item.partition}:{item.offset}:{item.event.event_id.hex}" for item in items])
