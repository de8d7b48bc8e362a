"""Appends `school.roll_checked` events to `school_roll_checks` exactly once per event id, sealed
into the tracker's own hash chain (rollwatch/core/sealed_log.py), and reads what the alert rules
need of them: the school's roll as Rollwatch knows it on a given day, and when each school was
last heard from (docs/domain.md, "Feed health and roll reconciliation"). Blocking: call from a
thread."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from rollwatch.core.clickhouse import LONG_QUERY, ClientPerThread, batch_token
from rollwatch.core.sealed_log import SealedWriter
from schemas.events import SchoolRollChecked
from services.tracker.ledger_writer import Received, WriteResult
from services.tracker.tables import LEDGER, ROLL_CHECKS

COLUMNS = [
    "event_id", "school_urn", "checked_on", "recorded_at", "on_roll", "added", "removed", "ingested_at",
    "kafka_partition", "kafka_offset", "event",
]  # fmt: skip


class RollCheckWriter:
    def __init__(self, clients: ClientPerThread) -> None:
        self._clients = clients
        self._sealed = SealedWriter(ROLL_CHECKS, COLUMNS)

    def write(self, batch: list[Received]) -> WriteResult:
        unique: dict[UUID, Received] = {}
        for item in sorted(batch, key=lambda i: (i.partition, i.offset)):
            unique.setdefault(item.event.event_id, item)
        client = self._clients.get()
        known = {
            UUID(str(event_id)): str(event).encode()
            for event_id, event in client.query(
                f"SELECT event_id, any(event) FROM {ROLL_CHECKS} WHERE event_id IN {{ids:Array(UUID)}} "
                "GROUP BY event_id",
                parameters={"ids": [str(i) for i in unique]},
                settings=LONG_QUERY,
            ).result_rows
        }
        fresh = [item for event_id, item in unique.items() if event_id not in known]
        conflicts = tuple(item for i, item in unique.items() if i in known and known[i] != item.canonical)
        if fresh:
            now = dt.datetime.now(dt.UTC)
            rows = [_row(item, now) for item in fresh]
            token = batch_token(f"{i.partition}:{i.offset}:{i.event.event_id}" for i in fresh)
            self._sealed.append(client, rows, settings={"insert_deduplication_token": token})
        return WriteResult(
            written=len(fresh), duplicates=len(batch) - len(fresh) - len(conflicts), conflicts=conflicts
        )


def _row(item: Received, now: dt.datetime) -> list[Any]:
    event = item.event
    assert isinstance(event, SchoolRollChecked)
    data = event.data
    return [
        event.event_id, event.school_urn, event.occurred_on, event.recorded_at, data.on_roll,
        list(data.added or ()), list(data.removed or ()), now, item.partition, item.offset,
        item.canonical.decode(),
    ]  # fmt: skip


# Schools' enrolments (not as a guest) and deletions recorded by `until`, retracted ones left
# out: what a roll on any day up to then is computed from (`rolls_on`).
_MOVES = f"""
SELECT school_urn, upn, type, occurred_on, recorded_at FROM {LEDGER}
WHERE school_urn IN {{urns:Array(String)}} AND recorded_at <= {{until:DateTime64(3, 'UTC')}}
  AND (type = 'pupil.deleted'
       OR (type = 'pupil.enrolled' AND JSONExtractString(event, 'data', 'enrolment_status') != 'guest'))
  AND (school_urn, event_id) NOT IN (
      SELECT school_urn, toUUIDOrZero(JSONExtractString(event, 'data', 'retracts')) FROM {LEDGER}
      WHERE school_urn IN {{urns:Array(String)}} AND type = 'event.retracted')
