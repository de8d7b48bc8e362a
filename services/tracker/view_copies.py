"""The tables ClickHouse's materialised views keep from the ledger, recomputed from it: to write the
copies a killed insert left unwritten, and for `verify` to compare.

An insert writes the ledger's part and then its views' parts, one after another, not atomically
(ClickHouse documents this). A kill -9 between them leaves ledger rows without their copies, and
the tracker's resend of that batch finds the rows in the ledger and writes nothing, so it asks
`restore` for the copies. Each view's own SELECT (from `system.tables`) recomputes its rows, so no
view's definition is written twice. In a cluster that SELECT names a shard's local tables; here it
reads their Distributed tables of the same name without `_local` (rollwatch/core/cluster_ddl.py).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from clickhouse_connect.driver.binding import format_str
from clickhouse_connect.driver.client import Client

from rollwatch.core.clickhouse import LONG_QUERY, in_list
from services.tracker.derived_checks import DerivedBreak
from services.tracker.tables import HISTORY_ROWS, LEDGER, REFERENCES, SCHOOL_EVENTS, SCHOOL_ROLLS

log = logging.getLogger(__name__)

# Views that copy a ledger event into at most one row (ledger_references takes only some types),
# each row carrying the event's id, pupil and school.
EVENT_COPIES = (HISTORY_ROWS, SCHOOL_EVENTS, REFERENCES)
# Kept from SCHOOL_EVENTS as aggregate states per school and pupil (the latest move and SEN
# provision by Kafka offset): adding a pupil's states again changes nothing once merged.
ROLLS = SCHOOL_ROLLS
ROLL_KEYS = ("school_urn", "upn")


def view_select(client: Client, target: str) -> str:
    """The SELECT of the materialised view that keeps `target` (named `<target>_mv`)."""
    rows = client.query(
        "SELECT as_select FROM system.tables WHERE database = currentDatabase() AND name = {name:String}",
        parameters={"name": f"{target}_mv"},
    ).result_rows
    if not rows:
        raise LookupError(f"no materialised view keeps {target}: are the migrations applied?")
    return re.sub(r"\b(\w+)_local\b", r"\1", str(rows[0][0]))


def _columns(client: Client, table: str) -> list[tuple[str, str]]:
    rows = client.query(
        "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {t:String} "
        "ORDER BY position",
        parameters={"t": table},
    ).result_rows
    return [(str(name), str(kind)) for name, kind in rows]


def _names(client: Client, table: str) -> str:
    return ", ".join(name for name, _ in _columns(client, table))


def restore(client: Client, upns: list[str], schools: list[str], event_ids: list[str]) -> int:
    """Writes every copy of these ledger events that its table lacks, and the pupils' roll states
    again; returns how many event copies were written (the roll states are not counted)."""
    pupils = f"upn IN {in_list(upns)} AND school_urn IN {in_list(schools)}"
    return _write_copies(client, f"{pupils} AND event_id IN {in_list(event_ids, of='UUID')}", pupils)


def _write_copies(client: Client, events: str, pupils: str) -> int:
    """The copies of the ledger's events matching the filter `events` that their tables lack, and
    the roll states of the pupils matching `pupils` again."""
    written = 0
    for target in EVENT_COPIES:
        select = view_select(client, target)
        missing = [
            str(row[0])
            for row in client.query(
                f"SELECT event_id FROM ({select}) WHERE {events} AND event_id NOT IN "
                f"(SELECT event_id FROM {target} WHERE {events})",
                settings=LONG_QUERY,
            ).result_rows
        ]
        if missing:
            names = _names(client, target)
            client.command(
                f"INSERT INTO {target} ({names}) SELECT {names} FROM ({select}) "
                f"WHERE {events} AND event_id IN {in_list(missing, of='UUID')}",
                settings=LONG_QUERY,
            )
        written += len(missing)
    # A kill between the school events' part and the rolls' part leaves no trace one could ask for
    # by event id; the states are added again instead (the filter reaches below the GROUP BY).
    names = _names(client, ROLLS)
    client.command(
        f"INSERT INTO {ROLLS} ({names}) SELECT {names} FROM ({view_select(client, ROLLS)}) WHERE {pupils}",
        settings=LONG_QUERY,
    )
    return written


@dataclass(frozen=True)
class Repaired:
    """What `repair_broken_parts` found and did."""

    copies: int  # event copies written again
    dropped: tuple[str, ...]  # the views' tables' broken parts ("table/part"), dropped once repaired
    ledger: tuple[str, ...]  # the ledger's own broken parts, left for an operator


def repair_broken_parts(client: Client) -> Repaired:
    """At start, before anything is written. ClickHouse sets a part it finds broken when it opens a
    table aside under `detached/` (reason `broken-on-start`), and its rows are gone from the table.
    A disk that filled while a part was written can leave such a part (seen here: chDB 26.9 on a
    tmpfs filled mid-insert committed parts whose files were empty, and the insert that wrote the
    last of them did not fail), so the batch is never resent and `restore` never asked. For the
    tables the views keep, every copy the ledger's events lack and every roll state are written
    again from the ledger, then those parts are dropped (so the next start does not repeat it). A
    broken part of the ledger itself is reported, not touched: `rollwatch verify` names what the
    chains lack (docs/operations.md, "Crashes and restarts")."""
    broken = client.query(
        "SELECT table, name FROM system.detached_parts WHERE database = currentDatabase() "
        "AND startsWith(ifNull(reason, ''), 'broken') ORDER BY table, name"
    ).result_rows
    of_copies = [(str(table), str(name)) for table, name in broken if table in (*EVENT_COPIES, ROLLS)]
    ledger = tuple(str(name) for table, name in broken if table == LEDGER)
    copies = 0
    dropped: tuple[str, ...] = ()
    if of_copies:
        copies = _write_copies(client, "1", "1")
        for table, name in of_copies:
            client.command(
                f"ALTER TABLE {table} DROP DETACHED PART {format_str(name)}",
                settings={"allow_drop_detached": 1},
            )
        dropped = tuple(f"{table}/{name}" for table, name in of_copies)
        log.error(
            "broken parts of the views' tables were set aside at start; their rows are written again",
            extra={"parts": list(dropped), "copies_written": copies},
        )
    if ledger:
        log.critical(
            "broken parts of the movement ledger were set aside at start: rows may be missing; "
            "run rollwatch verify",
            extra={"parts": list(ledger)},
        )
    return Repaired(copies, dropped, ledger)


def check_event_copies(client: Client) -> DerivedBreak | None:
    """The first pupil whose rows in a table of EVENT_COPIES differ from what the view's SELECT
    makes of the ledger: per pupil, the row count and the sum of the rows' hashes (a row missing,
    added or altered changes one of them; a sum, unlike a XOR, is not undone by a row copied twice)."""
    for target in EVENT_COPIES:
        columns = _columns(client, target)
        # The view's side cast to the table's types, so that equal values hash equal.
        typed = ", ".join(f"CAST({name} AS {kind}) AS {name}" for name, kind in columns)
        names = ", ".join(name for name, _ in columns)
        digest = f"count() AS rows, sum(toUInt128(cityHash64(tuple({names})))) AS digest"
        found = client.query(
            f"SELECT upn, ledger.rows, copy.rows "
            f"FROM (SELECT upn, {digest} FROM (SELECT {typed} FROM ({view_select(client, target)})) "
            f"GROUP BY upn) AS ledger "
            f"FULL OUTER JOIN (SELECT upn, {digest} FROM {target} GROUP BY upn) AS copy USING (upn) "
            "WHERE ledger.rows != copy.rows OR ledger.digest != copy.digest ORDER BY upn LIMIT 1"
        ).result_rows
        if found:
            upn, ledger_rows, copy_rows = found[0]
            problem = (
                "altered: a row differs from the ledger's"
                if ledger_rows == copy_rows
                else f"{'missing' if copy_rows < ledger_rows else 'added'}: {copy_rows} rows where the "
                f"ledger has {ledger_rows}"
            )
            return DerivedBreak(target, str(upn), problem)
    return None


def check_rolls(client: Client) -> DerivedBreak | None:
    """The first pupil whose roll entry at a school (latest move and SEN provision, merged) differs
    from what the view's SELECT makes of the school events."""
    keys = ", ".join(ROLL_KEYS)
    merged = (
        f"SELECT {keys}, argMaxIfMerge(last_move) AS move, argMaxIfMerge(sen) AS sen, 1 AS present "
        "FROM {} GROUP BY " + keys
    )
    recomputed = merged.format(f"({view_select(client, ROLLS)})")
    found = client.query(
        f"SELECT upn, ledger.present, copy.present FROM ({recomputed}) AS ledger "
        f"FULL OUTER JOIN ({merged.format(ROLLS)}) AS copy USING ({keys}) "
        "WHERE ledger.present != copy.present OR ledger.move != copy.move OR ledger.sen != copy.sen "
        "ORDER BY upn LIMIT 1"
    ).result_rows
    if not found:
        return None
    upn, in_ledger, in_copy = found[0]
    problem = (
        "altered: a pupil's latest move or SEN provision differs from the ledger's"
        if in_ledger and in_copy
        else "missing: the ledger has this pupil at a school"
        if in_ledger
        else "added: no ledger event puts this pupil at the school"
    )
    return DerivedBreak(ROLLS, str(upn), problem)
