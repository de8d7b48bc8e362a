"""Blocking read queries over the ledger, shared by the audit API and the command line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import orjson

from rollwatch.core.clickhouse import POINT_READ, ClientPerThread
from schemas.authority import Records, Sent
from services.tracker.tables import HISTORY_ROWS, IDENTITY_LINKS, LEDGER, PLACEMENTS, ROLL_CHECKS

_ROW_COLUMNS = (
    "toString(event_id), type, upn, school_urn, occurred_on, recorded_at, ingested_at, chain_seq, event"
)
# A pupil's rows come from the ledger's copy ordered by pupil in small granules (migration 0019):
# in the ledger itself each part would decompress 8,192 rows' events to find a pupil's few.
_PUPIL_ROW = f"SELECT {_ROW_COLUMNS} FROM {HISTORY_ROWS} "


@dataclass(frozen=True)
class LedgerRow:
    event_id: str
    type: str
    upn: str
    school_urn: str
    occurred_on: dt.date
    recorded_at: dt.datetime
    ingested_at: dt.datetime
    chain_seq: int
    event: dict[str, Any]

    @classmethod
    def from_result(cls, row: Sequence[Any]) -> LedgerRow:
        event_id, type_, upn, urn, occurred, recorded, ingested, seq, event = row
        return cls(
            event_id, type_, upn, urn, occurred, _utc(recorded), _utc(ingested), int(seq), orjson.loads(event)
        )

    def sent(self) -> Sent:
        """The row as the authority rules read it (schemas/authority.py)."""
        data = self.event.get("data")
        retracts = data.get("retracts") if self.type == "event.retracted" and isinstance(data, dict) else None
        guest = (
            self.type == "pupil.enrolled"
            and isinstance(data, dict)
            and data.get("enrolment_status") == "guest"
        )
        return Sent(
            self.event_id, self.type, self.upn, self.school_urn, str(retracts) if retracts else None, guest
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "type": self.type,
            "upn": self.upn,
            "school_urn": self.school_urn,
            "occurred_on": self.occurred_on.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "ingested_at": self.ingested_at.isoformat(),
            "chain_seq": self.chain_seq,
            "event": self.event,
        }


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


_UPNS = "{upns:Array(String)}"
# The identity links touching any of some UPNs (both ways: temporary -> permanent).
_PUPIL_LINKS = f"SELECT upn, former_upn FROM {IDENTITY_LINKS} WHERE upn IN {_UPNS} OR former_upn IN {_UPNS}"
Rows = Sequence[Sequence[Any]]


def _point_read(clients: ClientPerThread, sql: str, upns: list[str]) -> Rows:
    return clients.get().query(sql, parameters={"upns": upns}, settings=POINT_READ).result_rows


def linked_upns(clients: ClientPerThread, upn: str) -> list[str]:
    """Every UPN the pupil has had (temporary -> permanent links, followed both ways)."""
    found, _ = _linked(clients, {upn})
    return sorted(found)


def _linked(clients: ClientPerThread, upns: set[str]) -> tuple[set[str], set[tuple[str, str]]]:
    """Every UPN linked to these, and the (upn, former_upn) links found on the way."""
    found = set(upns)
    frontier = set(upns)
    links: set[tuple[str, str]] = set()
    while frontier:
        rows = _point_read(clients, _PUPIL_LINKS, sorted(frontier))
        links |= {(upn, former) for upn, former in rows}
        new = {value for row in rows for value in row} - found
        found |= new
        frontier = new
    return found, links


_SENT = (
    "SELECT toString(event_id), type, upn, school_urn, "
    "if(type = 'event.retracted', JSONExtractString(event, 'data', 'retracts'), ''), "
    "JSONExtractString(event, 'data', 'enrolment_status') = 'guest' "
    f"FROM {HISTORY_ROWS} WHERE upn IN {{upns:Array(String)}}"
)


def pupil_records(clients: ClientPerThread, upns: Collection[str]) -> Records:
    """Blocking. What the authority rules (schemas/authority.py) read of these pupils: every UPN
    linked to them and the events under all of them."""
    if not upns:
        return Records()
    found, links = _linked(clients, set(upns))
    rows = clients.get().query(_SENT, parameters={"upns": sorted(found)}).result_rows
    events = [
        Sent(event_id, type_, upn, urn, retracts or None, bool(guest))
        for event_id, type_, upn, urn, retracts, guest in rows
    ]
    return Records.build(links, events, upns)


def pupil_rows(clients: ClientPerThread, upns: list[str]) -> list[LedgerRow]:
    result = clients.get().query(
        _PUPIL_ROW + "WHERE upn IN {upns:Array(String)} "
        "ORDER BY occurred_on, recorded_at, kafka_partition, kafka_offset",
        parameters={"upns": upns},
    )
    return [LedgerRow.from_result(row) for row in result.result_rows]


# A school's rows as its movements are answered (`school_rows`): the times formatted by the query
# as Python's `isoformat` writes them, the event kept as its JSON text, and the two things the
# answer reads from it taken out by the query (what an `event.retracted` retracts; the LAESTAB of
# the other school of a move). Building a `LedgerRow` per row in Python (the event parsed, the
# datetimes made UTC, then formatted) took ~30 us a row: most of a large school's read.
# Its columns: event_id, type, upn, school_urn, occurred_on, recorded_at, ingested_at, chain_seq,
# event (JSON text), retracts (the id an `event.retracted` retracts, else ''), the other school's
# direction ('to' for a deletion's destination, 'from' for an enrolment's previous school, else '')
# and its LAESTAB as the event gives it (a LAESTAB, a CTF code or '').
_ISO_TIME = "replaceOne(formatDateTime({0}, '%Y-%m-%dT%H:%i:%S.%f+00:00'), '.000000+', '+')"
_DESTINATION = "JSONExtractString(event, 'data', 'destination', 'laestab')"
_SCHOOL_ROW_COLUMNS = ", ".join(
    (
        "toString(event_id), type, upn, school_urn, toString(occurred_on)",
        _ISO_TIME.format("recorded_at"),
        _ISO_TIME.format("ingested_at"),
        "chain_seq, event",
        "if(type = 'event.retracted', JSONExtractString(event, 'data', 'retracts'), '')",
        "multiIf(type = 'pupil.deleted', 'to', type = 'pupil.enrolled', 'from', '')",
        f"multiIf(type = 'pupil.deleted', if({_DESTINATION} != '', {_DESTINATION}, "
        "JSONExtractString(event, 'data', 'ctf_destination')), "
        "type = 'pupil.enrolled', JSONExtractString(event, 'data', 'previous_school'), '')",
    )
)
# `%f` writes six digits whatever the column's scale, as `isoformat` does (said, not assumed, for
# servers whose defaults differ).
_SCHOOL_ROW_SETTINGS = {
    "formatdatetime_f_prints_scale_number_of_digits": 0,
    "formatdatetime_f_prints_single_zero": 0,
}


def school_rows_query(
    urn: str, start: dt.date, end: dt.date, types: list[str] | None
) -> tuple[str, dict[str, Any]]:
    """A school's rows in a period: served by the ledger's by-school projection (migration 0004)."""
    type_filter = "AND type IN {types:Array(String)} " if types else ""
    sql = (
        f"SELECT {_SCHOOL_ROW_COLUMNS} FROM {LEDGER} "
        "WHERE school_urn = {urn:String} AND occurred_on >= {start:Date32} AND occurred_on <= {end:Date32} "
        + type_filter
        + "ORDER BY occurred_on, recorded_at, event_id"
    )
    return sql, {"urn": urn, "start": start, "end": end, "types": types or []}


def school_rows(
    clients: ClientPerThread, urn: str, start: dt.date, end: dt.date, types: list[str] | None
) -> Sequence[Sequence[Any]]:
    """Blocking. A school's rows in the period, oldest first, in `_SCHOOL_ROW_COLUMNS`' order
    (tuples as they come: a named tuple a row cost ~1 us each)."""
    sql, parameters = school_rows_query(urn, start, end, types)
    return clients.get().query(sql, parameters=parameters, settings=_SCHOOL_ROW_SETTINGS).result_rows


@dataclass(frozen=True)
class PlacementRow:
    """A pupil's current placement as the tracker last recorded it (`placement.summary`)."""

    upn: str
    version: int
    placement: dict[str, Any]
    updated_at: dt.datetime