"""


def rolls_on(
    clients: ClientPerThread, checks: Mapping[str, Sequence[tuple[dt.date, dt.datetime]]]
) -> dict[str, list[int]]:
    """The pupils Rollwatch had on roll at each school at the end of each (day, until) of its
    `checks`: per pupil, the latest by (occurred_on, recorded_at) of the school's enrolments and
    deletions that took effect by the day and were recorded by `until`. One read for every school
    (a read per school cost ~26 ms each, nearly all of it the query's fixed cost)."""
    wanted = {urn: list(of_school) for urn, of_school in checks.items() if of_school}
    if not wanted:
        return {}
    latest_until = max(until for of_school in wanted.values() for _, until in of_school)
    parameters = {"urns": list(wanted), "until": latest_until.astimezone(dt.UTC).replace(tzinfo=None)}
    moves: dict[str, list[Move]] = {urn: [] for urn in wanted}
    rows = clients.get().query(_MOVES, parameters=parameters, settings=LONG_QUERY).result_rows
    for urn, upn, kind, occurred, recorded in rows:
        moves[urn].append((upn, kind, occurred, _utc(recorded)))
    # Moves recorded after a school's own latest check never count for it (roll_counts).
    return {urn: roll_counts(moves[urn], of_school) for urn, of_school in wanted.items()}


Move = tuple[str, str, dt.date, dt.datetime]  # upn, type, occurred_on, recorded_at


def roll_counts(moves: list[Move], checks: list[tuple[dt.date, dt.datetime]]) -> list[int]:
    """Pure: the roll at each (day, until) of `checks` from a school's moves (see `rolls_on`)."""
    order = sorted(range(len(checks)), key=lambda i: checks[i])
    days = [checks[i][0] for i in order]
    untils = [checks[i][1] for i in order]
    if untils != sorted(untils):  # checks not in step (a later day counted earlier): one at a time
        return [_count(moves, day, until) for day, until in checks]
    # Once a move counts for a check it counts for every later one: sweep the checks in order.
    arriving: dict[int, list[Move]] = {}
    for move in moves:
        arriving.setdefault(max(bisect_left(days, move[2]), bisect_left(untils, move[3])), []).append(move)
    latest: dict[str, tuple[tuple[dt.date, dt.datetime], str]] = {}
    on_roll = 0
    counts = [0] * len(checks)
    for position, index in enumerate(order):
        for upn, kind, occurred, recorded in arriving.get(position, ()):
            known = latest.get(upn)
            if known is None or (occurred, recorded) > known[0]:
                on_roll += (kind == "pupil.enrolled") - (known is not None and known[1] == "pupil.enrolled")
                latest[upn] = ((occurred, recorded), kind)
        counts[index] = on_roll
    return counts


def _count(moves: list[Move], day: dt.date, until: dt.datetime) -> int:
    latest: dict[str, tuple[tuple[dt.date, dt.datetime], str]] = {}
    for upn, kind, occurred, recorded in moves:
        if (
            occurred <= day
            and recorded <= until
            and (upn not in latest or (occurred, recorded) > latest[upn][0])
        ):
            latest[upn] = ((occurred, recorded), kind)
    return sum(kind == "pupil.enrolled" for _, kind in latest.values())


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class HeardDays:
    """A school watched for feed health (it has sent a roll check): the day of its first roll
    check, and each day (in England) it sent anything from then on (an event or a roll check, by
    `recorded_at`), with the last event id of that day; from `since` on, plus the last such day
    before `since`."""

    school_urn: str
    first_check_on: dt.date
    days: tuple[tuple[dt.date, str], ...]


_FIRST_CHECKS = (
    f"SELECT school_urn, toDate(min(recorded_at), 'Europe/London') FROM {ROLL_CHECKS} GROUP BY school_urn"
)
_HEARD_FROM = f"""
    SELECT school_urn, recorded_at AS at, toString(event_id) AS id FROM {ROLL_CHECKS}
    UNION ALL
    SELECT school_urn, recorded_at AS at, toString(event_id) AS id FROM {LEDGER}
    WHERE school_urn IN (SELECT DISTINCT school_urn FROM {ROLL_CHECKS})
"""
_HEARD_SINCE = f"""
SELECT school_urn, toDate(at, 'Europe/London') AS day, argMax(id, at) FROM ({_HEARD_FROM})
WHERE toDate(at, 'Europe/London') >= {{since:Date32}} GROUP BY school_urn, day
"""
_HEARD_BEFORE = f"""
SELECT school_urn, toDate(max(at), 'Europe/London'), argMax(id, at) FROM ({_HEARD_FROM})
WHERE toDate(at, 'Europe/London') < {{since:Date32}} GROUP BY school_urn
"""


def heard_days(clients: ClientPerThread, since: dt.date) -> list[HeardDays]:
    """Every watched school's days heard from, from `since` on, and its last one before."""
    client = clients.get()
    first = {urn: day for urn, day in client.query(_FIRST_CHECKS).result_rows}
    days: dict[str, list[tuple[dt.date, str]]] = {}
    for query in (_HEARD_BEFORE, _HEARD_SINCE):
        for urn, day, event_id in client.query(query, parameters={"since": since}).result_rows:
            if urn in first and day >= first[urn]:
                days.setdefault(urn, []).append((day, str(event_id)))
    return [HeardDays(urn, first[urn], tuple(sorted(days[urn]))) for urn in sorted(days)]
