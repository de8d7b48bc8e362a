"""What other services may read from the tracker: its ledger queries, the access log they must
write, a school's roll (now, and as Rollwatch knew it on a day), when each school was last heard
from, and the exit classification (its data and `classify_exit`, the one
definition of an unexplained exit). Everything else in `services.tracker`
is private to it (import-linter enforces this; see docs/architecture.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson

from rollwatch.core.clickhouse import ClientPerThread
from services.tracker.access_log import record_access
from services.tracker.exit_classification import (
    Exit,
    ExitClass,
    ExitParams,
    ExitRules,
    SchoolYearParams,
    classify_exit,
    default_exit_document,
    in_end_of_year,
    is_phase_transition,
    is_special_school,
)
from services.tracker.ledger_reads import LedgerRow, linked_upns, pupil_rows, recorded_contents
from services.tracker.roll_checks import HeardDays, heard_days, rolls_on
from services.tracker.tables import LEDGER, PLACEMENTS

__all__ = [
    "Exit",
    "ExitClass",
    "ExitParams",
    "ExitRules",
    "HeardDays",
    "LedgerRow",
    "SchoolYearParams",
    "classify_exit",
    "default_exit_document",
    "heard_days",
    "in_end_of_year",
    "is_phase_transition",
    "is_special_school",
    "latest_year_groups",
    "linked_upns",
    "placement_of",
    "pupil_rows",
    "record_access",
    "recorded_contents",
    "rolls_on",
    "school_deletions",
    "school_roll",
]

_ROLL = f"""
SELECT count(), countIf(sen IN ('E', 'K')) FROM (
    SELECT upn, argMax(JSONExtractString(event, 'pupil', 'sen_provision'), (occurred_on, recorded_at)) AS sen
    FROM {LEDGER}
    WHERE upn IN (SELECT upn FROM {PLACEMENTS} FINAL WHERE has(schools_on_roll, {{urn:String}}))
    GROUP BY upn
)
"""
_DELETIONS = f"""
SELECT event FROM {LEDGER}
WHERE school_urn = {{urn:String}} AND type = 'pupil.deleted' AND occurred_on >= {{since:Date32}}
  AND occurred_on <= {{as_of:Date32}}
"""


def school_roll(clients: ClientPerThread, urn: str) -> tuple[int, int]:
    """Blocking. The pupils Rollwatch has on roll at the school (their current placement includes
    it), and how many of them have SEN support or an EHC plan by their latest event."""
    roll, send = clients.get().query(_ROLL, parameters={"urn": urn}).result_rows[0]
    return int(roll), int(send)


def school_deletions(
    clients: ClientPerThread, urn: str, since: dt.date, as_of: dt.date
) -> list[dict[str, Any]]:
    """Blocking. The school's `pupil.deleted` events that occurred from `since` to `as_of`."""
    parameters = {"urn": urn, "since": since, "as_of": as_of}
    rows = clients.get().query(_DELETIONS, parameters=parameters).result_rows
    return [orjson.loads(event) for (event,) in rows]


_YEAR_GROUPS = f"""
SELECT upn, argMax(JSONExtractInt(event, 'pupil', 'year_group'), (occurred_on, recorded_at))
FROM {LEDGER} WHERE upn IN {{upns:Array(String)}} AND JSONHas(event, 'pupil', 'year_group')
GROUP BY upn
"""
_PLACEMENT = f"""
SELECT schools_on_roll, placement, last_exit_school, last_exit_on, updated_at
FROM {PLACEMENTS} FINAL WHERE upn IN {{upns:Array(String)}} ORDER BY updated_at DESC LIMIT 1
"""


def latest_year_groups(clients: ClientPerThread, upns: list[str]) -> dict[str, int]:
    """Blocking. Each pupil's year group by their latest event (one query for a page of alerts)."""
    if not upns:
        return {}
    rows = clients.get().query(_YEAR_GROUPS, parameters={"upns": upns}).result_rows
    return {upn: int(year) for upn, year in rows}


def placement_of(clients: ClientPerThread, upns: list[str]) -> dict[str, Any] | None:
    """Blocking. Where the pupil (under any of their UPNs) is now, or None when unknown."""
    rows = clients.get().query(_PLACEMENT, parameters={"upns": upns}).result_rows
    if not rows:
        return None
    schools, placement, exit_school, exit_on, updated = rows[0]
    return {
        "schools_on_roll": list(schools),
        "placement": placement,
        "last_exit_school": exit_school or None,
        "last_exit_on": exit_on,
        "updated_at": updated,
    }