def _current(found: Sequence[Sequence[Any]], replaced: Collection[str]) -> PlacementRow | None:
    """A pupil with several UPNs (a temporary one replaced by a permanent one) has a placement
    under each; the current one is under the UPN no later UPN replaced (the tracker keeps a
    placement per UPN), or else the one recorded last."""
    rows = [
        PlacementRow(upn, int(version), orjson.loads(placement), _utc(updated_at))
        for upn, version, placement, updated_at in found
    ]
    if not rows:
        return None
    return max(rows, key=lambda row: (row.upn not in replaced, row.updated_at, row.version))


@dataclass(frozen=True)
class PupilRecord:
    """All a history shows of a pupil: their UPNs, their rows oldest first, where they are now."""

    upns: list[str]
    rows: list[LedgerRow]
    placement: PlacementRow | None


# A pupil's rows under some UPNs, the identity links touching any of them and their placements:
# three point reads, run side by side (`pupil_record`). As one query (the links and placements as
# scalar subqueries) the engine ran them one after another: on the bench's 1M-row ledger 10.1 ms
# p50 against 6.5 ms side by side, the rows' read alone being 4.7 ms. The rows are put in order
# here (`_oldest_first`), not by the query: an ORDER BY on a prefix of the table's key makes the
# engine read every part in order and merge them, ~0.9 ms of a ~9 ms read on the bench's 11 parts.
_PUPIL_ROWS = f"SELECT {_ROW_COLUMNS}, kafka_partition, kafka_offset FROM {HISTORY_ROWS} WHERE upn IN {_UPNS}"
_PUPIL_PLACEMENTS = f"SELECT upn, version, placement, updated_at FROM {PLACEMENTS} FINAL WHERE upn IN {_UPNS}"
# The threads of the side reads (each with its own client, `ClientPerThread`): a few, shared by the
# process's concurrent readers, the engine's cores being the bound.
_SIDE_READS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pupil-record")


def _oldest_first(row: Sequence[Any]) -> tuple[Any, ...]:
    """`_PUPIL_ROWS`' order: occurred_on, recorded_at, kafka_partition, kafka_offset."""
    return row[4], row[5], row[9], row[10]


def pupil_record(clients: ClientPerThread, upn: str) -> PupilRecord:
    """Blocking. The pupil's linked UPNs, rows and placement. The links of the UPN asked for are
    read in the caller's thread while its rows and placement are read beside it; a UPN the links
    name that was not asked for yet (a linked pupil: a temporary and a permanent UPN, a UPN only
    ever named as a former one) has its own three reads started as soon as the links are in, until
    no link leads further. (Asking again with every UPN once the first reads were all in made a
    linked pupil's read twice as long: ~1% of the bench's pupils, and most of its slowest reads.)"""
    upns = {upn}
    frontier = [upn]
    links: set[tuple[str, str]] = set()
    reads: list[tuple[Future[Rows], Future[Rows]]] = []  # (rows, placements) of each frontier
    try:
        while frontier:
            rows_read = _SIDE_READS.submit(_point_read, clients, _PUPIL_ROWS, frontier)
            reads.append((rows_read, _SIDE_READS.submit(_point_read, clients, _PUPIL_PLACEMENTS, frontier)))
            found = {
                (str(later), str(former)) for later, former in _point_read(clients, _PUPIL_LINKS, frontier)
            }
            links |= found
            frontier = sorted({value for link in found for value in link} - upns)
            upns.update(frontier)
    finally:  # an error leaves no read running on behind it
        wait([read for pair in reads for read in pair])
    rows = [row for rows_read, _ in reads for row in rows_read.result()]
    if not rows:
        return PupilRecord(sorted(upns), [], None)
    placements = [row for _, placements_read in reads for row in placements_read.result()]
    replaced = {former for _, former in links}
    ordered = [LedgerRow.from_result(row[:9]) for row in sorted(rows, key=_oldest_first)]
    return PupilRecord(sorted(upns), ordered, _current(placements, replaced))


def retracted_ids(rows: list[LedgerRow]) -> dict[str, str]:
    """event id -> id of the `event.retracted` event that retracts it."""
    return {
        str(row.event["data"].get("retracts")): row.event_id
        for row in rows
        if row.type == "event.retracted" and isinstance(row.event.get("data"), dict)
    }


def recorded_contents(clients: ClientPerThread, events: Sequence[tuple[str, str]]) -> dict[str, bytes]:
    """Blocking. Of these (key, event_id) pairs, the ids the ledger holds, with the canonical
    bytes it holds for each: what ingest compares a resend with, across restarts and replicas.
    Filtered on the UPNs first (the ledger's order), so a few granule reads. A key of 6 digits is
    a school's URN: its event (a roll check) is looked up in `school_roll_checks`."""
    school = [(urn, event_id) for urn, event_id in events if len(urn) == 6]
    events = [(upn, event_id) for upn, event_id in events if len(upn) != 6]
    found = _roll_check_contents(clients, school) if school else {}
    if not events:
        return found
    rows = (
        clients.get()
        .query(
            f"SELECT toString(event_id), any(event) FROM {HISTORY_ROWS} "
            "WHERE upn IN {upns:Array(String)} AND event_id IN {ids:Array(UUID)} GROUP BY event_id",
            parameters={
                "upns": sorted({upn for upn, _ in events}),
                "ids": [event_id for _, event_id in events],
            },
        )
        .result_rows
    )
    return found | {str(event_id): str(event).encode() for event_id, event in rows}


def _roll_check_contents(clients: ClientPerThread, events: Sequence[tuple[str, str]]) -> dict[str, bytes]:
    rows = (
        clients.get()
        .query(
            f"SELECT toString(event_id), any(event) FROM {ROLL_CHECKS} "
            "WHERE school_urn IN {urns:Array(String)} AND event_id IN {ids:Array(UUID)} GROUP BY event_id",
            parameters={"urns": sorted({urn for urn, _ in events}), "ids": [e for _, e in events]},
        )
        .result_rows
    )
    return {str(event_id): str(event).encode() for event_id, event in rows}
